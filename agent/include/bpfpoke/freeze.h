/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: stopping the VMM around a write: SIGSTOP or QMP.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_FREEZE_H
#define __BPFPOKE_FREEZE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Freezing the VMM around a write
 *
 * A commit through a RAM file is not atomic for a running guest; stopping
 * the VMM around it makes it so:
 *
 *	f = bpfpoke_freezer_open("qmp:/run/vm-qmp.sock", &opts);
 *	err = bpfpoke_write_prepare(s, items, nr, NULL, &batch);
 *	err = bpfpoke_freeze(f);
 *	err = bpfpoke_write_commit(batch);
 *	err = bpfpoke_thaw(f);
 *	bpfpoke_freezer_close(f);
 *
 * A VMM that was already stopped before bpfpoke_freeze() is left as it
 * was: not stopped again, not continued after.
 */

/*
 * While frozen, continue the VMM when the caller gets SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT or SIGPIPE (those that are not ignored), then let the
 * signal take the action it had before (for the defaults: the caller
 * ends).  The handlers are installed by bpfpoke_freeze() and removed by
 * bpfpoke_thaw(); one freezer at a time can have them.
 */
#define BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL	(1U << 0)

/**
 * struct bpfpoke_freezer_opts - options of bpfpoke_freezer_open()
 * @sz: sizeof(struct bpfpoke_freezer_opts)
 * @timeout_ms: how long to wait for each QMP reply (the greeting too), or
 *		for every thread of a SIGSTOPped VMM to stop (0: 5000)
 * @flags: BPFPOKE_FREEZER_*
 */
struct bpfpoke_freezer_opts {
	size_t sz;
	unsigned int timeout_ms;
	__u32 flags;
	size_t :0;
};
#define bpfpoke_freezer_opts__last_field flags

struct bpfpoke_freezer;

/**
 * bpfpoke_freezer_open() - prepare to freeze a VMM
 * @spec: "none" (freezing does nothing), "sigstop:PID" (SIGSTOP the VMM
 *	  with PID and wait until all its threads are stopped; SIGCONT to
 *	  thaw) or "qmp:PATH" (QEMU's QMP UNIX socket, -qmp
 *	  unix:PATH,server=on,wait=off: "stop", checked with "query-status",
 *	  and "cont" to thaw)
 * @opts: NULL for the defaults
 *
 * For QMP, connects, reads QEMU's greeting and sends qmp_capabilities
 * now, so that a wrong socket fails before anything is written.  The
 * connection is kept until bpfpoke_freezer_close(); QEMU serves one
 * client per QMP socket.  Every failure logs one WARN message, e.g.
 * "cannot connect to QMP socket PATH: No such file or directory".
 *
 * Return: the freezer, or NULL with errno: EINVAL for a malformed @spec
 * or @opts (unknown flags, non-zero bytes past the known fields);
 * sigstop: ESRCH or EPERM when PID cannot be signalled; qmp:
 * ENAMETOOLONG, the errno of socket() or connect() (ENOENT, ECONNREFUSED,
 * EACCES, EAGAIN for a full backlog, ...), ETIMEDOUT when no greeting
 * came in time (another client holds the socket), EPROTO when the
 * socket does not speak QMP, ECONNRESET when it closed, EIO when QEMU
 * refused qmp_capabilities; ENOMEM.
 */
struct bpfpoke_freezer *
bpfpoke_freezer_open(const char *spec, const struct bpfpoke_freezer_opts *opts);

/**
 * bpfpoke_freeze() - stop the VMM
 * @f: from bpfpoke_freezer_open()
 *
 * sigstop: returns once every thread of the VMM is stopped.  qmp: asks
 * QEMU for its status; a VM that is not "running" (paused, prelaunch,
 * ...) is left alone; else "stop", whose return means the vCPUs are
 * stopped, and query-status must then say "paused".  QMP events that
 * arrive meanwhile are skipped.  On failure the VMM is running as
 * before (continued if it had been stopped).
 *
 * Return: 0; -EINVAL for a NULL @f; -EALREADY when frozen already;
 * -EBUSY when another freezer thaws on signals, or when the VM's status
 * after "stop" is not "paused" (something else changed it);
 * -ECANCELED after a POSIX signal thawed @f; sigstop: -ESRCH when the VMM is
 * gone, -ETIMEDOUT when its threads did not all stop in time, the errno
 * of kill(); qmp: -EIO when QEMU answered with an error (logged as
 * "QMP stop failed: <QEMU's description>"), -ETIMEDOUT when it did not
 * answer in time, -ECONNRESET when it closed the socket, -EPROTO for a
 * malformed reply, -EMSGSIZE for one longer than 64 KiB.
 */
int bpfpoke_freeze(struct bpfpoke_freezer *f);

/**
 * bpfpoke_thaw() - continue what bpfpoke_freeze() stopped
 * @f: from bpfpoke_freezer_open()
 *
 * Does nothing when @f is not frozen or the VMM was already stopped
 * before bpfpoke_freeze().  On failure @f stays frozen, so the call can
 * be repeated; bpfpoke_freezer_close() tries once more.
 *
 * Return: 0; -EINVAL for a NULL @f; sigstop: the errno of kill(SIGCONT);
 * qmp: as bpfpoke_freeze() for the "cont" command.
 */
int bpfpoke_thaw(struct bpfpoke_freezer *f);

/* Thaws if frozen, then frees.  @f may be NULL.  Cannot fail. */
void bpfpoke_freezer_close(struct bpfpoke_freezer *f);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_FREEZE_H */
