/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke module internals shared between the files of kmod/.
 */
#ifndef _BPFPOKE_INTERNAL_H
#define _BPFPOKE_INTERNAL_H

#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/types.h>

#include <asm/barrier.h>

struct kvm;
struct kvm_memory_slot;
struct mm_struct;

/* Limits reported by BPFPOKE_GET_API and enforced by BPFPOKE_ACCESS. */
#define BPFPOKE_MAX_OPS		4096
#define BPFPOKE_MAX_OP_LEN	SZ_1M
#define BPFPOKE_MAX_BATCH_LEN	SZ_16M

/**
 * struct bpfpoke_file - state of one open /dev/bpfpoke
 * @lock: serialises BPFPOKE_ATTACH calls on this file
 * @kvm: the attached VM, referenced with kvm_get_kvm_safe(); NULL before
 *	 BPFPOKE_ATTACH.  Set once, with release semantics, and never changed
 *	 until the file is released, so the other ioctls read it with
 *	 bpfpoke_file_kvm() and no lock.
 */
struct bpfpoke_file {
	struct mutex lock;	/* serialises BPFPOKE_ATTACH */
	struct kvm *kvm;
};

/**
 * struct bpfpoke_ctx - what one BPFPOKE_ACCESS works on
 * @kvm: the attached VM; the caller holds kvm->srcu
 * @mm: the VMM's address space, kvm->mm, held with mmget_not_zero()
 * @root: guest-physical address of the top-level page table
 * @levels: paging levels, 4 or 5; 0 for guest-physical addressing
 */
struct bpfpoke_ctx {
	struct kvm *kvm;
	struct mm_struct *mm;
	u64 root;
	u32 levels;
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

/* pgwalk.c */
int bpfpoke_walk(struct bpfpoke_ctx *ctx, u64 va, u64 *base, u64 *size);

#endif /* _BPFPOKE_INTERNAL_H */
