// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BTF fields: resolve a field path ("cfg.inner.x", "arr[3]") to the bytes
 * it names inside a map value, with the BTF of the program that owns the
 * map.
 *
 * That BTF comes from guest memory.  libbpf's btf__new() checks that each
 * type record fits in the type section and that the strings end in a NUL;
 * libbpf 1.1 checks little else.  So a type id may point past the last
 * type, a chain of typedefs may loop and anonymous members may nest
 * without end.  Every walk here is bounded (chain depth by libbpf's
 * btf__resolve_type(), nesting by ANON_MAX_DEPTH, total work by
 * WALK_BUDGET), every id is checked before use and every offset is
 * checked against the value size in 64-bit arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"

/* "a.b[1][2].c" has 5 segments; nothing real comes near. */
#define PATH_MAX_SEGMENTS	64
/* Anonymous struct/union members inside each other. */
#define ANON_MAX_DEPTH		16
/* Members and variables looked at in one walk: far beyond any real BTF. */
#define WALK_BUDGET		(1U << 20)
/* Typedefs, qualifiers, pointers and arrays in one type name. */
#define NAME_MAX_CHAIN		32

struct walk {
	const struct btf *btf;
	const char *path;
	__u32 value_size;
	__u32 budget;
	/* The path leads nowhere in this BTF: "no such field". */
	bool mismatch;
	/* Every name was found; what failed, if anything, is the target. */
	bool found;
	char msg[512];
};

__attribute__((format(printf, 4, 5)))
static int say(char *msg, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return err;
}

#define walk_fail(w, err, fmt, ...) \
	say((w)->msg, sizeof((w)->msg), err, fmt, ##__VA_ARGS__)

int bpfpoke_map_value_check(const struct bpfpoke_map_value *mv, char *msg,
			    size_t msg_size)
{
	const char *p;

	if (!mv)
		return say(msg, msg_size, -EINVAL, "map value description is NULL");
	if (mv->sz < offsetofend(struct bpfpoke_map_value, btf_value_type_id))
		return say(msg, msg_size, -EINVAL,
			   "struct bpfpoke_map_value: sz %zu is too small", mv->sz);
	/* A newer caller's extra fields are fine while they are unused. */
	for (p = (const char *)mv + sizeof(*mv); p < (const char *)mv + mv->sz; p++)
		if (*p)
			return say(msg, msg_size, -EINVAL,
				   "struct bpfpoke_map_value: unknown non-zero field at byte %zu",
				   (size_t)(p - (const char *)mv));
	if (!mv->btf)
		return say(msg, msg_size, -ENODATA,
			   "the map has no BTF: its fields have no names");
	if (!mv->btf_value_type_id)
		return say(msg, msg_size, -ENODATA,
			   "the map's BTF has no value type: its fields have no names");
	return 0;
}

void bpfpoke_btf_type_name(const struct btf *btf, __u32 id, char *buf,
			   size_t size)
{
	static const char stars[] = "********************************";
	bool is_const = false, is_volatile = false;
	const char *kw = "", *name = NULL;
	const struct btf_type *t;
	unsigned int ptrs = 0;
	char dims[64] = "";
	size_t dlen = 0;
	int i;

	_Static_assert(sizeof(stars) > NAME_MAX_CHAIN, "stars");
	for (i = 0; i < NAME_MAX_CHAIN && !name; i++) {
		t = btf__type_by_id(btf, id);
		if (!t) {
			name = "<bad type id>";
			break;
		}
		if (!id) {
			name = "void";
			break;
		}
		switch (btf_kind(t)) {
		case BTF_KIND_CONST:
			is_const = true;
			id = t->type;
			continue;
		case BTF_KIND_VOLATILE:
			is_volatile = true;
			id = t->type;
			continue;
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		case BTF_KIND_PTR:
			ptrs++;
			id = t->type;
			continue;
		case BTF_KIND_ARRAY:
			if (dlen < sizeof(dims))
				dlen += snprintf(dims + dlen, sizeof(dims) - dlen,
						 "[%u]", btf_array(t)->nelems);
			id = btf_array(t)->type;
			continue;
		case BTF_KIND_STRUCT:
			kw = "struct ";
			break;
		case BTF_KIND_UNION:
			kw = "union ";
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			kw = "enum ";
			break;
		case BTF_KIND_FWD:
			kw = btf_kflag(t) ? "union " : "struct ";
			break;
		case BTF_KIND_FUNC_PROTO:
			name = "fn";
			continue;
		default:
			break;
		}
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || !*name)
			name = "(anon)";
	}
	if (!name)
		name = "<type chain too long>";
	snprintf(buf, size, "%s%s%s%s%s%.*s%s", is_const ? "const " : "",
		 is_volatile ? "volatile " : "", kw, name, ptrs ? " " : "",
		 (int)ptrs, stars, dims);
}

/* The kind of a type whose typedefs and qualifiers are already skipped. */
static enum bpfpoke_field_kind kind_of(const struct btf *btf,
				       const struct btf_type *t)
{
	const char *name;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			return BPFPOKE_FIELD_BOOL;
		/* clang does not set BTF_INT_CHAR: plain char is "char". */
		name = btf__name_by_offset(btf, t->name_off);
		if ((btf_int_encoding(t) & BTF_INT_CHAR) ||
		    (name && !strcmp(name, "char")))
			return BPFPOKE_FIELD_CHAR;
		return BPFPOKE_FIELD_INT;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return BPFPOKE_FIELD_ENUM;
	case BTF_KIND_FLOAT:
		return BPFPOKE_FIELD_FLOAT;
	case BTF_KIND_PTR:
		return BPFPOKE_FIELD_PTR;
	case BTF_KIND_STRUCT:
		return BPFPOKE_FIELD_STRUCT;
	case BTF_KIND_UNION:
		return BPFPOKE_FIELD_UNION;
	case BTF_KIND_ARRAY:
		return BPFPOKE_FIELD_ARRAY;
	default:
		return 0;
	}
}

/* What resolves to a type without storage, for messages. */
static const char *storageless_kind_str(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_FUNC:
		return "function";
	case BTF_KIND_FUNC_PROTO:
		return "function prototype";
	case BTF_KIND_DATASEC:
		return "data section";
	case BTF_KIND_DECL_TAG:
		return "declaration tag";
	default:
		return "BTF kind without storage";
	}
}

int bpfpoke_field_fill(const struct btf *btf, __u32 decl_id,
		       struct bpfpoke_field *f, char *msg, size_t msg_size)
{
	const struct btf_type *t, *et;
	int id, eid;
	__s64 size;

	f->btf = btf;
	f->decl_type_id = decl_id;
	bpfpoke_btf_type_name(btf, decl_id, f->type_name, sizeof(f->type_name));
	id = btf__resolve_type(btf, decl_id);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t)
		return say(msg, msg_size, -EINVAL,
			   "type [%u] (%s) has no storage: void, a forward declaration, or a broken or looping type chain",
			   decl_id, f->type_name);
	f->type_id = id;
	f->kind = kind_of(btf, t);
	if (!f->kind)
		return say(msg, msg_size, -EINVAL,
			   "type [%d] (%s) is a %s, which has no storage",
			   id, f->type_name, storageless_kind_str(t));
	size = btf__resolve_size(btf, id);
	if (size < 0)
		return say(msg, msg_size, -EINVAL,
			   "type [%d] (%s) has no size: broken BTF", id,
			   f->type_name);
	f->size = size;

	switch (f->kind) {
	case BPFPOKE_FIELD_INT:
	case BPFPOKE_FIELD_BOOL:
	case BPFPOKE_FIELD_CHAR:
		f->bits = btf_int_bits(t);
		f->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		if (!f->size || f->size > 16 || !f->bits || f->bits > f->size * 8)
			return say(msg, msg_size, -EINVAL,
				   "int type [%d] (%s) has %u bits in %u bytes: broken BTF",
				   id, f->type_name, f->bits, f->size);
		/* What old BTF made of a bitfield; a member would say so. */
		if (btf_int_offset(t))
			return say(msg, msg_size, -EOPNOTSUPP,
				   "int type [%d] (%s) starts at bit %u: not supported",
				   id, f->type_name, btf_int_offset(t));
		break;
	case BPFPOKE_FIELD_ENUM:
		f->bits = f->size * 8;
		f->is_signed = btf_kflag(t);
		if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
			return say(msg, msg_size, -EINVAL,
				   "enum type [%d] (%s) is %u bytes: broken BTF",
				   id, f->type_name, f->size);
		break;
	case BPFPOKE_FIELD_PTR:
		f->bits = f->size * 8;
		break;
	case BPFPOKE_FIELD_ARRAY:
		f->nelems = btf_array(t)->nelems;
		eid = btf__resolve_type(btf, btf_array(t)->type);
		et = eid < 0 ? NULL : btf__type_by_id(btf, eid);
		size = et ? btf__resolve_size(btf, eid) : -EINVAL;
		if (size < 0 || !kind_of(btf, et))
			return say(msg, msg_size, -EINVAL,
				   "array type [%d] (%s) has a broken element type",
				   id, f->type_name);
		f->elem_size = size;
		f->elem_kind = kind_of(btf, et);
		break;
	default:
		break;
	}
	return 0;
}

void bpfpoke_member_bits(const struct btf *btf, const struct btf_type *t,
			 __u32 i, __u32 *bit_off, __u32 *bit_size)
{
	const struct btf_type *mt;
	int id;

	*bit_off = btf_member_bit_offset(t, i);
	*bit_size = btf_member_bitfield_size(t, i);
	if (*bit_size || btf_kflag(t))
		return;
	/* Without kflag, a bitfield is an int type of fewer bits. */
	id = btf__resolve_type(btf, btf_members(t)[i].type);
	mt = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (mt && btf_is_int(mt) &&
	    (btf_int_offset(mt) || btf_int_bits(mt) != mt->size * 8)) {
		*bit_off += btf_int_offset(mt);
		*bit_size = btf_int_bits(mt);
	}
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * Find member @name (@len bytes) of struct or union @t, looking through
 * anonymous struct and union members as C does; the first match in
 * declaration order wins.  On a match, *@bit_off grows by the member's
 * offset and *@t, *@i name the member's own struct and index.
 * Return: 1 found, 0 not, negative errno with w->msg set.
 */
static int find_member(struct walk *w, const struct btf_type **t, __u32 *i,
		       const char *name, size_t len, __u64 *bit_off, int depth)
{
	const struct btf_type *ct = *t, *mt;
	__u32 j, n = btf_vlen(ct), off, bits;
	const struct btf_member *m;
	const char *mname;
	__u64 sub;
	int id, ret;

	for (j = 0, m = btf_members(ct); j < n; j++, m++) {
		if (!w->budget--)
			return walk_fail(w, -E2BIG,
					 "field '%s': BTF too large to search (more than %u members)",
					 w->path, WALK_BUDGET);
		mname = btf__name_by_offset(w->btf, m->name_off);
		if (mname && *mname) {
			if (strlen(mname) != len || memcmp(mname, name, len))
				continue;
			*bit_off += btf_member_bit_offset(ct, j);
			*i = j;
			return 1;
		}
		/* Unnamed: an anonymous struct/union, or bitfield padding. */
		id = btf__resolve_type(w->btf, m->type);
		mt = id < 0 ? NULL : btf__type_by_id(w->btf, id);
		if (!mt || !btf_is_composite(mt))
			continue;
		if (depth >= ANON_MAX_DEPTH)
			return walk_fail(w, -ELOOP,
					 "field '%s': anonymous members nested deeper than %d",
					 w->path, ANON_MAX_DEPTH);
		bpfpoke_member_bits(w->btf, ct, j, &off, &bits);
		sub = *bit_off + off;
		*t = mt;
		ret = find_member(w, t, i, name, len, &sub, depth + 1);
		if (ret) {
			*bit_off = sub;
			return ret;
		}
		*t = ct;
	}
	return 0;
}

/* The variable of DATASEC @t that the path starts with; the longest wins. */
static int find_var(struct walk *w, const struct btf_type *t, __u32 *type_id,
		    __u64 *off, size_t *len)
{
	const struct btf_var_secinfo *vsi = btf_var_secinfos(t);
	size_t plen = strlen(w->path), nlen, best = 0;
	const struct btf_var_secinfo *hit = NULL;
	const struct btf_type *vt;
	const char *name, *sec;
	__u32 i, n = btf_vlen(t);

	for (i = 0; i < n; i++, vsi++) {
		if (!w->budget--)
			return walk_fail(w, -E2BIG,
					 "field '%s': BTF too large to search (more than %u variables)",
					 w->path, WALK_BUDGET);
		vt = btf__type_by_id(w->btf, vsi->type);
		if (!vt || !btf_is_var(vt))
			continue;
		name = btf__name_by_offset(w->btf, vt->name_off);
		nlen = name ? strlen(name) : 0;
		if (!nlen || nlen > plen || nlen <= best ||
		    memcmp(name, w->path, nlen))
			continue;
		if (w->path[nlen] && w->path[nlen] != '.' && w->path[nlen] != '[')
			continue;
		best = nlen;
		hit = vsi;
	}
	if (!hit) {
		for (nlen = 0; is_ident(w->path[nlen]); nlen++)
			;
		sec = btf__name_by_offset(w->btf, t->name_off);
		w->mismatch = true;
		return walk_fail(w, -ENOENT,
				 "field '%s': no variable '%.*s' in section '%s'",
				 w->path, (int)nlen, w->path, sec ? sec : "?");
	}
	vt = btf__type_by_id(w->btf, hit->type);
	if ((__u64)hit->offset + hit->size > w->value_size ||
	    btf__resolve_size(w->btf, vt->type) > hit->size)
		return walk_fail(w, -EINVAL,
				 "field '%s': broken BTF: variable '%.*s' (%lld bytes) does not fit its %u bytes at offset %u of the %u-byte value",
				 w->path, (int)best, w->path,
				 (long long)btf__resolve_size(w->btf, vt->type),
				 hit->size, hit->offset, w->value_size);
	*type_id = vt->type;
	*off = hit->offset;
	*len = best;
	return 0;
}

/* A member step: ".name", at @*p just past the dot. */
static int step_member(struct walk *w, const char **p, __u32 *type_id,
		       __u64 *off)
{
	char tname[BPFPOKE_FIELD_TYPE_NAME_MAX + 1];
	const char *name = *p, *at = *p;
	const struct btf_type *t;
	__u32 i, bit_off, bit_size;
	__u64 bits = 0;
	size_t len;
	int id, ret;

	if (!is_ident_start(*at))
		return walk_fail(w, -EINVAL,
				 "field '%s': expected a member name at offset %zu",
				 w->path, (size_t)(at - w->path));
	for (len = 0; is_ident(name[len]); len++)
		;
	*p = name + len;
	/* "the value" when a non-DATASEC path starts with a member */
	at = name > w->path ? name - 1 : name;

	id = btf__resolve_type(w->btf, *type_id);
	t = id < 0 ? NULL : btf__type_by_id(w->btf, id);
	/* Type names are for messages: only on the way out. */
	if (!t || !btf_is_composite(t))
		bpfpoke_btf_type_name(w->btf, *type_id, tname, sizeof(tname));
	if (!t)
		return walk_fail(w, -EINVAL,
				 "field '%s': broken BTF: type [%u] (%s) is void or its type chain is broken",
				 w->path, *type_id, tname);
	if (!btf_is_composite(t)) {
		w->mismatch = true;
		if (at == name)
			return walk_fail(w, -EINVAL,
					 "field '%s': the map value is %s, not a struct or union",
					 w->path, tname);
		return walk_fail(w, -EINVAL,
				 "field '%s': '%.*s' is %s, not a struct or union",
				 w->path, (int)(at - w->path), w->path, tname);
	}
	ret = find_member(w, &t, &i, name, len, &bits, 0);
	if (ret < 0)
		return ret;
	if (!ret) {
		w->mismatch = true;
		bpfpoke_btf_type_name(w->btf, *type_id, tname, sizeof(tname));
		return walk_fail(w, -ENOENT, "field '%s': %s has no member '%.*s'",
				 w->path, tname, (int)len, name);
	}
	/* find_member() added the member's offset; redo it with bitfields. */
	bpfpoke_member_bits(w->btf, t, i, &bit_off, &bit_size);
	bits += bit_off - btf_member_bit_offset(t, i);
	*type_id = btf_members(t)[i].type;
	/* A bitfield with more path behind it is an int, not a struct. */
	if (bit_size && !**p) {
		w->found = true;
		return walk_fail(w, -EOPNOTSUPP,
				 "field '%s' is a bitfield (%u bits at bit %llu): not supported",
				 w->path, bit_size, (unsigned long long)bits);
	}
	if (bits % 8 && !**p) {
		w->found = true;
		return walk_fail(w, -EOPNOTSUPP,
				 "field '%s' is not on a byte boundary (bit %llu): not supported",
				 w->path, (unsigned long long)bits);
	}
	*off += bits / 8;
	return 0;
}

/* An index step: "[N]", at @*p on the '['. */
static int step_index(struct walk *w, const char **p, __u32 *type_id,
		      __u64 *off)
{
	const char *at = *p, *num = at + 1, *end = strchr(num, ']');
	char tname[BPFPOKE_FIELD_TYPE_NAME_MAX + 1];
	const struct btf_type *t;
	const struct btf_array *a;
	__u64 idx;
	__s64 esize;
	bool neg;
	int id;

	if (!end || end == num || bpfpoke_parse_num(num, end - num, &neg, &idx) ||
	    neg || *num == '+' || *num == '-')
		return walk_fail(w, -EINVAL,
				 "field '%s': expected an index and ']' at offset %zu",
				 w->path, (size_t)(num - w->path));
	*p = end + 1;

	id = btf__resolve_type(w->btf, *type_id);
	t = id < 0 ? NULL : btf__type_by_id(w->btf, id);
	/* Type names are for messages: only on the way out. */
	if (!t || !btf_is_array(t) || idx >= btf_array(t)->nelems)
		bpfpoke_btf_type_name(w->btf, *type_id, tname, sizeof(tname));
	if (!t)
		return walk_fail(w, -EINVAL,
				 "field '%s': broken BTF: type [%u] (%s) is void or its type chain is broken",
				 w->path, *type_id, tname);
	if (!btf_is_array(t)) {
		w->mismatch = true;
		if (at == w->path)
			return walk_fail(w, -EINVAL,
					 "field '%s': the map value is %s, not an array",
					 w->path, tname);
		return walk_fail(w, -EINVAL, "field '%s': '%.*s' is %s, not an array",
				 w->path, (int)(at - w->path), w->path, tname);
	}
	a = btf_array(t);
	if (idx >= a->nelems) {
		w->mismatch = true;
		if (at == w->path)
			return walk_fail(w, -ERANGE,
					 "field '%s': index %llu is out of range: the map value has %u elements",
					 w->path, (unsigned long long)idx, a->nelems);
		return walk_fail(w, -ERANGE,
				 "field '%s': index %llu is out of range: '%.*s' has %u elements",
				 w->path, (unsigned long long)idx,
				 (int)(at - w->path), w->path, a->nelems);
	}
	esize = btf__resolve_size(w->btf, a->type);
	if (esize < 0) {
		bpfpoke_btf_type_name(w->btf, *type_id, tname, sizeof(tname));
		return walk_fail(w, -EINVAL,
				 "field '%s': broken BTF: the elements of %s have no size",
				 w->path, tname);
	}
	/* < 2^64: idx and esize are below 2^32, *off below 2^32 + 2^32 */
	*off += idx * esize;
	*type_id = a->type;
	return 0;
}

static int walk_path(struct walk *w, const struct bpfpoke_map_value *mv,
		     struct bpfpoke_field *f)
{
	const char *p = w->path;
	const struct btf_type *t;
	__u32 type_id, nr_segs;
	__u64 off = 0;
	size_t len = 0;
	int id, err;

	w->btf = mv->btf;
	w->value_size = mv->value_size;
	w->budget = WALK_BUDGET;
	if (!*p)
		return walk_fail(w, -EINVAL, "field path is empty");
	if (strlen(p) > BPFPOKE_MAP_WRITE_FIELD_MAX)
		return walk_fail(w, -EINVAL,
				 "field '%.32s...' is longer than %d bytes", p,
				 BPFPOKE_MAP_WRITE_FIELD_MAX);

	type_id = mv->btf_value_type_id;
	id = btf__resolve_type(w->btf, type_id);
	t = id < 0 ? NULL : btf__type_by_id(w->btf, id);
	if (!t)
		return walk_fail(w, -EINVAL,
				 "broken BTF: the value type [%u] is void, or its type chain is broken or loops",
				 type_id);
	if (btf_is_datasec(t)) {
		if (!is_ident_start(*p))
			return walk_fail(w, -EINVAL,
					 "field '%s': expected a variable name at offset 0",
					 w->path);
		err = find_var(w, t, &type_id, &off, &len);
		if (err)
			return err;
		p += len;
	} else if (*p != '[') {
		/* The value itself is the struct: start with a member. */
		err = step_member(w, &p, &type_id, &off);
		if (err)
			return err;
	}

	for (nr_segs = 1; *p; nr_segs++) {
		if (nr_segs >= PATH_MAX_SEGMENTS)
			return walk_fail(w, -EINVAL,
					 "field '%s' has more than %d segments",
					 w->path, PATH_MAX_SEGMENTS);
		if (*p == '.') {
			p++;
			err = step_member(w, &p, &type_id, &off);
		} else if (*p == '[') {
			err = step_index(w, &p, &type_id, &off);
		} else {
			err = walk_fail(w, -EINVAL,
					"field '%s': unexpected '%c' at offset %zu",
					w->path, *p, (size_t)(p - w->path));
		}
		if (err)
			return err;
	}
	w->found = true;

	err = bpfpoke_field_fill(w->btf, type_id, f, w->msg, sizeof(w->msg));
	if (err) {
		/* fill's message names a type, not the field: prefix it. */
		char inner[sizeof(w->msg)];

		memcpy(inner, w->msg, sizeof(inner));
		return walk_fail(w, err, "field '%s': %s", w->path, inner);
	}
	if (off + f->size > mv->value_size)
		return walk_fail(w, -EINVAL,
				 "field '%s' (%u bytes at offset %llu) does not fit in the %u-byte map value: broken BTF",
				 w->path, f->size, (unsigned long long)off,
				 mv->value_size);
	f->offset = off;
	return 0;
}

/* @dst: BPFPOKE_MAP_NAME_MAX + 1 bytes, all written */
static void map_name_copy(char *dst, const struct bpfpoke_map_value *mv)
{
	size_t n = 0;

	memset(dst, 0, BPFPOKE_MAP_NAME_MAX + 1);
	if (mv && mv->sz >= offsetofend(struct bpfpoke_map_value, map_name) &&
	    mv->map_name)
		n = strnlen(mv->map_name, BPFPOKE_MAP_NAME_MAX);
	if (n)
		memcpy(dst, mv->map_name, n);
}

/* "map 'NAME': " before a message, or nothing for a map without a name. */
static const char *map_prefix(char *buf, const char *map_name)
{
	if (!map_name[0])
		return "";
	sprintf(buf, "map '%s': ", map_name);
	return buf;
}

/* uapi's enum bpf_map_type since Linux 6.9; older uapi headers lack it. */
#define BPFPOKE_MAP_TYPE_ARENA	33

/*
 * Values with a layout bpfpoke resolves: array and per-CPU array maps
 * (4-byte keys), the hash maps whose elements it finds by key, and an
 * arena's globals (its program's .addr_space.1).
 */
static int check_map(const struct bpfpoke_map_value *mv, char *msg,
		     size_t size)
{
	const char *type;

	switch (mv->map_type) {
	case BPFPOKE_MAP_TYPE_ARENA:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return 0;
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		break;
	default:
		type = libbpf_bpf_map_type_str(mv->map_type);
		return say(msg, size, -EOPNOTSUPP,
			   "is a %s map (type %u): only array, per-CPU array and hash map values and arenas' globals have fields",
			   type ? type : "unknown", mv->map_type);
	}
	if (mv->key_size != 4)
		return say(msg, size, -EOPNOTSUPP,
			   "has %u-byte keys: an array map's key is 4 bytes",
			   mv->key_size);
	return 0;
}

int bpfpoke_field_resolve(const struct bpfpoke_map_value *mv,
			  const char *path, struct bpfpoke_field *f)
{
	char map_name[BPFPOKE_MAP_NAME_MAX + 1], pfx[BPFPOKE_MAP_NAME_MAX + 16];
	struct bpfpoke_field tmp;
	struct walk w = {};
	int err;

	map_name_copy(map_name, mv);
	if (!path || !f) {
		pr_warn("field resolve: %s is NULL\n", path ? "field" : "path");
		return bpfpoke_err(-EINVAL);
	}
	if (f->sz < offsetofend(struct bpfpoke_field, path)) {
		pr_warn("struct bpfpoke_field: sz %zu is too small\n", f->sz);
		return bpfpoke_err(-EINVAL);
	}
	err = bpfpoke_map_value_check(mv, w.msg, sizeof(w.msg));
	if (err) {
		pr_warn("%s%s\n", map_prefix(pfx, map_name), w.msg);
		return bpfpoke_err(err);
	}
	err = check_map(mv, w.msg, sizeof(w.msg));
	if (err) {
		if (map_name[0])
			pr_warn("map '%s' %s\n", map_name, w.msg);
		else
			pr_warn("the map %s\n", w.msg);
		return bpfpoke_err(err);
	}

	memset(&tmp, 0, sizeof(tmp));
	w.path = path;
	err = walk_path(&w, mv, &tmp);
	if (err) {
		pr_warn("%s%s\n", map_prefix(pfx, map_name), w.msg);
		return bpfpoke_err(err);
	}
	memcpy(tmp.map_name, map_name, sizeof(tmp.map_name));
	memcpy(tmp.path, path, strlen(path) + 1);

	/* Fill what the caller's struct has room for, zero what we do not know. */
	tmp.sz = f->sz;
	if (f->sz > sizeof(tmp))
		memset((char *)f + sizeof(tmp), 0, f->sz - sizeof(tmp));
	memcpy(f, &tmp, f->sz < sizeof(tmp) ? f->sz : sizeof(tmp));
	return 0;
}

int bpfpoke_field_exists(const struct bpfpoke_map_value *mv, const char *path)
{
	char map_name[BPFPOKE_MAP_NAME_MAX + 1], pfx[BPFPOKE_MAP_NAME_MAX + 16];
	struct bpfpoke_field tmp;
	struct walk w = {};
	int err;

	map_name_copy(map_name, mv);
	if (!path) {
		pr_debug("field exists: path is NULL\n");
		return bpfpoke_err(-EINVAL);
	}
	err = bpfpoke_map_value_check(mv, w.msg, sizeof(w.msg));
	if (err == -ENODATA) {
		pr_debug("%s%s\n", map_prefix(pfx, map_name), w.msg);
		return 0;
	}
	if (!err) {
		memset(&tmp, 0, sizeof(tmp));
		w.path = path;
		err = walk_path(&w, mv, &tmp);
	}
	if (err)
		pr_debug("%s%s\n", map_prefix(pfx, map_name), w.msg);
	if (!err || w.found)
		return 1;
	if (w.mismatch)
		return 0;
	return bpfpoke_err(err);
}

const char *bpfpoke_field_kind_str(enum bpfpoke_field_kind kind)
{
	static const char *const names[] = {
		[BPFPOKE_FIELD_INT]	= "int",
		[BPFPOKE_FIELD_BOOL]	= "bool",
		[BPFPOKE_FIELD_CHAR]	= "char",
		[BPFPOKE_FIELD_ENUM]	= "enum",
		[BPFPOKE_FIELD_FLOAT]	= "float",
		[BPFPOKE_FIELD_PTR]	= "ptr",
		[BPFPOKE_FIELD_STRUCT]	= "struct",
		[BPFPOKE_FIELD_UNION]	= "union",
		[BPFPOKE_FIELD_ARRAY]	= "array",
	};

	if ((unsigned int)kind >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[kind];
}
