/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke: the memslot primitives every op runs, once per page it
 * touches.  Inline: a batch of small ops calls them thousands of times,
 * and out of line the calls cost more than the work (under TCG, a call
 * and its return are two lookups of translated code each).
 */
#ifndef _BPFPOKE_GUEST_H
#define _BPFPOKE_GUEST_H

#include <linux/kvm_host.h>

#include "compat.h"

/**
 * bpfpoke_slot_usable() - whether a memslot is guest RAM the VMM maps
 * @slot: a memslot, or NULL
 *
 * Follows KVM's own notion of a visible slot: the x86 internal slots (APIC
 * access page, TSS, identity map) are not the VMM's, and a slot that is
 * being deleted or moved is marked KVM_MEMSLOT_INVALID.  guest_memfd slots
 * are left out too, as the VMM's mm does not show their memory.
 */
static inline bool bpfpoke_slot_usable(struct kvm_memory_slot *slot)
{
	return kvm_is_visible_memslot(slot) && !bpfpoke_slot_is_gmem(slot);
}

/* Guest-physical accesses use address space 0, as kvm_read_guest() does. */
static inline struct kvm_memory_slot *
bpfpoke_gfn_to_slot(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(kvm), gfn);
	return bpfpoke_slot_usable(slot) ? slot : NULL;
}

/*
 * Writes must not reach read-only memory, and must not escape the dirty
 * log: with a dirty ring KVM logs into the ring of the running vCPU, there
 * is none here, and the slot has no bitmap to log into instead (6.1's
 * mark_page_dirty_in_slot() would WARN and drop the entry).
 */
static inline int bpfpoke_check_write(struct kvm *kvm,
				      const struct kvm_memory_slot *slot)
{
	if (slot->flags & KVM_MEM_READONLY)
		return -EROFS;
	if (READ_ONCE(kvm->dirty_ring_size) && kvm_slot_dirty_track_enabled(slot))
		return -EOPNOTSUPP;
	return 0;
}

/* What mark_page_dirty_in_slot() does for a VM without a dirty ring. */
static inline void bpfpoke_mark_dirty(struct kvm_memory_slot *slot, gfn_t gfn)
{
	if (kvm_slot_dirty_track_enabled(slot) && slot->dirty_bitmap)
		set_bit_le(gfn - slot->base_gfn, slot->dirty_bitmap);
}

#endif /* _BPFPOKE_GUEST_H */
