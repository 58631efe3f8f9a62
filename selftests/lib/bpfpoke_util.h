/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests of /dev/bpfpoke: open, attach, build and run batches.
 */
#ifndef BPFPOKE_TEST_UTIL_H
#define BPFPOKE_TEST_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#include <linux/bpfpoke.h>

#define POISON_BYTE	0xcc
#define POISON_U64	0xccccccccccccccccULL

/* Opens /dev/bpfpoke; -1 with errno set when it cannot. */
int bpfpoke_open(void);
/* BPFPOKE_ATTACH with @vm_fd and all other fields zero; ioctl's return. */
int bpfpoke_attach(int dev, int vm_fd);
/* Opens the device and attaches it to @vm_fd; exits the test on failure. */
int bpfpoke_open_attached(int vm_fd);

/* One op. */
struct bpfpoke_op bpfpoke_op(uint64_t addr, void *buf, uint32_t len,
			     uint32_t flags);
/* BPFPOKE_ACCESS on @ops; results are poisoned first. Returns ioctl's. */
int bpfpoke_access(int dev, struct bpfpoke_op *ops, uint32_t nr,
		   uint32_t flags, uint64_t root, uint32_t levels,
		   uint32_t *nr_done);
/* Single guest-physical write or read; returns the op's result. */
int64_t poke_write_phys(int dev, uint64_t gpa, const void *buf,
			   uint32_t len);
int64_t poke_read_phys(int dev, uint64_t gpa, void *buf, uint32_t len);

#endif /* BPFPOKE_TEST_UTIL_H */
