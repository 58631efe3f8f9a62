// SPDX-License-Identifier: GPL-2.0
/*
 * Freezing the VMM around a write (agent/lib/freeze.c), through the
 * library:
 *  - qmp: against a real QEMU (TCG, no guest: -nodefaults, 64 MiB) with
 *    two QMP sockets, one for the freezer and one the test watches
 *    query-status on: freeze makes it "paused", thaw "running", a VM
 *    paused before (or never started) stays so, close thaws, a second
 *    client times out, and SIGTERM/SIGINT to a process that froze it
 *    leaves it running (and without BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL does
 *    not: the check can fail);
 *  - qmp against fake servers: a missing socket, a socket that does not
 *    speak QMP, events and stale replies between a command and its reply,
 *    an event named like a reply, pretty-printed replies, errors, a wrong
 *    status after stop, malformed and oversized replies, silence;
 *  - sigstop: a two-threaded victim process, all threads stopped and
 *    continued, one stopped before stays stopped, SIGTERM continues it;
 *  - spec and opts validation.
 * Every error case checks the exact errno and the library's message.
 *
 * QEMU runs one at a time on the machine: the binary takes
 * /tmp/bpfpoke-qemu.lock for its whole run (selftests/qemu-lock.sh's
 * rules: not when BPFPOKE_QEMU_LOCK_HELD is set or an ancestor is
 * `flock /tmp/bpfpoke-qemu.lock ...`).  Without qemu-system-x86_64 the
 * QEMU tests skip.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "bpfpoke.h"

#define QEMU_LOCK	"/tmp/bpfpoke-qemu.lock"
#define QEMU_BIN	"qemu-system-x86_64"

/* The library's last WARN message, without "libbpfpoke: " and '\n'. */
static char last_warn[1024];

static int capture(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t len;

	if (level != BPFPOKE_WARN)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	snprintf(last_warn, sizeof(last_warn), "%s",
		 strncmp(buf, "libbpfpoke: ", 12) ? buf : buf + 12);
	return 0;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The QEMU lock, as selftests/qemu-lock.sh takes it. */

static bool lock_held_above(void)
{
	char path[64], buf[4096];
	int pid = getpid(), depth;

	for (depth = 0; pid > 1 && depth < 64; depth++) {
		ssize_t n;
		char *p;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			for (p = buf; p < buf + n; p++)
				if (!*p)
					*p = ' ';
			buf[n] = 0;
			if (!strncmp(buf, "flock", 5) && strstr(buf, QEMU_LOCK))
				return true;
		}
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return false;
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2, "%*c %d", &pid) != 1)
			return false;
	}
	return false;
}

/*
 * Before the harness runs a test (a constructor, so that it works with
 * every version of kselftest_harness.h's main): held until exit, not
 * passed on to QEMU (O_CLOEXEC).
 */
static void __attribute__((constructor)) qemu_lock(void)
{
	int fd;

	if (getenv("BPFPOKE_QEMU_LOCK_HELD") || lock_held_above())
		return;
	fd = open(QEMU_LOCK, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0 || flock(fd, LOCK_EX))
		fprintf(stderr, "# cannot take %s: %s\n", QEMU_LOCK,
			strerror(errno));
}

/* A QMP client for the test's own view of QEMU (QEMU is trusted here). */

/* The next line that is not an event into @buf; false on timeout/EOF. */
static bool mon_reply(int fd, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char c;

		if (poll(&pfd, 1, 10000) != 1 || read(fd, &c, 1) != 1)
			return false;
		if (c != '\n') {
			if (len + 1 < size)
				buf[len++] = c;
			continue;
		}
		buf[len] = 0;
		if (len && !strstr(buf, "\"event\""))
			return true;
		len = 0;
	}
}

static bool mon_cmd(int fd, const char *cmd, char *reply, size_t size)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "{\"execute\": \"%s\"}\r\n", cmd);

	return write(fd, line, n) == n && mon_reply(fd, reply, size);
}

/* query-status's "status", or "?" */
static const char *mon_status(int fd)
{
	static char status[64];
	char reply[1024], *p;

	snprintf(status, sizeof(status), "?");
	if (!mon_cmd(fd, "query-status", reply, sizeof(reply)))
		return status;
	p = strstr(reply, "\"status\": \"");
	if (p)
		sscanf(p + 11, "%63[a-z-]", status);
	return status;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int unix_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fd, 4)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool have_qemu(void)
{
	return !system("command -v " QEMU_BIN " > /dev/null 2>&1");
}

/* A real QEMU: no guest, vCPUs running SeaBIOS (or nothing, with -S). */

FIXTURE(qemu) {
	pid_t pid;
	char dir[64];
	char qmp[128];		/* the freezer's socket */
	char spec[160];		/* "qmp:" + qmp */
	char mon_path[128];	/* the test's own */
	int mon;
};

FIXTURE_SETUP(qemu)
{
	char log[128], reply[1024], qmp_arg[160], mon_arg[160];
	int i;

	self->pid = 0;
	self->mon = -1;
	if (!have_qemu())
		SKIP(return, QEMU_BIN " is not installed");
	bpfpoke_set_print(capture);
	snprintf(self->dir, sizeof(self->dir), "/tmp/bpfpoke-freeze.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->qmp, sizeof(self->qmp), "%s/qmp.sock", self->dir);
	snprintf(self->spec, sizeof(self->spec), "qmp:%s", self->qmp);
	snprintf(self->mon_path, sizeof(self->mon_path), "%s/mon.sock", self->dir);
	snprintf(log, sizeof(log), "%s/qemu.log", self->dir);
	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off", self->qmp);
	snprintf(mon_arg, sizeof(mon_arg), "unix:%s,server=on,wait=off", self->mon_path);

	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp(QEMU_BIN, QEMU_BIN, "-machine", "q35", "-accel", "tcg",
		       "-m", "64", "-nodefaults", "-no-user-config",
		       "-display", "none", "-S",
		       "-qmp", qmp_arg, "-qmp", mon_arg, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && self->mon < 0; i++) {
		self->mon = unix_connect(self->mon_path);
		if (self->mon < 0)
			msleep(50);
	}
	ASSERT_LE(0, self->mon) TH_LOG("QEMU's QMP socket did not appear (see %s)", log);
	ASSERT_TRUE(mon_reply(self->mon, reply, sizeof(reply)));
	ASSERT_NE(NULL, strstr(reply, "\"QMP\""));
	ASSERT_TRUE(mon_cmd(self->mon, "qmp_capabilities", reply, sizeof(reply)));
	ASSERT_STREQ("prelaunch", mon_status(self->mon));
}

/*
 * First in every qemu test: 6.1's harness runs the test after a SKIP() in
 * FIXTURE_SETUP().
 */
#define NEED_QEMU() do {						\
	if (!self->pid)							\
		SKIP(return, QEMU_BIN " is not installed");		\
} while (0)

/* Start the vCPUs (SeaBIOS, then nothing to boot): status "running". */
#define RUN_VM() do {							\
	char __reply[256];						\
									\
	NEED_QEMU();							\
	ASSERT_TRUE(mon_cmd(self->mon, "cont", __reply, sizeof(__reply))); \
	ASSERT_STREQ("running", mon_status(self->mon));			\
} while (0)

FIXTURE_TEARDOWN(qemu)
{
	char path[192];

	if (self->mon >= 0)
		close(self->mon);
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->pid) {
		snprintf(path, sizeof(path), "%s/qemu.log", self->dir);
		unlink(path);
		unlink(self->qmp);
		unlink(self->mon_path);
		rmdir(self->dir);
	}
}

TEST_F(qemu, freeze_pauses_thaw_resumes)
{
	struct bpfpoke_freezer *f;
	int round;

	RUN_VM();
	f = bpfpoke_freezer_open(self->spec, NULL);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, bpfpoke_freeze(f)) TH_LOG("%s", last_warn);
		EXPECT_STREQ("paused", mon_status(self->mon));
		errno = 0;
		EXPECT_EQ(-EALREADY, bpfpoke_freeze(f));
		EXPECT_EQ(EALREADY, errno);
		EXPECT_STREQ("paused", mon_status(self->mon));
		ASSERT_EQ(0, bpfpoke_thaw(f)) TH_LOG("%s", last_warn);
		EXPECT_STREQ("running", mon_status(self->mon));
		/* Not frozen: nothing to do. */
		EXPECT_EQ(0, bpfpoke_thaw(f));
		EXPECT_STREQ("running", mon_status(self->mon));
	}
	bpfpoke_freezer_close(f);
	EXPECT_STREQ("running", mon_status(self->mon));
}

TEST_F(qemu, paused_before_stays_paused)
{
	struct bpfpoke_freezer *f;
	char reply[256];

	RUN_VM();
	ASSERT_TRUE(mon_cmd(self->mon, "stop", reply, sizeof(reply)));
	ASSERT_STREQ("paused", mon_status(self->mon));
	f = bpfpoke_freezer_open(self->spec, NULL);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	ASSERT_EQ(0, bpfpoke_freeze(f)) TH_LOG("%s", last_warn);
	EXPECT_STREQ("paused", mon_status(self->mon));
	ASSERT_EQ(0, bpfpoke_thaw(f));
	EXPECT_STREQ("paused", mon_status(self->mon));
	/* Frozen and closed: still not ours to continue. */
	ASSERT_EQ(0, bpfpoke_freeze(f));
	bpfpoke_freezer_close(f);
	EXPECT_STREQ("paused", mon_status(self->mon));
}

TEST_F(qemu, prelaunch_stays_prelaunch)
{
	struct bpfpoke_freezer *f;

	NEED_QEMU();

	/* A VM that never ran (-S): "cont" would start it. */
	f = bpfpoke_freezer_open(self->spec, NULL);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	ASSERT_EQ(0, bpfpoke_freeze(f)) TH_LOG("%s", last_warn);
	EXPECT_STREQ("prelaunch", mon_status(self->mon));
	ASSERT_EQ(0, bpfpoke_thaw(f));
	EXPECT_STREQ("prelaunch", mon_status(self->mon));
	bpfpoke_freezer_close(f);
	EXPECT_STREQ("prelaunch", mon_status(self->mon));
}

TEST_F(qemu, close_thaws)
{
	struct bpfpoke_freezer *f;

	RUN_VM();
	f = bpfpoke_freezer_open(self->spec, NULL);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	ASSERT_EQ(0, bpfpoke_freeze(f)) TH_LOG("%s", last_warn);
	EXPECT_STREQ("paused", mon_status(self->mon));
	bpfpoke_freezer_close(f);
	EXPECT_STREQ("running", mon_status(self->mon));
}

TEST_F(qemu, second_client_times_out)
{
	BPFPOKE_OPTS(bpfpoke_freezer_opts, opts, .timeout_ms = 300);
	struct bpfpoke_freezer *f, *g;
	char want[256];

	NEED_QEMU();

	f = bpfpoke_freezer_open(self->spec, NULL);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	errno = 0;
	g = bpfpoke_freezer_open(self->spec, &opts);
	EXPECT_EQ(NULL, g);
	EXPECT_EQ(ETIMEDOUT, errno);
	snprintf(want, sizeof(want),
		 "QMP socket %s: no greeting within 300 ms (is another client connected?)",
		 self->qmp);
	EXPECT_STREQ(want, last_warn);
	bpfpoke_freezer_close(g);
	bpfpoke_freezer_close(f);
}

/*
 * A child freezes with @flags and waits; the parent sends it @sig.
 * Returns the child's wait status.
 */
static int kill_while_frozen(struct __test_metadata *_metadata,
			     const char *spec, __u32 flags, int sig,
			     int mon, const char *want_frozen)
{
	int pfd[2], status = -1;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC)) { return -1; }
	pid = fork();
	ASSERT_LE(0, pid) { return -1; }
	if (!pid) {
		BPFPOKE_OPTS(bpfpoke_freezer_opts, opts, .flags = flags);
		struct bpfpoke_freezer *f = bpfpoke_freezer_open(spec, &opts);

		c = f && !bpfpoke_freeze(f) ? 'F' : 'E';
		if (write(pfd[1], &c, 1) != 1 || c != 'F')
			_exit(3);
		for (;;)
			pause();
	}
	close(pfd[1]);
	EXPECT_EQ(1, read(pfd[0], &c, 1));
	close(pfd[0]);
	EXPECT_EQ('F', c);
	if (mon >= 0)
		EXPECT_STREQ(want_frozen, mon_status(mon));
	kill(pid, sig);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	return status;
}

TEST_F(qemu, signal_while_frozen_continues)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	char reply[256];
	unsigned int i;
	int status;

	RUN_VM();
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		status = kill_while_frozen(_metadata, self->spec,
					   BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL,
					   sigs[i], self->mon, "paused");
		EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("status %#x", status);
		EXPECT_EQ(sigs[i], WTERMSIG(status));
		EXPECT_STREQ("running", mon_status(self->mon)) TH_LOG("after %s",
								      strsignal(sigs[i]));
	}

	/* Without the flag the VM stays paused: the check above can fail. */
	status = kill_while_frozen(_metadata, self->spec, 0, SIGTERM,
				   self->mon, "paused");
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGTERM, WTERMSIG(status));
	EXPECT_STREQ("paused", mon_status(self->mon));
	ASSERT_TRUE(mon_cmd(self->mon, "cont", reply, sizeof(reply)));
}

/* QMP errors without QEMU */

TEST(qmp_missing_socket)
{
	struct bpfpoke_freezer *f;

	bpfpoke_set_print(capture);
	errno = 0;
	f = bpfpoke_freezer_open("qmp:/nonexistent/bpfpoke-qmp.sock", NULL);
	EXPECT_EQ(NULL, f);
	EXPECT_EQ(ENOENT, errno);
	EXPECT_STREQ("cannot connect to QMP socket /nonexistent/bpfpoke-qmp.sock: No such file or directory",
		     last_warn);
}

TEST(qmp_not_a_socket)
{
	char path[] = "/tmp/bpfpoke-freeze-file.XXXXXX", spec[64], want[128];
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	bpfpoke_set_print(capture);
	snprintf(spec, sizeof(spec), "qmp:%s", path);
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_freezer_open(spec, NULL));
	EXPECT_EQ(ECONNREFUSED, errno);
	snprintf(want, sizeof(want), "cannot connect to QMP socket %s: Connection refused",
		 path);
	EXPECT_STREQ(want, last_warn);
	unlink(path);
}

/*
 * A scripted QMP server: sends @greeting, then answers each command with
 * the next step, whose reply has the command's id (as text) for every
 * @ID@.  A NULL reply: say nothing and wait for the next command;
 * FAKE_CLOSE: close the connection.  Records the commands it got in @log.
 */
#define FAKE_CLOSE	"<close>"

struct fake_step {
	const char *cmd;
	const char *reply;
};

struct fake_qmp {
	char path[64];
	int lfd;
	const char *greeting;	/* NULL: say nothing */
	const struct fake_step *steps;
	char log[1024];
	pthread_t thread;
};

static void send_str(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

/* @tmpl with every @ID@ replaced by @id. */
static void fill_id(char *out, size_t size, const char *tmpl, const char *id)
{
	size_t n = 0;

	while (*tmpl && n + 1 < size) {
		if (!strncmp(tmpl, "@ID@", 4)) {
			n += snprintf(out + n, size - n, "%s", id);
			tmpl += 4;
		} else {
			out[n++] = *tmpl++;
		}
	}
	out[n < size ? n : size - 1] = 0;
}

static void *fake_main(void *arg)
{
	struct fake_qmp *q = arg;
	const struct fake_step *st = q->steps;
	char buf[4096], reply[1 << 17];
	size_t len = 0;
	int fd;

	fd = accept(q->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (q->greeting)
		send_str(fd, q->greeting);
	for (;;) {
		char *nl, *p, name[64] = "?", id[32] = "";
		ssize_t n;

		nl = memchr(buf, '\n', len);
		if (!nl) {
			n = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += n;
			continue;
		}
		*nl = 0;
		p = strstr(buf, "\"execute\": \"");
		if (p)
			sscanf(p + 12, "%63[a-z_-]", name);
		p = strstr(buf, "\"id\": ");
		if (p)
			sscanf(p + 6, "%31[0-9a-z\"-]", id);
		len -= nl + 1 - buf;
		memmove(buf, nl + 1, len);
		snprintf(q->log + strlen(q->log), sizeof(q->log) - strlen(q->log),
			 "%s%s", q->log[0] ? " " : "", name);
		if (!st || !st->cmd)
			continue;
		if (strcmp(st->cmd, name)) {
			snprintf(q->log + strlen(q->log),
				 sizeof(q->log) - strlen(q->log),
				 " (want %s)", st->cmd);
			st = NULL;
			continue;
		}
		if (st->reply && !strcmp(st->reply, FAKE_CLOSE))
			break;
		if (st->reply) {
			fill_id(reply, sizeof(reply), st->reply, id);
			send_str(fd, reply);
		}
		st++;
	}
	close(fd);
	return NULL;
}

static const char greeting[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
	"\"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n";

static int fake_start(struct fake_qmp *q, const char *greet,
		      const struct fake_step *steps)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->path, sizeof(q->path), "/tmp/bpfpoke-fakeqmp.%d", getpid());
	q->greeting = greet;
	q->steps = steps;
	q->lfd = unix_listen(q->path);
	if (q->lfd < 0)
		return -errno;
	return -pthread_create(&q->thread, NULL, fake_main, q);
}

/* After the freezer closed its end. */
static void fake_stop(struct fake_qmp *q)
{
	shutdown(q->lfd, SHUT_RDWR);
	pthread_join(q->thread, NULL);
	close(q->lfd);
	unlink(q->path);
}

static struct bpfpoke_freezer *fake_open(struct fake_qmp *q,
					 unsigned int timeout_ms)
{
	BPFPOKE_OPTS(bpfpoke_freezer_opts, opts, .timeout_ms = timeout_ms);
	char spec[80];

	snprintf(spec, sizeof(spec), "qmp:%s", q->path);
	return bpfpoke_freezer_open(spec, &opts);
}

#define OK_REPLY	"{\"return\": {}, \"id\": @ID@}\r\n"
#define STATUS(s)	"{\"return\": {\"status\": \"" s "\", \"singlestep\": false, " \
			"\"running\": false}, \"id\": @ID@}\r\n"

TEST(qmp_greeting_not_qmp)
{
	static const struct {
		const char *greeting;
		int err;
		const char *why;
	} cases[] = {
		{ "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", EPROTO, "not a QMP greeting" },
		{ "{\"event\": \"QMP\", \"data\": {}}\r\n", EPROTO, "not a QMP greeting" },
		{ "{\"QMP\": {\"version\": {}}, }\r\n", EPROTO, "not a QMP greeting" },
		{ "{\"QMP\": \"x\"}\r\n", EPROTO, "not a QMP greeting" },
		{ "{\"QMP\": {\"version\": {}, \"capab", ETIMEDOUT,
		  "no greeting within 300 ms (is another client connected?)" },
		{ NULL, ETIMEDOUT, "no greeting within 300 ms (is another client connected?)" },
	};
	unsigned int i;

	bpfpoke_set_print(capture);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_qmp q;
		char want[256];

		ASSERT_EQ(0, fake_start(&q, cases[i].greeting, NULL));
		errno = 0;
		EXPECT_EQ(NULL, fake_open(&q, 300)) TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].err, errno) TH_LOG("case %u", i);
		snprintf(want, sizeof(want), "QMP socket %s: %s", q.path, cases[i].why);
		EXPECT_STREQ(want, last_warn) TH_LOG("case %u", i);
		fake_stop(&q);
	}
}

TEST(qmp_capabilities_refused)
{
	static const struct fake_step steps[] = {
		{ "qmp_capabilities", "{\"error\": {\"class\": \"CommandNotFound\", "
		  "\"desc\": \"Capabilities negotiation is already complete, command ignored\"}, "
		  "\"id\": @ID@}\r\n" },
		{ 0 },
	};
	struct fake_qmp q;

	bpfpoke_set_print(capture);
	ASSERT_EQ(0, fake_start(&q, greeting, steps));
	errno = 0;
	EXPECT_EQ(NULL, fake_open(&q, 1000));
	EXPECT_EQ(EIO, errno);
	EXPECT_STREQ("QMP qmp_capabilities failed: Capabilities negotiation is already complete, command ignored",
		     last_warn);
	fake_stop(&q);
}

/* Events and stale replies around the real ones; pretty-printed replies. */
TEST(qmp_skips_events_and_stale_replies)
{
	static const struct fake_step steps[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status",
		  /* An event carrying reply-like members. */
		  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\", "
		  "\"data\": {\"return\": {\"status\": \"paused\"}, \"id\": @ID@}}\r\n"
		  /* An event whose name is "return". */
		  "{\"event\": \"return\", \"data\": {\"status\": \"paused\"}}\r\n"
		  /* A reply to another id. */
		  "{\"return\": {\"status\": \"paused\"}, \"id\": 999}\r\n"
		  /* "return" inside a string. */
		  "{\"event\": \"X\", \"data\": {\"s\": \"\\\"return\\\": {} } {\"}}\r\n"
		  STATUS("running") },
		{ "stop",
		  "{\n    \"timestamp\": {\n        \"seconds\": 1\n    },\n"
		  "    \"event\": \"STOP\"\n}\n"
		  "{\n    \"return\": {\n    },\n    \"id\": @ID@\n}\n" },
		{ "query-status", STATUS("paused") },
		{ "cont", "{\"event\": \"RESUME\"}\r\n" OK_REPLY },
		{ 0 },
	};
	struct bpfpoke_freezer *f;
	struct fake_qmp q;

	bpfpoke_set_print(capture);
	ASSERT_EQ(0, fake_start(&q, greeting, steps));
	f = fake_open(&q, 2000);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	EXPECT_EQ(0, bpfpoke_freeze(f)) TH_LOG("%s", last_warn);
	EXPECT_EQ(0, bpfpoke_thaw(f)) TH_LOG("%s", last_warn);
	bpfpoke_freezer_close(f);
	fake_stop(&q);
	EXPECT_STREQ("qmp_capabilities query-status stop query-status cont", q.log);
}

TEST(qmp_stop_errors)
{
	static const struct fake_step stop_refused[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", "{\"id\": @ID@, \"error\": {\"class\": \"GenericError\", "
			  "\"desc\": \"Migration is \\\"active\\\"\\n\\u0041\\u0001\"}}\r\n" },
		{ 0 },
	};
	static const struct fake_step still_running[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ 0 },
	};
	static const struct fake_step no_reply[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", NULL },
		{ "cont", OK_REPLY },
		{ 0 },
	};
	static const struct fake_step malformed[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", "{\"return\": {}, \"id\": @ID@, }\r\n" },
		{ "cont", OK_REPLY },
		{ 0 },
	};
	static const struct fake_step not_json[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", "(qemu) stop\r\n" },
		{ "cont", OK_REPLY },
		{ 0 },
	};
	static const struct fake_step no_status[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", "{\"return\": {\"running\": true}, \"id\": @ID@}\r\n" },
		{ 0 },
	};
	static const struct fake_step closes[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", FAKE_CLOSE },
		{ 0 },
	};
	static const struct fake_step cont_fails[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", STATUS("running") },
		{ "stop", OK_REPLY },
		{ "query-status", STATUS("paused") },
		{ "cont", "{\"error\": {\"class\": \"GenericError\", \"desc\": "
			  "\"Resetting the Virtual Machine is required\"}, \"id\": @ID@}\r\n" },
		{ "cont", OK_REPLY },
		{ 0 },
	};
	static const struct {
		const struct fake_step *steps;
		int err;
		const char *msg;
		const char *log;
	} cases[] = {
		{ stop_refused, -EIO, "QMP stop failed: Migration is \"active\" A?",
		  "qmp_capabilities query-status stop" },
		{ still_running, -EBUSY, "the VM's status is 'running' after QMP stop, not 'paused'",
		  "qmp_capabilities query-status stop query-status" },
		/* Stopped or not, it is continued. */
		{ no_reply, -ETIMEDOUT, "QMP stop failed: no reply within 300 ms",
		  "qmp_capabilities query-status stop cont" },
		{ malformed, -EPROTO, "QMP stop failed: malformed JSON from QEMU",
		  "qmp_capabilities query-status stop cont" },
		{ not_json, -EPROTO, "QMP stop failed: QEMU sent something that is not a JSON object",
		  "qmp_capabilities query-status stop cont" },
		{ no_status, -EPROTO, "QMP query-status failed: no status in the reply",
		  "qmp_capabilities query-status" },
		{ closes, -ECONNRESET, "QMP stop failed: QEMU closed the connection",
		  "qmp_capabilities query-status stop" },
		{ cont_fails, 0, "QMP cont failed: Resetting the Virtual Machine is required",
		  "qmp_capabilities query-status stop query-status cont cont" },
	};
	unsigned int i;

	bpfpoke_set_print(capture);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bpfpoke_freezer *f;
		struct fake_qmp q;

		ASSERT_EQ(0, fake_start(&q, greeting, cases[i].steps));
		f = fake_open(&q, 300);
		ASSERT_NE(NULL, f) TH_LOG("case %u: errno %d: %s", i, errno, last_warn);
		last_warn[0] = 0;
		errno = 0;
		EXPECT_EQ(cases[i].err, bpfpoke_freeze(f)) TH_LOG("case %u: %s", i, last_warn);
		if (cases[i].err) {
			EXPECT_EQ(-cases[i].err, errno) TH_LOG("case %u", i);
			EXPECT_STREQ(cases[i].msg, last_warn) TH_LOG("case %u", i);
		} else {
			/* Thawing fails, and stays frozen to be retried. */
			errno = 0;
			EXPECT_EQ(-EIO, bpfpoke_thaw(f));
			EXPECT_EQ(EIO, errno);
			EXPECT_STREQ(cases[i].msg, last_warn) TH_LOG("case %u", i);
			EXPECT_EQ(-EALREADY, bpfpoke_freeze(f));
			EXPECT_EQ(0, bpfpoke_thaw(f)) TH_LOG("case %u: %s", i, last_warn);
		}
		bpfpoke_freezer_close(f);
		fake_stop(&q);
		if (cases[i].log)
			EXPECT_STREQ(cases[i].log, q.log) TH_LOG("case %u", i);
	}
}

TEST(qmp_oversized_reply)
{
	static char big[80000];
	static struct fake_step steps[] = {
		{ "qmp_capabilities", OK_REPLY },
		{ "query-status", big },
		{ 0 },
	};
	struct bpfpoke_freezer *f;
	struct fake_qmp q;
	size_t n;

	/* A string member longer than the 64 KiB the library keeps. */
	n = snprintf(big, sizeof(big), "{\"return\": {\"status\": \"running\", \"x\": \"");
	memset(big + n, 'a', 70000);
	snprintf(big + n + 70000, sizeof(big) - n - 70000, "\"}, \"id\": @ID@}\r\n");
	bpfpoke_set_print(capture);
	ASSERT_EQ(0, fake_start(&q, greeting, steps));
	f = fake_open(&q, 2000);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	errno = 0;
	EXPECT_EQ(-EMSGSIZE, bpfpoke_freeze(f));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_STREQ("QMP query-status failed: QEMU sent a message longer than 65536 bytes",
		     last_warn);
	bpfpoke_freezer_close(f);
	fake_stop(&q);
}

/* sigstop */

static void *victim_thread(void *arg)
{
	(void)arg;
	for (;;)
		msleep(10);
	return NULL;
}

/* A process with two threads that keep running until killed. */
static pid_t start_victim(void)
{
	pid_t pid = fork();

	if (!pid) {
		pthread_t t;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pthread_create(&t, NULL, victim_thread, NULL);
		victim_thread(NULL);
		_exit(0);
	}
	return pid;
}

/* Threads of @pid in 'T' and in total, from /proc/PID/task/ * /stat. */
static int stopped_threads(pid_t pid, int *total)
{
	char path[128], buf[512];
	struct dirent *de;
	int stopped = 0;
	DIR *d;

	*total = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *p;
		FILE *fp;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid,
			 de->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		p = fgets(buf, sizeof(buf), fp) ? strrchr(buf, ')') : NULL;
		fclose(fp);
		if (!p)
			continue;
		(*total)++;
		stopped += p[2] == 'T';
	}
	closedir(d);
	return stopped;
}

/* Wait until @want threads of @pid are stopped (up to 5 s). */
static int wait_stopped(pid_t pid, int want)
{
	int i, total, n = -1;

	for (i = 0; i < 500; i++) {
		n = stopped_threads(pid, &total);
		if (n == want)
			break;
		msleep(10);
	}
	return n;
}

TEST(sigstop_freeze_thaw)
{
	struct bpfpoke_freezer *f;
	char spec[32];
	int total, n;
	pid_t v;

	bpfpoke_set_print(capture);
	v = start_victim();
	ASSERT_LT(0, v);
	/* Both threads exist. */
	for (n = 0; n < 100 && (stopped_threads(v, &total), total) < 2; n++)
		msleep(10);
	ASSERT_EQ(2, total);
	snprintf(spec, sizeof(spec), "sigstop:%d", v);
	f = bpfpoke_freezer_open(spec, NULL);
	ASSERT_NE(NULL, f) TH_LOG("errno %d: %s", errno, last_warn);
	ASSERT_EQ(0, bpfpoke_freeze(f)) TH_LOG("%s", last_warn);
	/* Returned only once all of them are stopped: no waiting here. */
	EXPECT_EQ(2, stopped_threads(v, &total));
	EXPECT_EQ(2, total);
	EXPECT_EQ(-EALREADY, bpfpoke_freeze(f));
	ASSERT_EQ(0, bpfpoke_thaw(f));
	EXPECT_EQ(0, wait_stopped(v, 0));

	/* Stopped before: left stopped. */
	kill(v, SIGSTOP);
	ASSERT_EQ(2, wait_stopped(v, 2));
	ASSERT_EQ(0, bpfpoke_freeze(f));
	ASSERT_EQ(0, bpfpoke_thaw(f));
	msleep(100);
	EXPECT_EQ(2, stopped_threads(v, &total));
	kill(v, SIGCONT);
	EXPECT_EQ(0, wait_stopped(v, 0));

	/* Closing a frozen freezer continues the VMM. */
	ASSERT_EQ(0, bpfpoke_freeze(f));
	EXPECT_EQ(2, stopped_threads(v, &total));
	bpfpoke_freezer_close(f);
	EXPECT_EQ(0, wait_stopped(v, 0));

	/* SIGTERM while frozen continues it; without the flag it does not. */
	n = kill_while_frozen(_metadata, spec, BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL,
			      SIGTERM, -1, NULL);
	EXPECT_TRUE(WIFSIGNALED(n) && WTERMSIG(n) == SIGTERM) TH_LOG("status %#x", n);
	EXPECT_EQ(0, wait_stopped(v, 0));
	n = kill_while_frozen(_metadata, spec, 0, SIGTERM, -1, NULL);
	EXPECT_TRUE(WIFSIGNALED(n) && WTERMSIG(n) == SIGTERM);
	msleep(100);
	EXPECT_EQ(2, stopped_threads(v, &total));

	kill(v, SIGKILL);
	waitpid(v, NULL, 0);
}

TEST(sigstop_gone)
{
	char spec[32], want[96];
	pid_t v = fork();

	if (!v)
		_exit(0);
	ASSERT_LT(0, v);
	waitpid(v, NULL, 0);
	bpfpoke_set_print(capture);
	snprintf(spec, sizeof(spec), "sigstop:%d", v);
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_freezer_open(spec, NULL));
	EXPECT_EQ(ESRCH, errno);
	snprintf(want, sizeof(want), "cannot freeze the VMM %d: No such process", v);
	EXPECT_STREQ(want, last_warn);
}

TEST(spec_and_opts)
{
	static const char *const bad[] = {
		"", "sigstop", "sigstop:", "sigstop:0", "sigstop:-1", "sigstop:+5",
		"sigstop:12x", "sigstop:99999999999", "qmp", "qmp:", "QMP:/x",
		"none ", "stop",
	};
	struct bpfpoke_freezer_opts big[2];
	struct bpfpoke_freezer *f;
	char want[128];
	unsigned int i;

	bpfpoke_set_print(capture);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(NULL, bpfpoke_freezer_open(bad[i], NULL)) TH_LOG("'%s'", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("'%s'", bad[i]);
		snprintf(want, sizeof(want),
			 "freeze '%s': expected none, sigstop:PID or qmp:PATH", bad[i]);
		EXPECT_STREQ(want, last_warn);
	}
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_freezer_open(NULL, NULL));
	EXPECT_EQ(EINVAL, errno);

	{
		BPFPOKE_OPTS(bpfpoke_freezer_opts, o, .flags = 2);

		errno = 0;
		EXPECT_EQ(NULL, bpfpoke_freezer_open("none", &o));
		EXPECT_EQ(EINVAL, errno);
		o.flags = 0;
		o.sz = 4;
		errno = 0;
		EXPECT_EQ(NULL, bpfpoke_freezer_open("none", &o));
		EXPECT_EQ(EINVAL, errno);
	}
	/* A newer caller's longer opts: zeros pass, anything else does not. */
	memset(big, 0, sizeof(big));
	big[0].sz = sizeof(big);
	f = bpfpoke_freezer_open("none", &big[0]);
	EXPECT_NE(NULL, f);
	bpfpoke_freezer_close(f);
	((char *)big)[sizeof(big) - 1] = 1;
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_freezer_open("none", &big[0]));
	EXPECT_EQ(EINVAL, errno);

	/* none: freezing does nothing, but keeps the state. */
	f = bpfpoke_freezer_open("none", NULL);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(0, bpfpoke_freeze(f));
	EXPECT_EQ(-EALREADY, bpfpoke_freeze(f));
	EXPECT_EQ(0, bpfpoke_thaw(f));
	EXPECT_EQ(0, bpfpoke_thaw(f));
	bpfpoke_freezer_close(f);

	errno = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_freeze(NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, bpfpoke_thaw(NULL));
	bpfpoke_freezer_close(NULL);
}

TEST_HARNESS_MAIN
