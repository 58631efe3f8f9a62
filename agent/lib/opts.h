/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Options structs, libbpf's convention (libbpf_internal.h), for
 * libbpfpoke and the guest library alike: struct TYPE starts with its
 * size_t sz and ends with TYPE##__last_field.  An older caller's shorter
 * struct is fine (the fields it lacks read as their defaults through
 * OPTS_GET); a newer caller's longer one is fine while every byte this
 * code does not know is zero.  Nothing beyond @sz is ever read.
 */
#ifndef __BPFPOKE_OPTS_H
#define __BPFPOKE_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#ifndef offsetofend
#define offsetofend(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
#endif

/*
 * 0 if @opts (not NULL) is valid for a struct whose known part is
 * @known_sz bytes; else the offset of the first unknown non-zero byte, or
 * -1 when its sz cannot even hold sz.
 */
static inline long opts_bad_byte(const void *opts, size_t known_sz)
{
	const char *p = opts;
	size_t sz = *(const size_t *)opts, i;

	if (sz < sizeof(size_t))
		return -1;
	for (i = known_sz; i < sz; i++)
		if (p[i])
			return (long)i;
	return 0;
}

#define OPTS_KNOWN_SZ(type)						\
	offsetofend(struct type, type##__last_field)
#define OPTS_HAS(opts, field)						\
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback)					\
	(OPTS_HAS(opts, field) ? (opts)->field : (fallback))

#endif /* __BPFPOKE_OPTS_H */
