// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Waiting for the host's signal: see bpfpoke_guest.h.
 *
 * The port may not be connected on the host side yet (QEMU's socket has no
 * client), in which case virtio-console reads return 0 at once and poll()
 * reports a hang-up at once: poll() cannot wait for the host to come.  The
 * wait is therefore edge-triggered epoll: the port's wait queue is woken
 * when the host connects or disconnects and when data arrives, so an
 * epoll_wait() after the read that said "no host" sleeps until one of
 * those, with no nap whose length the signal would pay when it lands
 * while the host's client has just connected.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bpfpoke_guest.h"
#include "clock.h"
#include "opts.h"
#include "signal_frame.h"

struct bpfpoke_guest {
	int fd;
	int epfd;		/* @fd, edge-triggered */
	char *port;
	char *state;
	__u32 last_seq;		/* acted on; 0: none */
	struct bpfpoke_signal_parser parser;
};

static int ret_err(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

static __u32 load_seq(const char *path)
{
	unsigned int seq = 0;
	FILE *f;

	if (!path || !*path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%x", &seq) != 1)
		seq = 0;
	fclose(f);
	return seq;
}

static void save_seq(const char *path, __u32 seq)
{
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "%08x\n", seq);
	fclose(f);
}

/* libbpf's convention (opts.h), as libbpfpoke checks its options. */
static bool opts_valid(const struct bpfpoke_guest_opts *opts)
{
	return !opts || !opts_bad_byte(opts, OPTS_KNOWN_SZ(bpfpoke_guest_opts));
}

struct bpfpoke_guest *bpfpoke_guest_open(const struct bpfpoke_guest_opts *opts)
{
	const char *port = OPTS_GET(opts, port, NULL);
	struct bpfpoke_guest *g;
	int fd, err;

	if (!opts_valid(opts)) {
		errno = EINVAL;
		return NULL;
	}
	if (!port) {
		port = BPFPOKE_SIGNAL_PORT;
		if (access(port, F_OK))
			port = BPFPOKE_SIGNAL_PORT_FALLBACK;
	}
	fd = open(port, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	g = bpfpoke_guest_open_fd(fd, port, opts);
	if (!g) {
		err = errno;
		close(fd);
		errno = err;
	}
	return g;
}

struct bpfpoke_guest *bpfpoke_guest_open_fd(int fd, const char *name,
					    const struct bpfpoke_guest_opts *opts)
{
	const char *state = OPTS_GET(opts, state, NULL);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct bpfpoke_guest *g;
	struct termios t;
	int fl, err;

	if (!opts_valid(opts)) {
		errno = EINVAL;
		return NULL;
	}
	if (!state)
		state = BPFPOKE_GUEST_STATE;
	/* hvc0 is a tty: no echo, no line discipline on the frame's bytes. */
	if (isatty(fd) && !tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	g->fd = fd;
	g->epfd = -1;
	g->port = strdup(name ? name : "fd");
	g->state = strdup(state);
	if (!g->port || !g->state) {
		errno = ENOMEM;
		goto err_free;
	}
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = fd;
	if (g->epfd < 0 || epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev))
		goto err_free;
	g->last_seq = load_seq(g->state);
	bpfpoke_signal_parser_init(&g->parser, !OPTS_GET(opts, no_compat, false));
	return g;

err_free:
	err = errno;
	if (g->epfd >= 0)
		close(g->epfd);
	free(g->port);
	free(g->state);
	free(g);
	errno = err;
	return NULL;
}

const char *bpfpoke_guest_port(const struct bpfpoke_guest *g)
{
	return g->port;
}

unsigned long bpfpoke_guest_skipped(const struct bpfpoke_guest *g)
{
	return g->parser.skipped;
}

void bpfpoke_guest_close(struct bpfpoke_guest *g)
{
	if (!g)
		return;
	close(g->epfd);
	close(g->fd);
	free(g->port);
	free(g->state);
	free(g);
}

static int ack(struct bpfpoke_guest *g, __u32 seq)
{
	__u8 frame[BPFPOKE_SIGNAL_FRAME_LEN];
	struct bpfpoke_signal sig = {
		.type = BPFPOKE_SIGNAL_ACK,
		.seq = seq,
	};
	struct pollfd pfd = { .fd = g->fd, .events = POLLOUT };
	size_t off = 0;

	bpfpoke_signal_encode(&sig, frame);
	while (off < sizeof(frame)) {
		ssize_t n = write(g->fd, frame + off, sizeof(frame) - off);

		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The host resends until it hears us: an ack may be lost. */
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (poll(&pfd, 1, 1000) <= 0)
			return -EAGAIN;
	}
	return 0;
}

/* 1 when @sig is filled, 0 to keep waiting, or -errno. */
static int handle(struct bpfpoke_guest *g, enum bpfpoke_signal_event ev,
		  const struct bpfpoke_signal *s, struct bpfpoke_guest_signal *sig)
{
	if (ev == BPFPOKE_SIGNAL_EV_COMPAT) {
		memset(sig, 0, sizeof(*sig));
		sig->compat = true;
		return 1;
	}
	if (ev != BPFPOKE_SIGNAL_EV_FRAME || s->type == BPFPOKE_SIGNAL_ACK)
		return 0;
	/* Acknowledge every copy, act on one. */
	ack(g, s->seq);
	if (s->seq == g->last_seq)
		return 0;
	g->last_seq = s->seq;
	save_seq(g->state, s->seq);
	memset(sig, 0, sizeof(*sig));
	sig->failed = s->type == BPFPOKE_SIGNAL_WRITE_FAILED;
	sig->seq = s->seq;
	sig->status = s->status;
	return 1;
}

int bpfpoke_guest_wait(struct bpfpoke_guest *g, int timeout_ms,
		       struct bpfpoke_guest_signal *sig)
{
	long long deadline = timeout_ms < 0 ? -1 : bpfpoke_now_ms() + timeout_ms;
	struct epoll_event ev;
	char buf[256];

	for (;;) {
		long long left;
		ssize_t n;
		size_t off;
		int r;

		/*
		 * Read until the port has nothing more (EAGAIN) or no host
		 * (0): only then is the edge-triggered wait sure to wake for
		 * what comes next.
		 */
		n = read(g->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return ret_err(-errno);
		for (off = 0; n > 0 && off < (size_t)n; ) {
			enum bpfpoke_signal_event e;
			struct bpfpoke_signal s;

			off += bpfpoke_signal_parse(&g->parser, buf + off,
						    n - off, &e, &s);
			r = handle(g, e, &s, sig);
			if (r)
				return ret_err(r < 0 ? r : 0);
		}
		if (n > 0)
			continue;

		left = deadline < 0 ? 1000 : deadline - bpfpoke_now_ms();
		if (left <= 0)
			return ret_err(-ETIMEDOUT);
		r = epoll_wait(g->epfd, &ev, 1, (int)(left < 1000 ? left : 1000));
		if (r < 0 && errno != EINTR)
			return ret_err(-errno);
	}
}
