// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Guest kernel virtual to guest-physical: x86-64 long-mode page tables
 * (4 or 5 levels; 4 KiB, 2 MiB and 1 GiB pages) read from guest memory,
 * behind two exact shortcuts and a small translation cache.
 *
 * The shortcuts are the kernel's own __pa(): the direct map
 * (page_offset_base + gpa) and the kernel image (__START_KERNEL_map +
 * gpa - phys_base), both linear by construction.  Everything else
 * (vmalloc, where BPF maps and BTF data usually live) is walked.
 */
#include <string.h>

#include "internal.h"
#include "kmodel.h"

#define PTE_PRESENT	(1ULL << 0)
#define PTE_PS		(1ULL << 7)	/* PS: a 2 MiB or 1 GiB page */
#define PTE_ADDR_MASK	0x000ffffffffff000ULL	/* bits 12..51 */
#define PTRS_PER_TABLE	512

bool bpfpoke_kva_canonical(__u32 levels, __u64 va)
{
	unsigned int bits = levels == 5 ? 57 : 48;
	__s64 sva = (__s64)va;

	/* Sign-extended from bit bits - 1, and in the upper (kernel) half. */
	return (sva >> (bits - 1)) == -1;
}

int bpfpoke_pgwalk(struct mem *mem, __u64 root, __u32 levels, __u64 va, __u64 *pa,
		   __u64 *page_size)
{
	__u64 table = root;
	int level, err;

	if (levels != 4 && levels != 5)
		return -EINVAL;
	if (!bpfpoke_kva_canonical(levels, va))
		return -EFAULT;
	/* One read per level: a table that points to itself cannot loop. */
	for (level = levels; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		__u64 idx = (va >> shift) & (PTRS_PER_TABLE - 1);
		__u64 e, size = 1ULL << shift;

		err = bpfpoke_mem_read(mem, table + idx * 8, &e, sizeof(e));
		if (err)
			return err;
		if (!(e & PTE_PRESENT))
			return -EFAULT;
		if (level == 1 || (e & PTE_PS)) {
			/* PS is reserved above the PDPT. */
			if (level > 3)
				return -EFAULT;
			*pa = ((e & PTE_ADDR_MASK) & ~(size - 1)) | (va & (size - 1));
			if (page_size)
				*page_size = size;
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -EFAULT;	/* not reached */
}

void bpfpoke_km_flush(struct kmodel *km)
{
	memset(km->tlb, 0, sizeof(km->tlb));
}

static __u64 direct_map_end(const struct kmodel *km)
{
	__u64 max = 1ULL << (km->levels == 5 ? 52 : 46);
	__u64 end = km->page_offset_base + max;

	if (end < km->page_offset_base)
		end = ~0ULL;
	/* vmalloc space follows the direct map; never overlap it. */
	if (km->vmalloc_base > km->page_offset_base && km->vmalloc_base < end)
		end = km->vmalloc_base;
	return end;
}

/*
 * @contig: bytes from @va on that are physically contiguous with it and
 * translate the same way (to the end of the page, or of the linear area).
 */
int bpfpoke_km_translate(struct kmodel *km, struct mem *mem, __u64 va, __u64 *pa,
			 __u64 *contig)
{
	struct tlb_entry *te;
	__u64 size, gpa;
	int err;

	if (!km->loaded)
		return -EINVAL;
	if (!bpfpoke_kva_canonical(km->levels, va))
		return -EFAULT;
	if (va >= km->page_offset_base && va < direct_map_end(km)) {
		*pa = va - km->page_offset_base;
		*contig = direct_map_end(km) - va;
		return 0;
	}
	if (va >= km->text_kva && va < km->end_kva) {
		*pa = va - km->text_kva + km->text_gpa;
		*contig = km->end_kva - va;
		return 0;
	}

	te = &km->tlb[(va >> 12) % TLB_ENTRIES];
	if (te->vpage == (va >> 12) + 1) {
		*pa = te->ppage | (va & (PAGE_SIZE_4K - 1));
		*contig = PAGE_SIZE_4K - (va & (PAGE_SIZE_4K - 1));
		return 0;
	}
	err = bpfpoke_pgwalk(mem, km->top_pgt_gpa, km->levels, va, &gpa, &size);
	if (err)
		return err;
	te->vpage = (va >> 12) + 1;
	te->ppage = gpa & ~(PAGE_SIZE_4K - 1);
	*pa = gpa;
	*contig = size - (va & (size - 1));
	return 0;
}

static int km_access(struct kmodel *km, struct mem *mem, __u64 va,
		     void *buf, size_t len, bool write)
{
	if (!len || len > MEM_MAX_LEN)
		return -EINVAL;
	if (va + len < va)
		return -EFAULT;
	while (len) {
		__u64 pa, contig;
		size_t chunk;
		int err;

		err = bpfpoke_km_translate(km, mem, va, &pa, &contig);
		if (err)
			return err;
		chunk = contig < len ? contig : len;
		err = write ? bpfpoke_mem_write(mem, pa, buf, chunk) :
			      bpfpoke_mem_read(mem, pa, buf, chunk);
		if (err)
			return err;
		va += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

int bpfpoke_km_read(struct kmodel *km, struct mem *mem, __u64 va, void *buf,
		    size_t len)
{
	return km_access(km, mem, va, buf, len, false);
}

int bpfpoke_km_write(struct kmodel *km, struct mem *mem, __u64 va, const void *buf,
		     size_t len)
{
	return km_access(km, mem, va, (void *)buf, len, true);
}
