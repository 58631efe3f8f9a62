// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: BPFPOKE_ACCESS, batched reads and writes of guest memory:
 * the ioctl, its checks, and running a batch.  Each op moves the cached
 * way (access_cached.c) when it can, else the pinned way
 * (access_pinned.c); guest memory itself is reached as guest.c says.
 * With BPFPOKE_ACCESS_ALL_OR_NOTHING every op of the batch is pinned and
 * resolved before the first byte moves, under one kvm->srcu read section
 * so that the memslots cannot change in between.
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

#include "access.h"

#define BPFPOKE_ACCESS_FLAGS	(BPFPOKE_ACCESS_VIRT | BPFPOKE_ACCESS_ALL_OR_NOTHING)
#define BPFPOKE_OP_FLAGS	(BPFPOKE_OP_WRITE | BPFPOKE_OP_INLINE)

/* Guest-physical address bits of a page-table root (and of any PTE). */
#define BPFPOKE_ROOT_MASK	GENMASK_ULL(51, 12)

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
 * Translate and check the chunk that starts @done bytes into @op, in
 * address order: the guest-virtual walk, the memslot, write permission.
 */
int bpfpoke_chunk_resolve(struct bpfpoke_ctx *ctx,
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
	return bpfpoke_phys_resolve(ctx->kvm, gpa, bpfpoke_op_write(op), c);
}

/* One op, cached if it is small enough and the cache serves it, else pinned. */
static int bpfpoke_op_run(struct bpfpoke_ctx *ctx, struct bpfpoke_op *op,
			  struct bpfpoke_chunk *chunks)
{
	int err = -EAGAIN;

	if (op->len <= BPFPOKE_CACHED_LEN)
		err = bpfpoke_op_cached(ctx, op);
	if (err == -EAGAIN)
		err = bpfpoke_op_pinned(ctx, op, chunks);
	return err;
}

/*
 * A group of guest-physical ops, under one hold of the cache lock but for
 * the ops that bpfpoke_op_cached_locked() cannot take.
 */
static void bpfpoke_run_phys(struct bpfpoke_ctx *ctx, struct bpfpoke_op *ops,
			     u32 n, struct bpfpoke_chunk *chunks)
{
	int err;
	u32 i;

	spin_lock(&ctx->cache->lock);
	for (i = 0; i < n; i++) {
		err = bpfpoke_op_cached_locked(ctx, &ops[i]);
		if (err == -EAGAIN) {
			spin_unlock(&ctx->cache->lock);
			err = bpfpoke_op_run(ctx, &ops[i], chunks);
			spin_lock(&ctx->cache->lock);
		}
		bpfpoke_op_done(&ops[i], err);
	}
	spin_unlock(&ctx->cache->lock);
}

/* Ops between two looks at signals, and under one kvm->srcu section. */
#define BPFPOKE_GROUP_OPS	64

/*
 * Without ALL_OR_NOTHING: every op is attempted, in order, each cached
 * under the held lock if it can, else by bpfpoke_op_run().  kvm->srcu and the cache lock are held
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
				err = bpfpoke_op_run(ctx, &ops[i], chunks);
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
	if ((op->flags & BPFPOKE_OP_INLINE) && op->len > BPFPOKE_OP_INLINE_MAX)
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
	u32 i, in_group = 0;
	u64 batch_len = 0;
	int err;

	for (i = 0; i < nr_ops; i++) {
		err = bpfpoke_check_op(&ops[i]);
		if (err)
			goto out_bad;
		batch_len += ops[i].len;
		if (batch_len > BPFPOKE_MAX_BATCH_LEN) {
			err = -E2BIG;
			goto out_bad;
		}
		/* Not i % group: a division per op shows in small ops. */
		if (in_group == group) {
			in_group = 0;
			sum = 0;
		}
		in_group++;
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
 * Hand back every op's result (and an inline read's bytes) and the
 * success count.  They go out in one user access section: a put_user()
 * each would cost a noticeable part of a small op.
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
		if (ops[i].result < 0)
			continue;
		nr_done++;
		if (bpfpoke_op_inline(&ops[i]) && !bpfpoke_op_write(&ops[i]))
			unsafe_put_user(ops[i].buf, &uops[i].buf, out_fault);
	}
	user_write_access_end();
	if (put_user(nr_done, &uargs->nr_done))
		return -EFAULT;
	return 0;

out_fault:
	user_write_access_end();
	return -EFAULT;
}

/* Batches of more ops than this use the file's kept op array. */
#define BPFPOKE_OPS_KEPT_MIN	64

/*
 * Room for @nr ops.  A large batch uses the file's kept array when no
 * other BPFPOKE_ACCESS on the file holds it: allocating 128 KiB per call
 * (and zeroing it, with init_on_alloc) cost a tenth of a batch of 4096
 * small ops.  *@kept says which it is.  Return NULL on -ENOMEM.
 */
static struct bpfpoke_op *bpfpoke_ops_get(struct bpfpoke_file *bf, u32 nr,
					  bool *kept)
{
	*kept = false;
	if (nr > BPFPOKE_OPS_KEPT_MIN && mutex_trylock(&bf->ops_lock)) {
		if (!bf->ops)
			bf->ops = kvmalloc_array(BPFPOKE_MAX_OPS, sizeof(*bf->ops),
						 GFP_KERNEL_ACCOUNT);
		if (bf->ops) {
			*kept = true;
			return bf->ops;
		}
		mutex_unlock(&bf->ops_lock);
	}
	return kvmalloc_array(nr, sizeof(struct bpfpoke_op), GFP_KERNEL_ACCOUNT);
}

static void bpfpoke_ops_put(struct bpfpoke_file *bf, struct bpfpoke_op *ops,
			    bool kept)
{
	if (kept)
		mutex_unlock(&bf->ops_lock);
	else
		kvfree(ops);
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
	bool all, kept;
	long ret;

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
	ops = bpfpoke_ops_get(bf, args.nr_ops, &kept);
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
	bpfpoke_ops_put(bf, ops, kept);
	return ret;
}
