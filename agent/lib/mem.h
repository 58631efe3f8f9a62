/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Guest memory: guest-physical reads and writes through one of the
 * backends (mem_file.c: a QEMU memory-backend-file; mem_kmod.c: KVM
 * through /dev/bpfpoke).  Everything above this interface only knows
 * guest-physical addresses and the RAM regions.
 */
#ifndef __BPFPOKE_MEM_H
#define __BPFPOKE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpfpoke.h"

struct mem;

/* One write of a batch: @len bytes at guest-physical @gpa. */
struct mem_wop {
	__u64 gpa;
	const void *buf;
	size_t len;
};

/*
 * One read of a batch: @len bytes at guest-physical @gpa, inside one
 * region; @err is its outcome, 0 or -errno.
 */
struct mem_rop {
	__u64 gpa;
	void *buf;
	size_t len;
	int err;
};

struct mem_ops {
	/*
	 * Move @len bytes that lie inside one region.  0 or -errno; a
	 * partial move is an error.
	 */
	int (*read)(struct mem *m, const struct bpfpoke_mem_region *r,
		    __u64 gpa, void *buf, size_t len);
	int (*write)(struct mem *m, const struct bpfpoke_mem_region *r,
		     __u64 gpa, const void *buf, size_t len);
	/*
	 * Optional: write every op of a batch or none (bpfpoke_mem_write_batch()
	 * has checked each op against the regions).  0 or -errno.
	 */
	int (*write_batch)(struct mem *m, const struct mem_wop *ops,
			   unsigned int nr);
	/*
	 * Optional: read the ops of a batch whose @err is 0, each on its
	 * own, setting each one's @err (bpfpoke_mem_read_batch() has checked
	 * each op against the regions).  0, or -errno when the whole call
	 * failed (every op's @err then says so too).
	 */
	int (*read_batch)(struct mem *m, struct mem_rop *ops, unsigned int nr);
	void (*close)(struct mem *m);
};

/*
 * At most this many regions are kept: q35 has two, KVM a handful of
 * memslots; a VM with more is not one bpfpoke is built for.
 */
#define MEM_MAX_REGIONS		64
/* Longest single bpfpoke_mem_read()/bpfpoke_mem_write(). */
#define MEM_MAX_LEN		(64u << 20)

struct mem {
	const struct mem_ops *ops;
	struct bpfpoke_mem_region regions[MEM_MAX_REGIONS];
	unsigned int nr_regions;
	bool writable;
	/* "mem-file PATH" or "vm PID": for messages. */
	char desc[64];
};

/* Backends: NULL and errno on failure, with a WARN message. */
struct mem *bpfpoke_mem_file_open(const char *path, __u64 below_4g,
				  __u64 max_below_4g, bool writable);
struct mem *bpfpoke_mem_kmod_open(int vm_pid, bool writable);
/* 0 if bpfpoke.ko's BPFPOKE_GET_API answer will do, -EPROTONOSUPPORT if not. */
struct bpfpoke_api;
int bpfpoke_kmod_api_check(const struct bpfpoke_api *api);

/*
 * Move bytes at guest-physical @gpa.  The range may span regions that
 * touch each other.  Return 0, or -EFAULT when a byte is outside every
 * region, -EINVAL for a bad length, -EROFS for a write to a read-only
 * region or a session opened read-only, or the backend's error.
 */
int bpfpoke_mem_read(struct mem *m, __u64 gpa, void *buf, size_t len);
int bpfpoke_mem_write(struct mem *m, __u64 gpa, const void *buf, size_t len);
void bpfpoke_mem_close(struct mem *m);

/* Most ops of one bpfpoke_mem_write_batch(). */
#define MEM_MAX_BATCH		4096

/*
 * Write a batch.  Every op is checked first (inside RAM, writable, length
 * 1..MEM_MAX_LEN): nothing is written if one fails.  A backend with
 * ->write_batch (bpfpoke.ko: one BPFPOKE_ACCESS, ALL_OR_NOTHING) then
 * writes all or nothing; others (the RAM file) write op by op, so a
 * failure of the file itself may leave earlier ops written, and a running
 * guest may see some ops before the others (freeze it to avoid that).
 * Return 0, -EINVAL (bad op, 0 or more than MEM_MAX_BATCH ops), -EFAULT,
 * -EROFS as bpfpoke_mem_write(), -E2BIG when the batch exceeds what the backend
 * can do at once, or the backend's error.
 */
int bpfpoke_mem_write_batch(struct mem *m, const struct mem_wop *ops, unsigned int nr);

/*
 * Read a batch of ranges, each on its own: one op's failure does not stop
 * the others, and each op's @err says how it went (-EFAULT for a range not
 * inside one region, -EINVAL for a bad length, or the backend's error).
 * A backend with ->read_batch (bpfpoke.ko: BPFPOKE_ACCESS, as many ops per
 * call as the module takes) reads them in few calls; others op by op.
 * For scans: many small reads where most may miss.  Return 0 (each op's
 * outcome in its @err), -EINVAL (0 or more than MEM_MAX_BATCH ops), or the
 * backend's error when the whole call failed.
 */
int bpfpoke_mem_read_batch(struct mem *m, struct mem_rop *ops, unsigned int nr);

/* Sort and check the regions a backend filled in; -EINVAL on overlap. */
int bpfpoke_mem_regions_finish(struct mem *m);

#endif /* __BPFPOKE_MEM_H */
