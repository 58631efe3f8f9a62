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
 *
 * demo_report, an XDP program, copies the globals into the packet of a
 * BPF_PROG_TEST_RUN: the loader (bpfpoke-demo) compares what the BPF side
 * reads with the skeleton's mmapped view.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "demo.h"

/* .bss: the flags a test flips from the host. */
volatile __u32 crash;
volatile __u32 stall;
volatile __u64 runs;

/* .data: a tunable, a nested struct (demo.h) and an array. */
volatile __u32 tunable = 7;
volatile struct demo_cfg cfg = {
	.mode = 1,
	.inner = { .lo = 2, .hi = 3, .wide = 0x1122334455667788ULL },
	.word = 0xdeadbeef,
	.level = -1,
};
volatile __u32 arr[DEMO_ARR_LEN] = { 10, 11, 12, 13, 14, 15, 16, 17 };

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

	for (i = 0; i < DEMO_ARR_LEN; i++)
		sum += arr[i];
	runs++;
	hits = bpf_map_lookup_elem(&demo_hash, &key);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	if (crash || stall)
		return 0;
	return sum ? skb->len : 0;
}

SEC("xdp")
int demo_report(struct xdp_md *ctx)
{
	struct demo_report *r = (void *)(long)ctx->data;
	__u32 i;

	if ((void *)(r + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	r->crash = crash;
	r->stall = stall;
	r->runs = runs;
	r->tunable = tunable;
	r->mode = cfg.mode;
	r->lo = cfg.inner.lo;
	r->hi = cfg.inner.hi;
	r->wide = cfg.inner.wide;
	r->word = cfg.word;
	r->level = cfg.level;
	for (i = 0; i < DEMO_ARR_LEN; i++)
		r->arr[i] = arr[i];
	r->version = version;
	r->knob = knob;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
