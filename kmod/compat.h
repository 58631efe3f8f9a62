/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke: the few places where the kernel API differs between the kernels
 * the module builds for (6.1 and later).  Each helper names the version it
 * serves; drop it once that version is no longer supported.
 */
#ifndef _BPFPOKE_COMPAT_H
#define _BPFPOKE_COMPAT_H

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>
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

/*
 * 7.0 added the typed allocators (kzalloc_obj() and friends), which its
 * checkpatch asks for; before, the same allocation is kzalloc(sizeof()).
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

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

/*
 * 6.18 exports file_is_kvm() to kvm-amd and kvm-intel only
 * (EXPORT_SYMBOL_FOR_KVM_INTERNAL, which came with that change, so its
 * presence is the test).  There a VM file is recognised by two things only
 * KVM's KVM_CREATE_VM gives a file, both out of userspace's reach:
 *
 *  - it is a file of the anonymous-inode pseudo filesystem, named "kvm-vm".
 *    Such files are made only by in-kernel callers of anon_inode_getfile()
 *    and friends, which choose the name; they cannot be opened by path,
 *    created, linked or renamed from userspace.  In the whole kernel tree
 *    the one caller that passes "kvm-vm" is kvm_dev_ioctl_create_vm(),
 *    with the struct kvm as private_data.  KVM's other files are named
 *    otherwise: "kvm-vcpu:N", "kvm-vm-stats", "kvm-vcpu-stats", the device
 *    names ("kvm-vfio", ...) and "[kvm-gmem]";
 *  - its f_op belongs to the module that brought KVM up: kvm_init() sets
 *    kvm_vm_fops.owner to the vendor module, kvm-amd or kvm-intel (module
 *    names are unique in a running kernel), and NULL when KVM is built in.
 *
 * Pseudo dentries are never renamed, so reading d_name needs no lock.
 */
#ifdef EXPORT_SYMBOL_FOR_KVM_INTERNAL
static inline bool bpfpoke_file_is_kvm_vm(struct file *file)
{
	struct module *owner = file->f_op->owner;

	if (file_inode(file)->i_sb->s_magic != ANON_INODE_FS_MAGIC)
		return false;
	if (strcmp((const char *)file->f_path.dentry->d_name.name, "kvm-vm"))
		return false;
	if (IS_BUILTIN(CONFIG_KVM))
		return !owner;
	return owner && (!strcmp(module_name(owner), "kvm_amd") ||
			 !strcmp(module_name(owner), "kvm_intel"));
}
#else
static inline bool bpfpoke_file_is_kvm_vm(struct file *file)
{
	return file_is_kvm(file);
}
#endif

#endif /* _BPFPOKE_COMPAT_H */
