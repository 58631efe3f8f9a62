// SPDX-License-Identifier: GPL-2.0
/*
 * A second BPF program with a .bss of its own, loaded next to the demo in
 * the end-to-end tests: its map peer.bss ends in ".bss" like demo.bss.
 * Both have `stall` (a write must be refused as ambiguous); only this one
 * has `peer_flag` (a write picks this map).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

volatile __u32 stall;
volatile __u32 peer_flag;

SEC("socket")
int peer_prog(struct __sk_buff *skb)
{
	return stall || peer_flag ? 0 : skb->len;
}

char LICENSE[] SEC("license") = "GPL";
