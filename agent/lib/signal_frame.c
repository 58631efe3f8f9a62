// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bpfpoke signal frame: see signal_frame.h.
 */
#include <errno.h>
#include <string.h>

#include "signal_frame.h"

static void put_le16(__u8 *p, __u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(__u8 *p, __u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static __u16 get_le16(const __u8 *p)
{
	return p[0] | p[1] << 8;
}

static __u32 get_le32(const __u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;
}

/* Field offsets of struct bpfpoke_signal_frame on the wire. */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 5,
	OFF_FLAGS = 6,
	OFF_SEQ = 8,
	OFF_STATUS = 12,
};

_Static_assert(sizeof(struct bpfpoke_signal_frame) == BPFPOKE_SIGNAL_FRAME_LEN,
	       "the signal frame is 16 bytes");
_Static_assert(__builtin_offsetof(struct bpfpoke_signal_frame, status) == OFF_STATUS,
	       "signal frame layout");

void bpfpoke_signal_encode(const struct bpfpoke_signal *sig,
			   __u8 out[BPFPOKE_SIGNAL_FRAME_LEN])
{
	put_le32(out + OFF_MAGIC, BPFPOKE_SIGNAL_MAGIC);
	out[OFF_VERSION] = BPFPOKE_SIGNAL_VERSION;
	out[OFF_TYPE] = sig->type;
	put_le16(out + OFF_FLAGS, 0);
	put_le32(out + OFF_SEQ, sig->seq);
	put_le32(out + OFF_STATUS, (__u32)sig->status);
}

int bpfpoke_signal_decode(const __u8 in[BPFPOKE_SIGNAL_FRAME_LEN],
			  struct bpfpoke_signal *sig)
{
	__u8 type = in[OFF_TYPE];

	if (get_le32(in + OFF_MAGIC) != BPFPOKE_SIGNAL_MAGIC ||
	    in[OFF_VERSION] != BPFPOKE_SIGNAL_VERSION ||
	    get_le16(in + OFF_FLAGS) != 0)
		return -EINVAL;
	if (type != BPFPOKE_SIGNAL_WRITE_DONE &&
	    type != BPFPOKE_SIGNAL_WRITE_FAILED && type != BPFPOKE_SIGNAL_ACK)
		return -EINVAL;
	sig->type = type;
	sig->seq = get_le32(in + OFF_SEQ);
	sig->status = (__s32)get_le32(in + OFF_STATUS);
	/*
	 * No checksum: the field rules are strict instead, so that a cut-off
	 * frame followed by a whole one never reads as a frame.  Wherever the
	 * next frame's magic lands (version, type, flags or status) it breaks
	 * a rule.
	 */
	if (!sig->seq)
		return -EINVAL;
	if (type == BPFPOKE_SIGNAL_WRITE_FAILED ?
	    sig->status >= 0 || sig->status < -4095 : sig->status != 0)
		return -EINVAL;
	return 0;
}

void bpfpoke_signal_parser_init(struct bpfpoke_signal_parser *p, bool compat)
{
	memset(p, 0, sizeof(*p));
	p->compat = compat;
}

static const __u8 magic[4] = { 'B', 'P', 'F', 'K' };

/*
 * One byte.  A frame under way keeps its bytes while they can still be a
 * frame; once they cannot, the first is dropped and the others are looked
 * at again (before any new input), so that a real frame hidden behind
 * garbage is still found.
 */
static enum bpfpoke_signal_event step(struct bpfpoke_signal_parser *p, __u8 c,
				      struct bpfpoke_signal *sig)
{
	__u8 again[2 * BPFPOKE_SIGNAL_FRAME_LEN];
	unsigned int n, rest;

	if (p->len == 0) {
		if (c == magic[0]) {
			p->buf[p->len++] = c;
			return BPFPOKE_SIGNAL_EV_NONE;
		}
		if (p->compat && c == BPFPOKE_SIGNAL_COMPAT_BYTE)
			return BPFPOKE_SIGNAL_EV_COMPAT;
		p->skipped++;
		return BPFPOKE_SIGNAL_EV_NONE;
	}

	p->buf[p->len++] = c;
	if (p->len <= sizeof(magic)) {
		if (c == magic[p->len - 1])
			return BPFPOKE_SIGNAL_EV_NONE;
	} else if (p->len < BPFPOKE_SIGNAL_FRAME_LEN) {
		return BPFPOKE_SIGNAL_EV_NONE;
	} else if (!bpfpoke_signal_decode(p->buf, sig)) {
		p->len = 0;
		return BPFPOKE_SIGNAL_EV_FRAME;
	}

	/* A false start: its bytes after the first, then the old replay. */
	n = p->len - 1;
	rest = p->nreplay - p->pos;
	memcpy(again, p->buf + 1, n);
	memcpy(again + n, p->replay + p->pos, rest);
	/* Never more than a frame: see struct bpfpoke_signal_parser. */
	if (n + rest > sizeof(p->replay))
		n = sizeof(p->replay) - rest;
	memcpy(p->replay, again, n + rest);
	p->nreplay = n + rest;
	p->pos = 0;
	p->len = 0;
	p->skipped++;
	return BPFPOKE_SIGNAL_EV_NONE;
}

size_t bpfpoke_signal_parse(struct bpfpoke_signal_parser *p, const void *data,
			    size_t len, enum bpfpoke_signal_event *ev,
			    struct bpfpoke_signal *sig)
{
	const __u8 *b = data;
	size_t used = 0;
	__u8 c;

	for (;;) {
		if (p->pos < p->nreplay)
			c = p->replay[p->pos++];
		else if (used < len)
			c = b[used++];
		else
			break;
		if (p->pos == p->nreplay)
			p->pos = p->nreplay = 0;
		*ev = step(p, c, sig);
		if (*ev != BPFPOKE_SIGNAL_EV_NONE)
			return used;
	}
	*ev = BPFPOKE_SIGNAL_EV_NONE;
	return used;
}
