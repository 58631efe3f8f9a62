/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types of field_globals.bpf.c, shared with test_field.c: the host
 * compiler's offsetof() and sizeof() check what libbpfpoke resolves from
 * the BTF that clang emits for the BPF target.  x86-64 and BPF lay these
 * out the same way (LP64, natural alignment).
 */
#ifndef __FIELD_TYPES_H
#define __FIELD_TYPES_H

#include <stdbool.h>
#include <linux/types.h>

enum mode { MODE_OFF, MODE_ON, MODE_AUTO = 7 };
enum sign { SIGN_NEG = -2, SIGN_ZERO = 0, SIGN_POS = 3 };
enum __attribute__((packed)) tiny { TINY_A = 1, TINY_B = 200 };

typedef __u32 u32_t;
typedef u32_t u32_t2;
typedef const volatile u32_t2 cv_u32;

struct inner {
	__u16 x;
	__s8 y;
	__u64 z;
};

struct bits {
	__u32 lo:5;
	__u32 flags:3;
	__u32 rest:24;
	__u8 after;
};

struct config {
	__u32 id;
	struct inner in;
	union {				/* anonymous union */
		__u32 word;
		__u8 bytes[4];
	};
	struct {			/* anonymous struct ... */
		__u16 a;
		__u16 b;
		union {			/* ... holding an anonymous union */
			__u8 deep;
			__s16 deeper;
		};
	};
	union {				/* named union of an anonymous struct */
		struct {
			__u8 lo;
			__u8 hi;
		};
		__u64 wide;
	} u;
	__u32 arr[4];
	__u16 grid[3][5];
	struct inner items[2];
	struct inner mat[2][2];
	enum mode mode;
	enum sign sign;
	enum tiny tiny;
	bool enabled;
	char name[16];
	char c;
	unsigned char uc;
	__s64 delta;
	__s32 s32;
	__s16 s16;
	__u16 u16;
	__u64 u64;
	int *ptr;
	float f;
	double d;
	struct bits bf;
	u32_t2 chained;
	cv_u32 cvfield;
	volatile __u8 vol;
	__u32 tail[0];
};

/* The value of a plain array map. */
struct map_val {
	__u64 hits;
	struct inner in;
	char comm[16];
};

#endif /* __FIELD_TYPES_H */
