/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: logging and the options-struct convention shared by every
 * object.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_COMMON_H
#define __BPFPOKE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Logging */

enum bpfpoke_print_level {
	BPFPOKE_WARN,
	BPFPOKE_INFO,
	BPFPOKE_DEBUG,
};

/*
 * A message is one printf-style format ending in '\n' and starting with
 * "libbpfpoke: ".
 */
typedef int (*bpfpoke_print_fn_t)(enum bpfpoke_print_level level,
				  const char *fmt, va_list ap);

/**
 * bpfpoke_set_print() - route the library's messages
 * @fn: the new callback, or NULL to drop every message (the default)
 *
 * Return: the previous callback.  Cannot fail.
 */
bpfpoke_print_fn_t bpfpoke_set_print(bpfpoke_print_fn_t fn);

/*
 * Options structs, as in libbpf: @sz is sizeof() the struct the caller
 * was built with; fields past it read as zero, and bytes past the
 * library's own struct must be zero (else EINVAL).
 */
#define BPFPOKE_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = ({						\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE) {						\
			.sz = sizeof(struct TYPE),			\
			__VA_ARGS__					\
		};							\
	})

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_COMMON_H */
