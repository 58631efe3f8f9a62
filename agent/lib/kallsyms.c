// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The guest kernel's kallsyms, decoded from guest memory with the table
 * addresses its VMCOREINFO gives (6.0+): zero-config, step 2.
 *
 * kernel/kallsyms.c's tables, all in the kernel image:
 * - kallsyms_num_syms: a u32;
 * - kallsyms_names: per symbol a length (one byte; since 6.1 two when the
 *   first has bit 7 set: (b0 & 0x7f) | b1 << 7), then that many token
 *   numbers; the expanded text is the type letter, then the name;
 * - kallsyms_token_table and kallsyms_token_index: 256 NUL-terminated
 *   tokens and the u16 offset of each;
 * - kallsyms_offsets: an s32 per symbol, whose meaning changed:
 *   absolute-percpu (x86_64 before 6.15): >= 0 is the address itself,
 *   else kallsyms_relative_base - 1 - offset; base-relative (6.15 on):
 *   kallsyms_relative_base + (u32)offset; place-relative (7.0 on, no
 *   relative_base): the address of the offset itself plus the offset.
 * The encoding is not guessed from a version: each that the tables allow
 * is tried, and the one that puts _stext where VMCOREINFO's
 * SYMBOL(_stext) says is kept.
 *
 * Guest memory is hostile: the symbol count, every length, token and
 * offset is bounded, the decoded names too (64 MiB in all), and they are
 * checked to be printable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kmodel.h"
#include "mem.h"

#define START_KERNEL_MAP	0xffffffff80000000ULL
/* Bounds a hostile guest cannot push past (6.1 Debian: ~190,000 symbols). */
#define KALLSYMS_MAX_SYMS	(1U << 21)
#define KALLSYMS_MAX_NAMES	(64U << 20)	/* bytes of kallsyms_names */
#define KALLSYMS_TOKENS_MAX	(64U << 10)	/* bytes of the token table */
/* Decoded names, all together (7.3 Debian: 5 MiB). */
#define KALLSYMS_MAX_STRTAB	(64U << 20)
#define NAMES_CHUNK		(1U << 20)

enum kallsyms_encoding {
	ENC_ABSOLUTE_PERCPU,
	ENC_BASE_RELATIVE,
	ENC_PLACE_RELATIVE,
	NR_ENCODINGS,
};

static const char *const encoding_names[NR_ENCODINGS] = {
	"absolute-percpu", "base-relative", "place-relative",
};

static __u64 image_pa(const struct bpfpoke_vmcoreinfo *vi, __u64 kva)
{
	return kva - START_KERNEL_MAP + vi->phys_base;
}

static int read_image(struct mem *mem, const struct bpfpoke_vmcoreinfo *vi,
		      __u64 kva, void *buf, size_t len)
{
	if (kva < START_KERNEL_MAP)
		return -EFAULT;
	return bpfpoke_mem_read(mem, image_pa(vi, kva), buf, len);
}

/* kallsyms_names, read a chunk at a time as the decoder walks it. */
struct names {
	struct mem *mem;
	const struct bpfpoke_vmcoreinfo *vi;
	unsigned char *buf;
	__u64 base;		/* offset of buf[0] in kallsyms_names */
	__u32 len;		/* bytes in buf */
};

/* The byte at @off of kallsyms_names into *@b. */
static int names_byte(struct names *n, __u64 off, unsigned char *b)
{
	int err;

	if (off >= KALLSYMS_MAX_NAMES)
		return -E2BIG;
	if (off < n->base || off >= n->base + n->len) {
		n->base = off;
		n->len = NAMES_CHUNK;
		err = read_image(n->mem, n->vi, n->vi->kallsyms_names + off,
				 n->buf, n->len);
		/* The image may end before a whole chunk: read less. */
		while (err == -EFAULT && n->len > 4096) {
			n->len /= 2;
			err = read_image(n->mem, n->vi,
					 n->vi->kallsyms_names + off, n->buf,
					 n->len);
		}
		if (err) {
			n->len = 0;
			return err;
		}
	}
	*b = n->buf[off - n->base];
	return 0;
}

void bpfpoke_kallsyms_free(struct bpfpoke_kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strtab);
	free(ks);
}

/*
 * The address of symbol @i under @enc, or false if @enc cannot be.
 * @base is the value of kallsyms_relative_base, if @have_base.
 */
static bool sym_address(const struct bpfpoke_vmcoreinfo *vi,
			const __s32 *offsets, __u32 i, bool have_base,
			__u64 base, enum kallsyms_encoding enc, __u64 *addr)
{
	__s32 off = offsets[i];

	switch (enc) {
	case ENC_ABSOLUTE_PERCPU:
		if (!have_base)
			return false;
		*addr = off >= 0 ? (__u64)off : base - 1 - off;
		return true;
	case ENC_BASE_RELATIVE:
		if (!have_base)
			return false;
		*addr = base + (__u32)off;
		return true;
	case ENC_PLACE_RELATIVE:
		*addr = vi->kallsyms_offsets + 4ULL * i + (__s64)off;
		return true;
	default:
		return false;
	}
}

/*
 * Decode every name into @ks's string table.  -EINVAL for a table that
 * makes no sense (an empty or unprintable name, a token past the table).
 */
static int decode_names(struct names *n, const char *tokens, __u32 tok_len,
			const __u16 *tok_index, struct bpfpoke_kallsyms *ks)
{
	__u64 off = 0;
	size_t cap = 0, used = 0;
	char name[BPFPOKE_KSYM_NAME_MAX + 2];
	__u32 i, len, j, nlen;
	unsigned char b, b1;
	int err;

	for (i = 0; i < ks->nr; i++) {
		err = names_byte(n, off++, &b);
		if (err)
			return err;
		len = b;
		if (b & 0x80) {
			err = names_byte(n, off++, &b1);
			if (err)
				return err;
			len = (b & 0x7f) | (__u32)b1 << 7;
		}
		if (!len)
			return -EINVAL;
		for (j = 0, nlen = 0; j < len; j++) {
			const char *t;
			__u16 ti;

			err = names_byte(n, off++, &b);
			if (err)
				return err;
			ti = tok_index[b];
			if (ti >= tok_len)
				return -EINVAL;
			for (t = tokens + ti; t < tokens + tok_len && *t; t++)
				if (nlen < sizeof(name) - 1)
					name[nlen++] = *t;
		}
		/* The type letter, then at least one byte of name. */
		if (nlen < 2 || nlen >= sizeof(name) - 1)
			return -EINVAL;
		for (j = 0; j < nlen; j++)
			if (name[j] <= ' ' || name[j] >= 0x7f)
				return -EINVAL;
		name[nlen] = 0;
		ks->syms[i].type = name[0];
		if (used + nlen > KALLSYMS_MAX_STRTAB)
			return -E2BIG;
		if (used + nlen > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			char *p;

			while (ncap < used + nlen)
				ncap *= 2;
			p = realloc(ks->strtab, ncap);
			if (!p)
				return -ENOMEM;
			ks->strtab = p;
			cap = ncap;
		}
		/* Name without the type letter, NUL-terminated. */
		memcpy(ks->strtab + used, name + 1, nlen);
		ks->syms[i].name_off = used;
		used += nlen;
	}
	return 0;
}

int bpfpoke_kallsyms_decode(struct mem *mem,
			    const struct bpfpoke_vmcoreinfo *vi,
			    struct bpfpoke_kallsyms **out)
{
	struct names n = { .mem = mem, .vi = vi };
	struct bpfpoke_kallsyms *ks;
	char *tokens = NULL;
	__s32 *offsets = NULL;
	__u16 tok_index[256];
	__u32 num, i, stext = ~0U, tok_len = KALLSYMS_TOKENS_MAX;
	bool have_base = false;
	__u64 base = 0;
	int enc, err;

	if (!vi->has_kallsyms) {
		pr_warn("the guest's VMCOREINFO has no kallsyms tables (a kernel before 6.0, or built without KALLSYMS): give --vmlinux, or --btf and --symbols\n");
		return -ENOENT;
	}
	err = read_image(mem, vi, vi->kallsyms_num_syms, &num, sizeof(num));
	if (err)
		return err;
	if (!num || num > KALLSYMS_MAX_SYMS) {
		pr_warn("kallsyms: %u symbols is not a kernel's symbol table\n", num);
		return -EINVAL;
	}
	ks = calloc(1, sizeof(*ks));
	n.buf = malloc(NAMES_CHUNK);
	tokens = malloc(tok_len);
	offsets = malloc((size_t)num * sizeof(*offsets));
	if (!ks || !n.buf || !tokens || !offsets) {
		err = -ENOMEM;
		goto out;
	}
	ks->nr = num;
	ks->syms = calloc(num, sizeof(*ks->syms));
	if (!ks->syms) {
		err = -ENOMEM;
		goto out;
	}
	err = read_image(mem, vi, vi->kallsyms_token_index, tok_index,
			 sizeof(tok_index));
	/* The token table may end before 64 KiB does: read less. */
	while (!err && tok_len >= 1024 &&
	       read_image(mem, vi, vi->kallsyms_token_table, tokens, tok_len))
		tok_len /= 2;
	if (!err && tok_len < 1024)
		err = -EFAULT;
	if (!err)
		err = read_image(mem, vi, vi->kallsyms_offsets, offsets,
				 (size_t)num * sizeof(*offsets));
	/* SYMBOL(kallsyms_relative_base) is the variable's address (< 7.0). */
	if (!err && vi->kallsyms_relative_base) {
		err = read_image(mem, vi, vi->kallsyms_relative_base, &base,
				 sizeof(base));
		have_base = !err;
	}
	if (!err)
		err = decode_names(&n, tokens, tok_len, tok_index, ks);
	if (err) {
		pr_warn("kallsyms: the guest's tables cannot be decoded: %s\n",
			strerror(-err));
		goto out;
	}
	for (i = 0; i < num && stext == ~0U; i++)
		if (!strcmp(ks->strtab + ks->syms[i].name_off, "_stext"))
			stext = i;
	if (stext == ~0U || !vi->stext) {
		pr_warn("kallsyms: no _stext to check the address encoding against\n");
		err = -EINVAL;
		goto out;
	}
	for (enc = 0; enc < NR_ENCODINGS; enc++) {
		__u64 a;

		if (sym_address(vi, offsets, stext, have_base, base, enc, &a) &&
		    a == vi->stext)
			break;
	}
	if (enc == NR_ENCODINGS) {
		pr_warn("kallsyms: no address encoding puts _stext at 0x%llx\n",
			(unsigned long long)vi->stext);
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < num; i++)
		sym_address(vi, offsets, i, have_base, base, enc,
			    &ks->syms[i].addr);
	ks->encoding = encoding_names[enc];
	pr_debug("kallsyms: %u symbols, %s addresses\n", num, ks->encoding);
out:
	free(n.buf);
	free(tokens);
	free(offsets);
	if (err) {
		bpfpoke_kallsyms_free(ks);
		return err;
	}
	*out = ks;
	return 0;
}
