// SPDX-License-Identifier: GPL-2.0
/*
 * read_bench: cold `bpfpoke read` against a running guest's RAM file, and
 * further field resolves on an open session.  read_bench.sh boots the
 * guest and runs it; it runs on the host, not in L1.
 *
 *	read_bench [-n RUNS] [-r ROUNDS] BPFPOKE RAM BTF SYMBOLS SUFFIX:FIELD...
 *
 * Cold: RUNS times, alternating, `BPFPOKE --version` (the baseline: process
 * start, dynamic linking, exit) and `BPFPOKE --times --no-cache --mem-file
 * RAM --btf BTF --symbols SYMBOLS read SUFFIX FIELD` of the first
 * SUFFIX:FIELD, each a fork and exec: wall time from fork to wait4(), peak
 * RSS from wait4()'s ru_maxrss, the stages from the --times line.  Then
 * the same without --no-cache, the description cache (a directory of this
 * run) warmed by one run first.  They run first, while this process is
 * small: a child's ru_maxrss counts what it got at fork.  Cold means a new
 * process; the page cache holds the files.
 *
 * Zero-config: the same cold read without BTF and SYMBOLS, its first run
 * with an empty description cache, the others cached; next to the
 * described cold read's median.
 *
 * Further resolves: one session on RAM, its first resolve (with the map
 * walk) timed apart, then ROUNDS times every SUFFIX:FIELD resolved as
 * `bpfpoke read` does it (bpfpoke_map_find(); bpfpoke_map_btf_get(), the
 * session's parse of the map's BTF, its struct btf read again from the
 * guest to check it; bpfpoke_field_resolve()), each timed.  The baseline
 * is reading the resolved field's bytes (bpfpoke_map_value_read()).
 *
 * Prints tables: medians, the ratio of each figure to its target (issue 4:
 * 150 ms cold, 100 us per further resolve, 64 MiB peak RSS) and to the
 * baseline of the same run.  Exits 1 on errors only (a spawn or read that
 * fails, a value the CLI prints other than the library reads it), never on
 * speed: the figures depend on the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "bpfpoke.h"

#define TARGET_COLD_MS		150.0
#define TARGET_RESOLVE_NS	100000.0
#define TARGET_RSS_MIB		64.0

#define OUT_MAX			4096
#define MAX_FIELDS		64

/* The stages of the --times line, in its order. */
static const char *const stage_names[] = {
	"cache", "symbols", "vmlinux_btf", "attach", "vmcoreinfo", "kallsyms", "kaslr",
	"map_walk", "map_btf", "resolve", "total",
};
#define NR_STAGES	(sizeof(stage_names) / sizeof(stage_names[0]))
#define STAGE_TOTAL	(NR_STAGES - 1)

static const char *const stage_labels[] = {
	"description cache (look up/store)", "symbols (kallsyms)", "vmlinux BTF (+ layouts)", "attach (RAM file)",
	"VMCOREINFO scan", "kallsyms decode", "KASLR", "map walk",
	"program BTF", "resolve",
};
#define STAGE_CACHE	0
#define STAGE_SYMBOLS	1
#define STAGE_BTF	2
#define STAGE_SCAN	4
#define STAGE_KALLSYMS	5

struct run {
	double wall_ms;
	double rss_mib;
	double stage_ms[NR_STAGES];
	char out[OUT_MAX];
	char err[OUT_MAX];
};

struct field_ref {
	char suffix[BPFPOKE_MAP_WRITE_SUFFIX_MAX + 1];
	const char *field;
};

static char last_warn[1024];

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "read_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (last_warn[0])
		fprintf(stderr, " (%s)", last_warn);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((format(printf, 2, 0)))
static int keep_warn(enum bpfpoke_print_level level, const char *fmt,
		     va_list ap)
{
	size_t len;

	if (level != BPFPOKE_WARN)
		return 0;
	vsnprintf(last_warn, sizeof(last_warn), fmt, ap);
	len = strlen(last_warn);
	if (len && last_warn[len - 1] == '\n')
		last_warn[len - 1] = 0;
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double median, mean, min, p90, max;
};

/* Sorts @v. */
static struct stats stats_of(double *v, size_t n)
{
	struct stats st;
	double sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	st.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	st.mean = sum / n;
	st.min = v[0];
	st.max = v[n - 1];
	st.p90 = v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
	return st;
}

/* Appends what @fd has to @buf (cut at @size - 1); 0 at EOF. */
static int drain(int fd, char *buf, size_t size, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	size_t room;

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	room = size - 1 - *len;
	if ((size_t)n < room)
		room = n;
	memcpy(buf + *len, tmp, room);
	*len += room;
	buf[*len] = 0;
	return 1;
}

/* fork, exec @argv, wait4: its exit status, or -1 if it did not exit. */
static int spawn(const char *const argv[], struct run *r)
{
	int out[2], err[2], status;
	size_t out_len = 0, err_len = 0;
	struct pollfd pfd[2];
	struct rusage ru;
	double t0;
	pid_t pid;

	r->out[0] = 0;
	r->err[0] = 0;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	pfd[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[0].revents && !drain(out[0], r->out, OUT_MAX, &out_len))
			pfd[0].fd = -1;
		if (pfd[1].revents && !drain(err[0], r->err, OUT_MAX, &err_len))
			pfd[1].fd = -1;
	}
	close(out[0]);
	close(err[0]);
	if (wait4(pid, &status, 0, &ru) != pid)
		die("wait4: %s", strerror(errno));
	r->wall_ms = (now_ns() - t0) / 1e6;
	r->rss_mib = ru.ru_maxrss / 1024.0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The stages of "bpfpoke: times (ms): symbols 1.2  vmlinux_btf 3.4 ...". */
static void parse_times(struct run *r)
{
	static const char tag[] = "bpfpoke: times (ms):";
	char *p = strstr(r->err, tag), *line, *name, *save = NULL;
	bool seen[NR_STAGES] = {};
	size_t i;

	if (!p)
		die("no --times line from bpfpoke; stderr: %s", r->err);
	line = strndup(p + sizeof(tag) - 1, strcspn(p, "\n") - (sizeof(tag) - 1));
	if (!line)
		die("out of memory");
	for (name = strtok_r(line, " ", &save); name;
	     name = strtok_r(NULL, " ", &save)) {
		char *val = strtok_r(NULL, " ", &save), *end;

		for (i = 0; i < NR_STAGES; i++)
			if (!strcmp(name, stage_names[i]))
				break;
		if (!val || i == NR_STAGES)
			continue;	/* a stage this bench does not know */
		r->stage_ms[i] = strtod(val, &end);
		seen[i] = end != val;
	}
	free(line);
	for (i = 0; i < NR_STAGES; i++)
		if (!seen[i])
			die("--times line without '%s': %s", stage_names[i], p);
}

static void print_ratio_row(const char *what, double v, const char *unit,
			    double target, double base)
{
	printf("%-34s %10.3f %s", what, v, unit);
	if (target > 0 || base > 0)
		printf("%*s", 3 - (int)strlen(unit), "");
	if (target > 0)
		printf(" %8.0f %-3s %7.3f %-6s", target, unit, v / target,
		       v <= target ? "within" : "over");
	else if (base > 0)
		printf(" %8s %-3s %7s %-6s", "", "", "", "");
	if (base > 0)
		printf(" %9.1fx", v / base);
	printf("\n");
}

/*
 * Leaves what the reads printed in @got (each run printed the same).
 * @cached: with the description cache, warmed by one run first (each run
 * must then have taken its description from it: no symbols stage);
 * else --no-cache, every run parsing the files.
 */
static double cold_bench(int runs, bool cached, char *bpfpoke, char *ram,
			 char *btf, char *syms, const struct field_ref *fr,
			 char *got, size_t got_size)
{
	const char *read_argv[] = { bpfpoke, "--times", "--no-cache",
				    "--mem-file", ram, "--btf", btf,
				    "--symbols", syms, "read", fr->suffix,
				    fr->field, NULL };
	const char *base_argv[] = { bpfpoke, "--version", NULL };
	double *wall, *rss, *bwall, *brss, *st[NR_STAGES + 2];
	struct stats s_wall, s_rss, s_bwall, s_brss, s;
	struct run *r = calloc(1, sizeof(*r));
	double first_wall = 0, first_rss = 0;
	int i, rc;
	size_t k;

	wall = calloc(runs, sizeof(double));
	rss = calloc(runs, sizeof(double));
	bwall = calloc(runs, sizeof(double));
	brss = calloc(runs, sizeof(double));
	for (k = 0; k < NR_STAGES + 2; k++)
		st[k] = calloc(runs, sizeof(double));
	if (!r || !wall || !rss || !bwall || !brss || !st[NR_STAGES + 1])
		die("out of memory");
	if (cached) {
		/* Drop "--no-cache"; the first run fills the cache. */
		memmove(&read_argv[2], &read_argv[3],
			sizeof(read_argv) - 3 * sizeof(read_argv[0]));
		if (spawn(read_argv, r))
			die("`bpfpoke read %s %s` failed: %s", fr->suffix,
			    fr->field, r->err);
	}

	for (i = 0; i < runs; i++) {
		rc = spawn(read_argv, r);
		if (rc != 0)
			die("`bpfpoke read %s %s` exited %d: %s", fr->suffix,
			    fr->field, rc, r->err);
		if (!i)
			snprintf(got, got_size, "%s", r->out);
		else if (strcmp(r->out, got))
			die("`bpfpoke read %s %s` printed '%s', then '%s'",
			    fr->suffix, fr->field, got, r->out);
		parse_times(r);
		if (cached && r->stage_ms[STAGE_SYMBOLS] > 0)
			die("run %d parsed the symbols: the description cache was not used (files changed less than 2 s ago?)",
			    i);
		wall[i] = r->wall_ms;
		rss[i] = r->rss_mib;
		for (k = 0; k < NR_STAGES; k++)
			st[k][i] = r->stage_ms[k];
		/* The rest of main(), and exec + libraries + exit. */
		st[NR_STAGES][i] = r->stage_ms[STAGE_TOTAL];
		for (k = 0; k < STAGE_TOTAL; k++)
			st[NR_STAGES][i] -= r->stage_ms[k];
		st[NR_STAGES + 1][i] = r->wall_ms - r->stage_ms[STAGE_TOTAL];
		if (!i) {
			first_wall = r->wall_ms;
			first_rss = r->rss_mib;
		}

		rc = spawn(base_argv, r);
		if (rc != 0 || !strstr(r->out, " v"))
			die("`bpfpoke --version` exited %d: %s%s", rc, r->out, r->err);
		bwall[i] = r->wall_ms;
		brss[i] = r->rss_mib;
	}
	s_wall = stats_of(wall, runs);
	s_rss = stats_of(rss, runs);
	s_bwall = stats_of(bwall, runs);
	s_brss = stats_of(brss, runs);

	printf("cold `bpfpoke read %s %s` (fork+exec to exit, value printed), %s, %d runs, alternating with the baseline `bpfpoke --version`; it printed: %s",
	       fr->suffix, fr->field,
	       cached ? "description from the warm description cache" :
			"--no-cache: the --btf and --symbols files parsed",
	       runs, got);
	printf("%-34s %14s %12s %14s %10s\n", "figure (median)", "value", "target",
	       "ratio/target", "/baseline");
	print_ratio_row("baseline: bpfpoke --version", s_bwall.median, "ms", 0, 0);
	print_ratio_row("cold read: wall", s_wall.median, "ms", TARGET_COLD_MS,
			s_bwall.median);
	print_ratio_row("cold read: wall, first run", first_wall, "ms",
			TARGET_COLD_MS, s_bwall.median);
	printf("%-34s %10.3f ms .. %.3f ms\n", "cold read: wall, min .. max",
	       s_wall.min, s_wall.max);
	print_ratio_row("baseline: peak RSS", s_brss.median, "MiB", 0, 0);
	print_ratio_row("cold read: peak RSS", s_rss.median, "MiB",
			TARGET_RSS_MIB, s_brss.median);
	print_ratio_row("cold read: peak RSS, first run", first_rss, "MiB",
			TARGET_RSS_MIB, s_brss.median);
	printf("\n");

	printf("cold read breakdown (bpfpoke --times), median of each stage over %d runs (medians need not add up)\n",
	       runs);
	printf("%-34s %10s %10s\n", "stage", "ms", "% of wall");
	for (k = 0; k < STAGE_TOTAL; k++) {
		s = stats_of(st[k], runs);
		printf("%-34s %10.3f %9.1f%%\n", stage_labels[k], s.median,
		       100 * s.median / s_wall.median);
	}
	s = stats_of(st[NR_STAGES], runs);
	printf("%-34s %10.3f %9.1f%%\n", "rest of main() (read, print)",
	       s.median, 100 * s.median / s_wall.median);
	s = stats_of(st[STAGE_TOTAL], runs);
	printf("%-34s %10.3f %9.1f%%\n", "main() total (--times total)",
	       s.median, 100 * s.median / s_wall.median);
	s = stats_of(st[NR_STAGES + 1], runs);
	printf("%-34s %10.3f %9.1f%%\n", "fork, exec, libraries, exit",
	       s.median, 100 * s.median / s_wall.median);
	printf("%-34s %10.3f %9.1f%%\n", "wall", s_wall.median, 100.0);
	printf("\n");

	for (k = 0; k < NR_STAGES + 2; k++)
		free(st[k]);
	free(wall);
	free(rss);
	free(bwall);
	free(brss);
	free(r);
	return s_wall.median;
}

/*
 * Zero-config: the same cold read with no --btf/--symbols.  The first run
 * has an empty description cache (scan, kallsyms, BTF from guest memory);
 * the others use what it cached (a hinted scan, the cached symbols and
 * BTF).  Side by side with the described cold read's median (@described).
 */
static void zero_bench(int runs, char *bpfpoke, char *ram,
		       const struct field_ref *fr, const char *want,
		       double described)
{
	const char *argv[] = { bpfpoke, "--times", "--mem-file", ram, "read",
			       fr->suffix, fr->field, NULL };
	char dir[] = "/tmp/bpfpoke-bench-cache.XXXXXX", cmd[128], *old;
	double *wall = calloc(runs, sizeof(double)), first[NR_STAGES], first_wall;
	double *st[NR_STAGES];
	struct run *r = calloc(1, sizeof(*r));
	struct stats sw;
	size_t k;
	int i, rc;

	for (k = 0; k < NR_STAGES; k++)
		st[k] = calloc(runs, sizeof(double));
	if (!wall || !r || !st[NR_STAGES - 1] || !mkdtemp(dir))
		die("out of memory, or no temporary directory");
	old = getenv("BPFPOKE_CACHE_DIR");
	old = old ? strdup(old) : NULL;
	setenv("BPFPOKE_CACHE_DIR", dir, 1);
	for (i = 0; i <= runs; i++) {
		rc = spawn(argv, r);
		if (rc != 0 || strcmp(r->out, want))
			die("zero-config `bpfpoke read %s %s` exited %d, printed '%s' (want '%s'): %s",
			    fr->suffix, fr->field, rc, r->out, want, r->err);
		parse_times(r);
		if (!i) {
			first_wall = r->wall_ms;
			memcpy(first, r->stage_ms, sizeof(first));
			continue;
		}
		wall[i - 1] = r->wall_ms;
		for (k = 0; k < NR_STAGES; k++)
			st[k][i - 1] = r->stage_ms[k];
	}
	if (old)
		setenv("BPFPOKE_CACHE_DIR", old, 1);
	else
		unsetenv("BPFPOKE_CACHE_DIR");
	free(old);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		die("cannot remove %s", dir);
	sw = stats_of(wall, runs);

	printf("zero-config cold `bpfpoke read %s %s` (no --btf/--symbols), the first run with an empty cache, then %d cached runs\n",
	       fr->suffix, fr->field, runs);
	printf("%-34s %10s %10s %12s\n", "figure", "first", "cached", "/described");
	printf("%-34s %10.3f %10.3f %11.2fx\n", "wall (ms)", first_wall,
	       sw.median, sw.median / described);
	printf("%-34s %10.3f %10.3f\n", "  VMCOREINFO scan (ms)",
	       first[STAGE_SCAN], stats_of(st[STAGE_SCAN], runs).median);
	printf("%-34s %10.3f %10.3f\n", "  kallsyms decode (ms)",
	       first[STAGE_KALLSYMS], stats_of(st[STAGE_KALLSYMS], runs).median);
	printf("%-34s %10.3f %10.3f\n", "  symbols (ms)", first[STAGE_SYMBOLS],
	       stats_of(st[STAGE_SYMBOLS], runs).median);
	printf("%-34s %10.3f %10.3f\n", "  vmlinux BTF (+ layouts) (ms)",
	       first[STAGE_BTF], stats_of(st[STAGE_BTF], runs).median);
	printf("%-34s %10s %10.3f %11s\n", "described cold read, --no-cache (ms)", "",
	       described, "1.00x");
	printf("\n");
	for (k = 0; k < NR_STAGES; k++)
		free(st[k]);
	free(wall);
	free(r);
}

/* The map and field of @fr, resolved as `bpfpoke read` does. */
static void resolve(struct bpfpoke_session *s, const struct field_ref *fr,
		    const struct bpfpoke_map_info **m, struct bpfpoke_field *f,
		    double *field_ns)
{
	struct bpfpoke_map_value mv;
	const struct btf *btf;
	double t0;

	if (bpfpoke_map_find(s, fr->suffix, fr->field, m, NULL))
		die("map for %s %s: %s", fr->suffix, fr->field, strerror(errno));
	/* The session's parse of the map's BTF, checked against the guest. */
	btf = bpfpoke_map_btf_get(s, *m);
	if (!btf)
		die("BTF of %s: %s", fr->suffix, strerror(errno));
	bpfpoke_map_value_init(&mv, *m, btf);
	f->sz = sizeof(*f);
	t0 = now_ns();
	if (bpfpoke_field_resolve(&mv, fr->field, f))
		die("field %s %s: %s", fr->suffix, fr->field, strerror(errno));
	*field_ns += now_ns() - t0;
}

/* What `bpfpoke read` prints for @fr, read through the library. */
static void read_line(struct bpfpoke_session *s, const struct field_ref *fr,
		      char *buf, size_t size)
{
	const struct bpfpoke_map_info *m;
	unsigned char data[256];
	struct bpfpoke_field f;
	char text[512];
	double ns = 0;

	resolve(s, fr, &m, &f, &ns);
	if (f.size > sizeof(data) ||
	    bpfpoke_map_value_read(s, m, 0, f.offset, data, f.size))
		die("read %s %s: %s", fr->suffix, fr->field, strerror(errno));
	if (bpfpoke_field_format(&f, data, f.size, text, sizeof(text), 0) < 0)
		die("format %s %s: %s", fr->suffix, fr->field, strerror(errno));
	snprintf(buf, size, "%s = %s\n", fr->field, text);
}

static struct bpfpoke_session *open_session(char *ram, char *btf, char *syms,
					    double ms[3])
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts, .btf = btf, .symbols = syms,
		     .mem_file = ram);
	struct bpfpoke_session *s;
	double t0 = now_ns();

	s = bpfpoke_session_open(&opts);
	if (!s)
		die("session open: %s", strerror(errno));
	ms[0] = (now_ns() - t0) / 1e6;
	t0 = now_ns();
	if (bpfpoke_session_attach(s))
		die("attach %s: %s", ram, strerror(errno));
	ms[1] = (now_ns() - t0) / 1e6;
	t0 = now_ns();
	if (bpfpoke_session_load(s))
		die("no kernel in %s: %s", ram, strerror(errno));
	ms[2] = (now_ns() - t0) / 1e6;
	return s;
}

static void resolve_bench(int rounds, char *ram, char *btf, char *syms,
			  const struct field_ref *fr, int nf)
{
	const struct bpfpoke_session_times *tm;
	const struct bpfpoke_map_info *m;
	struct stats s_res, s_base;
	double open_ms[3], first_ns, field_ns = 0, dummy = 0, t0, *res, *base;
	__u64 btf0, find0, cnt0, cnt;
	struct bpfpoke_session *s;
	struct bpfpoke_field f;
	unsigned char data[64];
	int i, j, n = rounds * nf;

	res = calloc(n, sizeof(double));
	base = calloc(n, sizeof(double));
	if (!res || !base)
		die("out of memory");
	s = open_session(ram, btf, syms, open_ms);
	tm = bpfpoke_session_times(s);
	t0 = now_ns();
	resolve(s, &fr[0], &m, &f, &dummy);
	first_ns = now_ns() - t0;

	btf0 = tm->map_btf_ns;
	find0 = tm->resolve_ns;
	cnt0 = tm->resolve_count;
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < nf; j++) {
			t0 = now_ns();
			resolve(s, &fr[j], &m, &f, &field_ns);
			res[i * nf + j] = now_ns() - t0;

			t0 = now_ns();
			if (bpfpoke_map_value_read(s, m, 0, f.offset, data,
						   f.size < sizeof(data) ? f.size : sizeof(data)))
				die("read %s %s: %s", fr[j].suffix, fr[j].field,
				    strerror(errno));
			base[i * nf + j] = now_ns() - t0;
		}
	}
	cnt = tm->resolve_count - cnt0;
	s_res = stats_of(res, n);
	s_base = stats_of(base, n);

	printf("in one process (libbpfpoke, session on the same RAM file)\n");
	printf("%-34s %10.3f ms (symbols, vmlinux BTF)\n", "session open", open_ms[0]);
	printf("%-34s %10.3f ms\n", "session attach", open_ms[1]);
	printf("%-34s %10.3f ms (KASLR)\n", "session load", open_ms[2]);
	printf("%-34s %10.3f ms (%s %s, with the map walk)\n", "first resolve",
	       first_ns / 1e6, fr[0].suffix, fr[0].field);
	printf("\n");

	printf("further resolves: %d fields x %d rounds (bpfpoke_map_find + bpfpoke_field_resolve, as `bpfpoke read`), ns\n",
	       nf, rounds);
	printf("%-34s %10s %10s %10s %10s %10s\n", "", "median", "mean", "min",
	       "p90", "max");
	printf("%-34s %10.0f %10.0f %10.0f %10.0f %10.0f\n", "further resolve",
	       s_res.median, s_res.mean, s_res.min, s_res.p90, s_res.max);
	printf("%-34s %10.0f %10.0f %10.0f %10.0f %10.0f\n",
	       "baseline: read the field's bytes", s_base.median, s_base.mean,
	       s_base.min, s_base.p90, s_base.max);
	printf("%-34s %14s %12s %14s %10s\n", "figure (median)", "value", "target",
	       "ratio/target", "/baseline");
	print_ratio_row("further resolve", s_res.median / 1e3, "us",
			TARGET_RESOLVE_NS / 1e3, s_base.median / 1e3);
	print_ratio_row("further resolve, mean", s_res.mean / 1e3, "us",
			TARGET_RESOLVE_NS / 1e3, s_base.mean / 1e3);
	printf("mean per further resolve, by part (library times):\n");
	printf("%-34s %10.0f ns\n", "  program BTF (check, or read + parse)",
	       cnt ? (double)(tm->map_btf_ns - btf0) / cnt : 0);
	printf("%-34s %10.0f ns\n", "  map pick + field lookup",
	       cnt ? (double)(tm->resolve_ns - find0) / cnt : 0);
	printf("%-34s %10.0f ns\n", "  bpfpoke_field_resolve", field_ns / n);

	bpfpoke_session_close(s);
	free(res);
	free(base);
}

static void usage(void)
{
	fprintf(stderr, "usage: read_bench [-n RUNS] [-r ROUNDS] BPFPOKE RAM BTF SYMBOLS SUFFIX:FIELD...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct field_ref fr[MAX_FIELDS];
	int runs = 21, rounds = 200, opt, nf = 0, i;
	struct bpfpoke_session *s;
	char got[OUT_MAX], got2[OUT_MAX], want[1024];
	char cache[] = "/tmp/bpfpoke-bench-desc.XXXXXX", cmd[128];
	double ms[3], uncached, cached;

	while ((opt = getopt(argc, argv, "n:r:")) >= 0) {
		switch (opt) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 5 || runs < 1 || rounds < 1)
		usage();
	for (i = optind + 4; i < argc; i++) {
		char *colon = strchr(argv[i], ':');

		if (!colon || colon == argv[i] || !colon[1] || nf == MAX_FIELDS ||
		    (size_t)(colon - argv[i]) > BPFPOKE_MAP_WRITE_SUFFIX_MAX)
			usage();
		memcpy(fr[nf].suffix, argv[i], colon - argv[i]);
		fr[nf].suffix[colon - argv[i]] = 0;
		fr[nf].field = colon + 1;
		nf++;
	}
	bpfpoke_set_print(keep_warn);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The described runs' own description cache, empty to begin with. */
	if (!mkdtemp(cache))
		die("no temporary directory: %s", strerror(errno));
	setenv("BPFPOKE_CACHE_DIR", cache, 1);
	uncached = cold_bench(runs, false, argv[optind], argv[optind + 1],
			      argv[optind + 2], argv[optind + 3], &fr[0], got,
			      sizeof(got));
	cached = cold_bench(runs, true, argv[optind], argv[optind + 1],
			    argv[optind + 2], argv[optind + 3], &fr[0], got2,
			    sizeof(got2));
	if (strcmp(got, got2))
		die("`bpfpoke read %s %s` printed '%s' parsing the files, '%s' from the cache",
		    fr[0].suffix, fr[0].field, got, got2);
	printf("%-34s %10.3f ms %10.3f ms %9.2fx\n\n",
	       "cold read: --no-cache, cached", uncached, cached,
	       cached / uncached);
	zero_bench(runs, argv[optind], argv[optind + 1], &fr[0], got, uncached);

	/* What the CLI printed, against the library's own read. */
	s = open_session(argv[optind + 1], argv[optind + 2], argv[optind + 3], ms);
	read_line(s, &fr[0], want, sizeof(want));
	bpfpoke_session_close(s);
	if (strcmp(got, want))
		die("`bpfpoke read %s %s` printed '%s', the library reads '%s'",
		    fr[0].suffix, fr[0].field, got, want);
	resolve_bench(rounds, argv[optind + 1], argv[optind + 2],
		      argv[optind + 3], fr, nf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	if (system(cmd))
		die("cannot remove %s", cache);
	return 0;
}
