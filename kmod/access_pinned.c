// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: an op the pinned way.  Larger ops, and every op of a
 * BPFPOKE_ACCESS_ALL_OR_NOTHING batch, pin the VMM's pages with
 * pin_user_pages_remote(): a pinned page cannot go between resolving and
 * copying, which is what all-or-nothing needs.  Each op is first
 * resolved: every page it touches is translated, checked (memslot,
 * read-only, dirty ring) and pinned, and its user buffer is faulted in.
 * Only then is it copied, one page-sized chunk at a time through
 * kmap_local_page().  The mmap lock of the VMM is held only around the
 * pinning, never across a user copy: the agent may be the VMM itself, and
 * a fault on its buffer would then take the same lock again.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "access.h"

void bpfpoke_chunks_release(struct bpfpoke_chunk *chunks, size_t nr,
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
 * Translate, check and pin every page @op touches into
 * bpfpoke_op_chunks(@op) chunks.  The caller holds the VMM's mmap lock.
 * Nothing moves here, and on error nothing stays pinned.
 */
int bpfpoke_op_pin(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op,
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
int bpfpoke_op_check_buf(const struct bpfpoke_op *op)
{
	char __user *ubuf = u64_to_user_ptr(op->buf);

	if (bpfpoke_op_inline(op))
		return 0;
	if (bpfpoke_op_write(op))
		return fault_in_readable(ubuf, op->len) ? -EFAULT : 0;
	return fault_in_safe_writeable(ubuf, op->len) ? -EFAULT : 0;
}

/*
 * Copy an op whose pages are pinned.  A write either lands whole or not at
 * all: small ones are staged, larger ones had their buffer faulted in by
 * the caller, and only a buffer unmapped in between fails them midway.  A
 * failed read leaves guest memory alone.  The chunks stay pinned.
 */
int bpfpoke_op_execute(struct bpfpoke_op *op,
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

	if (bpfpoke_op_inline(op)) {
		/* BPFPOKE_OP_INLINE_MAX bytes: one chunk or two. */
		memcpy(stage, &op->buf, op->len);
		staged = true;
	} else if (write && op->len <= sizeof(stage)) {
		if (copy_from_user(stage, ubuf, op->len))
			return -EFAULT;
		staged = true;
	}

	for (done = 0, c = chunks; done < op->len; done += len, c++) {
		len = bpfpoke_chunk_len(op, done);
		off = offset_in_page(op->addr + done);

		kaddr = kmap_local_page(c->page);
		if (staged && !write) {
			memcpy(stage + done, kaddr + off, len);
			left = 0;
		} else if (staged) {
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
			bpfpoke_mark_dirty(c->slot, c->gfn);
		if (left)
			return -EFAULT;
		if (len == PAGE_SIZE)
			cond_resched();
	}
	if (staged && !write)
		bpfpoke_op_inline_set(op, stage);
	return 0;
}

/* Run an op through pinning, taking the VMM's mmap lock for it. */
int bpfpoke_op_pinned(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op,
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
