// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The print callback: the library's only way to say anything.
 */
#include <stdarg.h>

#include "internal.h"

static bpfpoke_print_fn_t print_fn;

bpfpoke_print_fn_t bpfpoke_set_print(bpfpoke_print_fn_t fn)
{
	return __atomic_exchange_n(&print_fn, fn, __ATOMIC_RELAXED);
}

void bpfpoke_pr(enum bpfpoke_print_level level, const char *fmt, ...)
{
	bpfpoke_print_fn_t fn = __atomic_load_n(&print_fn, __ATOMIC_RELAXED);
	int saved_errno = errno;
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	fn(level, fmt, ap);
	va_end(ap);
	/* A callback that does I/O must not clobber the errno we return. */
	errno = saved_errno;
}
