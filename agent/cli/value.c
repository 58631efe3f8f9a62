// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A field's value as `read` and `write` print it: text through
 * bpfpoke_field_format(), JSON from the typed bpfpoke_field_value()
 * through the CLI's one JSON writer.  Arrays of scalars (not chars,
 * which are strings) as a list of their elements.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "main.h"

/* Elements printed of an array of scalars. */
#define VALUE_MAX_ELEMS		256

static bool is_scalar(enum bpfpoke_field_kind k)
{
	return k != BPFPOKE_FIELD_STRUCT && k != BPFPOKE_FIELD_UNION &&
	       k != BPFPOKE_FIELD_ARRAY;
}

static bool is_scalar_array(const struct bpfpoke_field *f)
{
	return f->kind == BPFPOKE_FIELD_ARRAY && is_scalar(f->elem_kind) &&
	       f->elem_kind != BPFPOKE_FIELD_CHAR;
}

/* Element @i of array @f, resolved in @mv. */
static int resolve_elem(const struct bpfpoke_map_value *mv,
			const struct bpfpoke_field *f, __u32 i,
			struct bpfpoke_field *e)
{
	char path[BPFPOKE_MAP_WRITE_FIELD_MAX + 16];

	if (!mv)
		return -EOPNOTSUPP;
	snprintf(path, sizeof(path), "%s[%u]", f->path, i);
	e->sz = sizeof(*e);
	return bpfpoke_field_resolve(mv, path, e) ? -errno : 0;
}

int value_format(const struct bpfpoke_map_value *mv,
		 const struct bpfpoke_field *f, const unsigned char *data,
		 char *buf, size_t size)
{
	size_t len = 0;
	__u32 i;
	int err;

	if (!is_scalar_array(f))
		return bpfpoke_field_format(f, data, f->size, buf, size, 0);
	if (f->nelems > VALUE_MAX_ELEMS)
		return -E2BIG;
	len = snprintf(buf, size, "[");
	for (i = 0; i < f->nelems && len < size; i++) {
		struct bpfpoke_field e;
		int n;

		err = resolve_elem(mv, f, i, &e);
		if (err)
			return err;
		n = bpfpoke_field_format(&e, data + (e.offset - f->offset),
					 e.size, buf + len + (i ? 2 : 0),
					 size - len - (i ? 2 : 0), 0);
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

/* An integer wider than 64 bits, as a "0x..." string (JSON numbers lose bits). */
static void json_wide(const unsigned char *p, __u32 n)
{
	char buf[2 * 64 + 3];
	size_t len;
	__u32 i = n;

	while (i > 1 && !p[i - 1])
		i--;
	len = snprintf(buf, sizeof(buf), "0x%x", p[--i]);
	while (i-- && len + 3 <= sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - len, "%02x", p[i]);
	json_string(json, buf);
}

static void json_scalar(const struct bpfpoke_field *f, const unsigned char *data)
{
	struct bpfpoke_value v;

	if (bpfpoke_field_value(f, data, f->size, &v)) {
		json_null(json);
		return;
	}
	switch (v.type) {
	case BPFPOKE_VALUE_UINT:
		json_uint(json, v.u);
		break;
	case BPFPOKE_VALUE_INT:
		json_int(json, v.s);
		break;
	case BPFPOKE_VALUE_BOOL:
		json_bool(json, v.b);
		break;
	case BPFPOKE_VALUE_ENUM:
		json_string(json, v.name);
		break;
	case BPFPOKE_VALUE_PTR:
		json_hex(json, v.u);
		break;
	case BPFPOKE_VALUE_FLOAT:
		json_double(json, v.d);
		break;
	case BPFPOKE_VALUE_WIDE:
		json_wide(v.bytes, v.len);
		break;
	case BPFPOKE_VALUE_STRING:
		json_string_len(json, v.bytes, v.len);
		break;
	default:
		json_null(json);
	}
}

void value_json(const struct bpfpoke_map_value *mv,
		const struct bpfpoke_field *f, const unsigned char *data)
{
	struct bpfpoke_field e;
	__u32 i;

	if (!is_scalar_array(f)) {
		json_scalar(f, data);
		return;
	}
	json_start_array(json);
	for (i = 0; i < f->nelems && i < VALUE_MAX_ELEMS; i++) {
		if (resolve_elem(mv, f, i, &e))
			json_null(json);
		else
			json_scalar(&e, data + (e.offset - f->offset));
	}
	json_end_array(json);
}
