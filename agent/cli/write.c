// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke write SUFFIX FIELD=VALUE...: one all-or-nothing batch, with the
 * VMM optionally stopped around it (bpfpoke_freeze()), then the signal to
 * the guest.  In three steps: the command line into a struct write_args
 * (write_parse()), the write into a struct write_result (write_run()),
 * the result printed (write_print()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

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

/* Records that @stage took from @t0 until now. */
static void stage_end(struct write_times *wt, enum write_stage stage,
		      __u64 t0)
{
	wt->ns[stage] = bpfpoke_now_ns() - t0;
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
			 (bpfpoke_now_ns() - wt->start) / 1e6);
	else
		snprintf(line + len, sizeof(line) - len, "  total -");
	fprintf(stderr, "%s\n", line);
}

static int write_help(void)
{
	FILE *f = help_start();

	fprintf(f,
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
		"With --mem-file the ops are checked, then written one after the other: a\n"
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
	return help_end(f);
}

/*
 * --freeze's argument as a bpfpoke_freezer_open() spec in @spec ("" for
 * none); sigstop means --vm's pid.  Returns 0 or a usage exit code.
 */
int parse_freeze(const char *arg, char *spec, size_t size)
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

struct write_args {
	bool update;			/* map update: the operands in @ops */
	char **ops;
	int nr_ops;
	const char *suffix;
	struct bpfpoke_map_write *writes;	/* BPFPOKE_WRITE_MAX of them */
	size_t nr;
	const char *signal_spec;	/* NULL: no signal */
	char freeze_spec[256];		/* "": no freezing */
	struct bpfpoke_write_opts wopts;
	struct bpfpoke_signal_opts sopts;
};

/* How the guest was told. */
enum write_signal {
	SIGNAL_NONE,		/* no --signal */
	SIGNAL_COMPAT,		/* the compat byte */
	SIGNAL_ACKED,
	SIGNAL_UNACKED,		/* sent, not acknowledged in time */
	SIGNAL_FAILED,		/* could not be sent */
};

struct write_result {
	int code;			/* the exit status */
	/* What went wrong; "" when nothing did or it is reported already. */
	char msg[1024];
	bool written;
	enum write_signal signal;
	__u32 seq;
	struct bpfpoke_write_batch *batch;
	struct write_times wt;
};

/* Returns 0, or the usage error's exit code (reported). */
static int write_parse(int argc, char **argv, struct write_args *a)
{
	enum { OPT_SIGNAL = 256, OPT_SIGNAL_COMPAT, OPT_FREEZE, OPT_FORCE,
	       OPT_ACK_TIMEOUT };
	static const struct option options[] = {
		{ "signal",	   required_argument, NULL, OPT_SIGNAL },
		{ "signal-compat", no_argument,	      NULL, OPT_SIGNAL_COMPAT },
		{ "freeze",	   required_argument, NULL, OPT_FREEZE },
		{ "force",	   no_argument,	      NULL, OPT_FORCE },
		{ "ack-timeout",   required_argument, NULL, OPT_ACK_TIMEOUT },
		{ 0 }
	};
	const char *freeze_arg = NULL;
	unsigned long ms;
	int opt, i, ret;
	char *end;

	/*
	 * argv[-1] is the command's own name: getopt_long() starts at
	 * index 1 of what it is given; optind = 0 starts it afresh after
	 * main()'s scan.  Options may follow the fields.
	 */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, ":", options, NULL)) >= 0) {
		switch (opt) {
		case OPT_SIGNAL:
			a->signal_spec = strcmp(optarg, "none") ? optarg : NULL;
			if (a->signal_spec && strncmp(optarg, "unix:", 5) &&
			    strncmp(optarg, "file:", 5))
				return p_err(EXIT_USAGE, "--signal: expected unix:PATH, file:PATH or none, got '%s'",
					     optarg);
			break;
		case OPT_SIGNAL_COMPAT:
			a->sopts.compat = true;
			break;
		case OPT_FREEZE:
			freeze_arg = optarg;
			break;
		case OPT_FORCE:
			a->wopts.flags |= BPFPOKE_WRITE_FORCE;
			break;
		case OPT_ACK_TIMEOUT:
			errno = 0;
			ms = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || !ms || ms > 3600000)
				return p_err(EXIT_USAGE, "--ack-timeout: expected 1..3600000 ms, got '%s'",
					     optarg);
			a->sopts.timeout_ms = ms;
			break;
		case ':':
			return p_err(EXIT_USAGE, "%s needs an argument",
				     argv[optind - 2]);
		default:
			return p_err(EXIT_USAGE, "%s: unknown option '%s'",
				     a->update ? "map update" : "write",
				     argv[optind - 2]);
		}
	}
	if (a->update) {
		/* MAP key ... value ...: parsed against the map, in write_run(). */
		a->ops = argv + optind - 1;
		a->nr_ops = argc - (optind - 1);
		if (a->nr_ops < 1)
			return p_err(EXIT_USAGE, "map update: expected MAP key DATA value ...");
	}
	/* The operands, in argv - 1 from optind on. */
	for (i = optind - 1; !a->update && i < argc; i++) {
		enum bpfpoke_map_write_rule rule;
		char *eq;

		if (!a->suffix) {
			a->suffix = argv[i];
			rule = bpfpoke_map_write_check_suffix(a->suffix);
			if (rule)
				return p_err(EXIT_USAGE, "invalid map name suffix '%s': %s",
					     a->suffix, bpfpoke_map_write_rule_str(rule));
			continue;
		}
		eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i])
			return p_err(EXIT_USAGE, "write: expected FIELD=VALUE, got '%s'",
				     argv[i]);
		if (a->nr >= BPFPOKE_WRITE_MAX)
			return p_err(EXIT_USAGE, "write: more than %d fields",
				     BPFPOKE_WRITE_MAX);
		*eq = 0;
		rule = bpfpoke_map_write_check_field(argv[i]);
		if (rule)
			return p_err(EXIT_USAGE, "invalid field '%s': %s", argv[i],
				     bpfpoke_map_write_rule_str(rule));
		/* The value as text: parsed against the field's type later. */
		lib_msg_clear();
		if (bpfpoke_map_write_init_text(&a->writes[a->nr], a->suffix,
						argv[i], eq + 1))
			return p_err(EXIT_USAGE, "%s", lib_msg(strerror(errno)));
		a->nr++;
	}
	if (!a->nr && !a->update) {
		write_help();
		return p_err(EXIT_USAGE, "write: expected SUFFIX FIELD=VALUE...");
	}
	if (freeze_arg) {
		ret = parse_freeze(freeze_arg, a->freeze_spec,
				   sizeof(a->freeze_spec));
		if (ret)
			return ret;
	}
	if (a->sopts.compat && !a->signal_spec)
		return p_err(EXIT_USAGE, "--signal-compat needs --signal unix:PATH or file:PATH");
	return 0;
}

/* @r->msg = @prefix + the library's last message (or @err's text). */
static void set_msg(struct write_result *r, const char *prefix, int err)
{
	snprintf(r->msg, sizeof(r->msg), "%s%s", prefix,
		 lib_msg(strerror(-err)));
}

/* Freeze, commit and thaw the prepared batch; sets r->written. */
static void write_commit(struct bpfpoke_freezer *fz, struct write_result *r)
{
	int err, terr;
	__u64 t0;

	if (fz) {
		lib_msg_clear();
		t0 = bpfpoke_now_ns();
		err = bpfpoke_freeze(fz);
		stage_end(&r->wt, STAGE_FREEZE, t0);
		if (err) {
			set_msg(r, "cannot freeze the guest: ", err);
			r->code = EXIT_FAIL;
			return;
		}
	}
	lib_msg_clear();
	t0 = bpfpoke_now_ns();
	err = bpfpoke_write_commit(r->batch);
	stage_end(&r->wt, STAGE_COMMIT, t0);
	r->written = !err;
	r->code = err ? EXIT_FAIL : EXIT_OK;
	if (err)
		set_msg(r, "nothing written: ", err);
	if (!fz)
		return;
	lib_msg_clear();
	t0 = bpfpoke_now_ns();
	terr = bpfpoke_thaw(fz);
	stage_end(&r->wt, STAGE_THAW, t0);
	if (!terr)
		return;
	if (r->written) {
		r->code = EXIT_THAW;
		set_msg(r, "written, but the guest could not be continued (it may still be stopped): ",
			terr);
	} else {
		size_t len = strlen(r->msg);

		snprintf(r->msg + len, sizeof(r->msg) - len,
			 "; and the guest could not be continued (it may still be stopped): %s",
			 lib_msg(strerror(-terr)));
	}
}

/*
 * Open the signal port, then the freezer, then the session; prepare,
 * freeze, commit, thaw; tell the guest either way.  The exit status
 * follows the stage that failed, never a guess from errno alone.
 */
static void write_run(struct write_args *a, struct write_result *r)
{
	BPFPOKE_OPTS(bpfpoke_freezer_opts, fopts,
		     .flags = BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL);
	struct bpfpoke_signaller *sig = NULL;
	struct bpfpoke_freezer *fz = NULL;
	struct bpfpoke_session *s;
	int err = 0, serr;
	__u64 t0;

	memset(r->wt.ns, 0xff, sizeof(r->wt.ns));	/* STAGE_NOT_RUN */
	/* The port first: from here on, every failure is signalled. */
	if (a->signal_spec) {
		lib_msg_clear();
		sig = bpfpoke_signaller_open(a->signal_spec, &a->sopts);
		if (!sig) {
			r->code = EXIT_FAIL;
			snprintf(r->msg, sizeof(r->msg), "cannot open the signal port %s: %s",
				 a->signal_spec, lib_msg(strerror(errno)));
			return;
		}
	}
	/* Then the freezer: a wrong QMP socket fails before anything is done. */
	if (a->freeze_spec[0]) {
		lib_msg_clear();
		fz = bpfpoke_freezer_open(a->freeze_spec, &fopts);
		if (!fz) {
			err = -errno;
			set_msg(r, "", err);
			r->code = EXIT_FAIL;
			goto signal;
		}
	}
	session_want_writable();
	s = get_session(&r->code);
	if (!s) {
		/* get_session() has reported it. */
		err = -(errno ? errno : EIO);
		goto signal;
	}
	lib_msg_clear();
	r->wt.start = t0 = bpfpoke_now_ns();
	if (a->update) {
		/* Its errors are reported: r->msg stays empty. */
		r->code = map_update_prepare(s, a->nr_ops, a->ops, &a->wopts,
					     &r->batch);
		stage_end(&r->wt, STAGE_PREPARE, t0);
		if (r->code) {
			err = -EINVAL;
			goto signal;
		}
	} else {
		err = bpfpoke_write_prepare(s, a->writes, a->nr, &a->wopts,
					    &r->batch);
		stage_end(&r->wt, STAGE_PREPARE, t0);
	}
	if (err) {
		set_msg(r, "", err);
		/* The guest's map table itself could not be walked. */
		r->code = err == -EFAULT || err == -ELOOP ? EXIT_MAPS : EXIT_FAIL;
		goto signal;
	}
	write_commit(fz, r);
	if (!r->written)
		err = -EIO;

signal:
	/* Thaws if a failure left it frozen. */
	bpfpoke_freezer_close(fz);
	if (!sig)
		return;
	t0 = bpfpoke_now_ns();
	serr = bpfpoke_signaller_send(sig, !r->written, r->written ? 0 : err,
				      &r->seq);
	stage_end(&r->wt, STAGE_SIGNAL, t0);
	bpfpoke_signaller_close(sig);
	if (a->sopts.compat)
		r->signal = serr ? SIGNAL_FAILED : SIGNAL_COMPAT;
	else
		r->signal = !serr ? SIGNAL_ACKED :
			    serr == -ETIMEDOUT ? SIGNAL_UNACKED : SIGNAL_FAILED;
	if (!serr)
		return;
	if (r->written && r->code == EXIT_OK) {
		r->code = EXIT_SIGNAL;
		snprintf(r->msg, sizeof(r->msg), "written, but the guest %s: %s",
			 serr == -ETIMEDOUT ? "did not acknowledge the signal" :
			 "could not be signalled", strerror(-serr));
	} else if (!json_output) {
		fprintf(stderr, "%s: the guest could not be %s: %s\n", bin_name,
			r->written ? "signalled" : "told of the failure",
			strerror(-serr));
	}
}

static const char *const signal_names[] = {
	[SIGNAL_NONE] = "none",
	[SIGNAL_COMPAT] = "compat",
	[SIGNAL_ACKED] = "acknowledged",
	[SIGNAL_UNACKED] = "unacknowledged",
	[SIGNAL_FAILED] = "failed",
};

/* What was written, how the guest was told, and what went wrong. */
static void write_print(const struct write_result *r)
{
	size_t k, n = bpfpoke_write_cnt(r->batch);

	if (!r->written) {
		if (r->msg[0])
			p_err(r->code, "%s", r->msg);
		return;
	}
	if (json_output) {
		json_start_object(json);
		json_name(json, "written");
		json_start_array(json);
	}
	for (k = 0; k < n; k++) {
		const struct bpfpoke_write_info *wi = bpfpoke_write_info(r->batch, k);
		char text[256];

		if (!json_output) {
			if (wi->key) {
				print_bytes("key", wi->key, wi->map->key_size);
				if (map_is_percpu(wi->map) && wi->cpu == BPFPOKE_ALL_CPUS)
					printf("  (every CPU)");
				else if (map_is_percpu(wi->map))
					printf("  (CPU %u)", wi->cpu);
				printf("\n  ");
			}
			if (!wi->field.path[0]) {
				print_bytes("value", wi->data, wi->field.size);
				printf("\n");
				continue;
			}
			if (value_format(NULL, &wi->field, wi->data, text, sizeof(text)) < 0)
				snprintf(text, sizeof(text), "?");
			printf("%s = %s\n", wi->field.path, text);
			continue;
		}
		json_start_object(json);
		json_uint_field(json, "id", wi->map->id);
		json_string_field(json, "map", wi->map->name);
		if (wi->key) {
			print_bytes("key", wi->key, wi->map->key_size);
			if (map_is_percpu(wi->map) && wi->cpu == BPFPOKE_ALL_CPUS)
				json_string_field(json, "cpu", "all");
			else if (map_is_percpu(wi->map))
				json_uint_field(json, "cpu", wi->cpu);
		}
		json_string_field(json, "field", wi->field.path);
		json_uint_field(json, "offset", wi->field.offset);
		json_uint_field(json, "size", wi->field.size);
		json_hex_field(json, "gpa", wi->gpa);
		if (!wi->field.path[0]) {
			print_bytes("value", wi->data, wi->field.size);
		} else {
			json_name(json, "value");
			value_json(NULL, &wi->field, wi->data);
		}
		json_end_object(json);
	}
	if (json_output) {
		json_end_array(json);
		json_string_field(json, "signal", signal_names[r->signal]);
		if (r->signal == SIGNAL_ACKED || r->signal == SIGNAL_UNACKED)
			json_hex_field(json, "seq", r->seq);
		/* Written, but not everything after it worked. */
		if (r->code != EXIT_OK)
			json_string_field(json, "error", r->msg);
		json_end_object(json);
		return;
	}
	if (r->signal == SIGNAL_ACKED)
		printf("signal: acknowledged by the guest\n");
	else if (r->signal == SIGNAL_COMPAT)
		printf("signal: compat byte sent\n");
	if (r->code != EXIT_OK)
		fprintf(stderr, "Error: %s\n", r->msg);
}

int write_main(int argc, char **argv, bool update)
{
	struct write_args a = {
		.update = update,
		.wopts = { .sz = sizeof(a.wopts) },
		.sopts = { .sz = sizeof(a.sopts) },
	};
	struct write_result r = { .code = EXIT_OK };
	int ret;

	if (!update && argc >= 1 && is_prefix(argv[0], "help"))
		return write_help();
	a.writes = calloc(BPFPOKE_WRITE_MAX, sizeof(*a.writes));
	if (!a.writes)
		return p_err(EXIT_FAIL, "out of memory");
	ret = write_parse(argc, argv, &a);
	if (ret) {
		free(a.writes);
		return ret;
	}
	write_run(&a, &r);
	write_print(&r);
	if (print_times)
		report_write_times(&r.wt);
	bpfpoke_write_free(r.batch);
	free(a.writes);
	return r.code;
}

int do_write(int argc, char **argv)
{
	return write_main(argc, argv, false);
}
