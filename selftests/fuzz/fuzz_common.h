/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets share: a print callback that keeps the
 * library quiet, and, for the targets on the synthetic guest (include
 * ../host/synth_image.h first), the temporary directory of its files,
 * removed when libFuzzer exits.
 */
#ifndef __BPFPOKE_FUZZ_COMMON_H
#define __BPFPOKE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "bpfpoke.h"

static inline int fuzz_quiet(enum bpfpoke_print_level level, const char *fmt,
			     va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

#ifdef __SYNTH_IMAGE_H
static struct synth *fuzz_sy;
static char *fuzz_dir;

/* libFuzzer ends with exit(): the guest's files go with it. */
static inline void fuzz_remove_files(void)
{
	unlink(fuzz_sy->btf_path);
	unlink(fuzz_sy->sym_path);
	rmdir(fuzz_dir);
}

/* mkdtemp(@dir) for @sy's files, removed at exit; exits on failure. */
static inline void fuzz_synth_dir(struct synth *sy, char *dir)
{
	if (!mkdtemp(dir))
		exit(1);
	fuzz_sy = sy;
	fuzz_dir = dir;
	atexit(fuzz_remove_files);
}
#endif

#endif /* __BPFPOKE_FUZZ_COMMON_H */
