// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The write path: pick each write's map by suffix and field, resolve the
 * field with the map's BTF, parse the value against the field's type,
 * translate the bytes' guest addresses, all before anything is written;
 * then one all-or-nothing batch of guest-physical writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "internal.h"
#include "kmodel.h"
#include "mem.h"

void bpfpoke_map_value_init(struct bpfpoke_map_value *mv,
			    const struct bpfpoke_map_info *map,
			    const struct btf *btf)
{
	memset(mv, 0, sizeof(*mv));
	mv->sz = sizeof(*mv);
	mv->btf = btf;
	mv->map_name = map->name;
	mv->map_type = map->type;
	mv->key_size = map->key_size;
	mv->value_size = map->value_size;
	mv->btf_value_type_id = map->btf_value_type_id;
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t ls = strlen(s), lx = strlen(sfx);

	return ls >= lx && !strcmp(s + ls - lx, sfx);
}

/* "3 demo.bss, 7 x.bss", cut short to fit @size. */
static void list_maps(char *buf, size_t size,
		      const struct bpfpoke_map_info *const *maps, size_t nr)
{
	size_t i, len = 0;

	buf[0] = 0;
	for (i = 0; i < nr && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%u %s", i ? ", " : "",
				 maps[i]->id, maps[i]->name);

		if (n < 0)
			break;
		len += n;
	}
	if (len >= size && size > 4)
		strcpy(buf + size - 4, "...");
}

/*
 * Errors that say guest memory cannot be read at all (the VMM exited, no
 * memory, a fatal signal), not that one map's data is bad.
 */
static bool guest_gone(int err)
{
	return err == -ESRCH || err == -ENOMEM || err == -EINTR ||
	       err == -ENOTCONN || err == -EIO;
}

/*
 * A map answers to the suffixes its name ends with; an arena holding
 * globals also to libbpf's name of their section and to ".arena" (the
 * skeleton's ->arena).
 */
static bool map_has_suffix(const struct bpfpoke_map_info *m,
			   const char *suffix)
{
	if (ends_with(m->name, suffix))
		return true;
	return m->arena_globals && (!strcmp(suffix, ".arena") ||
				    !strcmp(suffix, ".addr_space.1"));
}

static int __map_find(struct bpfpoke_session *s, const char *suffix,
		      const char *field, const struct bpfpoke_map_info **mapp,
		      struct btf **btfp)
{
	const struct bpfpoke_map_info *maps, **cand = NULL, **hit = NULL;
	struct btf **btfs = NULL;
	size_t nr, i, ncand = 0, nhit = 0;
	enum bpfpoke_map_write_rule rule;
	char names[512];
	int err, bad = 0;

	if (!s || !mapp)
		return -EINVAL;
	rule = bpfpoke_map_write_check_suffix(suffix);
	if (rule) {
		pr_warn("invalid map name suffix '%s': %s\n", suffix ? suffix : "",
			bpfpoke_map_write_rule_str(rule));
		return -EINVAL;
	}
	if (field) {
		rule = bpfpoke_map_write_check_field(field);
		if (rule) {
			pr_warn("invalid field '%s': %s\n", field,
				bpfpoke_map_write_rule_str(rule));
			return -EINVAL;
		}
	}
	err = bpfpoke_maps(s, &maps, &nr);
	if (err)
		return err;
	cand = calloc(nr ? nr : 1, sizeof(*cand));
	hit = calloc(nr ? nr : 1, sizeof(*hit));
	btfs = calloc(nr ? nr : 1, sizeof(*btfs));
	if (!cand || !hit || !btfs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++)
		if (map_has_suffix(&maps[i], suffix))
			cand[ncand++] = &maps[i];
	if (!ncand) {
		pr_warn("no map name ends with '%s' (%zu maps in the guest)\n",
			suffix, nr);
		err = -ENOENT;
		goto out;
	}
	if (!field) {
		if (ncand > 1) {
			list_maps(names, sizeof(names), cand, ncand);
			pr_warn("%zu maps end with '%s': %s; choose one by id\n",
				ncand, suffix, names);
			err = -ENOTUNIQ;
			goto out;
		}
		*mapp = cand[0];
		if (btfp) {
			*btfp = bpfpoke_map_btf(s, cand[0]);
			if (!*btfp) {
				err = -errno;
				pr_warn("map %u '%s': cannot read its BTF: %s\n",
					cand[0]->id, cand[0]->name, strerror(-err));
			}
		}
		goto out;
	}

	for (i = 0; i < ncand; i++) {
		struct bpfpoke_map_value mv;
		struct btf *btf;
		int r;

		if (!cand[i]->btf_kva)
			continue;	/* no BTF: no named fields */
		btf = bpfpoke_map_btf(s, cand[i]);
		if (!btf) {
			bad = -errno;
			pr_warn("map %u '%s': cannot read its BTF: %s\n",
				cand[i]->id, cand[i]->name, strerror(-bad));
			/* Guest memory is gone, not this map's BTF bad: stop. */
			if (guest_gone(bad)) {
				err = bad;
				goto out;
			}
			continue;
		}
		bpfpoke_map_value_init(&mv, cand[i], btf);
		r = bpfpoke_field_exists(&mv, field);
		if (r == 1) {
			btfs[nhit] = btf;
			hit[nhit++] = cand[i];
			continue;
		}
		if (r < 0)
			bad = r;
		btf__free(btf);
	}
	if (nhit == 1) {
		*mapp = hit[0];
		if (btfp) {
			*btfp = btfs[0];
			btfs[0] = NULL;
		}
	} else if (nhit > 1) {
		list_maps(names, sizeof(names), hit, nhit);
		pr_warn("field '%s' is in %zu maps ending with '%s': %s; give a longer suffix\n",
			field, nhit, suffix, names);
		err = -ENOTUNIQ;
	} else if (ncand == 1 && cand[0]->btf_kva && !bad) {
		/* One map: its own resolver says what is wrong with the path. */
		struct bpfpoke_field f = { .sz = sizeof(f) };
		struct bpfpoke_map_value mv;
		struct btf *btf = bpfpoke_map_btf(s, cand[0]);

		err = btf ? 0 : -errno;
		if (btf) {
			bpfpoke_map_value_init(&mv, cand[0], btf);
			err = bpfpoke_field_resolve(&mv, field, &f) ? -errno : -ENOENT;
			btf__free(btf);
		}
		if (!err)
			err = -ENOENT;
	} else {
		list_maps(names, sizeof(names), cand, ncand);
		pr_warn("no field '%s' in the maps ending with '%s' (searched %s%s%s)\n",
			field, suffix, names,
			bad ? "; a BTF could not be read: " : "",
			bad ? strerror(-bad) : "");
		/* A BTF that could not be read may have held it. */
		err = bad ? bad : -ENOENT;
	}
out:
	for (i = 0; btfs && i < nhit; i++)
		btf__free(btfs[i]);
	free(btfs);
	free(hit);
	free(cand);
	return err;
}

/*
 * __map_find(), its time counted as the session's resolve time: without
 * the map walk and the BTF reads it starts, which count as theirs.
 */
static int map_find(struct bpfpoke_session *s, const char *suffix,
		    const char *field, const struct bpfpoke_map_info **mapp,
		    struct btf **btfp)
{
	__u64 t0, spent, nested;
	int err;

	if (!s)
		return -EINVAL;
	nested = s->map_walks_ns + s->times.map_btf_ns;
	t0 = bpfpoke_now_ns();
	err = __map_find(s, suffix, field, mapp, btfp);
	spent = bpfpoke_now_ns() - t0;
	nested = s->map_walks_ns + s->times.map_btf_ns - nested;
	s->times.resolve_ns += spent > nested ? spent - nested : 0;
	s->times.resolve_count++;
	return err;
}

int bpfpoke_map_find(struct bpfpoke_session *s, const char *suffix,
		     const char *field, const struct bpfpoke_map_info **map,
		     struct btf **btf)
{
	return bpfpoke_err(map_find(s, suffix, field, map, btf));
}

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

/* Guest-physical pieces of @len bytes at guest-virtual @kva. */
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

	err = map_find(b->s, suffix, field, &map, &b->btfs[i]);
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
			ends_with(map->name, ".rodata") ? ".rodata after load" :
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

/*
 * Is @m still the map that was prepared against?  Its struct bpf_map is
 * read again (fresh translations): same id, type, value size and BTF, and
 * a non-zero refcnt where the kernel's BTF names it.  A map freed since
 * bpfpoke_write_prepare() fails this (its id leaves map_idr and refcnt
 * drops to 0 before the memory is freed; reused memory holds something
 * else), so the batch never lands in memory the kernel has given away.
 */
static int map_still_there(struct bpfpoke_session *s,
			   const struct bpfpoke_map_info *m)
{
	const struct klayout *l = &s->layout;
	unsigned char *buf;
	int err;

	buf = malloc(l->map_size);
	if (!buf)
		return -ENOMEM;
	err = bpfpoke_km_read(&s->km, s->mem, m->kva, buf, l->map_size);
	if (err) {
		pr_warn("map %u '%s': struct bpf_map at 0x%llx cannot be read again: %s; nothing written\n",
			m->id, m->name, (unsigned long long)m->kva,
			strerror(-err));
		goto out;
	}
	/* An arena's globals come from its program, not its struct bpf_map. */
	if (bpfpoke_kfield_get(buf, &l->map_id) != m->id ||
	    bpfpoke_kfield_get(buf, &l->map_type) != m->type ||
	    (!m->arena_globals &&
	     (bpfpoke_kfield_get(buf, &l->map_value_size) != m->value_size ||
	      bpfpoke_kfield_get(buf, &l->map_btf) != m->btf_kva)) ||
	    (l->map_refcnt.have && !bpfpoke_kfield_get(buf, &l->map_refcnt))) {
		pr_warn("map %u '%s' is gone since the batch was prepared (freed or replaced); nothing written\n",
			m->id, m->name);
		err = -ESTALE;
	}
out:
	free(buf);
	return err;
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
		err = map_still_there(b->s, b->info[i].map);
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
