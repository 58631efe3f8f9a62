/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: telling the guest a write landed, over its virtio-serial
 * port.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_SIGNALLER_H
#define __BPFPOKE_SIGNALLER_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Signal: tell the guest the write landed (the frame: <bpfpoke/signal.h>) */

/**
 * struct bpfpoke_signal_opts - options of bpfpoke_signaller_open()
 * @sz: sizeof(struct bpfpoke_signal_opts)
 * @timeout_ms: give up waiting for the guest's acknowledgement after this
 *		long (0: 10000)
 * @resend_ms: resend an unacknowledged frame this often (0: 200)
 * @compat: send the single byte 0xBF instead of frames (no failure
 *	    report, no acknowledgement)
 */
struct bpfpoke_signal_opts {
	size_t sz;
	unsigned int timeout_ms;
	unsigned int resend_ms;
	bool compat;
	size_t :0;
};
#define bpfpoke_signal_opts__last_field compat

struct bpfpoke_signaller;

/**
 * bpfpoke_signaller_open() - open the host end of the guest's signal port
 * @spec: "unix:PATH" (a listening UNIX socket, as QEMU's -chardev socket
 *	  server makes) or "file:PATH" (a pty, FIFO or character device;
 *	  a tty is put in raw mode)
 * @opts: NULL for the defaults
 *
 * A UNIX socket that accepts no connection within @opts' timeout_ms (its
 * listener busy, its backlog full) fails with ETIMEDOUT rather than block.
 *
 * Return: the signaller, or NULL with errno: EINVAL for a malformed @spec
 * or @opts, E2BIG for unknown non-zero @opts fields, ENAMETOOLONG,
 * ETIMEDOUT, the errno of socket(), connect() or open(), ENOMEM.
 */
struct bpfpoke_signaller *
bpfpoke_signaller_open(const char *spec, const struct bpfpoke_signal_opts *opts);

/**
 * bpfpoke_signaller_from_fd() - use an open port (a socket, pty master, ...)
 * @fd: the host end; owned by the signaller from now on (closed by
 *	bpfpoke_signaller_close(), and not on failure)
 * @opts: NULL for the defaults
 *
 * Return: the signaller, or NULL with errno EBADF, EINVAL, E2BIG, ENOMEM.
 */
struct bpfpoke_signaller *
bpfpoke_signaller_from_fd(int fd, const struct bpfpoke_signal_opts *opts);

/**
 * bpfpoke_signaller_send() - send WRITE_DONE or WRITE_FAILED and wait for
 *			      the guest to acknowledge it
 * @s: from bpfpoke_signaller_open()
 * @failed: false for WRITE_DONE, true for WRITE_FAILED
 * @status: 0 with WRITE_DONE; -errno (what failed) with WRITE_FAILED
 * @seq_out: if not NULL, the frame's sequence number
 *
 * Resends the frame until acknowledged or the timeout.  In compat mode,
 * writes the single byte for WRITE_DONE and nothing for WRITE_FAILED, and
 * returns without waiting.
 *
 * Return: 0 when the guest acknowledged; -ETIMEDOUT when it did not in
 * time; -ECONNRESET when the port closed; -EINVAL for bad arguments;
 * another -errno from write(), read() or poll().
 */
int bpfpoke_signaller_send(struct bpfpoke_signaller *s, bool failed,
			   int status, __u32 *seq_out);

/* Closes the port.  @s may be NULL.  Cannot fail. */
void bpfpoke_signaller_close(struct bpfpoke_signaller *s);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_SIGNALLER_H */
