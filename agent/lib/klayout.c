// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Guest kernel structure layouts, from the guest's own vmlinux BTF: the
 * offsets and sizes of the fields of struct idr, xarray, xa_node,
 * bpf_map, bpf_array and btf that the map walk reads.  Nothing here is
 * hard-coded, so a kernel that moves a field still works, and one that
 * drops a needed field fails with a message naming it.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "internal.h"
#include "kmodel.h"

/* Anonymous struct/union nesting followed when looking for a member. */
#define MAX_ANON_DEPTH	8

static const struct btf_type *find_struct(const struct btf *btf,
					  const char *name, __u32 *size)
{
	const struct btf_type *t;
	__s32 id;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	if (size)
		*size = t->size;
	return t;
}

/*
 * Find member @name of struct/union @t, looking into anonymous members,
 * at byte offset @base.
 */
static int find_member(const struct btf *btf, const struct btf_type *t,
		       const char *name, __u32 base, int depth,
		       struct kfield *f, __u32 *type_id)
{
	const struct btf_member *m = btf_members(t);
	__u16 i, n = btf_vlen(t);

	if (depth > MAX_ANON_DEPTH)
		return -ENOENT;
	for (i = 0; i < n; i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		__u32 bit_off = btf_member_bit_offset(t, i);
		const struct btf_type *mt;
		__s64 size;

		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			if ((bit_off & 7) || btf_member_bitfield_size(t, i))
				return -EINVAL;
			size = btf__resolve_size(btf, m->type);
			if (size < 0)
				return (int)size;
			f->off = base + bit_off / 8;
			f->size = size;
			f->have = true;
			*type_id = m->type;
			return 0;
		}
		/* Anonymous: a nested struct or union to look into. */
		mt = btf__type_by_id(btf, btf__resolve_type(btf, m->type));
		if (!mt || !(btf_is_struct(mt) || btf_is_union(mt)))
			continue;
		if (!find_member(btf, mt, name, base + bit_off / 8, depth + 1,
				 f, type_id))
			return 0;
	}
	return -ENOENT;
}

struct field_spec {
	const char *strukt;
	const char *member;
	size_t field;		/* offsetof(struct klayout, ...) */
	bool optional;
	/* Accepted sizes as a bit mask: 1 << size; 0 for any. */
	unsigned int sizes;
};

#define SZ(n)		(1U << (n))
#define INT_SIZES	(SZ(1) | SZ(2) | SZ(4) | SZ(8))
#define F(s, m, fld, opt, sz) \
	{ s, m, offsetof(struct klayout, fld), opt, sz }

static const struct field_spec fields[] = {
	F("idr", "idr_rt", idr_rt, false, 0),
	F("idr", "idr_base", idr_base, true, INT_SIZES),
	F("xarray", "xa_head", xa_head, false, SZ(8)),
	F("xa_node", "shift", node_shift, false, INT_SIZES),
	F("xa_node", "slots", node_slots, false, 0),
	F("bpf_map", "map_type", map_type, false, INT_SIZES),
	F("bpf_map", "key_size", map_key_size, false, INT_SIZES),
	F("bpf_map", "value_size", map_value_size, false, INT_SIZES),
	F("bpf_map", "max_entries", map_max_entries, false, INT_SIZES),
	F("bpf_map", "map_flags", map_flags, false, INT_SIZES),
	F("bpf_map", "id", map_id, false, INT_SIZES),
	F("bpf_map", "name", map_name, false, 0),	/* checked below */
	F("bpf_map", "btf", map_btf, false, SZ(8)),
	F("bpf_map", "btf_key_type_id", map_btf_key_type_id, true, INT_SIZES),
	F("bpf_map", "btf_value_type_id", map_btf_value_type_id, false, INT_SIZES),
	F("bpf_map", "frozen", map_frozen, true, INT_SIZES),
	F("bpf_map", "refcnt", map_refcnt, true, SZ(8)),	/* atomic64_t */
	F("bpf_array", "map", array_map, false, 0),
	F("bpf_array", "elem_size", array_elem_size, true, INT_SIZES),
	F("bpf_array", "value", array_value, false, 0),
	F("btf", "data", btf_data, false, SZ(8)),
	F("btf", "data_size", btf_data_size, false, INT_SIZES),
	F("btf", "base_btf", btf_base_btf, true, SZ(8)),
	F("btf", "id", btf_id, true, INT_SIZES),
	F("bpf_prog", "aux", prog_aux, true, SZ(8)),
	F("bpf_prog_aux", "arena", aux_arena, true, SZ(8)),
	F("bpf_prog_aux", "btf", aux_btf, true, SZ(8)),
	F("bpf_arena", "map", arena_map, true, 0),
	F("bpf_arena", "user_vm_start", arena_user_vm_start, true, SZ(8)),
	F("bpf_arena", "kern_vm", arena_kern_vm, true, SZ(8)),
	F("vm_struct", "addr", vm_addr, true, SZ(8)),
	F("bpf_insn", "off", insn_off, true, INT_SIZES),
	F("bpf_array", "pptrs", array_pptrs, true, 0),
	F("bpf_htab", "buckets", htab_buckets, true, SZ(8)),
	F("bpf_htab", "n_buckets", htab_n_buckets, true, INT_SIZES),
	F("bpf_htab", "elem_size", htab_elem_size, true, INT_SIZES),
	F("bpf_htab", "hashrnd", htab_hashrnd, true, INT_SIZES),
	F("hlist_nulls_head", "first", nulls_first, true, SZ(8)),
	F("hlist_nulls_node", "next", nulls_next, true, SZ(8)),
	F("htab_elem", "hash_node", elem_node, true, 0),
	F("htab_elem", "hash", elem_hash, true, SZ(4)),
	F("htab_elem", "key", elem_key, true, 0),
};

static int resolve_sizes(struct klayout *l, const struct btf *btf)
{
	static const struct {
		const char *name;
		size_t field;
	} structs[] = {
		{ "idr", offsetof(struct klayout, idr_size) },
		{ "xa_node", offsetof(struct klayout, node_size) },
		{ "bpf_map", offsetof(struct klayout, map_size) },
		{ "bpf_array", offsetof(struct klayout, array_size) },
		{ "btf", offsetof(struct klayout, btf_size) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(structs) / sizeof(structs[0]); i++) {
		__u32 *size = (__u32 *)((char *)l + structs[i].field);

		if (!find_struct(btf, structs[i].name, size) || !*size ||
		    *size > 65536) {
			pr_warn("vmlinux BTF: no usable struct %s\n",
				structs[i].name);
			return -ENOENT;
		}
	}
	if (!find_struct(btf, "xarray", NULL)) {
		pr_warn("vmlinux BTF: no struct xarray\n");
		return -ENOENT;
	}
	return 0;
}

/* The value of enumerator @name of enum bpf_map_type; -ENOENT if none. */
static int map_type_value(const struct btf *btf, const char *name, __u32 *val)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	__s32 id;
	__u16 i;

	id = btf__find_by_name_kind(btf, "bpf_map_type", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	for (i = 0, e = btf_enum(t); i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);

		if (n && !strcmp(n, name)) {
			*val = e->val;
			return 0;
		}
	}
	return -ENOENT;
}

static int resolve_array_type(struct klayout *l, const struct btf *btf)
{
	if (map_type_value(btf, "BPF_MAP_TYPE_ARRAY", &l->map_type_array)) {
		pr_warn("vmlinux BTF: no BPF_MAP_TYPE_ARRAY in enum bpf_map_type\n");
		return -ENOENT;
	}
	return 0;
}

/*
 * Arena globals need prog_idr's programs (their aux names the arena and
 * the BTF) and the arena's kernel mapping: kern_vm->addr + GUARD_SZ / 2
 * is where user address 0 of the low 32 bits lands (kernel/bpf/arena.c),
 * GUARD_SZ being the reach of an instruction's signed offset rounded up
 * to two pages.  Kernels without arenas simply have none.
 */
static void resolve_arena(struct klayout *l, const struct btf *btf)
{
	__u64 reach;

	if (map_type_value(btf, "BPF_MAP_TYPE_ARENA", &l->map_type_arena) ||
	    !find_struct(btf, "bpf_prog", &l->prog_size) ||
	    !find_struct(btf, "bpf_prog_aux", &l->prog_aux_size) ||
	    !find_struct(btf, "bpf_arena", &l->arena_size) ||
	    !find_struct(btf, "vm_struct", &l->vm_size) ||
	    !l->prog_aux.have || !l->aux_arena.have || !l->aux_btf.have ||
	    !l->arena_map.have || l->arena_map.off != 0 ||
	    !l->arena_user_vm_start.have || !l->arena_kern_vm.have ||
	    !l->vm_addr.have || !l->insn_off.have || l->insn_off.size > 4 ||
	    l->prog_aux.off + 8 > l->prog_size ||
	    l->aux_arena.off + 8 > l->prog_aux_size ||
	    l->aux_btf.off + 8 > l->prog_aux_size ||
	    l->arena_kern_vm.off + 8 > l->arena_size ||
	    l->arena_user_vm_start.off + 8 > l->arena_size ||
	    l->vm_addr.off + 8 > l->vm_size)
		return;
	reach = 1ULL << (l->insn_off.size * 8);
	l->arena_guard = (reach + 2 * PAGE_SIZE_4K - 1) & ~(2 * PAGE_SIZE_4K - 1);
	l->have_arena = true;
}

/*
 * The values of the map types map_elem.c reads, ~0U where the kernel has
 * no such type; and every type's name.
 */
static void resolve_map_types(struct klayout *l, const struct btf *btf)
{
	static const struct {
		const char *name;
		size_t field;
	} types[] = {
		{ "BPF_MAP_TYPE_PERCPU_ARRAY",
		  offsetof(struct klayout, map_type_percpu_array) },
		{ "BPF_MAP_TYPE_HASH", offsetof(struct klayout, map_type_hash) },
		{ "BPF_MAP_TYPE_PERCPU_HASH",
		  offsetof(struct klayout, map_type_percpu_hash) },
		{ "BPF_MAP_TYPE_LRU_HASH",
		  offsetof(struct klayout, map_type_lru_hash) },
		{ "BPF_MAP_TYPE_LRU_PERCPU_HASH",
		  offsetof(struct klayout, map_type_lru_percpu_hash) },
	};
	const struct btf_type *t;
	const struct btf_enum *e;
	unsigned int i;
	__s32 id;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		__u32 *v = (__u32 *)((char *)l + types[i].field);

		if (map_type_value(btf, types[i].name, v))
			*v = ~0U;
	}
	/* The names, for the types libbpf does not know. */
	id = btf__find_by_name_kind(btf, "bpf_map_type", BTF_KIND_ENUM);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t)
		return;
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t) && l->nr_map_types < KLAYOUT_MAP_TYPES;
	     i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);
		char *name = l->map_types[l->nr_map_types].name;
		size_t j;

		if (!n || strncmp(n, "BPF_MAP_TYPE_", 13))
			continue;
		n += 13;
		for (j = 0; n[j] && j < KLAYOUT_TYPE_NAME - 1; j++)
			name[j] = n[j] >= 'A' && n[j] <= 'Z' ? n[j] - 'A' + 'a' : n[j];
		name[j] = 0;
		l->map_types[l->nr_map_types++].val = e->val;
	}
}

/*
 * Hash maps: struct bpf_htab's buckets, each an hlist_nulls_head at
 * bucket.head; struct htab_elem linked through hash_node, its hash and
 * its key (the value follows the key, kernel/bpf/hashtab.c).  The bucket
 * type is found through bpf_htab.buckets, not by its name ("bucket").
 */
static void resolve_htab(struct klayout *l, const struct btf *btf)
{
	const struct btf_type *ht, *pt, *bt;
	__u32 type_id, elem_size;
	struct kfield f;

	ht = find_struct(btf, "bpf_htab", &l->htab_size);
	if (!ht || !find_struct(btf, "htab_elem", &elem_size) ||
	    find_member(btf, ht, "buckets", 0, 0, &f, &type_id))
		return;
	pt = btf__type_by_id(btf, btf__resolve_type(btf, type_id));
	if (!pt || !btf_is_ptr(pt))
		return;
	bt = btf__type_by_id(btf, btf__resolve_type(btf, pt->type));
	if (!bt || !btf_is_struct(bt) || !bt->size || bt->size > 4096 ||
	    find_member(btf, bt, "head", 0, 0, &l->bucket_head, &type_id))
		return;
	l->bucket_size = bt->size;
	l->elem_hdr_size = l->elem_key.off;
	if (!l->htab_buckets.have || !l->htab_n_buckets.have ||
	    !l->htab_elem_size.have || !l->htab_hashrnd.have ||
	    !l->nulls_first.have || !l->nulls_next.have ||
	    !l->elem_node.have || !l->elem_hash.have || !l->elem_key.have ||
	    l->htab_size > 65536 ||
	    l->htab_buckets.off + l->htab_buckets.size > l->htab_size ||
	    l->htab_n_buckets.off + l->htab_n_buckets.size > l->htab_size ||
	    l->htab_elem_size.off + l->htab_elem_size.size > l->htab_size ||
	    l->htab_hashrnd.off + l->htab_hashrnd.size > l->htab_size ||
	    l->nulls_first.off + 8 > l->bucket_head.size ||
	    l->bucket_head.off + l->nulls_first.off + 8 > l->bucket_size ||
	    l->elem_key.off & 7 || l->elem_key.off > 4096 ||
	    l->elem_key.off != elem_size ||
	    l->elem_node.off + l->nulls_next.off + 8 > l->elem_key.off ||
	    l->elem_hash.off + 4 > l->elem_key.off)
		return;
	l->have_htab = true;
}

int bpfpoke_klayout_resolve(struct klayout *l, const struct btf *btf)
{
	const struct btf_type *t, *at;
	unsigned int i;
	__u32 type_id;
	int err;

	memset(l, 0, sizeof(*l));
	err = resolve_sizes(l, btf);
	if (err)
		return err;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_spec *fs = &fields[i];
		struct kfield *f = (struct kfield *)((char *)l + fs->field);

		t = find_struct(btf, fs->strukt, NULL);
		err = t ? find_member(btf, t, fs->member, 0, 0, f, &type_id) :
			  -ENOENT;
		if (err == -ENOENT && fs->optional)
			continue;
		if (err) {
			pr_warn("vmlinux BTF: no usable member %s of struct %s\n",
				fs->member, fs->strukt);
			return err == -EINVAL ? -EINVAL : -ENOENT;
		}
		if (fs->sizes && !(fs->sizes & (f->size < 32 ? SZ(f->size) : 0))) {
			pr_warn("vmlinux BTF: struct %s member %s has size %u\n",
				fs->strukt, fs->member, f->size);
			return -EINVAL;
		}
	}
	/* The pieces the walk relies on beyond plain fields. */
	if (l->map_name.size < 2 || l->map_name.size > 64) {
		pr_warn("vmlinux BTF: bpf_map.name has size %u\n",
			l->map_name.size);
		return -EINVAL;
	}
	t = find_struct(btf, "xa_node", NULL);
	find_member(btf, t, "slots", 0, 0, &l->node_slots, &type_id);
	at = btf__type_by_id(btf, btf__resolve_type(btf, type_id));
	if (!at || !btf_is_array(at) || !btf_array(at)->nelems ||
	    btf_array(at)->nelems > 1024 ||
	    (btf_array(at)->nelems & (btf_array(at)->nelems - 1)) ||
	    l->node_slots.size != btf_array(at)->nelems * 8) {
		pr_warn("vmlinux BTF: xa_node.slots is not an array of pointers\n");
		return -EINVAL;
	}
	l->node_nr_slots = btf_array(at)->nelems;
	/* struct bpf_map is embedded at the start of struct bpf_array. */
	if (l->array_map.off != 0) {
		pr_warn("vmlinux BTF: bpf_array.map is not at offset 0\n");
		return -EINVAL;
	}
	if (l->idr_rt.off + l->xa_head.off + 8 > l->idr_size ||
	    l->node_slots.off + l->node_slots.size > l->node_size ||
	    l->array_value.off > l->array_size) {
		pr_warn("vmlinux BTF: inconsistent idr/xa_node/bpf_array layout\n");
		return -EINVAL;
	}
	err = resolve_array_type(l, btf);
	if (err)
		return err;
	resolve_arena(l, btf);
	resolve_map_types(l, btf);
	resolve_htab(l, btf);
	return 0;
}

__u64 bpfpoke_kfield_get(const void *buf, const struct kfield *f)
{
	const unsigned char *p = (const unsigned char *)buf + f->off;
	__u64 v = 0;
	int i;

	if (!f->have || f->size > 8)
		return 0;
	/* x86-64 guests: little-endian. */
	for (i = f->size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
