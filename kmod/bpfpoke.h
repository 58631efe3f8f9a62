/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfpoke module internals shared between the files of kmod/.
 */
#ifndef _BPFPOKE_INTERNAL_H
#define _BPFPOKE_INTERNAL_H

#include <linux/mutex.h>
#include <linux/types.h>

struct kvm;

/**
 * struct bpfpoke_file - state of one open /dev/bpfpoke
 * @lock: serialises ATTACH against every other ioctl on this file
 * @kvm: the attached VM, referenced with kvm_get_kvm_safe(); NULL before
 *	 BPFPOKE_ATTACH
 */
struct bpfpoke_file {
	struct mutex lock;	/* see @lock above */
	struct kvm *kvm;
};

#endif /* _BPFPOKE_INTERNAL_H */
