// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: an op the cached way.  Ops of up to a page, the common case of
 * scattered small ops, go through the file's cache of the VMM's pages
 * (cache.c), which an MMU notifier keeps coherent with the VMM's page
 * tables: no pin, no mmap lock, no page walk per op once the cache is
 * warm.  Small guest-physical ops that hit the cache go quickest, under
 * one hold of the cache lock for a group of them
 * (bpfpoke_op_cached_locked()).  Otherwise each page the op touches is
 * translated, checked and faulted into the cache, the agent's bytes are
 * staged in kernel memory, and the copy runs under the cache lock after
 * checking that every page of the op is still cached, so the op moves
 * whole or not at all, and no user fault happens under the lock.  When
 * the cache cannot serve a page (memory that hmm_range_fault() refuses,
 * any fault error, lasting invalidation), the op goes the pinned way.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "access.h"
#include "cache.h"

/*
 * Mark the VMM's page dirty after a write through the cache, as
 * unpin_user_pages_dirty_lock() does after a pinned write: a clean page (a
 * lazily freed one, or one in the swap cache or in shmem) could otherwise
 * be dropped and the write lost.  folio_mark_dirty() needs the folio kept
 * from truncation, usually by its lock: here, as in zap_pte_range(), it
 * is mapped, and the cache lock, held since the lookup, keeps truncation
 * from unmapping it.  It does not sleep.
 *
 * Once per fill of the entry is enough: the dirty flag of a folio that the
 * VMM maps is cleared only after its mapping there is write-protected or
 * removed (folio_mkclean() for writeback, try_to_unmap() for reclaim,
 * MADV_FREE under its own invalidation), which invalidates the entry
 * first, and a refilled entry starts without BPFPOKE_ENTRY_DIRTY.  It
 * spares scattered writes a look at each struct page.  An entry that
 * stands for a whole window stands for one folio.
 */
static void bpfpoke_entry_dirty_fill(unsigned long *entry, struct page *page)
{
	struct folio *folio = page_folio(page);

	if (!folio_test_dirty(folio))
		folio_mark_dirty(folio);
	*entry |= BPFPOKE_ENTRY_DIRTY;
}

static __always_inline void bpfpoke_entry_dirty(unsigned long *entry,
						struct page *page)
{
	if (!(*entry & BPFPOKE_ENTRY_DIRTY))
		bpfpoke_entry_dirty_fill(entry, page);
}

/*
 * Stage @len bytes of the agent's buffer.  The common field sizes take
 * one get_user() each, rather than a copy_from_user() with its checks.
 */
static __always_inline int bpfpoke_stage_in(void *stage,
					    const void __user *ubuf, u32 len)
{
	u64 v8;
	u32 v4;
	u16 v2;
	u8 v1;

	switch (len) {
	case 1:
		if (get_user(v1, (const u8 __user *)ubuf))
			return -EFAULT;
		memcpy(stage, &v1, 1);
		return 0;
	case 2:
		if (get_user(v2, (const u16 __user *)ubuf))
			return -EFAULT;
		memcpy(stage, &v2, 2);
		return 0;
	case 4:
		if (get_user(v4, (const u32 __user *)ubuf))
			return -EFAULT;
		memcpy(stage, &v4, 4);
		return 0;
	case 8:
		if (get_user(v8, (const u64 __user *)ubuf))
			return -EFAULT;
		memcpy(stage, &v8, 8);
		return 0;
	}
	return copy_from_user(stage, ubuf, len) ? -EFAULT : 0;
}

/* An op's bytes to write: from the agent, or from the op itself. */
static __always_inline int bpfpoke_op_stage_in(const struct bpfpoke_op *op,
					       u8 *stage)
{
	if (bpfpoke_op_inline(op)) {
		bpfpoke_copy(stage, &op->buf, op->len);
		return 0;
	}
	return bpfpoke_stage_in(stage, u64_to_user_ptr(op->buf), op->len);
}

/* The other way round. */
static __always_inline int bpfpoke_stage_out(void __user *ubuf,
					     const void *stage, u32 len)
{
	u64 v8;
	u32 v4;
	u16 v2;
	u8 v1;

	switch (len) {
	case 1:
		memcpy(&v1, stage, 1);
		return put_user(v1, (u8 __user *)ubuf);
	case 2:
		memcpy(&v2, stage, 2);
		return put_user(v2, (u16 __user *)ubuf);
	case 4:
		memcpy(&v4, stage, 4);
		return put_user(v4, (u32 __user *)ubuf);
	case 8:
		memcpy(&v8, stage, 8);
		return put_user(v8, (u64 __user *)ubuf);
	}
	return copy_to_user(ubuf, stage, len) ? -EFAULT : 0;
}

/* An op's bytes read: to the agent, or into the op itself. */
static __always_inline int bpfpoke_op_stage_out(struct bpfpoke_op *op,
						const u8 *stage)
{
	if (bpfpoke_op_inline(op)) {
		bpfpoke_op_inline_set(op, stage);
		return 0;
	}
	return bpfpoke_stage_out(u64_to_user_ptr(op->buf), stage, op->len);
}

/*
 * Copy an op whose chunks are resolved, staged in @stage, under the cache
 * lock, so that none of its pages can go while it moves.  Returns the
 * index of the first chunk whose page is not cached (or cached read-only
 * for a write), with nothing moved; or the chunk count when all moved.
 */
static size_t bpfpoke_op_copy_cached(struct bpfpoke_ctx *ctx,
				     const struct bpfpoke_op *op,
				     struct bpfpoke_chunk *chunks, size_t nr,
				     u8 *stage)
{
	bool write = bpfpoke_op_write(op);
	unsigned long *entry[2];
	u32 done, len, off;
	void *kaddr;
	size_t i;

	spin_lock(&ctx->cache->lock);
	for (i = 0; i < nr; i++) {
		entry[i] = bpfpoke_cache_entry(ctx->cache,
					       __gfn_to_hva_memslot(chunks[i].slot,
								    chunks[i].gfn),
					       &chunks[i].page);
		if (!entry[i] || !bpfpoke_entry_ok(*entry[i], write)) {
			spin_unlock(&ctx->cache->lock);
			return i;
		}
	}
	for (i = 0, done = 0; i < nr; i++, done += len) {
		len = bpfpoke_chunk_len(op, done);
		off = offset_in_page(op->addr + done);
		kaddr = kmap_local_page(chunks[i].page);
		if (write)
			bpfpoke_copy(kaddr + off, stage + done, len);
		else
			bpfpoke_copy(stage + done, kaddr + off, len);
		kunmap_local(kaddr);
		if (write) {
			bpfpoke_entry_dirty(entry[i], chunks[i].page);
			/* After the data, as KVM does, so a harvest cannot miss it. */
			bpfpoke_mark_dirty(chunks[i].slot, chunks[i].gfn);
		}
	}
	spin_unlock(&ctx->cache->lock);
	return nr;
}

/*
 * Run an op of at most BPFPOKE_CACHED_LEN bytes through the cache.  Every
 * error comes as pinning would report it, in the same order: an error of
 * the first chunk's translation or checks is the op's; anything later
 * (an error of a second chunk, whose first chunk could have failed in the
 * VMM; a fault the cache cannot serve; an unreadable buffer, whose error
 * comes after the guest side's) sends the op to pinning, with nothing
 * moved, to report it there.  The buffer is staged first, so that a hit
 * costs one lookup under one hold of the cache lock.
 *
 * Return: 0 or the op's error; -EAGAIN when the op must be pinned instead.
 */
int bpfpoke_op_cached(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op)
{
	bool write = bpfpoke_op_write(op);
	size_t nr = bpfpoke_op_chunks(op), c;
	struct bpfpoke_chunk chunks[2];
	u8 small[BPFPOKE_STAGE_LEN];
	u8 *stage = small;
	int err, i;

	if (op->len > sizeof(small)) {
		if (!ctx->stage)
			ctx->stage = kmalloc(BPFPOKE_CACHED_LEN, GFP_KERNEL_ACCOUNT);
		if (!ctx->stage)
			return -EAGAIN;
		stage = ctx->stage;
	}
	if (write && bpfpoke_op_stage_in(op, stage))
		return -EAGAIN;

	for (i = 0; i < BPFPOKE_CACHED_TRIES; i++) {
		struct bpfpoke_xlat xlat = {};
		u32 done;

		for (done = 0, c = 0; c < nr;
		     done += bpfpoke_chunk_len(op, done), c++) {
			err = bpfpoke_chunk_resolve(ctx, op, &xlat, done,
						    &chunks[c]);
			if (err)
				return c ? -EAGAIN : err;
		}
		c = bpfpoke_op_copy_cached(ctx, op, chunks, nr, stage);
		if (c == nr) {
			if (!write && bpfpoke_op_stage_out(op, stage))
				return -EFAULT;
			return 0;
		}
		/*
		 * Fault in from the first missing chunk on.  A chunk before it
		 * may go again meanwhile: the next round sees to it.
		 */
		for (; c < nr; c++) {
			err = bpfpoke_cache_fault(ctx->cache, ctx->mm,
						  __gfn_to_hva_memslot(chunks[c].slot,
								       chunks[c].gfn),
						  write);
			if (err)
				return err;
		}
	}
	return -EAGAIN;
}

/*
 * The cached way under a held lock, for the commonest op, a guest-physical
 * op of a field or a
 * few that falls in one page whose page is cached: the caller holds the
 * cache lock from one op to the next, which halves the cost of scattered
 * small ops.  The agent's buffer is accessed with page faults disabled,
 * as futexes do under their locks: a fault there, like a page missing
 * from the cache, sends the op to bpfpoke_op_run(), with nothing moved.
 *
 * Return: 0 or the op's error, as bpfpoke_op_cached() would say; -EAGAIN
 * when the op must go through bpfpoke_op_run().
 */
int bpfpoke_op_cached_locked(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op)
	__must_hold(&ctx->cache->lock)
{
	bool write = bpfpoke_op_write(op);
	struct bpfpoke_chunk chunk;
	u8 stage[BPFPOKE_STAGE_LEN];
	unsigned long *entry;
	void *kaddr;
	int err;

	/* No page walk: it would take the cache lock. */
	if (ctx->levels || op->len > sizeof(stage) || bpfpoke_op_chunks(op) != 1)
		return -EAGAIN;
	/*
	 * Memslot lookups and checks only: they may run under the lock.  A
	 * fatal signal is looked at between groups of ops, by the caller.
	 */
	err = bpfpoke_phys_resolve(ctx->kvm, op->addr, write, &chunk);
	if (err)
		return err;
	entry = bpfpoke_cache_entry(ctx->cache,
				    __gfn_to_hva_memslot(chunk.slot, chunk.gfn),
				    &chunk.page);
	if (!entry || !bpfpoke_entry_ok(*entry, write))
		return -EAGAIN;

	kaddr = kmap_local_page(chunk.page) + offset_in_page(op->addr);
	pagefault_disable();
	if (write) {
		err = bpfpoke_op_stage_in(op, stage);
		if (!err) {
			bpfpoke_copy(kaddr, stage, op->len);
			bpfpoke_entry_dirty(entry, chunk.page);
			/* After the data, as KVM does, so a harvest cannot miss it. */
			bpfpoke_mark_dirty(chunk.slot, chunk.gfn);
		}
	} else {
		bpfpoke_copy(stage, kaddr, op->len);
		err = bpfpoke_op_stage_out(op, stage);
	}
	pagefault_enable();
	kunmap_local(kaddr);
	return err ? -EAGAIN : 0;
}
