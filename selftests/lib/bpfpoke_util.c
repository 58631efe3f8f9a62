// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for tests of /dev/bpfpoke.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bpfpoke_util.h"


int bpfpoke_open(void)
{
	return open("/dev/bpfpoke", O_RDWR | O_CLOEXEC);
}

int bpfpoke_attach(int dev, int vm_fd)
{
	struct bpfpoke_attach a;

	memset(&a, 0, sizeof(a));
	a.vm_fd = vm_fd;
	return ioctl(dev, BPFPOKE_ATTACH, &a);
}

int bpfpoke_open_attached(int vm_fd)
{
	int dev = bpfpoke_open();

	if (dev < 0)
		err(1, "open /dev/bpfpoke");
	if (bpfpoke_attach(dev, vm_fd))
		err(1, "BPFPOKE_ATTACH");
	return dev;
}

struct bpfpoke_op bpfpoke_op(uint64_t addr, void *buf, uint32_t len,
			     uint32_t flags)
{
	struct bpfpoke_op op;

	memset(&op, 0, sizeof(op));
	op.addr = addr;
	op.buf = (uint64_t)(uintptr_t)buf;
	op.len = len;
	op.flags = flags;
	op.result = (int64_t)POISON_U64;
	return op;
}

int bpfpoke_access(int dev, struct bpfpoke_op *ops, uint32_t nr,
		   uint32_t flags, uint64_t root, uint32_t levels,
		   uint32_t *nr_done)
{
	struct bpfpoke_access a;
	uint32_t i;
	int ret;

	for (i = 0; i < nr; i++)
		ops[i].result = (int64_t)POISON_U64;
	memset(&a, 0, sizeof(a));
	a.ops = (uint64_t)(uintptr_t)ops;
	a.nr_ops = nr;
	a.flags = flags;
	a.root = root;
	a.levels = levels;
	a.nr_done = 0xcccccccc;
	ret = ioctl(dev, BPFPOKE_ACCESS, &a);
	if (nr_done)
		*nr_done = a.nr_done;
	return ret;
}

static int64_t one(int dev, uint64_t gpa, void *buf, uint32_t len,
		   uint32_t flags)
{
	struct bpfpoke_op op = bpfpoke_op(gpa, buf, len, flags);
	int ret = bpfpoke_access(dev, &op, 1, 0, 0, 0, NULL);

	return ret ? -errno : op.result;
}

int64_t poke_write_phys(int dev, uint64_t gpa, const void *buf,
			   uint32_t len)
{
	return one(dev, gpa, (void *)buf, len, BPFPOKE_OP_WRITE);
}

int64_t poke_read_phys(int dev, uint64_t gpa, void *buf, uint32_t len)
{
	return one(dev, gpa, buf, len, 0);
}
