/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the demo BPF target (demo.bpf.c) and its loader
 * (bpfpoke-demo.c): the nested struct of .data, and what demo_report
 * writes into its BPF_PROG_TEST_RUN packet (the globals as the BPF side
 * reads them).
 */
#ifndef __BPFPOKE_DEMO_H
#define __BPFPOKE_DEMO_H

#include <linux/types.h>

#define DEMO_ARR_LEN	8

struct demo_inner {
	__u16 lo;
	__u16 hi;
	__u64 wide;
};

struct demo_cfg {
	__u32 mode;
	struct demo_inner inner;
	union {
		__u32 word;
		__u8 bytes[4];
	};
	__s32 level;
};

struct demo_report {
	__u32 crash;
	__u32 stall;
	__u64 runs;
	__u32 tunable;
	__u32 mode;
	__u16 lo;
	__u16 hi;
	__u32 word;
	__u64 wide;
	__s32 level;
	__u32 arr[DEMO_ARR_LEN];
	__u32 version;
	__u32 knob;
	__u32 __pad;
};

#endif /* __BPFPOKE_DEMO_H */
