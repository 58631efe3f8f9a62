// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Freezing the VMM around a write, so that the guest sees a batch all at
 * once (a RAM-file commit is not atomic for a running guest):
 *
 *   sigstop:PID	SIGSTOP the VMM and wait until every thread of it is
 *			stopped (/proc/PID/task/TID/stat), SIGCONT after;
 *   qmp:PATH		QEMU's QMP socket: "stop", checked with
 *			"query-status", then "cont".
 *
 * A VMM that was already stopped (every thread in 'T', or a QEMU whose
 * status is not "running": paused, prelaunch, ...) is left as it was.
 *
 * QMP is hostile input here: each message is one JSON object, read
 * within a deadline into a bounded buffer and checked to be well-formed
 * before anything is looked up in it; only top-level members are
 * looked at ("event", "id", "return", "error"), so an event's name or a
 * string inside a value never passes for a reply.
 *
 * With BPFPOKE_FREEZER_THAW_ON_SIGNAL the VMM is continued from a signal
 * handler when the caller is killed while it is frozen.  A handler can
 * only use async-signal-safe calls: kill(SIGCONT), or write() of a
 * prebuilt "cont" and poll()/read() until QEMU answered it (QEMU drops
 * the commands it has not run yet when the connection closes).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_TIMEOUT_MS	5000
/* Polling for every thread of a SIGSTOPped VMM to have stopped. */
#define SIGSTOP_POLL_NS		1000000
#define SIGSTOP_MAX_THREADS	65536
/* Longest QMP message kept; QEMU's replies to what we send are tiny. */
#define QMP_MSG_MAX		65536
#define QMP_DEPTH_MAX		32
#define QMP_DESC_MAX		256
#define QMP_STATUS_MAX		32
/* How long a signal handler waits for QEMU to answer its "cont". */
#define SIGNAL_CONT_MS		2000
#define SIGNAL_CONT_ID		"bpfpoke-signal-cont"

enum freezer_kind {
	FREEZER_NONE,
	FREEZER_SIGSTOP,
	FREEZER_QMP,
};

struct bpfpoke_freezer {
	enum freezer_kind kind;
	unsigned int timeout_ms;
	__u32 flags;
	/* Between bpfpoke_freeze() and a successful bpfpoke_thaw(). */
	bool frozen;
	/*
	 * We stopped the VMM and must continue it.  Read and cleared by
	 * the signal handler too.
	 */
	volatile sig_atomic_t armed;
	/* A signal handler thawed it (and may have read from the socket). */
	volatile sig_atomic_t signal_thawed;
	int pid;
	/* QMP */
	int fd;
	unsigned int next_id;
	char *buf;		/* QMP_MSG_MAX bytes read from the socket */
	size_t len;		/* bytes in buf */
	size_t scan;		/* bytes of buf looked at */
	size_t obj;		/* where the current object starts */
	size_t consumed;	/* bytes of the last message returned */
	int depth;
	bool in_str, esc;
	bool skip;		/* dropping an object too long or deep */
	bool quiet;		/* QMP failures as INFO, not WARN */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Milliseconds to @deadline for poll(), at least 0. */
static int ms_left(long long deadline)
{
	long long left = deadline - now_ms();

	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * Thaw on fatal signals.  One freezer at a time may be registered; the
 * signals' earlier actions are kept to be restored.
 */
static const int thaw_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
#define NR_THAW_SIGNALS	(sizeof(thaw_signals) / sizeof(thaw_signals[0]))

static struct bpfpoke_freezer *signal_freezer;
static struct sigaction old_actions[NR_THAW_SIGNALS];
static volatile sig_atomic_t handler_installed[NR_THAW_SIGNALS];

/* Async-signal-safe. */
static void send_all_raw(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, SIGNAL_CONT_MS) <= 0)
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
 * Async-signal-safe: continue what @f stopped, without its parser.  For
 * QMP, wait until QEMU answered our "cont" (found by its id in the byte
 * stream) or SIGNAL_CONT_MS passed.
 */
static void thaw_from_signal(struct bpfpoke_freezer *f)
{
	static const char cmd[] =
		"{\"execute\": \"cont\", \"id\": \"" SIGNAL_CONT_ID "\"}\r\n";
	static const char id[] = SIGNAL_CONT_ID;
	const size_t idlen = sizeof(id) - 1;
	char buf[512];
	size_t have = 0, i;
	long long deadline;

	if (!f->armed)
		return;
	f->armed = 0;
	f->signal_thawed = 1;
	if (f->kind == FREEZER_SIGSTOP) {
		kill(f->pid, SIGCONT);
		return;
	}
	if (f->kind != FREEZER_QMP)
		return;
	send_all_raw(f->fd, cmd, sizeof(cmd) - 1);
	deadline = now_ms() + SIGNAL_CONT_MS;
	while (now_ms() < deadline) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, ms_left(deadline)) <= 0)
			continue;
		n = read(f->fd, buf + have, sizeof(buf) - have);
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

static void on_thaw_signal(int sig)
{
	struct bpfpoke_freezer *f = __atomic_load_n(&signal_freezer,
						    __ATOMIC_SEQ_CST);
	int saved_errno = errno;
	size_t i;

	if (f)
		thaw_from_signal(f);
	/*
	 * Then the signal's own action: pending while this handler runs,
	 * delivered when it returns.
	 */
	for (i = 0; i < NR_THAW_SIGNALS; i++) {
		if (thaw_signals[i] != sig)
			continue;
		sigaction(sig, &old_actions[i], NULL);
		handler_installed[i] = 0;
	}
	raise(sig);
	errno = saved_errno;
}

static void unregister_signals(struct bpfpoke_freezer *f)
{
	struct bpfpoke_freezer *expected = f;
	size_t i;

	if (__atomic_load_n(&signal_freezer, __ATOMIC_SEQ_CST) != f)
		return;
	for (i = 0; i < NR_THAW_SIGNALS; i++) {
		if (!handler_installed[i])
			continue;
		sigaction(thaw_signals[i], &old_actions[i], NULL);
		handler_installed[i] = 0;
	}
	__atomic_compare_exchange_n(&signal_freezer, &expected, NULL, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static int register_signals(struct bpfpoke_freezer *f)
{
	struct bpfpoke_freezer *expected = NULL;
	struct sigaction sa = { .sa_handler = on_thaw_signal };
	size_t i;

	if (!(f->flags & BPFPOKE_FREEZER_THAW_ON_SIGNAL))
		return 0;
	if (!__atomic_compare_exchange_n(&signal_freezer, &expected, f, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		pr_warn("another freezer already thaws on signals\n");
		return -EBUSY;
	}
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NR_THAW_SIGNALS; i++)
		sigaddset(&sa.sa_mask, thaw_signals[i]);
	for (i = 0; i < NR_THAW_SIGNALS; i++) {
		struct sigaction old;

		if (sigaction(thaw_signals[i], NULL, &old))
			continue;
		/* An ignored signal (nohup) does not end the caller. */
		if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
			continue;
		old_actions[i] = old;
		if (!sigaction(thaw_signals[i], &sa, NULL))
			handler_installed[i] = 1;
	}
	return 0;
}

/* SIGSTOP */

/*
 * 1 when every thread of @pid is stopped ('T' in /proc/PID/task/TID/stat),
 * 0 when one is not yet, -errno when the process cannot be looked at.
 */
static int all_threads_stopped(int pid)
{
	char path[64], buf[512];
	struct dirent *de;
	int ret = 1, seen = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d)) && ret == 1) {
		char *p;
		FILE *fp;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (++seen > SIGSTOP_MAX_THREADS) {
			ret = -E2BIG;
			break;
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid,
			 de->d_name);
		fp = fopen(path, "re");
		if (!fp)
			continue;	/* the thread exited */
		p = fgets(buf, sizeof(buf), fp) ? strrchr(buf, ')') : NULL;
		fclose(fp);
		if (!p || p[1] != ' ')
			continue;
		if (p[2] == 'Z' || p[2] == 'X')
			ret = -ESRCH;
		else if (p[2] != 'T')
			ret = 0;
	}
	closedir(d);
	return seen ? ret : -ESRCH;
}

static int sigstop_freeze(struct bpfpoke_freezer *f)
{
	struct timespec ts = { 0, SIGSTOP_POLL_NS };
	long long deadline;
	int r, err;

	r = all_threads_stopped(f->pid);
	if (r < 0) {
		pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-r));
		return r;
	}
	if (r == 1) {
		pr_info("the VMM %d is already stopped: left stopped\n", f->pid);
		return 0;
	}
	err = register_signals(f);
	if (err)
		return err;
	/* Armed first: a signal from here on continues it. */
	f->armed = 1;
	if (kill(f->pid, SIGSTOP)) {
		err = -errno;
		f->armed = 0;
		unregister_signals(f);
		pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-err));
		return err;
	}
	deadline = now_ms() + f->timeout_ms;
	do {
		r = all_threads_stopped(f->pid);
		if (r)
			break;
		nanosleep(&ts, NULL);
	} while (now_ms() < deadline);
	if (r == 1)
		return 0;
	if (f->armed)
		kill(f->pid, SIGCONT);
	f->armed = 0;
	unregister_signals(f);
	if (!r) {
		pr_warn("cannot freeze the VMM %d: its threads did not all stop within %u ms\n",
			f->pid, f->timeout_ms);
		return -ETIMEDOUT;
	}
	pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-r));
	return r;
}

static int sigstop_thaw(struct bpfpoke_freezer *f)
{
	int err;

	if (kill(f->pid, SIGCONT)) {
		err = -errno;
		pr_warn("cannot continue the VMM %d: %s\n", f->pid, strerror(-err));
		return err;
	}
	return 0;
}

/* A minimal JSON reader: enough to check a message and find members. */

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* @p at '"': past the closing quote, or NULL. */
static const char *json_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
			continue;
		if (++p >= end || !*p || !strchr("\"\\/bfnrtu", *p))
			return NULL;
		if (*p == 'u') {
			if (end - p <= 4 || !isxdigit((unsigned char)p[1]) ||
			    !isxdigit((unsigned char)p[2]) ||
			    !isxdigit((unsigned char)p[3]) ||
			    !isxdigit((unsigned char)p[4]))
				return NULL;
			p += 4;
		}
	}
	return NULL;
}

/* Past the value at @p (after whitespace), or NULL if malformed. */
static const char *json_value(const char *p, const char *end, int depth)
{
	const char *q;
	char close;

	p = json_ws(p, end);
	if (p >= end || depth > QMP_DEPTH_MAX)
		return NULL;
	if (*p == '"')
		return json_string(p, end);
	if (*p != '{' && *p != '[') {
		for (q = p; q < end && (isalnum((unsigned char)*q) ||
					*q == '-' || *q == '+' || *q == '.'); q++)
			;
		return q > p ? q : NULL;
	}
	close = *p == '{' ? '}' : ']';
	p = json_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(json_ws(p, end), end);
			if (!p)
				return NULL;
			p = json_ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p++;
		}
		p = json_value(p, end, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p++;
	}
}

/* A well-formed object from @p to @end (whitespace aside). */
static bool json_valid_object(const char *p, const char *end)
{
	p = json_ws(p, end);
	if (p >= end || *p != '{')
		return false;
	p = json_value(p, end, 0);
	return p && json_ws(p, end) == end;
}

/*
 * The value of member @key of the well-formed object at @obj: *@val at
 * its first byte, *@val_end past it.  Keys are compared byte for byte
 * (QEMU's keys have no escapes).
 */
static bool json_member(const char *obj, const char *end, const char *key,
			const char **val, const char **val_end)
{
	size_t klen = strlen(key);
	const char *p = json_ws(obj, end), *k;
	bool match;

	if (p >= end || *p != '{')
		return false;
	p = json_ws(p + 1, end);
	while (p < end && *p == '"') {
		k = p;
		p = json_string(p, end);
		if (!p)
			return false;
		/* k + 1 .. p - 1 is the key's text. */
		match = (size_t)(p - k - 2) == klen && !memcmp(k + 1, key, klen);

		p = json_ws(p, end);
		if (p >= end || *p != ':')
			return false;
		p = json_ws(p + 1, end);
		k = json_value(p, end, 1);
		if (!k)
			return false;
		if (match) {
			*val = p;
			*val_end = k;
			return true;
		}
		p = json_ws(k, end);
		if (p >= end || *p != ',')
			return false;
		p = json_ws(p + 1, end);
	}
	return false;
}

/*
 * The string value at @p as printable text in @out (escapes decoded
 * roughly, anything unprintable as '?').  False if not a string.
 */
static bool json_text(const char *p, const char *end, char *out, size_t size)
{
	size_t n = 0;

	if (!size || p >= end || *p != '"' || !json_string(p, end))
		return false;
	for (p++; p < end && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			c = *++p;
			if (c == 'u') {
				p += 4;		/* json_string() checked them */
				c = '?';
			} else if (c == 'n' || c == 't' || c == 'r' ||
				   c == 'b' || c == 'f') {
				c = ' ';
			}
		}
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			c = '?';
		if (n + 1 < size)
			out[n++] = c;
	}
	out[n] = 0;
	return true;
}

/* QMP */

/* A failure of the best-effort "cont" after a failed freeze is not the news. */
#define qmp_warn(f, fmt, ...)						\
	bpfpoke_pr((f)->quiet ? BPFPOKE_INFO : BPFPOKE_WARN,		\
		   "libbpfpoke: " fmt, ##__VA_ARGS__)

static int qmp_send(struct bpfpoke_freezer *f, const char *cmd,
		    long long deadline)
{
	size_t len = strlen(cmd);

	while (len) {
		ssize_t n = send(f->fd, cmd, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
			int r = poll(&pfd, 1, ms_left(deadline));

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
static int qmp_next(struct bpfpoke_freezer *f, long long deadline,
		    const char **msg, size_t *len)
{
	int err = 0;

	if (f->consumed) {
		memmove(f->buf, f->buf + f->consumed, f->len - f->consumed);
		f->len -= f->consumed;
		f->scan = 0;
		f->consumed = 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		ssize_t n;
		int r;

		while (f->scan < f->len) {
			char c = f->buf[f->scan++];

			if (!f->depth) {
				char *nl;

				if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
					continue;
				if (c == '{') {
					f->obj = f->scan - 1;
					f->depth = 1;
					f->in_str = f->esc = false;
					continue;
				}
				/* Not JSON: drop the rest of the line. */
				nl = memchr(f->buf + f->scan, '\n', f->len - f->scan);
				f->consumed = nl ? (size_t)(nl + 1 - f->buf) : f->len;
				return -EPROTO;
			}
			if (f->in_str) {
				if (f->esc)
					f->esc = false;
				else if (c == '\\')
					f->esc = true;
				else if (c == '"')
					f->in_str = false;
				continue;
			}
			if (c == '"') {
				f->in_str = true;
			} else if (c == '{' || c == '[') {
				/* Count on, but never return this object. */
				if (++f->depth > QMP_DEPTH_MAX && !f->skip) {
					f->skip = true;
					err = -EPROTO;
				}
			} else if (c == '}' || c == ']') {
				if (--f->depth)
					continue;
				if (f->skip) {
					f->skip = false;
					f->consumed = f->scan;
					return err ? err : -EMSGSIZE;
				}
				*msg = f->buf + f->obj;
				*len = f->scan - f->obj;
				f->consumed = f->scan;
				return 0;
			}
		}
		/* Keep only the object begun, at the start of the buffer. */
		if (!f->depth || f->skip) {
			f->len = f->scan = f->obj = 0;
		} else if (f->obj) {
			memmove(f->buf, f->buf + f->obj, f->len - f->obj);
			f->len -= f->obj;
			f->scan -= f->obj;
			f->obj = 0;
		}
		/* Too long: skip to its end, then report it. */
		if (f->len == QMP_MSG_MAX) {
			f->skip = true;
			f->len = f->scan = 0;
		}

		r = poll(&pfd, 1, ms_left(deadline));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0) {
			if (now_ms() >= deadline)
				return err ? err : f->skip ? -EMSGSIZE : -ETIMEDOUT;
			continue;
		}
		n = read(f->fd, f->buf + f->len, QMP_MSG_MAX - f->len);
		if (n == 0)
			return err ? err : f->skip ? -EMSGSIZE : -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		f->len += n;
	}
}

/* Why reading from QEMU failed, for "QMP x failed: <why>". */
static const char *qmp_io_why(const struct bpfpoke_freezer *f, int err,
			      char *buf, size_t size)
{
	switch (err) {
	case -ETIMEDOUT:
		snprintf(buf, size, "no reply within %u ms", f->timeout_ms);
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
 * replies to other ids.  0 with the "return" value in *@ret..*@ret_end
 * (valid until the next QMP call); -EIO when QEMU answered with an
 * error; the errors of qmp_send() and qmp_next().  Every failure is
 * logged as "QMP NAME failed: ...".
 */
static int qmp_exec(struct bpfpoke_freezer *f, const char *name,
		    const char **ret, const char **ret_end)
{
	long long deadline = now_ms() + f->timeout_ms;
	char cmd[128], id[16], why[QMP_DESC_MAX];
	const char *msg, *end, *v, *vend;
	size_t len;
	int err;

	if (f->signal_thawed) {
		qmp_warn(f, "QMP %s failed: a signal thawed the VM; open a new freezer\n",
			name);
		return -ECANCELED;
	}
	snprintf(id, sizeof(id), "%u", ++f->next_id);
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"%s\", \"id\": %s}\r\n",
		 name, id);
	err = qmp_send(f, cmd, deadline);
	if (err) {
		qmp_warn(f, "QMP %s failed: %s\n", name,
			err == -ECONNRESET ? "QEMU closed the connection" :
			err == -ETIMEDOUT ? "cannot send" : strerror(-err));
		return err;
	}
	for (;;) {
		err = qmp_next(f, deadline, &msg, &len);
		if (err) {
			qmp_warn(f, "QMP %s failed: %s\n", name,
				qmp_io_why(f, err, why, sizeof(why)));
			return err;
		}
		end = msg + len;
		if (!json_valid_object(msg, end)) {
			qmp_warn(f, "QMP %s failed: malformed JSON from QEMU\n", name);
			return -EPROTO;
		}
		if (json_member(msg, end, "event", &v, &vend))
			continue;
		/* Replies carry our id; QEMU omits it only if it could not parse ours. */
		if (json_member(msg, end, "id", &v, &vend) &&
		    ((size_t)(vend - v) != strlen(id) || memcmp(v, id, vend - v)))
			continue;
		if (json_member(msg, end, "return", ret, ret_end))
			return 0;
		if (json_member(msg, end, "error", &v, &vend)) {
			const char *d, *dend;

			if (!json_member(v, vend, "desc", &d, &dend) ||
			    !json_text(d, dend, why, sizeof(why)))
				snprintf(why, sizeof(why), "error without a description");
			qmp_warn(f, "QMP %s failed: %s\n", name, why);
			return -EIO;
		}
		qmp_warn(f, "QMP %s failed: unexpected reply from QEMU\n", name);
		return -EPROTO;
	}
}

/* query-status: the status string into @status. */
static int qmp_status(struct bpfpoke_freezer *f, char *status, size_t size)
{
	const char *ret, *ret_end, *v, *vend;
	int err;

	err = qmp_exec(f, "query-status", &ret, &ret_end);
	if (err)
		return err;
	if (!json_member(ret, ret_end, "status", &v, &vend) ||
	    !json_text(v, vend, status, size)) {
		qmp_warn(f, "QMP query-status failed: no status in the reply\n");
		return -EPROTO;
	}
	return 0;
}

static int qmp_open(struct bpfpoke_freezer *f, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *msg, *end, *v, *vend;
	char why[QMP_DESC_MAX];
	long long deadline;
	size_t len;
	int err;

	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		pr_warn("QMP socket path '%s' is %s\n", path,
			*path ? "too long" : "empty");
		return *path ? -ENAMETOOLONG : -EINVAL;
	}
	strcpy(sun.sun_path, path);
	f->buf = malloc(QMP_MSG_MAX);
	if (!f->buf)
		return -ENOMEM;
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (f->fd < 0)
		return -errno;
	deadline = now_ms() + f->timeout_ms;
	if (connect(f->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
		socklen_t elen = sizeof(err);

		err = -errno;
		if (err == -EINPROGRESS) {
			err = poll(&pfd, 1, ms_left(deadline)) == 1 &&
			      !getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &elen) ?
			      -err : -ETIMEDOUT;
		}
		if (err) {
			pr_warn("cannot connect to QMP socket %s: %s\n", path,
				strerror(-err));
			return err;
		}
	}

	err = qmp_next(f, deadline, &msg, &len);
	if (!err) {
		end = msg + len;
		if (!json_valid_object(msg, end) ||
		    !json_member(msg, end, "QMP", &v, &vend) || *v != '{')
			err = -EPROTO;
	}
	if (err == -ETIMEDOUT) {
		pr_warn("QMP socket %s: no greeting within %u ms (is another client connected?)\n",
			path, f->timeout_ms);
		return err;
	}
	if (err == -EPROTO || err == -EMSGSIZE) {
		pr_warn("QMP socket %s: not a QMP greeting\n", path);
		return -EPROTO;
	}
	if (err) {
		pr_warn("QMP socket %s: %s\n", path, qmp_io_why(f, err, why, sizeof(why)));
		return err;
	}
	return qmp_exec(f, "qmp_capabilities", &v, &vend);
}

static int qmp_thaw(struct bpfpoke_freezer *f)
{
	const char *v, *vend;

	return qmp_exec(f, "cont", &v, &vend);
}

static int qmp_freeze(struct bpfpoke_freezer *f)
{
	char status[QMP_STATUS_MAX];
	const char *v, *vend;
	int err;

	err = qmp_status(f, status, sizeof(status));
	if (err)
		return err;
	if (strcmp(status, "running")) {
		pr_info("the VM's status is '%s', not running: left as it is\n",
			status);
		return 0;
	}
	err = register_signals(f);
	if (err)
		return err;
	/* Armed first: a signal from here on continues it. */
	f->armed = 1;
	err = qmp_exec(f, "stop", &v, &vend);
	if (err == -EIO) {
		/* QEMU refused: nothing was stopped. */
		f->armed = 0;
		unregister_signals(f);
		return err;
	}
	if (!err)
		err = qmp_status(f, status, sizeof(status));
	if (!err && strcmp(status, "paused")) {
		pr_warn("the VM's status is '%s' after QMP stop, not 'paused'\n",
			status);
		/* Someone else changed it: not ours to continue. */
		f->armed = 0;
		err = -EBUSY;
	}
	if (err) {
		/* Stopped or not, it was running: best effort to run it. */
		if (f->armed && !f->signal_thawed) {
			f->quiet = true;
			qmp_thaw(f);
			f->quiet = false;
		}
		f->armed = 0;
		unregister_signals(f);
	}
	return err;
}

/* API */

static int parse_spec(struct bpfpoke_freezer *f, const char *spec,
		      const char **path)
{
	char *end;
	long pid;

	if (!strcmp(spec, "none")) {
		f->kind = FREEZER_NONE;
		return 0;
	}
	if (!strncmp(spec, "sigstop:", 8)) {
		errno = 0;
		pid = strtol(spec + 8, &end, 10);
		if (errno || *end || end == spec + 8 || pid <= 0 ||
		    pid > INT_MAX || !isdigit((unsigned char)spec[8]))
			goto bad;
		f->kind = FREEZER_SIGSTOP;
		f->pid = pid;
		return 0;
	}
	if (!strncmp(spec, "qmp:", 4) && spec[4]) {
		f->kind = FREEZER_QMP;
		*path = spec + 4;
		return 0;
	}
bad:
	pr_warn("freeze '%s': expected none, sigstop:PID or qmp:PATH\n", spec);
	return -EINVAL;
}

static int opts_get(const struct bpfpoke_freezer_opts *opts,
		    struct bpfpoke_freezer_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (!OPTS_VALID(opts, bpfpoke_freezer_opts))
		return -EINVAL;
	out->sz = sizeof(*out);
	out->timeout_ms = OPTS_GET(opts, timeout_ms, 0);
	out->flags = OPTS_GET(opts, flags, 0);
	if (out->flags & ~BPFPOKE_FREEZER_THAW_ON_SIGNAL)
		return -EINVAL;
	return 0;
}

struct bpfpoke_freezer *
bpfpoke_freezer_open(const char *spec, const struct bpfpoke_freezer_opts *opts)
{
	struct bpfpoke_freezer_opts o;
	struct bpfpoke_freezer *f;
	const char *path = NULL;
	int err;

	err = opts_get(opts, &o);
	if (err || !spec) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->fd = -1;
	f->flags = o.flags;
	f->timeout_ms = o.timeout_ms ? o.timeout_ms : DEFAULT_TIMEOUT_MS;
	err = parse_spec(f, spec, &path);
	if (!err && f->kind == FREEZER_SIGSTOP && kill(f->pid, 0)) {
		err = -errno;
		pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-err));
	}
	if (!err && f->kind == FREEZER_QMP)
		err = qmp_open(f, path);
	if (err) {
		bpfpoke_freezer_close(f);
		errno = -err;
		return NULL;
	}
	return f;
}

int bpfpoke_freeze(struct bpfpoke_freezer *f)
{
	int err = 0;

	if (!f)
		return bpfpoke_err(-EINVAL);
	if (f->frozen)
		return bpfpoke_err(-EALREADY);
	if (f->signal_thawed) {
		pr_warn("a signal thawed the VM; open a new freezer\n");
		return bpfpoke_err(-ECANCELED);
	}
	if (f->kind == FREEZER_SIGSTOP)
		err = sigstop_freeze(f);
	else if (f->kind == FREEZER_QMP)
		err = qmp_freeze(f);
	if (!err)
		f->frozen = true;
	return bpfpoke_err(err);
}

int bpfpoke_thaw(struct bpfpoke_freezer *f)
{
	int err = 0;

	if (!f)
		return bpfpoke_err(-EINVAL);
	if (!f->frozen)
		return 0;
	if (f->armed) {
		if (f->kind == FREEZER_SIGSTOP)
			err = sigstop_thaw(f);
		else if (f->kind == FREEZER_QMP)
			err = qmp_thaw(f);
		/* A signal may have thawed it meanwhile: that is a success. */
		if (err && f->signal_thawed)
			err = 0;
		if (err)
			return bpfpoke_err(err);
		f->armed = 0;
	}
	unregister_signals(f);
	f->frozen = false;
	return 0;
}

void bpfpoke_freezer_close(struct bpfpoke_freezer *f)
{
	if (!f)
		return;
	if (f->frozen)
		bpfpoke_thaw(f);
	f->armed = 0;
	unregister_signals(f);
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f);
}
