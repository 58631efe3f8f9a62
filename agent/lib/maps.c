// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The guest's BPF maps: a walk of map_idr (kernel/bpf/syscall.c), an
 * xarray of struct bpf_map pointers indexed by id, read from guest
 * memory with the layouts of klayout.c; each map's program BTF; the
 * values of array maps; which map a write by suffix and field goes to
 * (bpfpoke_map_find()), and whether it is still there when the write is
 * committed (bpfpoke_map_still_there()).
 *
 * xarray entries (include/linux/xarray.h): NULL; a node pointer tagged
 * with 2 in its low bits (internal entries above 4096); other small
 * internal entries (retry, zero, sibling) that hold nothing; anything
 * else is a map.  A node covers 64^k indices: slot i of a node with shift
 * s covers index base + (i << s), and its children have shift s - 6.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "kmodel.h"

/* Most xa_nodes a walk reads: 65536 maps need about 1040. */
#define MAX_NODES		65536
/* 64-bit indices: at most ceil(64 / 6) = 11 levels of nodes. */
#define MAX_DEPTH		11
/* A struct btf's raw data starts with a struct btf_header of 24 bytes. */
#define BTF_HDR_MIN		24

/* A program's arena and BTF, from its struct bpf_prog_aux. */
struct arena_ref {
	__u64 arena_kva;
	__u64 btf_kva;
};

struct walk {
	struct bpfpoke_session *s;
	const char *what;	/* "map_idr", "prog_idr": for messages */
	int (*leaf)(struct walk *w, __u64 kva, __u64 index);
	unsigned int chunk_shift;
	__u64 idr_base;
	/* Node addresses seen: open addressing, power-of-two size. */
	__u64 *seen;
	size_t seen_cap, nr_seen;
	struct bpfpoke_map_info *maps;
	size_t nr_maps, cap_maps;
	struct arena_ref *arenas;
	size_t nr_arenas, nr_progs;
	unsigned char *node_buf;
};

static bool xa_is_internal(__u64 e)
{
	return (e & 3) == 2;
}

static bool xa_is_node(__u64 e)
{
	return xa_is_internal(e) && e > 4096;
}

/* -ELOOP if @addr was seen, else remember it. */
static int seen_add(struct walk *w, __u64 addr)
{
	size_t i, mask;

	if (w->nr_seen >= MAX_NODES) {
		pr_warn("%s: more than %u xarray nodes\n", w->what, MAX_NODES);
		return -E2BIG;
	}
	if (!w->seen) {
		w->seen_cap = 2 * MAX_NODES;
		w->seen = calloc(w->seen_cap, sizeof(*w->seen));
		if (!w->seen)
			return -ENOMEM;
	}
	mask = w->seen_cap - 1;
	for (i = (addr * 0x9e3779b97f4a7c15ULL) >> 40 & mask; w->seen[i];
	     i = (i + 1) & mask)
		if (w->seen[i] == addr) {
			pr_warn("%s: xarray node 0x%llx is reached twice (a cycle)\n",
				w->what, (unsigned long long)addr);
			return -ELOOP;
		}
	w->seen[i] = addr;
	w->nr_seen++;
	return 0;
}

static int read_map(struct walk *w, __u64 kva, __u64 index)
{
	struct bpfpoke_session *s = w->s;
	const struct klayout *l = &s->layout;
	struct bpfpoke_map_info *m;
	unsigned char *buf;
	__u64 id;
	int err;

	if (!bpfpoke_kva_canonical(s->km.levels, kva) || (kva & 7)) {
		pr_warn("map_idr: index %llu holds 0x%llx, not a kernel pointer; skipped\n",
			(unsigned long long)index, (unsigned long long)kva);
		return 0;
	}
	if (w->nr_maps >= BPFPOKE_MAX_MAPS) {
		pr_warn("map_idr: more than %u maps\n", BPFPOKE_MAX_MAPS);
		return -E2BIG;
	}
	if (w->nr_maps == w->cap_maps) {
		size_t cap = w->cap_maps ? 2 * w->cap_maps : 16;
		void *n = realloc(w->maps, cap * sizeof(*w->maps));

		if (!n)
			return -ENOMEM;
		w->maps = n;
		w->cap_maps = cap;
	}
	buf = malloc(l->array_size > l->map_size ? l->array_size : l->map_size);
	if (!buf)
		return -ENOMEM;
	err = bpfpoke_km_read(&s->km, s->mem, kva, buf, l->map_size);
	if (err) {
		pr_warn("map_idr: index %llu: struct bpf_map at 0x%llx cannot be read (%s); skipped\n",
			(unsigned long long)index, (unsigned long long)kva,
			strerror(-err));
		free(buf);
		return 0;
	}
	id = bpfpoke_kfield_get(buf, &l->map_id);
	if (id != index + w->idr_base) {
		pr_warn("map_idr: index %llu holds a map with id %llu; skipped\n",
			(unsigned long long)index, (unsigned long long)id);
		free(buf);
		return 0;
	}
	m = &w->maps[w->nr_maps];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->kva = kva;
	m->type = bpfpoke_kfield_get(buf, &l->map_type);
	m->key_size = bpfpoke_kfield_get(buf, &l->map_key_size);
	m->value_size = bpfpoke_kfield_get(buf, &l->map_value_size);
	m->max_entries = bpfpoke_kfield_get(buf, &l->map_max_entries);
	m->map_flags = bpfpoke_kfield_get(buf, &l->map_flags);
	m->frozen = bpfpoke_kfield_get(buf, &l->map_frozen) != 0;
	m->btf_key_type_id = bpfpoke_kfield_get(buf, &l->map_btf_key_type_id);
	m->btf_value_type_id = bpfpoke_kfield_get(buf, &l->map_btf_value_type_id);
	m->btf_kva = bpfpoke_kfield_get(buf, &l->map_btf);
	memcpy(m->name, buf + l->map_name.off,
	       l->map_name.size < sizeof(m->name) ? l->map_name.size :
						    sizeof(m->name) - 1);
	m->name[sizeof(m->name) - 1] = 0;

	if (m->type == l->map_type_array) {
		__u64 elem = (m->value_size + 7ULL) & ~7ULL;

		if (l->array_elem_size.have &&
		    !bpfpoke_km_read(&s->km, s->mem, kva, buf, l->array_size))
			elem = bpfpoke_kfield_get(buf, &l->array_elem_size);
		/* A value area that wraps or is not 8-byte strided is not one. */
		if (elem >= m->value_size && elem - m->value_size < 8 &&
		    kva + l->array_value.off > kva) {
			m->elem_size = elem;
			m->value_kva = kva + l->array_value.off;
		}
	}
	if (m->btf_kva && l->btf_id.have) {
		__u32 btf_id = 0;

		if (bpfpoke_kva_canonical(s->km.levels, m->btf_kva) &&
		    !bpfpoke_km_read(&s->km, s->mem, m->btf_kva + l->btf_id.off,
				     &btf_id, sizeof(btf_id)))
			m->btf_id = btf_id;
	}
	free(buf);
	w->nr_maps++;
	return 0;
}

static int walk_entry(struct walk *w, __u64 entry, __u64 index,
		      int parent_shift, int depth);

static int walk_node(struct walk *w, __u64 node, __u64 index,
		     int parent_shift, int depth)
{
	const struct klayout *l = &w->s->layout;
	unsigned int shift, i;
	__u64 *slots;
	int err;

	if (depth >= MAX_DEPTH) {
		pr_warn("%s: xarray deeper than %d levels\n", w->what, MAX_DEPTH);
		return -ELOOP;
	}
	if (!bpfpoke_kva_canonical(w->s->km.levels, node)) {
		pr_warn("%s: xarray node 0x%llx is not a kernel address\n",
			w->what, (unsigned long long)node);
		return -EFAULT;
	}
	err = seen_add(w, node);
	if (err)
		return err;
	err = bpfpoke_km_read(&w->s->km, w->s->mem, node, w->node_buf, l->node_size);
	if (err) {
		pr_warn("%s: xarray node 0x%llx cannot be read\n",
			w->what, (unsigned long long)node);
		return err;
	}
	shift = bpfpoke_kfield_get(w->node_buf, &l->node_shift);
	/* Shifts descend by one chunk per level down to 0. */
	if (shift % w->chunk_shift || shift >= 64 ||
	    (parent_shift >= 0 &&
	     shift + w->chunk_shift != (unsigned int)parent_shift)) {
		pr_warn("%s: xarray node 0x%llx has shift %u under %d\n",
			w->what, (unsigned long long)node, shift, parent_shift);
		return -ELOOP;
	}
	if (index & ((shift + w->chunk_shift < 64 ?
		      1ULL << (shift + w->chunk_shift) : 0) - 1)) {
		pr_warn("%s: xarray node 0x%llx at a misaligned index\n",
			w->what, (unsigned long long)node);
		return -EINVAL;
	}
	/* Children overwrite node_buf: keep the slots. */
	slots = malloc(l->node_slots.size);
	if (!slots)
		return -ENOMEM;
	memcpy(slots, w->node_buf + l->node_slots.off, l->node_slots.size);
	for (i = 0, err = 0; i < l->node_nr_slots && !err; i++) {
		__u64 child_index = index + ((__u64)i << shift);

		if (shift && i >= (1ULL << (64 - shift)))
			break;
		err = walk_entry(w, slots[i], child_index, shift, depth + 1);
	}
	free(slots);
	return err;
}

static int walk_entry(struct walk *w, __u64 entry, __u64 index,
		      int parent_shift, int depth)
{
	if (!entry)
		return 0;
	if (xa_is_node(entry)) {
		/* A node under a leaf level (shift 0) is corrupt. */
		if (parent_shift == 0) {
			pr_warn("%s: node entry below a leaf node\n", w->what);
			return -ELOOP;
		}
		return walk_node(w, entry - 2, index, parent_shift, depth);
	}
	if (xa_is_internal(entry))
		return 0;	/* retry, zero or sibling entry: no map */
	/* A value entry (low bit set) is no pointer; the leaf says so. */
	return w->leaf(w, entry, index);
}

static int map_cmp(const void *a, const void *b)
{
	const struct bpfpoke_map_info *ma = a, *mb = b;

	return ma->id < mb->id ? -1 : ma->id > mb->id;
}

/* Walk the idr at symbol @sym with @w's leaf. */
static int idr_walk(struct walk *w, enum ksym_id sym)
{
	struct bpfpoke_session *s = w->s;
	const struct klayout *l = &s->layout;
	unsigned char *idr;
	__u64 head, idr_kva;
	int err;

	w->chunk_shift = __builtin_ctz(l->node_nr_slots);
	idr_kva = s->km.text_kva + s->syms.off[sym];
	idr = malloc(l->idr_size);
	if (!idr)
		return -ENOMEM;
	err = bpfpoke_km_read(&s->km, s->mem, idr_kva, idr, l->idr_size);
	if (err) {
		pr_warn("%s at 0x%llx cannot be read: %s\n", w->what,
			(unsigned long long)idr_kva, strerror(-err));
		goto out;
	}
	w->idr_base = bpfpoke_kfield_get(idr, &l->idr_base);
	memcpy(&head, idr + l->idr_rt.off + l->xa_head.off, sizeof(head));
	/*
	 * A head that is not a node is the entry for index 0 (an xarray
	 * with one entry at 0 keeps it in the head).
	 */
	err = walk_entry(w, head, 0, -1, 0);
out:
	free(idr);
	return err;
}

/* prog_idr's leaf: remember the arena and BTF of a program that has both. */
static int read_prog(struct walk *w, __u64 kva, __u64 index)
{
	struct bpfpoke_session *s = w->s;
	const struct klayout *l = &s->layout;
	__u64 aux = 0, arena = 0, btf = 0;
	size_t i;

	if (++w->nr_progs > BPFPOKE_MAX_MAPS) {
		pr_warn("prog_idr: more than %u programs\n", BPFPOKE_MAX_MAPS);
		return -E2BIG;
	}
	if (!bpfpoke_kva_canonical(s->km.levels, kva) || (kva & 7) ||
	    bpfpoke_km_read(&s->km, s->mem, kva + l->prog_aux.off, &aux, sizeof(aux)) ||
	    !bpfpoke_kva_canonical(s->km.levels, aux) ||
	    bpfpoke_km_read(&s->km, s->mem, aux + l->aux_arena.off, &arena, sizeof(arena)) ||
	    bpfpoke_km_read(&s->km, s->mem, aux + l->aux_btf.off, &btf, sizeof(btf))) {
		pr_debug("prog_idr: index %llu: no readable program; skipped\n",
			 (unsigned long long)index);
		return 0;
	}
	if (!arena || !btf)
		return 0;
	for (i = 0; i < w->nr_arenas; i++)
		if (w->arenas[i].arena_kva == arena) {
			/* Programs of one object share its BTF. */
			if (w->arenas[i].btf_kva != btf)
				w->arenas[i].btf_kva = 0;
			return 0;
		}
	if (w->nr_arenas % 16 == 0) {
		void *n = realloc(w->arenas, (w->nr_arenas + 16) * sizeof(*w->arenas));

		if (!n)
			return -ENOMEM;
		w->arenas = n;
	}
	w->arenas[w->nr_arenas].arena_kva = arena;
	w->arenas[w->nr_arenas].btf_kva = btf;
	w->nr_arenas++;
	return 0;
}

/*
 * An arena map's global variables.  libbpf (tools/lib/bpf/libbpf.c) puts
 * the DATASEC .addr_space.1 at the end of the arena's user mapping
 * (max_entries pages) where the kernel takes full-range ld_imm64 offsets,
 * at its start before that; the kernel maps user address U at
 * kern_vm->addr + GUARD_SZ / 2 + (u32)U (kernel/bpf/arena.c).  The end is
 * tried first, and whichever placement has its first page present wins.
 */
static void arena_globals(struct walk *w, struct bpfpoke_map_info *m)
{
	struct bpfpoke_session *s = w->s;
	const struct klayout *l = &s->layout;
	struct bpfpoke_map_info probe = *m;
	__u64 btf_kva = 0, user_start = 0, vm = 0, vm_addr = 0, pa, contig;
	__u64 span, offs[2], base, lo;
	const struct btf_type *t;
	struct btf *btf;
	__s32 sec;
	size_t i;

	for (i = 0; i < w->nr_arenas; i++)
		if (w->arenas[i].arena_kva == m->kva)
			btf_kva = w->arenas[i].btf_kva;
	if (!btf_kva)
		return;
	probe.btf_kva = btf_kva;
	btf = bpfpoke_map_btf(s, &probe);
	if (!btf)
		return;
	sec = btf__find_by_name_kind(btf, ".addr_space.1", BTF_KIND_DATASEC);
	t = sec > 0 ? btf__type_by_id(btf, sec) : NULL;
	span = (__u64)m->max_entries * PAGE_SIZE_4K;
	if (!t || !t->size || t->size > span ||
	    bpfpoke_km_read(&s->km, s->mem, m->kva + l->arena_user_vm_start.off,
			    &user_start, sizeof(user_start)) ||
	    bpfpoke_km_read(&s->km, s->mem, m->kva + l->arena_kern_vm.off, &vm,
			    sizeof(vm)) ||
	    !bpfpoke_kva_canonical(s->km.levels, vm) ||
	    bpfpoke_km_read(&s->km, s->mem, vm + l->vm_addr.off, &vm_addr,
			    sizeof(vm_addr)) ||
	    !bpfpoke_kva_canonical(s->km.levels, vm_addr) || !user_start) {
		btf__free(btf);
		return;
	}
	offs[0] = span - ((t->size + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1));
	offs[1] = 0;
	for (i = 0; i < 2; i++) {
		lo = (__u32)(user_start + offs[i]);
		/* Where the low 32 bits wrap, the kernel mapping does too. */
		if (lo + t->size > 1ULL << 32)
			continue;
		base = vm_addr + l->arena_guard / 2 + lo;
		if (base < vm_addr || !bpfpoke_kva_canonical(s->km.levels, base) ||
		    bpfpoke_km_translate(&s->km, s->mem, base, &pa, &contig))
			continue;
		m->arena_globals = true;
		m->btf_kva = btf_kva;
		m->btf_value_type_id = sec;
		m->value_size = t->size;
		m->elem_size = t->size;
		m->value_kva = base;
		m->btf_id = 0;
		if (l->btf_id.have)
			bpfpoke_km_read(&s->km, s->mem, btf_kva + l->btf_id.off,
					&m->btf_id, sizeof(m->btf_id));
		break;
	}
	btf__free(btf);
}

static int maps_walk(struct bpfpoke_session *s)
{
	const struct klayout *l = &s->layout;
	struct walk w = { .s = s, .what = "map_idr", .leaf = read_map };
	__u64 t0 = bpfpoke_now_ns();
	bool arenas = false;
	size_t i;
	int err;

	w.node_buf = malloc(l->node_size);
	if (!w.node_buf) {
		err = -ENOMEM;
		goto out;
	}
	err = idr_walk(&w, KSYM_MAP_IDR);
	if (err)
		goto out;
	for (i = 0; i < w.nr_maps; i++)
		arenas |= l->have_arena && w.maps[i].type == l->map_type_arena;
	if (arenas && s->syms.have[KSYM_PROG_IDR]) {
		/* The programs say which BTF describes each arena's globals. */
		struct walk pw = { .s = s, .what = "prog_idr",
				   .leaf = read_prog, .node_buf = w.node_buf };

		err = idr_walk(&pw, KSYM_PROG_IDR);
		free(pw.seen);
		if (!err)
			for (i = 0; i < w.nr_maps; i++)
				if (w.maps[i].type == l->map_type_arena)
					arena_globals(&pw, &w.maps[i]);
		free(pw.arenas);
		/*
		 * A bad prog_idr costs the arenas their globals, not the map
		 * list; memory that cannot be read at all fails the walk.
		 */
		if (err == -ESRCH || err == -EINTR || err == -ENOMEM ||
		    err == -ENOTCONN || err == -EIO)
			goto out;
		if (err)
			pr_warn("prog_idr: %s: arenas' globals not found\n",
				strerror(-err));
		err = 0;
	}
	if (w.nr_maps)
		qsort(w.maps, w.nr_maps, sizeof(*w.maps), map_cmp);
	free(s->maps);
	s->maps = w.maps;
	s->nr_maps = w.nr_maps;
	s->maps_valid = true;
	w.maps = NULL;
	pr_debug("map_idr: %zu maps, %zu xarray nodes\n", s->nr_maps,
		 w.nr_seen);
out:
	s->times.map_walk_ns = bpfpoke_now_ns() - t0;
	s->map_walks_ns += s->times.map_walk_ns;
	free(w.maps);
	free(w.seen);
	free(w.node_buf);
	return err;
}

int bpfpoke_maps(struct bpfpoke_session *s,
		 const struct bpfpoke_map_info **maps, size_t *nr)
{
	int err;

	if (!s || !maps || !nr || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	if (!s->maps_valid) {
		err = maps_walk(s);
		if (err)
			return bpfpoke_err(err);
	}
	*maps = s->maps;
	*nr = s->nr_maps;
	return 0;
}

int bpfpoke_maps_refresh(struct bpfpoke_session *s)
{
	if (!s || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	s->maps_valid = false;
	bpfpoke_km_flush(&s->km);
	return bpfpoke_err(maps_walk(s));
}

/* bpftool's names (libbpf's table), else vmlinux BTF's enumerator. */
const char *bpfpoke_map_type_str(const struct bpfpoke_session *s, __u32 type)
{
	const char *str;
	__u32 i;

	str = libbpf_bpf_map_type_str((enum bpf_map_type)type);
	if (str || !s)
		return str;
	for (i = 0; i < s->layout.nr_map_types && i < KLAYOUT_MAP_TYPES; i++)
		if (s->layout.map_types[i].val == type)
			return s->layout.map_types[i].name;
	return NULL;
}

/*
 * libbpf before 1.2 declares btf__new_split() but does not export it:
 * there, parse the split BTF from a memfd.
 */
#pragma weak btf__new_split

static struct btf *new_split_btf(const void *raw, __u32 size,
				 struct btf *base)
{
	struct btf *btf;
	char path[64];
	int fd, err;

	if (btf__new_split)
		return btf__new_split(raw, size, base);
	fd = memfd_create("bpfpoke-btf", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (write(fd, raw, size) != (ssize_t)size) {
		err = errno ? -errno : -EIO;
		close(fd);
		errno = -err;
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	btf = btf__parse_raw_split(path, base);
	err = errno;
	close(fd);
	errno = err;
	return btf;
}

/* What a map's struct btf says, read again for every use. */
struct btf_hdr {
	__u64 data, size, base;
	__u32 id;
};

static int map_btf_hdr(struct bpfpoke_session *s,
		       const struct bpfpoke_map_info *map, struct btf_hdr *h)
{
	const struct klayout *l = &s->layout;
	unsigned char *sbuf;
	int err;

	if (!map->btf_kva)
		return -ENOENT;
	sbuf = malloc(l->btf_size);
	if (!sbuf)
		return -ENOMEM;
	err = bpfpoke_km_read(&s->km, s->mem, map->btf_kva, sbuf, l->btf_size);
	if (err) {
		pr_warn("map %u: struct btf at 0x%llx cannot be read\n",
			map->id, (unsigned long long)map->btf_kva);
		goto out;
	}
	h->data = bpfpoke_kfield_get(sbuf, &l->btf_data);
	h->size = bpfpoke_kfield_get(sbuf, &l->btf_data_size);
	h->base = bpfpoke_kfield_get(sbuf, &l->btf_base_btf);
	h->id = bpfpoke_kfield_get(sbuf, &l->btf_id);
	if (h->size > BPFPOKE_MAX_BTF_SIZE) {
		pr_warn("map %u: BTF of %llu bytes, more than %u\n", map->id,
			(unsigned long long)h->size, BPFPOKE_MAX_BTF_SIZE);
		err = -E2BIG;
		goto out;
	}
	if (h->size < BTF_HDR_MIN || !bpfpoke_kva_canonical(s->km.levels, h->data)) {
		pr_warn("map %u: BTF data 0x%llx of %llu bytes is not BTF\n",
			map->id, (unsigned long long)h->data,
			(unsigned long long)h->size);
		err = -EINVAL;
	}
out:
	free(sbuf);
	return err;
}

static struct btf *map_btf_parse(struct bpfpoke_session *s,
				 const struct bpfpoke_map_info *map,
				 const struct btf_hdr *h)
{
	unsigned char *raw;
	struct btf *btf;
	int err;

	raw = malloc(h->size);
	if (!raw) {
		errno = ENOMEM;
		return NULL;
	}
	err = bpfpoke_km_read(&s->km, s->mem, h->data, raw, h->size);
	if (err) {
		pr_warn("map %u: BTF data at 0x%llx cannot be read\n", map->id,
			(unsigned long long)h->data);
		free(raw);
		errno = -err;
		return NULL;
	}
	if (h->base) {
		struct btf *vmlinux = bpfpoke_session_vmlinux_btf(s);

		btf = vmlinux ? new_split_btf(raw, h->size, vmlinux) : NULL;
		if (!vmlinux)
			errno = ENOENT;
	} else {
		btf = btf__new(raw, h->size);
	}
	err = libbpf_get_error(btf);
	free(raw);
	if (err) {
		pr_warn("map %u: malformed BTF (%s)\n", map->id, strerror(-err));
		errno = -err;
		return NULL;
	}
	return btf;
}

/*
 * @shared: the session's parse of it, if its struct btf still says what
 * it said then (data, size, base, id; the map's id and btf pointer),
 * else a new one that the session keeps.  Entries are never freed
 * before the session, so a pointer handed out stays valid; a guest that
 * keeps changing them runs into MAP_BTF_CACHE_MAX.
 */
static struct btf *map_btf(struct bpfpoke_session *s,
			   const struct bpfpoke_map_info *map, bool shared)
{
	__u64 t0 = bpfpoke_now_ns();
	struct map_btf_ent *e;
	struct btf *btf = NULL;
	struct btf_hdr h;
	size_t i;
	int err;

	if (!s || !map || !s->km.loaded) {
		errno = EINVAL;
		return NULL;
	}
	err = map_btf_hdr(s, map, &h);
	if (err)
		goto out;
	for (i = s->nr_map_btfs; shared && i-- > 0;) {
		e = &s->map_btfs[i];
		if (e->map_id == map->id && e->btf_kva == map->btf_kva &&
		    e->data == h.data && e->size == h.size &&
		    e->base == h.base && e->btf_id == h.id) {
			btf = e->btf;
			goto out;
		}
	}
	if (shared && s->nr_map_btfs >= MAP_BTF_CACHE_MAX) {
		pr_warn("map %u: more than %u program BTFs read in one session\n",
			map->id, MAP_BTF_CACHE_MAX);
		err = -ENOSPC;
		goto out;
	}
	btf = map_btf_parse(s, map, &h);
	if (!btf) {
		err = -errno;
		goto out;
	}
	if (!shared)
		goto out;
	if (s->nr_map_btfs == s->cap_map_btfs) {
		size_t cap = s->cap_map_btfs ? 2 * s->cap_map_btfs : 16;

		e = realloc(s->map_btfs, cap * sizeof(*e));
		if (!e) {
			btf__free(btf);
			btf = NULL;
			err = -ENOMEM;
			goto out;
		}
		s->map_btfs = e;
		s->cap_map_btfs = cap;
	}
	s->map_btfs[s->nr_map_btfs++] = (struct map_btf_ent){
		.map_id = map->id, .btf_kva = map->btf_kva, .data = h.data,
		.size = h.size, .base = h.base, .btf_id = h.id, .btf = btf,
	};
out:
	s->times.map_btf_ns += bpfpoke_now_ns() - t0;
	if (err)
		errno = -err;
	return btf;
}

struct btf *bpfpoke_map_btf(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *map)
{
	return map_btf(s, map, false);
}

const struct btf *bpfpoke_map_btf_get(struct bpfpoke_session *s,
				      const struct bpfpoke_map_info *map)
{
	return map_btf(s, map, true);
}

static int value_access(struct bpfpoke_session *s,
			const struct bpfpoke_map_info *map, __u32 index,
			__u32 off, void *buf, size_t len, bool write)
{
	__u64 kva;

	if (!s || !map || !buf || !len || !s->km.loaded)
		return -EINVAL;
	if (!map->value_kva)
		return -EOPNOTSUPP;
	/* An arena's globals are one value; max_entries counts its pages. */
	if (index >= (map->arena_globals ? 1 : map->max_entries) ||
	    off > map->value_size ||
	    len > map->value_size - off)
		return -ERANGE;
	kva = map->value_kva + (__u64)index * map->elem_size + off;
	if (kva < map->value_kva)
		return -ERANGE;
	return write ? bpfpoke_km_write(&s->km, s->mem, kva, buf, len) :
		       bpfpoke_km_read(&s->km, s->mem, kva, buf, len);
}

int bpfpoke_map_value_read(struct bpfpoke_session *s,
			   const struct bpfpoke_map_info *map, __u32 index,
			   __u32 off, void *buf, size_t len)
{
	return bpfpoke_err(value_access(s, map, index, off, buf, len, false));
}

int bpfpoke_map_value_write(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *map, __u32 index,
			    __u32 off, const void *buf, size_t len)
{
	return bpfpoke_err(value_access(s, map, index, off, (void *)buf, len,
					true));
}

/* Picking a map by suffix and field; the check that it is still there. */

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

bool bpfpoke_ends_with(const char *s, const char *sfx)
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
	if (bpfpoke_ends_with(m->name, suffix))
		return true;
	return m->arena_globals && (!strcmp(suffix, ".arena") ||
				    !strcmp(suffix, ".addr_space.1"));
}

static int __map_find(struct bpfpoke_session *s, const char *suffix,
		      const char *field, const struct bpfpoke_map_info **mapp,
		      struct btf **btfp)
{
	const struct bpfpoke_map_info *maps, **cand = NULL, **hit = NULL;
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
	if (!cand || !hit) {
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

	/* The session's parse of each candidate's BTF. */
	for (i = 0; i < ncand; i++) {
		struct bpfpoke_map_value mv;
		const struct btf *btf;
		int r;

		if (!cand[i]->btf_kva)
			continue;	/* no BTF: no named fields */
		btf = map_btf(s, cand[i], true);
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
		if (r == 1)
			hit[nhit++] = cand[i];
		else if (r < 0)
			bad = r;
	}
	if (nhit == 1) {
		*mapp = hit[0];
		/* The caller's own copy. */
		if (btfp) {
			*btfp = map_btf(s, hit[0], false);
			if (!*btfp)
				err = -errno;
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
		const struct btf *btf = map_btf(s, cand[0], true);

		err = btf ? 0 : -errno;
		if (btf) {
			bpfpoke_map_value_init(&mv, cand[0], btf);
			err = bpfpoke_field_resolve(&mv, field, &f) ? -errno : -ENOENT;
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
	free(hit);
	free(cand);
	return err;
}

/*
 * __map_find(), its time counted as the session's resolve time: without
 * the map walk and the BTF reads it starts, which count as theirs.
 */
int bpfpoke_map_pick(struct bpfpoke_session *s, const char *suffix,
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
	return bpfpoke_err(bpfpoke_map_pick(s, suffix, field, map, btf));
}

/*
 * Is @m still the map that was prepared against?  Its struct bpf_map is
 * read again (fresh translations): same id, type, value size and BTF, and
 * a non-zero refcnt where the kernel's BTF names it.  A map freed since
 * bpfpoke_write_prepare() fails this (its id leaves map_idr and refcnt
 * drops to 0 before the memory is freed; reused memory holds something
 * else), so the batch never lands in memory the kernel has given away.
 */
int bpfpoke_map_still_there(struct bpfpoke_session *s,
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
