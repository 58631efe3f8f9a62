/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A synthetic guest for the guest kernel model: a tiny "vmlinux" BTF built
 * with libbpf's btf__add_*() (layouts deliberately unlike a real kernel's,
 * so that nothing hard-coded can pass), a symbols file, and guest RAM in a
 * memfd holding a kernel image with its own page tables (4 or 5 levels;
 * 4 KiB, 2 MiB and 1 GiB pages), a map_idr xarray of two levels, maps in
 * the direct map and in vmalloc space, and a program BTF; per-CPU areas,
 * and on request (synth_add_elem_maps()) a hash map, a per-CPU array and
 * a per-CPU hash whose elements the guest's own hash function placed.
 *
 * Shared by test_kmodel.c and the fuzzer (selftests/fuzz/): static
 * functions only.  Tests break the image between synth_build() and
 * synth_finish() to make it hostile.
 */
#ifndef __SYNTH_IMAGE_H
#define __SYNTH_IMAGE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/btf.h>

#include "bpfpoke.h"
#include "../../agent/lib/jhash.h"

#define SY_RAM_SIZE		(64ULL << 20)
#define SY_START_KERNEL_MAP	0xffffffff80000000ULL
#define SY_TEXT_KVA		0xffffffff9a000000ULL
#define SY_TEXT_GPA		0x2400000ULL	/* 36 MiB, 2 MiB aligned */
#define SY_DECOY_GPA		0x1000000ULL	/* a banner, no page tables */
#define SY_PT_GPA		0x0100000ULL	/* page-table pages from here */
#define SY_HEAP_GPA		0x3000000ULL	/* direct-map objects */
#define SY_VMALLOC_GPA		0x3800000ULL	/* backing of vmalloc pages */

/* Offsets from _text. */
#define SY_OFF_BANNER		0x100000ULL
#define SY_OFF_TOP_PGT		0x200000ULL
#define SY_OFF_MAP_IDR		0x300000ULL
#define SY_OFF_PROG_IDR		0x300080ULL
#define SY_OFF_VARS		0x300100ULL
#define SY_OFF_END		0x400000ULL

#define SY_BANNER	"Linux version 6.1.0-synthetic (bpfpoke@test) #1 SMP\n"

/* Synthetic struct layouts: field byte offsets. */
#define SY_XA_HEAD		8	/* in struct xarray (size 16) */
#define SY_IDR_RT		8	/* in struct idr (size 32) */
#define SY_IDR_BASE		24
#define SY_IDR_SIZE		32
#define SY_NODE_SHIFT		1	/* in struct xa_node */
#define SY_NODE_SLOTS		48
#define SY_NODE_SIZE		(SY_NODE_SLOTS + 64 * 8 + 24)
#define SY_MAP_TYPE		20	/* in struct bpf_map */
#define SY_MAP_KEY_SIZE		24
#define SY_MAP_VALUE_SIZE	28
#define SY_MAP_MAX_ENTRIES	32
#define SY_MAP_FLAGS		40
#define SY_MAP_ID		52	/* inside an anonymous struct at 48 */
#define SY_MAP_NAME		64
#define SY_MAP_BTF		80
#define SY_MAP_BTF_KEY		88
#define SY_MAP_BTF_VALUE	92
#define SY_MAP_FROZEN		100
#define SY_MAP_REFCNT		112
#define SY_MAP_SIZE		128
#define SY_ARRAY_ELEM_SIZE	128	/* in struct bpf_array */
#define SY_ARRAY_VALUE		152	/* in an anonymous union */
#define SY_ARRAY_SIZE		152
#define SY_BTF_DATA		0	/* in struct btf */
#define SY_BTF_DATA_SIZE	60
#define SY_BTF_ID		72
#define SY_BTF_BASE		80
#define SY_BTF_SIZE		96

#define SY_TYPE_HASH		1
#define SY_TYPE_ARRAY		2
#define SY_TYPE_FUTURE		99	/* unknown to libbpf: named from BTF */
#define SY_TYPE_ARENA		33
/* The map types of the element functions (map_elem.c): the real values. */
#define SY_TYPE_PERCPU_HASH	5
#define SY_TYPE_PERCPU_ARRAY	6
#define SY_TYPE_LRU_HASH	9
#define SY_TYPE_LRU_PERCPU_HASH	10
/* Arena globals (synth_add_arena()): struct layouts of our own. */
#define SY_PROG_AUX		32	/* in struct bpf_prog (size 64) */
#define SY_PROG_SIZE		64
#define SY_AUX_BTF		16	/* in struct bpf_prog_aux (size 96) */
#define SY_AUX_ARENA		40
#define SY_AUX_SIZE		96
#define SY_ARENA_USER_START	SY_MAP_SIZE	/* in struct bpf_arena */
#define SY_ARENA_USER_END	(SY_MAP_SIZE + 8)
#define SY_ARENA_KERN_VM	(SY_MAP_SIZE + 16)
#define SY_ARENA_SIZE		(SY_MAP_SIZE + 64)
#define SY_VM_ADDR		8	/* in struct vm_struct (size 48) */
#define SY_VM_SIZE		48
#define SY_ARENA_PAGES		4	/* max_entries */
#define SY_ARENA_USER		0x7f1200000000ULL	/* low 32 bits 0 */

/*
 * Hash maps: struct bpf_htab embeds struct bpf_map at 0, then its fields
 * in an order and at offsets of our own; struct bucket has its
 * hlist_nulls_head after a lock; struct htab_elem has hash_node in an
 * anonymous union after a padding member, the key 8-aligned after the
 * hash (sizeof(struct htab_elem) == offsetof(key), as in the kernel).
 */
#define SY_HTAB_COUNT		SY_MAP_SIZE
#define SY_HTAB_HASHRND		(SY_MAP_SIZE + 4)
#define SY_HTAB_ELEM_SIZE	(SY_MAP_SIZE + 12)
#define SY_HTAB_N_BUCKETS	(SY_MAP_SIZE + 20)
#define SY_HTAB_BUCKETS		(SY_MAP_SIZE + 32)
#define SY_HTAB_SIZE		(SY_MAP_SIZE + 48)
#define SY_BUCKET_HEAD		8	/* in struct bucket */
#define SY_BUCKET_SIZE		24
#define SY_NULLS_NEXT		0	/* in struct hlist_nulls_node (size 16) */
#define SY_NULLS_PPREV		8
#define SY_ELEM_NODE		8	/* in struct htab_elem, in a union */
#define SY_ELEM_HASH		28
#define SY_ELEM_KEY		32
#define SY_ELEM_HDR		SY_ELEM_KEY	/* sizeof(struct htab_elem) */
/* The map ids of synth_add_elem_maps(). */
#define SY_ID_HTAB		5
#define SY_ID_PCPU_ARRAY	6
#define SY_ID_PCPU_HASH		7
#define SY_HT_MAX		16	/* elements a synthetic hash map gets */

/*
 * Per-CPU data: SY_NR_CPUS possible CPUs (nr_cpu_ids), each with a unit
 * of SY_PCPU_UNIT bytes in the direct map, in an order that is not the
 * CPUs' (sy_pcpu_unit()).  A __percpu pointer is SY_PCPU_BASE plus its
 * offset in a unit, and __per_cpu_offset[cpu] is the unit's address
 * minus SY_PCPU_BASE, so that the two add up to where CPU cpu's copy is.
 */
#define SY_NR_CPUS		4
#define SY_PCPU_UNIT		0x1000ULL
#define SY_PCPU_BASE		0x40000ULL
#define SY_OFF_NR_CPU_IDS	(SY_OFF_VARS + 40)	/* from _text */
#define SY_OFF_PER_CPU_OFFSET	(SY_OFF_VARS + 64)

#define SY_PTE_FLAGS		0x63ULL	/* present, rw, accessed, dirty */
#define SY_PTE_PS		0x80ULL
#define SY_ADDR_MASK		0x000ffffffffff000ULL

/* A hash map of synth_add_elem_maps(), as built. */
struct sy_htab {
	__u32 id;
	__u64 kva;			/* struct bpf_htab */
	__u64 buckets;			/* its bucket array */
	__u32 n_buckets, key_size, value_size, elem_size, hashrnd;
	bool percpu;
	/* The direct-map bytes of the header and the elements (and buckets). */
	__u64 lo_kva, hi_kva;
	unsigned int nr;
	/* Each element, in the order inserted (each at its bucket's head). */
	__u64 elem[SY_HT_MAX];
	__u32 hash[SY_HT_MAX];
	unsigned char key[SY_HT_MAX][8];
	__u64 pptr[SY_HT_MAX];		/* per-CPU maps: the value's */
};

struct synth {
	unsigned char *ram;
	int levels;
	__u64 page_offset_base, vmalloc_base, vmemmap_base, phys_base;
	__u64 top;		/* gpa of init_top_pgt */
	__u64 pt_next;		/* next free page-table page */
	__u64 heap_next;	/* next free direct-map byte */
	__u64 vm_next_gpa;	/* next free vmalloc backing page */
	__u64 vm_next_kva;	/* next free vmalloc page */
	/* The objects tests poke at. */
	__u64 root_node, leaf0, leaf1;	/* gpa of the xa_nodes */
	__u64 map_kva[4];		/* ids 1, 2, 3, 70 */
	__u64 map_gpa[4];
	__u64 btf_gpa;			/* struct btf of map 1 */
	__u64 btf_raw_gpa;
	__u32 btf_raw_size;
	__u64 pmd_vmalloc;		/* gpa of the vmalloc PMD table */
	/* synth_add_arena(): map 4 "arena", its program, its globals. */
	__u64 arena_kva, prog_gpa, aux_gpa, vm_gpa, globals_kva;
	/* synth_add_kallsyms(): 1 absolute-percpu, 2 base-relative, 3 place-relative. */
	int ks_enc;
	/* Per-CPU units (gpa of the first) and the next free offset in them. */
	__u64 pcpu_gpa, pcpu_next;
	/* synth_add_elem_maps(): maps 5 and 7, and per-CPU array 6. */
	struct sy_htab ht, pht;
	__u64 parr_kva, parr_pptr[3];
	/* Files. */
	int mem_fd;
	char mem_path[64], btf_path[128], sym_path[128];
};

static inline void sy_put(struct synth *sy, __u64 gpa, const void *p, size_t n)
{
	if (gpa + n <= SY_RAM_SIZE)
		memcpy(sy->ram + gpa, p, n);
}

static inline void sy_put64(struct synth *sy, __u64 gpa, __u64 v)
{
	sy_put(sy, gpa, &v, 8);
}

static inline void sy_put32(struct synth *sy, __u64 gpa, __u32 v)
{
	sy_put(sy, gpa, &v, 4);
}

static inline __u64 sy_get64(struct synth *sy, __u64 gpa)
{
	__u64 v;

	memcpy(&v, sy->ram + gpa, 8);
	return v;
}

static inline __u64 sy_pt_alloc(struct synth *sy)
{
	__u64 p = sy->pt_next;

	sy->pt_next += 4096;
	memset(sy->ram + p, 0, 4096);
	return p;
}

/* Map @va to @pa with a page at @level: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB. */
static inline void sy_map(struct synth *sy, __u64 va, __u64 pa, int level)
{
	__u64 table = sy->top, e;
	int l;

	for (l = sy->levels; l > level; l--) {
		__u64 idx = (va >> (12 + 9 * (l - 1))) & 511;

		e = sy_get64(sy, table + idx * 8);
		if (!(e & 1)) {
			e = sy_pt_alloc(sy) | SY_PTE_FLAGS;
			sy_put64(sy, table + idx * 8, e);
		}
		table = e & SY_ADDR_MASK;
	}
	sy_put64(sy, table + ((va >> (12 + 9 * (level - 1))) & 511) * 8,
		 pa | SY_PTE_FLAGS | (level > 1 ? SY_PTE_PS : 0));
}

/* The gpa of the table that holds @va's entry at @level. */
static inline __u64 sy_table_of(struct synth *sy, __u64 va, int level)
{
	__u64 table = sy->top;
	int l;

	for (l = sy->levels; l > level; l--)
		table = sy_get64(sy, table + ((va >> (12 + 9 * (l - 1))) & 511) * 8) &
			SY_ADDR_MASK;
	return table;
}

/* Direct-map allocation: returns the gpa; the kva is page_offset_base + gpa. */
static inline __u64 sy_heap(struct synth *sy, size_t n)
{
	__u64 p = (sy->heap_next + 63) & ~63ULL;

	sy->heap_next = p + n;
	return p;
}

static inline __u64 sy_dm(struct synth *sy, __u64 gpa)
{
	return sy->page_offset_base + gpa;
}

/*
 * vmalloc allocation of @pages pages, backed by pages taken in reverse
 * order so that neighbours are not physically adjacent.  Returns the kva.
 */
static inline __u64 sy_vmalloc(struct synth *sy, int pages)
{
	__u64 kva = sy->vm_next_kva;
	int i;

	for (i = pages - 1; i >= 0; i--) {
		sy_map(sy, kva + i * 4096ULL, sy->vm_next_gpa, 1);
		sy->vm_next_gpa += 2 * 4096;	/* a gap between them */
	}
	sy->vm_next_kva += (pages + 1) * 4096ULL;	/* a guard page */
	return kva;
}

/* Bytes at a kva the synthetic tables map (image, direct map or vmalloc). */
static inline __u64 sy_kva_to_gpa(struct synth *sy, __u64 kva)
{
	__u64 t;

	if (kva >= SY_TEXT_KVA && kva < SY_TEXT_KVA + SY_OFF_END)
		return kva - SY_TEXT_KVA + SY_TEXT_GPA;
	if (kva >= sy->page_offset_base && kva < sy->page_offset_base + SY_RAM_SIZE)
		return kva - sy->page_offset_base;
	t = sy_table_of(sy, kva, 1);
	return (sy_get64(sy, t + ((kva >> 12) & 511) * 8) & SY_ADDR_MASK) |
	       (kva & 4095);
}

static inline void sy_kput(struct synth *sy, __u64 kva, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	/* Byte by byte: a range may cross non-adjacent pages. */
	for (i = 0; i < n; i++)
		sy_put(sy, sy_kva_to_gpa(sy, kva + i), b + i, 1);
}

static inline void sy_kput32(struct synth *sy, __u64 kva, __u32 v)
{
	sy_kput(sy, kva, &v, 4);
}

static inline void sy_kput64(struct synth *sy, __u64 kva, __u64 v)
{
	sy_kput(sy, kva, &v, 8);
}

/* The "vmlinux" BTF, with the synthetic layouts. */
static inline struct btf *sy_kernel_btf(void)
{
	struct btf *b = btf__new_empty();
	int u8, u32, u64, boolt, chr, vp, xa, node, map, anon, un, arr, t;
	int slots, name, value, ptrs, ins, nnode, nhead, bucket, bucketp;

	if (!b)
		return NULL;
	u8 = btf__add_int(b, "unsigned char", 1, 0);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	boolt = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
	vp = btf__add_ptr(b, 0);
	/*
	 * btf__add_field() adds to the last type added: every type a struct
	 * uses is made before the struct.
	 */
	slots = btf__add_array(b, u32, vp, 64);
	name = btf__add_array(b, u32, chr, 16);
	value = btf__add_array(b, u32, chr, 0);
	ptrs = btf__add_array(b, u32, vp, 0);

	xa = btf__add_struct(b, "xarray", 16);
	btf__add_field(b, "xa_lock", u32, 0, 0);
	btf__add_field(b, "xa_flags", u32, 32, 0);
	btf__add_field(b, "xa_head", vp, SY_XA_HEAD * 8, 0);

	t = btf__add_struct(b, "idr", SY_IDR_SIZE);
	btf__add_field(b, "idr_next", u32, 0, 0);
	btf__add_field(b, "idr_rt", xa, SY_IDR_RT * 8, 0);
	btf__add_field(b, "idr_base", u32, SY_IDR_BASE * 8, 0);

	node = btf__add_struct(b, "xa_node", SY_NODE_SIZE);
	btf__add_field(b, "offset", u8, 0, 0);
	btf__add_field(b, "shift", u8, SY_NODE_SHIFT * 8, 0);
	btf__add_field(b, "count", u8, 16, 0);
	btf__add_field(b, "parent", vp, 64, 0);
	btf__add_field(b, "slots", slots, SY_NODE_SLOTS * 8, 0);
	(void)node;

	/* enum bpf_map_type, with a type libbpf has never heard of. */
	t = btf__add_enum(b, "bpf_map_type", 4);
	btf__add_enum_value(b, "BPF_MAP_TYPE_UNSPEC", 0);
	btf__add_enum_value(b, "BPF_MAP_TYPE_HASH", SY_TYPE_HASH);
	btf__add_enum_value(b, "BPF_MAP_TYPE_ARRAY", SY_TYPE_ARRAY);
	btf__add_enum_value(b, "BPF_MAP_TYPE_PERCPU_HASH", SY_TYPE_PERCPU_HASH);
	btf__add_enum_value(b, "BPF_MAP_TYPE_PERCPU_ARRAY", SY_TYPE_PERCPU_ARRAY);
	btf__add_enum_value(b, "BPF_MAP_TYPE_LRU_HASH", SY_TYPE_LRU_HASH);
	btf__add_enum_value(b, "BPF_MAP_TYPE_LRU_PERCPU_HASH",
			    SY_TYPE_LRU_PERCPU_HASH);
	btf__add_enum_value(b, "BPF_MAP_TYPE_FUTURE_THING", SY_TYPE_FUTURE);
	btf__add_enum_value(b, "BPF_MAP_TYPE_ARENA", SY_TYPE_ARENA);

	anon = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "numa_node", u32, 0, 0);
	btf__add_field(b, "id", u32, (SY_MAP_ID - 48) * 8, 0);

	map = btf__add_struct(b, "bpf_map", SY_MAP_SIZE);
	btf__add_field(b, "ops", vp, 0, 0);
	btf__add_field(b, "map_type", t, SY_MAP_TYPE * 8, 0);
	btf__add_field(b, "key_size", u32, SY_MAP_KEY_SIZE * 8, 0);
	btf__add_field(b, "value_size", u32, SY_MAP_VALUE_SIZE * 8, 0);
	btf__add_field(b, "max_entries", u32, SY_MAP_MAX_ENTRIES * 8, 0);
	btf__add_field(b, "map_flags", u32, SY_MAP_FLAGS * 8, 0);
	btf__add_field(b, NULL, anon, 48 * 8, 0);
	btf__add_field(b, "name", name, SY_MAP_NAME * 8, 0);
	btf__add_field(b, "btf", vp, SY_MAP_BTF * 8, 0);
	btf__add_field(b, "btf_key_type_id", u32, SY_MAP_BTF_KEY * 8, 0);
	btf__add_field(b, "btf_value_type_id", u32, SY_MAP_BTF_VALUE * 8, 0);
	btf__add_field(b, "frozen", boolt, SY_MAP_FROZEN * 8, 0);
	btf__add_field(b, "refcnt", u64, SY_MAP_REFCNT * 8, 0);

	un = btf__add_union(b, NULL, 0);
	btf__add_field(b, "value", value, 0, 0);
	btf__add_field(b, "ptrs", ptrs, 0, 0);
	btf__add_field(b, "pptrs", ptrs, 0, 0);
	arr = btf__add_struct(b, "bpf_array", SY_ARRAY_SIZE);
	btf__add_field(b, "map", map, 0, 0);
	btf__add_field(b, "elem_size", u32, SY_ARRAY_ELEM_SIZE * 8, 0);
	btf__add_field(b, "index_mask", u32, (SY_ARRAY_ELEM_SIZE + 4) * 8, 0);
	btf__add_field(b, "aux", vp, (SY_ARRAY_ELEM_SIZE + 8) * 8, 0);
	btf__add_field(b, NULL, un, SY_ARRAY_VALUE * 8, 0);
	(void)arr;

	/* Hash maps (kernel/bpf/hashtab.c), at offsets of our own. */
	nnode = btf__add_struct(b, "hlist_nulls_node", 16);
	btf__add_field(b, "next", vp, SY_NULLS_NEXT * 8, 0);
	btf__add_field(b, "pprev", vp, SY_NULLS_PPREV * 8, 0);
	nhead = btf__add_struct(b, "hlist_nulls_head", 8);
	btf__add_field(b, "first", vp, 0, 0);
	bucket = btf__add_struct(b, "bucket", SY_BUCKET_SIZE);
	btf__add_field(b, "lock", u64, 0, 0);
	btf__add_field(b, "head", nhead, SY_BUCKET_HEAD * 8, 0);
	btf__add_field(b, "raw_lock", u32, (SY_BUCKET_HEAD + 8) * 8, 0);
	bucketp = btf__add_ptr(b, bucket);
	un = btf__add_union(b, NULL, 16);
	btf__add_field(b, "hash_node", nnode, 0, 0);
	btf__add_field(b, "batch_flink", vp, 0, 0);
	t = btf__add_struct(b, "htab_elem", SY_ELEM_HDR);
	btf__add_field(b, "padding", vp, 0, 0);
	btf__add_field(b, NULL, un, SY_ELEM_NODE * 8, 0);
	btf__add_field(b, "lru_ref", u32, (SY_ELEM_HASH - 4) * 8, 0);
	btf__add_field(b, "hash", u32, SY_ELEM_HASH * 8, 0);
	btf__add_field(b, "key", value, SY_ELEM_KEY * 8, 0);
	t = btf__add_struct(b, "bpf_htab", SY_HTAB_SIZE);
	btf__add_field(b, "map", map, 0, 0);
	btf__add_field(b, "count", u32, SY_HTAB_COUNT * 8, 0);
	btf__add_field(b, "hashrnd", u32, SY_HTAB_HASHRND * 8, 0);
	btf__add_field(b, "elem_size", u32, SY_HTAB_ELEM_SIZE * 8, 0);
	btf__add_field(b, "n_buckets", u32, SY_HTAB_N_BUCKETS * 8, 0);
	btf__add_field(b, "elems", vp, (SY_HTAB_BUCKETS - 8) * 8, 0);
	btf__add_field(b, "buckets", bucketp, SY_HTAB_BUCKETS * 8, 0);

	t = btf__add_struct(b, "btf", SY_BTF_SIZE);
	btf__add_field(b, "data", vp, SY_BTF_DATA * 8, 0);
	btf__add_field(b, "data_size", u32, SY_BTF_DATA_SIZE * 8, 0);
	btf__add_field(b, "id", u32, SY_BTF_ID * 8, 0);
	btf__add_field(b, "base_btf", vp, SY_BTF_BASE * 8, 0);

	/* What the arena globals need (Linux 6.9+). */
	t = btf__add_struct(b, "bpf_prog", SY_PROG_SIZE);
	btf__add_field(b, "len", u32, 0, 0);
	btf__add_field(b, "aux", vp, SY_PROG_AUX * 8, 0);
	t = btf__add_struct(b, "bpf_prog_aux", SY_AUX_SIZE);
	btf__add_field(b, "refcnt", u64, 0, 0);
	btf__add_field(b, "btf", vp, SY_AUX_BTF * 8, 0);
	btf__add_field(b, "arena", vp, SY_AUX_ARENA * 8, 0);
	t = btf__add_struct(b, "bpf_arena", SY_ARENA_SIZE);
	btf__add_field(b, "map", map, 0, 0);
	btf__add_field(b, "user_vm_start", u64, SY_ARENA_USER_START * 8, 0);
	btf__add_field(b, "user_vm_end", u64, SY_ARENA_USER_END * 8, 0);
	btf__add_field(b, "kern_vm", vp, SY_ARENA_KERN_VM * 8, 0);
	t = btf__add_struct(b, "vm_struct", SY_VM_SIZE);
	btf__add_field(b, "next", vp, 0, 0);
	btf__add_field(b, "addr", vp, SY_VM_ADDR * 8, 0);
	t = btf__add_int(b, "short int", 2, BTF_INT_SIGNED);
	ins = btf__add_struct(b, "bpf_insn", 8);
	btf__add_field(b, "code", u8, 0, 0);
	btf__add_field(b, "off", t, 16, 0);
	btf__add_field(b, "imm", u32, 32, 0);
	(void)ins;
	return b;
}

/*
 * A program's BTF: DATASEC @sec (type id 4) with two u32 globals, @v0 at 0
 * and @v1 at 4.
 */
static inline struct btf *sy_datasec_btf(const char *sec, const char *v0,
					 const char *v1)
{
	struct btf *b = btf__new_empty();
	int u32, a, c;

	if (!b)
		return NULL;
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	a = btf__add_var(b, v0, BTF_VAR_GLOBAL_ALLOCATED, u32);
	c = btf__add_var(b, v1, BTF_VAR_GLOBAL_ALLOCATED, u32);
	btf__add_datasec(b, sec, 8);
	btf__add_datasec_var_info(b, a, 0, 4);
	btf__add_datasec_var_info(b, c, 4, 4);
	return b;
}

/* Map 1's program BTF: `.bss` with `crash` and `stall`. */
static inline struct btf *sy_prog_btf(void)
{
	return sy_datasec_btf(".bss", "crash", "stall");
}

static inline void sy_map_fields(struct synth *sy, __u64 kva, __u32 id,
				 __u32 type, const char *name, __u32 key,
				 __u32 value, __u32 max, __u32 flags,
				 bool frozen, __u64 btf)
{
	char n[16] = {};

	strncpy(n, name, sizeof(n) - 1);
	sy_kput32(sy, kva + SY_MAP_TYPE, type);
	sy_kput32(sy, kva + SY_MAP_KEY_SIZE, key);
	sy_kput32(sy, kva + SY_MAP_VALUE_SIZE, value);
	sy_kput32(sy, kva + SY_MAP_MAX_ENTRIES, max);
	sy_kput32(sy, kva + SY_MAP_FLAGS, flags);
	sy_kput32(sy, kva + SY_MAP_ID, id);
	sy_kput(sy, kva + SY_MAP_NAME, n, sizeof(n));
	sy_kput64(sy, kva + SY_MAP_BTF, btf);
	/* The .bss DATASEC of sy_prog_btf(), as libbpf sets it. */
	sy_kput32(sy, kva + SY_MAP_BTF_VALUE, btf ? 4 : 0);
	sy_kput(sy, kva + SY_MAP_FROZEN, &frozen, 1);
	sy_kput64(sy, kva + SY_MAP_REFCNT, 1);
}

/* The unit of CPU @cpu: not in the CPUs' order. */
static inline unsigned int sy_pcpu_unit(unsigned int cpu)
{
	return "\2\0\3\1"[cpu % SY_NR_CPUS];
}

/* A per-CPU allocation of @n bytes: the __percpu pointer. */
static inline __u64 sy_pcpu_alloc(struct synth *sy, size_t n)
{
	__u64 p = sy->pcpu_next;

	sy->pcpu_next = (p + n + 7) & ~7ULL;
	if (sy->pcpu_next > SY_PCPU_UNIT)
		return 0;
	return SY_PCPU_BASE + p;
}

/* Write CPU @cpu's copy of the per-CPU data at @pptr. */
static inline void sy_pcpu_put(struct synth *sy, __u64 pptr, unsigned int cpu,
			       const void *p, size_t n)
{
	sy_put(sy, sy->pcpu_gpa + sy_pcpu_unit(cpu) * SY_PCPU_UNIT +
	       (pptr - SY_PCPU_BASE), p, n);
}

/* The node entry for a node at @gpa (direct map), as xarray tags it. */
static inline __u64 sy_node_entry(struct synth *sy, __u64 gpa)
{
	return sy_dm(sy, gpa) | 2;
}

/*
 * The whole guest: kernel image, page tables, map_idr with maps 1, 2, 3
 * (leaf 0) and 70 (leaf 1) under a root node of shift 6.
 *   1 "demo.bss"  array 16 B x 1, vmalloc, value across a page boundary
 *		   into a page that is not physically next to it,
 *		   program BTF (struct btf in the direct map)
 *   2 "demo_hash" hash, direct map
 *   3 "demo.rodata" array 4 B x 2 (elem 8), frozen, direct map
 *   70 "future"   type 99, direct map
 * Returns 0 or -1.
 */
static inline int synth_build(struct synth *sy, int levels)
{
	__u64 kva, v, vars = SY_TEXT_GPA + SY_OFF_VARS;
	const void *raw;
	struct btf *pb;
	__u32 l5 = levels == 5, i;
	int k;

	memset(sy, 0, sizeof(*sy));
	sy->mem_fd = -1;
	sy->ram = calloc(1, SY_RAM_SIZE);
	if (!sy->ram)
		return -1;
	sy->levels = levels;
	if (levels == 5) {
		sy->page_offset_base = 0xff3ce12000000000ULL;
		sy->vmalloc_base = 0xffa1c00000000000ULL;
		sy->vmemmap_base = 0xffd4000000000000ULL;
	} else {
		sy->page_offset_base = 0xffff9b8000000000ULL;
		sy->vmalloc_base = 0xffffb1c000000000ULL;
		sy->vmemmap_base = 0xffffe58000000000ULL;
	}
	sy->phys_base = SY_TEXT_GPA + SY_START_KERNEL_MAP - SY_TEXT_KVA;
	sy->top = SY_TEXT_GPA + SY_OFF_TOP_PGT;
	sy->pt_next = SY_PT_GPA;
	sy->heap_next = SY_HEAP_GPA;
	sy->vm_next_gpa = SY_VMALLOC_GPA;
	sy->vm_next_kva = sy->vmalloc_base + 0x10000;

	/* A decoy first: a banner at a 2 MiB step with no page tables. */
	sy_put(sy, SY_DECOY_GPA + SY_OFF_BANNER, SY_BANNER, strlen(SY_BANNER));
	/* The image: 2 MiB pages; the direct map: 2 MiB pages over RAM. */
	sy_put(sy, SY_TEXT_GPA + SY_OFF_BANNER, SY_BANNER, strlen(SY_BANNER));
	for (v = 0; v < SY_OFF_END; v += 2 << 20)
		sy_map(sy, SY_TEXT_KVA + v, SY_TEXT_GPA + v, 2);
	for (v = 0; v < SY_RAM_SIZE; v += 2 << 20)
		sy_map(sy, sy->page_offset_base + v, v, 2);
	/* vmemmap: one 1 GiB page at gpa 0 (only its first 64 MiB is RAM). */
	sy_map(sy, sy->vmemmap_base, 0, 3);
	sy_put64(sy, vars + 0, sy->page_offset_base);
	sy_put64(sy, vars + 8, sy->vmalloc_base);
	sy_put64(sy, vars + 16, sy->vmemmap_base);
	sy_put64(sy, vars + 24, sy->phys_base);
	sy_put32(sy, vars + 32, l5);

	/* Program BTF of map 1. */
	pb = sy_prog_btf();
	if (!pb)
		return -1;
	raw = btf__raw_data(pb, &sy->btf_raw_size);
	sy->btf_raw_gpa = sy_heap(sy, sy->btf_raw_size);
	sy_put(sy, sy->btf_raw_gpa, raw, sy->btf_raw_size);
	btf__free(pb);
	sy->btf_gpa = sy_heap(sy, SY_BTF_SIZE);
	sy_put64(sy, sy->btf_gpa + SY_BTF_DATA, sy_dm(sy, sy->btf_raw_gpa));
	sy_put32(sy, sy->btf_gpa + SY_BTF_DATA_SIZE, sy->btf_raw_size);
	sy_put32(sy, sy->btf_gpa + SY_BTF_ID, 16);

	/* Map 1: vmalloc; the value starts 8 bytes before a page ends. */
	kva = sy_vmalloc(sy, 2) + 4096 - 8 - SY_ARRAY_VALUE;
	sy->map_kva[0] = kva;
	sy_map_fields(sy, kva, 1, SY_TYPE_ARRAY, "demo.bss", 4, 16, 1, 0x400,
		      false, sy_dm(sy, sy->btf_gpa));
	sy_kput32(sy, kva + SY_ARRAY_ELEM_SIZE, 16);
	for (i = 0; i < 16; i++) {
		unsigned char b = i * 37 + 5;

		sy_kput(sy, kva + SY_ARRAY_VALUE + i, &b, 1);
	}
	/* Map 2: hash, direct map. */
	sy->map_gpa[1] = sy_heap(sy, SY_MAP_SIZE);
	sy->map_kva[1] = sy_dm(sy, sy->map_gpa[1]);
	sy_map_fields(sy, sy->map_kva[1], 2, SY_TYPE_HASH, "demo_hash", 4, 8,
		      16, 0, false, 0);
	/* Map 3: array of 2, elem 8, frozen. */
	sy->map_gpa[2] = sy_heap(sy, SY_ARRAY_SIZE + 16);
	sy->map_kva[2] = sy_dm(sy, sy->map_gpa[2]);
	sy_map_fields(sy, sy->map_kva[2], 3, SY_TYPE_ARRAY, "demo.rodata", 4,
		      4, 2, 0x480, true, 0);
	sy_kput32(sy, sy->map_kva[2] + SY_ARRAY_ELEM_SIZE, 8);
	sy_kput32(sy, sy->map_kva[2] + SY_ARRAY_VALUE, 0x11111111);
	sy_kput32(sy, sy->map_kva[2] + SY_ARRAY_VALUE + 8, 0x22222222);
	/* Map 70: a type libbpf does not know. */
	sy->map_gpa[3] = sy_heap(sy, SY_MAP_SIZE);
	sy->map_kva[3] = sy_dm(sy, sy->map_gpa[3]);
	sy_map_fields(sy, sy->map_kva[3], 70, SY_TYPE_FUTURE, "future", 8, 8,
		      4, 0, false, 0);
	for (k = 0; k < 4; k++)
		if (!sy->map_gpa[k])
			sy->map_gpa[k] = sy_kva_to_gpa(sy, sy->map_kva[k]);

	/* map_idr: root (shift 6) -> leaf 0 (ids 1..3), leaf 1 (id 70). */
	sy->root_node = sy_heap(sy, SY_NODE_SIZE);
	sy->leaf0 = sy_heap(sy, SY_NODE_SIZE);
	sy->leaf1 = sy_heap(sy, SY_NODE_SIZE);
	sy->ram[sy->root_node + SY_NODE_SHIFT] = 6;
	sy_put64(sy, sy->root_node + SY_NODE_SLOTS, sy_node_entry(sy, sy->leaf0));
	sy_put64(sy, sy->root_node + SY_NODE_SLOTS + 8, sy_node_entry(sy, sy->leaf1));
	for (k = 0; k < 3; k++)
		sy_put64(sy, sy->leaf0 + SY_NODE_SLOTS + (k + 1) * 8, sy->map_kva[k]);
	sy_put64(sy, sy->leaf1 + SY_NODE_SLOTS + 6 * 8, sy->map_kva[3]);
	/* Internal entries that hold nothing: retry and zero. */
	sy_put64(sy, sy->leaf0 + SY_NODE_SLOTS + 10 * 8, 0x402);
	sy_put64(sy, sy->leaf0 + SY_NODE_SLOTS + 11 * 8, 0x406);
	sy_put64(sy, SY_TEXT_GPA + SY_OFF_MAP_IDR + SY_IDR_RT + SY_XA_HEAD,
		 sy_node_entry(sy, sy->root_node));
	/* The vmalloc PMD table, for tests that loop it. */
	sy->pmd_vmalloc = sy_table_of(sy, sy->vmalloc_base, 2);
	/* Per-CPU areas: nr_cpu_ids and __per_cpu_offset[]. */
	sy->pcpu_gpa = sy_heap(sy, SY_NR_CPUS * SY_PCPU_UNIT);
	sy_put32(sy, SY_TEXT_GPA + SY_OFF_NR_CPU_IDS, SY_NR_CPUS);
	for (i = 0; i < SY_NR_CPUS; i++)
		sy_put64(sy, SY_TEXT_GPA + SY_OFF_PER_CPU_OFFSET + 8 * i,
			 sy_dm(sy, sy->pcpu_gpa + sy_pcpu_unit(i) * SY_PCPU_UNIT) -
			 SY_PCPU_BASE);
	return 0;
}

/*
 * Map 4 "arena" (BPF_MAP_TYPE_ARENA, SY_ARENA_PAGES pages at user address
 * SY_ARENA_USER) and program 1, whose aux names the arena and its BTF;
 * the globals lie where libbpf puts them, in the last page of the arena,
 * mapped at kern_vm->addr + 32 KiB + (u32)user address, and hold qa_cnt
 * 0x1234 and qa_err 0.  Call after synth_build().  Returns 0 or -1.
 */
static inline int synth_add_arena(struct synth *sy)
{
	__u64 raw_gpa, btf_gpa, vm_addr, off;
	/* The arena program's BTF: its globals `qa_cnt` and `qa_err`. */
	struct btf *pb = sy_datasec_btf(".addr_space.1", "qa_cnt", "qa_err");
	const void *raw;
	__u32 size;

	if (!pb)
		return -1;
	raw = btf__raw_data(pb, &size);
	raw_gpa = sy_heap(sy, size);
	sy_put(sy, raw_gpa, raw, size);
	btf__free(pb);
	btf_gpa = sy_heap(sy, SY_BTF_SIZE);
	sy_put64(sy, btf_gpa + SY_BTF_DATA, sy_dm(sy, raw_gpa));
	sy_put32(sy, btf_gpa + SY_BTF_DATA_SIZE, size);
	sy_put32(sy, btf_gpa + SY_BTF_ID, 21);

	sy->arena_kva = sy_dm(sy, sy_heap(sy, SY_ARENA_SIZE));
	sy_map_fields(sy, sy->arena_kva, 4, SY_TYPE_ARENA, "arena", 0, 0,
		      SY_ARENA_PAGES, 0x400, false, 0);
	sy_kput64(sy, sy->arena_kva + SY_ARENA_USER_START, SY_ARENA_USER);
	sy_kput64(sy, sy->arena_kva + SY_ARENA_USER_END,
		  SY_ARENA_USER + SY_ARENA_PAGES * 4096ULL);
	/* Its kernel range: 4 GiB + 64 KiB of vmalloc space, one page backed. */
	vm_addr = sy->vm_next_kva + (1ULL << 32);
	sy->vm_next_kva = vm_addr + (1ULL << 32) + (64 << 10) + 4096;
	sy->vm_gpa = sy_heap(sy, SY_VM_SIZE);
	sy_put64(sy, sy->vm_gpa + SY_VM_ADDR, vm_addr);
	sy_kput64(sy, sy->arena_kva + SY_ARENA_KERN_VM, sy_dm(sy, sy->vm_gpa));
	off = (SY_ARENA_PAGES - 1) * 4096ULL;
	sy->globals_kva = vm_addr + (32 << 10) + (__u32)(SY_ARENA_USER + off);
	sy_map(sy, sy->globals_kva, sy->vm_next_gpa, 1);
	sy->vm_next_gpa += 4096;
	sy_kput32(sy, sy->globals_kva, 0x1234);
	sy_kput32(sy, sy->globals_kva + 4, 0);

	sy->aux_gpa = sy_heap(sy, SY_AUX_SIZE);
	sy_put64(sy, sy->aux_gpa + SY_AUX_BTF, sy_dm(sy, btf_gpa));
	sy_put64(sy, sy->aux_gpa + SY_AUX_ARENA, sy->arena_kva);
	sy->prog_gpa = sy_heap(sy, SY_PROG_SIZE);
	sy_put64(sy, sy->prog_gpa + SY_PROG_AUX, sy_dm(sy, sy->aux_gpa));
	/* prog_idr holds one program, at index 0: in the head itself. */
	sy_put64(sy, SY_TEXT_GPA + SY_OFF_PROG_IDR + SY_IDR_RT + SY_XA_HEAD,
		 sy_dm(sy, sy->prog_gpa));
	/* map_idr: id 4 in leaf 0. */
	sy_put64(sy, sy->leaf0 + SY_NODE_SLOTS + 4 * 8, sy->arena_kva);
	return 0;
}

/*
 * The value bytes synth_add_elem_maps() gives element @i of map @id (for
 * per-CPU maps, CPU @cpu's copy; else @cpu is 0): @n bytes into @v.
 */
static inline void sy_elem_value(__u32 id, unsigned int i, unsigned int cpu,
				 unsigned char *v, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		v[j] = (((((id * 131 + i) * 131 + cpu) * 131 + j) *
			 2654435761U) >> 24) & 0xff;
}

/* The key synth_add_elem_maps() tries @n-th for a map with @key_size. */
static inline void sy_elem_key(__u32 key_size, unsigned int n,
			       unsigned char *k)
{
	__u32 v = 1000 + 3 * n;
	unsigned char six[6] = { 'k', n & 0xff, n >> 8, 0x5a, (n * 7) & 0xff,
				 0xc3 };

	if (key_size == 4)
		memcpy(k, &v, 4);
	else
		memcpy(k, six, 6);
}

/*
 * A hash map @id in map_idr, built as kernel/bpf/hashtab.c builds one:
 * struct bpf_htab with n_buckets, elem_size and hashrnd; n_buckets
 * buckets, each head the nulls marker b << 1 | 1 when empty; elements
 * added at the head of bucket jhash(key, key_size, hashrnd) &
 * (n_buckets - 1), each with its hash, key and value (per-CPU maps: the
 * __percpu pointer after the key).  Keys are tried in sy_elem_key()'s
 * order and taken while their bucket is short of @quota[bucket], so that
 * some buckets hold several elements and some none.  The buckets are in
 * vmalloc space across two pages when @vmalloc_buckets, else in the
 * direct map between the header and the elements.  Returns 0 or -1.
 */
static inline int sy_htab_build(struct synth *sy, struct sy_htab *h, __u32 id,
				__u32 type, const char *name, __u32 key_size,
				__u32 value_size, __u32 max_entries,
				__u32 n_buckets, __u32 hashrnd,
				const unsigned char *quota,
				bool vmalloc_buckets)
{
	unsigned char q[64], key[8], val[16];
	__u32 b, want = 0, vsize;
	unsigned int n, cpu;

	if (n_buckets > sizeof(q) || key_size > 8 || value_size > 16)
		return -1;
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->percpu = type == SY_TYPE_PERCPU_HASH ||
		    type == SY_TYPE_LRU_PERCPU_HASH;
	h->n_buckets = n_buckets;
	h->key_size = key_size;
	h->value_size = value_size;
	h->hashrnd = hashrnd;
	vsize = (value_size + 7) & ~7U;
	h->elem_size = SY_ELEM_HDR + ((key_size + 7) & ~7U) +
		       (h->percpu ? 8 : vsize);
	memcpy(q, quota, n_buckets);
	for (b = 0; b < n_buckets; b++)
		want += q[b];
	if (want > SY_HT_MAX)
		return -1;

	h->kva = sy_dm(sy, sy_heap(sy, SY_HTAB_SIZE));
	h->lo_kva = h->kva;
	sy_map_fields(sy, h->kva, id, type, name, key_size, value_size,
		      max_entries, 0, false, 0);
	sy_kput32(sy, h->kva + SY_HTAB_HASHRND, hashrnd);
	sy_kput32(sy, h->kva + SY_HTAB_ELEM_SIZE, h->elem_size);
	sy_kput32(sy, h->kva + SY_HTAB_N_BUCKETS, n_buckets);
	/* Nothing to read at elems: not a pointer the walk should take. */
	sy_kput64(sy, h->kva + SY_HTAB_BUCKETS - 8, 0xdead000000000100ULL);
	if (vmalloc_buckets) {
		/* The array ends in a page that is not physically next. */
		if (n_buckets * SY_BUCKET_SIZE <= 88)
			return -1;
		h->buckets = sy_vmalloc(sy, 2) + 4096 - 88;
	} else {
		h->buckets = sy_dm(sy, sy_heap(sy, n_buckets * SY_BUCKET_SIZE));
	}
	sy_kput64(sy, h->kva + SY_HTAB_BUCKETS, h->buckets);
	for (b = 0; b < n_buckets; b++) {
		__u64 bk = h->buckets + (__u64)b * SY_BUCKET_SIZE;

		/* Locks that look like neither pointers nor markers. */
		sy_kput64(sy, bk, 0x5a5a5a5a00000000ULL | b);
		sy_kput64(sy, bk + SY_BUCKET_HEAD, (__u64)b << 1 | 1);
		sy_kput32(sy, bk + SY_BUCKET_HEAD + 8, 0xa5a5a5a5);
	}

	for (n = 0; h->nr < want && n < 100000; n++) {
		__u64 e, head, first;
		__u32 hash;

		sy_elem_key(key_size, n, key);
		hash = bpfpoke_jhash(key, key_size, hashrnd);
		b = hash & (n_buckets - 1);
		if (!q[b])
			continue;
		q[b]--;
		e = sy_dm(sy, sy_heap(sy, h->elem_size));
		head = h->buckets + (__u64)b * SY_BUCKET_SIZE + SY_BUCKET_HEAD;
		memcpy(&first, sy->ram + sy_kva_to_gpa(sy, head), 8);
		sy_kput64(sy, e, 0x1111111111111111ULL);	/* padding */
		sy_kput32(sy, e + SY_ELEM_HASH - 4, 0x22222222);
		sy_kput32(sy, e + SY_ELEM_HASH, hash);
		sy_kput(sy, e + SY_ELEM_KEY, key, key_size);
		if (h->percpu) {
			__u64 pptr = sy_pcpu_alloc(sy, vsize);

			if (!pptr)
				return -1;
			for (cpu = 0; cpu < SY_NR_CPUS; cpu++) {
				sy_elem_value(id, h->nr, cpu, val, value_size);
				sy_pcpu_put(sy, pptr, cpu, val, value_size);
			}
			sy_kput64(sy, e + SY_ELEM_KEY + ((key_size + 7) & ~7U),
				  pptr);
			h->pptr[h->nr] = pptr;
		} else {
			sy_elem_value(id, h->nr, 0, val, value_size);
			sy_kput(sy, e + SY_ELEM_KEY + ((key_size + 7) & ~7U),
				val, value_size);
		}
		/* hlist_nulls_add_head_rcu(). */
		sy_kput64(sy, e + SY_ELEM_NODE + SY_NULLS_NEXT, first);
		sy_kput64(sy, e + SY_ELEM_NODE + SY_NULLS_PPREV, head);
		if (!(first & 1))
			sy_kput64(sy, first + SY_NULLS_PPREV,
				  e + SY_ELEM_NODE + SY_NULLS_NEXT);
		sy_kput64(sy, head, e + SY_ELEM_NODE);
		h->elem[h->nr] = e;
		h->hash[h->nr] = hash;
		memcpy(h->key[h->nr], key, key_size);
		h->nr++;
		h->hi_kva = e + h->elem_size;
	}
	if (h->nr < want)
		return -1;
	sy_kput32(sy, h->kva + SY_HTAB_COUNT, h->nr);
	/* map_idr: id @id in leaf 0. */
	sy_put64(sy, sy->leaf0 + SY_NODE_SLOTS + id * 8, h->kva);
	return 0;
}

/*
 * The maps of the element functions, in map_idr leaf 0:
 *   5 "elem_hash"   hash, key 6 B, value 12 B, 8 buckets (in vmalloc,
 *		     across two pages) holding 2, 0, 1, 4, 0, 0, 2, 1
 *		     elements
 *   6 "pcpu_array"  per-CPU array, value 12 B x 3
 *   7 "pcpu_hash"   per-CPU hash, key 4 B, value 8 B, 4 buckets (direct
 *		     map) holding 2, 1, 0, 1 elements
 * Values are sy_elem_value()'s.  Call after synth_build().  Returns 0 or -1.
 */
static inline int synth_add_elem_maps(struct synth *sy)
{
	static const unsigned char q5[8] = { 2, 0, 1, 4, 0, 0, 2, 1 };
	static const unsigned char q7[4] = { 2, 1, 0, 1 };
	unsigned char val[12];
	unsigned int i, cpu;
	__u64 kva;

	if (sy_htab_build(sy, &sy->ht, SY_ID_HTAB, SY_TYPE_HASH, "elem_hash",
			  6, 12, 16, 8, 0x5eed1234, q5, true) ||
	    sy_htab_build(sy, &sy->pht, SY_ID_PCPU_HASH, SY_TYPE_PERCPU_HASH,
			  "pcpu_hash", 4, 8, 8, 4, 0x0badf00d, q7, false))
		return -1;
	/* The per-CPU array: bpf_array.pptrs[] where the values would be. */
	kva = sy_dm(sy, sy_heap(sy, SY_ARRAY_SIZE + 3 * 8));
	sy->parr_kva = kva;
	sy_map_fields(sy, kva, SY_ID_PCPU_ARRAY, SY_TYPE_PERCPU_ARRAY,
		      "pcpu_array", 4, 12, 3, 0, false, 0);
	sy_kput32(sy, kva + SY_ARRAY_ELEM_SIZE, 16);
	for (i = 0; i < 3; i++) {
		__u64 pptr = sy_pcpu_alloc(sy, 16);

		if (!pptr)
			return -1;
		sy->parr_pptr[i] = pptr;
		sy_kput64(sy, kva + SY_ARRAY_VALUE + 8 * i, pptr);
		for (cpu = 0; cpu < SY_NR_CPUS; cpu++) {
			sy_elem_value(SY_ID_PCPU_ARRAY, i, cpu, val, sizeof(val));
			sy_pcpu_put(sy, pptr, cpu, val, sizeof(val));
		}
	}
	sy_put64(sy, sy->leaf0 + SY_NODE_SLOTS + SY_ID_PCPU_ARRAY * 8, kva);
	return 0;
}

static inline int sy_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) || !ok ? -1 : 0;
}

/* The symbols text, at the image's slide (kallsyms format). */
static inline int sy_symbols(struct synth *sy, const char *path, bool l5sym)
{
	char buf[2048], l5[64] = "";
	int n;

	(void)sy;
	if (l5sym)
		snprintf(l5, sizeof(l5), "%016llx D __pgtable_l5_enabled\n",
			 SY_TEXT_KVA + SY_OFF_VARS + 32);
	n = snprintf(buf, sizeof(buf),
		     "0000000000000000 A fixed_percpu_data\n"
		     "%016llx T _text\n"
		     "%016llx T _stext\n"
		     "%016llx D linux_banner\n"
		     "%016llx D init_top_pgt\n"
		     "%016llx d map_idr\n"
		     "%016llx d prog_idr\n"
		     "%016llx D page_offset_base\n"
		     "%016llx D vmalloc_base\n"
		     "%016llx D vmemmap_base\n"
		     "%016llx D phys_base\n"
		     "%s"
		     "%016llx D nr_cpu_ids\n"
		     "%016llx D __per_cpu_offset\n"
		     "%016llx B _end\n"
		     "ffffffffc0552024 r map_idr\t[some_module]\n",
		     SY_TEXT_KVA, SY_TEXT_KVA, SY_TEXT_KVA + SY_OFF_BANNER,
		     SY_TEXT_KVA + SY_OFF_TOP_PGT, SY_TEXT_KVA + SY_OFF_MAP_IDR,
		     SY_TEXT_KVA + SY_OFF_PROG_IDR,
		     SY_TEXT_KVA + SY_OFF_VARS, SY_TEXT_KVA + SY_OFF_VARS + 8,
		     SY_TEXT_KVA + SY_OFF_VARS + 16, SY_TEXT_KVA + SY_OFF_VARS + 24,
		     l5, SY_TEXT_KVA + SY_OFF_NR_CPU_IDS,
		     SY_TEXT_KVA + SY_OFF_PER_CPU_OFFSET, SY_TEXT_KVA + SY_OFF_END);
	return sy_write_file(path, buf, n);
}

/* Write the files: RAM to a memfd, the BTF and the symbols to @dir. */
static inline int synth_finish(struct synth *sy, const char *dir)
{
	struct btf *kb = sy_kernel_btf();
	const void *raw;
	__u32 size;
	int err;

	if (!kb)
		return -1;
	raw = btf__raw_data(kb, &size);
	snprintf(sy->btf_path, sizeof(sy->btf_path), "%s/vmlinux.btf", dir);
	snprintf(sy->sym_path, sizeof(sy->sym_path), "%s/kallsyms", dir);
	err = !raw || sy_write_file(sy->btf_path, raw, size) ||
	      sy_symbols(sy, sy->sym_path, true);
	btf__free(kb);
	if (err)
		return -1;
	sy->mem_fd = memfd_create("synth-ram", MFD_CLOEXEC);
	if (sy->mem_fd < 0 ||
	    pwrite(sy->mem_fd, sy->ram, SY_RAM_SIZE, 0) != (ssize_t)SY_RAM_SIZE)
		return -1;
	snprintf(sy->mem_path, sizeof(sy->mem_path), "/proc/self/fd/%d",
		 sy->mem_fd);
	return 0;
}

static inline void synth_free(struct synth *sy)
{
	if (sy->mem_fd >= 0)
		close(sy->mem_fd);
	free(sy->ram);
	sy->ram = NULL;
	sy->mem_fd = -1;
}

/* Open, attach and load a session on the files; NULL with errno. */
/* The synthetic kernel's release, as init_uts_ns and VMCOREINFO name it. */
#define SY_RELEASE		"6.1.0-synthetic"
#define SY_OFF_UTS		0x380000ULL	/* init_uts_ns, from _text */
#define SY_VMCOREINFO_GPA	0x0800000ULL	/* page aligned, in RAM */

/*
 * A VMCOREINFO page at @gpa, as kernel/vmcore_info.c writes it, naming
 * @release; init_uts_ns (sysname, nodename, release) holds SY_RELEASE.
 * A @release other than SY_RELEASE makes a copy the running kernel does
 * not agree with (a stale one).
 */
static inline void synth_add_vmcoreinfo(struct synth *sy, __u64 gpa,
					const char *release)
{
	char text[2048];
	int n;

	sy_put(sy, SY_TEXT_GPA + SY_OFF_UTS, "Linux", 6);
	sy_put(sy, SY_TEXT_GPA + SY_OFF_UTS + 65, "synth", 6);
	sy_put(sy, SY_TEXT_GPA + SY_OFF_UTS + 130, SY_RELEASE,
	       sizeof(SY_RELEASE));
	n = snprintf(text, sizeof(text),
		     "OSRELEASE=%s\n"
		     "BUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
		     "PAGESIZE=4096\n"
		     "SYMBOL(init_uts_ns)=%llx\n"
		     "OFFSET(uts_namespace.name)=0\n"
		     "SYMBOL(_stext)=%llx\n"
		     "SYMBOL(kallsyms_names)=%llx\n"
		     "SYMBOL(kallsyms_num_syms)=%llx\n"
		     "SYMBOL(kallsyms_token_table)=%llx\n"
		     "SYMBOL(kallsyms_token_index)=%llx\n"
		     "SYMBOL(kallsyms_offsets)=%llx\n"
		     "%s"
		     "NUMBER(phys_base)=%lld\n"
		     "SYMBOL(init_top_pgt)=%llx\n"
		     "NUMBER(pgtable_l5_enabled)=%d\n"
		     "KERNELOFFSET=%llx\n"
		     "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
		     "CRASHTIME=0\n",
		     release,
		     (unsigned long long)(SY_TEXT_KVA + SY_OFF_UTS),
		     (unsigned long long)(SY_TEXT_KVA + 0x1000),
		     (unsigned long long)(SY_TEXT_KVA + 0x10000),
		     (unsigned long long)(SY_TEXT_KVA + 0x11000),
		     (unsigned long long)(SY_TEXT_KVA + 0x12000),
		     (unsigned long long)(SY_TEXT_KVA + 0x13000),
		     (unsigned long long)(SY_TEXT_KVA + 0x14000),
		     sy->ks_enc == 1 || sy->ks_enc == 2 ?
		     "SYMBOL(kallsyms_relative_base)=ffffffff9a015000\n" : "",
		     (long long)sy->phys_base,
		     (unsigned long long)(SY_TEXT_KVA + SY_OFF_TOP_PGT),
		     sy->levels == 5,
		     (unsigned long long)(SY_TEXT_KVA - 0xffffffff81000000ULL));
	/* A page of its own: nothing of an earlier text after this one. */
	memset(sy->ram + gpa, 0, 4096);
	sy_put(sy, gpa, text, n);
}

/*
 * kallsyms tables where synth_add_vmcoreinfo() points, in encoding @enc
 * (1 absolute-percpu, 2 base-relative, 3 place-relative): token i is the
 * single character i, so each name is its own token numbers.  Call it
 * before synth_add_vmcoreinfo().
 */
#define SY_KSYM_LONG	"a_name_longer_than_127_bytes_so_that_its_length_takes_two_bytes_" \
			"in_kallsyms_names_as_6.1_and_later_write_it_xxxxxxxxxxxxxxxxxxxxx"
/* Where synth_add_kallsyms() puts the kernel BTF in the image. */
#define SY_OFF_BTF	0x20000ULL

static struct { char type; const char *name; __u64 addr; } sy_ksyms[] = {
	{ 'A', "fixed_percpu_data", 0x0 },
	{ 'A', "cpu_number", 0x2a000 },
	{ 'T', "_text", SY_TEXT_KVA },
	{ 'T', "_stext", SY_TEXT_KVA + 0x1000 },
	{ 't', SY_KSYM_LONG, SY_TEXT_KVA + 0x2000 },
	{ 'D', "linux_banner", SY_TEXT_KVA + SY_OFF_BANNER },
	{ 'D', "init_top_pgt", SY_TEXT_KVA + SY_OFF_TOP_PGT },
	{ 'R', "__start_BTF", SY_TEXT_KVA + SY_OFF_BTF },
	{ 'R', "__stop_BTF", 0 },	/* after the BTF: synth_add_kallsyms() */
	{ 'd', "map_idr", SY_TEXT_KVA + SY_OFF_MAP_IDR },
	{ 'd', "prog_idr", SY_TEXT_KVA + SY_OFF_PROG_IDR },
	{ 'D', "page_offset_base", SY_TEXT_KVA + SY_OFF_VARS },
	{ 'D', "vmalloc_base", SY_TEXT_KVA + SY_OFF_VARS + 8 },
	{ 'D', "vmemmap_base", SY_TEXT_KVA + SY_OFF_VARS + 16 },
	{ 'D', "phys_base", SY_TEXT_KVA + SY_OFF_VARS + 24 },
	{ 'D', "__pgtable_l5_enabled", SY_TEXT_KVA + SY_OFF_VARS + 32 },
	{ 'D', "nr_cpu_ids", SY_TEXT_KVA + SY_OFF_NR_CPU_IDS },
	{ 'D', "__per_cpu_offset", SY_TEXT_KVA + SY_OFF_PER_CPU_OFFSET },
	{ 'B', "_end", SY_TEXT_KVA + SY_OFF_END },
};

static inline void synth_add_kallsyms(struct synth *sy, int enc)
{
	__u64 names = SY_TEXT_GPA + 0x10000, offs = SY_TEXT_GPA + 0x14000;
	__u64 offs_kva = SY_TEXT_KVA + 0x14000, base = SY_TEXT_KVA;
	__u32 n = sizeof(sy_ksyms) / sizeof(sy_ksyms[0]), i, pos = 0;
	struct btf *kb = sy_kernel_btf();
	unsigned char tok[512];
	const void *raw;
	__u32 raw_size;
	__u16 idx[256];
	__s32 off;

	sy->ks_enc = enc;
	/* The kernel's BTF in its image, between __start_BTF and __stop_BTF. */
	raw = kb ? btf__raw_data(kb, &raw_size) : NULL;
	if (raw && raw_size < SY_OFF_BANNER - SY_OFF_BTF) {
		sy_put(sy, SY_TEXT_GPA + SY_OFF_BTF, raw, raw_size);
		for (i = 0; i < n; i++)
			if (!strcmp(sy_ksyms[i].name, "__stop_BTF"))
				sy_ksyms[i].addr = SY_TEXT_KVA + SY_OFF_BTF + raw_size;
	}
	btf__free(kb);
	for (i = 0; i < 256; i++) {
		tok[2 * i] = i > ' ' && i < 0x7f ? i : 'x';
		tok[2 * i + 1] = 0;
		idx[i] = 2 * i;
	}
	sy_put(sy, SY_TEXT_GPA + 0x12000, tok, sizeof(tok));
	sy_put(sy, SY_TEXT_GPA + 0x13000, idx, sizeof(idx));
	sy_put(sy, SY_TEXT_GPA + 0x11000, &n, sizeof(n));
	sy_put64(sy, SY_TEXT_GPA + 0x15000, base);
	for (i = 0; i < n; i++) {
		__u32 len = 1 + strlen(sy_ksyms[i].name);
		unsigned char hdr[2] = { len & 0x7f, len >> 7 };
		__u64 a = sy_ksyms[i].addr;

		if (len > 0x7f) {
			hdr[0] |= 0x80;
			sy_put(sy, names + pos, hdr, 2);
			pos += 2;
		} else {
			sy_put(sy, names + pos, hdr, 1);
			pos++;
		}
		sy_put(sy, names + pos, &sy_ksyms[i].type, 1);
		sy_put(sy, names + pos + 1, sy_ksyms[i].name, len - 1);
		pos += len;
		if (enc == 1)
			off = a < 0x100000000ULL ? (__s32)a : (__s32)(base - 1 - a);
		else if (enc == 2)
			off = (__s32)(__u32)(a - base);
		else
			off = (__s32)(a - (offs_kva + 4ULL * i));
		sy_put(sy, offs + 4ULL * i, &off, sizeof(off));
	}
}

static inline struct bpfpoke_session *synth_session(struct synth *sy,
						    __u32 flags)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts,
		.btf = sy->btf_path,
		.symbols = sy->sym_path,
		.mem_file = sy->mem_path,
		.flags = flags,
	);
	struct bpfpoke_session *s = bpfpoke_session_open(&opts);
	int err;

	if (!s)
		return NULL;
	if (bpfpoke_session_attach(s) || bpfpoke_session_load(s)) {
		err = errno;
		bpfpoke_session_close(s);
		errno = err;
		return NULL;
	}
	return s;
}

#endif /* __SYNTH_IMAGE_H */
