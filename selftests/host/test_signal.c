// SPDX-License-Identifier: GPL-2.0
/*
 * The signal frame and its delivery: exact wire bytes, a parser that
 * resynchronises on garbage and partial frames, and host -> guest delivery
 * with acknowledgement over a pty and over a UNIX socket (what QEMU's
 * -chardev socket gives), including a frame sent before the guest reads,
 * WRITE_FAILED, timeouts, duplicate suppression and the compat byte.  The
 * guest side is guest/lib, built here for the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "bpfpoke.h"
#include "../../agent/lib/signal_frame.h"
#include "../../guest/lib/bpfpoke_guest.h"

static const __u8 done_7[16] = {
	'B', 'P', 'F', 'K', 1, 1, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,
};

TEST(frame_wire_bytes)
{
	struct bpfpoke_signal sig = { .type = BPFPOKE_SIGNAL_WRITE_FAILED,
				      .seq = 0x11223344, .status = -2 };
	const __u8 want[16] = {
		'B', 'P', 'F', 'K', 1, 2, 0, 0, 0x44, 0x33, 0x22, 0x11,
		0xfe, 0xff, 0xff, 0xff,
	};
	struct bpfpoke_signal back;
	__u8 out[16];

	bpfpoke_signal_encode(&sig, out);
	EXPECT_EQ(0, memcmp(out, want, 16));
	ASSERT_EQ(0, bpfpoke_signal_decode(out, &back));
	EXPECT_EQ(BPFPOKE_SIGNAL_WRITE_FAILED, back.type);
	EXPECT_EQ(0x11223344, back.seq);
	EXPECT_EQ(-2, back.status);
	EXPECT_EQ(16, sizeof(struct bpfpoke_signal_frame));
}

TEST(frame_decode_rejects)
{
	struct bpfpoke_signal sig;
	__u8 f[16];

	memcpy(f, done_7, 16);
	f[0] = 'b';
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	memcpy(f, done_7, 16);
	f[4] = 2;	/* version */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	memcpy(f, done_7, 16);
	f[5] = 0;	/* type */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	f[5] = 4;
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	memcpy(f, done_7, 16);
	f[7] = 0x80;	/* flags */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	memcpy(f, done_7, 16);
	f[8] = 0;	/* seq 0 */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	memcpy(f, done_7, 16);
	f[12] = 1;	/* WRITE_DONE with a status */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	f[5] = BPFPOKE_SIGNAL_WRITE_FAILED;	/* positive status */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	f[12] = 0;	/* status 0 */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
	memset(f + 12, 0xff, 4);	/* -1 */
	EXPECT_EQ(0, bpfpoke_signal_decode(f, &sig));
	f[13] = 0xe0;			/* -8193: not an errno */
	EXPECT_EQ(-EINVAL, bpfpoke_signal_decode(f, &sig));
}

/* Feeds @len bytes in pieces of @step; collects frame seqs and compat hits. */
static int parse_all(const __u8 *data, size_t len, size_t step, bool compat,
		     __u32 *seqs, int max, int *compats)
{
	struct bpfpoke_signal_parser p;
	size_t off = 0;
	int n = 0;

	bpfpoke_signal_parser_init(&p, compat);
	*compats = 0;
	while (off < len) {
		size_t piece = len - off < step ? len - off : step;
		size_t used = 0;

		while (used < piece) {
			enum bpfpoke_signal_event ev;
			struct bpfpoke_signal sig;

			used += bpfpoke_signal_parse(&p, data + off + used,
						     piece - used, &ev, &sig);
			if (ev == BPFPOKE_SIGNAL_EV_FRAME && n < max)
				seqs[n++] = sig.seq;
			if (ev == BPFPOKE_SIGNAL_EV_COMPAT)
				(*compats)++;
		}
		off += piece;
	}
	/* What is left in the replay buffer is looked at on the next call. */
	for (;;) {
		enum bpfpoke_signal_event ev;
		struct bpfpoke_signal sig;

		bpfpoke_signal_parse(&p, NULL, 0, &ev, &sig);
		if (ev == BPFPOKE_SIGNAL_EV_NONE)
			break;
		if (ev == BPFPOKE_SIGNAL_EV_FRAME && n < max)
			seqs[n++] = sig.seq;
		if (ev == BPFPOKE_SIGNAL_EV_COMPAT)
			(*compats)++;
	}
	return n;
}

static size_t put_frame(__u8 *out, __u32 seq)
{
	struct bpfpoke_signal sig = { .type = BPFPOKE_SIGNAL_WRITE_DONE, .seq = seq };

	bpfpoke_signal_encode(&sig, out);
	return 16;
}

TEST(parser_resyncs)
{
	__u8 buf[256];
	__u32 seqs[8];
	size_t len = 0, step;
	int compats, n;

	/* Garbage, a false start, half a frame, then whole frames. */
	memcpy(buf + len, "xyz", 3);
	len += 3;
	memcpy(buf + len, "BPFx", 4);
	len += 4;
	put_frame(buf + len, 99);
	len += 10;		/* cut after 10 bytes */
	len += put_frame(buf + len, 1);
	buf[len++] = 'B';
	buf[len++] = 'B';
	len += put_frame(buf + len, 2);
	len += put_frame(buf + len, 3);
	for (step = 1; step <= 17; step += 4) {
		n = parse_all(buf, len, step, false, seqs, 8, &compats);
		ASSERT_EQ(3, n) TH_LOG("step %zu", step);
		EXPECT_EQ(1, seqs[0]);
		EXPECT_EQ(2, seqs[1]);
		EXPECT_EQ(3, seqs[2]);
		EXPECT_EQ(0, compats);
	}
}

TEST(parser_compat_byte)
{
	__u8 buf[64];
	__u32 seqs[4];
	size_t len = 0;
	int compats, n;

	buf[len++] = BPFPOKE_SIGNAL_COMPAT_BYTE;
	/* 0xbf inside a frame is data, not a signal. */
	len += put_frame(buf + len, 0xbfbfbfbf);
	buf[len++] = BPFPOKE_SIGNAL_COMPAT_BYTE;
	n = parse_all(buf, len, 3, true, seqs, 4, &compats);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0xbfbfbfbf, seqs[0]);
	EXPECT_EQ(2, compats);
	n = parse_all(buf, len, 3, false, seqs, 4, &compats);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, compats);
}

TEST(parser_random_garbage)
{
	unsigned int seed = 1, round;

	for (round = 0; round < 200; round++) {
		__u8 buf[4096];
		__u32 seqs[64];
		size_t len = 0;
		int i, compats, n, want = 0;

		while (len < sizeof(buf) - 64) {
			int g = rand_r(&seed) % 40, k;

			for (k = 0; k < g; k++)
				buf[len++] = rand_r(&seed);
			if (want < 64)
				len += put_frame(buf + len, 1000 + want++);
		}
		n = parse_all(buf, len, 1 + rand_r(&seed) % 50, false, seqs,
			      64, &compats);
		ASSERT_EQ(want, n) TH_LOG("round %u", round);
		for (i = 0; i < n; i++)
			EXPECT_EQ(1000 + i, seqs[i]);
	}
}

/* Every cut of a frame, followed by a whole frame: only the whole one. */
TEST(parser_cut_frames)
{
	struct bpfpoke_signal sig = { .type = BPFPOKE_SIGNAL_WRITE_FAILED,
				      .seq = 0x42504642, .status = -5 };
	__u8 buf[64], whole[16];
	__u32 seqs[4];
	size_t cut;
	int n, compats;

	bpfpoke_signal_encode(&sig, whole);
	for (cut = 1; cut < 16; cut++) {
		memcpy(buf, whole, cut);
		memcpy(buf + cut, done_7, 16);
		n = parse_all(buf, cut + 16, 1, true, seqs, 4, &compats);
		ASSERT_EQ(1, n) TH_LOG("cut %zu", cut);
		EXPECT_EQ(7, seqs[0]) TH_LOG("cut %zu", cut);
	}
}

struct guest_thread {
	int fd;			/* guest end, or -1 to accept on @listen_fd */
	int listen_fd;
	const char *state;
	int delay_ms;
	int timeout_ms;
	bool no_compat;
	int ret;
	struct bpfpoke_guest_signal sig;
};

static void *guest_main(void *arg)
{
	struct guest_thread *t = arg;
	struct bpfpoke_guest_opts opts = {
		.sz = sizeof(opts), .state = t->state, .no_compat = t->no_compat,
	};
	struct bpfpoke_guest *g;
	int fd = t->fd;

	usleep(t->delay_ms * 1000);
	if (fd < 0)
		fd = accept(t->listen_fd, NULL, NULL);
	g = bpfpoke_guest_open_fd(fd, "test", &opts);
	if (!g) {
		t->ret = -errno;
		return NULL;
	}
	t->ret = bpfpoke_guest_wait(g, t->timeout_ms, &t->sig);
	/* Answer resent copies for a moment, as a guest would. */
	if (!t->ret) {
		struct bpfpoke_guest_signal more;

		bpfpoke_guest_wait(g, 300, &more);
	}
	bpfpoke_guest_close(g);
	return NULL;
}

/*
 * The port between host and guest: a pty (what hvc0 and pty chardevs are;
 * the tty is put in raw mode) or a socket pair (what a UNIX socket chardev
 * is).  Machines without /dev/pts (a bare chroot) skip the pty variant.
 */
FIXTURE(port) {
	int master;	/* host end */
	int spare;	/* a second handle on the guest end */
	char state[64];
	struct guest_thread t;
};

FIXTURE_VARIANT(port) {
	bool pty;
};

FIXTURE_VARIANT_ADD(port, pty) { .pty = true };
FIXTURE_VARIANT_ADD(port, socketpair) { .pty = false };

FIXTURE_SETUP(port)
{
	int guest = -1, sv[2];

	self->master = -1;
	self->spare = -1;
	if (variant->pty) {
		self->master = posix_openpt(O_RDWR | O_NOCTTY);
		if (self->master >= 0 && !grantpt(self->master) &&
		    !unlockpt(self->master))
			guest = open(ptsname(self->master), O_RDWR | O_NOCTTY);
		if (guest < 0) {
			if (self->master >= 0)
				close(self->master);
			self->master = -1;
			SKIP(return, "no pty here (/dev/pts): %s", strerror(errno));
		}
	} else {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		self->master = sv[0];
		guest = sv[1];
	}
	self->spare = dup(guest);
	ASSERT_LE(0, self->spare);
	strcpy(self->state, "/tmp/bpfpoke-test-seq.XXXXXX");
	close(mkstemp(self->state));
	memset(&self->t, 0, sizeof(self->t));
	self->t.fd = guest;
	self->t.state = self->state;
	self->t.timeout_ms = 5000;
}

FIXTURE_TEARDOWN(port)
{
	if (self->master < 0)
		return;
	unlink(self->state);
	if (self->spare >= 0)
		close(self->spare);
}

/* A skip in FIXTURE_SETUP does not stop the test body. */
#define REQUIRE_PORT() do {						\
	if (self->master < 0)						\
		SKIP(return, "no port");				\
} while (0)

static struct bpfpoke_signaller *host_end(int fd, unsigned int timeout_ms,
					  bool compat)
{
	struct bpfpoke_signal_opts opts = {
		.sz = sizeof(opts), .timeout_ms = timeout_ms, .resend_ms = 50,
		.compat = compat,
	};
	struct termios t;

	/* The host end of a pty is raw too: frames are bytes, not lines. */
	if (isatty(fd) && !tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return bpfpoke_signaller_from_fd(fd, &opts);
}

TEST_F(port, done_is_acknowledged)
{
	struct bpfpoke_signaller *s;
	pthread_t th;
	__u32 seq;

	REQUIRE_PORT();
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &self->t));
	s = host_end(self->master, 5000, false);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, bpfpoke_signaller_send(s, false, 0, &seq));
	pthread_join(th, NULL);
	EXPECT_EQ(0, self->t.ret);
	EXPECT_FALSE(self->t.sig.failed);
	EXPECT_FALSE(self->t.sig.compat);
	EXPECT_EQ(seq, self->t.sig.seq);
	bpfpoke_signaller_close(s);
}

TEST_F(port, failed_carries_errno)
{
	struct bpfpoke_signaller *s;
	pthread_t th;

	REQUIRE_PORT();
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &self->t));
	s = host_end(self->master, 5000, false);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, bpfpoke_signaller_send(s, true, -ENOENT, NULL));
	pthread_join(th, NULL);
	EXPECT_EQ(0, self->t.ret);
	EXPECT_TRUE(self->t.sig.failed);
	EXPECT_EQ(-ENOENT, self->t.sig.status);
	/* Nonsense combinations are refused. */
	EXPECT_EQ(-EINVAL, bpfpoke_signaller_send(s, true, 0, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_signaller_send(s, false, -EIO, NULL));
	bpfpoke_signaller_close(s);
}

TEST_F(port, sent_before_the_guest_reads)
{
	struct bpfpoke_signaller *s;
	pthread_t th;

	REQUIRE_PORT();
	self->t.delay_ms = 600;
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &self->t));
	s = host_end(self->master, 5000, false);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, bpfpoke_signaller_send(s, false, 0, NULL));
	pthread_join(th, NULL);
	EXPECT_EQ(0, self->t.ret);
	bpfpoke_signaller_close(s);
}

TEST_F(port, no_guest_times_out)
{
	struct bpfpoke_signaller *s;

	REQUIRE_PORT();
	s = host_end(self->master, 300, false);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-ETIMEDOUT, bpfpoke_signaller_send(s, false, 0, NULL));
	EXPECT_EQ(ETIMEDOUT, errno);
	bpfpoke_signaller_close(s);
	close(self->t.fd);
}

TEST_F(port, duplicate_not_acted_on_twice)
{
	__u8 garbage[] = "noise\nBPF";
	struct bpfpoke_signal_frame f;
	pthread_t th;

	REQUIRE_PORT();
	/* The same frame twice with garbage around: one signal. */
	memcpy(&f, done_7, 16);
	ASSERT_EQ(sizeof(garbage), write(self->master, garbage, sizeof(garbage)));
	ASSERT_EQ(16, write(self->master, &f, 16));
	ASSERT_EQ(16, write(self->master, &f, 16));
	self->t.timeout_ms = 2000;
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &self->t));
	pthread_join(th, NULL);
	ASSERT_EQ(0, self->t.ret);
	EXPECT_EQ(7, self->t.sig.seq);

	/* A later wait, a new process in real life, ignores a third copy. */
	{
		struct bpfpoke_guest_opts opts = { .sz = sizeof(opts), .state = self->state };
		struct bpfpoke_guest_signal sig;
		struct bpfpoke_guest *g;
		int again = self->spare;

		self->spare = -1;
		ASSERT_EQ(16, write(self->master, &f, 16));
		g = bpfpoke_guest_open_fd(again, "again", &opts);
		ASSERT_NE(NULL, g);
		EXPECT_EQ(-ETIMEDOUT, bpfpoke_guest_wait(g, 500, &sig));
		bpfpoke_guest_close(g);
	}
}

TEST_F(port, compat_byte)
{
	struct bpfpoke_signaller *s;
	pthread_t th;

	REQUIRE_PORT();
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &self->t));
	s = host_end(self->master, 5000, true);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, bpfpoke_signaller_send(s, false, 0, NULL));
	pthread_join(th, NULL);
	EXPECT_EQ(0, self->t.ret);
	EXPECT_TRUE(self->t.sig.compat);
	bpfpoke_signaller_close(s);
}

TEST_F(port, compat_byte_refused)
{
	struct bpfpoke_signaller *s;
	pthread_t th;

	REQUIRE_PORT();
	self->t.no_compat = true;
	self->t.timeout_ms = 500;
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &self->t));
	s = host_end(self->master, 5000, true);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, bpfpoke_signaller_send(s, false, 0, NULL));
	pthread_join(th, NULL);
	EXPECT_EQ(-ETIMEDOUT, self->t.ret);
	bpfpoke_signaller_close(s);
}

/*
 * QEMU's -chardev socket,server=on: the host agent connects as a client.
 * A listener that accepts nobody (its backlog full) fails the open with
 * ETIMEDOUT after timeout_ms instead of blocking in connect(); one that
 * accepts works.
 */
TEST(unix_listener_busy)
{
	char dir[] = "/tmp/bpfpoke-sig.XXXXXX", spec[128];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct bpfpoke_signal_opts o = { .sz = sizeof(o), .timeout_ms = 300 };
	struct bpfpoke_signaller *s;
	int lfd, cfd[8], n = 0, i;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	snprintf(spec, sizeof(spec), "unix:%s", sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_EQ(0, listen(lfd, 0));
	/* Fill the backlog: non-blocking connects until one is refused. */
	for (i = 0; i < 8; i++) {
		cfd[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ASSERT_LE(0, cfd[n]);
		if (connect(cfd[n], (struct sockaddr *)&sun, sizeof(sun))) {
			ASSERT_EQ(EAGAIN, errno);
			close(cfd[n]);
			break;
		}
		n++;
	}
	ASSERT_LT(i, 8);
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_signaller_open(spec, &o));
	EXPECT_EQ(ETIMEDOUT, errno);
	/* Room again: it connects, and writes block as before. */
	for (i = 0; i < n; i++)
		close(accept(lfd, NULL, NULL));
	s = bpfpoke_signaller_open(spec, &o);
	ASSERT_NE(NULL, s) TH_LOG("%s", strerror(errno));
	bpfpoke_signaller_close(s);
	for (i = 0; i < n; i++)
		close(cfd[i]);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(dir);
}

/*
 * An older caller's opts: only its first @sz bytes are read.  Everything
 * past sz is 0xff here (compat would read as true, timeouts as huge): the
 * signaller must still send a frame, which the closed peer refuses.
 */
TEST(opts_older_caller)
{
	struct bpfpoke_signal_opts o;
	struct bpfpoke_signaller *s;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	memset(&o, 0xff, sizeof(o));
	o.sz = sizeof(size_t);
	s = bpfpoke_signaller_from_fd(sv[0], &o);
	ASSERT_NE(NULL, s);
	close(sv[1]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(-EPIPE, bpfpoke_signaller_send(s, true, -EIO, NULL));
	bpfpoke_signaller_close(s);
	signal(SIGPIPE, SIG_DFL);
}

/* A newer caller's opts: unknown bytes must be zero (EINVAL, as elsewhere). */
TEST(opts_newer_caller)
{
	struct {
		struct bpfpoke_signal_opts o;
		char extra[8];
	} big;
	struct bpfpoke_signaller *s;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	s = bpfpoke_signaller_from_fd(sv[0], &big.o);
	ASSERT_NE(NULL, s);
	bpfpoke_signaller_close(s);
	big.extra[5] = 1;
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_signaller_from_fd(sv[1], &big.o));
	EXPECT_EQ(EINVAL, errno);
	big.o.sz = 4;
	big.extra[5] = 0;
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_signaller_from_fd(sv[1], &big.o));
	EXPECT_EQ(EINVAL, errno);
	close(sv[1]);
}

/* The guest library's options: the same convention as libbpfpoke's. */
TEST(guest_opts_convention)
{
	char state[] = "/tmp/bpfpoke-guest-opts.XXXXXX";
	struct {
		struct bpfpoke_guest_opts o;
		char extra[8];
	} big;
	struct bpfpoke_guest *g;
	int sv[2], fd;

	fd = mkstemp(state);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* An older caller's struct without state and no_compat: defaults. */
	memset(&big, 0xff, sizeof(big));
	big.o.sz = offsetof(struct bpfpoke_guest_opts, state);
	big.o.port = NULL;
	g = bpfpoke_guest_open_fd(dup(sv[0]), "older", &big.o);
	ASSERT_NE(NULL, g);
	bpfpoke_guest_close(g);
	/* A newer caller's: fine while the unknown bytes are zero. */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.state = state;
	g = bpfpoke_guest_open_fd(dup(sv[0]), "newer", &big.o);
	ASSERT_NE(NULL, g);
	bpfpoke_guest_close(g);
	big.extra[3] = 1;
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_guest_open_fd(sv[0], "newer", &big.o));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_guest_open(&big.o));
	EXPECT_EQ(EINVAL, errno);
	big.extra[3] = 0;
	big.o.sz = 4;
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_guest_open_fd(sv[0], "short", &big.o));
	EXPECT_EQ(EINVAL, errno);
	close(sv[0]);
	close(sv[1]);
	unlink(state);
}

TEST(unix_socket)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct bpfpoke_signal_opts opts = { .sz = sizeof(opts), .resend_ms = 50 };
	char dir[] = "/tmp/bpfpoke-sock.XXXXXX", spec[128], state[128];
	struct guest_thread t = { .fd = -1, .timeout_ms = 5000 };
	struct bpfpoke_signaller *s;
	pthread_t th;
	int lfd;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sig.sock", dir);
	snprintf(state, sizeof(state), "%s/seq", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_EQ(0, listen(lfd, 1));
	t.listen_fd = lfd;
	t.state = state;
	t.delay_ms = 200;
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_main, &t));

	snprintf(spec, sizeof(spec), "unix:%s", sun.sun_path);
	s = bpfpoke_signaller_open(spec, &opts);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, bpfpoke_signaller_send(s, false, 0, NULL));
	pthread_join(th, NULL);
	EXPECT_EQ(0, t.ret);
	bpfpoke_signaller_close(s);

	/* Bad specs and missing endpoints. */
	EXPECT_EQ(NULL, bpfpoke_signaller_open("tcp:1.2.3.4", NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_signaller_open("unix:", NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_signaller_open("unix:/nonexistent/sock", NULL));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(NULL, bpfpoke_signaller_open("file:/nonexistent/port", NULL));
	EXPECT_EQ(ENOENT, errno);
	close(lfd);
	unlink(sun.sun_path);
	unlink(state);
	rmdir(dir);
}

/*
 * A port with no host on the other end reads 0 at once, as virtio-console
 * does until QEMU's socket has a client: here a FIFO with no writer.  The
 * wait must sleep until the host comes (not spin, not nap past its frame),
 * then take the frame.  The FIFO is read-only, so the guest's ack fails,
 * which the wait ignores (the host would resend).
 */
struct late_host {
	const char *path;
	int delay_ms;
};

static void *late_host_main(void *arg)
{
	struct late_host *h = arg;
	__u8 frame[BPFPOKE_SIGNAL_FRAME_LEN];
	struct bpfpoke_signal sig = {
		.type = BPFPOKE_SIGNAL_WRITE_DONE, .seq = 0x5eed,
	};
	int fd;

	usleep(h->delay_ms * 1000);
	fd = open(h->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	bpfpoke_signal_encode(&sig, frame);
	if (write(fd, frame, sizeof(frame)) != sizeof(frame))
		perror("late_host: write");
	close(fd);
	return NULL;
}

TEST(host_connects_later)
{
	struct bpfpoke_guest_opts opts = { .sz = sizeof(opts), .state = "" };
	char dir[] = "/tmp/bpfpoke-fifo.XXXXXX", path[128];
	struct late_host h = { .path = path, .delay_ms = 500 };
	struct bpfpoke_guest_signal sig;
	struct timespec c0, c1;
	struct bpfpoke_guest *g;
	pthread_t th;
	double cpu_ms;
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/port", dir);
	ASSERT_EQ(0, mkfifo(path, 0600));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	g = bpfpoke_guest_open_fd(fd, path, &opts);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, pthread_create(&th, NULL, late_host_main, &h));

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	EXPECT_EQ(0, bpfpoke_guest_wait(g, 10000, &sig));
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	pthread_join(th, NULL);
	EXPECT_EQ(0x5eed, sig.seq);
	EXPECT_FALSE(sig.failed);
	/* Half a second with no host: a spinning wait burns most of it. */
	cpu_ms = (c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6;
	EXPECT_GT(100.0, cpu_ms)
		TH_LOG("the wait used %.1f ms of CPU while the host was away",
		       cpu_ms);
	bpfpoke_guest_close(g);
	unlink(path);
	rmdir(dir);
}

/* epoll cannot watch a regular file: refused at open, not at the wait. */
TEST(guest_port_regular_file)
{
	char path[] = "/tmp/bpfpoke-port.XXXXXX";
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	unlink(path);
	EXPECT_EQ(NULL, bpfpoke_guest_open_fd(fd, path, NULL));
	EXPECT_EQ(EPERM, errno);
	close(fd);
}

TEST_HARNESS_MAIN
