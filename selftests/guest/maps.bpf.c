// SPDX-License-Identifier: GPL-2.0
/*
 * The map test target: one map of every type bpfpoke looks up by key,
 * filled inside the guest by maps_fill and dumped there by bpftool, then
 * dumped from the host by bpfpoke (selftests/guest/run_mapping_test.sh).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_CFG);
	__type(key, __u32);
	__type(value, struct cfg);
} cfg_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_PCPU);
	__type(key, __u32);
	__type(value, struct stat);
} pcpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FLOWS);
	__type(key, struct flow_key);
	__type(value, struct cfg);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_LRU);
	__type(key, __u64);
	__type(value, struct stat);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_PCPU_HASH);
	__type(key, __u32);
	__type(value, struct stat);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, MAX_LRU_PCPU);
	__type(key, __u64);
	__type(value, struct stat);
} lru_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, struct odd_key);
	__type(value, __u32);
} odd_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} noprealloc SEC(".maps");

/* A type whose elements bpfpoke does not look up. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* Not run: it only gives the object a program that uses every map. */
SEC("socket")
int maps_touch(void *ctx)
{
	struct flow_key fk = {};
	struct odd_key ok = {};
	__u64 k64 = 0;
	__u32 k = 0;

	return !!bpf_map_lookup_elem(&cfg_array, &k) +
	       !!bpf_map_lookup_elem(&pcpu_array, &k) +
	       !!bpf_map_lookup_elem(&flows, &fk) +
	       !!bpf_map_lookup_elem(&lru, &k64) +
	       !!bpf_map_lookup_elem(&pcpu_hash, &k) +
	       !!bpf_map_lookup_elem(&lru_pcpu, &k64) +
	       !!bpf_map_lookup_elem(&odd_keys, &ok) +
	       !!bpf_map_lookup_elem(&noprealloc, &k);
}

char LICENSE[] SEC("license") = "GPL";
