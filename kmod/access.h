/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke: what BPFPOKE_ACCESS's files share (access.c, the batch;
 * access_cached.c and access_pinned.c, the two ways an op moves).
 *
 * One vocabulary: an op is one range of the batch; a chunk is the part of
 * an op in one guest page.  An op moves either *cached*, through the
 * file's cache of the VMM's pages, or *pinned*, with the VMM's pages
 * pinned.  bpfpoke_op_cached_locked() is the cached way for an op the
 * caller runs under the cache lock it already holds.
 */
#ifndef _BPFPOKE_ACCESS_H
#define _BPFPOKE_ACCESS_H

#include <linux/kvm_types.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/string.h>

#include <uapi/linux/bpfpoke.h>

#include "bpfpoke.h"
#include "guest.h"

/*
 * Writes up to this size are copied from the agent first and then into
 * guest memory, so they move whole without faulting the buffer in.
 */
#define BPFPOKE_STAGE_LEN	64

/* Ops up to this long go the cached way; they touch at most 2 pages. */
#define BPFPOKE_CACHED_LEN	PAGE_SIZE

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

static inline bool bpfpoke_op_write(const struct bpfpoke_op *op)
{
	return op->flags & BPFPOKE_OP_WRITE;
}

/* The op's bytes are in its @buf, not behind it. */
static inline bool bpfpoke_op_inline(const struct bpfpoke_op *op)
{
	return op->flags & BPFPOKE_OP_INLINE;
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

/* A read's bytes into an inline op's @buf: the rest of it 0. */
static inline void bpfpoke_op_inline_set(struct bpfpoke_op *op,
					 const void *bytes)
{
	op->buf = 0;
	bpfpoke_copy(&op->buf, bytes, op->len);
}

/* Not a conditional expression: int and u32 would meet as unsigned. */
static inline void bpfpoke_op_done(struct bpfpoke_op *op, int err)
{
	if (err)
		op->result = err;
	else
		op->result = op->len;
}

/* Pages the op touches: its chunk count. */
static inline size_t bpfpoke_op_chunks(const struct bpfpoke_op *op)
{
	return (offset_in_page(op->addr) + (u64)op->len + PAGE_SIZE - 1) >>
	       PAGE_SHIFT;
}

/* Length of the chunk that starts @done bytes into the op. */
static inline u32 bpfpoke_chunk_len(const struct bpfpoke_op *op, u32 done)
{
	return min_t(u64, op->len - done,
		     PAGE_SIZE - offset_in_page(op->addr + done));
}

/*
 * The memslot of guest-physical @gpa for a chunk, and the checks of a
 * write there: the part of bpfpoke_chunk_resolve() after translation,
 * which is all of it for the commonest op.
 */
static __always_inline int bpfpoke_phys_resolve(struct kvm *kvm, u64 gpa,
						bool write,
						struct bpfpoke_chunk *c)
{
	c->gfn = gpa_to_gfn(gpa);
	c->slot = bpfpoke_gfn_to_slot(kvm, c->gfn);
	if (!c->slot)
		return -EFAULT;
	return write ? bpfpoke_check_write(kvm, c->slot) : 0;
}

/* access.c */
int bpfpoke_chunk_resolve(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op,
			  struct bpfpoke_xlat *xlat, u32 done,
			  struct bpfpoke_chunk *c);

/* access_cached.c */
int bpfpoke_op_cached(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op);
int bpfpoke_op_cached_locked(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op);

/* access_pinned.c */
int bpfpoke_op_pin(struct bpfpoke_ctx *ctx, const struct bpfpoke_op *op,
		   struct bpfpoke_chunk *chunks);
int bpfpoke_op_check_buf(const struct bpfpoke_op *op);
int bpfpoke_op_execute(struct bpfpoke_op *op,
		       const struct bpfpoke_chunk *chunks);
void bpfpoke_chunks_release(struct bpfpoke_chunk *chunks, size_t nr,
			    bool dirty);
int bpfpoke_op_pinned(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op,
		      struct bpfpoke_chunk *chunks);

#endif /* _BPFPOKE_ACCESS_H */
