// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: BPFPOKE_ATTACH binds an open /dev/bpfpoke to one KVM VM;
 * BPFPOKE_GET_REGIONS lists that VM's guest-physical RAM.
 *
 * From KVM the module uses three exported functions, all other access
 * goes through the inline helpers of linux/kvm_host.h:
 *
 *  - file_is_kvm() tells a VM file from any other file, on the kernels
 *    that export it to every GPL module (before 6.18); later kernels keep
 *    it for kvm-amd and kvm-intel, and bpfpoke_file_is_kvm_vm() in
 *    compat.h recognises the file by what only KVM_CREATE_VM gives it;
 *  - kvm_get_kvm_safe() and kvm_put_kvm() hold the VM for the lifetime of
 *    the open /dev/bpfpoke, so memslots and kvm->mm stay valid after the
 *    VMM closes its fd or exits.  Every kernel exports them (for VFIO).
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/sched/mm.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#include <uapi/linux/bpfpoke.h>

#include "bpfpoke.h"
#include "compat.h"
#include "guest.h"

long bpfpoke_attach(struct bpfpoke_file *bf, void __user *argp)
{
	struct bpfpoke_attach args;
	struct kvm *kvm;
	struct fd f;
	long ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved[0] || args.reserved[1])
		return -EINVAL;

	f = fdget(args.vm_fd);
	if (!fd_file(f))
		return -EBADF;
	/* Not a /dev/kvm fd, a vCPU fd or a device fd: only a VM fd. */
	if (!bpfpoke_file_is_kvm_vm(fd_file(f))) {
		ret = -EINVAL;
		goto out_fdput;
	}
	kvm = fd_file(f)->private_data;

	mutex_lock(&bf->lock);
	if (bf->kvm) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/*
	 * The open fd pins the VM file, but the VM may already be on its way
	 * out if its last user reference is gone; never resurrect it.
	 */
	if (!kvm_get_kvm_safe(kvm)) {
		ret = -ESRCH;
		goto out_unlock;
	}
	/* Publish the reference; readers use bpfpoke_file_kvm(). */
	smp_store_release(&bf->kvm, kvm);
	ret = 0;

out_unlock:
	mutex_unlock(&bf->lock);
out_fdput:
	fdput(f);
	return ret;
}

/* Called from release, when no ioctl can run on the file any more. */
void bpfpoke_detach(struct bpfpoke_file *bf)
{
	if (bf->kvm)
		kvm_put_kvm(bf->kvm);
	bf->kvm = NULL;
}

static void bpfpoke_fill_region(struct bpfpoke_region *r,
				const struct kvm_memory_slot *slot)
{
	memset(r, 0, sizeof(*r));
	r->gpa = gfn_to_gpa(slot->base_gfn);
	r->size = (u64)slot->npages << PAGE_SHIFT;
	if (slot->flags & KVM_MEM_READONLY)
		r->flags |= BPFPOKE_REGION_READONLY;
	r->slot = ((u32)slot->as_id << 16) | (u16)slot->id;
}

long bpfpoke_get_regions(struct bpfpoke_file *bf, void __user *argp)
{
	struct bpfpoke_regions __user *uargs = argp;
	struct bpfpoke_region __user *uregions;
	struct kvm_memslot_iter iter;
	struct bpfpoke_regions args;
	struct bpfpoke_region r;
	struct kvm *kvm;
	u32 count = 0;
	int as_id, idx;
	long ret = 0;

	kvm = bpfpoke_file_kvm(bf);
	if (!kvm)
		return -ENOTCONN;
	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved[0] || args.reserved[1])
		return -EINVAL;
	/*
	 * The memslots outlive the VMM while we hold the VM, but the memory
	 * behind them went with the VMM's mm: say so rather than list it.
	 */
	if (!mmget_not_zero(kvm->mm))
		return -ESRCH;
	mmput(kvm->mm);

	uregions = u64_to_user_ptr(args.regions);
	idx = srcu_read_lock(&kvm->srcu);
	for (as_id = 0; as_id < bpfpoke_nr_address_spaces(kvm); as_id++) {
		/* The gfn tree, unlike the id hash, lists slots by address. */
		kvm_for_each_memslot_in_gfn_range(&iter, __kvm_memslots(kvm, as_id),
						  0, U64_MAX) {
			if (!bpfpoke_slot_usable(iter.slot))
				continue;
			if (count < args.nr_regions) {
				bpfpoke_fill_region(&r, iter.slot);
				if (copy_to_user(&uregions[count], &r, sizeof(r))) {
					ret = -EFAULT;
					goto out_unlock;
				}
			}
			count++;
		}
	}
out_unlock:
	srcu_read_unlock(&kvm->srcu, idx);
	if (ret)
		return ret;

	if (put_user(count, &uargs->nr_regions))
		return -EFAULT;
	return 0;
}
