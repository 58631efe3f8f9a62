// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The layout of a map value for `bpfpoke map show`: the entries that
 * bpfpoke_field_resolve() would give for every path worth naming.
 *
 * Bounded like field.c, with one more bound: the number of entries.  A
 * layout that hit a bound, or left out what broken BTF describes, is
 * still returned, marked truncated.  Broken BTF may also name two
 * members alike: both are listed, and a path reaches the first.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>
#include <bpf/btf.h>

#include "internal.h"

#define LAYOUT_MAX_ENTRIES	8192
/* Recursion: members in members, anonymous ones included, and arrays. */
#define LAYOUT_MAX_NEST		32
/* Members and variables looked at, recursion steps included. */
#define LAYOUT_BUDGET		(1U << 20)

struct bpfpoke_layout {
	struct bpfpoke_layout_entry *entries;
	size_t cnt;
	size_t cap;
	bool truncated;
};

struct builder {
	const struct btf *btf;
	struct bpfpoke_layout *l;
	__u32 value_size;
	__u32 budget;
	int err;
	char map_name[BPFPOKE_MAP_NAME_MAX + 1];
	char path[BPFPOKE_MAP_WRITE_FIELD_MAX + 1];
};

/*
 * Append the entry for b->path.  Return: true if added; false if left
 * out (a bound, a type with no storage, outside the value, no memory).
 */
static bool emit(struct builder *b, __u32 decl_id, __u64 off, __u32 depth,
		 __u64 bit_off, __u32 bit_size)
{
	struct bpfpoke_layout *l = b->l;
	struct bpfpoke_layout_entry *e;
	char msg[256];
	size_t cap;
	int err;

	if (l->cnt >= LAYOUT_MAX_ENTRIES) {
		l->truncated = true;
		return false;
	}
	if (l->cnt == l->cap) {
		cap = l->cap ? 2 * l->cap : 64;
		e = reallocarray(l->entries, cap, sizeof(*e));
		if (!e) {
			b->err = -ENOMEM;
			return false;
		}
		l->entries = e;
		l->cap = cap;
	}
	e = &l->entries[l->cnt];
	memset(e, 0, sizeof(*e));
	e->field.sz = sizeof(e->field);
	err = bpfpoke_field_fill(b->btf, decl_id, &e->field, msg, sizeof(msg));
	/* Old BTF's bitfield ints are not fields, but are bitfields. */
	if (err && !(err == -EOPNOTSUPP && bit_size)) {
		pr_debug("map '%s': layout leaves out '%s': %s\n", b->map_name,
			 b->path, msg);
		l->truncated = true;
		return false;
	}
	if (bit_size) {
		e->bit_offset = bit_off;
		e->bit_size = bit_size;
		e->field.bits = bit_size;
		off = bit_off / 8;
		e->field.size = (bit_off % 8 + bit_size + 7) / 8;
	}
	if (off + e->field.size > b->value_size || bit_off > 0xffffffffULL) {
		pr_debug("map '%s': layout leaves out '%s': %u bytes at offset %llu are outside the %u-byte value\n",
			 b->map_name, b->path, e->field.size,
			 (unsigned long long)off, b->value_size);
		l->truncated = true;
		return false;
	}
	e->field.offset = off;
	e->depth = depth;
	memcpy(e->field.map_name, b->map_name, sizeof(e->field.map_name));
	memcpy(e->field.path, b->path, strlen(b->path) + 1);
	l->cnt++;
	return true;
}

/* Append @s to b->path at @len; the new length, or 0 if it does not fit. */
static size_t path_push(struct builder *b, size_t len, const char *sep,
			const char *s)
{
	size_t n = strlen(sep) + strlen(s);

	if (len + n >= sizeof(b->path)) {
		b->l->truncated = true;
		return 0;
	}
	strcpy(b->path + len, sep);
	strcpy(b->path + len + strlen(sep), s);
	return len + n;
}

/*
 * Whether @name can be written in a path: a C identifier, or for a
 * variable, identifiers joined by dots (clang's "func.static_var").
 * Broken BTF may name members anything; those entries are left out.
 */
static bool nameable(struct builder *b, const char *name, bool dots)
{
	const char *p = name;
	bool start = true;

	for (; *p; p++) {
		if (dots && *p == '.' && !start && p[1]) {
			start = true;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      *p == '_' || (!start && *p >= '0' && *p <= '9')))
			break;
		start = false;
	}
	if (*p || start) {
		pr_debug("map '%s': layout leaves out '%.64s': not a name a path can hold\n",
			 b->map_name, name);
		b->l->truncated = true;
		return false;
	}
	return true;
}

static bool spend(struct builder *b, __u32 nest)
{
	if (b->err || !b->budget || nest > LAYOUT_MAX_NEST) {
		b->l->truncated = true;
		return false;
	}
	b->budget--;
	return true;
}

static void add(struct builder *b, __u32 decl_id, __u64 off, size_t len,
		__u32 depth, __u32 nest, bool emit_self);

static void add_members(struct builder *b, const struct btf_type *t,
			__u64 off, size_t len, __u32 depth, __u32 nest)
{
	const struct btf_member *m = btf_members(t);
	__u32 i, n = btf_vlen(t), bit_off, bit_size;
	const struct btf_type *mt;
	const char *name;
	size_t mlen;
	__u64 bits;
	int id;

	for (i = 0; i < n; i++, m++) {
		if (!spend(b, nest))
			return;
		bpfpoke_member_bits(b->btf, t, i, &bit_off, &bit_size);
		bits = off * 8 + bit_off;
		name = btf__name_by_offset(b->btf, m->name_off);
		if (!name || !*name) {
			/* Anonymous struct/union: its members are ours. */
			id = btf__resolve_type(b->btf, m->type);
			mt = id < 0 ? NULL : btf__type_by_id(b->btf, id);
			if (!mt || !btf_is_composite(mt))
				continue;	/* bitfield padding */
			if (!bit_size && !(bits % 8))
				add_members(b, mt, bits / 8, len, depth, nest + 1);
			else
				b->l->truncated = true;
			continue;
		}
		if (!nameable(b, name, false))
			continue;
		mlen = path_push(b, len, len ? "." : "", name);
		if (!mlen)
			continue;
		if (bit_size)
			emit(b, m->type, 0, depth, bits, bit_size);
		else if (bits % 8)
			b->l->truncated = true;	/* not a bitfield, not whole bytes */
		else
			add(b, m->type, bits / 8, mlen, depth, nest + 1, true);
		b->path[len] = '\0';
	}
}

/*
 * The entry for b->path (of @len bytes) if @emit_self, then what is
 * inside: members, or element [0] of an array of structs.
 */
static void add(struct builder *b, __u32 decl_id, __u64 off, size_t len,
		__u32 depth, __u32 nest, bool emit_self)
{
	const struct btf_type *t, *et;
	__u32 inner = emit_self ? depth + 1 : depth;
	size_t elen;
	int id, eid;

	if (!spend(b, nest))
		return;
	if (emit_self && !emit(b, decl_id, off, depth, 0, 0))
		return;
	id = btf__resolve_type(b->btf, decl_id);
	t = id < 0 ? NULL : btf__type_by_id(b->btf, id);
	if (!t)
		return;
	if (btf_is_composite(t)) {
		add_members(b, t, off, len, inner, nest + 1);
	} else if (btf_is_array(t) && btf_array(t)->nelems) {
		/* A flexible array has no element [0] to write. */
		eid = btf__resolve_type(b->btf, btf_array(t)->type);
		et = eid < 0 ? NULL : btf__type_by_id(b->btf, eid);
		if (!et || !(btf_is_composite(et) || btf_is_array(et)))
			return;
		elen = path_push(b, len, "", "[0]");
		if (!elen)
			return;
		add(b, btf_array(t)->type, off, elen, inner, nest + 1,
		    btf_is_composite(et));
		b->path[len] = '\0';
	}
}

static void add_datasec(struct builder *b, const struct btf_type *t)
{
	const struct btf_var_secinfo *vsi = btf_var_secinfos(t);
	__u32 i, n = btf_vlen(t);
	const struct btf_type *vt;
	const char *name;
	size_t len;

	for (i = 0; i < n; i++, vsi++) {
		if (!spend(b, 0))
			return;
		vt = btf__type_by_id(b->btf, vsi->type);
		if (!vt || !btf_is_var(vt))
			continue;
		name = btf__name_by_offset(b->btf, vt->name_off);
		if (!name || !nameable(b, name, true))
			continue;
		/* As bpfpoke_field_resolve() checks it. */
		if ((__u64)vsi->offset + vsi->size > b->value_size ||
		    btf__resolve_size(b->btf, vt->type) > vsi->size) {
			pr_debug("map '%s': layout leaves out '%s': it does not fit its %u bytes at offset %u of the %u-byte value\n",
				 b->map_name, name, vsi->size, vsi->offset,
				 b->value_size);
			b->l->truncated = true;
			continue;
		}
		len = path_push(b, 0, "", name);
		if (!len)
			continue;
		add(b, vt->type, vsi->offset, len, 0, 1, true);
		b->path[0] = '\0';
	}
}

struct bpfpoke_layout *bpfpoke_layout_new(const struct bpfpoke_map_value *mv)
{
	struct builder b = { .budget = LAYOUT_BUDGET };
	const struct btf_type *t;
	char msg[256];
	size_t n = 0;
	int id, err;

	err = bpfpoke_map_value_check(mv, msg, sizeof(msg));
	if (err) {
		pr_warn("layout: %s\n", msg);
		errno = -err;
		return NULL;
	}
	if (mv->map_name) {
		n = strnlen(mv->map_name, BPFPOKE_MAP_NAME_MAX);
		memcpy(b.map_name, mv->map_name, n);
	}
	b.btf = mv->btf;
	b.value_size = mv->value_size;

	id = btf__resolve_type(b.btf, mv->btf_value_type_id);
	t = id < 0 ? NULL : btf__type_by_id(b.btf, id);
	if (!t) {
		pr_warn("map '%s': layout: broken BTF: the value type [%u] is void, or its type chain is broken or loops\n",
			b.map_name, mv->btf_value_type_id);
		errno = EINVAL;
		return NULL;
	}
	b.l = calloc(1, sizeof(*b.l));
	if (!b.l) {
		errno = ENOMEM;
		return NULL;
	}
	if (btf_is_datasec(t))
		add_datasec(&b, t);
	else if (btf_is_composite(t))
		add_members(&b, t, 0, 0, 0, 1);
	else
		add(&b, mv->btf_value_type_id, 0, 0, 0, 1, true);
	if (b.err) {
		bpfpoke_layout_free(b.l);
		errno = -b.err;
		return NULL;
	}
	if (b.l->truncated)
		pr_info("map '%s': layout: some fields are left out (bounds or broken BTF)\n",
			b.map_name);
	return b.l;
}

void bpfpoke_layout_free(struct bpfpoke_layout *l)
{
	if (!l)
		return;
	free(l->entries);
	free(l);
}

size_t bpfpoke_layout_cnt(const struct bpfpoke_layout *l)
{
	return l->cnt;
}

const struct bpfpoke_layout_entry *
bpfpoke_layout_entry(const struct bpfpoke_layout *l, size_t i)
{
	if (i >= l->cnt) {
		errno = ERANGE;
		return NULL;
	}
	return &l->entries[i];
}

bool bpfpoke_layout_truncated(const struct bpfpoke_layout *l)
{
	return l->truncated;
}
