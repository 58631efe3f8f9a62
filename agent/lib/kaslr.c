// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the guest kernel is, from guest memory alone.
 *
 * Physically: the image is 2 MiB aligned (CONFIG_PHYSICAL_ALIGN) and
 * contiguous, so every kernel variable sits at a known offset from
 * _text's physical address.  A 2 MiB step whose linux_banner offset reads
 * "Linux version " is a candidate.
 *
 * Virtually: _text is 2 MiB aligned in the 1 GiB kernel image area at
 * __START_KERNEL_map.  The kernel's top-level page table, init_top_pgt,
 * lies physically at its offset from _text; walking it for each 2 MiB
 * step of the image area finds the one that maps the candidate.  phys_base
 * predicts the answer (_text's virtual = gpa + __START_KERNEL_map -
 * phys_base), so that step is tried first and the walk confirms it.
 *
 * The paging level and the randomized bases of the direct map, vmalloc
 * and vmemmap are kernel variables, read physically.
 *
 * The scan reads the steps' banners SCAN_BATCH at a time (one
 * BPFPOKE_ACCESS each), but through the module each step still fills a
 * cache window, ~100 us each in TCG L1.  Where images were last found
 * (the cache's kaslr-hints) is tried first, with the same checks: a
 * guest still on the same boot takes a few reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kmodel.h"

#define BANNER_PREFIX	"Linux version "

static int read_phys_sym(struct mem *mem, const struct ksyms *k, __u64 text,
			 enum ksym_id id, void *buf, size_t len)
{
	if (!k->have[id])
		return -ENOENT;
	return bpfpoke_mem_read(mem, text + k->off[id], buf, len);
}

/* 4 or 5 from the kernel's variables; 0 if they do not say. */
static __u32 read_levels(struct mem *mem, const struct ksyms *k, __u64 text)
{
	__u32 v;

	if (!read_phys_sym(mem, k, text, KSYM_PGTABLE_L5_ENABLED, &v, 4) &&
	    v <= 1)
		return v ? 5 : 4;
	if (!read_phys_sym(mem, k, text, KSYM_PGDIR_SHIFT, &v, 4) &&
	    (v == 39 || v == 48))
		return v == 48 ? 5 : 4;
	if (!read_phys_sym(mem, k, text, KSYM_PTRS_PER_P4D, &v, 4) &&
	    (v == 1 || v == 512))
		return v == 512 ? 5 : 4;
	return 0;
}

static bool maps_text(struct mem *mem, __u64 root, __u32 levels, __u64 kva,
		      __u64 text)
{
	__u64 pa;

	return !bpfpoke_pgwalk(mem, root, levels, kva, &pa, NULL) && pa == text;
}

/* _text's virtual address for the image at @text, or 0. */
static __u64 find_text_kva(struct mem *mem, __u64 root, __u32 levels,
			   __u64 text, __u64 phys_base)
{
	__u64 guess = text + START_KERNEL_MAP - phys_base, kva;

	if (guess >= START_KERNEL_MAP &&
	    guess - START_KERNEL_MAP < KERNEL_IMAGE_SIZE &&
	    !(guess & (PMD_SIZE_2M - 1)) &&
	    maps_text(mem, root, levels, guess, text))
		return guess;
	for (kva = START_KERNEL_MAP;
	     kva - START_KERNEL_MAP < KERNEL_IMAGE_SIZE; kva += PMD_SIZE_2M)
		if (maps_text(mem, root, levels, kva, text))
			return kva;
	return 0;
}

static __u64 read_base(struct mem *mem, const struct ksyms *k, __u64 text,
		       enum ksym_id id, __u64 def)
{
	__u64 v;

	return read_phys_sym(mem, k, text, id, &v, 8) ? def : v;
}

static int try_image(struct kmodel *km, struct mem *mem,
		     const struct ksyms *k, __u64 text)
{
	__u64 root = text + k->off[KSYM_INIT_TOP_PGT], phys_base = 0, kva;
	__u32 levels = read_levels(mem, k, text), l;
	char banner[sizeof(km->banner)];
	unsigned int i;

	read_phys_sym(mem, k, text, KSYM_PHYS_BASE, &phys_base, 8);
	/* Without a level variable, try both: the walk decides. */
	for (l = 5, kva = 0; l >= 4 && !kva; l--) {
		if (levels && l != levels)
			continue;
		kva = find_text_kva(mem, root, l, text, phys_base);
		if (kva)
			levels = l;
	}
	if (!kva) {
		pr_debug("kernel image candidate at gpa 0x%llx: init_top_pgt maps no _text to it\n",
			 (unsigned long long)text);
		return -ENOENT;
	}

	km->levels = levels;
	km->text_gpa = text;
	km->text_kva = kva;
	km->end_kva = kva + (k->have[KSYM_END] ? k->off[KSYM_END] :
						  PMD_SIZE_2M);
	km->phys_base = phys_base;
	km->top_pgt_gpa = root;
	km->page_offset_base = read_base(mem, k, text, KSYM_PAGE_OFFSET_BASE,
					 levels == 5 ? PAGE_OFFSET_BASE_L5 :
						       PAGE_OFFSET_BASE_L4);
	km->vmalloc_base = read_base(mem, k, text, KSYM_VMALLOC_BASE,
				     levels == 5 ? VMALLOC_BASE_L5 :
						   VMALLOC_BASE_L4);
	km->vmemmap_base = read_base(mem, k, text, KSYM_VMEMMAP_BASE,
				     levels == 5 ? VMEMMAP_BASE_L5 :
						   VMEMMAP_BASE_L4);
	if (!bpfpoke_kva_canonical(levels, km->page_offset_base) ||
	    (km->page_offset_base & (PAGE_SIZE_4K - 1)) ||
	    km->page_offset_base >= START_KERNEL_MAP) {
		pr_warn("kernel at gpa 0x%llx: page_offset_base 0x%llx is not a direct-map base\n",
			(unsigned long long)text,
			(unsigned long long)km->page_offset_base);
		return -EINVAL;
	}
	if (kva != text + START_KERNEL_MAP - phys_base)
		pr_debug("kernel at gpa 0x%llx: phys_base 0x%llx does not match _text at 0x%llx\n",
			 (unsigned long long)text, (unsigned long long)phys_base,
			 (unsigned long long)kva);

	memset(banner, 0, sizeof(banner));
	bpfpoke_mem_read(mem, text + k->off[KSYM_LINUX_BANNER], banner,
			 sizeof(banner) - 1);
	for (i = 0; i < sizeof(banner) - 1; i++)
		if (banner[i] == '\n' || (unsigned char)banner[i] < 0x20 ||
		    (unsigned char)banner[i] > 0x7e)
			break;
	memcpy(km->banner, banner, i);
	km->banner[i] = 0;
	return 0;
}

/*
 * Banner reads per bpfpoke_mem_read_batch() of the scan.  Through the
 * module each costs more than the call (a cache window), so a batch much
 * past the image is waste: a few calls are saved, a few reads wasted.
 */
#define SCAN_BATCH	16
#define KASLR_HINTS	16

/* Whether the image's @span bytes from @text lie in one region. */
static bool image_fits(const struct mem *mem, __u64 text, __u64 span)
{
	unsigned int i;

	for (i = 0; i < mem->nr_regions; i++) {
		const struct bpfpoke_mem_region *r = &mem->regions[i];

		if (text >= r->gpa && text - r->gpa < r->size)
			return r->size - (text - r->gpa) >= span;
	}
	return false;
}

static void found(const struct kmodel *km, const char *how)
{
	pr_debug("kernel at gpa 0x%llx (%s), _text 0x%llx, %u-level paging, page_offset_base 0x%llx\n",
		 (unsigned long long)km->text_gpa, how,
		 (unsigned long long)km->text_kva, km->levels,
		 (unsigned long long)km->page_offset_base);
}

/*
 * Where the cache says kernel images were last found, newest first: each
 * gets every check a candidate of the scan gets.  A guest that is still
 * on the same boot is found with a few reads rather than a scan of its
 * RAM (through the module, a scan faults in a cache window per 2 MiB).
 * True when one of them is the image.
 */
static bool try_hints(struct kmodel *km, struct mem *mem,
		      const struct ksyms *k, __u64 span)
{
	__u64 banner_off = k->off[KSYM_LINUX_BANNER], hints[KASLR_HINTS];
	char buf[sizeof(BANNER_PREFIX) - 1];
	unsigned int n, i;

	n = bpfpoke_desc_cache_hints(DESC_HINTS_KASLR, hints, KASLR_HINTS);
	for (i = 0; i < n; i++) {
		if (hints[i] & (PMD_SIZE_2M - 1) ||
		    !image_fits(mem, hints[i], span) ||
		    bpfpoke_mem_read(mem, hints[i] + banner_off, buf, sizeof(buf)) ||
		    memcmp(buf, BANNER_PREFIX, sizeof(buf)) ||
		    try_image(km, mem, k, hints[i]))
			continue;
		/* Newest first: only a change of order is written. */
		if (i)
			bpfpoke_desc_cache_add_hint(DESC_HINTS_KASLR, hints[i]);
		return true;
	}
	return false;
}

int bpfpoke_kaslr_find(struct kmodel *km, struct mem *mem, const struct ksyms *k,
		       bool hints)
{
	__u64 banner_off = k->off[KSYM_LINUX_BANNER];
	__u64 span = k->have[KSYM_END] ? k->off[KSYM_END] : banner_off + 64;
	char (*bufs)[sizeof(BANNER_PREFIX) - 1];
	unsigned int i, j, n, candidates = 0;
	struct mem_rop *ops;
	int err = -ENOENT;

	memset(km, 0, sizeof(*km));
	if (hints && try_hints(km, mem, k, span)) {
		km->loaded = true;
		found(km, "where the cache last saw one");
		return 0;
	}
	memset(km, 0, sizeof(*km));
	ops = calloc(SCAN_BATCH, sizeof(*ops));
	bufs = calloc(SCAN_BATCH, sizeof(*bufs));
	if (!ops || !bufs) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * Every 2 MiB step at which the whole image fits in one region, in
	 * address order; their banners read SCAN_BATCH at a time (one
	 * BPFPOKE_ACCESS each through the module, rather than one per step).
	 */
	for (i = 0; i < mem->nr_regions; i++) {
		const struct bpfpoke_mem_region *r = &mem->regions[i];
		__u64 end = r->gpa + r->size, text;

		text = (r->gpa + PMD_SIZE_2M - 1) & ~(PMD_SIZE_2M - 1);
		while (text < end && end - text >= span) {
			for (n = 0; n < SCAN_BATCH && text < end &&
			     end - text >= span; n++, text += PMD_SIZE_2M)
				ops[n] = (struct mem_rop){
					.gpa = text + banner_off,
					.buf = bufs[n],
					.len = sizeof(bufs[n]),
				};
			/* A failure of the whole call (the VMM gone) ends it. */
			err = bpfpoke_mem_read_batch(mem, ops, n);
			if (err)
				goto out;
			for (j = 0; j < n; j++) {
				__u64 cand = ops[j].gpa - banner_off;

				if (ops[j].err ||
				    memcmp(bufs[j], BANNER_PREFIX, sizeof(bufs[j])))
					continue;
				candidates++;
				if (try_image(km, mem, k, cand))
					continue;
				km->loaded = true;
				found(km, "scanned");
				bpfpoke_desc_cache_add_hint(DESC_HINTS_KASLR, cand);
				err = 0;
				goto out;
			}
		}
	}
	err = -ENOENT;
	pr_warn("%s: no kernel image matching the symbols (%u banner match%s at 2 MiB steps, none mapped by its init_top_pgt)\n",
		mem->desc, candidates, candidates == 1 ? "" : "es");
out:
	free(bufs);
	free(ops);
	return err;
}
