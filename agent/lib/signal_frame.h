/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The bpfpoke signal frame (uapi/bpfpoke/signal.h): encoding, decoding and
 * a byte-stream parser that resynchronises on garbage.  Shared by the host
 * agent (libbpfpoke) and the guest side (guest/), which compile this same
 * source.
 */
#ifndef __BPFPOKE_SIGNAL_FRAME_H
#define __BPFPOKE_SIGNAL_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <bpfpoke/signal.h>

#define BPFPOKE_SIGNAL_FRAME_LEN	16

/* A frame in host byte order. */
struct bpfpoke_signal {
	__u8 type;	/* enum bpfpoke_signal_type */
	__u32 seq;
	__s32 status;
};

/* Writes the 16 wire bytes of @sig to @out. */
void bpfpoke_signal_encode(const struct bpfpoke_signal *sig,
			   __u8 out[BPFPOKE_SIGNAL_FRAME_LEN]);

/*
 * Decodes 16 wire bytes.  Returns 0, or -EINVAL when the magic, version,
 * type or flags are not ones this code knows.
 */
int bpfpoke_signal_decode(const __u8 in[BPFPOKE_SIGNAL_FRAME_LEN],
			  struct bpfpoke_signal *sig);

enum bpfpoke_signal_event {
	BPFPOKE_SIGNAL_EV_NONE,		/* need more bytes */
	BPFPOKE_SIGNAL_EV_FRAME,	/* a valid frame is in *sig */
	BPFPOKE_SIGNAL_EV_COMPAT,	/* the compatibility byte */
};

/**
 * struct bpfpoke_signal_parser - frames out of a byte stream
 * @buf: bytes of a frame that may be starting
 * @len: how many
 * @replay: bytes to look at again after a false start, before new input
 * @nreplay: how many
 * @pos: the next of them
 * @compat: report BPFPOKE_SIGNAL_COMPAT_BYTE outside a frame as an event
 * @skipped: bytes dropped as garbage so far
 *
 * @buf and the replay bytes together never hold more than a frame's
 * length: a false start gives back all but its first byte.
 */
struct bpfpoke_signal_parser {
	__u8 buf[BPFPOKE_SIGNAL_FRAME_LEN];
	unsigned int len;
	__u8 replay[BPFPOKE_SIGNAL_FRAME_LEN];
	unsigned int nreplay;
	unsigned int pos;
	bool compat;
	unsigned long skipped;
};

void bpfpoke_signal_parser_init(struct bpfpoke_signal_parser *p, bool compat);

/*
 * Feeds @len bytes.  Stops after the first event and returns how many
 * bytes it consumed; *@ev says what happened (EV_NONE when all @len bytes
 * were consumed without an event).  Feed the rest again to continue.
 */
size_t bpfpoke_signal_parse(struct bpfpoke_signal_parser *p, const void *data,
			    size_t len, enum bpfpoke_signal_event *ev,
			    struct bpfpoke_signal *sig);

#endif /* __BPFPOKE_SIGNAL_FRAME_H */
