// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Guest memory from a file: the RAM of a QEMU guest started with
 *
 *	-object memory-backend-file,id=mem,size=SIZE,mem-path=PATH,share=on
 *	-machine q35,memory-backend=mem
 *
 * The file holds the guest's RAM block in order.  QEMU maps its first
 * below_4g bytes at guest-physical 0 and the rest at 4 GiB, above the PCI
 * hole.  q35 (hw/i386/pc_q35.c, QEMU 7.2) computes below_4g as
 *
 *	lowmem = ram_size >= 0xb0000000 ? 0x80000000 : 0xb0000000;
 *	lowmem = min(lowmem, max-ram-below-4g);	(default 4 GiB)
 *	below_4g = ram_size >= lowmem ? lowmem : ram_size;
 *
 * so RAM under 2.75 GiB is all low and larger RAM splits at 2 GiB.  The
 * caller may give max-ram-below-4g as QEMU got it, or the split itself
 * for other machine types (pc/i440fx splits differently).
 *
 * pread()/pwrite() rather than mmap(): a file the VMM truncates makes
 * reads short (an error here), never SIGBUS.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "internal.h"
#include "mem.h"

#define GIB		(1ULL << 30)
#define Q35_LOWMEM_BIG	0x80000000ULL
#define Q35_LOWMEM	0xb0000000ULL

struct mem_file {
	struct mem mem;
	int fd;
	/* File offset of each region, by index in mem.regions. */
	__u64 file_off[2];
};

__u64 bpfpoke_q35_below_4g(__u64 ram_size, __u64 max_below_4g)
{
	__u64 lowmem = ram_size >= Q35_LOWMEM ? Q35_LOWMEM_BIG : Q35_LOWMEM;

	if (max_below_4g && lowmem > max_below_4g)
		lowmem = max_below_4g;
	return ram_size >= lowmem ? lowmem : ram_size;
}

static struct mem_file *to_mf(struct mem *m)
{
	return (struct mem_file *)((char *)m - offsetof(struct mem_file, mem));
}

static __u64 file_off(struct mem *m, const struct bpfpoke_mem_region *r,
		      __u64 gpa)
{
	return to_mf(m)->file_off[r - m->regions] + (gpa - r->gpa);
}

static int mf_read(struct mem *m, const struct bpfpoke_mem_region *r,
		   __u64 gpa, void *buf, size_t len)
{
	__u64 off = file_off(m, r, gpa);

	while (len) {
		ssize_t n = pread(to_mf(m)->fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EFAULT;	/* the file shrank */
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

static int mf_write(struct mem *m, const struct bpfpoke_mem_region *r,
		    __u64 gpa, const void *buf, size_t len)
{
	__u64 off = file_off(m, r, gpa);

	while (len) {
		ssize_t n = pwrite(to_mf(m)->fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		buf = (const char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

static void mf_close(struct mem *m)
{
	struct mem_file *mf = to_mf(m);

	close(mf->fd);
	free(mf);
}

static const struct mem_ops mem_file_ops = {
	.read = mf_read,
	.write = mf_write,
	.close = mf_close,
};

struct mem *bpfpoke_mem_file_open(const char *path, __u64 below_4g,
				  __u64 max_below_4g, bool writable)
{
	struct mem_file *mf;
	struct stat st;
	__u64 size;
	int err;

	if (below_4g && max_below_4g) {
		pr_warn("mem-file %s: give the RAM below 4 GiB or max-ram-below-4g, not both\n",
			path);
		errno = EINVAL;
		return NULL;
	}
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return NULL;
	mf->mem.ops = &mem_file_ops;
	mf->mem.writable = writable;
	snprintf(mf->mem.desc, sizeof(mf->mem.desc), "mem-file %s", path);

	mf->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (mf->fd < 0) {
		err = -errno;
		pr_warn("%s: cannot open: %s\n", mf->mem.desc, strerror(-err));
		goto err_free;
	}
	if (fstat(mf->fd, &st)) {
		err = -errno;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		pr_warn("%s: not a non-empty regular file\n", mf->mem.desc);
		err = -EINVAL;
		goto err_close;
	}
	size = st.st_size;
	if (below_4g > size || below_4g > 4 * GIB) {
		pr_warn("%s: RAM below 4 GiB (0x%llx) is larger than the file or 4 GiB\n",
			mf->mem.desc, (unsigned long long)below_4g);
		err = -EINVAL;
		goto err_close;
	}
	if (!below_4g)
		below_4g = bpfpoke_q35_below_4g(size, max_below_4g);

	mf->mem.regions[0].gpa = 0;
	mf->mem.regions[0].size = below_4g;
	mf->file_off[0] = 0;
	mf->mem.nr_regions = 1;
	if (size > below_4g) {
		mf->mem.regions[1].gpa = 4 * GIB;
		mf->mem.regions[1].size = size - below_4g;
		mf->file_off[1] = below_4g;
		mf->mem.nr_regions = 2;
	}
	/* Already sorted: the check is all that runs. */
	err = bpfpoke_mem_regions_finish(&mf->mem);
	if (err)
		goto err_close;
	pr_debug("%s: %llu MiB, 0x%llx below 4 GiB\n", mf->mem.desc,
		 (unsigned long long)(size >> 20), (unsigned long long)below_4g);
	return &mf->mem;

err_close:
	close(mf->fd);
err_free:
	free(mf);
	errno = -err;
	return NULL;
}
