// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Freezing with sigstop:PID: SIGSTOP the VMM and wait until every thread
 * of it is stopped (/proc/PID/task/TID/stat), SIGCONT after.  A VMM whose
 * threads are all stopped already is left as it is.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "freeze.h"

/* Polling for every thread of a SIGSTOPped VMM to have stopped. */
#define SIGSTOP_POLL_NS		1000000
#define SIGSTOP_MAX_THREADS	65536

/*
 * 1 when every thread of @pid is stopped ('T' in /proc/PID/task/TID/stat),
 * 0 when one is not yet, -errno when the process cannot be looked at.
 */
static int all_threads_stopped(int pid)
{
	char path[64], buf[512];
	struct dirent *de;
	int ret = 1, seen = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d)) && ret == 1) {
		char *p;
		FILE *fp;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (++seen > SIGSTOP_MAX_THREADS) {
			ret = -E2BIG;
			break;
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid,
			 de->d_name);
		fp = fopen(path, "re");
		if (!fp)
			continue;	/* the thread exited */
		p = fgets(buf, sizeof(buf), fp) ? strrchr(buf, ')') : NULL;
		fclose(fp);
		if (!p || p[1] != ' ')
			continue;
		if (p[2] == 'Z' || p[2] == 'X')
			ret = -ESRCH;
		else if (p[2] != 'T')
			ret = 0;
	}
	closedir(d);
	return seen ? ret : -ESRCH;
}

int bpfpoke_sigstop_freeze(struct bpfpoke_freezer *f)
{
	struct timespec ts = { 0, SIGSTOP_POLL_NS };
	long long deadline;
	int r, err;

	r = all_threads_stopped(f->pid);
	if (r < 0) {
		pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-r));
		return r;
	}
	if (r == 1) {
		pr_info("the VMM %d is already stopped: left stopped\n", f->pid);
		return 0;
	}
	err = bpfpoke_posix_thaw_register(f);
	if (err)
		return err;
	/* Armed first: a signal from here on continues it. */
	f->armed = 1;
	if (kill(f->pid, SIGSTOP)) {
		err = -errno;
		f->armed = 0;
		bpfpoke_posix_thaw_unregister(f);
		pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-err));
		return err;
	}
	deadline = bpfpoke_now_ms() + f->timeout_ms;
	do {
		r = all_threads_stopped(f->pid);
		if (r)
			break;
		nanosleep(&ts, NULL);
	} while (bpfpoke_now_ms() < deadline);
	if (r == 1)
		return 0;
	if (f->armed)
		kill(f->pid, SIGCONT);
	f->armed = 0;
	bpfpoke_posix_thaw_unregister(f);
	if (!r) {
		pr_warn("cannot freeze the VMM %d: its threads did not all stop within %u ms\n",
			f->pid, f->timeout_ms);
		return -ETIMEDOUT;
	}
	pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-r));
	return r;
}

int bpfpoke_sigstop_thaw(struct bpfpoke_freezer *f)
{
	int err;

	if (kill(f->pid, SIGCONT)) {
		err = -errno;
		pr_warn("cannot continue the VMM %d: %s\n", f->pid, strerror(-err));
		return err;
	}
	return 0;
}
