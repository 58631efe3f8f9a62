// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Options structs: the one check every API entry point taking one makes
 * (OPTS_VALID in internal.h), libbpf's convention.
 */
#include <stdio.h>

#include "internal.h"

bool bpfpoke_opts_valid(const void *opts, size_t known_sz, const char *type)
{
	const char *p = opts;
	size_t sz = *(const size_t *)opts, i;

	if (sz < sizeof(size_t)) {
		pr_warn("struct %s: sz %zu is smaller than its sz field\n",
			type, sz);
		return false;
	}
	for (i = known_sz; i < sz; i++)
		if (p[i]) {
			pr_warn("struct %s: unknown non-zero byte at offset %zu (a newer caller's field)\n",
				type, i);
			return false;
		}
	return true;
}
