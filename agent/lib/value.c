// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Typed values: text to the bytes of a resolved field and back.  The guest
 * is x86, so every value is little-endian whatever the host is.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/btf.h>
#include <bpf/btf.h>

#include "internal.h"

/* Enumerators named in an "is not an enumerator" message. */
#define ENUM_LIST_MAX	8

/* snprintf() that appends and keeps counting past the end of the buffer. */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	bool room = sb->len < sb->size;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->len : NULL,
		      room ? sb->size - sb->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += n;
}

/* "map 'M': field 'P' (T): MESSAGE", or without the map if it has no name. */
__attribute__((format(printf, 3, 4)))
static int field_fail(const struct bpfpoke_field *f, int err,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s%.*s%sfield '%.*s' (%.*s): %s\n",
		f->map_name[0] ? "map '" : "",
		(int)sizeof(f->map_name), f->map_name,
		f->map_name[0] ? "': " : "",
		(int)sizeof(f->path), f->path,
		(int)sizeof(f->type_name), f->type_name, msg);
	return bpfpoke_err(err);
}

static int check_field(const struct bpfpoke_field *f, const char *what)
{
	if (!f) {
		pr_warn("%s: field is NULL\n", what);
		return -EINVAL;
	}
	if (f->sz < offsetofend(struct bpfpoke_field, path)) {
		pr_warn("%s: struct bpfpoke_field: sz %zu is too small\n", what,
			f->sz);
		return -EINVAL;
	}
	if (!f->btf) {
		pr_warn("%s: field has no BTF: not from bpfpoke_field_resolve()?\n",
			what);
		return -EINVAL;
	}
	/* What the arithmetic below relies on, as bpfpoke_field_fill() made it. */
	switch (f->kind) {
	case BPFPOKE_FIELD_INT:
	case BPFPOKE_FIELD_BOOL:
	case BPFPOKE_FIELD_CHAR:
	case BPFPOKE_FIELD_ENUM:
		if (!f->bits || f->size > 16 || f->bits > 8 * f->size) {
			pr_warn("%s: field has %u bits in %u bytes: not from bpfpoke_field_resolve()?\n",
				what, f->bits, f->size);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* @v little-endian in @size bytes; bytes past the 8th are @fill. */
static void put_le(void *buf, __u32 size, __u64 v, __u8 fill)
{
	__u8 *p = buf;
	__u32 i;

	for (i = 0; i < size; i++)
		p[i] = i < 8 ? (__u8)(v >> (8 * i)) : fill;
}

static __u64 get_le(const void *data, __u32 size)
{
	const __u8 *p = data;
	__u64 v = 0;
	__u32 i;

	for (i = 0; i < size && i < 8; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

/*
 * Whether a parsed number fits @bits of the given signedness, as the
 * kernel's kstrto*() see it; on success *@v is its two's complement.
 * Types wider than 64 bits take what 64 bits can say.
 */
static bool fits(__u32 bits, bool is_signed, bool neg, __u64 mag, __u64 *v)
{
	__u32 b = bits > 64 ? 64 : bits;
	__u64 pmax, nmax;

	if (!is_signed) {
		pmax = b == 64 ? ~0ULL : (1ULL << b) - 1;
		nmax = 0;
	} else if (bits > 64) {
		pmax = ~0ULL;
		nmax = 1ULL << 63;
	} else {
		pmax = (1ULL << (b - 1)) - 1;
		nmax = 1ULL << (b - 1);
	}
	if (neg ? mag > nmax : mag > pmax)
		return false;
	*v = neg ? -mag : mag;
	return true;
}

static void range_str(__u32 bits, bool is_signed, char *buf, size_t size)
{
	__u32 b = bits > 64 ? 64 : bits;

	if (!is_signed)
		snprintf(buf, size, "[0, %llu]",
			 b == 64 ? ~0ULL : (1ULL << b) - 1);
	else if (bits > 64)
		snprintf(buf, size, "[-%llu, %llu]", 1ULL << 63, ~0ULL);
	else
		snprintf(buf, size, "[-%llu, %llu]", 1ULL << (b - 1),
			 (1ULL << (b - 1)) - 1);
}

static int parse_int(const struct bpfpoke_field *f, const char *str,
		     __u32 bits, bool is_signed, __u64 *v)
{
	char range[64];
	bool neg;
	__u64 mag;
	int err;

	err = bpfpoke_parse_num(str, strlen(str), &neg, &mag);
	if (err == -EINVAL)
		return field_fail(f, -EINVAL, "'%s' is not a number", str);
	range_str(bits, is_signed, range, sizeof(range));
	if (!err && neg && mag && !is_signed)
		return field_fail(f, -ERANGE, "%s is negative, but the type is unsigned",
				  str);
	if (err || !fits(bits, is_signed, neg, mag, v))
		return field_fail(f, -ERANGE, "%s is out of range %s", str, range);
	return 0;
}

/* The enum type of @f, or NULL with the message logged. */
static const struct btf_type *enum_type(const struct bpfpoke_field *f)
{
	const struct btf_type *t = btf__type_by_id(f->btf, f->type_id);

	if (!t || !btf_is_any_enum(t)) {
		field_fail(f, -EINVAL, "type [%u] is not an enum: stale field?",
			   f->type_id);
		return NULL;
	}
	return t;
}

static const char *enumerator(const struct btf *btf, const struct btf_type *t,
			      __u32 i, __u64 *val)
{
	if (btf_is_enum(t)) {
		*val = (__u64)(__s64)btf_enum(t)[i].val;
		return btf__name_by_offset(btf, btf_enum(t)[i].name_off);
	}
	*val = btf_enum64_value(&btf_enum64(t)[i]);
	return btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
}

static int parse_enum(const struct bpfpoke_field *f, const char *str, __u64 *v)
{
	const struct btf_type *t = enum_type(f);
	char list[256], range[64];
	struct sbuf sb = { list, sizeof(list), 0 };
	__u32 i, n;
	const char *name;
	bool neg;
	__u64 mag;
	int err;

	if (!t)
		return -EINVAL;
	n = btf_vlen(t);
	for (i = 0; i < n; i++) {
		name = enumerator(f->btf, t, i, v);
		if (name && !strcmp(name, str))
			return 0;
	}

	err = bpfpoke_parse_num(str, strlen(str), &neg, &mag);
	if (!err) {
		/* BTF without kflag does not say whether it is signed. */
		if (fits(f->bits, f->is_signed, neg, mag, v) ||
		    (!f->is_signed && fits(f->bits, true, neg, mag, v)))
			return 0;
		if (f->is_signed)
			range_str(f->bits, true, range, sizeof(range));
		else	/* either signedness: the lowest s64 to the highest u64 */
			snprintf(range, sizeof(range), "[-%llu, %llu]",
				 1ULL << (f->bits - 1),
				 f->bits >= 64 ? ~0ULL : (1ULL << f->bits) - 1);
		return field_fail(f, -ERANGE, "%s is out of range %s", str,
				  range);
	}
	list[0] = '\0';
	for (i = 0; i < n && i < ENUM_LIST_MAX; i++) {
		name = enumerator(f->btf, t, i, &mag);
		sb_printf(&sb, "%s%s", i ? ", " : "", name ? name : "?");
	}
	if (n > ENUM_LIST_MAX)
		sb_printf(&sb, ", ...");
	return field_fail(f, -EINVAL,
			  "'%s' is neither a number nor an enumerator (%s)", str,
			  n ? list : "none");
}

static int parse_char(const struct bpfpoke_field *f, const char *str, __u64 *v)
{
	size_t len = strlen(str);

	if (len == 3 && str[0] == '\'' && str[2] == '\'') {
		*v = (__u8)str[1];
		return 0;
	}
	if (len == 1 && !(str[0] >= '0' && str[0] <= '9')) {
		*v = (__u8)str[0];
		return 0;
	}
	return parse_int(f, str, f->bits, f->is_signed, v);
}

static int parse_string(const struct bpfpoke_field *f, const char *str,
			void *buf)
{
	size_t len = strlen(str);

	if (len >= f->size)
		return field_fail(f, -ERANGE,
				  "a %zu-byte string does not fit: %u bytes hold at most %u and the NUL",
				  len, f->size, f->size ? f->size - 1 : 0);
	memcpy(buf, str, len);
	memset((char *)buf + len, 0, f->size - len);
	return 0;
}

/* Why a kind cannot be written or read as one value, or NULL if it can. */
static const char *unsupported(const struct bpfpoke_field *f)
{
	switch (f->kind) {
	case BPFPOKE_FIELD_PTR:
		return "pointers are not supported";
	case BPFPOKE_FIELD_STRUCT:
		return "a struct: name one of its members";
	case BPFPOKE_FIELD_UNION:
		return "a union: name one of its members";
	case BPFPOKE_FIELD_ARRAY:
		if (f->elem_kind == BPFPOKE_FIELD_CHAR && f->elem_size == 1)
			return NULL;
		return "an array: index it, as in 'name[0]'";
	case BPFPOKE_FIELD_INT:
	case BPFPOKE_FIELD_BOOL:
	case BPFPOKE_FIELD_CHAR:
	case BPFPOKE_FIELD_ENUM:
	case BPFPOKE_FIELD_FLOAT:
		return NULL;
	}
	return "unknown kind";
}

int bpfpoke_field_parse(const struct bpfpoke_field *f, const char *str,
			void *buf, size_t size)
{
	const char *why;
	__u64 v = 0;
	int err;

	err = check_field(f, "field parse");
	if (err)
		return bpfpoke_err(err);
	if (!str || !buf)
		return field_fail(f, -EINVAL, "%s is NULL", str ? "buffer" : "value");
	if (size < f->size)
		return field_fail(f, -ENOSPC, "%u bytes do not fit a %zu-byte buffer",
				  f->size, size);
	why = f->kind == BPFPOKE_FIELD_FLOAT ?
	      "floating point is not supported" : unsupported(f);
	if (why)
		return field_fail(f, -EOPNOTSUPP, "%s", why);

	switch (f->kind) {
	case BPFPOKE_FIELD_INT:
		err = parse_int(f, str, f->bits, f->is_signed, &v);
		break;
	case BPFPOKE_FIELD_BOOL:
		if (!strcmp(str, "true") || !strcmp(str, "1"))
			v = 1;
		else if (strcmp(str, "false") && strcmp(str, "0"))
			return field_fail(f, -EINVAL,
					  "'%s' is not true, false, 1 or 0", str);
		break;
	case BPFPOKE_FIELD_CHAR:
		err = parse_char(f, str, &v);
		break;
	case BPFPOKE_FIELD_ENUM:
		err = parse_enum(f, str, &v);
		break;
	case BPFPOKE_FIELD_ARRAY:
		return parse_string(f, str, buf);
	default:
		return field_fail(f, -EOPNOTSUPP, "unknown kind %d", f->kind);
	}
	if (err)
		return err;
	/* Sign-extend negative values into integers wider than 64 bits. */
	put_le(buf, f->size, v, f->is_signed && (v >> 63) ? 0xff : 0);
	return 0;
}

/*
 * A typed value is exactly its text: a UINT is its decimal digits, an
 * INT with its sign, a BOOL "true" or "false", an ENUM the enumerator's
 * name, so one parser applies one set of rules and messages.  What each
 * type may go into is checked first: a number never becomes a string.
 */
int bpfpoke_field_encode(const struct bpfpoke_field *f,
			 const struct bpfpoke_map_write_value *v, void *buf,
			 size_t size)
{
	char text[32];
	const char *str = text;
	int err;

	err = check_field(f, "field encode");
	if (err)
		return bpfpoke_err(err);
	if (!v)
		return field_fail(f, -EINVAL, "value is NULL");
	switch (v->type) {
	case BPFPOKE_VALUE_TEXT:
		if (strnlen(v->text, sizeof(v->text)) == sizeof(v->text))
			return field_fail(f, -EINVAL, "the value's text has no NUL");
		str = v->text;
		break;
	case BPFPOKE_VALUE_UINT:
	case BPFPOKE_VALUE_INT:
		if (f->kind != BPFPOKE_FIELD_INT && f->kind != BPFPOKE_FIELD_CHAR &&
		    f->kind != BPFPOKE_FIELD_ENUM)
			return field_fail(f, -EOPNOTSUPP,
					  "integers are for int, char and enum fields, not %s",
					  bpfpoke_field_kind_str(f->kind) ?: "this kind");
		if (v->type == BPFPOKE_VALUE_UINT)
			snprintf(text, sizeof(text), "%llu", (unsigned long long)v->num);
		else
			snprintf(text, sizeof(text), "%lld", (long long)v->num);
		break;
	case BPFPOKE_VALUE_BOOL:
		if (f->kind != BPFPOKE_FIELD_BOOL)
			return field_fail(f, -EOPNOTSUPP,
					  "true and false are for bool fields, not %s",
					  bpfpoke_field_kind_str(f->kind) ?: "this kind");
		if (v->num > 1)
			return field_fail(f, -ERANGE, "bool value %llu is not 0 or 1",
					  (unsigned long long)v->num);
		str = v->num ? "true" : "false";
		break;
	case BPFPOKE_VALUE_ENUM:
		if (f->kind != BPFPOKE_FIELD_ENUM)
			return field_fail(f, -EOPNOTSUPP,
					  "enumerator names are for enum fields, not %s",
					  bpfpoke_field_kind_str(f->kind) ?: "this kind");
		if (strnlen(v->text, sizeof(v->text)) == sizeof(v->text) ||
		    !(isalpha((unsigned char)v->text[0]) || v->text[0] == '_'))
			return field_fail(f, -EINVAL, "'%.64s' is not an enumerator's name",
					  v->text);
		str = v->text;
		break;
	default:
		return field_fail(f, -EINVAL, "unknown value type %u", v->type);
	}
	return bpfpoke_field_parse(f, str, buf, size);
}

/* A byte string up to its first NUL, quoted and escaped as in C. */
static void format_string(struct sbuf *sb, const __u8 *p, __u32 n)
{
	__u32 i;

	sb_printf(sb, "\"");
	for (i = 0; i < n && p[i]; i++) {
		switch (p[i]) {
		case '"':
			sb_printf(sb, "\\\"");
			break;
		case '\\':
			sb_printf(sb, "\\\\");
			break;
		case '\n':
			sb_printf(sb, "\\n");
			break;
		case '\t':
			sb_printf(sb, "\\t");
			break;
		case '\r':
			sb_printf(sb, "\\r");
			break;
		default:
			if (p[i] >= 0x20 && p[i] < 0x7f)
				sb_printf(sb, "%c", p[i]);
			else
				sb_printf(sb, "\\x%02x", p[i]);
		}
	}
	sb_printf(sb, "\"");
}

/* An integer wider than 64 bits: hex, most significant byte first. */
static void format_wide(struct sbuf *sb, const __u8 *p, __u32 n)
{
	__u32 i = n;

	while (i > 1 && !p[i - 1])
		i--;
	sb_printf(sb, "0x%x", p[--i]);
	while (i--)
		sb_printf(sb, "%02x", p[i]);
}

/* @raw as the signed or unsigned value of its low @bits. */
static void format_num(struct sbuf *sb, __u64 raw, __u32 bits, bool is_signed,
		       __u32 flags)
{
	__u64 mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;

	raw &= mask;
	if (flags & BPFPOKE_FORMAT_HEX)
		sb_printf(sb, "0x%llx", raw);
	else if (is_signed && bits && (raw >> (bits - 1)) & 1)
		sb_printf(sb, "%lld", (long long)(raw | ~mask));
	else
		sb_printf(sb, "%llu", raw);
}

static int format_enum(const struct bpfpoke_field *f, struct sbuf *sb,
		       __u64 raw, __u32 flags)
{
	__u64 mask = f->bits >= 64 ? ~0ULL : (1ULL << f->bits) - 1, val;
	const struct btf_type *t = enum_type(f);
	const char *name;
	__u32 i, n;

	if (!t)
		return -EINVAL;
	n = btf_vlen(t);
	for (i = 0; i < n && !(flags & BPFPOKE_FORMAT_HEX); i++) {
		name = enumerator(f->btf, t, i, &val);
		if (name && (val & mask) == (raw & mask)) {
			sb_printf(sb, "%s", name);
			return 0;
		}
	}
	format_num(sb, raw, f->bits, f->is_signed, flags);
	return 0;
}

/* A float or double field's value in *@d. */
static int get_float(const struct bpfpoke_field *f, const void *data,
		     double *d)
{
	float fl;

	if (f->size == 4) {
		memcpy(&fl, data, sizeof(fl));
		*d = fl;
	} else if (f->size == 8) {
		memcpy(d, data, sizeof(*d));
	} else {
		return field_fail(f, -EOPNOTSUPP,
				  "%u-byte floating point is not supported",
				  f->size);
	}
	return 0;
}

/* The checks bpfpoke_field_format() and bpfpoke_field_value() share. */
static int check_data(const struct bpfpoke_field *f, const void *data,
		      size_t len, const char *what)
{
	const char *why;
	int err;

	err = check_field(f, what);
	if (err)
		return bpfpoke_err(err);
	if (!data)
		return field_fail(f, -EINVAL, "data is NULL");
	if (len < f->size)
		return field_fail(f, -ENOSPC, "%zu bytes of data, the field has %u",
				  len, f->size);
	why = unsupported(f);
	if (why && f->kind != BPFPOKE_FIELD_PTR)
		return field_fail(f, -EOPNOTSUPP, "%s", why);
	return 0;
}

/* @raw as the signed or unsigned value of its low @bits. */
static void set_num(struct bpfpoke_value *v, __u64 raw, __u32 bits,
		    bool is_signed)
{
	__u64 mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;

	raw &= mask;
	if (is_signed) {
		v->type = BPFPOKE_VALUE_INT;
		v->s = bits && (raw >> (bits - 1)) & 1 ? (__s64)(raw | ~mask) :
							 (__s64)raw;
	} else {
		v->type = BPFPOKE_VALUE_UINT;
		v->u = raw;
	}
}

int bpfpoke_field_value(const struct bpfpoke_field *f, const void *data,
			size_t len, struct bpfpoke_value *v)
{
	const struct btf_type *t;
	__u64 raw, mask, val;
	const char *name;
	__u32 i, n;
	int err;

	if (!v)
		return bpfpoke_err(-EINVAL);
	err = check_data(f, data, len, "field value");
	if (err)
		return err;
	memset(v, 0, sizeof(*v));
	raw = get_le(data, f->size);
	switch (f->kind) {
	case BPFPOKE_FIELD_INT:
		if (f->size > 8) {
			v->type = BPFPOKE_VALUE_WIDE;
			v->bytes = data;
			v->len = f->size;
		} else {
			set_num(v, raw, f->bits, f->is_signed);
		}
		break;
	case BPFPOKE_FIELD_BOOL:
		if (raw > 1) {
			set_num(v, raw, f->bits, false);
		} else {
			v->type = BPFPOKE_VALUE_BOOL;
			v->b = raw;
		}
		break;
	case BPFPOKE_FIELD_CHAR:
		set_num(v, raw, f->bits, f->is_signed);
		break;
	case BPFPOKE_FIELD_ENUM:
		t = enum_type(f);
		if (!t)
			return bpfpoke_err(-EINVAL);
		set_num(v, raw, f->bits, f->is_signed);
		mask = f->bits >= 64 ? ~0ULL : (1ULL << f->bits) - 1;
		n = btf_vlen(t);
		for (i = 0; i < n; i++) {
			name = enumerator(f->btf, t, i, &val);
			if (name && (val & mask) == (raw & mask)) {
				v->type = BPFPOKE_VALUE_ENUM;
				v->name = name;
				break;
			}
		}
		break;
	case BPFPOKE_FIELD_PTR:
		v->type = BPFPOKE_VALUE_PTR;
		v->u = raw;
		break;
	case BPFPOKE_FIELD_FLOAT:
		v->type = BPFPOKE_VALUE_FLOAT;
		return get_float(f, data, &v->d);
	case BPFPOKE_FIELD_ARRAY:
		v->type = BPFPOKE_VALUE_STRING;
		v->bytes = data;
		v->len = strnlen(data, f->size);
		break;
	default:
		return field_fail(f, -EOPNOTSUPP, "unknown kind %d", f->kind);
	}
	return 0;
}

int bpfpoke_field_format(const struct bpfpoke_field *f, const void *data,
			 size_t len, char *buf, size_t size, __u32 flags)
{
	struct sbuf sb = { buf, size, 0 };
	__u64 raw;
	double d = 0;
	int err;

	err = check_field(f, "field format");
	if (err)
		return bpfpoke_err(err);
	if (data && !buf && size)
		return field_fail(f, -EINVAL, "buffer is NULL");
	if (data && (flags & ~BPFPOKE_FORMAT_HEX))
		return field_fail(f, -EINVAL, "unknown format flags 0x%x", flags);
	err = check_data(f, data, len, "field format");
	if (err)
		return err;
	if (size)
		buf[0] = '\0';

	raw = get_le(data, f->size);
	switch (f->kind) {
	case BPFPOKE_FIELD_INT:
		if (f->size > 8)
			format_wide(&sb, data, f->size);
		else
			format_num(&sb, raw, f->bits, f->is_signed, flags);
		break;
	case BPFPOKE_FIELD_BOOL:
		if (raw > 1 || (flags & BPFPOKE_FORMAT_HEX))
			format_num(&sb, raw, f->bits, false, flags);
		else
			sb_printf(&sb, "%s", raw ? "true" : "false");
		break;
	case BPFPOKE_FIELD_CHAR:
		if (!(flags & BPFPOKE_FORMAT_HEX) && raw >= 0x20 &&
		    raw < 0x7f && raw != '\'' && raw != '\\')
			sb_printf(&sb, "'%c'", (char)raw);
		else
			format_num(&sb, raw, f->bits, f->is_signed, flags);
		break;
	case BPFPOKE_FIELD_ENUM:
		err = format_enum(f, &sb, raw, flags);
		break;
	case BPFPOKE_FIELD_PTR:
		sb_printf(&sb, "0x%llx", raw);
		break;
	case BPFPOKE_FIELD_FLOAT:
		err = get_float(f, data, &d);
		if (!err)
			sb_printf(&sb, "%.*g", f->size == 4 ? 9 : 17, d);
		break;
	case BPFPOKE_FIELD_ARRAY:
		format_string(&sb, data, f->size);
		break;
	default:
		return field_fail(f, -EOPNOTSUPP, "unknown kind %d", f->kind);
	}
	if (err)
		return err;
	return sb.len > 0x7fffffff ? field_fail(f, -E2BIG, "text too long") :
	       (int)sb.len;
}
