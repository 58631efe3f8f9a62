/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bpfpoke host -> guest signal: the frame the host sends on the guest's
 * virtio-console port after a batch of map writes, and the frame the guest
 * sends back to acknowledge it.
 *
 * The guest port is the named virtio-serial port org.bpfpoke.0
 * (/dev/virtio-ports/org.bpfpoke.0), or /dev/hvc0 in raw mode.  The host end
 * is whatever the VMM exposes: a UNIX socket (QEMU -chardev socket), a pty,
 * a FIFO or a character device.
 *
 * A frame is 16 bytes, all fields little-endian.  A reader resynchronises
 * on garbage by looking for the magic; a frame whose version, type or
 * reserved bits it does not know is skipped a byte at a time.  The host
 * resends a frame until the guest acknowledges its sequence number or the
 * host's timeout runs out, so the guest must accept (and acknowledge
 * again) a frame it has already seen, without acting on it twice.
 *
 * Compatibility: the single byte BPFPOKE_SIGNAL_COMPAT_BYTE, outside a
 * frame, means WRITE_DONE with no acknowledgement (the signal byte other
 * harnesses use).
 */
#ifndef _UAPI_BPFPOKE_SIGNAL_H
#define _UAPI_BPFPOKE_SIGNAL_H

#include <linux/types.h>

#define BPFPOKE_SIGNAL_PORT_NAME	"org.bpfpoke.0"
#define BPFPOKE_SIGNAL_PORT		"/dev/virtio-ports/" BPFPOKE_SIGNAL_PORT_NAME
#define BPFPOKE_SIGNAL_PORT_FALLBACK	"/dev/hvc0"

#define BPFPOKE_SIGNAL_MAGIC		0x4b465042U	/* the bytes "BPFK" */
#define BPFPOKE_SIGNAL_VERSION		1
#define BPFPOKE_SIGNAL_COMPAT_BYTE	0xbf

enum bpfpoke_signal_type {
	BPFPOKE_SIGNAL_WRITE_DONE	= 1,	/* host: the batch landed */
	BPFPOKE_SIGNAL_WRITE_FAILED	= 2,	/* host: nothing was written; see status */
	BPFPOKE_SIGNAL_ACK		= 3,	/* guest: got the frame with this seq */
};

/**
 * struct bpfpoke_signal_frame - one signal, 16 bytes, little-endian
 * @magic: BPFPOKE_SIGNAL_MAGIC
 * @version: BPFPOKE_SIGNAL_VERSION
 * @type: enum bpfpoke_signal_type
 * @flags: none defined yet: 0
 * @seq: the host's number for this batch (non-zero); an ACK echoes it
 * @status: 0 for WRITE_DONE and ACK; -errno (-4095..-1) for WRITE_FAILED
 *
 * A frame that breaks any of these rules is not a frame: there is no
 * checksum, and the rules are what keeps a cut-off frame followed by a
 * whole one from reading as a frame.
 */
struct bpfpoke_signal_frame {
	__le32 magic;
	__u8 version;
	__u8 type;
	__le16 flags;
	__le32 seq;
	__le32 status;
};

#endif /* _UAPI_BPFPOKE_SIGNAL_H */
