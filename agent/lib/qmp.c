// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The freezer's QMP client: connect, negotiate, run one command at a
 * time and wait for its reply within a deadline.
 *
 * QEMU is hostile input here.  Messages are framed by their braces into
 * a bounded buffer (QMP_MSG_MAX, QMP_DEPTH_MAX), resynchronising after
 * bytes that are not an object; each message is then parsed by json-c
 * in strict mode with the same depth limit.  Only top-level members are
 * looked at ("event", "id", "return", "error"), so an event's name or a
 * string inside a value never passes for a reply.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "internal.h"
#include "qmp.h"

/* Longest QMP message kept; QEMU's replies to what we send are tiny. */
#define QMP_MSG_MAX		65536
#define QMP_DEPTH_MAX		32
#define QMP_DESC_MAX		256
/* How long a POSIX signal handler waits for QEMU to answer its "cont". */
#define HANDLER_CONT_MS		2000
#define HANDLER_CONT_ID		"bpfpoke-signal-cont"

/* A failure of the best-effort "cont" after a failed freeze is not the news. */
#define qmp_warn(q, fmt, ...)						\
	bpfpoke_pr((q)->quiet ? BPFPOKE_INFO : BPFPOKE_WARN,		\
		   "libbpfpoke: " fmt, ##__VA_ARGS__)

void bpfpoke_qmp_init(struct qmp *q, unsigned int timeout_ms)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->timeout_ms = timeout_ms;
}

/* Async-signal-safe. */
static void send_all_raw(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, HANDLER_CONT_MS) <= 0)
				return;
			continue;
		}
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/*
 * Async-signal-safe: a prebuilt "cont", then wait until QEMU answered it
 * (found by its id in the byte stream) or HANDLER_CONT_MS passed: QEMU
 * drops the commands it has not run yet when the connection closes.
 */
void bpfpoke_qmp_cont_from_handler(struct qmp *q)
{
	static const char cmd[] =
		"{\"execute\": \"cont\", \"id\": \"" HANDLER_CONT_ID "\"}\r\n";
	static const char id[] = HANDLER_CONT_ID;
	const size_t idlen = sizeof(id) - 1;
	char buf[512];
	size_t have = 0, i;
	long long deadline;

	q->handler_used = 1;
	send_all_raw(q->fd, cmd, sizeof(cmd) - 1);
	deadline = bpfpoke_now_ms() + HANDLER_CONT_MS;
	while (bpfpoke_now_ms() < deadline) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, bpfpoke_ms_left(deadline)) <= 0)
			continue;
		n = read(q->fd, buf + have, sizeof(buf) - have);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return;
		if (n < 0)
			continue;
		have += n;
		for (i = 0; i + idlen <= have; i++)
			if (!memcmp(buf + i, id, idlen))
				return;
		/* Keep a tail that may be the start of the id. */
		if (have >= idlen) {
			memmove(buf, buf + have - (idlen - 1), idlen - 1);
			have = idlen - 1;
		}
	}
}

static int qmp_send(struct qmp *q, const char *cmd, long long deadline)
{
	size_t len = strlen(cmd);

	while (len) {
		ssize_t n = send(q->fd, cmd, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
			int r = poll(&pfd, 1, bpfpoke_ms_left(deadline));

			if (r < 0 && errno != EINTR)
				return -errno;
			if (!r)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		cmd += n;
		len -= n;
	}
	return 0;
}

/*
 * The next JSON object from QEMU, by its braces: *@msg and *@len, valid
 * until the next call.  -ETIMEDOUT after @deadline, -ECONNRESET on EOF,
 * -EPROTO for bytes that do not start an object or nest too deep,
 * -EMSGSIZE for an object longer than QMP_MSG_MAX.  After an error the
 * stream is resynchronised (the line, or the rest of the object, is
 * dropped), so a later command can still get its reply.
 */
static int qmp_next(struct qmp *q, long long deadline, const char **msg,
		    size_t *len)
{
	int err = 0;

	if (q->consumed) {
		memmove(q->buf, q->buf + q->consumed, q->len - q->consumed);
		q->len -= q->consumed;
		q->scan = 0;
		q->consumed = 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		ssize_t n;
		int r;

		while (q->scan < q->len) {
			char c = q->buf[q->scan++];

			if (!q->depth) {
				char *nl;

				if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
					continue;
				if (c == '{') {
					q->obj = q->scan - 1;
					q->depth = 1;
					q->in_str = q->esc = false;
					continue;
				}
				/* Not JSON: drop the rest of the line. */
				nl = memchr(q->buf + q->scan, '\n', q->len - q->scan);
				q->consumed = nl ? (size_t)(nl + 1 - q->buf) : q->len;
				return -EPROTO;
			}
			if (q->in_str) {
				if (q->esc)
					q->esc = false;
				else if (c == '\\')
					q->esc = true;
				else if (c == '"')
					q->in_str = false;
				continue;
			}
			if (c == '"') {
				q->in_str = true;
			} else if (c == '{' || c == '[') {
				/* Count on, but never return this object. */
				if (++q->depth > QMP_DEPTH_MAX && !q->skip) {
					q->skip = true;
					err = -EPROTO;
				}
			} else if (c == '}' || c == ']') {
				if (--q->depth)
					continue;
				if (q->skip) {
					q->skip = false;
					q->consumed = q->scan;
					return err ? err : -EMSGSIZE;
				}
				*msg = q->buf + q->obj;
				*len = q->scan - q->obj;
				q->consumed = q->scan;
				return 0;
			}
		}
		/* Keep only the object begun, at the start of the buffer. */
		if (!q->depth || q->skip) {
			q->len = q->scan = q->obj = 0;
		} else if (q->obj) {
			memmove(q->buf, q->buf + q->obj, q->len - q->obj);
			q->len -= q->obj;
			q->scan -= q->obj;
			q->obj = 0;
		}
		/* Too long: skip to its end, then report it. */
		if (q->len == QMP_MSG_MAX) {
			q->skip = true;
			q->len = q->scan = 0;
		}

		r = poll(&pfd, 1, bpfpoke_ms_left(deadline));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0) {
			if (bpfpoke_now_ms() >= deadline)
				return err ? err : q->skip ? -EMSGSIZE : -ETIMEDOUT;
			continue;
		}
		n = read(q->fd, q->buf + q->len, QMP_MSG_MAX - q->len);
		if (n == 0)
			return err ? err : q->skip ? -EMSGSIZE : -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		q->len += n;
	}
}

/*
 * The object framed by qmp_next(), parsed: NULL unless it is exactly one
 * well-formed JSON object (strict RFC 8259, nesting within QMP_DEPTH_MAX).
 */
static struct json_object *qmp_parse(const char *msg, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(QMP_DEPTH_MAX);
	struct json_object *obj;

	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, msg, (int)len);
	if (obj && (json_tokener_get_parse_end(tok) != len ||
		    !json_object_is_type(obj, json_type_object))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* The value of member @key of object @obj, or NULL. */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/*
 * String @v as printable text in @out: whitespace as ' ', anything else
 * unprintable as '?'.  False if @v is not a string.
 */
static bool qmp_text(struct json_object *v, char *out, size_t size)
{
	const char *s;
	size_t n = 0;

	if (!size || !json_object_is_type(v, json_type_string))
		return false;
	for (s = json_object_get_string(v); *s && n + 1 < size; s++) {
		unsigned char c = *s;

		if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f')
			c = ' ';
		else if (c < 0x20 || c >= 0x7f)
			c = '?';
		out[n++] = c;
	}
	out[n] = 0;
	return true;
}

/* Why reading from QEMU failed, for "QMP x failed: <why>". */
static const char *qmp_io_why(const struct qmp *q, int err, char *buf,
			      size_t size)
{
	switch (err) {
	case -ETIMEDOUT:
		snprintf(buf, size, "no reply within %u ms", q->timeout_ms);
		break;
	case -ECONNRESET:
		snprintf(buf, size, "QEMU closed the connection");
		break;
	case -EPROTO:
		snprintf(buf, size, "QEMU sent something that is not a JSON object");
		break;
	case -EMSGSIZE:
		snprintf(buf, size, "QEMU sent a message longer than %d bytes",
			 QMP_MSG_MAX);
		break;
	default:
		snprintf(buf, size, "%s", strerror(-err));
	}
	return buf;
}

/*
 * Run QMP command @name and wait for its reply, skipping events and
 * replies to other ids.  0 with the "return" value in *@ret (valid until
 * the next QMP call); -EIO when QEMU answered with an error; -ECANCELED
 * when a signal handler used the connection; the errors of qmp_send()
 * and qmp_next().  Every failure is logged as "QMP NAME failed: ...".
 */
int bpfpoke_qmp_exec(struct qmp *q, const char *name, struct json_object **ret)
{
	long long deadline = bpfpoke_now_ms() + q->timeout_ms;
	char cmd[128], why[QMP_DESC_MAX];
	struct json_object *msg, *v;
	unsigned int id;
	const char *raw;
	size_t len;
	int err;

	if (q->handler_used) {
		qmp_warn(q, "QMP %s failed: a POSIX signal thawed the VM; open a new freezer\n",
			 name);
		return -ECANCELED;
	}
	json_object_put(q->reply);
	q->reply = NULL;
	id = ++q->next_id;
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"%s\", \"id\": %u}\r\n",
		 name, id);
	err = qmp_send(q, cmd, deadline);
	if (err) {
		qmp_warn(q, "QMP %s failed: %s\n", name,
			 err == -ECONNRESET ? "QEMU closed the connection" :
			 err == -ETIMEDOUT ? "cannot send" : strerror(-err));
		return err;
	}
	for (;;) {
		err = qmp_next(q, deadline, &raw, &len);
		if (err) {
			qmp_warn(q, "QMP %s failed: %s\n", name,
				 qmp_io_why(q, err, why, sizeof(why)));
			return err;
		}
		msg = qmp_parse(raw, len);
		if (!msg) {
			qmp_warn(q, "QMP %s failed: malformed JSON from QEMU\n", name);
			return -EPROTO;
		}
		if (member(msg, "event")) {
			json_object_put(msg);
			continue;
		}
		/* Replies carry our id; QEMU omits it only if it could not parse ours. */
		v = member(msg, "id");
		if (v && (!json_object_is_type(v, json_type_int) ||
			  json_object_get_int64(v) != id)) {
			json_object_put(msg);
			continue;
		}
		v = member(msg, "return");
		if (v) {
			q->reply = msg;
			*ret = v;
			return 0;
		}
		v = member(msg, "error");
		if (v) {
			if (!qmp_text(member(v, "desc"), why, sizeof(why)))
				snprintf(why, sizeof(why), "error without a description");
			qmp_warn(q, "QMP %s failed: %s\n", name, why);
			json_object_put(msg);
			return -EIO;
		}
		json_object_put(msg);
		qmp_warn(q, "QMP %s failed: unexpected reply from QEMU\n", name);
		return -EPROTO;
	}
}

/* query-status: the status string into @status. */
int bpfpoke_qmp_status(struct qmp *q, char *status, size_t size)
{
	struct json_object *ret;
	int err;

	err = bpfpoke_qmp_exec(q, "query-status", &ret);
	if (err)
		return err;
	if (!qmp_text(member(ret, "status"), status, size)) {
		qmp_warn(q, "QMP query-status failed: no status in the reply\n");
		return -EPROTO;
	}
	return 0;
}

/* Connect to QMP socket @path, read the greeting, negotiate. */
int bpfpoke_qmp_open(struct qmp *q, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct json_object *greeting, *ret;
	char why[QMP_DESC_MAX];
	long long deadline;
	const char *raw;
	size_t len;
	int err;

	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		pr_warn("QMP socket path '%s' is %s\n", path,
			*path ? "too long" : "empty");
		return *path ? -ENAMETOOLONG : -EINVAL;
	}
	strcpy(sun.sun_path, path);
	q->buf = malloc(QMP_MSG_MAX);
	if (!q->buf)
		return -ENOMEM;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0)
		return -errno;
	deadline = bpfpoke_now_ms() + q->timeout_ms;
	if (connect(q->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
		socklen_t elen = sizeof(err);

		err = -errno;
		if (err == -EINPROGRESS) {
			err = poll(&pfd, 1, bpfpoke_ms_left(deadline)) == 1 &&
			      !getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &elen) ?
			      -err : -ETIMEDOUT;
		}
		if (err) {
			pr_warn("cannot connect to QMP socket %s: %s\n", path,
				strerror(-err));
			return err;
		}
	}

	err = qmp_next(q, deadline, &raw, &len);
	if (!err) {
		greeting = qmp_parse(raw, len);
		if (!json_object_is_type(member(greeting, "QMP"), json_type_object))
			err = -EPROTO;
		json_object_put(greeting);
	}
	if (err == -ETIMEDOUT) {
		pr_warn("QMP socket %s: no greeting within %u ms (is another client connected?)\n",
			path, q->timeout_ms);
		return err;
	}
	if (err == -EPROTO || err == -EMSGSIZE) {
		pr_warn("QMP socket %s: not a QMP greeting\n", path);
		return -EPROTO;
	}
	if (err) {
		pr_warn("QMP socket %s: %s\n", path, qmp_io_why(q, err, why, sizeof(why)));
		return err;
	}
	return bpfpoke_qmp_exec(q, "qmp_capabilities", &ret);
}

void bpfpoke_qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	json_object_put(q->reply);
	q->reply = NULL;
	free(q->buf);
	q->buf = NULL;
}
