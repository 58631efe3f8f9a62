/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CLOCK_MONOTONIC, for deadlines and timings: the one helper of the
 * library, the CLI and the guest side (header only, no symbols).
 */
#ifndef __BPFPOKE_CLOCK_H
#define __BPFPOKE_CLOCK_H

#include <limits.h>
#include <time.h>
#include <linux/types.h>

static inline __u64 bpfpoke_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline long long bpfpoke_now_ms(void)
{
	return bpfpoke_now_ns() / 1000000;
}

/* Milliseconds to @deadline (bpfpoke_now_ms() time) for poll(), >= 0. */
static inline int bpfpoke_ms_left(long long deadline)
{
	long long left = deadline - bpfpoke_now_ms();

	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

#endif /* __BPFPOKE_CLOCK_H */
