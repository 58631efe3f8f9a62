/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bpfpoke: batched access to the memory of a running KVM guest from a
 * process that is not its VMM.
 *
 * The device is /dev/bpfpoke; opening it needs CAP_SYS_ADMIN.  Every
 * structure has the same layout on 32 and 64 bit, is a multiple of 8 bytes,
 * carries user pointers as __u64 and has explicit padding.  Every reserved
 * field and every flag bit not defined here must be zero on input, or the
 * ioctl fails with EINVAL.  Unknown commands fail with ENOTTY.
 *
 * The ioctl magic 0xBF is not registered in ioctl-number.rst; this is an
 * out-of-tree driver.
 */
#ifndef _UAPI_LINUX_BPFPOKE_H
#define _UAPI_LINUX_BPFPOKE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define BPFPOKE_API_VERSION	1

/* Features reported by BPFPOKE_GET_API. */
#define BPFPOKE_FEATURE_ATTACH		_BITULL(0) /* BPFPOKE_ATTACH works */
#define BPFPOKE_FEATURE_REGIONS		_BITULL(1) /* BPFPOKE_GET_REGIONS works */
#define BPFPOKE_FEATURE_ACCESS_PHYS	_BITULL(2) /* guest-physical ops */
#define BPFPOKE_FEATURE_ACCESS_VIRT	_BITULL(3) /* guest-virtual ops */
#define BPFPOKE_FEATURE_ALL_OR_NOTHING	_BITULL(4) /* BPFPOKE_ACCESS_ALL_OR_NOTHING */
#define BPFPOKE_FEATURE_DIRTY_LOG	_BITULL(5) /* writes set KVM dirty-log bits */
#define BPFPOKE_FEATURE_OP_INLINE	_BITULL(6) /* BPFPOKE_OP_INLINE */

/**
 * struct bpfpoke_api - BPFPOKE_GET_API handshake
 * @api_version: out: BPFPOKE_API_VERSION of the running module
 * @flags: in: must be 0
 * @features: out: BPFPOKE_FEATURE_* bits the module implements
 * @max_ops: out: most ops one BPFPOKE_ACCESS batch may carry
 * @max_op_len: out: most bytes one op may move
 * @max_batch_len: out: most bytes one batch may move, all ops together
 * @reserved: in: must be 0; out: 0
 */
struct bpfpoke_api {
	__u32 api_version;
	__u32 flags;
	__u64 features;
	__u64 max_ops;
	__u64 max_op_len;
	__u64 max_batch_len;
	__u64 reserved[3];
};

/**
 * struct bpfpoke_attach - BPFPOKE_ATTACH
 * @vm_fd: in: a KVM VM file descriptor in the caller's file table, e.g.
 *	   taken from the VMM with pidfd_getfd()
 * @flags: in: must be 0
 * @reserved: in: must be 0
 *
 * Binds the open file to one VM for its lifetime.  The VM stays referenced
 * until the file is closed, also after the VMM closes @vm_fd or exits.
 * Several open files may attach to the same VM.
 *
 * Errors, checked in this order: EFAULT when the argument cannot be read;
 * EINVAL when @flags or @reserved is not 0; EBADF when @vm_fd is not an
 * open file descriptor; EINVAL when it is not a KVM VM (a regular file,
 * /dev/kvm, a vCPU or a device fd); EBUSY when this file is already
 * attached; ESRCH when the VM is already being destroyed.
 */
struct bpfpoke_attach {
	__s32 vm_fd;
	__u32 flags;
	__u64 reserved[2];
};

#define BPFPOKE_REGION_READONLY	_BITUL(0)

/**
 * struct bpfpoke_region - one guest-physical RAM region (a KVM memslot)
 * @gpa: guest-physical start
 * @size: length in bytes
 * @flags: BPFPOKE_REGION_*
 * @slot: KVM address space in bits 16..31, slot id in bits 0..15
 */
struct bpfpoke_region {
	__u64 gpa;
	__u64 size;
	__u32 flags;
	__u32 slot;
};

/**
 * struct bpfpoke_regions - BPFPOKE_GET_REGIONS
 * @nr_regions: in: capacity of @regions; out: number of regions the VM has
 *		(more than the capacity means the list was cut: call again)
 * @flags: in: must be 0
 * @regions: in: user pointer to an array of struct bpfpoke_region
 * @reserved: in: must be 0
 *
 * Lists the memslots of every KVM address space (on x86, 1 is SMM), by
 * address space, then by @gpa.  Slots that BPFPOKE_ACCESS cannot reach are
 * left out: KVM-internal slots, slots being deleted or moved, and
 * guest_memfd slots.  @regions may be 0 when @nr_regions is 0.
 *
 * Errors, checked in this order: ENOTCONN before BPFPOKE_ATTACH; EFAULT
 * when the argument cannot be read; EINVAL when @flags or @reserved is not
 * 0; ESRCH once the VMM has exited (the memslots remain, their memory is
 * gone); EFAULT when @regions cannot be written.
 */
struct bpfpoke_regions {
	__u32 nr_regions;
	__u32 flags;
	__u64 regions;
	__u64 reserved[2];
};

#define BPFPOKE_OP_WRITE	_BITUL(0) /* write buf to guest; else read */
#define BPFPOKE_OP_INLINE	_BITUL(1) /* @buf holds the bytes, not a pointer */

/* Most bytes an op with BPFPOKE_OP_INLINE moves: the size of @buf. */
#define BPFPOKE_OP_INLINE_MAX	8

/**
 * struct bpfpoke_op - one read or write in a BPFPOKE_ACCESS batch
 * @addr: guest-physical, or guest-virtual with BPFPOKE_ACCESS_VIRT
 * @buf: user pointer to @len bytes; with BPFPOKE_OP_INLINE, the bytes
 *	 themselves: the first @len bytes of @buf as it lies in memory (its
 *	 low bytes on a little-endian machine).  A write takes them from
 *	 the op array; a read that succeeds writes @buf back with @result,
 *	 the bytes read and the rest 0, and one that fails leaves it as it was
 * @len: bytes to move, 1..max_op_len (1..BPFPOKE_OP_INLINE_MAX with
 *	 BPFPOKE_OP_INLINE); may cross page and memslot boundaries
 * @flags: BPFPOKE_OP_*
 * @result: out: @len when the op moved its bytes, else -errno; its value
 *	    on input does not matter
 *
 * An op moves all of its bytes or none of them: every page it touches is
 * translated, checked and made resident (pinned, or held in the module's
 * cache of the VMM's pages) before the first byte moves, in address order,
 * and @buf is checked after them.  The one exception is a @buf that
 * the caller unmaps while the op runs (EFAULT).
 *
 * BPFPOKE_OP_INLINE is for the commonest op, a field of a few bytes: its
 * bytes travel with the op array, which the module reads and writes back
 * whole, rather than through a user access of their own each.
 */
struct bpfpoke_op {
	__u64 addr;
	__u64 buf;
	__u32 len;
	__u32 flags;
	__s64 result;
};

/* Addresses are guest-virtual, translated through @root/@levels. */
#define BPFPOKE_ACCESS_VIRT		_BITUL(0)
/* Resolve every op first; move nothing unless all of them resolve. */
#define BPFPOKE_ACCESS_ALL_OR_NOTHING	_BITUL(1)

/**
 * struct bpfpoke_access - BPFPOKE_ACCESS
 * @ops: in: user pointer to @nr_ops struct bpfpoke_op
 * @nr_ops: in: 1..max_ops
 * @flags: in: BPFPOKE_ACCESS_*
 * @root: in: with BPFPOKE_ACCESS_VIRT, the guest-physical address of the
 *	  top-level page table (CR3 without its low flag bits); else 0
 * @levels: in: with BPFPOKE_ACCESS_VIRT, 4 or 5; else 0
 * @nr_done: out: ops that succeeded
 * @reserved: in: must be 0
 *
 * Ops run in array order, and each sees guest memory as the ops before it
 * left it.  Guest-physical addresses are in KVM address space 0 (not SMM).
 * Guest-virtual addresses are translated through x86-64 long-mode page
 * tables (4 KiB, 2 MiB and 1 GiB pages) read from guest memory; like a
 * debugger, the walk ignores the R/W, U/S and NX bits and sets no
 * accessed or dirty bits.  Writes mark their pages in KVM's dirty bitmap
 * when the memslot logs dirty pages.
 *
 * Without BPFPOKE_ACCESS_ALL_OR_NOTHING every op is attempted, and the
 * ioctl returns 0 even when some fail: @nr_done and the results say which.
 * With it, every op is resolved (translated, checked, pinned) before any
 * op moves a byte, under one memslot generation.  If one fails to
 * resolve, nothing moves: the ioctl fails with that op's error, the op's
 * @result holds it and every other op's is -ECANCELED.  A fatal signal
 * does not interrupt a batch that has started moving.  Guest-virtual
 * translations are all taken before the first write of the batch.
 *
 * Per-op errors, in @result:
 * EFAULT: no memslot holds a page, or only one that is left out of
 * BPFPOKE_GET_REGIONS; a page-table entry on the walk is not present, or
 * has PS set above the PDPT; the address is not canonical for @levels;
 * the VMM has no mapping of the page that allows the access (including
 * VM_IO/VM_PFNMAP memory); @buf cannot be read (write) or written (read).
 * EROFS: a write to a read-only memslot (KVM_MEM_READONLY).
 * EOPNOTSUPP: a write to a memslot that logs dirty pages, in a VM that
 * uses a dirty ring (KVM_CAP_DIRTY_LOG_RING): KVM can only log writes of a
 * running vCPU there, so the write would escape the log; nothing is
 * written.
 * ENOMEM, EHWPOISON, ...: the error of faulting in the VMM's page.
 * EINVAL, E2BIG: the op failed validation (see below).
 * ECANCELED: the op was not carried out because of another op's error,
 * or because the batch stopped.
 *
 * Errors of the ioctl: ENOTCONN before BPFPOKE_ATTACH; EFAULT when the
 * argument or the op array cannot be read, or the results cannot be
 * written; EINVAL when @flags has an unknown bit, @reserved is not 0,
 * @nr_ops is 0, with BPFPOKE_ACCESS_VIRT @levels is not 4 or 5 or @root is
 * not a page-aligned address below 2^52, without it @root or @levels is
 * not 0; E2BIG when @nr_ops is above max_ops.  Then, for the first op
 * that has one, before anything moves: EINVAL for unknown op flags, a
 * @len of 0, BPFPOKE_OP_INLINE with a @len above BPFPOKE_OP_INLINE_MAX, or
 * a range that wraps past 2^64 - 1; E2BIG for a @len above
 * max_op_len, or for the op that takes the batch above max_batch_len.
 * ENOMEM; ESRCH once the VMM has exited; EINTR on a fatal signal; with
 * BPFPOKE_ACCESS_ALL_OR_NOTHING, the error of the op that failed.
 *
 * Once the op array has been read, every op's @result and @nr_done are
 * written back, also when the ioctl fails; before that, nothing is.
 */
struct bpfpoke_access {
	__u64 ops;
	__u32 nr_ops;
	__u32 flags;
	__u64 root;
	__u32 levels;
	__u32 nr_done;
	__u64 reserved[2];
};

#define BPFPOKE_IOC_MAGIC	0xBF

#define BPFPOKE_GET_API		_IOWR(BPFPOKE_IOC_MAGIC, 0x00, struct bpfpoke_api)
#define BPFPOKE_ATTACH		_IOW(BPFPOKE_IOC_MAGIC, 0x01, struct bpfpoke_attach)
#define BPFPOKE_GET_REGIONS	_IOWR(BPFPOKE_IOC_MAGIC, 0x02, struct bpfpoke_regions)
#define BPFPOKE_ACCESS		_IOWR(BPFPOKE_IOC_MAGIC, 0x03, struct bpfpoke_access)

#endif /* _UAPI_LINUX_BPFPOKE_H */
