// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke: look into, and write to, the BPF maps of a running KVM guest.
 *
 *	bpfpoke [OPTIONS] OBJECT { COMMAND | help }
 *
 * Global options choose the guest (its memory and its kernel's
 * description); objects (map, kernel) live in their own files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "main.h"

const char *bin_name;
bool json_output;
struct json *json;
/* Under --json: the command's document, and the error that replaces it. */
static FILE *json_file;
static char *json_text;
static size_t json_len;
static char json_error[1024];

static bool pretty_output;
static bool debug;
bool print_times;
static __u64 start_ns;
static struct bpfpoke_session_opts session_opts = {
	.sz = sizeof(struct bpfpoke_session_opts),
};
static struct bpfpoke_session *session;
/* bpfpoke_session_load() succeeded on @session. */
static bool session_loaded;

bool is_prefix(const char *pfx, const char *str)
{
	return *pfx && !strncmp(str, pfx, strlen(pfx));
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv))
{
	unsigned int i;

	if (argc < 1)
		return help(argc, argv);
	for (i = 0; cmds[i].name; i++)
		if (is_prefix(argv[0], cmds[i].name))
			return cmds[i].func(argc - 1, argv + 1);
	help(argc - 1, argv + 1);
	return p_err(EXIT_USAGE, "unknown command '%s'", argv[0]);
}

int p_err(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		if (!json_error[0])
			snprintf(json_error, sizeof(json_error), "%s", msg[0] ? msg : "error");
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
	return code;
}

static char last_warn[1024];

const char *lib_msg(const char *fallback)
{
	return last_warn[0] ? last_warn : fallback;
}

void lib_msg_clear(void)
{
	last_warn[0] = 0;
}

void session_want_writable(void)
{
	session_opts.flags |= BPFPOKE_SESSION_WRITABLE;
}

int session_vm_pid(void)
{
	return session_opts.vm_pid;
}

const struct bpfpoke_session_opts *session_options(void)
{
	return &session_opts;
}

__attribute__((format(printf, 2, 0)))
static int print_lib(enum bpfpoke_print_level level, const char *fmt,
		     va_list ap)
{
	static const char pfx[] = "libbpfpoke: ";
	va_list aq;
	size_t len;

	if (level == BPFPOKE_DEBUG && !debug)
		return 0;
	if (level == BPFPOKE_WARN) {
		va_copy(aq, ap);
		vsnprintf(last_warn, sizeof(last_warn), fmt, aq);
		va_end(aq);
		if (!strncmp(last_warn, pfx, sizeof(pfx) - 1))
			memmove(last_warn, last_warn + sizeof(pfx) - 1,
				strlen(last_warn + sizeof(pfx) - 1) + 1);
		len = strlen(last_warn);
		if (len && last_warn[len - 1] == '\n')
			last_warn[len - 1] = 0;
	}
	return vfprintf(stderr, fmt, ap);
}

struct bpfpoke_session *get_guest(int *code)
{
	struct bpfpoke_session *s;

	if (session)
		return session;
	/* No --vmlinux, --btf or --symbols: the guest's own, from its memory. */
	if (!session_opts.vm_pid && !session_opts.mem_file) {
		*code = p_err(EXIT_USAGE, "give the guest: --vm PID or --mem-file PATH");
		return NULL;
	}
	s = bpfpoke_session_open(&session_opts);
	if (!s) {
		*code = p_err(EXIT_KERNEL_DESC, "cannot read the guest kernel's description: %s",
			      strerror(errno));
		return NULL;
	}
	if (bpfpoke_session_attach(s)) {
		*code = p_err(EXIT_GUEST_MEM, "cannot open guest memory (%s): %s",
			      session_opts.mem_file ? session_opts.mem_file : "vm",
			      errno == ENOENT && session_opts.vm_pid ?
			      "bpfpoke.ko is not loaded, or the process has no KVM VM" :
			      strerror(errno));
		bpfpoke_session_close(s);
		return NULL;
	}
	session = s;
	return s;
}

struct bpfpoke_session *get_session(int *code)
{
	struct bpfpoke_session *s;

	if (session && session_loaded)
		return session;
	s = get_guest(code);
	if (!s)
		return NULL;
	lib_msg_clear();
	if (bpfpoke_session_load(s)) {
		if (session_opts.vmlinux || session_opts.symbols)
			*code = p_err(EXIT_GUEST_KERNEL, "no kernel matching the description in guest memory: %s",
				      strerror(errno));
		else
			*code = p_err(EXIT_GUEST_KERNEL, "cannot describe the guest kernel from its memory: %s",
				      lib_msg(strerror(errno)));
		bpfpoke_session_close(s);
		session = NULL;
		return NULL;
	}
	session_loaded = true;
	return s;
}

static void report_times(void)
{
	const struct bpfpoke_session_times *t = bpfpoke_session_times(session);

	if (!t)
		return;
	fprintf(stderr,
		"bpfpoke: times (ms): cache %.3f  symbols %.3f  vmlinux_btf %.3f  attach %.3f  vmcoreinfo %.3f  kallsyms %.3f  kaslr %.3f  map_walk %.3f  map_btf %.3f  resolve %.3f  total %.3f\n",
		t->cache_ns / 1e6, t->symbols_ns / 1e6, t->vmlinux_btf_ns / 1e6,
		t->attach_ns / 1e6, t->vmcoreinfo_ns / 1e6, t->kallsyms_ns / 1e6,
		t->kaslr_ns / 1e6,
		t->map_walk_ns / 1e6, t->map_btf_ns / 1e6, t->resolve_ns / 1e6,
		(bpfpoke_now_ns() - start_ns) / 1e6);
}

static char *help_text;
static size_t help_len;

FILE *help_start(void)
{
	FILE *f;

	if (!json_output)
		return stderr;
	f = open_memstream(&help_text, &help_len);
	return f ? f : stderr;
}

int help_end(FILE *f)
{
	if (f == stderr)
		return 0;
	fclose(f);
	json_start_object(json);
	json_string_field(json, "help", help_text);
	json_end_object(json);
	free(help_text);
	help_text = NULL;
	return 0;
}

static int json_begin(void)
{
	json_file = open_memstream(&json_text, &json_len);
	json = json_file ? json_new(json_file, pretty_output) : NULL;
	if (!json) {
		json_output = false;
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	return 0;
}

/* The one document: the command's, or the error that replaced it. */
static void json_finish(void)
{
	struct json *err;

	json_destroy(json);
	json = NULL;
	fclose(json_file);
	if (json_error[0]) {
		err = json_new(stdout, pretty_output);
		if (err) {
			json_start_object(err);
			json_string_field(err, "error", json_error);
			json_end_object(err);
			json_destroy(err);
		}
		putchar('\n');
	} else if (json_len) {
		fwrite(json_text, 1, json_len, stdout);
		putchar('\n');
	}
	free(json_text);
}

static int do_help(int argc, char **argv)
{
	FILE *f = help_start();

	(void)argc;
	(void)argv;
	fprintf(f,
		"Usage: %s [OPTIONS] OBJECT { COMMAND | help }\n"
		"       %s version\n"
		"\n"
		"       %s [OPTIONS] read SUFFIX FIELD...\n"
		"       %s [OPTIONS] write SUFFIX FIELD=VALUE... [WRITE_OPTIONS]\n"
		"\n"
		"       OBJECT := { map | kernel }\n"
		"       OPTIONS := { GUEST KERNEL | -j|--json | -p|--pretty | -d|--debug | --times |\n"
		"                    --no-cache }\n"
		"       GUEST := { --vm PID | --mem-file PATH[,below-4g=SIZE|,max-ram-below-4g=SIZE] }\n"
		"       KERNEL := { --vmlinux FILE | --btf FILE --symbols FILE }\n"
		"\n"
		"--vm PID: guest memory through bpfpoke.ko, from the KVM VM of the VMM with PID.\n"
		"--mem-file PATH: guest memory from a QEMU memory-backend-file (share=on); the\n"
		"       file's first part is RAM from guest-physical 0, the rest is at 4 GiB.\n"
		"       By default the split is q35's: all RAM below 2.75 GiB is low, larger RAM\n"
		"       splits at 2 GiB.  below-4g=SIZE gives the split; max-ram-below-4g=SIZE\n"
		"       is QEMU's -machine option of that name.  SIZE takes K, M, G suffixes.\n"
		"--btf FILE: the guest's /sys/kernel/btf/vmlinux; --symbols FILE: its\n"
		"       /proc/kallsyms (read as root) or System.map.\n"
		"Without KERNEL the guest kernel is described from its own memory: its\n"
		"       VMCOREINFO, kallsyms and BTF (kernels 6.0+ built with CRASH_DUMP or\n"
		"       PROC_KCORE, KALLSYMS_ALL and DEBUG_INFO_BTF, as Debian's are).\n"
		"What bpfpoke derives from the description is cached (by the guest's BUILD-ID,\n"
		"       or by the identity of the KERNEL files); --no-cache derives it afresh\n"
		"       (and renews the cache).\n"
		"--times: print where the time went, and the peak RSS, to stderr.\n"
		"read, write: '%s read help', '%s write help'.\n"
		"\n"
		"Exit status: 0 done; 1 the command failed; 2 usage; 3 the kernel description\n"
		"(vmlinux, BTF, symbols) is unusable; 4 guest memory cannot be opened; 5 no\n"
		"matching kernel in guest memory; 6 the guest's map table cannot be read;\n"
		"7 (write) the values were written but the guest did not acknowledge the signal;\n"
		"8 (write) the values were written but the frozen guest could not be continued.\n",
		bin_name, bin_name, bin_name, bin_name, bin_name, bin_name);
	return help_end(f);
}

static int do_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (json_output) {
		json_start_object(json);
		json_string_field(json, "version", BPFPOKE_CLI_VERSION);
		json_end_object(json);
	} else {
		printf("%s v%s\n", bin_name, BPFPOKE_CLI_VERSION);
	}
	return 0;
}

static const struct cmd main_cmds[] = {
	{ "help", do_help },
	{ "map", do_map },
	{ "kernel", do_kernel },
	{ "read", do_read },
	{ "write", do_write },
	{ "version", do_version },
	{ 0 }
};

/* "512M", "0x80000000", "2G" */
static int parse_size(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10, end++;
		break;
	case 'm': case 'M':
		v <<= 20, end++;
		break;
	case 'g': case 'G':
		v <<= 30, end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* PATH[,below-4g=SIZE][,max-ram-below-4g=SIZE] */
static int parse_mem_file(char *arg)
{
	char *opt = strchr(arg, ',');

	session_opts.mem_file = arg;
	while (opt) {
		char *next = strchr(opt + 1, ',');
		__u64 *dst;
		char *val;

		*opt++ = 0;
		if (next)
			*next = 0;
		val = strchr(opt, '=');
		if (!val)
			return -1;
		*val++ = 0;
		if (!strcmp(opt, "below-4g"))
			dst = &session_opts.mem_file_below_4g;
		else if (!strcmp(opt, "max-ram-below-4g"))
			dst = &session_opts.mem_file_max_below_4g;
		else
			return -1;
		if (parse_size(val, dst) || !*dst)
			return -1;
		opt = next;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_VM = 256, OPT_MEM_FILE, OPT_VMLINUX, OPT_BTF, OPT_SYMBOLS,
	       OPT_TIMES, OPT_NO_CACHE };
	static const struct option options[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		{ "pretty",	no_argument,	   NULL, 'p' },
		{ "debug",	no_argument,	   NULL, 'd' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ "vm",		required_argument, NULL, OPT_VM },
		{ "mem-file",	required_argument, NULL, OPT_MEM_FILE },
		{ "vmlinux",	required_argument, NULL, OPT_VMLINUX },
		{ "btf",	required_argument, NULL, OPT_BTF },
		{ "symbols",	required_argument, NULL, OPT_SYMBOLS },
		{ "times",	no_argument,	   NULL, OPT_TIMES },
		{ "no-cache",	no_argument,	   NULL, OPT_NO_CACHE },
		{ 0 }
	};
	bool version = false;
	int opt, ret = EXIT_OK;
	char *end;
	long pid;

	start_ns = bpfpoke_now_ns();
	bin_name = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	bin_name = bin_name ? bin_name + 1 : (argc > 0 ? argv[0] : "bpfpoke");

	/* '+': stop at the object, its arguments are its own. */
	while ((opt = getopt_long(argc, argv, "+jpdhV", options, NULL)) >= 0) {
		switch (opt) {
		case 'p':
			pretty_output = true;
			/* fallthrough */
		case 'j':
			json_output = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			argc = 0;
			break;
		case 'V':
			version = true;
			break;
		case OPT_VM:
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || pid <= 0 ||
			    pid > 0x3fffffff) {
				ret = p_err(EXIT_USAGE, "--vm: bad pid '%s'", optarg);
				goto out;
			}
			session_opts.vm_pid = pid;
			break;
		case OPT_MEM_FILE:
			if (parse_mem_file(optarg)) {
				ret = p_err(EXIT_USAGE, "--mem-file: expected PATH[,below-4g=SIZE|,max-ram-below-4g=SIZE]");
				goto out;
			}
			break;
		case OPT_VMLINUX:
			session_opts.vmlinux = optarg;
			break;
		case OPT_BTF:
			session_opts.btf = optarg;
			break;
		case OPT_SYMBOLS:
			session_opts.symbols = optarg;
			break;
		case OPT_TIMES:
			print_times = true;
			break;
		case OPT_NO_CACHE:
			session_opts.flags |= BPFPOKE_SESSION_NO_CACHE;
			break;
		default:
			ret = p_err(EXIT_USAGE, "unknown option; try '%s help'", bin_name);
			goto out;
		}
	}
	if (json_output && json_begin())
		return EXIT_FAIL;
	if (session_opts.vm_pid && session_opts.mem_file)
		ret = p_err(EXIT_USAGE, "--vm and --mem-file exclude each other");
	else if (session_opts.vmlinux && (session_opts.btf || session_opts.symbols))
		ret = p_err(EXIT_USAGE, "--vmlinux excludes --btf and --symbols");
	else if (!!session_opts.btf != !!session_opts.symbols)
		ret = p_err(EXIT_USAGE, "--btf and --symbols go together");
	else {
		bpfpoke_set_print(print_lib);
		if (version)
			ret = do_version(0, NULL);
		else if (argc <= 0)
			ret = do_help(0, NULL);
		else
			ret = cmd_select(main_cmds, argc - optind, argv + optind,
					 do_help);
	}

	if (print_times) {
		struct rusage ru;

		report_times();
		if (!getrusage(RUSAGE_SELF, &ru))
			fprintf(stderr, "bpfpoke: peak RSS %.1f MiB\n",
				ru.ru_maxrss / 1024.0);
	}
	bpfpoke_session_close(session);
out:
	if (json_output && (json || !json_begin()))
		json_finish();
	return ret;
}
