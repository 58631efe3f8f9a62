// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke: the /dev/bpfpoke misc device and its ioctl dispatch.
 *
 * The module lets a privileged process that is not the VMM read and write
 * the memory of a running KVM guest in batches.  This file owns the device,
 * the per-file state and the handshake; each other ioctl lives in the file
 * named after it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/bpfpoke.h>

#include "bpfpoke.h"
#include "compat.h"

/* Features this build implements; grows as the ABI's commands land. */
#define BPFPOKE_FEATURES	(BPFPOKE_FEATURE_ATTACH |		\
				 BPFPOKE_FEATURE_REGIONS |		\
				 BPFPOKE_FEATURE_ACCESS_PHYS |		\
				 BPFPOKE_FEATURE_ACCESS_VIRT |		\
				 BPFPOKE_FEATURE_ALL_OR_NOTHING |	\
				 BPFPOKE_FEATURE_DIRTY_LOG |		\
				 BPFPOKE_FEATURE_OP_INLINE)

static int bpfpoke_open(struct inode *inode, struct file *file)
{
	struct bpfpoke_file *bf;

	/*
	 * The device reads and writes another process's guest memory; that
	 * is as strong as ptrace, so ask for the capability at open time
	 * rather than trusting the device node's mode alone.
	 */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	bf = kzalloc_obj(*bf, GFP_KERNEL_ACCOUNT);
	if (!bf)
		return -ENOMEM;
	mutex_init(&bf->lock);
	mutex_init(&bf->ops_lock);
	bpfpoke_cache_init(&bf->cache);
	file->private_data = bf;
	return nonseekable_open(inode, file);
}

static int bpfpoke_release(struct inode *inode, struct file *file)
{
	struct bpfpoke_file *bf = file->private_data;

	/* Its MMU notifiers on the VMM's mm go before the VM reference. */
	bpfpoke_cache_destroy(&bf->cache);
	bpfpoke_detach(bf);
	kvfree(bf->ops);
	mutex_destroy(&bf->ops_lock);
	mutex_destroy(&bf->lock);
	kfree(bf);
	return 0;
}

static int bpfpoke_get_api(void __user *argp)
{
	struct bpfpoke_api api;
	size_t i;

	if (copy_from_user(&api, argp, sizeof(api)))
		return -EFAULT;
	if (api.flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(api.reserved); i++)
		if (api.reserved[i])
			return -EINVAL;

	memset(&api, 0, sizeof(api));
	api.api_version = BPFPOKE_API_VERSION;
	api.features = BPFPOKE_FEATURES;
	api.max_ops = BPFPOKE_MAX_OPS;
	api.max_op_len = BPFPOKE_MAX_OP_LEN;
	api.max_batch_len = BPFPOKE_MAX_BATCH_LEN;

	if (copy_to_user(argp, &api, sizeof(api)))
		return -EFAULT;
	return 0;
}

static long bpfpoke_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct bpfpoke_file *bf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case BPFPOKE_GET_API:
		return bpfpoke_get_api(argp);
	case BPFPOKE_ATTACH:
		return bpfpoke_attach(bf, argp);
	case BPFPOKE_GET_REGIONS:
		return bpfpoke_get_regions(bf, argp);
	case BPFPOKE_ACCESS:
		return bpfpoke_access(bf, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations bpfpoke_fops = {
	.owner = THIS_MODULE,
	.open = bpfpoke_open,
	.release = bpfpoke_release,
	.unlocked_ioctl = bpfpoke_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice bpfpoke_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bpfpoke",
	.fops = &bpfpoke_fops,
};

module_misc_device(bpfpoke_misc);

MODULE_AUTHOR("bpfpoke developers");
MODULE_DESCRIPTION("Batched access to the memory of running KVM guests");
MODULE_LICENSE("GPL");
