// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A map key or value as JSON by its BTF type, the way bpftool's
 * btf_dumper.c prints the "formatted" part of `bpftool -j map dump`:
 * integers as numbers (bitfields and 128-bit integers as "0x..."
 * strings), bools, enums by name, NUL-terminated printable char arrays
 * as strings, other arrays as lists, structs and unions as objects,
 * pointers as numbers, a DATASEC as {"SEC": [{"var": ...}, ...]}.
 * The plain-text view (bpftool's map dump without -j, for maps with BTF)
 * differs only in printing bitfields and 128-bit integers as bare 0x...
 * and pointers as "%p" does.
 * The BTF is the guest's: every access is checked against @size and the
 * nesting is bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "main.h"

/* Deepest nesting of types followed (typedefs and modifiers included). */
#define BTF_JSON_MAX_DEPTH	64

struct bj {
	struct json *j;
	const struct btf *btf;
	const unsigned char *base;
	size_t size;
	bool plain;	/* bpftool's plain-text view (is_plain_text) */
};

static int bj_type(const struct bj *b, __u32 id, __u32 bit_off,
		   size_t off, int depth);

/* @len bytes at @off are inside the data. */
static bool bj_fits(const struct bj *b, size_t off, size_t len)
{
	return off <= b->size && len <= b->size - off;
}

/* Bits [@bit_off, @bit_off + @nr_bits) from @off, as btf_dumper_bitfield(). */
static int bj_bits(const struct bj *b, size_t off, __u32 bit_off,
		   __u32 nr_bits)
{
	__u64 lo = 0, hi = 0;
	char buf[40];
	__u32 i, nbytes;

	off += bit_off / 8;
	bit_off %= 8;
	nbytes = (bit_off + nr_bits + 7) / 8;
	if (!nr_bits || nr_bits > 128 || nbytes > 16 || !bj_fits(b, off, nbytes))
		return -EINVAL;
	for (i = 0; i < nbytes; i++) {
		__u64 v = b->base[off + i];

		if (i < 8)
			lo |= v << (8 * i);
		else
			hi |= v << (8 * (i - 8));
	}
	/* Shift right by bit_off, then keep nr_bits. */
	if (bit_off) {
		lo = lo >> bit_off | hi << (64 - bit_off);
		hi >>= bit_off;
	}
	if (nr_bits < 64) {
		lo &= (1ULL << nr_bits) - 1;
		hi = 0;
	} else if (nr_bits < 128) {
		hi &= nr_bits == 64 ? 0 : (1ULL << (nr_bits - 64)) - 1;
	}
	if (hi)
		snprintf(buf, sizeof(buf), "0x%llx%016llx",
			 (unsigned long long)hi, (unsigned long long)lo);
	else
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)lo);
	if (b->plain)
		json_raw(b->j, buf);
	else
		json_string(b->j, buf);
	return 0;
}

static __u64 bj_le(const struct bj *b, size_t off, __u32 n)
{
	__u64 v = 0;

	while (n--)
		v = v << 8 | b->base[off + n];
	return v;
}

static int bj_int(const struct bj *b, const struct btf_type *t,
		  __u32 bit_off, size_t off)
{
	__u32 info = *(const __u32 *)(t + 1);
	__u32 bits = BTF_INT_BITS(info);
	__u64 v;
	char c[8];

	if (bit_off || BTF_INT_OFFSET(info) || (bits % 8))
		return bj_bits(b, off, bit_off + BTF_INT_OFFSET(info), bits);
	if (bits == 128)
		return bj_bits(b, off, 0, 128);
	if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
		return bj_bits(b, off, 0, bits);
	if (!bj_fits(b, off, bits / 8))
		return -EINVAL;
	v = bj_le(b, off, bits / 8);
	switch (BTF_INT_ENCODING(info)) {
	case 0:
		json_uint(b->j, v);
		return 0;
	case BTF_INT_SIGNED:
		if (bits < 64 && (v >> (bits - 1)) & 1)
			v |= ~0ULL << bits;
		json_int(b->j, (__s64)v);
		return 0;
	case BTF_INT_CHAR:
		/* bpftool: "c", or "\u00XX" when not printable; the same string. */
		c[0] = v;
		json_string_len(b->j, c, 1);
		return 0;
	case BTF_INT_BOOL:
		json_bool(b->j, v & 0xff);
		return 0;
	default:
		return -EINVAL;
	}
}

static int bj_enum(const struct bj *b, const struct btf_type *t, size_t off)
{
	__u16 i, n = btf_vlen(t);
	__s64 v;

	if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
		return -EINVAL;
	if (!bj_fits(b, off, t->size))
		return -EINVAL;
	v = bj_le(b, off, t->size);
	if (t->size < 8 && (v >> (8 * t->size - 1)) & 1)
		v |= ~0ULL << (8 * t->size);	/* bpftool reads it signed */
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (i = 0; i < n; i++, e++)
			if (v == e->val) {
				json_string(b->j, btf__name_by_offset(b->btf,
								      e->name_off));
				return 0;
			}
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		for (i = 0; i < n; i++, e++)
			if ((__u64)v == btf_enum64_value(e)) {
				json_string(b->j, btf__name_by_offset(b->btf,
								      e->name_off));
				return 0;
			}
	}
	json_int(b->j, v);
	return 0;
}

/* A char array holding a NUL-terminated printable string: bpftool's is_str_array(). */
static bool bj_is_str(const struct bj *b, const struct btf_array *a,
		      size_t off)
{
	const struct btf_type *et = btf__type_by_id(b->btf, a->type);
	const char *name;
	__u32 i;
	int hops = 0;

	if (!a->nelems)
		return false;
	while (et && btf_is_mod(et) && hops++ < BTF_JSON_MAX_DEPTH)
		et = btf__type_by_id(b->btf, et->type);
	if (!et || !btf_is_int(et) || et->size != 1)
		return false;
	name = btf__name_by_offset(b->btf, et->name_off);
	if (btf_int_encoding(et) != BTF_INT_CHAR && (!name || strcmp(name, "char")))
		return false;
	for (i = 0; i < a->nelems && bj_fits(b, off + i, 1); i++) {
		unsigned char c = b->base[off + i];

		if (!c)
			return true;
		if (c <= 0x1f || c >= 0x7f)
			return false;
	}
	return false;
}

static int bj_array(const struct bj *b, const struct btf_type *t,
		    size_t off, int depth)
{
	const struct btf_array *a = btf_array(t);
	__s64 esz;
	__u32 i;
	int err = 0;

	if (bj_is_str(b, a, off)) {
		json_string(b->j, (const char *)b->base + off);
		return 0;
	}
	esz = btf__resolve_size(b->btf, a->type);
	if (esz < 0)
		return (int)esz;
	/* An array is no larger than the data; empty elements are few. */
	if (esz ? (__u64)a->nelems * esz > b->size : a->nelems > 65536)
		return -EINVAL;
	json_start_array(b->j);
	for (i = 0; i < a->nelems && !err; i++)
		err = bj_type(b, a->type, 0, off + i * esz, depth + 1);
	json_end_array(b->j);
	return err;
}

static int bj_struct(const struct bj *b, const struct btf_type *t,
		     size_t off, int depth)
{
	const struct btf_member *m = btf_members(t);
	__u16 i, n = btf_vlen(t);
	int err = 0;

	json_start_object(b->j);
	for (i = 0; i < n && !err; i++, m++) {
		__u32 bo = btf_member_bit_offset(t, i);
		__u32 bsz = btf_member_bitfield_size(t, i);
		const char *name = btf__name_by_offset(b->btf, m->name_off);

		json_name(b->j, name ? name : "");
		if (bsz)
			err = bj_bits(b, off, bo, bsz);
		else
			err = bj_type(b, m->type, bo % 8, off + bo / 8,
				      depth + 1);
	}
	json_end_object(b->j);
	return err;
}

static int bj_datasec(const struct bj *b, const struct btf_type *t,
		      size_t off, int depth)
{
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	__u16 i, n = btf_vlen(t);
	int err = 0;

	json_start_object(b->j);
	json_name(b->j, btf__name_by_offset(b->btf, t->name_off));
	json_start_array(b->j);
	for (i = 0; i < n && !err; i++, v++)
		err = bj_type(b, v->type, 0, off + v->offset, depth + 1);
	json_end_array(b->j);
	json_end_object(b->j);
	return err;
}

static int bj_type(const struct bj *b, __u32 id, __u32 bit_off,
		   size_t off, int depth)
{
	const struct btf_type *t = btf__type_by_id(b->btf, id);

	if (!t || depth > BTF_JSON_MAX_DEPTH)
		return -EINVAL;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return bj_int(b, t, bit_off, off);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return bj_struct(b, t, off, depth);
	case BTF_KIND_ARRAY:
		return bj_array(b, t, off, depth);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return bj_enum(b, t, off);
	case BTF_KIND_PTR:
		if (!bj_fits(b, off, 8))
			return -EINVAL;
		if (b->plain) {
			/* bpftool prints it with glibc's "%p". */
			__u64 v = bj_le(b, off, 8);
			char buf[24];

			if (v)
				snprintf(buf, sizeof(buf), "0x%llx",
					 (unsigned long long)v);
			else
				strcpy(buf, "(nil)");
			json_raw(b->j, buf);
		} else {
			json_uint(b->j, bj_le(b, off, 8));
		}
		return 0;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return bj_type(b, t->type, bit_off, off, depth + 1);
	case BTF_KIND_VAR:
		json_start_object(b->j);
		json_name(b->j, btf__name_by_offset(b->btf, t->name_off));
		{
			int err = bj_type(b, t->type, bit_off, off, depth + 1);

			json_end_object(b->j);
			return err;
		}
	case BTF_KIND_DATASEC:
		return bj_datasec(b, t, off, depth);
	default:
		return -EOPNOTSUPP;
	}
}

int btf_json(struct json *j, const struct btf *btf, __u32 type_id,
	     const void *data, size_t size, bool plain)
{
	struct bj b = {
		.j = j, .btf = btf, .base = data, .size = size, .plain = plain,
	};

	return bj_type(&b, type_id, 0, 0, 0);
}
