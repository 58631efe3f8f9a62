/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The guest kernel model: symbols (symbols.c), structure layouts from
 * vmlinux BTF (klayout.c), where the kernel is (kaslr.c), address
 * translation (pgwalk.c) and the map table (maps.c), tied together by a
 * session (session.c).
 */
#ifndef __BPFPOKE_KMODEL_H
#define __BPFPOKE_KMODEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "bpfpoke.h"
#include "mem.h"

/* x86-64 kernel virtual layout constants that KASLR does not move. */
#define START_KERNEL_MAP	0xffffffff80000000ULL
#define DEFAULT_START_KERNEL	0xffffffff81000000ULL	/* kaslr_offset() 0 */
#define KERNEL_IMAGE_SIZE	(1ULL << 30)
#define PAGE_SIZE_4K		4096ULL
#define PMD_SIZE_2M		(2ULL << 20)
#define PUD_SIZE_1G		(1ULL << 30)
/* Defaults when the variables are not in the symbols (no KASLR build). */
#define PAGE_OFFSET_BASE_L4	0xffff888000000000ULL
#define PAGE_OFFSET_BASE_L5	0xff11000000000000ULL
#define VMALLOC_BASE_L4		0xffffc90000000000ULL
#define VMALLOC_BASE_L5		0xffa0000000000000ULL
#define VMEMMAP_BASE_L4		0xffffea0000000000ULL
#define VMEMMAP_BASE_L5		0xffd4000000000000ULL

/* The longest description cache entry name, NUL included (desc_cache.c). */
#define DESC_ID_MAX	48

/* Symbols */

enum ksym_id {
	KSYM_TEXT,
	KSYM_LINUX_BANNER,
	KSYM_INIT_TOP_PGT,
	KSYM_MAP_IDR,
	KSYM_PROG_IDR,
	KSYM_PHYS_BASE,
	KSYM_PAGE_OFFSET_BASE,
	KSYM_VMALLOC_BASE,
	KSYM_VMEMMAP_BASE,
	KSYM_PGTABLE_L5_ENABLED,
	KSYM_PGDIR_SHIFT,
	KSYM_PTRS_PER_P4D,
	KSYM_END,
	KSYM_PER_CPU_OFFSET,
	KSYM_NR_CPU_IDS,
	NR_KSYMS,
};

/*
 * After ksyms_finish(): @off[i] is symbol i's offset from _text, valid
 * when @have[i].  Before it, @off holds raw addresses.
 */
struct ksyms {
	__u64 off[NR_KSYMS];
	bool have[NR_KSYMS];
	bool dup[NR_KSYMS];
};

/* Parse System.map or /proc/kallsyms text; an ELF vmlinux's .symtab. */
int bpfpoke_ksyms_parse_text(struct ksyms *k, const char *text, size_t len,
			     const char *src);
int bpfpoke_ksyms_read_text(struct ksyms *k, const char *path);
int bpfpoke_ksyms_read_elf(struct ksyms *k, const char *path);
struct bpfpoke_kallsyms;
int bpfpoke_ksyms_from_kallsyms(struct ksyms *k,
				const struct bpfpoke_kallsyms *ks);

/* Layouts */

struct kfield {
	__u32 off;
	__u32 size;
	bool have;
};

#define KLAYOUT_MAP_TYPES	64
#define KLAYOUT_TYPE_NAME	40

struct klayout {
	__u32 idr_size;
	struct kfield idr_rt, idr_base;
	struct kfield xa_head;
	__u32 node_size;
	struct kfield node_shift, node_slots;
	__u32 node_nr_slots;
	__u32 map_size;
	struct kfield map_type, map_key_size, map_value_size, map_max_entries,
		      map_flags, map_id, map_name, map_btf,
		      map_btf_key_type_id, map_btf_value_type_id, map_frozen,
		      map_refcnt;
	__u32 array_size;
	struct kfield array_map, array_elem_size, array_value;
	__u32 btf_size;
	struct kfield btf_data, btf_data_size, btf_base_btf, btf_id;
	/* enum bpf_map_type value of BPF_MAP_TYPE_ARRAY */
	__u32 map_type_array;
	/*
	 * Arena globals (6.9+): programs' arenas and BTF through prog_idr,
	 * where the arena's pages are in the kernel.  @have_arena when all
	 * of it is there.
	 */
	bool have_arena;
	__u32 map_type_arena;
	__u32 prog_size, prog_aux_size, arena_size, vm_size;
	struct kfield prog_aux, aux_arena, aux_btf, arena_map,
		      arena_user_vm_start, arena_kern_vm, vm_addr, insn_off;
	/* 4 GiB plus this much kernel address space: GUARD_SZ of arena.c. */
	__u64 arena_guard;
	/* Per-CPU arrays: bpf_array.pptrs, the __percpu pointers. */
	struct kfield array_pptrs;
	/*
	 * Hash maps (map_elem.c): struct bpf_htab, its buckets (the type
	 * bpf_htab.buckets points to, whatever its name) and struct
	 * htab_elem.  @have_htab when all of it is there.
	 */
	bool have_htab;
	__u32 htab_size, bucket_size, elem_hdr_size;
	struct kfield htab_buckets, htab_n_buckets, htab_elem_size,
		      htab_hashrnd, bucket_head, nulls_first, nulls_next,
		      elem_node, elem_hash, elem_key;
	/* enum bpf_map_type values; ~0U where the kernel has no such type. */
	__u32 map_type_percpu_array, map_type_hash, map_type_percpu_hash,
	      map_type_lru_hash, map_type_lru_percpu_hash;
	/*
	 * Every BPF_MAP_TYPE_* of enum bpf_map_type, in its order, the
	 * prefix off and in lower case: the names of the types libbpf does
	 * not know (bpfpoke_map_type_str()), with no BTF to parse.
	 */
	__u32 nr_map_types;
	struct {
		__u32 val;
		char name[KLAYOUT_TYPE_NAME];
	} map_types[KLAYOUT_MAP_TYPES];
};

struct btf;
int bpfpoke_klayout_resolve(struct klayout *l, const struct btf *btf);
/* A field of @size bytes (1, 2, 4 or 8) in a struct read into @buf. */
__u64 bpfpoke_kfield_get(const void *buf, const struct kfield *f);

/* Where the kernel is, and the translation cache */

#define TLB_ENTRIES	64

struct tlb_entry {
	__u64 vpage;	/* kva >> 12, + 1 so that 0 is empty */
	__u64 ppage;	/* gpa of the 4 KiB page */
};

struct kmodel {
	bool loaded;
	__u32 levels;
	__u64 text_gpa;
	__u64 text_kva;
	__u64 end_kva;		/* _end, or _text + 1 GiB if unknown */
	__u64 phys_base;
	__u64 page_offset_base;
	__u64 vmalloc_base;
	__u64 vmemmap_base;
	__u64 top_pgt_gpa;
	char banner[256];
	struct tlb_entry tlb[TLB_ENTRIES];
};

/* Page-table walk only, no shortcut and no cache: for the KASLR search. */
int bpfpoke_pgwalk(struct mem *mem, __u64 root, __u32 levels, __u64 va, __u64 *pa,
		   __u64 *page_size);
bool bpfpoke_kva_canonical(__u32 levels, __u64 va);
int bpfpoke_km_translate(struct kmodel *km, struct mem *mem, __u64 va, __u64 *pa,
			 __u64 *contig);
int bpfpoke_km_read(struct kmodel *km, struct mem *mem, __u64 va, void *buf,
		    size_t len);
int bpfpoke_km_write(struct kmodel *km, struct mem *mem, __u64 va, const void *buf,
		     size_t len);
void bpfpoke_km_flush(struct kmodel *km);

/*
 * kaslr.c: find the kernel image in guest memory; with @hints, where the
 * cache says images were last found is tried first, with the scan's checks.
 */
int bpfpoke_kaslr_find(struct kmodel *km, struct mem *mem, const struct ksyms *k,
		       bool hints);

/* Session */

/* A program BTF the session parsed, and what its struct btf said then. */
struct map_btf_ent {
	__u32 map_id;
	__u32 btf_id;
	__u64 btf_kva;
	__u64 data, size, base;
	struct btf *btf;
};

#define MAP_BTF_CACHE_MAX	4096

struct bpfpoke_session {
	char *vmlinux, *btf_path, *symbols, *mem_file;
	int vm_pid;
	__u64 below_4g, max_below_4g;
	__u32 flags;

	struct ksyms syms;
	/* Parsed on first use (bpfpoke_session_vmlinux_btf()) from @btf_file. */
	struct btf *vmlinux_btf;
	char *btf_file;
	/* @syms and @layout are the description cache's. */
	bool desc_cached;
	/* The given files' entry in the description cache; "" if none. */
	char files_id[DESC_ID_MAX];
	/* bpfpoke_session_vmcoreinfo()'s, after its first call. */
	struct bpfpoke_vmcoreinfo *vmcoreinfo;
	/* Where the description came from: enum bpfpoke_desc_source. */
	int desc_source;
	/* bpfpoke_session_kallsyms()'s, after its first call. */
	struct bpfpoke_kallsyms *kallsyms;
	struct klayout layout;
	struct mem *mem;
	struct kmodel km;

	struct bpfpoke_map_info *maps;
	size_t nr_maps;
	bool maps_valid;
	/* map_elem.c: every possible CPU's __per_cpu_offset, once read. */
	__u64 *cpu_off;
	__u32 nr_cpus;

	/* maps.c: programs' BTF parsed for the session (bpfpoke_map_btf_get()). */
	struct map_btf_ent *map_btfs;
	size_t nr_map_btfs, cap_map_btfs;

	struct bpfpoke_session_times times;
	/* Every walk's time, for what bpfpoke_map_find() leaves out. */
	__u64 map_walks_ns;
};


/* map_elem.c: where CPU @cpu's value of element @e is (per-CPU or not). */
int bpfpoke_map_elem_kva(struct bpfpoke_session *s,
			 const struct bpfpoke_map_elem *e, __u32 cpu,
			 __u64 *kva);

/* vmcoreinfo.c: parse a VMCOREINFO text; find the one in guest memory. */
int bpfpoke_vmcoreinfo_parse(const char *text, size_t len,
			     struct bpfpoke_vmcoreinfo *vi);
/* @hints: look where the description cache says it was found before, first. */
int bpfpoke_vmcoreinfo_find(struct mem *mem, struct bpfpoke_vmcoreinfo *vi,
			    bool hints);
/* kallsyms.c: the guest's kallsyms from the tables VMCOREINFO names. */
int bpfpoke_kallsyms_decode(struct mem *mem,
			    const struct bpfpoke_vmcoreinfo *vi,
			    struct bpfpoke_kallsyms **out);
void bpfpoke_kallsyms_free(struct bpfpoke_kallsyms *ks);
/*
 * desc_cache.c: the description cache (see there).  @id names an entry:
 * a guest's BUILD-ID, or bpfpoke_desc_cache_files_id()'s for given files.
 */
#define DESC_HINTS_VMCOREINFO	"hints"		/* VMCOREINFO's page */
#define DESC_HINTS_KASLR	"kaslr-hints"	/* the kernel image's _text */
int bpfpoke_desc_cache_hints(const char *name, __u64 *gpas, unsigned int max);
void bpfpoke_desc_cache_add_hint(const char *name, __u64 gpa);
int bpfpoke_desc_cache_files_id(const char *const *paths, unsigned int n,
				char *id, size_t size);
int bpfpoke_desc_cache_load(const char *id, const char *osrelease,
			    struct ksyms *syms, struct klayout *layout,
			    char *btf_path, size_t path_size);
void bpfpoke_desc_cache_store(const char *id, const char *osrelease,
			      const struct ksyms *syms,
			      const struct klayout *layout, const void *btf,
			      size_t btf_len);

/* session.c: the vmlinux BTF, parsed now if it was not yet; NULL if none. */
struct btf *bpfpoke_session_vmlinux_btf(struct bpfpoke_session *s);

/* btf_blob.c: a BTF blob from guest memory, header checked, parsed. */
int bpfpoke_btf_blob_parse(const void *raw, size_t size, struct btf **out);

/* maps.c: the map a write goes to, and whether it is still there. */
bool bpfpoke_ends_with(const char *s, const char *sfx);
int bpfpoke_map_pick(struct bpfpoke_session *s, const char *suffix,
		     const char *field, const struct bpfpoke_map_info **mapp,
		     struct btf **btfp);
int bpfpoke_map_still_there(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *m);

#endif /* __BPFPOKE_KMODEL_H */
