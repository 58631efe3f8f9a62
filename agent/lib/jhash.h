/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The guest kernel's hash of a hash map's key: include/linux/jhash.h's
 * jhash() (Bob Jenkins' lookup3, public domain), on little-endian bytes.
 * The kernel hashes keys of whole words with jhash2(), which gives the
 * same value.  Header only: the library (map_elem.c) and the tests'
 * synthetic guest (selftests/host/synth_image.h) use this one copy.
 */
#ifndef __BPFPOKE_JHASH_H
#define __BPFPOKE_JHASH_H

#include <linux/types.h>

static inline __u32 bpfpoke_rol32(__u32 w, unsigned int s)
{
	return w << s | w >> (32 - s);
}

/* include/linux/jhash.h's jhash(); jhash2() is the same on whole words. */
static inline __u32 bpfpoke_jhash(const void *key, __u32 length,
				  __u32 initval)
{
	const unsigned char *k = key;
	__u32 a, b, c;

	a = b = c = 0xdeadbeef + length + initval;
	while (length > 12) {
		a += k[0] | k[1] << 8 | k[2] << 16 | (__u32)k[3] << 24;
		b += k[4] | k[5] << 8 | k[6] << 16 | (__u32)k[7] << 24;
		c += k[8] | k[9] << 8 | k[10] << 16 | (__u32)k[11] << 24;
		a -= c; a ^= bpfpoke_rol32(c, 4);  c += b;
		b -= a; b ^= bpfpoke_rol32(a, 6);  a += c;
		c -= b; c ^= bpfpoke_rol32(b, 8);  b += a;
		a -= c; a ^= bpfpoke_rol32(c, 16); c += b;
		b -= a; b ^= bpfpoke_rol32(a, 19); a += c;
		c -= b; c ^= bpfpoke_rol32(b, 4);  b += a;
		length -= 12;
		k += 12;
	}
	switch (length) {
	case 12: c += (__u32)k[11] << 24;	/* fall through */
	case 11: c += (__u32)k[10] << 16;	/* fall through */
	case 10: c += (__u32)k[9] << 8;		/* fall through */
	case 9:  c += k[8];			/* fall through */
	case 8:  b += (__u32)k[7] << 24;	/* fall through */
	case 7:  b += (__u32)k[6] << 16;	/* fall through */
	case 6:  b += (__u32)k[5] << 8;		/* fall through */
	case 5:  b += k[4];			/* fall through */
	case 4:  a += (__u32)k[3] << 24;	/* fall through */
	case 3:  a += (__u32)k[2] << 16;	/* fall through */
	case 2:  a += (__u32)k[1] << 8;		/* fall through */
	case 1:  a += k[0];
		c ^= b; c -= bpfpoke_rol32(b, 14);
		a ^= c; a -= bpfpoke_rol32(c, 11);
		b ^= a; b -= bpfpoke_rol32(a, 25);
		c ^= b; c -= bpfpoke_rol32(b, 16);
		a ^= c; a -= bpfpoke_rol32(c, 4);
		b ^= a; b -= bpfpoke_rol32(a, 14);
		c ^= b; c -= bpfpoke_rol32(b, 24);
		break;
	default:
		break;
	}
	return c;
}

#endif /* __BPFPOKE_JHASH_H */
