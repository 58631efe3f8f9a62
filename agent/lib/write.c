// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The write path: pick each write's map by suffix and field (maps.c),
 * resolve the field with the map's BTF, encode the value for the field's
 * type, translate the bytes' guest addresses, all before anything is
 * written; then, once every map is checked to be still there (maps.c),
 * one all-or-nothing batch of guest-physical writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "internal.h"
#include "kmodel.h"
#include "mem.h"

/*
 * A batch being built: the items' results and the writes; for element
 * writes, where each element was found (re-checked at commit).
 */
struct bpfpoke_write_batch {
	struct bpfpoke_session *s;
	struct bpfpoke_write_info *info;
	size_t nr;
	/* The session's (bpfpoke_map_btf_get()): not freed here. */
	const struct btf **btfs;
	struct bpfpoke_map_elem *elems;
	struct mem_wop *ops;
	unsigned int nr_ops;
	bool committed;
};

void bpfpoke_write_free(struct bpfpoke_write_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; b->info && i < b->nr; i++) {
		free((void *)b->info[i].data);
		free((void *)b->info[i].key);
	}
	free(b->info);
	free(b->btfs);
	free(b->elems);
	free(b->ops);
	free(b);
}

size_t bpfpoke_write_cnt(const struct bpfpoke_write_batch *b)
{
	return b ? b->nr : 0;
}

const struct bpfpoke_write_info *
bpfpoke_write_info(const struct bpfpoke_write_batch *b, size_t i)
{
	if (!b || i >= b->nr) {
		errno = ERANGE;
		return NULL;
	}
	return &b->info[i];
}

/* Guest-physical ops for @len bytes at guest-virtual @kva: one per page. */
static int add_ops(struct bpfpoke_write_batch *b, __u64 kva,
		   const unsigned char *buf, size_t len)
{
	struct bpfpoke_session *s = b->s;

	while (len) {
		__u64 pa, contig;
		size_t chunk;
		int err;

		err = bpfpoke_km_translate(&s->km, s->mem, kva, &pa, &contig);
		if (err) {
			pr_warn("map value at 0x%llx cannot be translated: %s\n",
				(unsigned long long)kva, strerror(-err));
			return err;
		}
		chunk = contig < len ? contig : len;
		if (b->nr_ops >= MEM_MAX_BATCH) {
			pr_warn("more than %u guest-physical writes in one batch\n",
				MEM_MAX_BATCH);
			return -E2BIG;
		}
		b->ops[b->nr_ops++] = (struct mem_wop){
			.gpa = pa, .buf = buf, .len = chunk,
		};
		kva += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* A frozen map is written only with BPFPOKE_WRITE_FORCE. */
static int check_frozen(const struct bpfpoke_map_info *map, __u32 flags,
			const char *what)
{
	if (!map->frozen || (flags & BPFPOKE_WRITE_FORCE))
		return 0;
	pr_warn("map %u '%s' is frozen (%s): the verifier may have folded its values into the programs as constants, so writing %s may change nothing they do (BPFPOKE_WRITE_FORCE, --force, writes anyway)\n",
		map->id, map->name,
		bpfpoke_ends_with(map->name, ".rodata") ? ".rodata after load" :
		"BPF_MAP_FREEZE", what);
	return -EPERM;
}

static int prepare_one(struct bpfpoke_write_batch *b, size_t i,
		       const struct bpfpoke_map_write *w, __u32 flags)
{
	const char *suffix = bpfpoke_map_write_suffix(w);
	const char *field = bpfpoke_map_write_field(w);
	struct bpfpoke_write_info *wi = &b->info[i];
	const struct bpfpoke_map_info *map;
	struct bpfpoke_map_value mv;
	unsigned char *data;
	char what[300];
	size_t j;
	int err;

	err = bpfpoke_map_pick(b->s, suffix, field, &map, NULL);
	if (err)
		return err;
	b->btfs[i] = bpfpoke_map_btf_get(b->s, map);
	if (!b->btfs[i])
		return -errno;
	wi->map = map;
	bpfpoke_map_value_init(&mv, map, b->btfs[i]);
	wi->field.sz = sizeof(wi->field);
	err = bpfpoke_field_resolve(&mv, field, &wi->field);
	if (err)
		return -errno;
	snprintf(what, sizeof(what), "'%s'", field);
	err = check_frozen(map, flags, what);
	if (err)
		return err;
	if (!map->value_kva) {
		pr_warn("map %u '%s' is not an array map: its elements are written by key (bpfpoke_elem_write_prepare(), 'map update')\n",
			map->id, map->name);
		return -EOPNOTSUPP;
	}
	data = calloc(1, wi->field.size ? wi->field.size : 1);
	if (!data)
		return -ENOMEM;
	wi->data = data;
	err = bpfpoke_field_encode(&wi->field, bpfpoke_map_write_value(w), data,
				   wi->field.size);
	if (err)
		return -errno;
	/* Two writes of the same bytes: which one lands is not obvious. */
	for (j = 0; j < i; j++) {
		const struct bpfpoke_write_info *o = &b->info[j];

		if (o->map->kva == map->kva &&
		    o->field.offset < wi->field.offset + wi->field.size &&
		    wi->field.offset < o->field.offset + o->field.size) {
			pr_warn("writes '%s' and '%s' of map '%s' overlap\n",
				o->field.path, wi->field.path, map->name);
			return -EINVAL;
		}
	}
	j = b->nr_ops;
	err = add_ops(b, map->value_kva + wi->field.offset, data,
		      wi->field.size);
	if (!err && b->nr_ops > j)
		wi->gpa = b->ops[j].gpa;
	return err;
}

/* The checks every batch passes, and its allocation. */
static int batch_new(struct bpfpoke_session *s, size_t nr, bool elems,
		     const struct bpfpoke_write_opts *opts, __u32 *flags,
		     struct bpfpoke_write_batch **out)
{
	struct bpfpoke_write_batch *b;

	if (!s || !out || !nr || nr > BPFPOKE_WRITE_MAX)
		return -EINVAL;
	if (!OPTS_VALID(opts, bpfpoke_write_opts))
		return -EINVAL;
	*flags = OPTS_GET(opts, flags, 0);
	if (*flags & ~BPFPOKE_WRITE_FORCE)
		return -EINVAL;
	if (!s->km.loaded)
		return -EINVAL;
	if (!s->mem->writable) {
		pr_warn("the session was opened read-only (no BPFPOKE_SESSION_WRITABLE)\n");
		return -EROFS;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->s = s;
	b->nr = nr;
	b->info = calloc(nr, sizeof(*b->info));
	b->btfs = calloc(nr, sizeof(*b->btfs));
	b->ops = calloc(MEM_MAX_BATCH, sizeof(*b->ops));
	if (elems)
		b->elems = calloc(nr, sizeof(*b->elems));
	if (!b->info || !b->btfs || !b->ops || (elems && !b->elems)) {
		bpfpoke_write_free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

int bpfpoke_write_prepare(struct bpfpoke_session *s,
			  const struct bpfpoke_map_write *writes, size_t nr,
			  const struct bpfpoke_write_opts *opts,
			  struct bpfpoke_write_batch **out)
{
	struct bpfpoke_write_batch *b;
	__u32 flags = 0;
	size_t i;
	int err;

	if (!writes)
		return bpfpoke_err(-EINVAL);
	/* Every descriptor is checked before any map is looked at. */
	for (i = 0; i < nr && i < BPFPOKE_WRITE_MAX; i++)
		if (bpfpoke_map_write_validate(&writes[i]))
			return bpfpoke_err(-EINVAL);
	err = batch_new(s, nr, false, opts, &flags, &b);
	if (err)
		return bpfpoke_err(err);
	for (i = 0; i < nr; i++) {
		err = prepare_one(b, i, &writes[i], flags);
		if (err) {
			bpfpoke_write_free(b);
			return bpfpoke_err(err);
		}
	}
	*out = b;
	return 0;
}

static int prepare_elem(struct bpfpoke_write_batch *b, size_t i,
			const struct bpfpoke_elem_write *w, __u32 flags)
{
	struct bpfpoke_write_info *wi = &b->info[i];
	const struct bpfpoke_map_info *map = w->map;
	struct bpfpoke_map_elem *e = &b->elems[i];
	__u32 cpu, first, last, nr_cpus = 1;
	unsigned char *data, *key;
	size_t j;
	int err;

	if (!map || !w->key || !w->data || !w->len ||
	    (w->field && (w->field->offset != w->off ||
			  w->field->size != w->len)))
		return -EINVAL;
	if (w->off > map->value_size || w->len > map->value_size - w->off) {
		pr_warn("map %u '%s': %u bytes at offset %u do not fit in its %u-byte value\n",
			map->id, map->name, w->len, w->off, map->value_size);
		return -ERANGE;
	}
	err = check_frozen(map, flags, "its elements");
	if (err)
		return err;
	err = bpfpoke_map_lookup(b->s, map, w->key, e) ? -errno : 0;
	if (err == -ENOENT)
		pr_warn("map %u '%s' has no element with this key: elements are only changed in place (inserting needs the guest kernel's allocator and locks)\n",
			map->id, map->name);
	if (err)
		return err;
	if (e->percpu) {
		err = bpfpoke_map_nr_cpus(b->s, &nr_cpus) ? -errno : 0;
		if (err)
			return err;
		if (w->cpu != BPFPOKE_ALL_CPUS && w->cpu >= nr_cpus) {
			pr_warn("map %u '%s': CPU %u: the guest has CPUs 0 to %u\n",
				map->id, map->name, w->cpu, nr_cpus - 1);
			return -ERANGE;
		}
	} else if (w->cpu) {
		pr_warn("map %u '%s' is not a per-CPU map: its elements have no CPU\n",
			map->id, map->name);
		return -EINVAL;
	}
	/* Two writes of the same bytes: which one lands is not obvious. */
	for (j = 0; j < i; j++) {
		const struct bpfpoke_write_info *o = &b->info[j];

		if (b->elems[j].kva == e->kva &&
		    (o->cpu == w->cpu || o->cpu == BPFPOKE_ALL_CPUS ||
		     w->cpu == BPFPOKE_ALL_CPUS) &&
		    o->field.offset < w->off + w->len &&
		    w->off < o->field.offset + o->field.size) {
			pr_warn("two writes of the same bytes of one element of map '%s'\n",
				map->name);
			return -EINVAL;
		}
	}
	data = malloc(w->len);
	key = malloc(map->key_size);
	if (!data || !key) {
		free(data);
		free(key);
		return -ENOMEM;
	}
	memcpy(data, w->data, w->len);
	memcpy(key, w->key, map->key_size);
	wi->data = data;
	wi->key = key;
	wi->map = map;
	wi->cpu = w->cpu;
	if (w->field) {
		wi->field = *w->field;
	} else {
		wi->field.sz = sizeof(wi->field);
		wi->field.offset = w->off;
		wi->field.size = w->len;
	}
	first = w->cpu == BPFPOKE_ALL_CPUS ? 0 : w->cpu;
	last = w->cpu == BPFPOKE_ALL_CPUS ? nr_cpus - 1 : first;
	for (cpu = first; cpu <= last; cpu++) {
		__u64 kva;

		err = bpfpoke_map_elem_kva(b->s, e, cpu, &kva);
		if (err)
			return err;
		j = b->nr_ops;
		err = add_ops(b, kva + w->off, data, w->len);
		if (err)
			return err;
		if (cpu == first && b->nr_ops > j)
			wi->gpa = b->ops[j].gpa;
	}
	return 0;
}

int bpfpoke_elem_write_prepare(struct bpfpoke_session *s,
			       const struct bpfpoke_elem_write *w, size_t nr,
			       const struct bpfpoke_write_opts *opts,
			       struct bpfpoke_write_batch **out)
{
	struct bpfpoke_write_batch *b;
	__u32 flags;
	size_t i;
	int err;

	if (!w)
		return bpfpoke_err(-EINVAL);
	err = batch_new(s, nr, true, opts, &flags, &b);
	if (err)
		return bpfpoke_err(err);
	for (i = 0; i < nr; i++) {
		err = prepare_elem(b, i, &w[i], flags);
		if (err) {
			bpfpoke_write_free(b);
			return bpfpoke_err(err);
		}
	}
	*out = b;
	return 0;
}

/* An element write's element is still where its key found it. */
static int elem_still_there(struct bpfpoke_write_batch *b, size_t i)
{
	const struct bpfpoke_write_info *wi = &b->info[i];
	const struct bpfpoke_map_elem *was = &b->elems[i];
	struct bpfpoke_map_elem now;
	int err;

	err = bpfpoke_map_lookup(b->s, wi->map, wi->key, &now) ? -errno : 0;
	if (err && err != -ENOENT)
		return err;
	if (err || now.kva != was->kva || now.value_kva != was->value_kva) {
		pr_warn("map %u '%s': the element is gone since the batch was prepared (deleted, or moved to 0x%llx); nothing written\n",
			wi->map->id, wi->map->name,
			err ? 0ULL : (unsigned long long)now.kva);
		return -ESTALE;
	}
	return 0;
}

int bpfpoke_write_commit(struct bpfpoke_write_batch *b)
{
	size_t i, j;
	int err;

	if (!b)
		return bpfpoke_err(-EINVAL);
	if (b->committed)
		return bpfpoke_err(-EALREADY);
	/* Typically called with the guest frozen: check its state now. */
	bpfpoke_km_flush(&b->s->km);
	for (i = 0; i < b->nr; i++) {
		for (j = 0; j < i; j++)
			if (b->info[j].map == b->info[i].map)
				break;
		if (j < i)
			continue;	/* checked already */
		err = bpfpoke_map_still_there(b->s, b->info[i].map);
		if (err)
			return bpfpoke_err(err);
	}
	for (i = 0; b->elems && i < b->nr; i++) {
		err = elem_still_there(b, i);
		if (err)
			return bpfpoke_err(err);
	}
	err = bpfpoke_mem_write_batch(b->s->mem, b->ops, b->nr_ops);
	if (!err)
		b->committed = true;
	return bpfpoke_err(err);
}

int bpfpoke_write(struct bpfpoke_session *s,
		  const struct bpfpoke_map_write *writes, size_t nr,
		  const struct bpfpoke_write_opts *opts)
{
	struct bpfpoke_write_batch *b;
	int err;

	err = bpfpoke_write_prepare(s, writes, nr, opts, &b);
	if (err)
		return err;
	err = bpfpoke_write_commit(b);
	bpfpoke_write_free(b);
	return bpfpoke_err(err);
}
