// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Guest memory through bpfpoke.ko: the VMM's KVM VM fd is taken with
 * pidfd_getfd() and attached to an open /dev/bpfpoke, which then moves
 * guest-physical bytes in BPFPOKE_ACCESS batches (uapi/linux/bpfpoke.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <linux/bpfpoke.h>

#include "internal.h"
#include "mem.h"


#define BPFPOKE_DEV		"/dev/bpfpoke"
#define KVM_VM_LINK		"anon_inode:kvm-vm"
/* Most fds of the VMM looked at: bounds the scan of a hostile process. */
#define MAX_VMM_FDS		65536

/* What the agent needs of the module. */
#define NEEDED_FEATURES	(BPFPOKE_FEATURE_ATTACH | BPFPOKE_FEATURE_REGIONS | \
			 BPFPOKE_FEATURE_ACCESS_PHYS)

struct mem_kmod {
	struct mem mem;
	int dev_fd;
	struct bpfpoke_api api;
	bool gone_said;		/* "the VMM has exited" was logged */
};

/* The module's ESRCH means the VMM is gone: say so. */
static const char *kmod_strerror(int err)
{
	if (err == ESRCH)
		return "the VMM has exited (its VM is being torn down)";
	return strerror(err);
}

static struct mem_kmod *to_mk(struct mem *m)
{
	return (struct mem_kmod *)((char *)m - offsetof(struct mem_kmod, mem));
}

/*
 * Op @op for @len bytes at @gpa from or to @buf: a small one carries its
 * bytes (BPFPOKE_OP_INLINE) when the module takes that, sparing it a user
 * access per op; mk_inline_done() copies an inline read's bytes out.
 */
static void mk_op(const struct mem_kmod *mk, struct bpfpoke_op *op, __u64 gpa,
		  void *buf, __u32 len, bool write)
{
	*op = (struct bpfpoke_op){
		.addr = gpa,
		.buf = (__u64)(unsigned long)buf,
		.len = len,
		.flags = write ? BPFPOKE_OP_WRITE : 0,
	};
	if (len > BPFPOKE_OP_INLINE_MAX ||
	    !(mk->api.features & BPFPOKE_FEATURE_OP_INLINE))
		return;
	op->flags |= BPFPOKE_OP_INLINE;
	op->buf = 0;
	if (write)
		memcpy(&op->buf, buf, len);
}

static void mk_inline_done(const struct bpfpoke_op *op, void *buf)
{
	if ((op->flags & BPFPOKE_OP_INLINE) && !(op->flags & BPFPOKE_OP_WRITE) &&
	    op->result == (__s64)op->len)
		memcpy(buf, &op->buf, op->len);
}

/* Split @len bytes into ops of at most max_op_len, batches of max_ops. */
static int mk_access(struct mem *m, __u64 gpa, void *buf, size_t len,
		     bool write)
{
	struct mem_kmod *mk = to_mk(m);
	struct bpfpoke_op ops[64];
	__u64 op_len = mk->api.max_op_len;
	__u64 max_ops = mk->api.max_ops < 64 ? mk->api.max_ops : 64;
	__u64 batch_len = mk->api.max_batch_len;
	size_t done = 0;

	while (done < len) {
		struct bpfpoke_access acc = {};
		__u64 in_batch = 0;
		unsigned int n = 0, i;

		while (done + in_batch < len && n < max_ops &&
		       in_batch < batch_len) {
			__u64 l = len - done - in_batch;

			if (l > op_len)
				l = op_len;
			if (l > batch_len - in_batch)
				l = batch_len - in_batch;
			mk_op(mk, &ops[n], gpa + done + in_batch,
			      (char *)buf + done + in_batch, l, write);
			in_batch += l;
			n++;
		}
		acc.ops = (__u64)(unsigned long)ops;
		acc.nr_ops = n;
		if (write)
			acc.flags = BPFPOKE_ACCESS_ALL_OR_NOTHING;
		if (ioctl(mk->dev_fd, BPFPOKE_ACCESS, &acc)) {
			int err = -errno;

			if (err == -ESRCH && !mk->gone_said) {
				mk->gone_said = true;
				pr_warn("%s: %s\n", m->desc, kmod_strerror(ESRCH));
			}
			return err;
		}
		for (i = 0; i < n; i++) {
			if (ops[i].result != (__s64)ops[i].len)
				return ops[i].result < 0 ? (int)ops[i].result : -EIO;
			mk_inline_done(&ops[i], (char *)buf + (ops[i].addr - gpa));
		}
		done += in_batch;
	}
	return 0;
}

static int mk_read(struct mem *m, const struct bpfpoke_mem_region *r,
		   __u64 gpa, void *buf, size_t len)
{
	(void)r;
	return mk_access(m, gpa, buf, len, false);
}

static int mk_write(struct mem *m, const struct bpfpoke_mem_region *r,
		    __u64 gpa, const void *buf, size_t len)
{
	(void)r;
	return mk_access(m, gpa, (void *)buf, len, true);
}

/*
 * One BPFPOKE_ACCESS with BPFPOKE_ACCESS_ALL_OR_NOTHING: the module
 * resolves and pins every op before it moves a byte.  A batch the module
 * cannot take at once is refused, never split.
 */
static int mk_write_batch(struct mem *m, const struct mem_wop *wops,
			  unsigned int nr)
{
	struct mem_kmod *mk = to_mk(m);
	struct bpfpoke_access acc = {};
	struct bpfpoke_op *ops;
	__u64 total = 0;
	unsigned int i;
	int err = 0;

	if (!(mk->api.features & BPFPOKE_FEATURE_ALL_OR_NOTHING)) {
		pr_warn("%s: bpfpoke.ko has no all-or-nothing batches\n", m->desc);
		return -EOPNOTSUPP;
	}
	if (nr > mk->api.max_ops) {
		pr_warn("%s: %u writes, the module takes at most %u in one batch\n",
			m->desc, nr, (unsigned int)mk->api.max_ops);
		return -E2BIG;
	}
	ops = calloc(nr, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (wops[i].len > mk->api.max_op_len) {
			pr_warn("%s: a write of %zu bytes, the module takes at most %llu per op\n",
				m->desc, wops[i].len,
				(unsigned long long)mk->api.max_op_len);
			err = -E2BIG;
			goto out;
		}
		total += wops[i].len;
		mk_op(mk, &ops[i], wops[i].gpa, (void *)wops[i].buf,
		      wops[i].len, true);
	}
	if (total > mk->api.max_batch_len) {
		pr_warn("%s: %llu bytes to write, the module takes at most %llu in one batch\n",
			m->desc, (unsigned long long)total,
			(unsigned long long)mk->api.max_batch_len);
		err = -E2BIG;
		goto out;
	}
	acc.ops = (__u64)(unsigned long)ops;
	acc.nr_ops = nr;
	acc.flags = BPFPOKE_ACCESS_ALL_OR_NOTHING;
	if (ioctl(mk->dev_fd, BPFPOKE_ACCESS, &acc)) {
		err = -errno;
		for (i = 0; i < nr; i++)
			if (ops[i].result < 0 && ops[i].result != -ECANCELED)
				break;
		if (i < nr)
			pr_warn("%s: BPFPOKE_ACCESS: write %u (gpa 0x%llx): %s; nothing written\n",
				m->desc, i, (unsigned long long)ops[i].addr,
				kmod_strerror((int)-ops[i].result));
		else
			pr_warn("%s: BPFPOKE_ACCESS: %s\n", m->desc,
				kmod_strerror(-err));
		goto out;
	}
	for (i = 0; i < nr; i++) {
		if (ops[i].result != (__s64)ops[i].len) {
			err = ops[i].result < 0 ? (int)ops[i].result : -EIO;
			pr_warn("%s: BPFPOKE_ACCESS: write %u moved %lld of %u bytes\n",
				m->desc, i, (long long)ops[i].result, ops[i].len);
			break;
		}
	}
out:
	free(ops);
	return err;
}

/*
 * Reads, each on its own (no ALL_OR_NOTHING: a miss fails its op only),
 * as many per BPFPOKE_ACCESS as the module takes.  An op longer than the
 * module's op limit is read alone, split as mk_access() splits.
 */
static int mk_read_batch(struct mem *m, struct mem_rop *rops, unsigned int nr)
{
	struct mem_kmod *mk = to_mk(m);
	__u64 max_ops = mk->api.max_ops;
	struct bpfpoke_op *ops;
	unsigned int i = 0, n, k, *idx;
	int err = 0;

	ops = calloc(nr, sizeof(*ops));
	idx = calloc(nr, sizeof(*idx));
	if (!ops || !idx) {
		err = -ENOMEM;
		for (k = 0; k < nr; k++)
			if (!rops[k].err)
				rops[k].err = err;
		goto out;
	}
	while (i < nr) {
		struct bpfpoke_access acc = {};
		__u64 in_batch = 0;

		for (n = 0; i < nr && n < max_ops; i++) {
			struct mem_rop *r = &rops[i];

			if (r->err)
				continue;
			if (r->len > mk->api.max_op_len ||
			    r->len > mk->api.max_batch_len) {
				r->err = mk_access(m, r->gpa, r->buf, r->len, false);
				continue;
			}
			if (in_batch + r->len > mk->api.max_batch_len)
				break;
			in_batch += r->len;
			idx[n] = i;
			mk_op(mk, &ops[n++], r->gpa, r->buf, r->len, false);
		}
		if (!n)
			continue;
		acc.ops = (__u64)(unsigned long)ops;
		acc.nr_ops = n;
		if (ioctl(mk->dev_fd, BPFPOKE_ACCESS, &acc)) {
			err = -errno;
			if (err == -ESRCH && !mk->gone_said) {
				mk->gone_said = true;
				pr_warn("%s: %s\n", m->desc, kmod_strerror(ESRCH));
			}
			/* This call's ops and those not tried fail with it. */
			for (k = 0; k < n; k++)
				rops[idx[k]].err = err;
			for (k = i; k < nr; k++)
				if (!rops[k].err)
					rops[k].err = err;
			break;
		}
		for (k = 0; k < n; k++) {
			rops[idx[k]].err = ops[k].result == (__s64)ops[k].len ? 0 :
					   ops[k].result < 0 ? (int)ops[k].result : -EIO;
			mk_inline_done(&ops[k], rops[idx[k]].buf);
		}
	}
out:
	free(idx);
	free(ops);
	return err;
}

static void mk_close(struct mem *m)
{
	struct mem_kmod *mk = to_mk(m);

	close(mk->dev_fd);
	free(mk);
}

static const struct mem_ops mem_kmod_ops = {
	.read = mk_read,
	.write = mk_write,
	.write_batch = mk_write_batch,
	.read_batch = mk_read_batch,
	.close = mk_close,
};

/*
 * The fd number of the VMM's KVM VM: the one /proc/PID/fd link that reads
 * "anon_inode:kvm-vm".  Several (a VMM running two VMs) is ambiguous.
 */
static int find_vm_fd(int pid, const char *desc)
{
	char dir[64], link[96], target[64];
	int found = -1, seen = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d) {
		int err = -errno;

		pr_warn("%s: cannot list %s: %s\n", desc, dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d)) && seen++ < MAX_VMM_FDS) {
		char *end;
		long fd;
		ssize_t n;

		fd = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || fd < 0 || fd > INT_MAX)
			continue;
		snprintf(link, sizeof(link), "%s/%ld", dir, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strcmp(target, KVM_VM_LINK))
			continue;
		if (found >= 0) {
			closedir(d);
			pr_warn("%s: has more than one KVM VM (fds %d and %ld)\n",
				desc, found, fd);
			return -ENOTUNIQ;
		}
		found = fd;
	}
	closedir(d);
	if (found < 0) {
		pr_warn("%s: has no KVM VM fd (no %s link in %s)\n", desc,
			KVM_VM_LINK, dir);
		return -ENOENT;
	}
	return found;
}

/* Dup the VMM's VM fd into this process. */
static int take_vm_fd(int pid, const char *desc)
{
	int pidfd, remote, fd, err;

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		err = -errno;
		pr_warn("%s: pidfd_open: %s\n", desc, strerror(-err));
		return err;
	}
	remote = find_vm_fd(pid, desc);
	if (remote < 0) {
		close(pidfd);
		return remote;
	}
	fd = pidfd_getfd(pidfd, remote, 0);
	err = -errno;
	close(pidfd);
	if (fd < 0) {
		pr_warn("%s: pidfd_getfd of fd %d: %s\n", desc, remote,
			strerror(-err));
		return err;
	}
	return fd;
}

static int mk_regions(struct mem_kmod *mk)
{
	struct bpfpoke_region regions[MEM_MAX_REGIONS];
	struct bpfpoke_regions req = {
		.nr_regions = MEM_MAX_REGIONS,
		.regions = (__u64)(unsigned long)regions,
	};
	unsigned int i;

	if (ioctl(mk->dev_fd, BPFPOKE_GET_REGIONS, &req)) {
		int err = -errno;

		pr_warn("%s: BPFPOKE_GET_REGIONS: %s\n", mk->mem.desc,
			kmod_strerror(-err));
		return err;
	}
	if (req.nr_regions > MEM_MAX_REGIONS) {
		pr_warn("%s: the VM has %u memory regions, more than %u\n",
			mk->mem.desc, req.nr_regions, MEM_MAX_REGIONS);
		return -E2BIG;
	}
	for (i = 0; i < req.nr_regions; i++) {
		/* Address space 1 is SMM: BPFPOKE_ACCESS reads space 0. */
		if (regions[i].slot >> 16)
			continue;
		mk->mem.regions[mk->mem.nr_regions++] = (struct bpfpoke_mem_region){
			.gpa = regions[i].gpa,
			.size = regions[i].size,
			.flags = regions[i].flags & BPFPOKE_REGION_READONLY ?
				 BPFPOKE_MEM_REGION_READONLY : 0,
		};
	}
	return bpfpoke_mem_regions_finish(&mk->mem);
}

/*
 * The ABI policy of docs/userspace-api/bpfpoke.rst: api_version is a
 * floor (the ABI only grows, by feature bits), the features this library
 * uses must be there, unknown ones are ignored, and no limit may be 0.
 */
int bpfpoke_kmod_api_check(const struct bpfpoke_api *api)
{
	if (api->api_version < BPFPOKE_API_VERSION ||
	    (api->features & NEEDED_FEATURES) != NEEDED_FEATURES ||
	    !api->max_ops || !api->max_op_len || !api->max_batch_len)
		return -EPROTONOSUPPORT;
	return 0;
}

struct mem *bpfpoke_mem_kmod_open(int vm_pid, bool writable)
{
	struct bpfpoke_attach att = {};
	struct mem_kmod *mk;
	int err, vm_fd;

	if (vm_pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	mk = calloc(1, sizeof(*mk));
	if (!mk)
		return NULL;
	mk->mem.ops = &mem_kmod_ops;
	mk->mem.writable = writable;
	snprintf(mk->mem.desc, sizeof(mk->mem.desc), "vm %d", vm_pid);

	mk->dev_fd = open(BPFPOKE_DEV, O_RDWR | O_CLOEXEC);
	if (mk->dev_fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			pr_warn("%s: bpfpoke.ko is not loaded (no %s)\n",
				mk->mem.desc, BPFPOKE_DEV);
		else
			pr_warn("%s: cannot open %s: %s\n", mk->mem.desc,
				BPFPOKE_DEV, strerror(-err));
		goto err_free;
	}
	if (ioctl(mk->dev_fd, BPFPOKE_GET_API, &mk->api)) {
		err = -errno;
		pr_warn("%s: BPFPOKE_GET_API: %s\n", mk->mem.desc, strerror(-err));
		goto err_close;
	}
	err = bpfpoke_kmod_api_check(&mk->api);
	if (err) {
		pr_warn("%s: bpfpoke.ko has API %u, features 0x%llx; need API %u or later with 0x%llx and non-zero limits\n",
			mk->mem.desc, mk->api.api_version,
			(unsigned long long)mk->api.features, BPFPOKE_API_VERSION,
			(unsigned long long)NEEDED_FEATURES);
		goto err_close;
	}

	vm_fd = take_vm_fd(vm_pid, mk->mem.desc);
	if (vm_fd < 0) {
		err = vm_fd;
		goto err_close;
	}
	att.vm_fd = vm_fd;
	err = ioctl(mk->dev_fd, BPFPOKE_ATTACH, &att) ? -errno : 0;
	/* The module holds the VM now; our copy of the fd is not needed. */
	close(vm_fd);
	if (err) {
		pr_warn("%s: BPFPOKE_ATTACH: %s\n", mk->mem.desc,
			kmod_strerror(-err));
		goto err_close;
	}
	err = mk_regions(mk);
	if (err)
		goto err_close;
	return &mk->mem;

err_close:
	close(mk->dev_fd);
err_free:
	free(mk);
	errno = -err;
	return NULL;
}
