/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke internals shared between the files of agent/lib/.
 */
#ifndef __BPFPOKE_INTERNAL_H
#define __BPFPOKE_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "bpfpoke.h"
#include "clock.h"
#include "opts.h"

/* Options structs (opts.h); OPTS_VALID() logs what is wrong. */
bool bpfpoke_opts_valid(const void *opts, size_t known_sz, const char *type);
#define OPTS_VALID(opts, type)						\
	(!(opts) || bpfpoke_opts_valid((opts), OPTS_KNOWN_SZ(type), #type))

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

/* The value of hex digit @c, or -1. */
static inline int bpfpoke_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* BTF fields: field.c, shared with value.c and layout.c */
struct btf;
struct btf_type;
int bpfpoke_map_value_check(const struct bpfpoke_map_value *mv, char *msg,
			    size_t msg_size);
int bpfpoke_field_fill(const struct btf *btf, __u32 decl_id,
		       struct bpfpoke_field *f, char *msg, size_t msg_size);
void bpfpoke_member_bits(const struct btf *btf, const struct btf_type *t,
			 __u32 i, __u32 *bit_off, __u32 *bit_size);
void bpfpoke_btf_type_name(const struct btf *btf, __u32 id, char *buf,
			   size_t size);
/*
 * number.c: the integer in @s[0..@len): its sign in *@neg, its magnitude
 * in *@mag.  0; -EINVAL for no number; -ERANGE past 64 bits.
 */
int bpfpoke_parse_num(const char *s, size_t len, bool *neg, __u64 *mag);

#endif /* __BPFPOKE_INTERNAL_H */
