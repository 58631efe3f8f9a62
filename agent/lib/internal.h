/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke internals shared between the files of agent/lib/.
 */
#ifndef __BPFPOKE_INTERNAL_H
#define __BPFPOKE_INTERNAL_H

#include <errno.h>

#include "bpfpoke.h"

__attribute__((format(printf, 2, 3)))
void bpfpoke_pr(enum bpfpoke_print_level level, const char *fmt, ...);

#define pr_warn(fmt, ...)	bpfpoke_pr(BPFPOKE_WARN, "libbpfpoke: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	bpfpoke_pr(BPFPOKE_INFO, "libbpfpoke: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	bpfpoke_pr(BPFPOKE_DEBUG, "libbpfpoke: " fmt, ##__VA_ARGS__)

/* Return @ret, 0 or a negative errno, and set errno as the API promises. */
static inline int bpfpoke_err(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

#endif /* __BPFPOKE_INTERNAL_H */
