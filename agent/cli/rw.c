// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke read SUFFIX FIELD...: current values of map fields.
 * bpfpoke write SUFFIX FIELD=VALUE...: one all-or-nothing batch, with the
 * VMM optionally stopped around it, then the signal to the guest.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "main.h"

/* Array elements `read` prints of an array of scalars. */
#define READ_MAX_ELEMS		256
#define VALUE_TEXT_MAX		4096

static bool is_scalar(enum bpfpoke_field_kind k)
{
	return k != BPFPOKE_FIELD_STRUCT && k != BPFPOKE_FIELD_UNION &&
	       k != BPFPOKE_FIELD_ARRAY;
}

/* The text of @f's value, @data its bytes; arrays of scalars as [a, b]. */
static int format_value(const struct bpfpoke_map_value *mv,
			const struct bpfpoke_field *f, const unsigned char *data,
			char *buf, size_t size)
{
	__u32 flags = json_output ? BPFPOKE_FORMAT_JSON : 0;
	size_t len = 0;
	__u32 i;

	if (f->kind != BPFPOKE_FIELD_ARRAY || !is_scalar(f->elem_kind) ||
	    f->elem_kind == BPFPOKE_FIELD_CHAR)
		return bpfpoke_field_format(f, data, f->size, buf, size, flags);
	if (f->nelems > READ_MAX_ELEMS)
		return -E2BIG;
	len = snprintf(buf, size, "[");
	for (i = 0; i < f->nelems && len < size; i++) {
		char path[BPFPOKE_MAP_WRITE_FIELD_MAX + 16];
		struct bpfpoke_field e = { .sz = sizeof(e) };
		int n;

		snprintf(path, sizeof(path), "%s[%u]", f->path, i);
		if (bpfpoke_field_resolve(mv, path, &e))
			return -errno;
		n = bpfpoke_field_format(&e, data + (e.offset - f->offset),
					 e.size, buf + len + (i ? 2 : 0),
					 size - len - (i ? 2 : 0), flags);
		if (n < 0)
			return n;
		if (i)
			memcpy(buf + len, ", ", 2);
		len += n + (i ? 2 : 0);
	}
	if (len + 2 > size)
		return -ENOSPC;
	strcpy(buf + len, "]");
	return len + 1;
}

static int read_help(void)
{
	fprintf(stderr,
		"Usage: %1$s [GUEST KERNEL] read SUFFIX FIELD...\n"
		"\n"
		"The current value of each FIELD of the map whose name ends with SUFFIX\n"
		"(e.g. .bss, .data, .rodata), read from guest memory: 'FIELD = VALUE' lines,\n"
		"or with --json one object per field.  FIELD is a variable, then '.member'\n"
		"and '[N]' (e.g. cfg.inner.lo, arr[3]).  When several maps end with SUFFIX,\n"
		"the one whose BTF has FIELD is read.  Structs and unions: read their members\n"
		"('%1$s map show SUFFIX' lists them).\n",
		bin_name);
	return 0;
}

/* One field read, kept until all are read: output is all or nothing. */
struct read_result {
	__u32 id;
	char map[BPFPOKE_MAP_NAME_MAX + 1];
	struct bpfpoke_field f;
	char *text;
};

static int read_one(struct bpfpoke_session *s, const char *suffix,
		    const char *field, struct read_result *r)
{
	const struct bpfpoke_map_info *m;
	struct bpfpoke_map_value mv;
	unsigned char *data = NULL;
	struct btf *btf = NULL;
	int n, err = 0;

	lib_msg_clear();
	if (bpfpoke_map_find(s, suffix, field, &m, &btf))
		return p_err(errno == EFAULT || errno == ELOOP ? EXIT_MAPS : EXIT_FAIL,
			     "%s", lib_msg(strerror(errno)));
	r->id = m->id;
	snprintf(r->map, sizeof(r->map), "%s", m->name);
	r->f.sz = sizeof(r->f);
	bpfpoke_map_value_init(&mv, m, btf);
	if (bpfpoke_field_resolve(&mv, field, &r->f)) {
		err = p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
		goto out;
	}
	data = malloc(r->f.size ? r->f.size : 1);
	r->text = malloc(VALUE_TEXT_MAX);
	if (!data || !r->text) {
		err = p_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (r->f.size &&
	    bpfpoke_map_value_read(s, m, 0, r->f.offset, data, r->f.size)) {
		err = p_err(EXIT_FAIL, "map %u '%s': cannot read '%s': %s",
			    m->id, m->name, field, strerror(errno));
		goto out;
	}
	n = format_value(&mv, &r->f, data, r->text, VALUE_TEXT_MAX);
	if (n == -EOPNOTSUPP || (n < 0 && !is_scalar(r->f.kind))) {
		err = p_err(EXIT_FAIL, "map '%s': '%s' is %s %s: read its members ('%s map show %s')",
			    m->name, field,
			    r->f.kind == BPFPOKE_FIELD_ARRAY ? "an array" : "a",
			    r->f.type_name, bin_name, suffix);
		goto out;
	}
	if (n < 0 || n >= VALUE_TEXT_MAX)
		err = p_err(EXIT_FAIL, "map '%s': cannot format '%s': %s",
			    m->name, field, strerror(n < 0 ? -n : ENOSPC));
out:
	free(data);
	btf__free(btf);
	return err;
}

int do_read(int argc, char **argv)
{
	struct read_result *res;
	struct bpfpoke_session *s;
	const char *suffix;
	int code = EXIT_FAIL, i, err = 0;

	if (argc >= 1 && is_prefix(argv[0], "help"))
		return json_output ? 0 : read_help();
	if (argc < 2) {
		if (!json_output)
			read_help();
		return p_err(EXIT_USAGE, "read: expected SUFFIX FIELD...");
	}
	suffix = argv[0];
	if (bpfpoke_map_write_check_suffix(suffix))
		return p_err(EXIT_USAGE, "invalid map name suffix '%s': %s", suffix,
			     bpfpoke_map_write_rule_str(bpfpoke_map_write_check_suffix(suffix)));
	for (i = 1; i < argc; i++)
		if (bpfpoke_map_write_check_field(argv[i]))
			return p_err(EXIT_USAGE, "invalid field '%s': %s", argv[i],
				     bpfpoke_map_write_rule_str(bpfpoke_map_write_check_field(argv[i])));
	s = get_session(&code);
	if (!s)
		return code;
	res = calloc(argc, sizeof(*res));
	if (!res)
		return p_err(EXIT_FAIL, "out of memory");
	for (i = 1; i < argc && !err; i++)
		err = read_one(s, suffix, argv[i], &res[i]);
	if (!err && json_output)
		json_start_array(json);
	for (i = 1; i < argc && !err; i++) {
		struct read_result *r = &res[i];

		if (!json_output) {
			printf("%s = %s\n", argv[i], r->text);
			continue;
		}
		json_start_object(json);
		json_uint_field(json, "id", r->id);
		json_string_field(json, "map", r->map);
		json_string_field(json, "field", r->f.path);
		json_uint_field(json, "offset", r->f.offset);
		json_uint_field(json, "size", r->f.size);
		json_string_field(json, "type", r->f.type_name);
		/* Already JSON text (BPFPOKE_FORMAT_JSON). */
		json_name(json, "value");
		json_raw(json, r->text);
		json_end_object(json);
	}
	if (!err && json_output)
		json_end_array(json);
	for (i = 1; i < argc; i++)
		free(res[i].text);
	free(res);
	return err;
}

/*
 * Freezing the VMM with SIGSTOP.  The handlers make sure a frozen VMM is
 * continued whatever ends the agent (but SIGKILL).
 */
static volatile sig_atomic_t frozen_pid;

static void thaw(void)
{
	if (frozen_pid > 0)
		kill(frozen_pid, SIGCONT);
	frozen_pid = 0;
}

static void on_fatal_signal(int sig)
{
	thaw();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_thaw_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	struct sigaction sa = { .sa_handler = on_fatal_signal };
	unsigned int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

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
		return -errno;
	while ((de = readdir(d)) && ret == 1) {
		char *p;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (++seen > 65536) {
			ret = -E2BIG;
			break;
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid,
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* the thread exited */
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
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

#define FREEZE_WAIT_MS		2000

static int freeze(int pid)
{
	struct timespec ts = { 0, 1000000 };
	int i, r;

	if (kill(pid, SIGSTOP))
		return -errno;
	frozen_pid = pid;
	for (i = 0; i < FREEZE_WAIT_MS; i++) {
		r = all_threads_stopped(pid);
		if (r)
			break;
		nanosleep(&ts, NULL);
	}
	if (r == 1)
		return 0;
	thaw();
	return r ? r : -ETIMEDOUT;
}

static int write_help(void)
{
	fprintf(stderr,
		"Usage: %1$s [GUEST KERNEL] write SUFFIX FIELD=VALUE... [WRITE_OPTIONS]\n"
		"\n"
		"       WRITE_OPTIONS := { --signal SIGNAL | --signal-compat | --freeze FREEZE |\n"
		"                          --force | --ack-timeout MS }\n"
		"       SIGNAL := { unix:PATH | file:PATH | none }\n"
		"       FREEZE := { none | sigstop | sigstop:PID }\n"
		"\n"
		"Writes every FIELD of the map whose name ends with SUFFIX (the map whose BTF\n"
		"has FIELD when several do) in one batch.  Every field is resolved and every\n"
		"VALUE parsed against the field's BTF type (integers range checked, true/false,\n"
		"enumerator names, strings for char arrays) before anything is written; any\n"
		"error writes nothing.  A frozen map (.rodata after load) is refused unless\n"
		"--force: the verifier may have folded its values into the programs.\n"
		"Through bpfpoke.ko (--vm) the batch is one all-or-nothing BPFPOKE_ACCESS.\n"
		"With --mem-file the pieces are checked, then written one after the other: a\n"
		"running guest may see part of the batch; freeze it to make that impossible.\n"
		"\n"
		"--freeze sigstop: SIGSTOP the VMM (--vm PID; sigstop:PID for a --mem-file\n"
		"       guest) and wait until all its threads are stopped, write, SIGCONT;\n"
		"       the VMM is continued on every error and on SIGINT/SIGTERM too.\n"
		"--signal: the host end of the guest's org.bpfpoke.0 port (QEMU -chardev\n"
		"       socket: unix:PATH; a pty or FIFO: file:PATH).  WRITE_DONE after the\n"
		"       write, WRITE_FAILED with the errno when the write could not be done,\n"
		"       so 'bpfpoke-guest wait' never waits for a timeout; resent until the\n"
		"       guest acknowledges it or --ack-timeout MS (default 10000) ends.\n"
		"--signal-compat: send the single byte 0xBF for WRITE_DONE (no failure\n"
		"       report, no acknowledgement).\n"
		"\n"
		"Exit status: 0 written (and acknowledged); 7 written, but the signal was not\n"
		"acknowledged in time or could not be sent; 1 nothing was written; 2 usage;\n"
		"3-6 as for every command.\n",
		bin_name);
	return 0;
}

int do_write(int argc, char **argv)
{
	struct bpfpoke_write_item items[BPFPOKE_WRITE_MAX];
	BPFPOKE_OPTS(bpfpoke_write_opts, wopts);
	BPFPOKE_OPTS(bpfpoke_signal_opts, sopts);
	struct bpfpoke_signaller *sig = NULL;
	struct bpfpoke_write_batch *batch = NULL;
	const char *suffix, *signal_spec = NULL;
	struct bpfpoke_session *s;
	char *end, msg[1024] = "";
	int freeze_pid = -1;	/* -1 none, 0 --vm's */
	int code = EXIT_FAIL, i, err, ret;
	size_t nr = 0, k;
	bool written = false;
	__u32 seq = 0;

	if (argc >= 1 && is_prefix(argv[0], "help"))
		return json_output ? 0 : write_help();
	if (argc < 2) {
		if (!json_output)
			write_help();
		return p_err(EXIT_USAGE, "write: expected SUFFIX FIELD=VALUE...");
	}
	suffix = argv[0];
	if (bpfpoke_map_write_check_suffix(suffix))
		return p_err(EXIT_USAGE, "invalid map name suffix '%s': %s", suffix,
			     bpfpoke_map_write_rule_str(bpfpoke_map_write_check_suffix(suffix)));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *eq;

		if (!strcmp(a, "--force")) {
			wopts.flags |= BPFPOKE_WRITE_FORCE;
		} else if (!strcmp(a, "--signal-compat")) {
			sopts.compat = true;
		} else if (!strcmp(a, "--signal") || !strcmp(a, "--freeze") ||
			   !strcmp(a, "--ack-timeout")) {
			if (++i >= argc)
				return p_err(EXIT_USAGE, "%s needs an argument", a);
			if (!strcmp(a, "--signal")) {
				signal_spec = strcmp(argv[i], "none") ? argv[i] : NULL;
				if (signal_spec && strncmp(signal_spec, "unix:", 5) &&
				    strncmp(signal_spec, "file:", 5))
					return p_err(EXIT_USAGE, "--signal: expected unix:PATH, file:PATH or none, got '%s'",
						     argv[i]);
			} else if (!strcmp(a, "--ack-timeout")) {
				unsigned long ms;

				errno = 0;
				ms = strtoul(argv[i], &end, 10);
				if (errno || *end || end == argv[i] || !ms ||
				    ms > 3600000)
					return p_err(EXIT_USAGE, "--ack-timeout: expected 1..3600000 ms, got '%s'",
						     argv[i]);
				sopts.timeout_ms = ms;
			} else if (!strcmp(argv[i], "none")) {
				freeze_pid = -1;
			} else if (!strcmp(argv[i], "sigstop")) {
				freeze_pid = 0;
			} else if (!strncmp(argv[i], "sigstop:", 8)) {
				long pid;

				errno = 0;
				pid = strtol(argv[i] + 8, &end, 10);
				if (errno || *end || end == argv[i] + 8 || pid <= 0 ||
				    pid > 0x3fffffff)
					return p_err(EXIT_USAGE, "--freeze: bad pid in '%s'", argv[i]);
				freeze_pid = pid;
			} else {
				return p_err(EXIT_USAGE, "--freeze: expected none, sigstop or sigstop:PID, got '%s'",
					     argv[i]);
			}
		} else if (a[0] == '-' && a[1] == '-') {
			return p_err(EXIT_USAGE, "write: unknown option '%s'", a);
		} else {
			enum bpfpoke_map_write_rule rule;

			eq = strchr(a, '=');
			if (!eq || eq == a)
				return p_err(EXIT_USAGE, "write: expected FIELD=VALUE, got '%s'", a);
			if (nr >= BPFPOKE_WRITE_MAX)
				return p_err(EXIT_USAGE, "write: more than %d fields", BPFPOKE_WRITE_MAX);
			*eq = 0;
			rule = bpfpoke_map_write_check_field(a);
			if (rule)
				return p_err(EXIT_USAGE, "invalid field '%s': %s", a,
					     bpfpoke_map_write_rule_str(rule));
			items[nr++] = (struct bpfpoke_write_item){
				.suffix = suffix, .field = a, .value = eq + 1,
			};
		}
	}
	if (!nr)
		return p_err(EXIT_USAGE, "write: expected FIELD=VALUE");
	if (freeze_pid == 0) {
		freeze_pid = session_vm_pid();
		if (!freeze_pid)
			return p_err(EXIT_USAGE, "--freeze sigstop needs --vm PID (or use sigstop:PID)");
	}
	if (sopts.compat && !signal_spec)
		return p_err(EXIT_USAGE, "--signal-compat needs --signal unix:PATH or file:PATH");

	/* The port first: from here on, every failure is signalled. */
	if (signal_spec) {
		lib_msg_clear();
		sig = bpfpoke_signaller_open(signal_spec, &sopts);
		if (!sig)
			return p_err(EXIT_FAIL, "cannot open the signal port %s: %s",
				     signal_spec, lib_msg(strerror(errno)));
	}

	session_want_writable();
	s = get_session(&code);
	if (!s) {
		err = -(errno ? errno : EIO);
		ret = code;
		goto signal;
	}
	lib_msg_clear();
	err = bpfpoke_write_prepare(s, items, nr, &wopts, &batch);
	if (err) {
		snprintf(msg, sizeof(msg), "%s", lib_msg(strerror(-err)));
		ret = err == -EFAULT || err == -ELOOP ? EXIT_MAPS : EXIT_FAIL;
		goto signal;
	}
	if (freeze_pid > 0) {
		install_thaw_handlers();
		err = freeze(freeze_pid);
		if (err) {
			snprintf(msg, sizeof(msg), "cannot freeze the VMM %d: %s",
				 freeze_pid, err == -ETIMEDOUT ?
				 "its threads did not all stop within 2 s" :
				 strerror(-err));
			ret = EXIT_FAIL;
			goto signal;
		}
	}
	lib_msg_clear();
	err = bpfpoke_write_commit(batch);
	thaw();
	if (err) {
		snprintf(msg, sizeof(msg), "nothing written: %s",
			 lib_msg(strerror(-err)));
		ret = EXIT_FAIL;
		goto signal;
	}
	written = true;
	ret = EXIT_OK;

signal:
	if (sig) {
		int serr = bpfpoke_signaller_send(sig, !written, written ? 0 : err, &seq);

		if (serr && written) {
			ret = EXIT_SIGNAL;
			snprintf(msg, sizeof(msg), "written, but the guest %s: %s",
				 serr == -ETIMEDOUT ? "did not acknowledge the signal" :
				 "could not be signalled", strerror(-serr));
		} else if (serr) {
			fprintf(stderr, "%s: the guest could not be told of the failure: %s\n",
				bin_name, strerror(-serr));
		}
	}
	if (!written) {
		if (ret != EXIT_OK && !msg[0]) {
			/* get_session() has reported it. */
		} else {
			p_err(ret, "%s", msg);
		}
		goto out;
	}
	if (json_output) {
		json_start_object(json);
		json_name(json, "written");
		json_start_array(json);
	}
	for (k = 0; k < bpfpoke_write_cnt(batch); k++) {
		const struct bpfpoke_write_info *wi = bpfpoke_write_info(batch, k);
		char text[256];

		if (bpfpoke_field_format(&wi->field, wi->data, wi->field.size, text,
					 sizeof(text), json_output ? BPFPOKE_FORMAT_JSON : 0) < 0)
			snprintf(text, sizeof(text), json_output ? "null" : "?");
		if (json_output) {
			json_start_object(json);
			json_uint_field(json, "id", wi->map->id);
			json_string_field(json, "map", wi->map->name);
			json_string_field(json, "field", wi->field.path);
			json_uint_field(json, "offset", wi->field.offset);
			json_uint_field(json, "size", wi->field.size);
			json_name(json, "value");
			json_raw(json, text);
			json_end_object(json);
		} else {
			printf("%s = %s\n", wi->field.path, text);
		}
	}
	if (json_output) {
		json_end_array(json);
		json_name(json, "signal");
		if (!sig)
			json_string(json, "none");
		else if (sopts.compat)
			json_string(json, "compat");
		else
			json_string(json, ret == EXIT_OK ? "acknowledged" : "unacknowledged");
		if (sig && !sopts.compat)
			json_hex_field(json, "seq", seq);
		json_end_object(json);
		if (ret == EXIT_SIGNAL)
			fprintf(stderr, "Error: %s\n", msg);
	} else {
		if (sig && ret == EXIT_OK)
			printf("signal: %s\n", sopts.compat ? "compat byte sent" :
			       "acknowledged by the guest");
		else if (ret == EXIT_SIGNAL)
			fprintf(stderr, "Error: %s\n", msg);
	}
out:
	thaw();
	bpfpoke_write_free(batch);
	bpfpoke_signaller_close(sig);
	return ret;
}
