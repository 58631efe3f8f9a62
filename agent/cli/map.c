// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke map { list | show | dump | btf | help }: the guest's BPF maps,
 * as bpftool shows its own, and the BTF layout of their values.
 */
#include <errno.h>
#include <stdio.h>
#include <bpf/btf.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

/* The map table, or an exit status with the error printed. */
int get_maps(struct bpfpoke_session **sp,
		    const struct bpfpoke_map_info **maps, size_t *nr)
{
	int code = EXIT_FAIL;

	*sp = get_session(&code);
	if (!*sp)
		return code;
	if (bpfpoke_maps(*sp, maps, nr))
		return p_err(EXIT_MAPS, "cannot walk the guest's map table: %s",
			     strerror(errno));
	return 0;
}

struct btf *map_btf_get(struct bpfpoke_session *s,
			const struct bpfpoke_map_info *m, int *code)
{
	struct btf *btf;

	lib_msg_clear();
	btf = bpfpoke_map_btf(s, m);
	if (!btf)
		*code = p_err(EXIT_FAIL, "map %u: cannot read its BTF: %s", m->id,
			      lib_msg(strerror(errno)));
	return btf;
}

static void show_map_json(struct bpfpoke_session *s,
			  const struct bpfpoke_map_info *m)
{
	const char *type = bpfpoke_map_type_str(s, m->type);

	json_start_object(json);
	json_uint_field(json, "id", m->id);
	json_name(json, "type");
	if (type)
		json_string(json, type);
	else
		json_uint(json, m->type);
	json_string_field(json, "name", m->name);
	json_uint_field(json, "flags", m->map_flags);
	json_uint_field(json, "bytes_key", m->key_size);
	json_uint_field(json, "bytes_value", m->value_size);
	json_uint_field(json, "max_entries", m->max_entries);
	json_uint_field(json, "frozen", m->frozen);
	if (m->btf_id)
		json_uint_field(json, "btf_id", m->btf_id);
	json_end_object(json);
}

static void show_map_plain(struct bpfpoke_session *s,
			   const struct bpfpoke_map_info *m)
{
	const char *type = bpfpoke_map_type_str(s, m->type);

	printf("%u: ", m->id);
	if (type)
		printf("%s  ", type);
	else
		printf("type %u  ", m->type);
	if (*m->name)
		printf("name %s  ", m->name);
	printf("flags 0x%x\n", m->map_flags);
	printf("\tkey %uB  value %uB  max_entries %u", m->key_size,
	       m->value_size, m->max_entries);
	if (m->frozen)
		printf("  frozen");
	printf("\n");
	if (m->btf_id)
		printf("\tbtf_id %u\n", m->btf_id);
}

static int do_list(int argc, char **argv)
{
	const struct bpfpoke_map_info *maps;
	struct bpfpoke_session *s = NULL;
	size_t nr, i;
	int err;

	(void)argv;
	if (argc)
		return p_err(EXIT_USAGE, "map list takes no arguments");
	err = get_maps(&s, &maps, &nr);
	if (err)
		return err;
	if (json_output)
		json_start_array(json);
	for (i = 0; i < nr; i++) {
		if (json_output)
			show_map_json(s, &maps[i]);
		else
			show_map_plain(s, &maps[i]);
	}
	if (json_output)
		json_end_array(json);
	return 0;
}

/* MAP := { id MAP_ID | name MAP_NAME }; a name must be unique. */
static int parse_map_id_name(int *argc, char ***argv,
			     struct bpfpoke_session **sp,
			     const struct bpfpoke_map_info **out)
{
	const struct bpfpoke_map_info *maps, *found = NULL;
	const char *what, *arg;
	unsigned long id = 0;
	size_t nr, i;
	char *end;
	int err;

	if (*argc < 2)
		return p_err(EXIT_USAGE, "expected 'id MAP_ID' or 'name MAP_NAME'");
	what = (*argv)[0];
	arg = (*argv)[1];
	if (!strcmp(what, "id")) {
		errno = 0;
		id = strtoul(arg, &end, 0);
		if (errno || *end || end == arg || id > 0xffffffffUL)
			return p_err(EXIT_USAGE, "bad map id '%s'", arg);
	}
	err = get_maps(sp, &maps, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		if (!strcmp(what, "id") ? maps[i].id != id :
					  strcmp(maps[i].name, arg))
			continue;
		if (found)
			return p_err(EXIT_FAIL, "several maps are named '%s' (ids %u and %u): use 'id'",
				     arg, found->id, maps[i].id);
		found = &maps[i];
	}
	if (!found)
		return p_err(EXIT_FAIL, "no map with %s '%s'", what, arg);
	*argc -= 2;
	*argv += 2;
	*out = found;
	return 0;
}

int map_parse(int *argc, char ***argv, struct bpfpoke_session **sp,
	      const struct bpfpoke_map_info **out)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;
	int err;

	if (*argc >= 1 && (!strcmp((*argv)[0], "id") ||
			   !strcmp((*argv)[0], "name")))
		return parse_map_id_name(argc, argv, sp, out);
	if (*argc < 1)
		return p_err(EXIT_USAGE, "expected SUFFIX, 'id MAP_ID' or 'name MAP_NAME'");
	if (bpfpoke_map_write_check_suffix((*argv)[0]))
		return p_err(EXIT_USAGE, "invalid map name suffix '%s': %s",
			     (*argv)[0],
			     bpfpoke_map_write_rule_str(bpfpoke_map_write_check_suffix((*argv)[0])));
	err = get_maps(sp, &maps, &nr);
	if (err)
		return err;
	lib_msg_clear();
	if (bpfpoke_map_find(*sp, (*argv)[0], NULL, out, NULL))
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	*argc -= 1;
	*argv += 1;
	return 0;
}

static void show_entry_json(const struct bpfpoke_layout_entry *e)
{
	const struct bpfpoke_field *f = &e->field;

	json_start_object(json);
	json_string_field(json, "field", f->path);
	json_uint_field(json, "offset", f->offset);
	json_uint_field(json, "size", f->size);
	json_string_field(json, "type", f->type_name);
	json_string_field(json, "kind", bpfpoke_field_kind_str(f->kind) ?
			  bpfpoke_field_kind_str(f->kind) : "?");
	json_uint_field(json, "depth", e->depth);
	if (f->kind == BPFPOKE_FIELD_ARRAY) {
		json_uint_field(json, "nelems", f->nelems);
		json_uint_field(json, "elem_size", f->elem_size);
	}
	if (e->bit_size) {
		json_uint_field(json, "bit_offset", e->bit_offset);
		json_uint_field(json, "bit_size", e->bit_size);
	}
	json_end_object(json);
}

/* The value's BTF layout: every variable and member with its bytes. */
static int do_show(int argc, char **argv)
{
	const struct bpfpoke_map_info *m = NULL;
	struct bpfpoke_session *s = NULL;
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct btf *btf;
	size_t i, cnt;
	int err;

	err = map_parse(&argc, &argv, &s, &m);
	if (err)
		return err;
	if (argc)
		return p_err(EXIT_USAGE, "unexpected '%s'", argv[0]);
	if (!m->btf_kva)
		return p_err(EXIT_FAIL, "map %u '%s' has no BTF: its value has no layout",
			     m->id, m->name);
	btf = map_btf_get(s, m, &err);
	if (!btf)
		return err;
	bpfpoke_map_value_init(&mv, m, btf);
	l = bpfpoke_layout_new(&mv);
	if (!l) {
		err = p_err(EXIT_FAIL, "map %u: no layout: %s", m->id,
			    lib_msg(strerror(errno)));
		btf__free(btf);
		return err;
	}
	cnt = bpfpoke_layout_cnt(l);
	if (json_output) {
		json_start_object(json);
		json_uint_field(json, "id", m->id);
		json_string_field(json, "name", m->name);
		json_uint_field(json, "bytes_value", m->value_size);
		json_uint_field(json, "btf_id", m->btf_id);
		json_uint_field(json, "frozen", m->frozen);
		json_bool_field(json, "truncated", bpfpoke_layout_truncated(l));
		json_name(json, "fields");
		json_start_array(json);
		for (i = 0; i < cnt; i++)
			show_entry_json(bpfpoke_layout_entry(l, i));
		json_end_array(json);
		json_end_object(json);
	} else {
		printf("%u: name %s  value %uB  btf_id %u%s\n", m->id, m->name,
		       m->value_size, m->btf_id, m->frozen ? "  frozen" : "");
		printf("%8s %6s  %-28s %s\n", "offset", "size", "type", "field");
		for (i = 0; i < cnt; i++) {
			const struct bpfpoke_layout_entry *e = bpfpoke_layout_entry(l, i);
			const struct bpfpoke_field *f = &e->field;
			char pos[32];

			if (e->bit_size)
				snprintf(pos, sizeof(pos), "%u:%u", e->bit_offset / 8,
					 e->bit_offset % 8);
			else
				snprintf(pos, sizeof(pos), "%u", f->offset);
			printf("%8s %6u  %-28s %*s%s", pos, f->size, f->type_name,
			       (int)(2 * e->depth), "", f->path[0] ? f->path : "(value)");
			if (e->bit_size)
				printf("  (bitfield, %u bits)", e->bit_size);
			printf("\n");
		}
		if (bpfpoke_layout_truncated(l))
			printf("(truncated)\n");
	}
	bpfpoke_layout_free(l);
	btf__free(btf);
	return 0;
}

/* The map's program BTF, read from the guest, to a file. */
static int do_btf(int argc, char **argv)
{
	const struct bpfpoke_map_info *m = NULL;
	struct bpfpoke_session *s = NULL;
	const void *raw;
	struct btf *btf;
	__u32 size;
	FILE *f;
	int err;

	err = map_parse(&argc, &argv, &s, &m);
	if (err)
		return err;
	if (argc != 2 || !is_prefix(argv[0], "file"))
		return p_err(EXIT_USAGE, "expected 'file PATH'");
	btf = map_btf_get(s, m, &err);
	if (!btf)
		return err;
	raw = btf__raw_data(btf, &size);
	f = raw ? fopen(argv[1], "we") : NULL;
	if (!f || fwrite(raw, 1, size, f) != size) {
		err = p_err(EXIT_FAIL, "cannot write %s: %s", argv[1],
			    strerror(errno));
		if (f)
			fclose(f);
		btf__free(btf);
		return err;
	}
	if (fclose(f))
		err = p_err(EXIT_FAIL, "cannot write %s: %s", argv[1],
			    strerror(errno));
	else if (json_output) {
		json_start_object(json);
		json_uint_field(json, "id", m->id);
		json_uint_field(json, "btf_id", m->btf_id);
		json_uint_field(json, "types", btf__type_cnt(btf) - 1);
		json_uint_field(json, "bytes", size);
		json_end_object(json);
	} else {
		printf("map %u: btf_id %u, %u types, %u bytes written to %s\n",
		       m->id, m->btf_id, btf__type_cnt(btf) - 1, size, argv[1]);
	}
	btf__free(btf);
	return err;
}

static int do_help(int argc, char **argv)
{
	FILE *f = help_start();

	(void)argc;
	(void)argv;
	fprintf(f,
		"Usage: %1$s [GUEST KERNEL] map { list }\n"
		"       %1$s [GUEST KERNEL] map show MAP\n"
		"       %1$s [GUEST KERNEL] map dump MAP [--freeze FREEZE]\n"
		"       %1$s [GUEST KERNEL] map lookup MAP key DATA [cpu N] [--freeze FREEZE]\n"
		"       %1$s [GUEST KERNEL] map update MAP key DATA [cpu N] value VALUE [WRITE OPTIONS]\n"
		"       %1$s [GUEST KERNEL] map btf MAP file PATH\n"
		"       %1$s map help\n"
		"\n"
		"       MAP := { id MAP_ID | name MAP_NAME | SUFFIX }\n"
		"       DATA := { [hex] BYTES | NUMBER | FIELD=VALUE... }\n"
		"       VALUE := { [hex] BYTES | FIELD=VALUE... }; or value.FIELD=VALUE...\n"
		"       WRITE OPTIONS := as write's: --freeze, --signal, --force, --ack-timeout\n"
		"       FREEZE := { none | sigstop | sigstop:PID | qmp:SOCKET }\n"
		"\n"
		"list: every BPF map of the guest, as 'bpftool map list' shows them.\n"
		"show: the BTF layout of the map's value: each variable and member with its\n"
		"      offset, size and type.\n"
		"dump: every element, key and value, as 'bpftool map dump' prints them:\n"
		"      array, percpu_array, hash, lru_hash, percpu_hash and lru_percpu_hash\n"
		"      maps (hash maps by walking the guest's buckets), and an arena's\n"
		"      globals.  Per-CPU maps give every possible CPU's value.  --freeze\n"
		"      stops the guest for the reads (a snapshot) and continues it after;\n"
		"      a guest that is stopped already (paused, wedged) needs nothing.\n"
		"lookup: the element of one key.  BYTES are the key's bytes as bpftool takes\n"
		"      them (0x01 0x00 ..., or after 'hex' 01 00 ...); a single NUMBER is a\n"
		"      key of 1, 2, 4 or 8 bytes as that integer (an array index); FIELD=VALUE\n"
		"      sets fields of a struct key by its BTF (the rest zero).  'cpu N' gives\n"
		"      one CPU's value of a per-CPU map.\n"
		"update: change the value of an existing element in place, as one batch with\n"
		"      write's guarantees (checked against BTF first, all or nothing, the\n"
		"      element looked up again at commit).  The whole value as bytes, or\n"
		"      fields of its BTF type (weight=5 cfg.tag=x).  Per-CPU maps: every CPU's\n"
		"      value, or 'cpu N'.  A key that is not in it is refused: inserting\n"
		"      and deleting need the guest kernel's allocator and locks.\n"
		"SUFFIX (e.g. .bss) must end exactly one map's name; with several, the error\n"
		"lists them: choose by id.\n"
		"btf: the BTF of the map's program, read from the guest, as a raw BTF file\n"
		"     ('bpftool btf dump file PATH' shows it).\n",
		bin_name);
	return help_end(f);
}

static const struct cmd map_cmds[] = {
	{ "list", do_list },
	{ "dump", do_map_dump },
	{ "lookup", do_map_lookup },
	{ "update", do_map_update },
	{ "btf", do_btf },
	{ "show", do_show },
	{ "help", do_help },
	{ 0 }
};

int do_map(int argc, char **argv)
{
	return cmd_select(map_cmds, argc, argv, do_help);
}
