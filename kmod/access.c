// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: BPFPOKE_ACCESS, batched reads and writes of guest memory.
 *
 * The agent is not the VMM, so KVM's kvm_read_guest()/kvm_write_guest(),
 * which copy through current->mm, would touch the agent's memory.  Guest
 * memory is reached the way KVM itself reaches it, but in the VMM's mm: a
 * memslot lookup under kvm->srcu gives the VMM's address of a guest page,
 * and the page comes from one of two places.
 *
 * Ops of up to a page, the common case of scattered small ops, go through
 * the file's cache of the VMM's pages (cache.c), which an MMU notifier
 * keeps coherent with the VMM's page tables: no pin, no mmap lock, no page
 * walk per op once the cache is warm.  Small guest-physical ops that hit
 * the cache go quickest, under one hold of the cache lock for a group of
 * them (bpfpoke_op_quick()).  Otherwise each page the op touches is
 * translated, checked and faulted into the cache, the agent's bytes are
 * staged in kernel memory, and the copy runs under the cache lock after
 * checking that every page of the op is still cached, so the op moves
 * whole or not at all, and no user fault happens under the lock.  When the
 * cache cannot serve a page (memory that hmm_range_fault() refuses, any
 * fault error, lasting invalidation), the op falls back to pinning.
 *
 * Larger ops, and every op of a BPFPOKE_ACCESS_ALL_OR_NOTHING batch, pin
 * the VMM's pages with pin_user_pages_remote(): a pinned page cannot go
 * between resolving and copying, which is what all-or-nothing needs.
 * Each op is first resolved: every page it touches is translated, checked
 * (memslot, read-only, dirty ring) and pinned, and its user buffer is
 * faulted in.  Only then is it copied, one page-sized chunk at a time
 * through kmap_local_page().  With BPFPOKE_ACCESS_ALL_OR_NOTHING every op
 * of the batch is resolved before the first byte moves, under one
 * kvm->srcu read section so that the memslots cannot change in between.
 * The mmap lock of the VMM is held only around the pinning, never across
 * a user copy: the agent may be the VMM itself, and a fault on its buffer
 * would then take the same lock again.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#include <uapi/linux/bpfpoke.h>

#include "bpfpoke.h"
#include "compat.h"

#define BPFPOKE_ACCESS_FLAGS	(BPFPOKE_ACCESS_VIRT | BPFPOKE_ACCESS_ALL_OR_NOTHING)
#define BPFPOKE_OP_FLAGS	BPFPOKE_OP_WRITE

/* Guest-physical address bits of a page-table root (and of any PTE). */
#define BPFPOKE_ROOT_MASK	GENMASK_ULL(51, 12)

/**
 * struct bpfpoke_chunk - the part of an op that falls in one guest page
 * @page: the VMM's page, pinned
 * @slot: its memslot, valid while kvm->srcu is held
 * @gfn: its guest frame number
 *
 * The offset and length of a chunk follow from the op's address, so they
 * are not stored.
 */
struct bpfpoke_chunk {
	struct page *page;
	struct kvm_memory_slot *slot;
	gfn_t gfn;
};

/**
 * struct bpfpoke_xlat - the last guest-virtual translation of an op
 * @va: guest-virtual base of the mapping
 * @gpa: guest-physical base of the mapping
 * @size: 4 KiB, 2 MiB or 1 GiB; 0 when empty
 *
 * An op that spans several pages of one large mapping is walked once.
 * It lives for one op only, so that an op sees the page tables as the
 * previous ops of the batch left them.
 */
struct bpfpoke_xlat {
	u64 va;
	u64 gpa;
	u64 size;
};

static bool bpfpoke_op_write(const struct bpfpoke_op *op)
{
	return op->flags & BPFPOKE_OP_WRITE;
}

/* Not a conditional expression: int and u32 would meet as unsigned. */
static void bpfpoke_op_done(struct bpfpoke_op *op, int err)
{
	if (err)
		op->result = err;
	else
		op->result = op->len;
}

/* Pages the op touches: its chunk count. */
static size_t bpfpoke_op_chunks(const struct bpfpoke_op *op)
{
	return (offset_in_page(op->addr) + (u64)op->len + PAGE_SIZE - 1) >>
	       PAGE_SHIFT;
}

/* Length of the chunk that starts @done bytes into the op. */
static u32 bpfpoke_chunk_len(const struct bpfpoke_op *op, u32 done)
{
	return min_t(u64, op->len - done,
		     PAGE_SIZE - offset_in_page(op->addr + done));
}

/**
 * bpfpoke_slot_usable() - whether a memslot is guest RAM the VMM maps
 * @slot: a memslot, or NULL
 *
 * Follows KVM's own notion of a visible slot: the x86 internal slots (APIC
 * access page, TSS, identity map) are not the VMM's, and a slot that is
 * being deleted or moved is marked KVM_MEMSLOT_INVALID.  guest_memfd slots
 * are left out too, as the VMM's mm does not show their memory.
 */
bool bpfpoke_slot_usable(struct kvm_memory_slot *slot)
{
	return kvm_is_visible_memslot(slot) && !bpfpoke_slot_is_gmem(slot);
}

/* Guest-physical accesses use address space 0, as kvm_read_guest() does. */
static struct kvm_memory_slot *bpfpoke_gfn_to_slot(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(kvm), gfn);
	return bpfpoke_slot_usable(slot) ? slot : NULL;
}

/*
 * Pin the VMM's page behind @gfn, faulting it in like a vCPU would.  The
 * caller holds the VMM's mmap lock for reading, for a whole op or a group
 * of them: taking it per page would dominate the cost of small ops.
 */
static int bpfpoke_pin(struct bpfpoke_ctx *ctx, struct kvm_memory_slot *slot,
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

/*
 * A page that the cache could not serve after this many rounds of
 * faulting it in (each undone by an invalidation) is pinned instead.
 */
#define BPFPOKE_FAST_TRIES	4

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
		if (ctx->mm_locked || i == BPFPOKE_FAST_TRIES)
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

static int bpfpoke_translate(struct bpfpoke_ctx *ctx, struct bpfpoke_xlat *xlat,
			     u64 addr, u64 *gpa)
{
	int err;

	if (!ctx->levels) {
		*gpa = addr;
		return 0;
	}
	if (!xlat->size || (addr & ~(xlat->size - 1)) != xlat->va) {
		err = bpfpoke_walk(ctx, addr, &xlat->gpa, &xlat->size);
		if (err) {
			xlat->size = 0;
			return err;
		}
		xlat->va = addr & ~(xlat->size - 1);
	}
	*gpa = xlat->gpa + (addr & (xlat->size - 1));
	return 0;
}

/*
 * Writes must not reach read-only memory, and must not escape the dirty
 * log: with a dirty ring KVM logs into the ring of the running vCPU, there
 * is none here, and the slot has no bitmap to log into instead (6.1's
 * mark_page_dirty_in_slot() would WARN and drop the entry).
 */
static int bpfpoke_check_write(struct kvm *kvm,
			       const struct kvm_memory_slot *slot)
{
	if (slot->flags & KVM_MEM_READONLY)
		return -EROFS;
	if (READ_ONCE(kvm->dirty_ring_size) && kvm_slot_dirty_track_enabled(slot))
		return -EOPNOTSUPP;
	return 0;
}

/* What mark_page_dirty_in_slot() does for a VM without a dirty ring. */
static void bpfpoke_mark_dirty(const struct bpfpoke_chunk *c)
{
	struct kvm_memory_slot *slot = c->slot;

	if (kvm_slot_dirty_track_enabled(slot) && slot->dirty_bitmap)
		set_bit_le(c->gfn - slot->base_gfn, slot->dirty_bitmap);
}

static void bpfpoke_chunks_release(struct bpfpoke_chunk *chunks, size_t nr,
				   bool dirty)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (dirty)
			unpin_user_pages_dirty_lock(&chunks[i].page, 1, true);
		else
			unpin_user_page(chunks[i].page);
	}
}

/*
 * Translate and check the chunk that starts @done bytes into @op, in
 * address order: the guest-virtual walk, the memslot, write permission.
 */
static int bpfpoke_chunk_resolve(struct bpfpoke_ctx *ctx,
				 const struct bpfpoke_op *op,
				 struct bpfpoke_xlat *xlat, u32 done,
				 struct bpfpoke_chunk *c)
{
	u64 gpa;
	int err;

	if (fatal_signal_pending(current))
		return -EINTR;
	err = bpfpoke_translate(ctx, xlat, op->addr + done, &gpa);
	if (err)
		return err;
	c->gfn = gpa_to_gfn(gpa);
	c->slot = bpfpoke_gfn_to_slot(ctx->kvm, c->gfn);
	if (!c->slot)
		return -EFAULT;
	if (bpfpoke_op_write(op))
		return bpfpoke_check_write(ctx->kvm, c->slot);
	return 0;
}

/*
 * Translate, check and pin every page @op touches into
 * bpfpoke_op_chunks(@op) chunks.  The caller holds the VMM's mmap lock.
 * Nothing moves here, and on error nothing stays pinned.
 */
static int bpfpoke_op_pin(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op,
			  struct bpfpoke_chunk *chunks)
{
	bool write = bpfpoke_op_write(op);
	struct bpfpoke_xlat xlat = {};
	size_t nr = 0;
	u32 done = 0;
	int err;

	while (done < op->len) {
		struct bpfpoke_chunk *c = &chunks[nr];

		err = bpfpoke_chunk_resolve(ctx, op, &xlat, done, c);
		if (err)
			goto out_release;
		err = bpfpoke_pin(ctx, c->slot, c->gfn, write, &c->page);
		if (err)
			goto out_release;
		nr++;
		done += bpfpoke_chunk_len(op, done);
	}
	return 0;

out_release:
	bpfpoke_chunks_release(chunks, nr, false);
	return err;
}

/*
 * A buffer the agent cannot touch would fail the op halfway through the
 * copy; find out before anything moves.  The safe variant only faults
 * pages in, it does not write to them.  Called without the VMM's mmap
 * lock: the agent may be the VMM, and faulting would take it again.
 */
static int bpfpoke_op_check_buf(const struct bpfpoke_op *op)
{
	char __user *ubuf = u64_to_user_ptr(op->buf);

	if (bpfpoke_op_write(op))
		return fault_in_readable(ubuf, op->len) ? -EFAULT : 0;
	return fault_in_safe_writeable(ubuf, op->len) ? -EFAULT : 0;
}

/*
 * Writes up to this size are copied from the agent first and then into
 * guest memory, so they move whole without faulting the buffer in.
 */
#define BPFPOKE_STAGE_LEN	64

/*
 * Copy an op whose pages are pinned.  A write either lands whole or not at
 * all: small ones are staged, larger ones had their buffer faulted in by
 * the caller, and only a buffer unmapped in between fails them midway.  A
 * failed read leaves guest memory alone.  The chunks stay pinned.
 */
static int bpfpoke_op_execute(const struct bpfpoke_op *op,
			      const struct bpfpoke_chunk *chunks)
{
	char __user *ubuf = u64_to_user_ptr(op->buf);
	bool write = bpfpoke_op_write(op);
	const struct bpfpoke_chunk *c;
	u8 stage[BPFPOKE_STAGE_LEN];
	bool staged = false;
	unsigned long left;
	u32 done, len, off;
	void *kaddr;

	if (write && op->len <= sizeof(stage)) {
		if (copy_from_user(stage, ubuf, op->len))
			return -EFAULT;
		staged = true;
	}

	for (done = 0, c = chunks; done < op->len; done += len, c++) {
		len = bpfpoke_chunk_len(op, done);
		off = offset_in_page(op->addr + done);

		kaddr = kmap_local_page(c->page);
		if (staged) {
			memcpy(kaddr + off, stage + done, len);
			left = 0;
		} else if (write) {
			left = copy_from_user(kaddr + off, ubuf + done, len);
		} else {
			left = copy_to_user(ubuf + done, kaddr + off, len);
		}
		kunmap_local(kaddr);

		/* After the data, as KVM does, so a harvest cannot miss it. */
		if (write && left < len)
			bpfpoke_mark_dirty(c);
		if (left)
			return -EFAULT;
		if (len == PAGE_SIZE)
			cond_resched();
	}
	return 0;
}

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
static void bpfpoke_entry_dirty(unsigned long *entry, struct page *page)
{
	struct folio *folio;

	if (*entry & BPFPOKE_ENTRY_DIRTY)
		return;
	folio = page_folio(page);
	if (!folio_test_dirty(folio))
		folio_mark_dirty(folio);
	*entry |= BPFPOKE_ENTRY_DIRTY;
}

/*
 * Copy @len bytes between kernel buffers.  The sizes of common fields are
 * constants to memcpy(), which makes each one move: a guest reading an
 * aligned field while it is written sees the old value or the new one.
 */
static __always_inline void bpfpoke_copy(void *dst, const void *src, u32 len)
{
	switch (len) {
	case 1:
		memcpy(dst, src, 1);
		break;
	case 2:
		memcpy(dst, src, 2);
		break;
	case 4:
		memcpy(dst, src, 4);
		break;
	case 8:
		memcpy(dst, src, 8);
		break;
	default:
		memcpy(dst, src, len);
	}
}

/*
 * Stage @len bytes of the agent's buffer.  The common field sizes take
 * one get_user() each, rather than a copy_from_user() with its checks.
 */
static int bpfpoke_stage_in(void *stage, const void __user *ubuf, u32 len)
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

/* The other way round. */
static int bpfpoke_stage_out(void __user *ubuf, const void *stage, u32 len)
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
			bpfpoke_mark_dirty(&chunks[i]);
		}
	}
	spin_unlock(&ctx->cache->lock);
	return nr;
}

/* Ops up to this long go through the cache; they touch at most 2 pages. */
#define BPFPOKE_FAST_LEN	PAGE_SIZE

/*
 * Run an op of at most BPFPOKE_FAST_LEN bytes through the cache.  Every
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
static int bpfpoke_op_cached(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op)
{
	char __user *ubuf = u64_to_user_ptr(op->buf);
	bool write = bpfpoke_op_write(op);
	size_t nr = bpfpoke_op_chunks(op), c;
	struct bpfpoke_chunk chunks[2];
	u8 small[BPFPOKE_STAGE_LEN];
	u8 *stage = small;
	int err, i;

	if (op->len > sizeof(small)) {
		if (!ctx->stage)
			ctx->stage = kmalloc(BPFPOKE_FAST_LEN, GFP_KERNEL_ACCOUNT);
		if (!ctx->stage)
			return -EAGAIN;
		stage = ctx->stage;
	}
	if (write && bpfpoke_stage_in(stage, ubuf, op->len))
		return -EAGAIN;

	for (i = 0; i < BPFPOKE_FAST_TRIES; i++) {
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
			if (!write && bpfpoke_stage_out(ubuf, stage, op->len))
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

/* Run an op through pinning, taking the VMM's mmap lock for it. */
static int bpfpoke_op_pinned(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op,
			     struct bpfpoke_chunk *chunks)
{
	bool write = bpfpoke_op_write(op);
	int err;

	if (mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	ctx->mm_locked = true;
	err = bpfpoke_op_pin(ctx, op, chunks);
	ctx->mm_locked = false;
	mmap_read_unlock(ctx->mm);
	if (err)
		return err;

	if (write && op->len > BPFPOKE_STAGE_LEN)
		err = bpfpoke_op_check_buf(op);
	if (!err)
		err = bpfpoke_op_execute(op, chunks);
	bpfpoke_chunks_release(chunks, bpfpoke_op_chunks(op), write);
	return err;
}

/*
 * The quick way for the commonest op, a guest-physical op of a field or a
 * few that falls in one page whose page is cached: the caller holds the
 * cache lock from one op to the next, which halves the cost of scattered
 * small ops.  The agent's buffer is accessed with page faults disabled,
 * as futexes do under their locks: a fault there, like a page missing
 * from the cache, sends the op the long way, with nothing moved.
 *
 * Return: 0 or the op's error, as bpfpoke_op_cached() would say; -EAGAIN
 * when the op must go the long way.
 */
static int bpfpoke_op_quick(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op)
	__must_hold(&ctx->cache->lock)
{
	char __user *ubuf = u64_to_user_ptr(op->buf);
	bool write = bpfpoke_op_write(op);
	struct bpfpoke_xlat xlat = {};
	struct bpfpoke_chunk chunk;
	u8 stage[BPFPOKE_STAGE_LEN];
	unsigned long *entry;
	void *kaddr;
	int err;

	/* No page walk: it would take the cache lock. */
	if (ctx->levels || op->len > sizeof(stage) || bpfpoke_op_chunks(op) != 1)
		return -EAGAIN;
	/* Memslot lookups and checks only: they may run under the lock. */
	err = bpfpoke_chunk_resolve(ctx, op, &xlat, 0, &chunk);
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
		err = bpfpoke_stage_in(stage, ubuf, op->len);
		if (!err) {
			bpfpoke_copy(kaddr, stage, op->len);
			bpfpoke_entry_dirty(entry, chunk.page);
			/* After the data, as KVM does, so a harvest cannot miss it. */
			bpfpoke_mark_dirty(&chunk);
		}
	} else {
		bpfpoke_copy(stage, kaddr, op->len);
		err = bpfpoke_stage_out(ubuf, stage, op->len);
	}
	pagefault_enable();
	kunmap_local(kaddr);
	return err ? -EAGAIN : 0;
}

/* The long way: through the cache if the op is small enough, else pinned. */
static int bpfpoke_op_long(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op,
			   struct bpfpoke_chunk *chunks)
{
	int err = -EAGAIN;

	if (op->len <= BPFPOKE_FAST_LEN)
		err = bpfpoke_op_cached(ctx, op);
	if (err == -EAGAIN)
		err = bpfpoke_op_pinned(ctx, op, chunks);
	return err;
}

/*
 * A group of guest-physical ops, under one hold of the cache lock but for
 * the ops that go the long way.
 */
static void bpfpoke_run_phys(struct bpfpoke_ctx *ctx, struct bpfpoke_op *ops,
			     u32 n, struct bpfpoke_chunk *chunks)
{
	int err;
	u32 i;

	spin_lock(&ctx->cache->lock);
	for (i = 0; i < n; i++) {
		err = bpfpoke_op_quick(ctx, &ops[i]);
		if (err == -EAGAIN) {
			spin_unlock(&ctx->cache->lock);
			err = bpfpoke_op_long(ctx, &ops[i], chunks);
			spin_lock(&ctx->cache->lock);
		}
		bpfpoke_op_done(&ops[i], err);
	}
	spin_unlock(&ctx->cache->lock);
}

/* Ops between two looks at signals, and under one kvm->srcu section. */
#define BPFPOKE_GROUP_OPS	64

/*
 * Without ALL_OR_NOTHING: every op is attempted, in order, each the quick
 * way if it can, else the long way.  kvm->srcu and the cache lock are held
 * at most across one group of ops, so that neither is held across a long
 * batch.  An op sees the guest's page tables as the ops before it left
 * them: guest-virtual translations are taken per op.
 */
static long bpfpoke_run_each(struct bpfpoke_ctx *ctx, struct bpfpoke_op *ops,
			     u32 nr_ops, struct bpfpoke_chunk *chunks)
{
	struct kvm *kvm = ctx->kvm;
	u32 first, i, n;
	int err, idx;

	for (first = 0; first < nr_ops; first += n) {
		n = min(nr_ops - first, BPFPOKE_GROUP_OPS);
		if (fatal_signal_pending(current))
			goto out_cancel;

		idx = srcu_read_lock(&kvm->srcu);
		if (!ctx->levels) {
			bpfpoke_run_phys(ctx, &ops[first], n, chunks);
		} else {
			for (i = first; i < first + n; i++) {
				err = bpfpoke_op_long(ctx, &ops[i], chunks);
				bpfpoke_op_done(&ops[i], err);
			}
		}
		srcu_read_unlock(&kvm->srcu, idx);
		cond_resched();
	}
	return 0;

out_cancel:
	for (i = first; i < nr_ops; i++)
		ops[i].result = -ECANCELED;
	return -EINTR;
}

/*
 * With ALL_OR_NOTHING: pin every op, not through the cache, whose pages
 * could go between resolving and copying (in groups of one mmap lock hold
 * each, under one kvm->srcu section so that the memslots cannot change;
 * the page walks still read through the cache), check every
 * buffer, and only then copy every op.  The copy phase does not look at
 * signals: it is bounded by max_batch_len, and stopping it would leave
 * the batch half done, which is what the flag exists to prevent.
 */
static long bpfpoke_run_all(struct bpfpoke_ctx *ctx, struct bpfpoke_op *ops,
			    u32 nr_ops, struct bpfpoke_chunk *chunks)
{
	struct kvm *kvm = ctx->kvm;
	size_t pos = 0;
	int err = 0, idx;
	long ret = 0;
	u32 i, j, end;

	idx = srcu_read_lock(&kvm->srcu);
	for (i = 0; i < nr_ops && !err; ) {
		if (mmap_read_lock_killable(ctx->mm)) {
			err = -EINTR;
			break;
		}
		ctx->mm_locked = true;
		for (end = min(nr_ops, i + BPFPOKE_GROUP_OPS); i < end; i++) {
			err = bpfpoke_op_pin(ctx, &ops[i], chunks + pos);
			if (err)
				break;
			pos += bpfpoke_op_chunks(&ops[i]);
		}
		ctx->mm_locked = false;
		mmap_read_unlock(ctx->mm);
	}
	for (j = 0; j < nr_ops && !err; j++) {
		err = bpfpoke_op_check_buf(&ops[j]);
		if (err)
			i = j;
	}
	if (err)
		goto out_release;

	for (pos = 0, i = 0; i < nr_ops; i++) {
		bool write = bpfpoke_op_write(&ops[i]);

		err = bpfpoke_op_execute(&ops[i], chunks + pos);
		bpfpoke_op_done(&ops[i], err);
		if (err && !ret)
			ret = err;
		bpfpoke_chunks_release(chunks + pos, bpfpoke_op_chunks(&ops[i]),
				       write);
		pos += bpfpoke_op_chunks(&ops[i]);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;

out_release:
	/* The ops before op i hold pins (all of them, if a buffer failed). */
	bpfpoke_chunks_release(chunks, pos, false);
	srcu_read_unlock(&kvm->srcu, idx);
	for (j = 0; j < nr_ops; j++)
		ops[j].result = j == i ? err : -ECANCELED;
	return err;
}

static int bpfpoke_check_access(const struct bpfpoke_access *args)
{
	if (args->flags & ~BPFPOKE_ACCESS_FLAGS)
		return -EINVAL;
	if (args->reserved[0] || args->reserved[1])
		return -EINVAL;
	if (!args->nr_ops)
		return -EINVAL;
	if (args->nr_ops > BPFPOKE_MAX_OPS)
		return -E2BIG;
	if (args->flags & BPFPOKE_ACCESS_VIRT) {
		if (args->levels != 4 && args->levels != 5)
			return -EINVAL;
		if (args->root & ~BPFPOKE_ROOT_MASK)
			return -EINVAL;
	} else if (args->root || args->levels) {
		return -EINVAL;
	}
	return 0;
}

static int bpfpoke_check_op(const struct bpfpoke_op *op)
{
	u64 last;

	if (op->flags & ~BPFPOKE_OP_FLAGS)
		return -EINVAL;
	if (!op->len)
		return -EINVAL;
	if (op->len > BPFPOKE_MAX_OP_LEN)
		return -E2BIG;
	/* The range may end at 2^64 - 1, not wrap past it. */
	if (check_add_overflow(op->addr, (u64)op->len - 1, &last))
		return -EINVAL;
	return 0;
}

/*
 * Check every op before anything moves, and size the chunk array for the
 * most ops pinned at once: one op (@group == 1), or the whole batch with
 * ALL_OR_NOTHING (@group == @nr_ops).  Bounded by the API limits (at most
 * max_batch_len / PAGE_SIZE + 2 * max_ops chunks), never by unchecked
 * user sizes.  On error, *@bad is the op at fault.
 */
static int bpfpoke_check_ops(const struct bpfpoke_op *ops, u32 nr_ops,
			     u32 group, size_t *nr_chunks, u32 *bad)
{
	size_t most = 0, sum = 0;
	u64 batch_len = 0;
	int err;
	u32 i;

	for (i = 0; i < nr_ops; i++) {
		err = bpfpoke_check_op(&ops[i]);
		if (err)
			goto out_bad;
		batch_len += ops[i].len;
		if (batch_len > BPFPOKE_MAX_BATCH_LEN) {
			err = -E2BIG;
			goto out_bad;
		}
		if (i % group == 0)
			sum = 0;
		sum += bpfpoke_op_chunks(&ops[i]);
		most = max(most, sum);
	}
	*nr_chunks = most;
	return 0;

out_bad:
	*bad = i;
	return err;
}

static void bpfpoke_set_results(struct bpfpoke_op *ops, u32 nr_ops, s64 result)
{
	u32 i;

	for (i = 0; i < nr_ops; i++)
		ops[i].result = result;
}

/*
 * Hand back every op's result and the success count.  The results go out
 * in one user access section: a put_user() each would cost a noticeable
 * part of a small op.
 */
static int bpfpoke_report(struct bpfpoke_access __user *uargs,
			  struct bpfpoke_op __user *uops,
			  const struct bpfpoke_op *ops, u32 nr_ops)
{
	u32 i, nr_done = 0;

	if (!user_write_access_begin(uops, array_size(nr_ops, sizeof(*uops))))
		return -EFAULT;
	for (i = 0; i < nr_ops; i++) {
		unsafe_put_user(ops[i].result, &uops[i].result, out_fault);
		if (ops[i].result >= 0)
			nr_done++;
	}
	user_write_access_end();
	if (put_user(nr_done, &uargs->nr_done))
		return -EFAULT;
	return 0;

out_fault:
	user_write_access_end();
	return -EFAULT;
}

long bpfpoke_access(struct bpfpoke_file *bf, void __user *argp)
{
	struct bpfpoke_access __user *uargs = argp;
	struct bpfpoke_access args;
	struct bpfpoke_chunk *chunks;
	struct bpfpoke_op __user *uops;
	struct bpfpoke_op *ops;
	struct bpfpoke_ctx ctx;
	size_t nr_chunks;
	u32 bad, group;
	long ret;
	bool all;

	ctx.kvm = bpfpoke_file_kvm(bf);
	if (!ctx.kvm)
		return -ENOTCONN;
	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	ret = bpfpoke_check_access(&args);
	if (ret)
		return ret;
	all = args.flags & BPFPOKE_ACCESS_ALL_OR_NOTHING;

	uops = u64_to_user_ptr(args.ops);
	ops = kvmalloc_array(args.nr_ops, sizeof(*ops), GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	if (copy_from_user(ops, uops, array_size(args.nr_ops, sizeof(*ops)))) {
		ret = -EFAULT;
		goto out_free_ops;
	}

	/*
	 * From here on every op's result goes back to the caller.  With
	 * ALL_OR_NOTHING every op stays pinned until the batch is done;
	 * without, at most one op is pinned at a time.
	 */
	group = all ? args.nr_ops : 1;
	ret = bpfpoke_check_ops(ops, args.nr_ops, group, &nr_chunks, &bad);
	if (ret) {
		bpfpoke_set_results(ops, args.nr_ops, -ECANCELED);
		ops[bad].result = ret;
		goto out_report;
	}

	chunks = kvmalloc_array(nr_chunks, sizeof(*chunks), GFP_KERNEL_ACCOUNT);
	if (!chunks) {
		ret = -ENOMEM;
		bpfpoke_set_results(ops, args.nr_ops, ret);
		goto out_report;
	}

	/*
	 * kvm->mm stays allocated as long as the VM (KVM holds mm_count),
	 * but its pages only as long as someone holds mm_users: once the VMM
	 * has exited, there is no guest memory left to reach.
	 */
	ctx.mm = ctx.kvm->mm;
	if (!mmget_not_zero(ctx.mm)) {
		ret = -ESRCH;
		bpfpoke_set_results(ops, args.nr_ops, ret);
		goto out_free_chunks;
	}
	ctx.cache = &bf->cache;
	ctx.stage = NULL;
	ctx.root = args.root;
	ctx.levels = args.levels;
	ctx.mm_locked = false;

	if (all)
		ret = bpfpoke_run_all(&ctx, ops, args.nr_ops, chunks);
	else
		ret = bpfpoke_run_each(&ctx, ops, args.nr_ops, chunks);

	kfree(ctx.stage);
	mmput(ctx.mm);
out_free_chunks:
	kvfree(chunks);
out_report:
	if (bpfpoke_report(uargs, uops, ops, args.nr_ops))
		ret = -EFAULT;
out_free_ops:
	kvfree(ops);
	return ret;
}
