// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: guest-virtual to guest-physical translation through the guest's
 * x86-64 long-mode page tables, 4-level or 5-level (LA57).
 *
 * Page-table entries are read through bpfpoke_read_phys_u64(), the same
 * memslot and VMM-page path as the data, so the walk sees the memory the
 * guest's MMU sees.  It is a debugger's walk: it checks neither the R/W,
 * U/S and NX permissions nor protection keys, and sets no accessed or
 * dirty bits.  The entries are guest-controlled input: the walk takes a
 * fixed number of steps, and what it returns is only ever looked up in
 * the memslots.
 */
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/errno.h>

#include "bpfpoke.h"

#define BPFPOKE_PTE_PRESENT	BIT_ULL(0)
/* PS: a 1 GiB page at level 3 (PDPTE), 2 MiB at level 2 (PDE). */
#define BPFPOKE_PTE_PS		BIT_ULL(7)
#define BPFPOKE_PTE_ADDR	GENMASK_ULL(51, 12)

#define BPFPOKE_PT_SHIFT	12	/* the 4 KiB pages of level 1 */
#define BPFPOKE_PT_INDEX_BITS	9	/* 512 entries of 8 bytes per table */

/* The lowest virtual-address bit that level @level translates. */
static unsigned int bpfpoke_level_shift(unsigned int level)
{
	return BPFPOKE_PT_SHIFT + BPFPOKE_PT_INDEX_BITS * (level - 1);
}

/*
 * 4 levels translate 48 bits and 5 levels 57; the bits above must copy
 * the top translated bit, or the CPU raises #GP.
 */
static bool bpfpoke_va_canonical(u64 va, unsigned int levels)
{
	unsigned int va_bits = BPFPOKE_PT_SHIFT + BPFPOKE_PT_INDEX_BITS * levels;

	return (u64)sign_extend64(va, va_bits - 1) == va;
}

/**
 * bpfpoke_walk() - translate a guest-virtual address
 * @ctx: the access context: page-table root and levels, kvm->srcu held
 * @va: guest-virtual address
 * @base: guest-physical base of the page that maps @va
 * @size: size of that page: 4 KiB, 2 MiB or 1 GiB
 *
 * Return: 0; -EFAULT when @va is not canonical, an entry is not present,
 * PS is set above level 3 (a reserved bit there), or a table lies outside
 * every usable memslot; or the error of pinning a table's page.
 */
int bpfpoke_walk(struct bpfpoke_ctx *ctx, u64 va, u64 *base, u64 *size)
{
	u64 table = ctx->root;
	unsigned int level, shift;
	u64 index, pte;
	int err;

	if (!bpfpoke_va_canonical(va, ctx->levels))
		return -EFAULT;

	for (level = ctx->levels; ; level--) {
		shift = bpfpoke_level_shift(level);
		index = (va >> shift) & (BIT_ULL(BPFPOKE_PT_INDEX_BITS) - 1);
		err = bpfpoke_read_phys_u64(ctx, table + index * sizeof(pte),
					    &pte);
		if (err)
			return err;
		if (!(pte & BPFPOKE_PTE_PRESENT))
			return -EFAULT;
		/* At level 1, bit 7 is PAT, not PS. */
		if (level == 1 || (pte & BPFPOKE_PTE_PS))
			break;
		table = pte & BPFPOKE_PTE_ADDR;
	}
	if (level > 3)
		return -EFAULT;

	*size = BIT_ULL(shift);
	/* Below the page size, a large entry holds PAT and reserved bits. */
	*base = pte & BPFPOKE_PTE_ADDR & ~(*size - 1);
	return 0;
}
