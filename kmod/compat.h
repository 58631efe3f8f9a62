/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke: the few places where the kernel API differs between the kernels
 * the module builds for (6.1 and later).  Each helper names the version it
 * serves; drop it once that version is no longer supported.
 */
#ifndef _BPFPOKE_COMPAT_H
#define _BPFPOKE_COMPAT_H

#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/version.h>

/*
 * checkpatch rightly keeps version tests out of in-tree code, which is
 * built for one kernel; this out-of-tree module is built for several, so
 * this header alone tests the version, with the split macros that
 * linux/version.h has had since 5.16.
 */
#ifndef LINUX_VERSION_MAJOR
#error "bpfpoke needs Linux 6.1 or later"
#endif
#define BPFPOKE_KERNEL_AT_LEAST(major, minor)				\
	(KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0) >= \
	 KERNEL_VERSION(major, minor, 0))

/* 6.10 added fd_file(); 6.12 then made struct fd a tagged word. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/* 6.5 removed the vmas argument of pin_user_pages_remote(). */
static inline long bpfpoke_pin_user_pages_remote(struct mm_struct *mm,
						 unsigned long start,
						 unsigned long nr_pages,
						 unsigned int gup_flags,
						 struct page **pages)
{
#if BPFPOKE_KERNEL_AT_LEAST(6, 5)
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, NULL);
#endif
}

/*
 * 6.8 replaced KVM_ADDRESS_SPACE_NUM by a per-VM count: x86 VMs with
 * private memory have no SMM address space.
 */
static inline int bpfpoke_nr_address_spaces(struct kvm *kvm)
{
#ifdef KVM_MAX_NR_ADDRESS_SPACES
	return kvm_arch_nr_memslot_as_ids(kvm);
#else
	return KVM_ADDRESS_SPACE_NUM;
#endif
}

/*
 * 6.8 added guest_memfd memslots.  KVM backs their private pages (and,
 * for the guest_memfd-only slots of later kernels, every page) with the
 * guest_memfd file rather than userspace_addr, so the VMM's mm need not
 * hold what the guest sees there.
 */
static inline bool bpfpoke_slot_is_gmem(const struct kvm_memory_slot *slot)
{
#ifdef KVM_MEM_GUEST_MEMFD
	return slot->flags & KVM_MEM_GUEST_MEMFD;
#else
	return false;
#endif
}

#endif /* _BPFPOKE_COMPAT_H */
