/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The freezer (freeze.c) and its parts: stopping a VMM with SIGSTOP
 * (sigstop.c) or QMP (qmp.c), and continuing it from a fatal POSIX signal's
 * handler (posix_thaw.c).
 */
#ifndef __BPFPOKE_LIB_FREEZE_H
#define __BPFPOKE_LIB_FREEZE_H

#include <signal.h>
#include <stdbool.h>

#include "qmp.h"

enum freezer_kind {
	FREEZER_NONE,
	FREEZER_SIGSTOP,
	FREEZER_QMP,
};

struct bpfpoke_freezer {
	enum freezer_kind kind;
	unsigned int timeout_ms;
	__u32 flags;
	/* Between bpfpoke_freeze() and a successful bpfpoke_thaw(). */
	bool frozen;
	/*
	 * We stopped the VMM and must continue it.  Read and cleared by
	 * the POSIX signal handler too.
	 */
	volatile sig_atomic_t armed;
	/* A POSIX signal handler continued it. */
	volatile sig_atomic_t posix_thawed;
	int pid;		/* sigstop */
	struct qmp qmp;		/* qmp */
};

/* posix_thaw.c */
int bpfpoke_posix_thaw_register(struct bpfpoke_freezer *f);
void bpfpoke_posix_thaw_unregister(struct bpfpoke_freezer *f);

/* sigstop.c */
int bpfpoke_sigstop_freeze(struct bpfpoke_freezer *f);
int bpfpoke_sigstop_thaw(struct bpfpoke_freezer *f);

#endif /* __BPFPOKE_LIB_FREEZE_H */
