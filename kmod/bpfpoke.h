/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke module internals shared between the files of kmod/.
 */
#ifndef _BPFPOKE_INTERNAL_H
#define _BPFPOKE_INTERNAL_H

#include <linux/bits.h>
#include <linux/hashtable.h>
#include <linux/hmm.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <asm/barrier.h>

struct kvm;
struct kvm_memory_slot;
struct mm_struct;

/* Limits reported by BPFPOKE_GET_API and enforced by BPFPOKE_ACCESS. */
#define BPFPOKE_MAX_OPS		4096
#define BPFPOKE_MAX_OP_LEN	SZ_1M
#define BPFPOKE_MAX_BATCH_LEN	SZ_16M

#define BPFPOKE_CACHE_HASH_BITS	8

/* The VMM's address range one cache window mirrors: a PMD, so a THP is one. */
#define BPFPOKE_WINDOW_SHIFT	21
#define BPFPOKE_WINDOW_SIZE	BIT(BPFPOKE_WINDOW_SHIFT)
#define BPFPOKE_WINDOW_PAGES	(BPFPOKE_WINDOW_SIZE >> PAGE_SHIFT)

/*
 * A cache entry is 0, or the pfn of a page the VMM maps with these bits.
 * They are hmm_pfn bits; HMM_PFN_ERROR entries are never stored, so its
 * bit is free to say that the entry has been written through.
 */
#define BPFPOKE_ENTRY_VALID	HMM_PFN_VALID	/* mapped readable */
#define BPFPOKE_ENTRY_WRITE	HMM_PFN_WRITE	/* mapped writable */
#define BPFPOKE_ENTRY_DIRTY	HMM_PFN_ERROR	/* folio marked dirty since the fill */
#define BPFPOKE_ENTRY_PFN	(~HMM_PFN_FLAGS)

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
 * struct bpfpoke_window - the mirror of 2 MiB of the VMM's address space
 * @notifier: invalidates @pfns and @whole; its mm is the VMM's
 * @cache: the cache this window belongs to
 * @node: in the cache's hash, keyed by @start
 * @start: the VMM's address of the first page, window aligned
 * @used: the cache's clock when the window was last used, for eviction
 * @whole: when one folio maps the whole window (a THP, a huge page), the
 *	   entry of its first page, which stands for all of them; else 0.
 *	   A lookup then touches no per-page entry, which matters when ops
 *	   scatter over many windows.
 * @pfns: an entry per page, used when @whole is 0
 */
struct bpfpoke_window {
	struct mmu_interval_notifier notifier;
	struct bpfpoke_cache *cache;
	struct hlist_node node;
	unsigned long start;
	u64 used;
	unsigned long whole;
	unsigned long *pfns;
};

static inline struct bpfpoke_window *
bpfpoke_window_find(struct bpfpoke_cache *cache, unsigned long start)
{
	struct bpfpoke_window *win;

	hash_for_each_possible(cache->windows, win, node,
			       start >> BPFPOKE_WINDOW_SHIFT)
		if (win->start == start)
			return win;
	return NULL;
}

static inline struct page *bpfpoke_entry_page(unsigned long entry)
{
	return pfn_to_page(entry & BPFPOKE_ENTRY_PFN);
}

/*
 * The entry for the VMM's address @hva, or NULL when no window holds it;
 * with an entry, *@page is the page mapped at @hva, to be used only if
 * bpfpoke_entry_ok() says so.  The caller holds the cache lock, and uses
 * both only under it.
 */
static inline unsigned long *bpfpoke_cache_entry(struct bpfpoke_cache *cache,
						 unsigned long hva,
						 struct page **page)
{
	unsigned long start = hva & ~(BPFPOKE_WINDOW_SIZE - 1);
	unsigned long i = (hva - start) >> PAGE_SHIFT;
	struct bpfpoke_window *win;

	lockdep_assert_held(&cache->lock);
	win = bpfpoke_window_find(cache, start);
	if (!win)
		return NULL;
	win->used = ++cache->clock;
	if (win->whole) {
		*page = pfn_to_page((win->whole & BPFPOKE_ENTRY_PFN) + i);
		return &win->whole;
	}
	*page = bpfpoke_entry_page(win->pfns[i]);
	return &win->pfns[i];
}

static inline bool bpfpoke_entry_ok(unsigned long entry, bool write)
{
	return (entry & BPFPOKE_ENTRY_VALID) &&
	       (!write || (entry & BPFPOKE_ENTRY_WRITE));
}

/**
 * struct bpfpoke_file - state of one open /dev/bpfpoke
 * @lock: serialises BPFPOKE_ATTACH calls on this file
 * @kvm: the attached VM, referenced with kvm_get_kvm_safe(); NULL before
 *	 BPFPOKE_ATTACH.  Set once, with release semantics, and never changed
 *	 until the file is released, so the other ioctls read it with
 *	 bpfpoke_file_kvm() and no lock.
 * @cache: the attached VM's pages, as BPFPOKE_ACCESS found them
 */
struct bpfpoke_file {
	struct mutex lock;	/* serialises BPFPOKE_ATTACH */
	struct kvm *kvm;
	struct bpfpoke_cache cache;
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
bool bpfpoke_slot_usable(struct kvm_memory_slot *slot);
int bpfpoke_read_phys_u64(struct bpfpoke_ctx *ctx, u64 gpa, u64 *val);

/* cache.c */
void bpfpoke_cache_init(struct bpfpoke_cache *cache);
void bpfpoke_cache_destroy(struct bpfpoke_cache *cache);
int bpfpoke_cache_fault(struct bpfpoke_cache *cache, struct mm_struct *mm,
			unsigned long hva, bool write);

/* pgwalk.c */
int bpfpoke_walk(struct bpfpoke_ctx *ctx, u64 va, u64 *base, u64 *size);

#endif /* _BPFPOKE_INTERNAL_H */
