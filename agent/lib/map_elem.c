// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A guest map's elements by key: array and per-CPU array maps by index,
 * hash maps by walking the guest's struct bpf_htab as
 * kernel/bpf/hashtab.c does.  Everything read is checked: the table's
 * geometry against the map, every element's hash against its key and
 * its bucket, every chain's length against what the map can hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jhash.h"
#include "kmodel.h"

/* A chain seen moving this often while walked is given up (-EAGAIN). */
#define CHAIN_TRIES		8
/* Elements of a prealloc'd table beyond max_entries (one per CPU). */
#define CHAIN_SLACK		(BPFPOKE_MAX_CPUS + 64)
/* Buckets read at a time. */
#define BUCKET_BATCH		256

enum elem_kind { EK_NONE, EK_ARRAY, EK_PERCPU_ARRAY, EK_HASH, EK_PERCPU_HASH };

static enum elem_kind elem_kind(const struct klayout *l, __u32 type)
{
	if (type == l->map_type_array)
		return EK_ARRAY;
	if (type == l->map_type_percpu_array)
		return EK_PERCPU_ARRAY;
	if (type == l->map_type_hash || type == l->map_type_lru_hash)
		return EK_HASH;
	if (type == l->map_type_percpu_hash ||
	    type == l->map_type_lru_percpu_hash)
		return EK_PERCPU_HASH;
	return EK_NONE;
}

static __u64 round8(__u64 v)
{
	return (v + 7) & ~7ULL;
}

static int supported(struct bpfpoke_session *s,
		     const struct bpfpoke_map_info *map, enum elem_kind *kind)
{
	const struct klayout *l;
	const char *type;

	if (!s || !map || !s->km.loaded)
		return -EINVAL;
	l = &s->layout;
	*kind = elem_kind(l, map->type);
	type = bpfpoke_map_type_str(s, map->type);
	if (*kind == EK_NONE || map->arena_globals) {
		pr_warn("map %u '%s': lookups in %s maps are not supported (array, percpu_array, hash, lru_hash, percpu_hash and lru_percpu_hash are)\n",
			map->id, map->name, type ? type : "this type of");
		return -EOPNOTSUPP;
	}
	if (map->key_size > BPFPOKE_MAX_KEY_SIZE ||
	    map->value_size > BPFPOKE_MAX_VALUE_SIZE || !map->value_size ||
	    !map->key_size) {
		pr_warn("map %u '%s': key of %u or value of %u bytes is beyond what is read\n",
			map->id, map->name, map->key_size, map->value_size);
		return -E2BIG;
	}
	switch (*kind) {
	case EK_ARRAY:
		if (!map->value_kva || map->key_size != 4) {
			pr_warn("map %u '%s': its values were not found\n",
				map->id, map->name);
			return -EOPNOTSUPP;
		}
		break;
	case EK_PERCPU_ARRAY:
		if (!l->array_pptrs.have || map->key_size != 4) {
			pr_warn("map %u '%s': the guest's vmlinux BTF has no bpf_array.pptrs\n",
				map->id, map->name);
			return -EOPNOTSUPP;
		}
		break;
	default:
		if (!l->have_htab) {
			pr_warn("map %u '%s': the guest's vmlinux BTF does not describe hash maps (struct bpf_htab, htab_elem, hlist_nulls_node)\n",
				map->id, map->name);
			return -EOPNOTSUPP;
		}
		break;
	}
	if ((*kind == EK_PERCPU_ARRAY || *kind == EK_PERCPU_HASH) &&
	    (!s->syms.have[KSYM_PER_CPU_OFFSET] || !s->syms.have[KSYM_NR_CPU_IDS])) {
		pr_warn("map %u '%s': per-CPU values need the symbols __per_cpu_offset and nr_cpu_ids, which the guest kernel's description lacks\n",
			map->id, map->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

int bpfpoke_map_elem_supported(struct bpfpoke_session *s,
			       const struct bpfpoke_map_info *map)
{
	enum elem_kind kind;

	return bpfpoke_err(supported(s, map, &kind));
}

static int nr_cpus(struct bpfpoke_session *s, __u32 *nr)
{
	__u64 base = s->km.text_kva;
	__u32 n;
	int err;

	if (s->cpu_off) {
		*nr = s->nr_cpus;
		return 0;
	}
	if (!s->syms.have[KSYM_PER_CPU_OFFSET] || !s->syms.have[KSYM_NR_CPU_IDS])
		return -EOPNOTSUPP;
	err = bpfpoke_km_read(&s->km, s->mem, base + s->syms.off[KSYM_NR_CPU_IDS],
			      &n, sizeof(n));
	if (err)
		return err;
	if (!n || n > BPFPOKE_MAX_CPUS) {
		pr_warn("nr_cpu_ids is %u: not a CPU count\n", n);
		return -E2BIG;
	}
	s->cpu_off = calloc(n, sizeof(*s->cpu_off));
	if (!s->cpu_off)
		return -ENOMEM;
	err = bpfpoke_km_read(&s->km, s->mem,
			      base + s->syms.off[KSYM_PER_CPU_OFFSET],
			      s->cpu_off, n * sizeof(*s->cpu_off));
	if (err) {
		free(s->cpu_off);
		s->cpu_off = NULL;
		return err;
	}
	s->nr_cpus = n;
	*nr = n;
	return 0;
}

int bpfpoke_map_nr_cpus(struct bpfpoke_session *s, __u32 *nr)
{
	if (!s || !nr || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	return bpfpoke_err(nr_cpus(s, nr));
}

/* Array slot @index: the value, or the __percpu pointer to it. */
static int array_elem(struct bpfpoke_session *s,
		      const struct bpfpoke_map_info *map, enum elem_kind kind,
		      __u32 index, struct bpfpoke_map_elem *e)
{
	const struct klayout *l = &s->layout;
	__u64 pptr;
	int err;

	if (index >= map->max_entries)
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	if (kind == EK_ARRAY) {
		e->kva = map->value_kva + (__u64)index * map->elem_size;
		e->value_kva = e->kva;
		return 0;
	}
	e->kva = map->kva + l->array_pptrs.off + (__u64)index * 8;
	err = bpfpoke_km_read(&s->km, s->mem, e->kva, &pptr, sizeof(pptr));
	if (err)
		return err;
	e->value_kva = pptr;
	e->percpu = true;
	return 0;
}

/* A hash map's struct bpf_htab, as far as the walk needs it. */
struct htab {
	__u64 buckets;
	__u32 n_buckets;
	__u32 elem_size;
	__u32 hashrnd;
	__u32 key_size;
	__u32 max_chain;
	bool percpu;
};

static int htab_read(struct bpfpoke_session *s,
		     const struct bpfpoke_map_info *map, enum elem_kind kind,
		     struct htab *h)
{
	const struct klayout *l = &s->layout;
	unsigned char *buf;
	__u64 want;
	int err;

	buf = malloc(l->htab_size);
	if (!buf)
		return -ENOMEM;
	err = bpfpoke_km_read(&s->km, s->mem, map->kva, buf, l->htab_size);
	if (err) {
		free(buf);
		return err;
	}
	h->buckets = bpfpoke_kfield_get(buf, &l->htab_buckets);
	h->n_buckets = bpfpoke_kfield_get(buf, &l->htab_n_buckets);
	h->elem_size = bpfpoke_kfield_get(buf, &l->htab_elem_size);
	h->hashrnd = bpfpoke_kfield_get(buf, &l->htab_hashrnd);
	free(buf);
	h->key_size = map->key_size;
	h->percpu = kind == EK_PERCPU_HASH;
	h->max_chain = map->max_entries + CHAIN_SLACK;
	want = l->elem_hdr_size + round8(map->key_size) +
	       (h->percpu ? 8 : round8(map->value_size));
	if (!h->n_buckets || (h->n_buckets & (h->n_buckets - 1)) ||
	    h->n_buckets > BPFPOKE_MAX_BUCKETS) {
		pr_warn("map %u '%s': bpf_htab.n_buckets is %u, not a power of two up to %u\n",
			map->id, map->name, h->n_buckets, BPFPOKE_MAX_BUCKETS);
		return h->n_buckets > BPFPOKE_MAX_BUCKETS ? -E2BIG : -EPROTO;
	}
	if (h->elem_size != want) {
		pr_warn("map %u '%s': bpf_htab.elem_size is %u, not the %llu its key and value take\n",
			map->id, map->name, h->elem_size,
			(unsigned long long)want);
		return -EPROTO;
	}
	if (!bpfpoke_kva_canonical(s->km.levels, h->buckets) ||
	    h->buckets + (__u64)h->n_buckets * l->bucket_size < h->buckets) {
		pr_warn("map %u '%s': bpf_htab.buckets 0x%llx is not a kernel address\n",
			map->id, map->name, (unsigned long long)h->buckets);
		return -EPROTO;
	}
	return 0;
}

/* The chain head of bucket @b. */
static int bucket_first(struct bpfpoke_session *s, const struct htab *h,
			__u32 b, __u64 *first)
{
	const struct klayout *l = &s->layout;

	return bpfpoke_km_read(&s->km, s->mem,
			       h->buckets + (__u64)b * l->bucket_size +
			       l->bucket_head.off + l->nulls_first.off,
			       first, sizeof(*first));
}

/* A chain of bucket @b read out: each element's bytes, and where it is. */
struct chain {
	unsigned char *elems;		/* nr * elem_size bytes */
	__u64 *kva;
	__u32 nr, cap;
};

enum { CHAIN_OK, CHAIN_MOVED, CHAIN_CYCLE };

/*
 * Read the chain that starts at @first into @c.  CHAIN_MOVED when it
 * ended in another bucket's marker or holds an element that belongs to
 * another bucket (it moved while we walked); CHAIN_CYCLE when it comes
 * back to an element it passed (a cycle, or an element freed and added
 * to this bucket again while we walked); -ELOOP when it is longer than
 * the map can hold; -EBADMSG for an element whose hash is not its key's.
 *
 * Cycles are found as Brent does: the node @seen is compared with each
 * next one and moved on at every power of two, so that a cycle ends the
 * walk within a few laps of it, whatever max_entries and elem_size (the
 * guest's) would let the chain buffer grow to.
 */
static int chain_read(struct bpfpoke_session *s,
		      const struct bpfpoke_map_info *map, const struct htab *h,
		      __u32 b, __u64 first, struct chain *c)
{
	const struct klayout *l = &s->layout;
	__u64 node = first, seen = first, lap = 1, step = 0;
	int err;

	c->nr = 0;
	while (!(node & 1)) {
		unsigned char *p;
		__u64 kva;
		__u32 hash;

		if (c->nr >= h->max_chain) {
			pr_warn("map %u '%s': bucket %u holds more than %u elements: a cycle\n",
				map->id, map->name, b, h->max_chain);
			return -ELOOP;
		}
		if (c->nr == c->cap) {
			__u32 cap = c->cap ? 2 * c->cap : 16;
			void *n = realloc(c->elems, (size_t)cap * h->elem_size);

			if (!n)
				return -ENOMEM;
			c->elems = n;
			n = realloc(c->kva, cap * sizeof(*c->kva));
			if (!n)
				return -ENOMEM;
			c->kva = n;
			c->cap = cap;
		}
		kva = node - l->elem_node.off;
		if (!bpfpoke_kva_canonical(s->km.levels, node) || (node & 7) ||
		    kva > node)
			return CHAIN_MOVED;
		p = c->elems + (size_t)c->nr * h->elem_size;
		err = bpfpoke_km_read(&s->km, s->mem, kva, p, h->elem_size);
		if (err)
			return err;
		memcpy(&hash, p + l->elem_hash.off, sizeof(hash));
		if ((hash & (h->n_buckets - 1)) != b)
			return CHAIN_MOVED;
		if (bpfpoke_jhash(p + l->elem_hdr_size, h->key_size, h->hashrnd) != hash)
			return -EBADMSG;
		c->kva[c->nr++] = kva;
		memcpy(&node, p + l->elem_node.off + l->nulls_next.off,
		       sizeof(node));
		if (node == seen)
			return CHAIN_CYCLE;
		if (++step == lap) {
			seen = node;
			lap <<= 1;
			step = 0;
		}
	}
	/* INIT_HLIST_NULLS_HEAD(&head, b): the marker is b << 1 | 1. */
	return node >> 1 == b ? CHAIN_OK : CHAIN_MOVED;
}

/* Read bucket @b's chain, again while it moves under us. */
static int bucket_read(struct bpfpoke_session *s,
		       const struct bpfpoke_map_info *map, const struct htab *h,
		       __u32 b, __u64 first, bool have_first, struct chain *c)
{
	int err = 0, try;

	for (try = 0; try < CHAIN_TRIES; try++) {
		if (!have_first || try) {
			err = bucket_first(s, h, b, &first);
			if (err)
				return err;
		}
		err = chain_read(s, map, h, b, first, c);
		if (err != CHAIN_MOVED && err != CHAIN_CYCLE && err != -EBADMSG)
			return err;
	}
	if (err == CHAIN_CYCLE) {
		pr_warn("map %u '%s': bucket %u's chain comes back to an element it passed: a cycle\n",
			map->id, map->name, b);
		return -ELOOP;
	}
	if (err == -EBADMSG) {
		pr_warn("map %u '%s': an element of bucket %u has a hash that is not its key's\n",
			map->id, map->name, b);
		return -EBADMSG;
	}
	pr_warn("map %u '%s': bucket %u kept changing while it was walked\n",
		map->id, map->name, b);
	return -EAGAIN;
}

static void elem_from_chain(const struct bpfpoke_session *s,
			    const struct htab *h, const struct chain *c,
			    __u32 i, struct bpfpoke_map_elem *e)
{
	const struct klayout *l = &s->layout;
	const unsigned char *p = c->elems + (size_t)i * h->elem_size;
	__u64 voff = l->elem_hdr_size + round8(h->key_size);

	memset(e, 0, sizeof(*e));
	e->kva = c->kva[i];
	memcpy(&e->hash, p + l->elem_hash.off, sizeof(e->hash));
	e->percpu = h->percpu;
	if (h->percpu)
		memcpy(&e->value_kva, p + voff, sizeof(e->value_kva));
	else
		e->value_kva = e->kva + voff;
}

int bpfpoke_map_lookup(struct bpfpoke_session *s,
		       const struct bpfpoke_map_info *map, const void *key,
		       struct bpfpoke_map_elem *e)
{
	struct chain c = { 0 };
	enum elem_kind kind;
	struct htab h;
	__u32 b, i, index;
	int err;

	if (!key || !e)
		return bpfpoke_err(-EINVAL);
	err = supported(s, map, &kind);
	if (err)
		return bpfpoke_err(err);
	if (kind == EK_ARRAY || kind == EK_PERCPU_ARRAY) {
		memcpy(&index, key, sizeof(index));
		return bpfpoke_err(array_elem(s, map, kind, index, e));
	}
	err = htab_read(s, map, kind, &h);
	if (err)
		return bpfpoke_err(err);
	b = bpfpoke_jhash(key, map->key_size, h.hashrnd) & (h.n_buckets - 1);
	err = bucket_read(s, map, &h, b, 0, false, &c);
	if (!err) {
		err = -ENOENT;
		for (i = 0; i < c.nr; i++) {
			const unsigned char *p = c.elems + (size_t)i * h.elem_size;

			if (memcmp(p + s->layout.elem_hdr_size, key, map->key_size))
				continue;
			elem_from_chain(s, &h, &c, i, e);
			err = 0;
			break;
		}
	}
	free(c.elems);
	free(c.kva);
	return bpfpoke_err(err);
}

int bpfpoke_map_elem_kva(struct bpfpoke_session *s,
			 const struct bpfpoke_map_elem *e, __u32 cpu,
			 __u64 *kva)
{
	__u32 n;
	int err;

	*kva = e->value_kva;
	if (!e->percpu)
		return cpu ? -ERANGE : 0;
	err = nr_cpus(s, &n);
	if (err)
		return err;
	if (cpu >= n)
		return -ERANGE;
	*kva += s->cpu_off[cpu];
	return 0;
}

int bpfpoke_map_elem_read(struct bpfpoke_session *s,
			  const struct bpfpoke_map_info *map,
			  const struct bpfpoke_map_elem *e, __u32 cpu,
			  __u32 off, void *buf, size_t len)
{
	__u64 kva;
	int err;

	if (!s || !map || !e || !buf || !len || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	if (off > map->value_size || len > map->value_size - off)
		return bpfpoke_err(-ERANGE);
	err = bpfpoke_map_elem_kva(s, e, cpu, &kva);
	if (err)
		return bpfpoke_err(err);
	return bpfpoke_err(bpfpoke_km_read(&s->km, s->mem, kva + off, buf, len));
}

static int array_iterate(struct bpfpoke_session *s,
			 const struct bpfpoke_map_info *map,
			 enum elem_kind kind, bpfpoke_map_elem_fn fn, void *ctx)
{
	struct bpfpoke_map_elem e;
	unsigned char *val = NULL;
	__u32 i;
	int err = 0;

	if (kind == EK_ARRAY) {
		val = malloc(map->value_size);
		if (!val)
			return -ENOMEM;
	}
	for (i = 0; i < map->max_entries; i++) {
		err = array_elem(s, map, kind, i, &e);
		if (!err && val)
			err = bpfpoke_km_read(&s->km, s->mem, e.value_kva, val,
					      map->value_size);
		if (err)
			break;
		err = fn(&i, val, &e, ctx);
		if (err)
			break;
	}
	free(val);
	return err;
}

static int htab_iterate(struct bpfpoke_session *s,
			const struct bpfpoke_map_info *map, enum elem_kind kind,
			bpfpoke_map_elem_fn fn, void *ctx)
{
	const struct klayout *l = &s->layout;
	__u64 seen = 0, limit = (__u64)map->max_entries + CHAIN_SLACK;
	struct chain c = { 0 };
	unsigned char *heads;
	struct htab h;
	__u32 b, i, n;
	int err;

	err = htab_read(s, map, kind, &h);
	if (err)
		return err;
	heads = malloc((size_t)BUCKET_BATCH * l->bucket_size);
	if (!heads)
		return -ENOMEM;
	for (b = 0; b < h.n_buckets && !err; b += n) {
		n = h.n_buckets - b < BUCKET_BATCH ? h.n_buckets - b : BUCKET_BATCH;
		err = bpfpoke_km_read(&s->km, s->mem,
				      h.buckets + (__u64)b * l->bucket_size,
				      heads, (size_t)n * l->bucket_size);
		for (i = 0; i < n && !err; i++) {
			__u64 first;
			__u32 j;

			memcpy(&first, heads + (size_t)i * l->bucket_size +
			       l->bucket_head.off + l->nulls_first.off,
			       sizeof(first));
			/* An empty bucket: its own marker, nothing to read. */
			if (first == ((__u64)(b + i) << 1 | 1))
				continue;
			err = bucket_read(s, map, &h, b + i, first, true, &c);
			if (!err && (seen += c.nr) > limit) {
				pr_warn("map %u '%s': more than %llu elements: not a table\n",
					map->id, map->name,
					(unsigned long long)limit);
				err = -ELOOP;
			}
			for (j = 0; j < c.nr && !err; j++) {
				const unsigned char *p = c.elems +
							 (size_t)j * h.elem_size;
				struct bpfpoke_map_elem e;

				elem_from_chain(s, &h, &c, j, &e);
				err = fn(p + l->elem_hdr_size,
					 h.percpu ? NULL :
					 p + l->elem_hdr_size + round8(h.key_size),
					 &e, ctx);
			}
		}
	}
	free(heads);
	free(c.elems);
	free(c.kva);
	return err;
}

int bpfpoke_map_iterate(struct bpfpoke_session *s,
			const struct bpfpoke_map_info *map,
			bpfpoke_map_elem_fn fn, void *ctx)
{
	enum elem_kind kind;
	int err;

	if (!fn)
		return bpfpoke_err(-EINVAL);
	err = supported(s, map, &kind);
	if (err)
		return bpfpoke_err(err);
	if (kind == EK_ARRAY || kind == EK_PERCPU_ARRAY)
		err = array_iterate(s, map, kind, fn, ctx);
	else
		err = htab_iterate(s, map, kind, fn, ctx);
	return err < 0 ? bpfpoke_err(err) : err;
}
