/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The bpfpoke CLI: shared state and helpers of the subcommand files
 * (map.c, kernel.c, ...), bpftool style.
 */
#ifndef __BPFPOKE_CLI_MAIN_H
#define __BPFPOKE_CLI_MAIN_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "bpfpoke.h"
/* The one header the CLI takes from lib/: the clock, header only. */
#include "clock.h"
#include "json.h"

/*
 * Exit codes: which stage failed.  Documented in `bpfpoke help` and
 * README.md; scripts depend on them.
 */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the command failed: no such map, ... */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_KERNEL_DESC = 3,	/* vmlinux, BTF or symbols unusable */
	EXIT_GUEST_MEM = 4,	/* guest memory unavailable */
	EXIT_GUEST_KERNEL = 5,	/* no matching kernel in guest memory */
	EXIT_MAPS = 6,		/* the guest's map table unreadable */
	EXIT_SIGNAL = 7,	/* written, but the guest did not acknowledge */
	EXIT_THAW = 8,		/* written, but the frozen guest not continued */
};

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

extern const char *bin_name;
extern bool json_output;
/*
 * The JSON writer of -j/--json, NULL otherwise.  It writes into a buffer
 * that main() prints at the end, unless p_err() was called: then the
 * output is {"error": ...} alone.  Every command prints exactly one
 * JSON document under --json.
 */
extern struct json *json;

/*
 * A help text: help_start() gives stderr, or under --json a buffer that
 * help_end() turns into {"help": TEXT}.  help_end() returns 0.
 */
FILE *help_start(void);
int help_end(FILE *f);
/* --times: where the time went, to stderr. */
extern bool print_times;

/* Run the entry of @cmds that @argv[0] is a prefix of; help if none. */
int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv));
bool is_prefix(const char *pfx, const char *str);

/*
 * An error: "Error: ..." to stderr, or under --json the {"error": "..."}
 * that replaces the command's output (the first error is kept).
 * Returns @code.
 */
__attribute__((format(printf, 2, 3)))
int p_err(int code, const char *fmt, ...);

/*
 * The session of the global options, opened, attached and loaded on the
 * first call.  On failure: NULL, with the error reported and *@code set
 * to the stage's exit code.
 */
struct bpfpoke_session *get_session(int *code);

/*
 * The session of the global options with guest memory attached, and no
 * kernel needed (a description is used if given, but not required): for
 * what only reads guest memory.  Failures as get_session().
 */
struct bpfpoke_session *get_guest(int *code);

/* Open the session (on its first use) for writing too. */
void session_want_writable(void);
/* --vm PID, 0 if none. */
int session_vm_pid(void);
/* The global options' session options (--vmlinux, --btf, ...). */
const struct bpfpoke_session_opts *session_options(void);

/*
 * The last WARN message of the library, without "libbpfpoke: " and the
 * newline; @fallback if there was none since lib_msg_clear().
 */
const char *lib_msg(const char *fallback);
void lib_msg_clear(void);

/*
 * A field's value (@f->size bytes at @data) as text (as snprintf(), or
 * -errno: -EOPNOTSUPP for structs and unions) or into the JSON writer;
 * arrays of scalars as lists, their elements resolved in @mv.
 */
int value_format(const struct bpfpoke_map_value *mv,
		 const struct bpfpoke_field *f, const unsigned char *data,
		 char *buf, size_t size);
void value_json(const struct bpfpoke_map_value *mv,
		const struct bpfpoke_field *f, const unsigned char *data);

/* map.c: the map table, or an exit status with the error printed. */
int get_maps(struct bpfpoke_session **sp,
	     const struct bpfpoke_map_info **maps, size_t *nr);
/*
 * map.c: MAP := { id MAP_ID | name MAP_NAME | SUFFIX } from @argv,
 * consumed; 0, or an exit status with the error printed.
 */
int map_parse(int *argc, char ***argv, struct bpfpoke_session **sp,
	      const struct bpfpoke_map_info **out);

/* map_elem.c: bytes as bpftool prints them: "NAME": ["0x01", ...] under -j. */
void print_bytes(const char *name, const unsigned char *p, size_t n);
/*
 * btf_json.c: @size bytes at @data as BTF type @type_id, printed to @j as
 * bpftool's "formatted" JSON, or with @plain as its plain-text BTF view.
 * 0, or a negative errno for BTF that does not describe the data (the
 * JSON printed so far is left as it is).
 */
struct btf;
struct json;
int btf_json(struct json *j, const struct btf *btf, __u32 type_id,
	     const void *data, size_t size, bool plain);
/* map_elem.c: a per-CPU map (percpu_array, percpu_hash, ...). */
bool map_is_percpu(const struct bpfpoke_map_info *m);
/*
 * map_elem.c: `map update`'s MAP key KEY [cpu N] value VALUE as a
 * prepared batch; 0, or an exit status with the error printed.
 */
int map_update_prepare(struct bpfpoke_session *s, int argc, char **argv,
		       const struct bpfpoke_write_opts *wopts,
		       struct bpfpoke_write_batch **out);
/*
 * write.c: --freeze's argument (none, sigstop, sigstop:PID, qmp:SOCKET)
 * as a bpfpoke_freezer_open() spec in @spec, "" for none; 0 or a usage
 * exit status, reported.
 */
int parse_freeze(const char *arg, char *spec, size_t size);
/* write.c: `write`, or `map update` when @update. */
int write_main(int argc, char **argv, bool update);

/* map.c: the BTF of @m's program, or NULL with *@code (error printed). */
struct btf *map_btf_get(struct bpfpoke_session *s,
			const struct bpfpoke_map_info *m, int *code);

/* Subcommands */
int do_map(int argc, char **argv);
int do_map_dump(int argc, char **argv);
int do_map_lookup(int argc, char **argv);
int do_map_update(int argc, char **argv);
int do_kernel(int argc, char **argv);
int do_read(int argc, char **argv);
int do_write(int argc, char **argv);

#endif /* __BPFPOKE_CLI_MAIN_H */
