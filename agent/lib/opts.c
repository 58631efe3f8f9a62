// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Options structs: the one check every API entry point taking one makes
 * (OPTS_VALID in internal.h), libbpf's convention (opts.h).
 */
#include <stdio.h>

#include "internal.h"

bool bpfpoke_opts_valid(const void *opts, size_t known_sz, const char *type)
{
	long bad = opts_bad_byte(opts, known_sz);

	if (bad < 0)
		pr_warn("struct %s: sz %zu is smaller than its sz field\n",
			type, *(const size_t *)opts);
	else if (bad)
		pr_warn("struct %s: unknown non-zero byte at offset %ld (a newer caller's field)\n",
			type, bad);
	return !bad;
}
