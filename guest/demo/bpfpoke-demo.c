// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke-demo: loads the demo BPF target (demo.bpf.c) through its
 * skeleton, waits for the host's writes on the bpfpoke signal port and
 * reports what the guest sees after each: the globals through the
 * skeleton's mmapped view of the maps and through a BPF program run
 * (BPF_PROG_TEST_RUN of demo_report, which copies them into its packet on
 * the BPF side).  The two views must agree.  Optionally it then checks
 * that batches of writes land atomically.
 *
 * Every line it prints that a test parses starts with "DEMO-".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfpoke_guest.h"
#include "clock.h"
#include "demo.h"
#include "demo.skel.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the host reported a failed write */
	EXIT_TIMEOUT = 2,
	EXIT_MISMATCH = 3,	/* the views differ, or the checker saw a torn batch */
	EXIT_ERROR = 4,		/* load, port or test-run error */
	EXIT_USAGE = 64,
};

struct options {
	const char *port;
	const char *pin;
	const char *after;
	long timeout_ms;
	long rounds;
	long check_until;
	long check_reads;
	bool linger;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpfpoke-demo [--port PATH] [--timeout MS] [--rounds N] [--after CMD]\n"
		"                    [--pin DIR | --no-pin] [--check-until K [--check-reads N]]\n"
		"                    [--linger]\n"
		"\n"
		"Loads the demo BPF target (maps demo.bss, demo.data, demo.rodata,\n"
		"demo.data.tune, demo_hash), then N times (default 1): waits for the host's\n"
		"signal, prints the globals as the skeleton's mmapped view and as a BPF\n"
		"program run (BPF_PROG_TEST_RUN) see them, and what changed, and runs CMD\n"
		"(sh -c, with DEMO_ROUND set to the round).\n"
		"--pin DIR (default /sys/fs/bpf/bpfpoke-demo) pins demo_prog so that the maps\n"
		"outlive the loader.  --check-until K: then sets .data's tunable and arr[7] to\n"
		"0 and reads the pair until both are K (and at least N times, default\n"
		"10000), in alternating order: the host writes (k, k) for rising k in one\n"
		"batch, so a reader can never see the second field ahead of the first.\n"
		"--linger: sleep when done, keeping the skeleton open.\n"
		"\n"
		"Exit status: 0 ok; 1 the host's write failed; 2 timeout; 3 the views differ\n"
		"or a torn batch was seen; 4 load, port or test-run error; 64 usage.\n");
}

/* The globals through the skeleton's mmapped maps. */
static void view_mmap(const struct demo *skel, struct demo_report *r)
{
	const volatile struct demo__data *d = skel->data;
	const volatile struct demo__bss *b = skel->bss;
	int i;

	memset(r, 0, sizeof(*r));
	r->crash = b->crash;
	r->stall = b->stall;
	r->runs = b->runs;
	r->tunable = d->tunable;
	r->mode = d->cfg.mode;
	r->lo = d->cfg.inner.lo;
	r->hi = d->cfg.inner.hi;
	r->wide = d->cfg.inner.wide;
	r->word = d->cfg.word;
	r->level = d->cfg.level;
	for (i = 0; i < DEMO_ARR_LEN; i++)
		r->arr[i] = d->arr[i];
	r->version = skel->rodata->version;
	r->knob = skel->data_tune->knob;
}

/* The globals as the BPF side reads them. */
static int view_bpf(const struct demo *skel, struct demo_report *r)
{
	unsigned char pkt[128] = { 0 }, out[128];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = sizeof(pkt),
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = 1,
	);
	int err;

	_Static_assert(sizeof(*r) <= sizeof(pkt), "report larger than the packet");
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.demo_report), &opts);
	if (err)
		return -errno;
	if (opts.retval != 2 /* XDP_PASS */ || opts.data_size_out < sizeof(*r))
		return -EPROTO;
	memcpy(r, out, sizeof(*r));
	return 0;
}

struct field {
	const char *name;
	int (*fmt)(const struct demo_report *r, char *buf, size_t len);
};

#define FMT_U(fname, expr)						\
static int fmt_##fname(const struct demo_report *r, char *buf, size_t len)\
{									\
	return snprintf(buf, len, "%" PRIu64, (uint64_t)(expr));	\
}
#define FMT_X(fname, expr)						\
static int fmt_##fname(const struct demo_report *r, char *buf, size_t len)\
{									\
	return snprintf(buf, len, "%#" PRIx64, (uint64_t)(expr));	\
}

FMT_U(crash, r->crash)
FMT_U(stall, r->stall)
FMT_U(runs, r->runs)
FMT_U(tunable, r->tunable)
FMT_U(mode, r->mode)
FMT_U(lo, r->lo)
FMT_U(hi, r->hi)
FMT_X(wide, r->wide)
FMT_X(word, r->word)
FMT_U(version, r->version)
FMT_U(knob, r->knob)

static int fmt_level(const struct demo_report *r, char *buf, size_t len)
{
	return snprintf(buf, len, "%d", r->level);
}

static int fmt_arr(const struct demo_report *r, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	for (i = 0; i < DEMO_ARR_LEN && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%u", i ? "," : "[", r->arr[i]);
	if (n < len)
		n += snprintf(buf + n, len - n, "]");
	return n;
}

static const struct field fields[] = {
	{ "crash", fmt_crash }, { "stall", fmt_stall }, { "runs", fmt_runs },
	{ "tunable", fmt_tunable }, { "cfg.mode", fmt_mode },
	{ "cfg.inner.lo", fmt_lo }, { "cfg.inner.hi", fmt_hi },
	{ "cfg.inner.wide", fmt_wide }, { "cfg.word", fmt_word },
	{ "cfg.level", fmt_level }, { "arr", fmt_arr },
	{ "version", fmt_version }, { "knob", fmt_knob },
};

static void print_view(long round, const char *which,
		       const struct demo_report *r)
{
	char v[128];
	size_t i;

	printf("DEMO-SEEN round %ld %s:", round, which);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		fields[i].fmt(r, v, sizeof(v));
		printf(" %s=%s", fields[i].name, v);
	}
	printf("\n");
}

/* Prints the fields that differ from @a to @b; returns how many. */
static int print_diff(const struct demo_report *a, const struct demo_report *b,
		      const char *sep)
{
	char va[128], vb[128];
	int n = 0;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		fields[i].fmt(a, va, sizeof(va));
		fields[i].fmt(b, vb, sizeof(vb));
		if (strcmp(va, vb)) {
			printf("%s%s %s -> %s", n ? ", " : " ", fields[i].name,
			       va, vb);
			n++;
		}
	}
	if (!n)
		printf("%s", sep);
	printf("\n");
	return n;
}

/* Both views, which must agree.  Returns 0, EXIT_MISMATCH or EXIT_ERROR. */
static int observe(const struct demo *skel, long round, struct demo_report *seen)
{
	struct demo_report bpf;
	int err;

	view_mmap(skel, seen);
	err = view_bpf(skel, &bpf);
	if (err) {
		printf("DEMO-ERROR round %ld: BPF_PROG_TEST_RUN of demo_report: %s\n",
		       round, strerror(-err));
		return EXIT_ERROR;
	}
	print_view(round, "mmap", seen);
	print_view(round, "bpf", &bpf);
	printf("DEMO-VIEWS round %ld", round);
	if (print_diff(seen, &bpf, " agree")) {
		printf("DEMO-ERROR round %ld: the mmapped view and the BPF program disagree\n",
		       round);
		return EXIT_MISMATCH;
	}
	return 0;
}

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Reads .data's tunable (a) and arr[7] (b) until both are @until.  The host
 * writes a = b = k for rising k, one batch each: reading b then a must give
 * a >= b, reading a then b must give b >= a; anything else is half a batch.
 */
static int check_atomic(struct demo *skel, long until, long min_reads,
			long timeout_ms)
{
	volatile __u32 *a = &skel->data->tunable;
	volatile __u32 *b = &skel->data->arr[DEMO_ARR_LEN - 1];
	unsigned long reads = 0, torn = 0, changes = 0;
	__u32 va, vb, last = 0, ta = 0, tb = 0;
	struct timespec nap = { 0, 100000 };
	bool done = false;

	*a = 0;
	*b = 0;
	__sync_synchronize();
	signal(SIGALRM, on_alarm);
	alarm((timeout_ms + 999) / 1000);
	printf("DEMO-CHECKING tunable and arr[%d] until both are %ld\n",
	       DEMO_ARR_LEN - 1, until);
	fflush(stdout);
	while (!stop && !(done && reads >= (unsigned long)min_reads)) {
		if (reads & 1) {
			vb = *b;
			__asm__ __volatile__("" ::: "memory");
			va = *a;
			if (va < vb)
				goto torn;
		} else {
			va = *a;
			__asm__ __volatile__("" ::: "memory");
			vb = *b;
			if (vb < va)
				goto torn;
		}
		goto next;
torn:
		if (!torn++) {
			ta = va;
			tb = vb;
		}
next:
		if (va != last) {
			changes++;
			last = va;
		}
		if (va == until && vb == until)
			done = true;
		/* Let the vCPU idle now and then: the host has work to do. */
		if (!(++reads & 255))
			nanosleep(&nap, NULL);
	}
	alarm(0);
	printf("DEMO-CHECKED reads=%lu torn=%lu changes=%lu final=%s",
	       reads, torn, changes, done ? "seen" : "not seen");
	if (torn)
		printf(" first_torn=(tunable %u, arr[%d] %u)", ta,
		       DEMO_ARR_LEN - 1, tb);
	printf("\n");
	if (torn)
		return EXIT_MISMATCH;
	return done ? EXIT_OK : EXIT_TIMEOUT;
}

static int parse_long(const char *opt, const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || end == s || *out < 0 || *out > max) {
		fprintf(stderr, "bpfpoke-demo: bad %s '%s': 0..%ld\n", opt, s, max);
		return -1;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void print_loaded(const struct demo *skel)
{
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo);
	struct bpf_map *m;

	bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.demo_prog), &pinfo, &len);
	printf("DEMO-LOADED prog demo_prog id %u; maps:", pinfo.id);
	bpf_object__for_each_map(m, skel->obj) {
		struct bpf_map_info info = {};

		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
			printf(" %s id %u", info.name, info.id);
	}
	printf("\n");
}

static int run(const struct options *o)
{
	struct bpfpoke_guest_opts gopts = { .sz = sizeof(gopts), .port = o->port };
	struct demo_report before, after;
	struct bpfpoke_guest *g = NULL;
	struct demo *skel;
	int ret = EXIT_OK, err;
	long round;

	libbpf_set_print(libbpf_print);
	skel = demo__open_and_load();
	if (!skel) {
		fprintf(stderr, "bpfpoke-demo: cannot load the demo BPF object: %s\n",
			strerror(errno));
		return EXIT_ERROR;
	}
	if (o->pin) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/demo_prog", o->pin);
		if (mkdir(o->pin, 0700) && errno != EEXIST) {
			fprintf(stderr, "bpfpoke-demo: mkdir %s: %s\n", o->pin,
				strerror(errno));
			ret = EXIT_ERROR;
			goto out;
		}
		err = bpf_program__pin(skel->progs.demo_prog, path);
		if (err) {
			fprintf(stderr, "bpfpoke-demo: pin %s: %s\n", path,
				strerror(-err));
			ret = EXIT_ERROR;
			goto out;
		}
	}
	/* One run of the program: .bss runs becomes 1, the target is live. */
	{
		unsigned char pkt[64] = { 0 };
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 1);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.demo_prog), &t)) {
			fprintf(stderr, "bpfpoke-demo: BPF_PROG_TEST_RUN of demo_prog: %s\n",
				strerror(errno));
			ret = EXIT_ERROR;
			goto out;
		}
	}
	print_loaded(skel);
	ret = observe(skel, 0, &before);
	if (ret)
		goto out;

	if (o->rounds) {
		g = bpfpoke_guest_open(&gopts);
		if (!g) {
			fprintf(stderr, "bpfpoke-demo: cannot open %s: %s\n",
				o->port ? o->port : "the signal port", strerror(errno));
			ret = EXIT_ERROR;
			goto out;
		}
	}
	for (round = 1; round <= o->rounds; round++) {
		struct bpfpoke_guest_signal sig;
		char env[24];
		long long t0;

		printf("DEMO-WAITING round %ld on %s\n", round, bpfpoke_guest_port(g));
		fflush(stdout);
		t0 = bpfpoke_now_ms();
		err = bpfpoke_guest_wait(g, (int)o->timeout_ms, &sig);
		if (err == -ETIMEDOUT) {
			printf("DEMO-TIMEOUT round %ld: no signal within %ld ms\n",
			       round, o->timeout_ms);
			ret = EXIT_TIMEOUT;
			goto out;
		}
		if (err) {
			printf("DEMO-ERROR round %ld: reading the signal port: %s\n",
			       round, strerror(-err));
			ret = EXIT_ERROR;
			goto out;
		}
		if (sig.failed)
			printf("DEMO-SIGNAL round %ld failed: %s (signal %#x) after %lld ms\n",
			       round, strerror(-sig.status), sig.seq, bpfpoke_now_ms() - t0);
		else if (sig.compat)
			printf("DEMO-SIGNAL round %ld done (compat byte) after %lld ms\n",
			       round, bpfpoke_now_ms() - t0);
		else
			printf("DEMO-SIGNAL round %ld done (signal %#x) after %lld ms\n",
			       round, sig.seq, bpfpoke_now_ms() - t0);
		err = observe(skel, round, &after);
		if (err) {
			ret = err;
			goto out;
		}
		printf("DEMO-CHANGED round %ld:", round);
		print_diff(&before, &after, " nothing");
		before = after;
		if (sig.failed)
			ret = EXIT_FAILED;
		fflush(stdout);
		snprintf(env, sizeof(env), "%ld", round);
		setenv("DEMO_ROUND", env, 1);
		if (o->after && system(o->after) == -1)
			fprintf(stderr, "bpfpoke-demo: cannot run '%s'\n", o->after);
		fflush(stdout);
	}
	if (o->check_until) {
		err = check_atomic(skel, o->check_until, o->check_reads,
				   o->timeout_ms);
		if (err)
			ret = err;
	}
	printf("DEMO-DONE status %d\n", ret);
	fflush(stdout);
	while (o->linger)
		pause();
out:
	bpfpoke_guest_close(g);
	demo__destroy(skel);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "after", required_argument, NULL, 'a' },
		{ "pin", required_argument, NULL, 'P' },
		{ "no-pin", no_argument, NULL, 'N' },
		{ "check-until", required_argument, NULL, 'u' },
		{ "check-reads", required_argument, NULL, 'n' },
		{ "linger", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct options o = {
		.pin = "/sys/fs/bpf/bpfpoke-demo",
		.timeout_ms = 120000,
		.rounds = 1,
		.check_reads = 10000,
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:t:r:a:P:Nu:n:lh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.port = optarg;
			break;
		case 't':
			if (parse_long("--timeout", optarg, 86400000, &o.timeout_ms))
				return EXIT_USAGE;
			break;
		case 'r':
			if (parse_long("--rounds", optarg, 1000, &o.rounds))
				return EXIT_USAGE;
			break;
		case 'a':
			o.after = optarg;
			break;
		case 'P':
			o.pin = optarg;
			break;
		case 'N':
			o.pin = NULL;
			break;
		case 'u':
			if (parse_long("--check-until", optarg, 0xffffffffL, &o.check_until))
				return EXIT_USAGE;
			break;
		case 'n':
			if (parse_long("--check-reads", optarg, 1L << 40, &o.check_reads))
				return EXIT_USAGE;
			break;
		case 'l':
			o.linger = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(&o);
}
