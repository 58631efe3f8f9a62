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

/* A batch being built: the items' results and the writes. */
struct bpfpoke_write_batch {
	struct bpfpoke_session *s;
	struct bpfpoke_write_info *info;
	size_t nr;
	struct btf **btfs;
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
		btf__free(b->btfs[i]);
	}
	free(b->info);
	free(b->btfs);
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

static int prepare_one(struct bpfpoke_write_batch *b, size_t i,
		       const struct bpfpoke_map_write *w, __u32 flags)
{
	const char *suffix = bpfpoke_map_write_suffix(w);
	const char *field = bpfpoke_map_write_field(w);
	struct bpfpoke_write_info *wi = &b->info[i];
	const struct bpfpoke_map_info *map;
	struct bpfpoke_map_value mv;
	unsigned char *data;
	size_t j;
	int err;

	err = bpfpoke_map_pick(b->s, suffix, field, &map, &b->btfs[i]);
	if (err)
		return err;
	wi->map = map;
	bpfpoke_map_value_init(&mv, map, b->btfs[i]);
	wi->field.sz = sizeof(wi->field);
	err = bpfpoke_field_resolve(&mv, field, &wi->field);
	if (err)
		return -errno;
	if (map->frozen && !(flags & BPFPOKE_WRITE_FORCE)) {
		pr_warn("map %u '%s' is frozen (%s): the verifier may have folded its values into the programs as constants, so writing '%s' may change nothing they do (BPFPOKE_WRITE_FORCE, --force, writes anyway)\n",
			map->id, map->name,
			bpfpoke_ends_with(map->name, ".rodata") ? ".rodata after load" :
			"BPF_MAP_FREEZE", field);
		return -EPERM;
	}
	if (!map->value_kva) {
		pr_warn("map %u '%s' is not an array map: its values are not written in place\n",
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

int bpfpoke_write_prepare(struct bpfpoke_session *s,
			  const struct bpfpoke_map_write *writes, size_t nr,
			  const struct bpfpoke_write_opts *opts,
			  struct bpfpoke_write_batch **out)
{
	struct bpfpoke_write_batch *b;
	__u32 flags = 0;
	size_t i;
	int err;

	if (!s || !writes || !out || !nr || nr > BPFPOKE_WRITE_MAX)
		return bpfpoke_err(-EINVAL);
	if (!OPTS_VALID(opts, bpfpoke_write_opts))
		return bpfpoke_err(-EINVAL);
	flags = OPTS_GET(opts, flags, 0);
	if (flags & ~BPFPOKE_WRITE_FORCE)
		return bpfpoke_err(-EINVAL);
	if (!s->km.loaded)
		return bpfpoke_err(-EINVAL);
	if (!s->mem->writable) {
		pr_warn("the session was opened read-only (no BPFPOKE_SESSION_WRITABLE)\n");
		return bpfpoke_err(-EROFS);
	}
	/* Every descriptor is checked before any map is looked at. */
	for (i = 0; i < nr; i++)
		if (bpfpoke_map_write_validate(&writes[i]))
			return bpfpoke_err(-EINVAL);

	b = calloc(1, sizeof(*b));
	if (!b)
		return bpfpoke_err(-ENOMEM);
	b->s = s;
	b->nr = nr;
	b->info = calloc(nr, sizeof(*b->info));
	b->btfs = calloc(nr, sizeof(*b->btfs));
	b->ops = calloc(MEM_MAX_BATCH, sizeof(*b->ops));
	if (!b->info || !b->btfs || !b->ops) {
		bpfpoke_write_free(b);
		return bpfpoke_err(-ENOMEM);
	}
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
