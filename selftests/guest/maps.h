/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map test target's types (maps.bpf.c), shared with maps_fill.c,
 * which fills the maps inside the guest.
 */
#ifndef __BPFPOKE_TEST_MAPS_H
#define __BPFPOKE_TEST_MAPS_H

#include <linux/types.h>

/* A value with padding inside, an array member and a signed one. */
struct cfg {
	__u32 weight;
	__s16 prio;
	__u8 flags;
	char tag[9];
	__u64 seq;
};

/* A struct key with an odd-sized member and a hole. */
struct flow_key {
	__u32 saddr;
	__u16 port;
	__u8 proto;
	__u64 cookie;
};

struct stat {
	__u64 packets;
	__u64 bytes;
};

/* A key of five bytes: jhash() on bytes, not jhash2() on words. */
struct odd_key {
	__u8 b[5];
};

#define NR_CFG		64	/* cfg_array: every index set */
#define NR_PCPU		8	/* pcpu_array */
#define NR_FLOWS	600	/* flows: 600 keys in 1024 buckets */
#define MAX_FLOWS	1024
#define NR_LRU		300
#define MAX_LRU		1000
#define NR_PCPU_HASH	40
#define MAX_PCPU_HASH	64
#define NR_LRU_PCPU	50
#define MAX_LRU_PCPU	128
#define NR_ODD		20
#define NR_NOPREALLOC	200

#endif /* __BPFPOKE_TEST_MAPS_H */
