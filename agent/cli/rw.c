// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke read SUFFIX FIELD...: current values of map fields.
 * bpfpoke write SUFFIX FIELD=VALUE...: one all-or-nothing batch, with the
 * VMM optionally stopped around it (bpfpoke_freeze()), then the signal to
 * the guest.
 */
#include <errno.h>
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

/* Stages of a write, for --times: nanoseconds, STAGE_NOT_RUN if skipped. */
enum write_stage {
	STAGE_PREPARE,
	STAGE_FREEZE,
	STAGE_COMMIT,
	STAGE_THAW,
	STAGE_SIGNAL,
	NR_STAGES,
};

#define STAGE_NOT_RUN	(~0ULL)

struct write_times {
	__u64 ns[NR_STAGES];
	__u64 start;		/* when prepare began, 0 if it did not */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Records that @stage took from @t0 until now. */
static void stage_end(struct write_times *wt, enum write_stage stage,
		      __u64 t0)
{
	wt->ns[stage] = mono_ns() - t0;
}

static void report_write_times(const struct write_times *wt)
{
	static const char *const names[NR_STAGES] = {
		"prepare", "freeze", "commit", "thaw", "signal",
	};
	char line[256];
	size_t len = 0;
	int i;

	len += snprintf(line + len, sizeof(line) - len,
			"bpfpoke: write times (ms):");
	for (i = 0; i < NR_STAGES; i++) {
		if (wt->ns[i] == STAGE_NOT_RUN)
			len += snprintf(line + len, sizeof(line) - len,
					"%s%s -", i ? "  " : " ", names[i]);
		else
			len += snprintf(line + len, sizeof(line) - len,
					"%s%s %.3f", i ? "  " : " ", names[i],
					wt->ns[i] / 1e6);
	}
	if (wt->start)
		snprintf(line + len, sizeof(line) - len, "  total %.3f",
			 (mono_ns() - wt->start) / 1e6);
	else
		snprintf(line + len, sizeof(line) - len, "  total -");
	fprintf(stderr, "%s\n", line);
}

static int write_help(void)
{
	fprintf(stderr,
		"Usage: %1$s [GUEST KERNEL] write SUFFIX FIELD=VALUE... [WRITE_OPTIONS]\n"
		"\n"
		"       WRITE_OPTIONS := { --signal SIGNAL | --signal-compat | --freeze FREEZE |\n"
		"                          --force | --ack-timeout MS }\n"
		"       SIGNAL := { unix:PATH | file:PATH | none }\n"
		"       FREEZE := { none | sigstop | sigstop:PID | qmp:SOCKET }\n"
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
		"--freeze: stop the guest around the write, and continue it after, also on\n"
		"       every error and on SIGINT/SIGTERM/SIGHUP/SIGQUIT.  A guest that was\n"
		"       already stopped is left stopped.\n"
		"       sigstop: SIGSTOP the VMM (--vm PID; sigstop:PID for a --mem-file\n"
		"       guest) and wait until all its threads are stopped; SIGCONT after.\n"
		"       qmp:SOCKET: QEMU's QMP socket (-qmp unix:SOCKET,server=on,wait=off):\n"
		"       'stop', checked with 'query-status' to be paused; 'cont' after.\n"
		"       QEMU serves one client per QMP socket: give QEMU a second -qmp for\n"
		"       your own tools.  Each wait is bounded (5 s).\n"
		"--signal: the host end of the guest's org.bpfpoke.0 port (QEMU -chardev\n"
		"       socket: unix:PATH; a pty or FIFO: file:PATH).  WRITE_DONE after the\n"
		"       write, WRITE_FAILED with the errno when the write could not be done,\n"
		"       so 'bpfpoke-guest wait' never waits for a timeout; resent until the\n"
		"       guest acknowledges it or --ack-timeout MS (default 10000) ends.\n"
		"--signal-compat: send the single byte 0xBF for WRITE_DONE (no failure\n"
		"       report, no acknowledgement).\n"
		"With --times (before the command), a second line gives the write's stages\n"
		"in ms: prepare (map, field and value), freeze, commit (the batch), thaw,\n"
		"signal (until acknowledged), and their total; '-' for a stage not run.\n"
		"\n"
		"Exit status: 0 written (and acknowledged); 7 written, but the signal was not\n"
		"acknowledged in time or could not be sent; 8 written, but the frozen guest\n"
		"could not be continued; 1 nothing was written; 2 usage; 3-6 as for every\n"
		"command.\n",
		bin_name);
	return 0;
}

/*
 * --freeze's argument as a bpfpoke_freezer_open() spec in @spec ("" for
 * none); sigstop means --vm's pid.  Returns 0 or a usage exit code.
 */
static int parse_freeze(const char *arg, char *spec, size_t size)
{
	char *end;
	long pid;

	spec[0] = 0;
	if (!strcmp(arg, "none"))
		return 0;
	if (!strcmp(arg, "sigstop")) {
		pid = session_vm_pid();
		if (!pid)
			return p_err(EXIT_USAGE, "--freeze sigstop needs --vm PID (or use sigstop:PID or qmp:SOCKET)");
		snprintf(spec, size, "sigstop:%ld", pid);
		return 0;
	}
	if (!strncmp(arg, "sigstop:", 8)) {
		errno = 0;
		pid = strtol(arg + 8, &end, 10);
		if (errno || *end || end == arg + 8 || pid <= 0 ||
		    pid > 0x3fffffff)
			return p_err(EXIT_USAGE, "--freeze: bad pid in '%s'", arg);
		snprintf(spec, size, "sigstop:%ld", pid);
		return 0;
	}
	if (!strncmp(arg, "qmp:", 4)) {
		if (!arg[4])
			return p_err(EXIT_USAGE, "--freeze: expected qmp:SOCKET, got '%s'", arg);
		if ((size_t)snprintf(spec, size, "%s", arg) >= size)
			return p_err(EXIT_USAGE, "--freeze: socket path too long in '%s'", arg);
		return 0;
	}
	return p_err(EXIT_USAGE, "--freeze: expected none, sigstop, sigstop:PID or qmp:SOCKET, got '%s'",
		     arg);
}

int do_write(int argc, char **argv)
{
	struct bpfpoke_write_item items[BPFPOKE_WRITE_MAX];
	BPFPOKE_OPTS(bpfpoke_write_opts, wopts);
	BPFPOKE_OPTS(bpfpoke_signal_opts, sopts);
	BPFPOKE_OPTS(bpfpoke_freezer_opts, fopts,
		     .flags = BPFPOKE_FREEZER_THAW_ON_SIGNAL);
	struct bpfpoke_signaller *sig = NULL;
	struct bpfpoke_freezer *fz = NULL;
	struct bpfpoke_write_batch *batch = NULL;
	const char *suffix, *signal_spec = NULL, *freeze_arg = NULL;
	struct bpfpoke_session *s;
	char *end, msg[1024] = "", freeze_spec[256];
	struct write_times wt;
	int code = EXIT_FAIL, i, err, ret;
	size_t nr = 0, k;
	bool written = false, acked = false;
	__u64 t0;
	__u32 seq = 0;

	memset(wt.ns, 0xff, sizeof(wt.ns));	/* STAGE_NOT_RUN */
	wt.start = 0;
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
			} else {
				freeze_arg = argv[i];
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
	freeze_spec[0] = 0;
	if (freeze_arg) {
		ret = parse_freeze(freeze_arg, freeze_spec, sizeof(freeze_spec));
		if (ret)
			return ret;
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
	/* Then the freezer: a wrong QMP socket fails before anything is done. */
	if (freeze_spec[0]) {
		lib_msg_clear();
		fz = bpfpoke_freezer_open(freeze_spec, &fopts);
		if (!fz) {
			err = -errno;
			snprintf(msg, sizeof(msg), "%s", lib_msg(strerror(-err)));
			ret = EXIT_FAIL;
			goto signal;
		}
	}

	session_want_writable();
	s = get_session(&code);
	if (!s) {
		err = -(errno ? errno : EIO);
		ret = code;
		goto signal;
	}
	lib_msg_clear();
	wt.start = t0 = mono_ns();
	err = bpfpoke_write_prepare(s, items, nr, &wopts, &batch);
	stage_end(&wt, STAGE_PREPARE, t0);
	if (err) {
		snprintf(msg, sizeof(msg), "%s", lib_msg(strerror(-err)));
		ret = err == -EFAULT || err == -ELOOP ? EXIT_MAPS : EXIT_FAIL;
		goto signal;
	}
	if (fz) {
		lib_msg_clear();
		t0 = mono_ns();
		err = bpfpoke_freeze(fz);
		stage_end(&wt, STAGE_FREEZE, t0);
		if (err) {
			snprintf(msg, sizeof(msg), "cannot freeze the guest: %s",
				 lib_msg(strerror(-err)));
			ret = EXIT_FAIL;
			goto signal;
		}
	}
	lib_msg_clear();
	t0 = mono_ns();
	err = bpfpoke_write_commit(batch);
	stage_end(&wt, STAGE_COMMIT, t0);
	if (err)
		snprintf(msg, sizeof(msg), "nothing written: %s",
			 lib_msg(strerror(-err)));
	written = !err;
	ret = written ? EXIT_OK : EXIT_FAIL;
	if (fz) {
		int terr;

		lib_msg_clear();
		t0 = mono_ns();
		terr = bpfpoke_thaw(fz);
		stage_end(&wt, STAGE_THAW, t0);
		if (terr && written) {
			ret = EXIT_THAW;
			snprintf(msg, sizeof(msg), "written, but the guest could not be continued (it may still be stopped): %s",
				 lib_msg(strerror(-terr)));
		} else if (terr) {
			size_t len = strlen(msg);

			snprintf(msg + len, sizeof(msg) - len,
				 "; and the guest could not be continued (it may still be stopped): %s",
				 lib_msg(strerror(-terr)));
		}
	}

signal:
	if (sig) {
		int serr;

		t0 = mono_ns();
		serr = bpfpoke_signaller_send(sig, !written, written ? 0 : err, &seq);
		stage_end(&wt, STAGE_SIGNAL, t0);
		acked = !serr;
		if (serr && written && ret == EXIT_OK) {
			ret = EXIT_SIGNAL;
			snprintf(msg, sizeof(msg), "written, but the guest %s: %s",
				 serr == -ETIMEDOUT ? "did not acknowledge the signal" :
				 "could not be signalled", strerror(-serr));
		} else if (serr && written) {
			fprintf(stderr, "%s: the guest could not be signalled: %s\n",
				bin_name, strerror(-serr));
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
			json_hex_field(json, "gpa", wi->gpa);
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
			json_string(json, acked ? "acknowledged" : "unacknowledged");
		if (sig && !sopts.compat)
			json_hex_field(json, "seq", seq);
		json_end_object(json);
		if (ret != EXIT_OK)
			fprintf(stderr, "Error: %s\n", msg);
	} else {
		if (sig && acked)
			printf("signal: %s\n", sopts.compat ? "compat byte sent" :
			       "acknowledged by the guest");
		if (ret != EXIT_OK)
			fprintf(stderr, "Error: %s\n", msg);
	}
out:
	if (print_times)
		report_write_times(&wt);
	/* Thaws if a failure left it frozen. */
	bpfpoke_freezer_close(fz);
	bpfpoke_write_free(batch);
	bpfpoke_signaller_close(sig);
	return ret;
}
