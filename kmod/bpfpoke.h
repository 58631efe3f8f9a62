/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke module internals shared between the files of kmod/.
 */
#ifndef _BPFPOKE_INTERNAL_H
#define _BPFPOKE_INTERNAL_H

#include <linux/bits.h>
#include <linux/hashtable.h>
#include <linux/kvm_types.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <asm/barrier.h>

struct bpfpoke_op;
struct kvm;
struct kvm_memory_slot;
struct mm_struct;

/* Limits reported by BPFPOKE_GET_API and enforced by BPFPOKE_ACCESS. */
#define BPFPOKE_MAX_OPS		4096
#define BPFPOKE_MAX_OP_LEN	SZ_1M
#define BPFPOKE_MAX_BATCH_LEN	SZ_16M

#define BPFPOKE_CACHE_HASH_BITS	8

/**
 * struct bpfpoke_cache - the VMM's pages, mirrored (see cache.c)
 * @lock: guards every window's entries and @windows, and the @used stamps;
 *	  taken by the MMU notifier
 * @fill_lock: serialises adding, filling and freeing windows
 * @windows: the windows, hashed by the VMM's address
 * @clock: the last @used stamp handed out, under @lock
 * @nr_windows: how many there are, under @fill_lock
 * @scratch: one window's worth of hmm_range_fault() output, under @fill_lock
 */
struct bpfpoke_cache {
	spinlock_t lock;	/* the entries, @windows, @clock */
	struct mutex fill_lock;	/* adds, fills and frees windows */
	DECLARE_HASHTABLE(windows, BPFPOKE_CACHE_HASH_BITS);
	u64 clock;
	unsigned int nr_windows;
	unsigned long *scratch;
};

/**
 * struct bpfpoke_file - state of one open /dev/bpfpoke
 * @lock: serialises BPFPOKE_ATTACH calls on this file
 * @kvm: the attached VM, referenced with kvm_get_kvm_safe(); NULL before
 *	 BPFPOKE_ATTACH.  Set once, with release semantics, and never changed
 *	 until the file is released, so the other ioctls read it with
 *	 bpfpoke_file_kvm() and no lock.
 * @cache: the attached VM's pages, as BPFPOKE_ACCESS found them
 * @ops_lock: held by the BPFPOKE_ACCESS that uses @ops (trylock: another
 *	      at the same time allocates its own)
 * @ops: BPFPOKE_MAX_OPS ops' room for large batches' op arrays, kept from
 *	 one BPFPOKE_ACCESS to the next; NULL until the first needs it
 */
struct bpfpoke_file {
	struct mutex lock;	/* serialises BPFPOKE_ATTACH */
	struct kvm *kvm;
	struct bpfpoke_cache cache;
	struct mutex ops_lock;	/* @ops */
	struct bpfpoke_op *ops;
};

/**
 * struct bpfpoke_ctx - what one BPFPOKE_ACCESS works on
 * @kvm: the attached VM; the caller holds kvm->srcu
 * @mm: the VMM's address space, kvm->mm, held with mmget_not_zero()
 * @cache: the file's cache of the VMM's pages
 * @stage: a page-sized bounce buffer, allocated on first use; or NULL
 * @root: guest-physical address of the top-level page table
 * @levels: paging levels, 4 or 5; 0 for guest-physical addressing
 * @mm_locked: the caller holds @mm's mmap lock for reading
 */
struct bpfpoke_ctx {
	struct kvm *kvm;
	struct mm_struct *mm;
	struct bpfpoke_cache *cache;
	void *stage;
	u64 root;
	u32 levels;
	bool mm_locked;
};

/* The attached VM, or NULL before BPFPOKE_ATTACH. */
static inline struct kvm *bpfpoke_file_kvm(struct bpfpoke_file *bf)
{
	/* Pairs with the release in bpfpoke_attach(): the VM is referenced. */
	return smp_load_acquire(&bf->kvm);
}

/* attach.c */
long bpfpoke_attach(struct bpfpoke_file *bf, void __user *argp);
void bpfpoke_detach(struct bpfpoke_file *bf);
long bpfpoke_get_regions(struct bpfpoke_file *bf, void __user *argp);

/* access.c */
long bpfpoke_access(struct bpfpoke_file *bf, void __user *argp);

/* guest.c */
int bpfpoke_pin(struct bpfpoke_ctx *ctx, struct kvm_memory_slot *slot,
		gfn_t gfn, bool write, struct page **page);
int bpfpoke_read_phys_u64(struct bpfpoke_ctx *ctx, u64 gpa, u64 *val);

/* cache.c; its internals are cache.h's */
void bpfpoke_cache_init(struct bpfpoke_cache *cache);
void bpfpoke_cache_destroy(struct bpfpoke_cache *cache);

/* pgwalk.c */
int bpfpoke_walk(struct bpfpoke_ctx *ctx, u64 va, u64 *base, u64 *size);

#endif /* _BPFPOKE_INTERNAL_H */
