// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke read SUFFIX FIELD...: current values of map fields, all read
 * before any is printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "main.h"

#define VALUE_TEXT_MAX		4096

static int read_help(void)
{
	FILE *f = help_start();

	fprintf(f,
		"Usage: %1$s [GUEST KERNEL] read SUFFIX FIELD...\n"
		"\n"
		"The current value of each FIELD of the map whose name ends with SUFFIX\n"
		"(e.g. .bss, .data, .rodata), read from guest memory: 'FIELD = VALUE' lines,\n"
		"or with --json one object per field.  FIELD is a variable, then '.member'\n"
		"and '[N]' (e.g. cfg.inner.lo, arr[3]).  When several maps end with SUFFIX,\n"
		"the one whose BTF has FIELD is read.  Structs and unions: read their members\n"
		"('%1$s map show SUFFIX' lists them).\n",
		bin_name);
	return help_end(f);
}

/* One field read, kept until all are read: output is all or nothing. */
struct read_result {
	__u32 id;
	char map[BPFPOKE_MAP_NAME_MAX + 1];
	struct bpfpoke_map_value mv;
	const struct btf *btf;		/* the session's, for @mv and @f */
	struct bpfpoke_field f;
	unsigned char *data;		/* @f's bytes */
	char *text;			/* @data as text */
};

static int read_one(struct bpfpoke_session *s, const char *suffix,
		    const char *field, struct read_result *r)
{
	const struct bpfpoke_map_info *m;
	int n;

	lib_msg_clear();
	if (bpfpoke_map_find(s, suffix, field, &m, NULL) ||
	    !(r->btf = bpfpoke_map_btf_get(s, m)))
		return p_err(errno == EFAULT || errno == ELOOP ? EXIT_MAPS : EXIT_FAIL,
			     "%s", lib_msg(strerror(errno)));
	r->id = m->id;
	snprintf(r->map, sizeof(r->map), "%s", m->name);
	r->f.sz = sizeof(r->f);
	bpfpoke_map_value_init(&r->mv, m, r->btf);
	if (bpfpoke_field_resolve(&r->mv, field, &r->f))
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	r->data = malloc(r->f.size ? r->f.size : 1);
	r->text = malloc(VALUE_TEXT_MAX);
	if (!r->data || !r->text)
		return p_err(EXIT_FAIL, "out of memory");
	if (r->f.size &&
	    bpfpoke_map_value_read(s, m, 0, r->f.offset, r->data, r->f.size))
		return p_err(EXIT_FAIL, "map %u '%s': cannot read '%s': %s",
			     m->id, m->name, field, strerror(errno));
	n = value_format(&r->mv, &r->f, r->data, r->text, VALUE_TEXT_MAX);
	if (n == -EOPNOTSUPP || (n < 0 && (r->f.kind == BPFPOKE_FIELD_STRUCT ||
					   r->f.kind == BPFPOKE_FIELD_UNION ||
					   r->f.kind == BPFPOKE_FIELD_ARRAY)))
		return p_err(EXIT_FAIL, "map '%s': '%s' is %s %s: read its members ('%s map show %s')",
			     m->name, field,
			     r->f.kind == BPFPOKE_FIELD_ARRAY ? "an array" : "a",
			     r->f.type_name, bin_name, suffix);
	if (n < 0 || n >= VALUE_TEXT_MAX)
		return p_err(EXIT_FAIL, "map '%s': cannot format '%s': %s",
			     m->name, field, strerror(n < 0 ? -n : ENOSPC));
	return 0;
}

int do_read(int argc, char **argv)
{
	struct read_result *res;
	struct bpfpoke_session *s;
	const char *suffix;
	int code = EXIT_FAIL, i, err = 0;

	if (argc >= 1 && is_prefix(argv[0], "help"))
		return read_help();
	if (argc < 2) {
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
		json_name(json, "value");
		value_json(&r->mv, &r->f, r->data);
		json_end_object(json);
	}
	if (!err && json_output)
		json_end_array(json);
	for (i = 1; i < argc; i++) {
		free(res[i].text);
		free(res[i].data);
	}
	free(res);
	return err;
}
