// SPDX-License-Identifier: GPL-2.0
/*
 * The demo target: a BPF program whose globals the host steers.
 *
 * A socket filter, so that `bpftool prog load demo.bpf.o PIN` loads it
 * without attaching it anywhere.  libbpf turns each global section into an
 * array map named "<object prefix>.<section>": demo.bss, demo.data,
 * demo.rodata and demo.data.tune (BPF map names are at most 15 bytes).
 * The program reads every global, so none is optimised away, and counts
 * its runs in .bss so that BPF_PROG_TEST_RUN shows it is live.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* .bss: the flags a test flips from the host. */
volatile __u32 crash;
volatile __u32 stall;
volatile __u64 runs;

/* .data: a tunable, a nested struct and an array. */
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

volatile __u32 tunable = 7;
volatile struct demo_cfg cfg = {
	.mode = 1,
	.inner = { .lo = 2, .hi = 3, .wide = 0x1122334455667788ULL },
	.word = 0xdeadbeef,
	.level = -1,
};
volatile __u32 arr[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };

/* .rodata: set before load, frozen after it. */
const volatile __u32 version = 1;

/* A custom data section: another map with its own suffix. */
volatile __u32 knob SEC(".data.tune") = 42;

/* A plain map, used by the program so that it outlives the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} demo_hash SEC(".maps");

SEC("socket")
int demo_prog(struct __sk_buff *skb)
{
	__u32 i, key = 1, sum = tunable + cfg.mode + cfg.inner.lo + knob + version;
	__u64 *hits;

	for (i = 0; i < 8; i++)
		sum += arr[i];
	runs++;
	hits = bpf_map_lookup_elem(&demo_hash, &key);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	if (crash || stall)
		return 0;
	return sum ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
