// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: guest memory, the primitives both ways of an op (cached and
 * pinned) and the page walk share.  The agent is not the VMM, so KVM's
 * kvm_read_guest()/kvm_write_guest(), which copy through current->mm,
 * would touch the agent's memory.  Guest memory is reached the way KVM
 * itself reaches it, but in the VMM's mm: a memslot lookup under
 * kvm->srcu gives the VMM's address of a guest page, whose page comes
 * from the file's cache of the VMM's pages (cache.c) or is pinned.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "bpfpoke.h"
#include "cache.h"
#include "compat.h"
#include "guest.h"

/*
 * Pin the VMM's page behind @gfn, faulting it in like a vCPU would.  The
 * caller holds the VMM's mmap lock for reading, for a whole op or a group
 * of them: taking it per page would dominate the cost of small ops.
 */
int bpfpoke_pin(struct bpfpoke_ctx *ctx, struct kvm_memory_slot *slot,
		gfn_t gfn, bool write, struct page **page)
{
	unsigned long hva = __gfn_to_hva_memslot(slot, gfn);
	long pinned;

	mmap_assert_locked(ctx->mm);
	pinned = bpfpoke_pin_user_pages_remote(ctx->mm, hva, 1,
					       write ? FOLL_WRITE : 0, page);
	if (pinned == 1)
		return 0;
	return pinned < 0 ? pinned : -EFAULT;
}

/* Read a u64 of a page found in the cache; false when it is not there. */
static bool bpfpoke_read_cached_u64(struct bpfpoke_ctx *ctx, unsigned long hva,
				    u64 *val)
{
	unsigned long *entry;
	struct page *page;
	void *kaddr;
	bool hit;

	spin_lock(&ctx->cache->lock);
	entry = bpfpoke_cache_entry(ctx->cache, hva, &page);
	hit = entry && bpfpoke_entry_ok(*entry, false);
	if (hit) {
		kaddr = kmap_local_page(page);
		/* The guest may be rewriting the entry: read it once, whole. */
		*val = READ_ONCE(*(u64 *)(kaddr + offset_in_page(hva)));
		kunmap_local(kaddr);
	}
	spin_unlock(&ctx->cache->lock);
	return hit;
}

/**
 * bpfpoke_read_phys_u64() - read one naturally aligned u64 of guest memory
 * @ctx: the access context, with kvm->srcu held
 * @gpa: guest-physical address, 8-byte aligned
 * @val: the value read
 *
 * The page walk reads page-table entries through here, so they come from
 * the same memory, with the same checks, as the data.  The cache serves
 * them when it can; with the VMM's mmap lock held (@ctx->mm_locked) it
 * cannot be filled, and a missing page is pinned instead.
 *
 * Return: 0, -EFAULT when no usable memslot holds @gpa, -EINTR on a fatal
 * signal, or the error of pinning the VMM's page.
 */
int bpfpoke_read_phys_u64(struct bpfpoke_ctx *ctx, u64 gpa, u64 *val)
{
	struct kvm_memory_slot *slot;
	unsigned long hva;
	struct page *page;
	void *kaddr;
	int err, i;

	slot = bpfpoke_gfn_to_slot(ctx->kvm, gpa_to_gfn(gpa));
	if (!slot)
		return -EFAULT;
	hva = __gfn_to_hva_memslot(slot, gpa_to_gfn(gpa)) + offset_in_page(gpa);

	for (i = 0; ; i++) {
		if (bpfpoke_read_cached_u64(ctx, hva, val))
			return 0;
		if (ctx->mm_locked || i == BPFPOKE_CACHED_TRIES)
			break;
		err = bpfpoke_cache_fault(ctx->cache, ctx->mm, hva, false);
		if (err == -EINTR)
			return err;
		if (err)
			break;
	}

	if (!ctx->mm_locked && mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	err = bpfpoke_pin(ctx, slot, gpa_to_gfn(gpa), false, &page);
	if (!ctx->mm_locked)
		mmap_read_unlock(ctx->mm);
	if (err)
		return err;

	kaddr = kmap_local_page(page);
	*val = READ_ONCE(*(u64 *)(kaddr + offset_in_page(gpa)));
	kunmap_local(kaddr);
	unpin_user_page(page);
	return 0;
}

