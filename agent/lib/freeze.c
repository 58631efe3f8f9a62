// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Freezing the VMM around a write, so that the guest sees a batch all at
 * once (a RAM-file commit is not atomic for a running guest):
 *
 *   sigstop:PID	SIGSTOP the VMM and wait until every thread of it is
 *			stopped, SIGCONT after (sigstop.c);
 *   qmp:PATH		QEMU's QMP socket (qmp.c): "stop", checked with
 *			"query-status", then "cont".
 *
 * A VMM that was already stopped (every thread in 'T', or a QEMU whose
 * status is not "running": paused, prelaunch, ...) is left as it was.
 * With BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL the VMM is continued when the
 * caller is killed while it is frozen (posix_thaw.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "freeze.h"

#define DEFAULT_TIMEOUT_MS	5000
#define QMP_STATUS_MAX		32

/* QMP */

static int qmp_thaw(struct bpfpoke_freezer *f)
{
	struct json_object *ret;

	return bpfpoke_qmp_exec(&f->qmp, "cont", &ret);
}

static int qmp_freeze(struct bpfpoke_freezer *f)
{
	char status[QMP_STATUS_MAX];
	struct json_object *ret;
	int err;

	err = bpfpoke_qmp_status(&f->qmp, status, sizeof(status));
	if (err)
		return err;
	if (strcmp(status, "running")) {
		pr_info("the VM's status is '%s', not running: left as it is\n",
			status);
		return 0;
	}
	err = bpfpoke_posix_thaw_register(f);
	if (err)
		return err;
	/* Armed first: a signal from here on continues it. */
	f->armed = 1;
	err = bpfpoke_qmp_exec(&f->qmp, "stop", &ret);
	if (err == -EIO) {
		/* QEMU refused: nothing was stopped. */
		f->armed = 0;
		bpfpoke_posix_thaw_unregister(f);
		return err;
	}
	if (!err)
		err = bpfpoke_qmp_status(&f->qmp, status, sizeof(status));
	if (!err && strcmp(status, "paused")) {
		pr_warn("the VM's status is '%s' after QMP stop, not 'paused'\n",
			status);
		/* Someone else changed it: not ours to continue. */
		f->armed = 0;
		err = -EBUSY;
	}
	if (err) {
		/* Stopped or not, it was running: best effort to run it. */
		if (f->armed && !f->posix_thawed) {
			f->qmp.quiet = true;
			qmp_thaw(f);
			f->qmp.quiet = false;
		}
		f->armed = 0;
		bpfpoke_posix_thaw_unregister(f);
	}
	return err;
}

/* API */

static int parse_spec(struct bpfpoke_freezer *f, const char *spec,
		      const char **path)
{
	char *end;
	long pid;

	if (!strcmp(spec, "none")) {
		f->kind = FREEZER_NONE;
		return 0;
	}
	if (!strncmp(spec, "sigstop:", 8)) {
		errno = 0;
		pid = strtol(spec + 8, &end, 10);
		if (errno || *end || end == spec + 8 || pid <= 0 ||
		    pid > INT_MAX || !isdigit((unsigned char)spec[8]))
			goto bad;
		f->kind = FREEZER_SIGSTOP;
		f->pid = pid;
		return 0;
	}
	if (!strncmp(spec, "qmp:", 4) && spec[4]) {
		f->kind = FREEZER_QMP;
		*path = spec + 4;
		return 0;
	}
bad:
	pr_warn("freeze '%s': expected none, sigstop:PID or qmp:PATH\n", spec);
	return -EINVAL;
}

static int opts_get(const struct bpfpoke_freezer_opts *opts,
		    struct bpfpoke_freezer_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (!OPTS_VALID(opts, bpfpoke_freezer_opts))
		return -EINVAL;
	out->sz = sizeof(*out);
	out->timeout_ms = OPTS_GET(opts, timeout_ms, 0);
	out->flags = OPTS_GET(opts, flags, 0);
	if (out->flags & ~BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL)
		return -EINVAL;
	return 0;
}

struct bpfpoke_freezer *
bpfpoke_freezer_open(const char *spec, const struct bpfpoke_freezer_opts *opts)
{
	struct bpfpoke_freezer_opts o;
	struct bpfpoke_freezer *f;
	const char *path = NULL;
	int err;

	err = opts_get(opts, &o);
	if (err || !spec) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->flags = o.flags;
	f->timeout_ms = o.timeout_ms ? o.timeout_ms : DEFAULT_TIMEOUT_MS;
	bpfpoke_qmp_init(&f->qmp, f->timeout_ms);
	err = parse_spec(f, spec, &path);
	if (!err && f->kind == FREEZER_SIGSTOP && kill(f->pid, 0)) {
		err = -errno;
		pr_warn("cannot freeze the VMM %d: %s\n", f->pid, strerror(-err));
	}
	if (!err && f->kind == FREEZER_QMP)
		err = bpfpoke_qmp_open(&f->qmp, path);
	if (err) {
		bpfpoke_freezer_close(f);
		errno = -err;
		return NULL;
	}
	return f;
}

int bpfpoke_freeze(struct bpfpoke_freezer *f)
{
	int err = 0;

	if (!f)
		return bpfpoke_err(-EINVAL);
	if (f->frozen)
		return bpfpoke_err(-EALREADY);
	if (f->posix_thawed) {
		pr_warn("a POSIX signal thawed the VM; open a new freezer\n");
		return bpfpoke_err(-ECANCELED);
	}
	if (f->kind == FREEZER_SIGSTOP)
		err = bpfpoke_sigstop_freeze(f);
	else if (f->kind == FREEZER_QMP)
		err = qmp_freeze(f);
	if (!err)
		f->frozen = true;
	return bpfpoke_err(err);
}

int bpfpoke_thaw(struct bpfpoke_freezer *f)
{
	int err = 0;

	if (!f)
		return bpfpoke_err(-EINVAL);
	if (!f->frozen)
		return 0;
	if (f->armed) {
		if (f->kind == FREEZER_SIGSTOP)
			err = bpfpoke_sigstop_thaw(f);
		else if (f->kind == FREEZER_QMP)
			err = qmp_thaw(f);
		/* A signal may have thawed it meanwhile: that is a success. */
		if (err && f->posix_thawed)
			err = 0;
		if (err)
			return bpfpoke_err(err);
		f->armed = 0;
	}
	bpfpoke_posix_thaw_unregister(f);
	f->frozen = false;
	return 0;
}

void bpfpoke_freezer_close(struct bpfpoke_freezer *f)
{
	if (!f)
		return;
	if (f->frozen)
		bpfpoke_thaw(f);
	f->armed = 0;
	bpfpoke_posix_thaw_unregister(f);
	bpfpoke_qmp_close(&f->qmp);
	free(f);
}
