// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL: the VMM is continued from a POSIX
 * signal handler when the caller is killed while it is frozen.  One
 * freezer at a time may be registered; the POSIX signals' earlier actions
 * are kept, and restored and re-raised after the thaw, so the signal still
 * ends the caller.  A handler can only use async-signal-safe calls: kill(SIGCONT),
 * or bpfpoke_qmp_cont_from_handler().
 */
#include <errno.h>
#include <signal.h>

#include "internal.h"
#include "freeze.h"

static const int thaw_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
#define NR_THAW_SIGNALS	(sizeof(thaw_signals) / sizeof(thaw_signals[0]))

static struct bpfpoke_freezer *signal_freezer;
static struct sigaction old_actions[NR_THAW_SIGNALS];
static volatile sig_atomic_t handler_installed[NR_THAW_SIGNALS];

/* Async-signal-safe: continue what @f stopped. */
static void thaw_from_signal(struct bpfpoke_freezer *f)
{
	if (!f->armed)
		return;
	f->armed = 0;
	f->posix_thawed = 1;
	if (f->kind == FREEZER_SIGSTOP)
		kill(f->pid, SIGCONT);
	else if (f->kind == FREEZER_QMP)
		bpfpoke_qmp_cont_from_handler(&f->qmp);
}

static void on_thaw_signal(int sig)
{
	struct bpfpoke_freezer *f = __atomic_load_n(&signal_freezer,
						    __ATOMIC_SEQ_CST);
	int saved_errno = errno;
	size_t i;

	if (f)
		thaw_from_signal(f);
	/*
	 * Then the signal's own action: pending while this handler runs,
	 * delivered when it returns.
	 */
	for (i = 0; i < NR_THAW_SIGNALS; i++) {
		if (thaw_signals[i] != sig)
			continue;
		sigaction(sig, &old_actions[i], NULL);
		handler_installed[i] = 0;
	}
	raise(sig);
	errno = saved_errno;
}

void bpfpoke_posix_thaw_unregister(struct bpfpoke_freezer *f)
{
	struct bpfpoke_freezer *expected = f;
	size_t i;

	if (__atomic_load_n(&signal_freezer, __ATOMIC_SEQ_CST) != f)
		return;
	for (i = 0; i < NR_THAW_SIGNALS; i++) {
		if (!handler_installed[i])
			continue;
		sigaction(thaw_signals[i], &old_actions[i], NULL);
		handler_installed[i] = 0;
	}
	__atomic_compare_exchange_n(&signal_freezer, &expected, NULL, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int bpfpoke_posix_thaw_register(struct bpfpoke_freezer *f)
{
	struct bpfpoke_freezer *expected = NULL;
	struct sigaction sa = { .sa_handler = on_thaw_signal };
	size_t i;

	if (!(f->flags & BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL))
		return 0;
	if (!__atomic_compare_exchange_n(&signal_freezer, &expected, f, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		pr_warn("another freezer already thaws on signals\n");
		return -EBUSY;
	}
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NR_THAW_SIGNALS; i++)
		sigaddset(&sa.sa_mask, thaw_signals[i]);
	for (i = 0; i < NR_THAW_SIGNALS; i++) {
		struct sigaction old;

		if (sigaction(thaw_signals[i], NULL, &old))
			continue;
		/* An ignored signal (nohup) does not end the caller. */
		if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
			continue;
		old_actions[i] = old;
		if (!sigaction(thaw_signals[i], &sa, NULL))
			handler_installed[i] = 1;
	}
	return 0;
}
