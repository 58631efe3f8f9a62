/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke: the cache of the VMM's pages, inside (cache.c); for the files
 * that look entries up (guest.c, access_cached.c).
 */
#ifndef _BPFPOKE_CACHE_H
#define _BPFPOKE_CACHE_H

#include <linux/hashtable.h>
#include <linux/hmm.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include "bpfpoke.h"

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

/*
 * A page that the cache could not serve after this many rounds of
 * faulting it in (each undone by an invalidation) is pinned instead.
 */
#define BPFPOKE_CACHED_TRIES	4

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

int bpfpoke_cache_fault(struct bpfpoke_cache *cache, struct mm_struct *mm,
			unsigned long hva, bool write);

#endif /* _BPFPOKE_CACHE_H */
