// SPDX-License-Identifier: GPL-2.0
/*
 * Globals in every kind of section and maps of several value types, for
 * test_field.c to resolve fields in.  Never loaded: only its BTF is read.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "field_types.h"

/* .bss */
struct config cfg;
__u32 crash;
bool stall;
__s32 counter;

/* .data: the initial values are what test_field.c formats */
__u64 data_u64 = 0x1122334455667788ULL;
__s8 data_s8 = -1;
struct config dcfg = {
	.id = 42,
	.in = { .x = 7, .y = -3, .z = 0xdeadbeefcafef00dULL },
	.word = 0x01020304,
	.a = 5,
	.b = 6,
	.deep = 9,
	.u.wide = 0x0102,
	.arr = { 1, 2, 3, 4 },
	.grid[2][4] = 99,
	.items[1].z = 77,
	.mat[1][0].x = 3,
	.mode = MODE_AUTO,
	.sign = SIGN_NEG,
	.tiny = TINY_B,
	.enabled = true,
	.name = "hello\n\"q\"\001",
	.c = 'A',
	.uc = 200,
	.delta = -5,
	.s32 = -100000,
	.s16 = -2,
	.u16 = 65535,
	.u64 = 18446744073709551615ULL,
	.ptr = (int *)0x1000,
	.f = 1.5f,
	.d = -0.25,
	.bf = { .lo = 3, .flags = 5, .rest = 7, .after = 8 },
	.chained = 11,
	.cvfield = 12,
	.vol = 13,
};
static volatile int hidden = 3;

/* .rodata */
const volatile __u32 ro_limit = 10;
const volatile struct inner ro_inner = { .x = 1, .z = 2 };

/* a custom data section: its own map */
__u32 custom_val SEC(".data.custom") = 5;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct map_val);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, struct map_val);
} hvals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inner[3]);
} inners SEC(".maps");

SEC("tc")
int prog(struct __sk_buff *skb)
{
	static __u32 calls;	/* .bss, named "prog.calls" in BTF */

	calls++;
	return crash + cfg.id + ro_limit + ro_inner.z + custom_val + hidden +
	       calls + data_s8 + data_u64 + dcfg.id + stall + counter;
}

char LICENSE[] SEC("license") = "GPL";
