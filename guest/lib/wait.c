// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Waiting for the host's signal: see bpfpoke_guest.h.
 *
 * The port may not be connected on the host side yet (QEMU's socket has no
 * client), in which case virtio-console reads return 0 at once and poll()
 * reports a hang-up; the wait then naps and tries again rather than spin.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bpfpoke_guest.h"
#include "clock.h"
#include "opts.h"
#include "signal_frame.h"

struct bpfpoke_guest {
	int fd;
	char *port;
	char *state;
	__u32 last_seq;		/* acted on; 0: none */
	struct bpfpoke_signal_parser parser;
};

#define NAP_MS	20

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
	struct bpfpoke_guest *g;
	struct termios t;
	int fl;

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
	if (!g)
		goto err_nomem;
	g->fd = fd;
	g->port = strdup(name ? name : "fd");
	g->state = strdup(state);
	if (!g->port || !g->state)
		goto err_free;
	g->last_seq = load_seq(g->state);
	bpfpoke_signal_parser_init(&g->parser, !OPTS_GET(opts, no_compat, false));
	return g;

err_free:
	free(g->port);
	free(g->state);
	free(g);
err_nomem:
	errno = ENOMEM;
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
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	char buf[256];

	for (;;) {
		long long left = deadline < 0 ? 1000 : deadline - bpfpoke_now_ms();
		ssize_t n;
		size_t off;
		int r;

		if (left <= 0)
			return ret_err(-ETIMEDOUT);
		r = poll(&pfd, 1, (int)(left < 1000 ? left : 1000));
		if (r < 0 && errno != EINTR)
			return ret_err(-errno);
		if (r <= 0)
			continue;
		n = read(g->fd, buf, sizeof(buf));
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return ret_err(-errno);
		if (n <= 0) {
			/* No host on the other end yet: nap, do not spin. */
			usleep(NAP_MS * 1000);
			continue;
		}
		for (off = 0; off < (size_t)n; ) {
			enum bpfpoke_signal_event ev;
			struct bpfpoke_signal s;

			off += bpfpoke_signal_parse(&g->parser, buf + off,
						    n - off, &ev, &s);
			r = handle(g, ev, &s, sig);
			if (r)
				return ret_err(r < 0 ? r : 0);
		}
	}
}
