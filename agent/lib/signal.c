// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Telling the guest that a write landed: a frame on the guest's
 * virtio-console port (uapi/bpfpoke/signal.h), resent until the guest
 * acknowledges it or the timeout runs out.
 *
 * The host end of the port is whatever the VMM exposes: a UNIX socket
 * (QEMU -chardev socket, server), or a pty, FIFO or character device.  A
 * frame sent before the guest opened its port waits in the VMM's buffer or
 * is resent, so it still arrives; the guest acknowledges every copy and
 * acts on one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "signal_frame.h"

struct bpfpoke_signaller {
	int fd;
	bool compat;
	unsigned int timeout_ms;
	unsigned int resend_ms;
	struct bpfpoke_signal_parser parser;
};

#define DEFAULT_TIMEOUT_MS	10000
#define DEFAULT_RESEND_MS	200
#define CONNECT_RETRY_MS	5

/*
 * Connect within @timeout_ms.  A blocking connect() to a UNIX socket whose
 * listener does not accept (QEMU's chardev still busy with the last
 * client, its backlog full) would wait for ever; non-blocking, it fails
 * with EAGAIN at once, and is tried again every few milliseconds.
 */
static int open_unix(const char *path, unsigned int timeout_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long long deadline = bpfpoke_now_ms() + timeout_ms;
	int fd, err, fl;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		pr_warn("signal socket path '%s' is too long\n", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		if (err == -EINTR)
			continue;
		if (err == -EAGAIN && bpfpoke_now_ms() < deadline) {
			poll(NULL, 0, CONNECT_RETRY_MS);
			continue;
		}
		if (err == -EAGAIN)
			pr_warn("signal socket '%s' accepted no connection in %u ms\n",
				path, timeout_ms);
		else
			pr_warn("cannot connect to the signal socket '%s': %s\n",
				path, strerror(-err));
		close(fd);
		return err == -EAGAIN ? -ETIMEDOUT : err;
	}
	/* The rest of the signaller reads and writes blocking. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int open_file(const char *path)
{
	struct termios t;
	int fd, err;

	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open the signal port '%s': %s\n", path,
			strerror(-err));
		return err;
	}
	/* A pty or serial line must pass the frame's bytes untouched. */
	if (isatty(fd) && !tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static int check_opts(const struct bpfpoke_signal_opts *opts)
{
	return OPTS_VALID(opts, bpfpoke_signal_opts) ? 0 : -EINVAL;
}

struct bpfpoke_signaller *
bpfpoke_signaller_from_fd(int fd, const struct bpfpoke_signal_opts *opts)
{
	struct bpfpoke_signaller *s;
	int err = check_opts(opts);

	if (err || fd < 0) {
		errno = err ? -err : EBADF;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	/* 0 means the default, for a field given as for one not given. */
	s->timeout_ms = OPTS_GET(opts, timeout_ms, 0) ? : DEFAULT_TIMEOUT_MS;
	s->resend_ms = OPTS_GET(opts, resend_ms, 0) ? : DEFAULT_RESEND_MS;
	s->compat = OPTS_GET(opts, compat, false);
	bpfpoke_signal_parser_init(&s->parser, false);
	return s;
}

struct bpfpoke_signaller *
bpfpoke_signaller_open(const char *spec, const struct bpfpoke_signal_opts *opts)
{
	struct bpfpoke_signaller *s;
	int fd, err;

	err = check_opts(opts);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (!spec) {
		errno = EINVAL;
		return NULL;
	}
	if (!strncmp(spec, "unix:", 5) && spec[5]) {
		fd = open_unix(spec + 5, OPTS_GET(opts, timeout_ms, 0) ? :
					 DEFAULT_TIMEOUT_MS);
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		fd = open_file(spec + 5);
	} else {
		pr_warn("signal '%s': expected unix:PATH or file:PATH\n", spec);
		errno = EINVAL;
		return NULL;
	}
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}

	s = bpfpoke_signaller_from_fd(fd, opts);
	if (!s) {
		err = errno;
		close(fd);
		errno = err;
	}
	return s;
}

void bpfpoke_signaller_close(struct bpfpoke_signaller *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		/* A socket whose peer left must not SIGPIPE the caller. */
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* A sequence number the guest has not seen from an earlier run. */
static __u32 new_seq(void)
{
	__u32 seq = 0;

	while (!seq)
		if (getrandom(&seq, sizeof(seq), 0) != sizeof(seq))
			seq = (__u32)bpfpoke_now_ms() ^ (__u32)getpid() << 16;
	return seq;
}

/* Reads what the guest sent; 1 when it acknowledged @seq. */
static int read_acks(struct bpfpoke_signaller *s, __u32 seq)
{
	char buf[256];
	ssize_t n;
	size_t off;

	n = read(s->fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	for (off = 0; off < (size_t)n; ) {
		enum bpfpoke_signal_event ev;
		struct bpfpoke_signal sig;

		off += bpfpoke_signal_parse(&s->parser, buf + off, n - off,
					    &ev, &sig);
		if (ev == BPFPOKE_SIGNAL_EV_FRAME &&
		    sig.type == BPFPOKE_SIGNAL_ACK && sig.seq == seq)
			return 1;
	}
	return 0;
}

int bpfpoke_signaller_send(struct bpfpoke_signaller *s, bool failed,
			   int status, __u32 *seq_out)
{
	__u8 frame[BPFPOKE_SIGNAL_FRAME_LEN];
	struct bpfpoke_signal sig;
	long long deadline, next;
	int err;

	if (!s || (failed && status >= 0) || (!failed && status))
		return bpfpoke_err(-EINVAL);

	if (s->compat) {
		__u8 b = BPFPOKE_SIGNAL_COMPAT_BYTE;

		/* The single byte carries no failure and gets no answer. */
		if (failed)
			return bpfpoke_err(0);
		return bpfpoke_err(write_all(s->fd, &b, 1));
	}

	sig.type = failed ? BPFPOKE_SIGNAL_WRITE_FAILED : BPFPOKE_SIGNAL_WRITE_DONE;
	sig.seq = new_seq();
	sig.status = status;
	if (seq_out)
		*seq_out = sig.seq;
	bpfpoke_signal_encode(&sig, frame);

	deadline = bpfpoke_now_ms() + s->timeout_ms;
	for (;;) {
		long long t = bpfpoke_now_ms();
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

		err = write_all(s->fd, frame, sizeof(frame));
		if (err) {
			pr_warn("sending the signal frame failed: %s\n",
				strerror(-err));
			return bpfpoke_err(err);
		}
		next = t + s->resend_ms;
		if (next > deadline)
			next = deadline;
		while ((t = bpfpoke_now_ms()) < next) {
			int r = poll(&pfd, 1, (int)(next - t));

			if (r < 0 && errno != EINTR)
				return bpfpoke_err(-errno);
			if (r <= 0)
				continue;
			if (pfd.revents & (POLLERR | POLLNVAL))
				return bpfpoke_err(-EIO);
			r = read_acks(s, sig.seq);
			if (r == 1)
				return 0;
			if (r == -ECONNRESET) {
				pr_warn("the signal port closed before the guest acknowledged\n");
				return bpfpoke_err(r);
			}
			if (r < 0)
				return bpfpoke_err(r);
		}
		if (bpfpoke_now_ms() >= deadline) {
			pr_warn("the guest did not acknowledge signal %#x within %u ms\n",
				sig.seq, s->timeout_ms);
			return bpfpoke_err(-ETIMEDOUT);
		}
	}
}
