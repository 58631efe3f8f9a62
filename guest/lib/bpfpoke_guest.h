/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The guest side of bpfpoke: wait on the virtio-console port for the
 * host's signal that a write into this kernel's BPF maps landed.
 *
 * Functions return 0 or a negative errno (errno set too); they never print
 * or exit.
 */
#ifndef __BPFPOKE_GUEST_H
#define __BPFPOKE_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Where the last acknowledged sequence number is kept between waits. */
#define BPFPOKE_GUEST_STATE	"/run/bpfpoke-guest.seq"

/**
 * struct bpfpoke_guest_opts - options of bpfpoke_guest_open()
 * @sz: sizeof(struct bpfpoke_guest_opts)
 * @port: the port to open; NULL: /dev/virtio-ports/org.bpfpoke.0, or
 *	  /dev/hvc0 when that does not exist
 * @state: file that remembers the last frame acted on, so that copies the
 *	   host resent are not acted on again by a later wait; NULL:
 *	   BPFPOKE_GUEST_STATE, "" for none
 * @no_compat: do not take the single byte 0xBF as WRITE_DONE
 */
struct bpfpoke_guest_opts {
	size_t sz;
	const char *port;
	const char *state;
	bool no_compat;
	size_t :0;
};
#define bpfpoke_guest_opts__last_field no_compat

struct bpfpoke_guest;

/* What a wait returned. */
struct bpfpoke_guest_signal {
	bool failed;	/* WRITE_FAILED */
	bool compat;	/* the single byte: no seq, no status */
	__u32 seq;
	int status;	/* 0, or the host's -errno */
};

/*
 * Opens the port (a tty is put in raw mode).  @opts follows libbpf's
 * convention: an older, shorter struct is fine, a newer, longer one if
 * the bytes this library does not know are zero.  Returns NULL with
 * errno: EINVAL for bad @opts, or open()'s errno (ENOENT when neither
 * port exists).
 */
struct bpfpoke_guest *bpfpoke_guest_open(const struct bpfpoke_guest_opts *opts);

/*
 * The same on an open file (@fd becomes the handle's and is closed by
 * bpfpoke_guest_close(), not on failure); @name is for messages.  @fd
 * must be one epoll can watch (a character device, tty, pipe or socket).
 * Returns NULL with errno EINVAL, ENOMEM, or fcntl()'s or epoll's errno
 * (EPERM for a regular file).
 */
struct bpfpoke_guest *bpfpoke_guest_open_fd(int fd, const char *name,
					    const struct bpfpoke_guest_opts *opts);

/* The path that was opened. */
const char *bpfpoke_guest_port(const struct bpfpoke_guest *g);

/*
 * Waits up to @timeout_ms (negative: forever) for WRITE_DONE or
 * WRITE_FAILED, acknowledges it (and any copy of an earlier frame that
 * arrives meanwhile), and fills @sig.  Garbage and partial frames are
 * skipped.  While the host has no client on the port, the wait sleeps
 * until one connects (no polling).  Returns 0, -ETIMEDOUT, or -errno of
 * read(), epoll_wait(), poll() or write().
 */
int bpfpoke_guest_wait(struct bpfpoke_guest *g, int timeout_ms,
		       struct bpfpoke_guest_signal *sig);

/* Bytes skipped as garbage so far. */
unsigned long bpfpoke_guest_skipped(const struct bpfpoke_guest *g);

void bpfpoke_guest_close(struct bpfpoke_guest *g);

#endif /* __BPFPOKE_GUEST_H */
