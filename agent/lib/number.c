// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The integer syntax of bpfpoke, C's: an optional sign, then decimal,
 * 0x hex or 0 octal digits.  Field paths' [N] (field.c) and values
 * (value.c) both take it, so it lives on its own: neither file depends
 * on the other for it.
 */
#include "internal.h"

int bpfpoke_parse_num(const char *s, size_t len, bool *neg, __u64 *mag)
{
	const char *end = s + len;
	unsigned int base = 10, d;
	bool digits = false;
	__u64 v = 0;

	*neg = false;
	if (s < end && (*s == '+' || *s == '-')) {
		*neg = *s == '-';
		s++;
	}
	if (end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (end - s >= 2 && s[0] == '0') {
		base = 8;
		s++;
		digits = true;
	}
	if (s == end && !digits)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*mag = v;
	return 0;
}
