// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Map write descriptor: validation, the value-type operations and the
 * messages that name a broken rule.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

static const char *const rule_str[__BPFPOKE_MAP_WRITE_RULE_MAX] = {
	[BPFPOKE_MAP_WRITE_SUFFIX_EMPTY]	  = "is missing or empty",
	[BPFPOKE_MAP_WRITE_SUFFIX_TOO_LONG]	  =
		"is longer than " __stringify(BPFPOKE_MAP_WRITE_SUFFIX_MAX)
		" bytes, the longest BPF map name",
	[BPFPOKE_MAP_WRITE_SUFFIX_NO_LEADING_DOT] = "does not start with '.'",
	[BPFPOKE_MAP_WRITE_SUFFIX_BARE_DOT]	  = "is a bare '.'",
	[BPFPOKE_MAP_WRITE_SUFFIX_LEADING_DOTDOT] = "starts with '..'",
	[BPFPOKE_MAP_WRITE_SUFFIX_WHITESPACE]	  = "contains whitespace",
	[BPFPOKE_MAP_WRITE_SUFFIX_SLASH]	  = "contains '/'",
	[BPFPOKE_MAP_WRITE_SUFFIX_BACKSLASH]	  = "contains '\\'",
	[BPFPOKE_MAP_WRITE_SUFFIX_NONPRINTABLE]	  =
		"contains a non-printable or control byte",
	[BPFPOKE_MAP_WRITE_FIELD_EMPTY]		  = "is missing or empty",
	[BPFPOKE_MAP_WRITE_FIELD_TOO_LONG]	  =
		"is longer than " __stringify(BPFPOKE_MAP_WRITE_FIELD_MAX) " bytes",
	[BPFPOKE_MAP_WRITE_FIELD_LEADING_DOT]	  = "starts with '.'",
	[BPFPOKE_MAP_WRITE_FIELD_TRAILING_DOT]	  = "ends with '.'",
	[BPFPOKE_MAP_WRITE_FIELD_DOTDOT]	  = "contains '..'",
	[BPFPOKE_MAP_WRITE_FIELD_WHITESPACE]	  = "contains whitespace",
	[BPFPOKE_MAP_WRITE_FIELD_SLASH]		  = "contains '/'",
	[BPFPOKE_MAP_WRITE_FIELD_BACKSLASH]	  = "contains '\\'",
	[BPFPOKE_MAP_WRITE_FIELD_NONPRINTABLE]	  =
		"contains a non-printable or control byte",
	[BPFPOKE_MAP_WRITE_VALUE_TYPE]		  =
		"has a type other than text, uint, int, bool or enum",
	[BPFPOKE_MAP_WRITE_VALUE_RESERVED]	  = "has a non-zero reserved field",
	[BPFPOKE_MAP_WRITE_VALUE_NOT_BOOL]	  = "is a bool other than 0 or 1",
	[BPFPOKE_MAP_WRITE_VALUE_EMPTY]		  = "names no enumerator (\"\")",
	[BPFPOKE_MAP_WRITE_VALUE_TOO_LONG]	  =
		"is longer than " __stringify(BPFPOKE_MAP_WRITE_TEXT_MAX) " bytes",
	[BPFPOKE_MAP_WRITE_VALUE_STRAY]		  =
		"carries a number or text its type does not use",
};

/*
 * The byte rules come in the same order for both strings, so one scan
 * serves both: the rule is the string's WHITESPACE rule plus the class.
 */
enum byte_class {
	BYTE_WHITESPACE,
	BYTE_SLASH,
	BYTE_BACKSLASH,
	BYTE_NONPRINTABLE,
	BYTE_OK,
};

_Static_assert(BPFPOKE_MAP_WRITE_SUFFIX_NONPRINTABLE -
	       BPFPOKE_MAP_WRITE_SUFFIX_WHITESPACE == BYTE_NONPRINTABLE &&
	       BPFPOKE_MAP_WRITE_FIELD_NONPRINTABLE -
	       BPFPOKE_MAP_WRITE_FIELD_WHITESPACE == BYTE_NONPRINTABLE,
	       "byte rules out of order");

/* By value, not isspace()/isprint(): no locale may make a byte acceptable. */
static enum byte_class byte_class(unsigned char c)
{
	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return BYTE_WHITESPACE;
	if (c == '/')
		return BYTE_SLASH;
	if (c == '\\')
		return BYTE_BACKSLASH;
	if (c < 0x20 || c >= 0x7f)
		return BYTE_NONPRINTABLE;
	return BYTE_OK;
}

/* The most important byte rule that @s[0..@len) breaks, or OK. */
static enum bpfpoke_map_write_rule check_bytes(const char *s, size_t len,
					       enum bpfpoke_map_write_rule base)
{
	enum byte_class worst = BYTE_OK, class;
	size_t i;

	for (i = 0; i < len; i++) {
		class = byte_class(s[i]);
		if (class < worst)
			worst = class;
	}
	return worst == BYTE_OK ? BPFPOKE_MAP_WRITE_OK : base + worst;
}

/*
 * Lengths are taken with a bound of MAX + 1, which is also the size of the
 * descriptor's arrays: the same code checks C strings of any length and
 * arrays that may lack their NUL.
 */
enum bpfpoke_map_write_rule bpfpoke_map_write_check_suffix(const char *suffix)
{
	size_t len;

	if (!suffix || !suffix[0])
		return BPFPOKE_MAP_WRITE_SUFFIX_EMPTY;
	len = strnlen(suffix, BPFPOKE_MAP_WRITE_SUFFIX_MAX + 1);
	if (len > BPFPOKE_MAP_WRITE_SUFFIX_MAX)
		return BPFPOKE_MAP_WRITE_SUFFIX_TOO_LONG;
	if (suffix[0] != '.')
		return BPFPOKE_MAP_WRITE_SUFFIX_NO_LEADING_DOT;
	if (len == 1)
		return BPFPOKE_MAP_WRITE_SUFFIX_BARE_DOT;
	if (suffix[1] == '.')
		return BPFPOKE_MAP_WRITE_SUFFIX_LEADING_DOTDOT;
	return check_bytes(suffix, len, BPFPOKE_MAP_WRITE_SUFFIX_WHITESPACE);
}

enum bpfpoke_map_write_rule bpfpoke_map_write_check_field(const char *field)
{
	size_t len;

	if (!field || !field[0])
		return BPFPOKE_MAP_WRITE_FIELD_EMPTY;
	len = strnlen(field, BPFPOKE_MAP_WRITE_FIELD_MAX + 1);
	if (len > BPFPOKE_MAP_WRITE_FIELD_MAX)
		return BPFPOKE_MAP_WRITE_FIELD_TOO_LONG;
	if (field[0] == '.')
		return BPFPOKE_MAP_WRITE_FIELD_LEADING_DOT;
	if (field[len - 1] == '.')
		return BPFPOKE_MAP_WRITE_FIELD_TRAILING_DOT;
	/* len <= MAX: the NUL is within bounds, strstr() stays inside. */
	if (strstr(field, ".."))
		return BPFPOKE_MAP_WRITE_FIELD_DOTDOT;
	return check_bytes(field, len, BPFPOKE_MAP_WRITE_FIELD_WHITESPACE);
}

const char *bpfpoke_map_write_rule_str(enum bpfpoke_map_write_rule rule)
{
	if ((unsigned int)rule >= __BPFPOKE_MAP_WRITE_RULE_MAX)
		return NULL;
	return rule_str[rule];
}

/* Bytes of a field shown in a message; a suffix is shown whole. */
#define QUOTE_MAX	64

_Static_assert(BPFPOKE_MAP_WRITE_SUFFIX_MAX <= QUOTE_MAX &&
	       QUOTE_MAX <= BPFPOKE_MAP_WRITE_FIELD_MAX,
	       "quote() must stay inside the descriptor's arrays");

/*
 * Quote at most @show bytes of @s for a message, with "..." if it goes on.
 * @s[@show] must be readable unless a NUL comes first: @show is less than
 * the size of the descriptor's array.  The string may come from a command
 * line or a file, so bytes a terminal would act on are escaped.
 */
static const char *quote(char buf[static QUOTE_MAX * 4 + 6], const char *s,
			 size_t show)
{
	size_t len, i, n = 0;
	unsigned char c;

	if (!s)
		return "(null)";
	len = strnlen(s, show + 1);
	buf[n++] = '\'';
	for (i = 0; i < len && i < show; i++) {
		c = s[i];
		if (c == '\\' || c == '\'') {
			buf[n++] = '\\';
			buf[n++] = c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[n++] = c;
		} else {
			n += sprintf(buf + n, "\\x%02x", c);
		}
	}
	buf[n++] = '\'';
	if (len > show)
		n += sprintf(buf + n, "...");
	buf[n] = '\0';
	return buf;
}

static bool is_text_type(__u32 type)
{
	return type == BPFPOKE_VALUE_TEXT || type == BPFPOKE_VALUE_ENUM;
}

enum bpfpoke_map_write_rule
bpfpoke_map_write_check_value(const struct bpfpoke_map_write_value *v)
{
	size_t len;

	if (v->type != BPFPOKE_VALUE_TEXT && v->type != BPFPOKE_VALUE_UINT &&
	    v->type != BPFPOKE_VALUE_INT && v->type != BPFPOKE_VALUE_BOOL &&
	    v->type != BPFPOKE_VALUE_ENUM)
		return BPFPOKE_MAP_WRITE_VALUE_TYPE;
	if (v->reserved)
		return BPFPOKE_MAP_WRITE_VALUE_RESERVED;
	if (v->type == BPFPOKE_VALUE_BOOL && v->num > 1)
		return BPFPOKE_MAP_WRITE_VALUE_NOT_BOOL;
	len = strnlen(v->text, sizeof(v->text));
	if (len == sizeof(v->text))
		return BPFPOKE_MAP_WRITE_VALUE_TOO_LONG;
	if (v->type == BPFPOKE_VALUE_ENUM && !len)
		return BPFPOKE_MAP_WRITE_VALUE_EMPTY;
	if (is_text_type(v->type) ? v->num != 0 : len != 0)
		return BPFPOKE_MAP_WRITE_VALUE_STRAY;
	return BPFPOKE_MAP_WRITE_OK;
}

/* Check the strings and the value; name the first broken rule in a WARN. */
static int check_and_report(const char *suffix, const char *field,
			    const struct bpfpoke_map_write_value *v)
{
	enum bpfpoke_map_write_rule rule;
	char buf[QUOTE_MAX * 4 + 6];

	rule = bpfpoke_map_write_check_suffix(suffix);
	if (rule) {
		pr_warn("invalid map name suffix %s: %s\n",
			quote(buf, suffix, BPFPOKE_MAP_WRITE_SUFFIX_MAX),
			rule_str[rule]);
		return -EINVAL;
	}
	rule = bpfpoke_map_write_check_field(field);
	if (rule) {
		pr_warn("invalid field %s: %s\n",
			quote(buf, field, QUOTE_MAX),
			rule_str[rule]);
		return -EINVAL;
	}
	if (!v) {
		pr_warn("invalid value for %s: NULL\n", quote(buf, field, QUOTE_MAX));
		return -EINVAL;
	}
	rule = bpfpoke_map_write_check_value(v);
	if (rule) {
		pr_warn("invalid value for %s: %s\n", quote(buf, field, QUOTE_MAX),
			rule_str[rule]);
		return -EINVAL;
	}
	return 0;
}

int bpfpoke_map_write_init_value(struct bpfpoke_map_write *w,
				 const char *suffix, const char *field,
				 const struct bpfpoke_map_write_value *value)
{
	int err;

	if (!w)
		return bpfpoke_err(-EINVAL);
	err = check_and_report(suffix, field, value);
	if (err)
		return bpfpoke_err(err);

	/* Zero the tails too: copies and byte dumps then carry no garbage. */
	memset(w, 0, sizeof(*w));
	memcpy(w->suffix, suffix, strlen(suffix));
	memcpy(w->field, field, strlen(field));
	w->value.type = value->type;
	w->value.num = value->num;
	memcpy(w->value.text, value->text, strlen(value->text));
	return 0;
}

int bpfpoke_map_write_init(struct bpfpoke_map_write *w, const char *suffix,
			   const char *field, __u32 value)
{
	struct bpfpoke_map_write_value v = BPFPOKE_UINT(value);

	return bpfpoke_map_write_init_value(w, suffix, field, &v);
}

int bpfpoke_map_write_init_text(struct bpfpoke_map_write *w,
				const char *suffix, const char *field,
				const char *text)
{
	struct bpfpoke_map_write_value v = { .type = BPFPOKE_VALUE_TEXT };
	char buf[QUOTE_MAX * 4 + 6];
	size_t len;

	if (!text) {
		pr_warn("invalid value for %s: NULL\n", quote(buf, field, QUOTE_MAX));
		return bpfpoke_err(-EINVAL);
	}
	len = strnlen(text, sizeof(v.text));
	if (len == sizeof(v.text)) {
		pr_warn("invalid value for %s: %s\n", quote(buf, field, QUOTE_MAX),
			rule_str[BPFPOKE_MAP_WRITE_VALUE_TOO_LONG]);
		return bpfpoke_err(-EINVAL);
	}
	memcpy(v.text, text, len);
	return bpfpoke_map_write_init_value(w, suffix, field, &v);
}

int bpfpoke_map_write_validate(const struct bpfpoke_map_write *w)
{
	if (!w)
		return bpfpoke_err(-EINVAL);
	return bpfpoke_err(check_and_report(w->suffix, w->field, &w->value));
}

const char *bpfpoke_map_write_suffix(const struct bpfpoke_map_write *w)
{
	return w->suffix;
}

const char *bpfpoke_map_write_field(const struct bpfpoke_map_write *w)
{
	return w->field;
}

const struct bpfpoke_map_write_value *
bpfpoke_map_write_value(const struct bpfpoke_map_write *w)
{
	return &w->value;
}

bool bpfpoke_map_write_equal(const struct bpfpoke_map_write *a,
			     const struct bpfpoke_map_write *b)
{
	return a->value.type == b->value.type && a->value.num == b->value.num &&
	       !strncmp(a->value.text, b->value.text, sizeof(a->value.text)) &&
	       !strncmp(a->suffix, b->suffix, sizeof(a->suffix)) &&
	       !strncmp(a->field, b->field, sizeof(a->field));
}

#define FNV1A_32_BASIS	0x811c9dc5u
#define FNV1A_32_PRIME	0x01000193u

static __u32 fnv1a(__u32 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * FNV1A_32_PRIME;
	return h;
}

static void put_le(unsigned char *p, __u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

__u32 bpfpoke_map_write_hash(const struct bpfpoke_map_write *w)
{
	const struct bpfpoke_map_write_value *v = &w->value;
	unsigned char num[9];
	__u32 h = FNV1A_32_BASIS;

	/* The NUL separators keep (".ab", "c") apart from (".a", "bc"). */
	h = fnv1a(h, w->suffix, strnlen(w->suffix, sizeof(w->suffix)));
	h = fnv1a(h, "", 1);
	h = fnv1a(h, w->field, strnlen(w->field, sizeof(w->field)));
	h = fnv1a(h, "", 1);
	/* Release 0.1's values were __u32: their hashes stay. */
	if (v->type == BPFPOKE_VALUE_UINT && v->num <= 0xffffffffu) {
		put_le(num, v->num, 4);
		return fnv1a(h, num, 4);
	}
	num[0] = v->type;
	h = fnv1a(h, num, 1);
	if (is_text_type(v->type)) {
		h = fnv1a(h, v->text, strnlen(v->text, sizeof(v->text)));
		return fnv1a(h, "", 1);
	}
	put_le(num, v->num, 8);
	return fnv1a(h, num, 8);
}

int bpfpoke_map_write_format(const struct bpfpoke_map_write *w, char *buf,
			     size_t size)
{
	const struct bpfpoke_map_write_value *v;
	int len, ret;

	if (!w)
		return bpfpoke_err(-EINVAL);
	v = &w->value;
	len = (int)strnlen(v->text, sizeof(v->text));
	switch (v->type) {
	case BPFPOKE_VALUE_UINT:
		ret = snprintf(buf, size, "%.*s:%.*s=%llu",
			       (int)strnlen(w->suffix, sizeof(w->suffix)), w->suffix,
			       (int)strnlen(w->field, sizeof(w->field)), w->field,
			       (unsigned long long)v->num);
		break;
	case BPFPOKE_VALUE_INT:
		ret = snprintf(buf, size, "%.*s:%.*s=%lld",
			       (int)strnlen(w->suffix, sizeof(w->suffix)), w->suffix,
			       (int)strnlen(w->field, sizeof(w->field)), w->field,
			       (long long)v->num);
		break;
	case BPFPOKE_VALUE_BOOL:
		ret = snprintf(buf, size, "%.*s:%.*s=%s",
			       (int)strnlen(w->suffix, sizeof(w->suffix)), w->suffix,
			       (int)strnlen(w->field, sizeof(w->field)), w->field,
			       v->num ? "true" : "false");
		break;
	default:
		ret = snprintf(buf, size, v->type == BPFPOKE_VALUE_ENUM ?
			       "%.*s:%.*s=%.*s" : "%.*s:%.*s=\"%.*s\"",
			       (int)strnlen(w->suffix, sizeof(w->suffix)), w->suffix,
			       (int)strnlen(w->field, sizeof(w->field)), w->field,
			       len, v->text);
	}
	return ret < 0 ? bpfpoke_err(-errno) : ret;
}
