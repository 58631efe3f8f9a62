/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: the map write descriptor: map-name suffix, field and value,
 * the rules they follow, and compile-time checks of literal descriptors.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_DESCRIPTOR_H
#define __BPFPOKE_DESCRIPTOR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Map write descriptor */

/*
 * Longest map name suffix, in bytes: a BPF map name is at most
 * BPF_OBJ_NAME_LEN - 1 = 15 bytes, so a longer suffix can never match.
 */
#define BPFPOKE_MAP_WRITE_SUFFIX_MAX	15
/* Longest field (a variable name or a dot-path into it), in bytes. */
#define BPFPOKE_MAP_WRITE_FIELD_MAX	255
/* Longest value text or enumerator name, in bytes. */
#define BPFPOKE_MAP_WRITE_TEXT_MAX	255

/**
 * enum bpfpoke_value_type - what a value is
 * @BPFPOKE_VALUE_TEXT: text, parsed against the field's BTF type as the
 *	CLI's VALUE is (bpfpoke_field_parse()): "1", "-5", "0xff", "true",
 *	an enumerator's name, a string for a char array.  Writes only.
 * @BPFPOKE_VALUE_UINT: an unsigned integer (struct bpfpoke_value's @u)
 * @BPFPOKE_VALUE_INT: a signed integer (@s)
 * @BPFPOKE_VALUE_BOOL: false or true (@b)
 * @BPFPOKE_VALUE_ENUM: an enumerator, by name (@name)
 * @BPFPOKE_VALUE_PTR: an address a pointer holds.  Reads only.
 * @BPFPOKE_VALUE_FLOAT: a float or double.  Reads only.
 * @BPFPOKE_VALUE_WIDE: an integer wider than 64 bits.  Reads only.
 * @BPFPOKE_VALUE_STRING: a char array's string.  Reads only.
 *
 * A write's value is range-checked against the field when the batch is
 * prepared: a UINT of 300 does not fit a __u8, an INT of -1 is no value
 * of an unsigned field, a BOOL goes into a bool (or an integer as 0/1).
 */
enum bpfpoke_value_type {
	BPFPOKE_VALUE_TEXT = 0,
	BPFPOKE_VALUE_UINT,
	BPFPOKE_VALUE_INT,
	BPFPOKE_VALUE_BOOL,
	BPFPOKE_VALUE_ENUM,
	BPFPOKE_VALUE_PTR,
	BPFPOKE_VALUE_FLOAT,
	BPFPOKE_VALUE_WIDE,
	BPFPOKE_VALUE_STRING,
};

/**
 * struct bpfpoke_map_write_value - the value of one write
 * @type: BPFPOKE_VALUE_TEXT, _UINT, _INT, _BOOL or _ENUM
 * @reserved: 0
 * @num: UINT: the value; INT: the value's two's complement bits; BOOL: 0
 *	 or 1; else 0
 * @text: TEXT: the text; ENUM: the enumerator's name; NUL-terminated;
 *	  else ""
 *
 * Build one with BPFPOKE_UINT(), BPFPOKE_INT(), BPFPOKE_BOOL(),
 * BPFPOKE_ENUM() or BPFPOKE_TEXT(), or bpfpoke_map_write_init_text().
 */
struct bpfpoke_map_write_value {
	__u32 type;
	__u32 reserved;
	__u64 num;
	char text[BPFPOKE_MAP_WRITE_TEXT_MAX + 1];
};

#define BPFPOKE_UINT(v)	((struct bpfpoke_map_write_value)		\
	{ .type = BPFPOKE_VALUE_UINT, .num = (__u64)(v) })
#define BPFPOKE_INT(v)	((struct bpfpoke_map_write_value)		\
	{ .type = BPFPOKE_VALUE_INT, .num = (__u64)(__s64)(v) })
#define BPFPOKE_BOOL(v)	((struct bpfpoke_map_write_value)		\
	{ .type = BPFPOKE_VALUE_BOOL, .num = !!(v) })
#define BPFPOKE_ENUM(name) ((struct bpfpoke_map_write_value)		\
	{ .type = BPFPOKE_VALUE_ENUM, .text = "" name })
#define BPFPOKE_TEXT(t)	((struct bpfpoke_map_write_value)		\
	{ .type = BPFPOKE_VALUE_TEXT, .text = "" t })

/**
 * struct bpfpoke_map_write - one write: put @value into @field of the map
 *			      whose name ends with @suffix
 * @suffix: map name suffix, NUL-terminated, e.g. ".bss"
 * @field: global variable name or dot-path into it, NUL-terminated,
 *	   e.g. "crash", "cfg.inner.x", "arr[3]"
 * @value: the value to write, typed or as text
 *
 * The unit of the write path: bpfpoke_write_prepare() takes an array of
 * them, and the CLI makes one of each FIELD=VALUE.  A plain value: no
 * pointers, so assignment copies it.  The members are public only so
 * that descriptors can be literals (BPFPOKE_MAP_WRITE()); read them
 * through the accessors.  Bytes after each string's NUL are zero in
 * descriptors made by bpfpoke_map_write_init*() and BPFPOKE_MAP_WRITE*().
 */
struct bpfpoke_map_write {
	char suffix[BPFPOKE_MAP_WRITE_SUFFIX_MAX + 1];
	char field[BPFPOKE_MAP_WRITE_FIELD_MAX + 1];
	struct bpfpoke_map_write_value value;
};

/*
 * The validation rules.  When a string breaks several, the first in this
 * order is reported: map name suffix rules, then field rules, then value
 * rules.
 * Whitespace is ' ', '\t', '\n', '\v', '\f' and '\r'; a non-printable byte
 * is any other byte below 0x20, or 0x7f and above (no locale applies).
 */
enum bpfpoke_map_write_rule {
	BPFPOKE_MAP_WRITE_OK = 0,
	/* map name suffix */
	BPFPOKE_MAP_WRITE_SUFFIX_EMPTY,		/* NULL or "" */
	BPFPOKE_MAP_WRITE_SUFFIX_TOO_LONG,	/* > BPFPOKE_MAP_WRITE_SUFFIX_MAX */
	BPFPOKE_MAP_WRITE_SUFFIX_NO_LEADING_DOT,
	BPFPOKE_MAP_WRITE_SUFFIX_BARE_DOT,	/* "." */
	BPFPOKE_MAP_WRITE_SUFFIX_LEADING_DOTDOT,
	BPFPOKE_MAP_WRITE_SUFFIX_WHITESPACE,
	BPFPOKE_MAP_WRITE_SUFFIX_SLASH,
	BPFPOKE_MAP_WRITE_SUFFIX_BACKSLASH,
	BPFPOKE_MAP_WRITE_SUFFIX_NONPRINTABLE,
	/* field */
	BPFPOKE_MAP_WRITE_FIELD_EMPTY,		/* NULL or "" */
	BPFPOKE_MAP_WRITE_FIELD_TOO_LONG,	/* > BPFPOKE_MAP_WRITE_FIELD_MAX */
	BPFPOKE_MAP_WRITE_FIELD_LEADING_DOT,
	BPFPOKE_MAP_WRITE_FIELD_TRAILING_DOT,
	BPFPOKE_MAP_WRITE_FIELD_DOTDOT,		/* contains ".." */
	BPFPOKE_MAP_WRITE_FIELD_WHITESPACE,
	BPFPOKE_MAP_WRITE_FIELD_SLASH,
	BPFPOKE_MAP_WRITE_FIELD_BACKSLASH,
	BPFPOKE_MAP_WRITE_FIELD_NONPRINTABLE,
	/* value */
	BPFPOKE_MAP_WRITE_VALUE_TYPE,		/* not TEXT, UINT, INT, BOOL, ENUM */
	BPFPOKE_MAP_WRITE_VALUE_RESERVED,	/* reserved is not 0 */
	BPFPOKE_MAP_WRITE_VALUE_NOT_BOOL,	/* a BOOL other than 0 or 1 */
	BPFPOKE_MAP_WRITE_VALUE_EMPTY,		/* ENUM "" (TEXT "" is an empty string) */
	BPFPOKE_MAP_WRITE_VALUE_TOO_LONG,	/* > BPFPOKE_MAP_WRITE_TEXT_MAX */
	BPFPOKE_MAP_WRITE_VALUE_STRAY,		/* num or text of another type */
	__BPFPOKE_MAP_WRITE_RULE_MAX,
};

/**
 * bpfpoke_map_write_init() - validate and build a descriptor
 * @w: the descriptor to fill
 * @suffix: map name suffix, e.g. ".bss", ".data", ".rodata", ".data.custom"
 * @field: variable name or dot-path, e.g. "crash", "cfg.inner.x", "arr[3]"
 * @value: the value to write
 *
 * On failure a WARN message names the broken rule, e.g.
 * "invalid map name suffix '.b ss': contains whitespace", and @w is left
 * untouched.
 *
 * Return: 0 on success; -EINVAL if @w is NULL or @suffix or @field breaks a
 * rule of enum bpfpoke_map_write_rule.
 */
int bpfpoke_map_write_init(struct bpfpoke_map_write *w, const char *suffix,
			   const char *field, __u32 value);

/**
 * bpfpoke_map_write_init_value() - validate and build a typed descriptor
 * @w: the descriptor to fill
 * @suffix: map name suffix
 * @field: variable name or dot-path
 * @value: the value, e.g. &BPFPOKE_INT(-5), &BPFPOKE_ENUM("MODE_AUTO")
 *
 * As bpfpoke_map_write_init(), for every type of value.
 *
 * Return: 0 on success; -EINVAL if an argument is NULL or breaks a rule.
 */
int bpfpoke_map_write_init_value(struct bpfpoke_map_write *w,
				 const char *suffix, const char *field,
				 const struct bpfpoke_map_write_value *value);

/**
 * bpfpoke_map_write_init_text() - build a descriptor whose value is text
 * @w: the descriptor to fill
 * @suffix: map name suffix
 * @field: variable name or dot-path
 * @text: the value as text (BPFPOKE_VALUE_TEXT), e.g. from a command line
 *
 * Return: 0 on success; -EINVAL if an argument is NULL or breaks a rule
 * (a text longer than BPFPOKE_MAP_WRITE_TEXT_MAX, say).
 */
int bpfpoke_map_write_init_text(struct bpfpoke_map_write *w,
				const char *suffix, const char *field,
				const char *text);

/**
 * bpfpoke_map_write_validate() - check a descriptor not made by
 *				  bpfpoke_map_write_init()
 * @w: the descriptor, e.g. from BPFPOKE_MAP_WRITE() or read from a file
 *
 * Applies the rules of bpfpoke_map_write_init(); a string that fills its
 * array without a NUL is too long.  Logs like bpfpoke_map_write_init().
 *
 * Return: 0 if valid; -EINVAL if @w is NULL or breaks a rule.
 */
int bpfpoke_map_write_validate(const struct bpfpoke_map_write *w);

/**
 * bpfpoke_map_write_check_suffix() - which rule a map name suffix breaks
 * @suffix: the suffix, may be NULL
 *
 * For callers that report errors themselves:
 *
 *	rule = bpfpoke_map_write_check_suffix(s);
 *	if (rule)
 *		fprintf(stderr, "invalid map name suffix '%s': %s\n", s,
 *			bpfpoke_map_write_rule_str(rule));
 *
 * Logs nothing and leaves errno alone.
 *
 * Return: BPFPOKE_MAP_WRITE_OK (0) or the first BPFPOKE_MAP_WRITE_SUFFIX_*
 * rule broken.
 */
enum bpfpoke_map_write_rule bpfpoke_map_write_check_suffix(const char *suffix);

/**
 * bpfpoke_map_write_check_field() - which rule a field breaks
 * @field: the field, may be NULL
 *
 * As bpfpoke_map_write_check_suffix(), for the field.
 *
 * Return: BPFPOKE_MAP_WRITE_OK (0) or the first BPFPOKE_MAP_WRITE_FIELD_*
 * rule broken.
 */
enum bpfpoke_map_write_rule bpfpoke_map_write_check_field(const char *field);

/**
 * bpfpoke_map_write_check_value() - which rule a value breaks
 * @value: the value, not NULL
 *
 * As bpfpoke_map_write_check_suffix(), for the value.
 *
 * Return: BPFPOKE_MAP_WRITE_OK (0) or the first BPFPOKE_MAP_WRITE_VALUE_*
 * rule broken.
 */
enum bpfpoke_map_write_rule
bpfpoke_map_write_check_value(const struct bpfpoke_map_write_value *value);

/**
 * bpfpoke_map_write_rule_str() - what a rule forbids, for messages
 * @rule: a rule
 *
 * Return: text such as "contains whitespace" or "starts with '..'", to
 * follow the name of the string; NULL if @rule is BPFPOKE_MAP_WRITE_OK or
 * not a rule.
 */
const char *bpfpoke_map_write_rule_str(enum bpfpoke_map_write_rule rule);

/*
 * Accessors.  @w must not be NULL and its strings must be NUL-terminated,
 * as they are in any descriptor that passes validation.  They cannot fail.
 */
const char *bpfpoke_map_write_suffix(const struct bpfpoke_map_write *w);
const char *bpfpoke_map_write_field(const struct bpfpoke_map_write *w);
const struct bpfpoke_map_write_value *
bpfpoke_map_write_value(const struct bpfpoke_map_write *w);

/**
 * bpfpoke_map_write_equal() - same suffix, field and value
 * @a: a descriptor, not NULL
 * @b: a descriptor, not NULL
 *
 * Compares the strings up to their NUL, not the bytes behind it, and the
 * values by type and value.
 *
 * Return: true if equal.  Cannot fail.
 */
bool bpfpoke_map_write_equal(const struct bpfpoke_map_write *a,
			     const struct bpfpoke_map_write *b);

/**
 * bpfpoke_map_write_hash() - stable hash of a descriptor
 * @w: a descriptor, not NULL
 *
 * 32-bit FNV-1a (offset basis 0x811c9dc5, prime 0x01000193) over the bytes
 * of the suffix, a 0 byte, the bytes of the field, a 0 byte and the value:
 * a UINT up to 0xffffffff as 4 little-endian bytes (the hash of release
 * 0.1, whose values were all __u32); any other value as its type (1 byte)
 * and then 8 little-endian bytes of @num, or the bytes of @text and a 0
 * byte.  Equal descriptors hash equal; the result is the same on every
 * host and in every release.
 *
 * Return: the hash.  Cannot fail.
 */
__u32 bpfpoke_map_write_hash(const struct bpfpoke_map_write *w);

/**
 * bpfpoke_map_write_format() - describe a descriptor for logs
 * @w: the descriptor
 * @buf: where to write, may be NULL if @size is 0
 * @size: size of @buf
 *
 * Writes "SUFFIX:FIELD=VALUE", e.g. ".bss:crash=1", ".data:delta=-5",
 * ".bss:on=true", ".data:mode=MODE_AUTO", ".data:name=\"text\"" (TEXT
 * quoted, so that it is not taken for a number or a name),
 * as snprintf() would: truncated to @size - 1 bytes and NUL-terminated.
 * Reads no further than the arrays, so any descriptor is safe to format.
 *
 * Return: the length of the whole text (as snprintf()); -EINVAL if @w is
 * NULL.
 */
int bpfpoke_map_write_format(const struct bpfpoke_map_write *w, char *buf,
			     size_t size);

/**
 * BPFPOKE_MAP_WRITE() - a literal descriptor, as an initializer
 * @sfx: map name suffix, a string literal
 * @fld: field, a string literal
 * @val: the value, unsigned (BPFPOKE_VALUE_UINT); a constant expression
 *	 where the descriptor is static
 *
 *	static const struct bpfpoke_map_write crash =
 *		BPFPOKE_MAP_WRITE(".bss", "crash", 1);
 *
 * BPFPOKE_MAP_WRITE_INT(), _BOOL() take a signed value and a truth value;
 * BPFPOKE_MAP_WRITE_ENUM() and _TEXT() a string literal: the enumerator's
 * name, or text as the CLI takes it.
 *
 * Breaking a rule is a compile error where the compiler can tell: one
 * that names the rule in automatic descriptors ("BPFPOKE_MAP_WRITE: map
 * name suffix does not start with '.'"), "initializer element is not
 * constant" in static ones.  gcc tells every rule, at any -O; clang 14
 * all but whitespace, non-printable bytes other than NUL and a field's
 * "..".  C11, not C++.  Validate with bpfpoke_map_write_validate() all
 * the same.
 */
#ifndef __cplusplus
#define __BPFPOKE_MAP_WRITE(sfx, fld, ty, n, t) {			\
	.suffix = "" sfx,						\
	.field = "" fld,						\
	.value = {							\
		.type = (ty),						\
		.num = (n) + __BPFPOKE_MAP_WRITE_CHECK(sfx, fld),	\
		.text = "" t,						\
	},								\
}
#define BPFPOKE_MAP_WRITE(sfx, fld, val)				\
	__BPFPOKE_MAP_WRITE(sfx, fld, BPFPOKE_VALUE_UINT, (__u64)(val), "")
#define BPFPOKE_MAP_WRITE_INT(sfx, fld, val)				\
	__BPFPOKE_MAP_WRITE(sfx, fld, BPFPOKE_VALUE_INT,		\
			    (__u64)(__s64)(val), "")
#define BPFPOKE_MAP_WRITE_BOOL(sfx, fld, val)				\
	__BPFPOKE_MAP_WRITE(sfx, fld, BPFPOKE_VALUE_BOOL, (__u64)!!(val), "")
#define BPFPOKE_MAP_WRITE_ENUM(sfx, fld, name)				\
	__BPFPOKE_MAP_WRITE(sfx, fld, BPFPOKE_VALUE_ENUM, 0, name)
#define BPFPOKE_MAP_WRITE_TEXT(sfx, fld, text)				\
	__BPFPOKE_MAP_WRITE(sfx, fld, BPFPOKE_VALUE_TEXT, 0, text)
#endif

/*
 * How BPFPOKE_MAP_WRITE() checks.  C has no constant expression for a byte
 * of a string literal, so only the lengths can be _Static_assert()ed.  The
 * other rules are builtins on the literal that compilers fold to constants
 * (gcc: all of them, clang: memchr, strchr, strlen); a broken rule leaves
 * a call to a function with the error attribute, or a non-constant in a
 * static initializer.  What a compiler does not fold, __builtin_constant_p()
 * skips rather than fails.  Every check evaluates to 0.
 */
#define __BPFPOKE_MAP_WRITE_CHECK(sfx, fld)				\
	((__u32)(0 * sizeof(struct {					\
		_Static_assert(sizeof(sfx) > 1,				\
			"BPFPOKE_MAP_WRITE: map name suffix is empty");	\
		_Static_assert(sizeof(sfx) <= BPFPOKE_MAP_WRITE_SUFFIX_MAX + 1, \
			"BPFPOKE_MAP_WRITE: map name suffix is longer than 15 bytes"); \
		_Static_assert(sizeof(fld) > 1,				\
			"BPFPOKE_MAP_WRITE: field is empty");		\
		_Static_assert(sizeof(fld) <= BPFPOKE_MAP_WRITE_FIELD_MAX + 1, \
			"BPFPOKE_MAP_WRITE: field is longer than 255 bytes"); \
		int __bpfpoke_unused;					\
	})) +								\
	 __BPFPOKE_CHECK(suffix_no_leading_dot, !__BPFPOKE_AT_IS(sfx, 0, '.')) + \
	 __BPFPOKE_CHECK(suffix_bare_dot,				\
			 sizeof(sfx) == 2 && __BPFPOKE_AT_IS(sfx, 0, '.')) + \
	 __BPFPOKE_CHECK(suffix_leading_dotdot,				\
			 __BPFPOKE_AT_IS(sfx, 0, '.') && __BPFPOKE_AT_IS(sfx, 1, '.')) + \
	 __BPFPOKE_CHECK(field_leading_dot, __BPFPOKE_AT_IS(fld, 0, '.')) + \
	 __BPFPOKE_CHECK(field_trailing_dot,				\
			 __BPFPOKE_AT_IS(fld, sizeof(fld) - 2, '.')) +	\
	 __BPFPOKE_CHECK(field_dotdot, __builtin_strstr("" fld, "..") != 0) + \
	 __BPFPOKE_CHECK_BYTES(suffix, sfx) +				\
	 __BPFPOKE_CHECK_BYTES(field, fld))

#define __BPFPOKE_CHECK(rule, bad)					\
	((__builtin_constant_p(bad) && (bad)) ?				\
	 __bpfpoke_map_write_##rule() : 0)

/* Byte @i of literal @s is @c; past the end is the NUL. */
#define __BPFPOKE_AT_IS(s, i, c)					\
	(__builtin_memchr(&("" s)[(size_t)(i) < sizeof(s) ?		\
				  (size_t)(i) : sizeof(s) - 1], (c), 1) != 0)

/* A NUL inside the literal counts as non-printable: it would cut it. */
#define __BPFPOKE_CHECK_BYTES(what, s)					\
	(__BPFPOKE_CHECK(what##_whitespace,				\
			 __builtin_strcspn("" s, " \t\n\v\f\r") <	\
			 __builtin_strlen("" s)) +			\
	 __BPFPOKE_CHECK(what##_slash, __builtin_strchr("" s, '/') != 0) + \
	 __BPFPOKE_CHECK(what##_backslash, __builtin_strchr("" s, '\\') != 0) + \
	 __BPFPOKE_CHECK(what##_nonprintable,				\
			 __builtin_strlen("" s) != sizeof(s) - 1 ||	\
			 __builtin_strspn("" s, __BPFPOKE_PRINTABLE) <	\
			 __builtin_strlen("" s)))

/* Bytes no rule forbids by class: ' ' to '~' and the whitespace. */
#define __BPFPOKE_PRINTABLE						\
	" !\"#$%&'()*+,-./0123456789:;<=>?"				\
	"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"				\
	"abcdefghijklmnopqrstuvwxyz{|}~"				\
	"\t\n\v\f\r"

/* Never defined: a call that survives folding is the compile error. */
#define __BPFPOKE_RULE(rule, msg)					\
	int __bpfpoke_map_write_##rule(void)				\
		__attribute__((error("BPFPOKE_MAP_WRITE: " msg)))
__BPFPOKE_RULE(suffix_no_leading_dot, "map name suffix does not start with '.'");
__BPFPOKE_RULE(suffix_bare_dot, "map name suffix is a bare '.'");
__BPFPOKE_RULE(suffix_leading_dotdot, "map name suffix starts with '..'");
__BPFPOKE_RULE(suffix_whitespace, "map name suffix contains whitespace");
__BPFPOKE_RULE(suffix_slash, "map name suffix contains '/'");
__BPFPOKE_RULE(suffix_backslash, "map name suffix contains '\\'");
__BPFPOKE_RULE(suffix_nonprintable, "map name suffix contains a non-printable or control byte");
__BPFPOKE_RULE(field_leading_dot, "field starts with '.'");
__BPFPOKE_RULE(field_trailing_dot, "field ends with '.'");
__BPFPOKE_RULE(field_dotdot, "field contains '..'");
__BPFPOKE_RULE(field_whitespace, "field contains whitespace");
__BPFPOKE_RULE(field_slash, "field contains '/'");
__BPFPOKE_RULE(field_backslash, "field contains '\\'");
__BPFPOKE_RULE(field_nonprintable, "field contains a non-printable or control byte");

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_DESCRIPTOR_H */
