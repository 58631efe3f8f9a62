// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: a cache of the VMM's pages, kept coherent with the VMM's page
 * tables by MMU interval notifiers (the HMM mirror pattern of
 * Documentation/mm/hmm.rst).
 *
 * Pinning a page per op costs as much as the op itself for small scattered
 * ops, and is what process_vm_writev() pays too.  Instead, each open file
 * mirrors the VMM's page tables in windows of 2 MiB of the VMM's address
 * space: an array of hmm_range_fault() results (pfn and write permission)
 * and an mmu_interval_notifier over the window.  An entry is used only
 * under the cache lock, and the notifier clears the entries an
 * invalidation covers under that same lock, before the VMM's page-table
 * entries change.  Whatever unmaps, migrates, reclaims, splits, COWs or
 * write-protects a page (munmap, MADV_DONTNEED, fork, KSM, mprotect,
 * writeback, exit) invalidates first, so a page found in the cache is
 * still mapped in the VMM, with the permission it was found with, for as
 * long as the lock is held: it cannot be freed or reused under the copy,
 * although the cache holds no reference on it.
 *
 * The windows are keyed by the VMM's virtual address, not by gfn:
 * memslots are looked up afresh for every op, so memslot changes need no
 * flush, and the cache holds only what the VMM's own page tables say.
 *
 * Locking, outermost first:
 *  - fill_lock (mutex) serialises adding, filling and freeing windows; it
 *    is taken without the VMM's mmap lock, and never by the notifier;
 *  - the VMM's mmap lock, for hmm_range_fault();
 *  - lock (spinlock) guards the entries, the hash and the use stamps;
 *    the notifier takes it.  Under it the copy runs from or to kernel memory
 *    only: the agent may be the VMM, and a fault on its buffer there
 *    could invalidate and wait for this lock.
 * A window is looked up under either lock and changed under both, and is
 * freed only under fill_lock after mmu_interval_notifier_remove().
 */
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <uapi/linux/magic.h>

#include "bpfpoke.h"
#include "cache.h"
#include "compat.h"

/*
 * At most this many windows per open file: 1 GiB of guest memory mirrored
 * at about 4.2 KiB a window, whatever the batches ask for.
 */
#define BPFPOKE_CACHE_MAX_WINDOWS	512

/*
 * A fill that keeps colliding with invalidations gives up after this
 * many rounds and lets the caller pin instead, which always progresses.
 */
#define BPFPOKE_FILL_TRIES	8

void bpfpoke_cache_init(struct bpfpoke_cache *cache)
{
	spin_lock_init(&cache->lock);
	mutex_init(&cache->fill_lock);
	hash_init(cache->windows);
	cache->clock = 0;
	cache->nr_windows = 0;
	cache->scratch = NULL;
}

/*
 * Called before the VMM's page tables change in the window: from then on
 * the pages the range covers may go, so forget them.  Taking a spinlock
 * does not sleep, but a caller that may not block (the OOM reaper) should
 * not spin either: it is told to come back later.
 */
static bool bpfpoke_window_invalidate(struct mmu_interval_notifier *notifier,
				      const struct mmu_notifier_range *range,
				      unsigned long cur_seq)
{
	struct bpfpoke_window *win = container_of(notifier, struct bpfpoke_window,
						  notifier);
	struct bpfpoke_cache *cache = win->cache;
	unsigned long first, end;

	if (mmu_notifier_range_blockable(range))
		spin_lock(&cache->lock);
	else if (!spin_trylock(&cache->lock))
		return false;

	mmu_interval_set_seq(notifier, cur_seq);
	if (win->whole) {
		/* One entry stands for all the pages: forget them all. */
		win->whole = 0;
		first = 0;
		end = BPFPOKE_WINDOW_PAGES;
	} else {
		/* Only ranges that overlap the window get here. */
		first = (max(range->start, win->start) - win->start) >> PAGE_SHIFT;
		end = min(range->end - win->start, BPFPOKE_WINDOW_SIZE);
		end = DIV_ROUND_UP(end, PAGE_SIZE);
	}
	if (end > first)
		memset(&win->pfns[first], 0, (end - first) * sizeof(win->pfns[0]));

	spin_unlock(&cache->lock);
	return true;
}

static const struct mmu_interval_notifier_ops bpfpoke_window_ops = {
	.invalidate = bpfpoke_window_invalidate,
};

static void bpfpoke_window_free(struct bpfpoke_window *win)
{
	/* Waits for a running invalidate; none is called after it returns. */
	mmu_interval_notifier_remove(&win->notifier);
	kfree(win->pfns);
	kfree(win);
}

/*
 * Drop the least recently used window.  fill_lock is held.  The scan is
 * bounded by BPFPOKE_CACHE_MAX_WINDOWS and happens only on a miss, while
 * a hit only stamps its window.
 */
static void bpfpoke_cache_evict(struct bpfpoke_cache *cache)
{
	struct bpfpoke_window *win, *victim = NULL;
	int bkt;

	spin_lock(&cache->lock);
	hash_for_each(cache->windows, bkt, win, node)
		if (!victim || win->used < victim->used)
			victim = win;
	hash_del(&victim->node);
	spin_unlock(&cache->lock);
	cache->nr_windows--;
	bpfpoke_window_free(victim);
}

/*
 * The window over @start, added (empty) when missing.  fill_lock is held,
 * and the caller holds a reference on @mm's users, as inserting a notifier
 * requires.  NULL when memory for it is short.
 */
static struct bpfpoke_window *bpfpoke_window_get(struct bpfpoke_cache *cache,
						 struct mm_struct *mm,
						 unsigned long start)
{
	struct bpfpoke_window *win;

	lockdep_assert_held(&cache->fill_lock);
	win = bpfpoke_window_find(cache, start);
	if (win)
		return win;

	if (!cache->scratch) {
		cache->scratch = kcalloc(BPFPOKE_WINDOW_PAGES,
					 sizeof(*cache->scratch),
					 GFP_KERNEL_ACCOUNT);
		if (!cache->scratch)
			return NULL;
	}
	if (cache->nr_windows >= BPFPOKE_CACHE_MAX_WINDOWS)
		bpfpoke_cache_evict(cache);

	win = kzalloc_obj(*win, GFP_KERNEL_ACCOUNT);
	if (!win)
		return NULL;
	win->pfns = kcalloc(BPFPOKE_WINDOW_PAGES, sizeof(*win->pfns),
			    GFP_KERNEL_ACCOUNT);
	if (!win->pfns)
		goto err_free;
	win->cache = cache;
	win->start = start;
	/* The first one in an mm takes the mmap lock for writing. */
	if (mmu_interval_notifier_insert(&win->notifier, mm, start,
					 BPFPOKE_WINDOW_SIZE,
					 &bpfpoke_window_ops))
		goto err_free;

	spin_lock(&cache->lock);
	win->used = ++cache->clock;
	hash_add(cache->windows, &win->node, start >> BPFPOKE_WINDOW_SHIFT);
	spin_unlock(&cache->lock);
	cache->nr_windows++;
	return win;

err_free:
	kfree(win->pfns);
	kfree(win);
	return NULL;
}

/*
 * Whether pages of @vma may be reached through the kernel's direct map, as
 * GUP would allow them (hmm_range_fault() already refuses VM_IO, VM_PFNMAP
 * and unreadable mappings).  memfd_secret() pages are not in the direct
 * map, and vma_is_secretmem() is not exported: recognise their file
 * system.
 */
static bool bpfpoke_vma_ok(const struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_IO | VM_PFNMAP) || !(vma->vm_flags & VM_READ))
		return false;
	return !vma->vm_file ||
	       file_inode(vma->vm_file)->i_sb->s_magic != SECRETMEM_MAGIC;
}

/*
 * Keep what the snapshot in cache->scratch says only for pages of usable
 * mappings.  The VMM's mmap lock is held.
 */
static void bpfpoke_scratch_filter(struct bpfpoke_cache *cache,
				   struct mm_struct *mm, unsigned long start)
{
	unsigned long end = start + BPFPOKE_WINDOW_SIZE, addr, i, entry;
	struct vm_area_struct *vma = NULL;

	for (addr = start, i = 0; addr < end; addr += PAGE_SIZE, i++) {
		entry = cache->scratch[i];
		if ((entry & (HMM_PFN_VALID | HMM_PFN_ERROR)) != HMM_PFN_VALID) {
			cache->scratch[i] = 0;
			continue;
		}
		if (!vma || addr >= vma->vm_end)
			vma = find_vma(mm, addr);
		/* A valid entry lies in a VMA; be strict all the same. */
		if (!vma || addr < vma->vm_start || !bpfpoke_vma_ok(vma))
			cache->scratch[i] = 0;
		else
			cache->scratch[i] = entry & (BPFPOKE_ENTRY_PFN |
						     BPFPOKE_ENTRY_VALID |
						     BPFPOKE_ENTRY_WRITE);
	}
}

/*
 * Install the snapshot in @win.  The cache lock is held and the snapshot
 * still valid, so its pages are mapped and their struct pages stable:
 * only now is it safe to look at them.  Device memory (ZONE_DEVICE: DAX,
 * P2P) is left to GUP, which knows its rules.  A window that one folio
 * maps whole, with the same permission throughout, gets one entry for
 * all its pages.  Entries start clean: see bpfpoke_entry_dirty() in
 * access.c.
 */
static void bpfpoke_window_install(struct bpfpoke_cache *cache,
				   struct bpfpoke_window *win)
{
	unsigned long first = cache->scratch[0], i, entry;
	bool whole = first;

	lockdep_assert_held(&cache->lock);
	for (i = 0; i < BPFPOKE_WINDOW_PAGES; i++) {
		entry = cache->scratch[i];
		if (entry && is_zone_device_page(bpfpoke_entry_page(entry)))
			entry = 0;
		/* The same flags, and the pfns in a row. */
		if (entry != first + i)
			whole = false;
		win->pfns[i] = entry;
	}
	/* Folios are physically contiguous: one holds the first and last. */
	if (whole && page_folio(bpfpoke_entry_page(first)) !=
		     page_folio(bpfpoke_entry_page(win->pfns[BPFPOKE_WINDOW_PAGES - 1])))
		whole = false;
	win->whole = whole ? first : 0;
}

/*
 * One round of filling @win so that it holds @hva: fault in that one
 * page as the access needs, snapshot the rest of the window without
 * faulting anything (neighbouring ops are likely to hit it), and install
 * the snapshot unless an invalidation overlapped.
 *
 * Return: 0; -EBUSY to go round again; -EAGAIN when the page cannot be
 * cached (the caller pins it instead, which reports the exact error);
 * -EINTR on a fatal signal.
 */
static int bpfpoke_window_fill(struct bpfpoke_cache *cache,
			       struct bpfpoke_window *win, struct mm_struct *mm,
			       unsigned long hva, bool write)
{
	struct vm_area_struct *vma;
	unsigned long one = 0;
	struct hmm_range range = {
		.notifier = &win->notifier,
		.start = hva & PAGE_MASK,
		.end = (hva & PAGE_MASK) + PAGE_SIZE,
		.hmm_pfns = &one,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
	};
	bool ok;
	int err;

	range.notifier_seq = mmu_interval_read_begin(&win->notifier);
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, hva);
	if (!vma || hva < vma->vm_start || !bpfpoke_vma_ok(vma)) {
		err = -EAGAIN;
		goto out_unlock;
	}
	/* Fault in the page asked for, and no other. */
	err = hmm_range_fault(&range);
	if (err)
		goto out_unlock;
	range.start = win->start;
	range.end = win->start + BPFPOKE_WINDOW_SIZE;
	range.hmm_pfns = cache->scratch;
	range.default_flags = 0;
	range.pfn_flags_mask = 0;
	err = hmm_range_fault(&range);
	if (!err)
		bpfpoke_scratch_filter(cache, mm, win->start);
out_unlock:
	mmap_read_unlock(mm);
	if (err == -EBUSY || err == -EINTR || err == -EAGAIN)
		return err;
	/* hmm_range_fault() flattens fault errors: let GUP say which. */
	if (err)
		return -EAGAIN;

	spin_lock(&cache->lock);
	if (mmu_interval_read_retry(&win->notifier, range.notifier_seq)) {
		spin_unlock(&cache->lock);
		return -EBUSY;
	}
	bpfpoke_window_install(cache, win);
	ok = bpfpoke_entry_ok(win->whole ?:
			      win->pfns[(hva - win->start) >> PAGE_SHIFT], write);
	spin_unlock(&cache->lock);
	/* Faulted in but not usable here (device memory): pin it. */
	return ok ? 0 : -EAGAIN;
}

/**
 * bpfpoke_cache_fault() - make the cache hold the VMM's page at an address
 * @cache: the cache, its lock not held
 * @mm: the VMM's mm, with a reference on its users; its mmap lock not held
 * @hva: the VMM's address
 * @write: whether the page is to be written (faults it in for writing)
 *
 * Faults the page in like a vCPU's access would.  The page may be gone
 * again by the time the caller takes the cache lock: it looks it up
 * there with bpfpoke_cache_entry() and calls this again if needed.
 *
 * Return: 0; -EAGAIN when the page cannot be cached or the fill keeps
 * colliding with invalidations (pin it instead: that reports the exact
 * error when there is one); -EINTR on a fatal signal.
 */
int bpfpoke_cache_fault(struct bpfpoke_cache *cache, struct mm_struct *mm,
			unsigned long hva, bool write)
{
	struct bpfpoke_window *win;
	unsigned long *entry;
	struct page *page;
	bool cached;
	int err, i;

	spin_lock(&cache->lock);
	entry = bpfpoke_cache_entry(cache, hva, &page);
	cached = entry && bpfpoke_entry_ok(*entry, write);
	spin_unlock(&cache->lock);
	if (cached)
		return 0;

	if (mutex_lock_killable(&cache->fill_lock))
		return -EINTR;
	win = bpfpoke_window_get(cache, mm, hva & ~(BPFPOKE_WINDOW_SIZE - 1));
	err = -EAGAIN;
	for (i = 0; win && i < BPFPOKE_FILL_TRIES; i++) {
		err = bpfpoke_window_fill(cache, win, mm, hva, write);
		if (err != -EBUSY)
			break;
	}
	mutex_unlock(&cache->fill_lock);
	return err == -EBUSY ? -EAGAIN : err;
}

/*
 * Called at release, when no ioctl runs on the file any more; the VMM's
 * mm may be gone (its exit invalidated every window), each notifier still
 * holds the mm_struct itself.
 */
void bpfpoke_cache_destroy(struct bpfpoke_cache *cache)
{
	struct bpfpoke_window *win;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(cache->windows, bkt, tmp, win, node) {
		hash_del(&win->node);
		bpfpoke_window_free(win);
	}
	cache->nr_windows = 0;
	kfree(cache->scratch);
	cache->scratch = NULL;
	mutex_destroy(&cache->fill_lock);
}
