/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: write into the BPF maps of a running KVM guest from the host.
 *
 * Conventions, as in libbpf: a function that can fail returns a negative
 * errno and sets errno to the same (positive) value; one that returns a
 * pointer returns NULL and sets errno.  The library never prints and never
 * exits; its messages go to the callback set with bpfpoke_set_print().
 */
#ifndef __BPFPOKE_H
#define __BPFPOKE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Logging */

enum bpfpoke_print_level {
	BPFPOKE_WARN,
	BPFPOKE_INFO,
	BPFPOKE_DEBUG,
};

/*
 * A message is one printf-style format ending in '\n' and starting with
 * "libbpfpoke: ".
 */
typedef int (*bpfpoke_print_fn_t)(enum bpfpoke_print_level level,
				  const char *fmt, va_list ap);

/**
 * bpfpoke_set_print() - route the library's messages
 * @fn: the new callback, or NULL to drop every message (the default)
 *
 * Return: the previous callback.  Cannot fail.
 */
bpfpoke_print_fn_t bpfpoke_set_print(bpfpoke_print_fn_t fn);

/* Map write descriptor */

/*
 * Longest map name suffix, in bytes: a BPF map name is at most
 * BPF_OBJ_NAME_LEN - 1 = 15 bytes, so a longer suffix can never match.
 */
#define BPFPOKE_MAP_WRITE_SUFFIX_MAX	15
/* Longest field (a variable name or a dot-path into it), in bytes. */
#define BPFPOKE_MAP_WRITE_FIELD_MAX	255

/**
 * struct bpfpoke_map_write - one write: put @value into @field of the map
 *			      whose name ends with @suffix
 * @suffix: map name suffix, NUL-terminated, e.g. ".bss"
 * @field: global variable name or dot-path into it, NUL-terminated,
 *	   e.g. "crash", "cfg.inner.x", "arr[3]"
 * @value: the value to write
 *
 * A plain value: no pointers, so assignment copies it.  The members are
 * public only so that descriptors can be literals (BPFPOKE_MAP_WRITE());
 * read them through the accessors.  Bytes after each string's NUL are zero
 * in descriptors made by bpfpoke_map_write_init() and BPFPOKE_MAP_WRITE().
 */
struct bpfpoke_map_write {
	char suffix[BPFPOKE_MAP_WRITE_SUFFIX_MAX + 1];
	char field[BPFPOKE_MAP_WRITE_FIELD_MAX + 1];
	__u32 value;
};

/*
 * The validation rules.  When a string breaks several, the first in this
 * order is reported, and map name suffix rules come before field rules.
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
__u32 bpfpoke_map_write_value(const struct bpfpoke_map_write *w);

/**
 * bpfpoke_map_write_equal() - same suffix, field and value
 * @a: a descriptor, not NULL
 * @b: a descriptor, not NULL
 *
 * Compares the strings up to their NUL, not the bytes behind it.
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
 * of the suffix, a 0 byte, the bytes of the field, a 0 byte and the value
 * as 4 little-endian bytes.  Equal descriptors hash equal; the result is
 * the same on every host and in every release.
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
 * Writes "SUFFIX:FIELD=VALUE" with a decimal value, e.g. ".bss:crash=1",
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
 * @val: the value; a constant expression where the descriptor is static
 *
 *	static const struct bpfpoke_map_write crash =
 *		BPFPOKE_MAP_WRITE(".bss", "crash", 1);
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
#define BPFPOKE_MAP_WRITE(sfx, fld, val) {				\
	.suffix = "" sfx,						\
	.field = "" fld,						\
	.value = (__u32)(val) + __BPFPOKE_MAP_WRITE_CHECK(sfx, fld),	\
}
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

/*
 * BTF fields and typed values (agent/lib/field.c, value.c, layout.c)
 *
 * A field path names bytes inside one map value: for the value of a .bss,
 * .data, .rodata or .data.* map (a BTF DATASEC) it starts with a global
 * variable's name, for any other value type with a member of that type.
 * Then come ".member" (anonymous struct and union members are looked
 * through, as in C) and "[N]" (decimal or 0x hex; "m[1][2]" for arrays of
 * arrays).  Typedefs and qualifiers are skipped.  A static variable that
 * clang names "func.var" is found by that whole name.
 *
 * The BTF is hostile input (it comes from guest memory): every walk is
 * bounded, and a bad BTF makes a call fail, never crash or loop.
 */

struct btf;

/**
 * struct bpfpoke_map_value - the map whose value a path is resolved in
 * @sz: sizeof(struct bpfpoke_map_value); bytes beyond what this library
 *	knows must be zero
 * @btf: the map's BTF (in the guest, map->btf; may be split BTF)
 * @map_name: the map's name, only for messages; may be NULL
 * @map_type: enum bpf_map_type
 * @key_size: the map's key size
 * @value_size: the map's value size: no field may reach past it
 * @btf_value_type_id: the map's btf_value_type_id
 */
struct bpfpoke_map_value {
	size_t sz;
	const struct btf *btf;
	const char *map_name;
	__u32 map_type;
	__u32 key_size;
	__u32 value_size;
	__u32 btf_value_type_id;
};

/* What a field holds, typedefs and qualifiers skipped. */
enum bpfpoke_field_kind {
	BPFPOKE_FIELD_INT = 1,		/* integer, 1 to 16 bytes */
	BPFPOKE_FIELD_BOOL,		/* _Bool */
	BPFPOKE_FIELD_CHAR,		/* plain char (not signed/unsigned char) */
	BPFPOKE_FIELD_ENUM,		/* enum, enum64 */
	BPFPOKE_FIELD_FLOAT,
	BPFPOKE_FIELD_PTR,
	BPFPOKE_FIELD_STRUCT,
	BPFPOKE_FIELD_UNION,
	BPFPOKE_FIELD_ARRAY,
};

#define BPFPOKE_FIELD_TYPE_NAME_MAX	127
#define BPFPOKE_MAP_NAME_MAX		15

/**
 * struct bpfpoke_field - a resolved field
 * @sz: set by the caller to sizeof(struct bpfpoke_field); the library
 *	fills that many bytes
 * @btf: the BTF it was resolved in; must outlive the uses of this struct
 * @offset: bytes from the start of the map value
 * @size: width in bytes (an array's or struct's whole size)
 * @type_id: BTF id of the type, typedefs and qualifiers skipped
 * @decl_type_id: BTF id of the type as declared
 * @kind: what it holds
 * @bits: INT, BOOL, CHAR: value bits (BTF nr_bits); ENUM, PTR: 8 * @size
 * @is_signed: INT, CHAR: signed encoding; ENUM: BTF says signed (kflag)
 * @nelems: ARRAY: elements of the outermost dimension
 * @elem_size: ARRAY: bytes per element
 * @elem_kind: ARRAY: what an element holds (ARRAY for "m[3][5]")
 * @map_name: the map's name as given, for messages ("" if none)
 * @type_name: C spelling of the declared type, e.g. "const volatile __u32",
 *	       "struct inner", "__u16[3][5]", "int *"; may be truncated
 * @path: the path, as resolved
 */
struct bpfpoke_field {
	size_t sz;
	const struct btf *btf;
	__u32 offset;
	__u32 size;
	__u32 type_id;
	__u32 decl_type_id;
	enum bpfpoke_field_kind kind;
	__u32 bits;
	bool is_signed;
	__u32 nelems;
	__u32 elem_size;
	enum bpfpoke_field_kind elem_kind;
	char map_name[BPFPOKE_MAP_NAME_MAX + 1];
	char type_name[BPFPOKE_FIELD_TYPE_NAME_MAX + 1];
	char path[BPFPOKE_MAP_WRITE_FIELD_MAX + 1];
};

/**
 * bpfpoke_field_resolve() - find a field's bytes in a map value
 * @mv: the map
 * @path: the field path, e.g. "cfg.inner.x", "arr[3]", "grid[1][2]"
 * @f: filled on success; set @f->sz first
 *
 * Only BPF_MAP_TYPE_ARRAY maps with 4-byte keys are written by value
 * offset, so any other map is refused here, not later.  Every failure
 * logs one WARN message naming the map, the field and the problem, e.g.
 * "map 'demo.bss': field 'cfg.flags' is a bitfield (3 bits at bit 5):
 * not supported".  @f is untouched on failure.
 *
 * Return: 0 on success, or
 * * -EINVAL: @mv, @path or @f NULL or badly sized; a malformed @path;
 *   a member of something that is not a struct or union; an index into
 *   something that is not an array; a broken BTF (bad type ids, chains
 *   that loop, a field outside @mv->value_size);
 * * -ENOENT: no such variable or member;
 * * -ERANGE: an index out of the array's bounds;
 * * -EOPNOTSUPP: a bitfield or a field not on a byte boundary; a map that
 *   is not an array map with 4-byte keys;
 * * -ENODATA: the map has no BTF or no BTF value type;
 * * -ELOOP: anonymous members nested deeper than the library follows;
 * * -E2BIG: a BTF too large to search in the library's bounds.
 */
int bpfpoke_field_resolve(const struct bpfpoke_map_value *mv,
			  const char *path, struct bpfpoke_field *f);

/**
 * bpfpoke_field_exists() - whether a map's BTF has a field
 * @mv: the map; its type and key size are not checked
 * @path: the field path
 *
 * For picking among maps with the same suffix: a path that does not
 * lead anywhere in this BTF (an unknown name, a member of a scalar, an
 * index into a non-array or out of bounds, no BTF) is "no", not an error.
 * A bitfield exists.  Logs at DEBUG level only.
 *
 * Return: 1 if it exists, 0 if not; or -EINVAL (bad @mv or @path, broken
 * BTF), -ELOOP, -E2BIG as bpfpoke_field_resolve().
 */
int bpfpoke_field_exists(const struct bpfpoke_map_value *mv,
			 const char *path);

/**
 * bpfpoke_field_parse() - encode a value written as text
 * @f: the field, from bpfpoke_field_resolve()
 * @str: the value
 * @buf: receives @f->size bytes, little-endian, to be written at
 *	 @f->offset
 * @size: size of @buf
 *
 * By kind:
 * * INT: decimal, 0x hex or 0 octal, '-' for signed types, range-checked
 *   against @f->bits as kstrtos8() .. kstrtou64() do (0xff does not fit
 *   an s8); 9- to 16-byte integers take 64-bit values, sign-extended;
 * * BOOL: "true", "false", "1", "0";
 * * CHAR: an integer as INT, or one character, bare ("A") or quoted ("'A'");
 *   a bare digit is a number;
 * * ENUM: an enumerator's name, or an integer that fits (any integer of
 *   either signedness when the BTF does not say which);
 * * ARRAY of char: the string, shorter than the array; the rest is zeroed.
 * Pointers, floats, structs, unions and other arrays are refused.
 *
 * Return: 0 on success, with a WARN message naming field, type and value
 * on failure:
 * * -EINVAL: a NULL argument; @str malformed for the type (not a number,
 *   not true/false, not an enumerator, ...);
 * * -ERANGE: a number that does not fit, or negative for an unsigned type;
 *   a string longer than the array allows;
 * * -EOPNOTSUPP: a kind that cannot be written from text;
 * * -ENOSPC: @size < @f->size.
 */
int bpfpoke_field_parse(const struct bpfpoke_field *f, const char *str,
			void *buf, size_t size);

/**
 * bpfpoke_field_encode_u32() - encode a descriptor's plain __u32 value
 * @f: the field (INT, BOOL, CHAR or ENUM)
 * @value: the value, an unsigned number: it must fit in @f->bits (so 300
 *	   does not fit a __u8, 200 fits an __s8 as -56, 0xffffffff an
 *	   __s32 as -1); BOOL takes 0 and 1 only
 * @buf: receives @f->size bytes, little-endian, zero-extended
 * @size: size of @buf
 *
 * Return: 0 on success; -EINVAL for a NULL argument; -ERANGE if @value
 * does not fit; -EOPNOTSUPP for other kinds; -ENOSPC if @size < @f->size.
 * Failures log a WARN message.
 */
int bpfpoke_field_encode_u32(const struct bpfpoke_field *f, __u32 value,
			     void *buf, size_t size);

/* bpfpoke_field_format() flags */
enum {
	/* Integers, bools, chars and enums as 0x hex numbers. */
	BPFPOKE_FORMAT_HEX = 1U << 0,
};

/**
 * bpfpoke_field_format() - render a field's current value as text
 * @f: the field
 * @data: the field's bytes (@f->size of them, read at @f->offset)
 * @len: bytes at @data, at least @f->size
 * @buf: where to write, may be NULL if @size is 0
 * @size: size of @buf
 * @flags: BPFPOKE_FORMAT_*
 *
 * Integers in decimal; bools as true/false (other bytes as numbers);
 * printable chars as 'A', others as numbers; enums as the enumerator's
 * name, or a number when none matches; pointers as 0x hex; floats as
 * %g with all digits; char arrays as a double-quoted, escaped string up
 * to the first NUL.  As snprintf(): truncated to @size - 1 bytes and
 * NUL-terminated.  For output formats of its own (JSON, say), a caller
 * takes the typed value of bpfpoke_field_value() instead.
 *
 * Return: the length of the whole text; -EINVAL for NULL arguments or
 * unknown @flags; -ENOSPC if @len < @f->size; -EOPNOTSUPP for structs,
 * unions and arrays of other than char (format their members).  Logs a
 * WARN message on failure.
 */
int bpfpoke_field_format(const struct bpfpoke_field *f, const void *data,
			 size_t len, char *buf, size_t size, __u32 flags);

/**
 * enum bpfpoke_value_type - what a struct bpfpoke_value holds
 * @BPFPOKE_VALUE_UINT: @u: an unsigned integer or char
 * @BPFPOKE_VALUE_INT: @s: a signed integer or char
 * @BPFPOKE_VALUE_BOOL: @b
 * @BPFPOKE_VALUE_ENUM: @name: the enumerator whose value the field holds
 *	(an enum value that no enumerator has is UINT or INT)
 * @BPFPOKE_VALUE_PTR: @u: the address a pointer holds
 * @BPFPOKE_VALUE_FLOAT: @d (may be NaN or infinite)
 * @BPFPOKE_VALUE_WIDE: @bytes, @len: an integer wider than 64 bits,
 *	little-endian
 * @BPFPOKE_VALUE_STRING: @bytes, @len: a char array's bytes up to its
 *	first NUL (any bytes: not necessarily UTF-8)
 */
enum bpfpoke_value_type {
	BPFPOKE_VALUE_UINT = 1,
	BPFPOKE_VALUE_INT,
	BPFPOKE_VALUE_BOOL,
	BPFPOKE_VALUE_ENUM,
	BPFPOKE_VALUE_PTR,
	BPFPOKE_VALUE_FLOAT,
	BPFPOKE_VALUE_WIDE,
	BPFPOKE_VALUE_STRING,
};

/**
 * struct bpfpoke_value - a field's value, typed
 * @type: which member holds it
 * @u: UINT and PTR
 * @s: INT; also ENUM, the enumerator's value, sign-extended if the enum
 *     is signed
 * @b: BOOL
 * @d: FLOAT
 * @name: ENUM: the enumerator's name, in the field's BTF (valid while it is)
 * @bytes: WIDE and STRING: into the caller's data
 * @len: WIDE and STRING: bytes at @bytes
 */
struct bpfpoke_value {
	enum bpfpoke_value_type type;
	union {
		__u64 u;
		__s64 s;
		bool b;
		double d;
	};
	const char *name;
	const void *bytes;
	__u32 len;
};

/**
 * bpfpoke_field_value() - a field's current value, typed
 * @f: the field
 * @data: the field's bytes (@f->size of them, read at @f->offset)
 * @len: bytes at @data, at least @f->size
 * @v: receives the value
 *
 * What bpfpoke_field_format() renders as text, for callers with output
 * formats of their own: a bool holding other than 0 or 1 is UINT, as
 * bpfpoke_field_format() shows it as a number.
 *
 * Return: 0; -EINVAL for NULL arguments; -ENOSPC if @len < @f->size;
 * -EOPNOTSUPP as bpfpoke_field_format().  Logs a WARN message on failure.
 */
int bpfpoke_field_value(const struct bpfpoke_field *f, const void *data,
			size_t len, struct bpfpoke_value *v);

/**
 * bpfpoke_field_kind_str() - name of a kind, e.g. "int", "struct"
 * @kind: the kind
 *
 * Return: the name, or NULL if @kind is not a kind.
 */
const char *bpfpoke_field_kind_str(enum bpfpoke_field_kind kind);

/*
 * The layout of a map value, for `bpfpoke map show`: every variable (or
 * top-level member), struct, union member and array in declaration
 * order.  Arrays of structs list the members of element [0] ("items[0].x")
 * as a template; arrays of scalars are one entry.  Bitfields are listed
 * with @bit_size set, though they cannot be written.
 */
struct bpfpoke_layout;

/**
 * struct bpfpoke_layout_entry - one entry of a layout
 * @field: as bpfpoke_field_resolve() would fill it for @field.path; the
 *	   path of a non-DATASEC scalar value is ""
 * @depth: nesting, 0 for a variable or a top-level member
 * @bit_offset: bitfields: offset in bits from the start of the value
 * @bit_size: bitfields: width in bits (@field.offset and @field.size then
 *	      cover the bytes the bits touch); 0 for other entries
 */
struct bpfpoke_layout_entry {
	struct bpfpoke_field field;
	__u32 depth;
	__u32 bit_offset;
	__u32 bit_size;
};

/**
 * bpfpoke_layout_new() - describe a map value's layout
 * @mv: the map; its type and key size are not checked
 *
 * At most 8192 entries, 32 levels of nesting, 255-byte paths: what does
 * not fit is left out, and bpfpoke_layout_truncated() says so.
 *
 * Return: the layout, to free with bpfpoke_layout_free(); NULL with errno
 * EINVAL (bad @mv, a broken value type), ENODATA (no BTF), ENOMEM.
 */
struct bpfpoke_layout *bpfpoke_layout_new(const struct bpfpoke_map_value *mv);

/* Cannot fail; NULL is a no-op. */
void bpfpoke_layout_free(struct bpfpoke_layout *l);

/* Number of entries.  @l must not be NULL.  Cannot fail. */
size_t bpfpoke_layout_cnt(const struct bpfpoke_layout *l);

/**
 * bpfpoke_layout_entry() - entry @i of a layout
 * @l: the layout, not NULL
 * @i: index, below bpfpoke_layout_cnt()
 *
 * Return: the entry, valid until bpfpoke_layout_free(); NULL with errno
 * ERANGE if @i is out of range.
 */
const struct bpfpoke_layout_entry *
bpfpoke_layout_entry(const struct bpfpoke_layout *l, size_t i);

/* Whether entries were left out.  @l must not be NULL.  Cannot fail. */
bool bpfpoke_layout_truncated(const struct bpfpoke_layout *l);

/*
 * ======================================================================
 * Guest sessions: guest memory, the guest kernel model and its BPF maps
 * (agent/lib/session.c, mem*.c, symbols.c, kaslr.c, pgwalk.c, klayout.c,
 * maps.c)
 * ======================================================================
 *
 * A session reads a guest kernel's description (symbols and vmlinux BTF)
 * and then its memory, finds where the kernel lies (KASLR) and lists the
 * BPF maps, all from guest memory alone:
 *
 *	BPFPOKE_OPTS(bpfpoke_session_opts, opts,
 *		.mem_file = "/dev/shm/guest-ram",
 *		.btf = "vmlinux.btf", .symbols = "kallsyms");
 *	s = bpfpoke_session_open(&opts);	kernel description files
 *	err = bpfpoke_session_attach(s);	guest memory
 *	err = bpfpoke_session_load(s);		KASLR, page tables
 *	err = bpfpoke_maps(s, &maps, &nr);	walk map_idr
 *	...
 *	bpfpoke_session_close(s);
 *
 * Guest memory is hostile input: a guest can make any of these calls fail
 * (EFAULT, EINVAL, ELOOP, E2BIG, ENOENT), never crash or hang them.  A
 * session is not thread-safe; use one per thread.
 */

struct btf;
struct bpfpoke_session;

/*
 * Options structs, as in libbpf: @sz is sizeof() the struct the caller
 * was built with; fields past it read as zero, and bytes past the
 * library's own struct must be zero (else EINVAL).
 */
#define BPFPOKE_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = ({						\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE) {						\
			.sz = sizeof(struct TYPE),			\
			__VA_ARGS__					\
		};							\
	})

/* Open guest memory for writing too (bpfpoke_write_phys(), ...). */
#define BPFPOKE_SESSION_WRITABLE	(1U << 0)

/**
 * struct bpfpoke_session_opts - what a session works on
 * @sz: sizeof(struct bpfpoke_session_opts)
 * @vmlinux: the guest kernel's ELF image, with symbols and a .BTF section
 * @btf: raw vmlinux BTF (a copy of the guest's /sys/kernel/btf/vmlinux);
 *	 with @symbols, instead of @vmlinux
 * @symbols: System.map or /proc/kallsyms text of the same kernel build,
 *	     at any KASLR slide
 * @vm_pid: guest memory through bpfpoke.ko: the pid of the KVM VMM
 *	    (e.g. QEMU); its one KVM VM fd is taken with pidfd_getfd()
 * @mem_file: guest memory from a QEMU memory-backend-file (share=on);
 *	      instead of @vm_pid
 * @mem_file_below_4g: bytes of the file that the guest sees below 4 GiB
 *		       (the rest is at 4 GiB); 0: q35's rule, see
 *		       bpfpoke_q35_below_4g()
 * @mem_file_max_below_4g: QEMU's -machine max-ram-below-4g, applied with
 *			   q35's rule; 0: QEMU's default
 * @flags: BPFPOKE_SESSION_*
 */
struct bpfpoke_session_opts {
	size_t sz;
	const char *vmlinux;
	const char *btf;
	const char *symbols;
	int vm_pid;
	const char *mem_file;
	__u64 mem_file_below_4g;
	__u64 mem_file_max_below_4g;
	__u32 flags;
	size_t :0;
};
#define bpfpoke_session_opts__last_field flags

/**
 * bpfpoke_session_open() - read a guest kernel's description
 * @opts: either @vmlinux, or @btf and @symbols; either @vm_pid or
 *	  @mem_file (not used until bpfpoke_session_attach())
 *
 * Reads the symbols bpfpoke needs, normalised to offsets from _text, and
 * the vmlinux BTF, and resolves the kernel structure layouts from it.
 * Touches no guest memory.
 *
 * Return: a session, or NULL with errno: EINVAL for bad @opts (none or
 * both kernel descriptions, none or both guest memories, unknown flags,
 * non-zero bytes past the known fields); ENOENT, EACCES, ... when a file
 * cannot be read; ENOENT when a needed symbol (_text, linux_banner,
 * init_top_pgt, map_idr) or BTF type is missing; ENOTUNIQ when a needed
 * symbol has two addresses; ENODATA when the symbols carry no addresses
 * (kallsyms read with kptr_restrict); EINVAL or EPROTO for malformed
 * files; ENOMEM.
 */
struct bpfpoke_session *
bpfpoke_session_open(const struct bpfpoke_session_opts *opts);

/**
 * bpfpoke_session_attach() - open the session's guest memory
 * @s: a session
 *
 * Return: 0; -EALREADY if attached; for a mem-file: the open()/fstat()
 * errno, -EINVAL if it is not a non-empty regular file or the split does
 * not fit it; through bpfpoke.ko: -ENOENT when the module is not loaded
 * (no /dev/bpfpoke) or the VMM has no KVM VM fd, -EPERM/-EACCES without
 * CAP_SYS_ADMIN or ptrace access to the VMM, -ESRCH for no such process,
 * -ENOTUNIQ when the VMM has several VMs, -EPROTONOSUPPORT for a module
 * of another API version, -E2BIG for more than 64 memory regions, or the
 * module's ioctl errors.
 */
int bpfpoke_session_attach(struct bpfpoke_session *s);

/**
 * bpfpoke_session_load() - find the guest kernel in guest memory
 * @s: an attached session
 *
 * Scans guest RAM at 2 MiB steps for the kernel image (linux_banner reads
 * "Linux version " at its offset from _text), finds its virtual base by
 * walking the kernel's own top-level page table (init_top_pgt), and reads
 * page_offset_base, vmalloc_base, vmemmap_base, phys_base and the paging
 * level (4 or 5) from kernel variables.
 *
 * Return: 0; -EINVAL if not attached; -EALREADY if loaded; -ENOENT when
 * no image in guest memory matches the description (another kernel, or
 * memory not yet written by the guest); -EFAULT, -EINVAL for an image
 * whose page tables or variables make no sense.
 */
int bpfpoke_session_load(struct bpfpoke_session *s);

/* Closes files, frees everything.  @s may be NULL.  Cannot fail. */
void bpfpoke_session_close(struct bpfpoke_session *s);

/**
 * bpfpoke_q35_below_4g() - bytes of RAM QEMU's q35 maps below 4 GiB
 * @ram_size: the guest's RAM (-m, or the memory backend's size)
 * @max_below_4g: -machine max-ram-below-4g, 0 for QEMU's default
 *
 * QEMU 7.2 hw/i386/pc_q35.c: all RAM below 2.75 GiB stays low, more is
 * split at 2 GiB, and never above max-ram-below-4g.
 *
 * Return: the size of the low part; the rest is at 4 GiB.  Cannot fail.
 */
__u64 bpfpoke_q35_below_4g(__u64 ram_size, __u64 max_below_4g);

#define BPFPOKE_MEM_REGION_READONLY	(1U << 0)

/* One guest-physical RAM region. */
struct bpfpoke_mem_region {
	__u64 gpa;
	__u64 size;
	__u32 flags;		/* BPFPOKE_MEM_REGION_* */
	__u32 __pad;
};

/**
 * bpfpoke_session_regions() - the guest's RAM regions, by address
 * @s: an attached session
 * @regions: out: the session's array, valid until it closes
 * @nr: out: its length
 *
 * Return: 0; -EINVAL if @s is not attached or an argument is NULL.
 */
int bpfpoke_session_regions(const struct bpfpoke_session *s,
			    const struct bpfpoke_mem_region **regions,
			    unsigned int *nr);

/**
 * struct bpfpoke_kernel_info - where the guest kernel is
 * @text_kva: virtual address of _text
 * @text_gpa: guest-physical address of _text
 * @kaslr_offset: @text_kva - 0xffffffff81000000, as kaslr_offset() in
 *		  the guest (the default __START_KERNEL)
 * @phys_base: the kernel's phys_base
 * @page_offset_base: start of the direct map of all physical memory
 * @vmalloc_base: start of vmalloc space
 * @vmemmap_base: start of the struct page array
 * @top_pgt_gpa: guest-physical address of init_top_pgt, the kernel's CR3
 * @levels: paging levels, 4 or 5
 * @banner: linux_banner up to its newline, NUL-terminated
 */
struct bpfpoke_kernel_info {
	__u64 text_kva;
	__u64 text_gpa;
	__u64 kaslr_offset;
	__u64 phys_base;
	__u64 page_offset_base;
	__u64 vmalloc_base;
	__u64 vmemmap_base;
	__u64 top_pgt_gpa;
	__u32 levels;
	__u32 __pad;
	char banner[256];
};

/**
 * bpfpoke_session_kernel_info() - what bpfpoke_session_load() found
 * @s: a loaded session
 * @info: out
 *
 * Return: 0; -EINVAL if @s is not loaded or @info is NULL.
 */
int bpfpoke_session_kernel_info(const struct bpfpoke_session *s,
				struct bpfpoke_kernel_info *info);

/**
 * struct bpfpoke_session_times - where a session's time went, in ns
 * @symbols_ns: reading the symbols (bpfpoke_session_open())
 * @vmlinux_btf_ns: parsing the vmlinux BTF and resolving layouts (same)
 * @attach_ns: opening guest memory (bpfpoke_session_attach())
 * @kaslr_ns: finding the kernel (bpfpoke_session_load())
 * @map_walk_ns: the last walk of map_idr (bpfpoke_maps())
 * @map_btf_ns: all bpfpoke_map_btf() calls together
 * @resolve_ns: all bpfpoke_map_find() calls together (also those of
 *		bpfpoke_write_prepare()): picking the map by its suffix and
 *		looking the field up in each candidate's BTF, without the
 *		map walk and the BTF reads they start (@map_walk_ns,
 *		@map_btf_ns)
 * @resolve_count: the number of those calls
 *
 * Fields are only ever appended.
 */
struct bpfpoke_session_times {
	__u64 symbols_ns;
	__u64 vmlinux_btf_ns;
	__u64 attach_ns;
	__u64 kaslr_ns;
	__u64 map_walk_ns;
	__u64 map_btf_ns;
	__u64 resolve_ns;
	__u64 resolve_count;
};

/* The session's timings, for benchmarks.  Never NULL for a non-NULL @s. */
const struct bpfpoke_session_times *
bpfpoke_session_times(const struct bpfpoke_session *s);

/* The vmlinux BTF, owned by the session; NULL if @s is NULL. */
const struct btf *bpfpoke_session_vmlinux_btf(const struct bpfpoke_session *s);

/**
 * bpfpoke_read_phys() - read guest-physical memory
 * @s: an attached session
 * @gpa: guest-physical address
 * @buf: where to put @len bytes
 * @len: 1 to 64 MiB
 *
 * Return: 0; -EINVAL if @s is not attached or @len is out of range;
 * -EFAULT if a byte is outside guest RAM; the backend's errors.
 */
int bpfpoke_read_phys(struct bpfpoke_session *s, __u64 gpa, void *buf,
		      size_t len);

/**
 * bpfpoke_write_phys() - write guest-physical memory
 *
 * As bpfpoke_read_phys(); -EROFS for a session opened without
 * BPFPOKE_SESSION_WRITABLE or a read-only region.  Not atomic: a failure
 * may leave part of the range written.
 */
int bpfpoke_write_phys(struct bpfpoke_session *s, __u64 gpa,
		       const void *buf, size_t len);

/**
 * bpfpoke_translate() - guest-physical address of a kernel address
 * @s: a loaded session
 * @kva: kernel virtual address
 * @gpa: out
 *
 * Uses the direct-map and kernel-image offsets where they are exact, else
 * walks the kernel page tables (4 or 5 levels; 4 KiB, 2 MiB, 1 GiB pages).
 *
 * Return: 0; -EINVAL if @s is not loaded; -EFAULT if @kva is not a
 * canonical kernel address, is not mapped, or a table is outside RAM.
 */
int bpfpoke_translate(struct bpfpoke_session *s, __u64 kva, __u64 *gpa);

/**
 * bpfpoke_read_kva() - read guest kernel virtual memory
 * @s: a loaded session
 * @kva: kernel virtual address
 * @buf: where to put @len bytes
 * @len: 1 to 64 MiB; the range may cross pages
 *
 * Return: 0; the errors of bpfpoke_translate() and bpfpoke_read_phys().
 */
int bpfpoke_read_kva(struct bpfpoke_session *s, __u64 kva, void *buf,
		     size_t len);

/* Most maps a walk of map_idr accepts (E2BIG past it). */
#define BPFPOKE_MAX_MAPS		65536
/* Largest program BTF bpfpoke_map_btf() reads (E2BIG past it). */
#define BPFPOKE_MAX_BTF_SIZE		(16U << 20)

/**
 * struct bpfpoke_map_info - one BPF map of the guest, as read
 * @id: map id, as bpftool shows it
 * @type: enum bpf_map_type value (bpfpoke_map_type_str() names it)
 * @name: the map's name, NUL-terminated (15 bytes at most)
 * @key_size: bytes of a key
 * @value_size: bytes of a value
 * @max_entries: the map's max_entries
 * @map_flags: BPF_F_* flags from map creation
 * @frozen: frozen with BPF_MAP_FREEZE (.rodata after load)
 * @btf_id: id of the map's BTF object, 0 if it has none
 * @btf_key_type_id: key type in that BTF
 * @btf_value_type_id: value type in that BTF (the DATASEC of a global
 *		       data map)
 * @elem_size: array maps: bytes between two values, else 0
 * @kva: guest kernel address of the struct bpf_map
 * @btf_kva: guest kernel address of its struct btf, 0 if none
 * @value_kva: array maps (BPF_MAP_TYPE_ARRAY): address of value 0, else 0
 * @arena_globals: an arena map (BPF_MAP_TYPE_ARENA) whose program keeps
 *		   global variables in it (libbpf's section .addr_space.1,
 *		   the skeleton's ->arena): those stand in for its one value.
 *		   @value_size is their size, @btf_kva, @btf_id and
 *		   @btf_value_type_id the program's BTF and its DATASEC,
 *		   @value_kva where the guest kernel maps them.  Such a map
 *		   answers to the suffixes ".arena" and ".addr_space.1".
 *
 * A snapshot: the guest may free or change the map after the walk.
 */
struct bpfpoke_map_info {
	__u32 id;
	__u32 type;
	char name[16];
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
	bool frozen;
	__u32 btf_id;
	__u32 btf_key_type_id;
	__u32 btf_value_type_id;
	__u32 elem_size;
	__u64 kva;
	__u64 btf_kva;
	__u64 value_kva;
	bool arena_globals;
};

/**
 * bpfpoke_maps() - every BPF map of the guest, by id
 * @s: a loaded session
 * @maps: out: the session's array, valid until the next
 *	  bpfpoke_maps_refresh() or bpfpoke_session_close()
 * @nr: out: its length
 *
 * Walks map_idr on the first call, then returns the same snapshot.
 * Entries of the xarray that do not look like maps (not a kernel
 * address, an id that does not match the index) are skipped with a WARN
 * message.
 *
 * Return: 0; -EINVAL if @s is not loaded or an argument is NULL; -EFAULT
 * when map_idr or an xarray node cannot be read; -ELOOP for an xarray
 * node seen twice or a node shift that does not descend; -E2BIG for more
 * than BPFPOKE_MAX_MAPS maps or 65536 nodes; -ENOMEM.
 */
int bpfpoke_maps(struct bpfpoke_session *s,
		 const struct bpfpoke_map_info **maps, size_t *nr);

/* Walk map_idr again.  Return and errors as bpfpoke_maps(). */
int bpfpoke_maps_refresh(struct bpfpoke_session *s);

/**
 * bpfpoke_map_type_str() - bpftool's name of a map type
 * @s: a session, for the vmlinux BTF's names of types libbpf does not
 *     know; may be NULL
 * @type: enum bpf_map_type value
 *
 * Return: "array", "hash", "percpu_array", ...; NULL if unknown.  A name
 * taken from the guest's BTF lives in a per-thread buffer that the next
 * call in the thread may overwrite.  Cannot fail otherwise.
 */
const char *bpfpoke_map_type_str(const struct bpfpoke_session *s, __u32 type);

/**
 * bpfpoke_map_btf() - the BTF of a map's program, read from the guest
 * @s: a loaded session
 * @map: a map of @s
 *
 * Reads map->btf's raw data; BTF that is split on a base (kernel module
 * BTF) is opened on the vmlinux BTF.  Free it with btf__free().
 *
 * Return: a new struct btf, or NULL with errno: EINVAL for bad arguments;
 * ENOENT when the map has no BTF; E2BIG when its size is above
 * BPFPOKE_MAX_BTF_SIZE; EFAULT when it cannot be read; EINVAL, EPROTO or
 * another libbpf error for malformed BTF; ENOMEM.
 */
struct btf *bpfpoke_map_btf(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *map);

/**
 * bpfpoke_map_value_read() - read bytes of an array map's value
 * @s: a loaded session
 * @map: an array map (BPF_MAP_TYPE_ARRAY) of @s
 * @index: the key
 * @off: byte offset inside the value
 * @buf: where to put @len bytes
 * @len: bytes, 1 or more
 *
 * Return: 0; -EINVAL for bad arguments; -EOPNOTSUPP if @map is not an
 * array map; -ERANGE if @index is not below max_entries or @off + @len is
 * beyond value_size; the errors of bpfpoke_read_kva().
 */
int bpfpoke_map_value_read(struct bpfpoke_session *s,
			   const struct bpfpoke_map_info *map, __u32 index,
			   __u32 off, void *buf, size_t len);

/**
 * bpfpoke_map_value_write() - write bytes of an array map's value
 *
 * As bpfpoke_map_value_read(); -EROFS for a session opened without
 * BPFPOKE_SESSION_WRITABLE.  Page by page, not atomic: the write path
 * with freezing and all-or-nothing batches builds on it.
 */
int bpfpoke_map_value_write(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *map, __u32 index,
			    __u32 off, const void *buf, size_t len);

/*
 * ======================================================================
 * Picking maps and writing fields (agent/lib/write.c)
 * ======================================================================
 */

/**
 * bpfpoke_map_value_init() - describe a map's value for field resolution
 * @mv: filled (sz set, no other options)
 * @map: the map, from bpfpoke_maps()
 * @btf: its BTF, from bpfpoke_map_btf(); may be NULL
 *
 * Cannot fail; no argument may be NULL but @btf.
 */
void bpfpoke_map_value_init(struct bpfpoke_map_value *mv,
			    const struct bpfpoke_map_info *map,
			    const struct btf *btf);

/**
 * bpfpoke_map_find() - the map a suffix (and field) names
 * @s: a loaded session
 * @suffix: map name suffix, e.g. ".bss" (the descriptor rules apply)
 * @field: a field path, or NULL to select by suffix alone
 * @map: out: the map, in bpfpoke_maps()'s snapshot
 * @btf: out, may be NULL: the map's BTF (free with btf__free()); with a
 *	 NULL @field, NULL-able only when the map has none (error)
 *
 * The candidates are the maps whose name ends with @suffix.  With a
 * @field, the one whose BTF has the field (bpfpoke_field_exists()).
 * Each failure logs a WARN message naming the maps searched or the
 * candidates, e.g. "field 'crash' is in 2 maps ending with '.bss': 4
 * a.bss, 9 b.bss; give a longer suffix".
 *
 * Return: 0; -EINVAL for a NULL @s or @map, a suffix or field breaking
 * a descriptor rule; -ENOENT: no map ends with @suffix, or none of them
 * has @field; -ENOTUNIQ: several candidates (several maps with the
 * suffix when @field is NULL, several with the field otherwise); the
 * errors of bpfpoke_maps() and bpfpoke_map_btf() (when the BTF of a
 * candidate cannot be read and no other candidate has the field).
 */
int bpfpoke_map_find(struct bpfpoke_session *s, const char *suffix,
		     const char *field, const struct bpfpoke_map_info **map,
		     struct btf **btf);

/* Most items one bpfpoke_write() takes. */
#define BPFPOKE_WRITE_MAX		256

/**
 * struct bpfpoke_write_item - one typed write
 * @suffix: map name suffix, e.g. ".bss"
 * @field: field path, e.g. "crash", "cfg.inner.lo", "arr[3]"
 * @value: the value as text, parsed against the field's BTF type by
 *	   bpfpoke_field_parse(): "1", "-5", "0xff", "true", an enumerator
 *	   name, a string for a char array
 */
struct bpfpoke_write_item {
	const char *suffix;
	const char *field;
	const char *value;
};

/* Write frozen maps (.rodata after load) too: see bpfpoke_write_prepare(). */
#define BPFPOKE_WRITE_FORCE		(1U << 0)

/**
 * struct bpfpoke_write_opts - options of bpfpoke_write()
 * @sz: sizeof(struct bpfpoke_write_opts)
 * @flags: BPFPOKE_WRITE_*
 */
struct bpfpoke_write_opts {
	size_t sz;
	__u32 flags;
	size_t :0;
};
#define bpfpoke_write_opts__last_field flags

/**
 * struct bpfpoke_write_info - one item of a prepared batch
 * @map: the map picked for it (bpfpoke_map_find())
 * @field: the field, resolved in the map's BTF
 * @data: the @field.size bytes that are written at @field.offset
 * @gpa: guest-physical address of the first byte (the bytes may go on in
 *	 another page: a field that crosses a page boundary is split)
 *
 * Fields are only ever appended.
 */
struct bpfpoke_write_info {
	const struct bpfpoke_map_info *map;
	struct bpfpoke_field field;
	const void *data;
	__u64 gpa;
};

struct bpfpoke_write_batch;

/**
 * bpfpoke_write_prepare() - resolve a batch of writes, writing nothing
 * @s: a loaded session opened with BPFPOKE_SESSION_WRITABLE
 * @items: the writes, 1 to BPFPOKE_WRITE_MAX
 * @nr: their number
 * @opts: NULL for the defaults
 * @out: the batch, for bpfpoke_write_commit() and bpfpoke_write_free()
 *
 * In this order, and stopping at the first failure: every item's suffix
 * and field are checked against the descriptor rules; then for each item
 * the map is picked (bpfpoke_map_find()), the field resolved
 * (bpfpoke_field_resolve()), a frozen map refused, the value parsed
 * against the field's type (bpfpoke_field_parse(): integers range
 * checked, bools, enumerator names) and the bytes' guest-virtual
 * addresses translated to guest-physical ones.  The map value's pages
 * are the kernel's (vmalloc or direct map): their translation holds as
 * long as the map lives.  Every failure logs one WARN message.
 *
 * Return: 0; -EINVAL (bad arguments or @opts, a descriptor rule broken,
 * a malformed value, two items writing the same bytes); -EROFS for a
 * read-only session; -EPERM for a frozen map (.rodata after load: the
 * verifier may have folded its values into the programs as constants)
 * without BPFPOKE_WRITE_FORCE; -EOPNOTSUPP for a map that is not an
 * array map, or a field kind that cannot be written from text; -ERANGE
 * for a value that does not fit; -E2BIG for more than 4096 pieces of
 * guest-physical memory; the errors of bpfpoke_map_find(),
 * bpfpoke_field_resolve() and the page-table walk (-EFAULT); -ENOMEM.
 */
int bpfpoke_write_prepare(struct bpfpoke_session *s,
			  const struct bpfpoke_write_item *items, size_t nr,
			  const struct bpfpoke_write_opts *opts,
			  struct bpfpoke_write_batch **out);

/**
 * bpfpoke_write_commit() - write a prepared batch, all or nothing
 * @b: from bpfpoke_write_prepare()
 *
 * Through bpfpoke.ko: one BPFPOKE_ACCESS with
 * BPFPOKE_ACCESS_ALL_OR_NOTHING, so either every byte lands or none does,
 * and KVM's dirty log sees the pages.  Through a RAM file (--mem-file)
 * every piece is checked against the RAM first, then written one after
 * the other: a running guest may see the first writes before the last,
 * and only a failing file (not the guest) can leave a batch half
 * written.  Stop the VMM around the commit to make it atomic for the
 * guest.
 *
 * First each map of the batch is read again from guest memory: a map
 * freed or replaced since bpfpoke_write_prepare() (another id, type,
 * value size or BTF at its address, or a zero refcnt) fails the batch
 * with -ESTALE and nothing is written.  With the VMM frozen around the
 * commit, the check and the write see the same guest.
 *
 * Return: 0; -EINVAL for a NULL @b; -EALREADY when committed before;
 * -ESTALE when a map is gone;
 * -E2BIG for a batch larger than the module takes at once; -EOPNOTSUPP
 * for a module without all-or-nothing batches; the module's errors
 * (-ESRCH once the VMM has exited, -EFAULT for memory that is no longer
 * RAM, ...); the RAM file's errors.
 */
int bpfpoke_write_commit(struct bpfpoke_write_batch *b);

/* Items of a prepared batch, in the order given. */
size_t bpfpoke_write_cnt(const struct bpfpoke_write_batch *b);
/* Item @i; NULL with errno ERANGE when out of range. */
const struct bpfpoke_write_info *
bpfpoke_write_info(const struct bpfpoke_write_batch *b, size_t i);

/* Frees a batch.  @b may be NULL.  Cannot fail. */
void bpfpoke_write_free(struct bpfpoke_write_batch *b);

/**
 * bpfpoke_write() - prepare and commit in one call
 *
 * Return: as bpfpoke_write_prepare(), then bpfpoke_write_commit().
 */
int bpfpoke_write(struct bpfpoke_session *s,
		  const struct bpfpoke_write_item *items, size_t nr,
		  const struct bpfpoke_write_opts *opts);

/* Signal: tell the guest the write landed (uapi/bpfpoke/signal.h) */

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
 * Return: the signaller, or NULL with errno: EINVAL for a malformed @spec
 * or @opts, E2BIG for unknown non-zero @opts fields, ENAMETOOLONG, the
 * errno of socket(), connect() or open(), ENOMEM.
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

/*
 * Freezing the VMM around a write (agent/lib/freeze.c)
 *
 * A commit through a RAM file is not atomic for a running guest; stopping
 * the VMM around it makes it so:
 *
 *	f = bpfpoke_freezer_open("qmp:/run/vm-qmp.sock", &opts);
 *	err = bpfpoke_write_prepare(s, items, nr, NULL, &batch);
 *	err = bpfpoke_freeze(f);
 *	err = bpfpoke_write_commit(batch);
 *	err = bpfpoke_thaw(f);
 *	bpfpoke_freezer_close(f);
 *
 * A VMM that was already stopped before bpfpoke_freeze() is left as it
 * was: not stopped again, not continued after.
 */

/*
 * While frozen, continue the VMM when the caller gets SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT or SIGPIPE (those that are not ignored), then let the
 * signal take the action it had before (for the defaults: the caller
 * ends).  The handlers are installed by bpfpoke_freeze() and removed by
 * bpfpoke_thaw(); one freezer at a time can have them.
 */
#define BPFPOKE_FREEZER_THAW_ON_SIGNAL	(1U << 0)

/**
 * struct bpfpoke_freezer_opts - options of bpfpoke_freezer_open()
 * @sz: sizeof(struct bpfpoke_freezer_opts)
 * @timeout_ms: how long to wait for each QMP reply (the greeting too), or
 *		for every thread of a SIGSTOPped VMM to stop (0: 5000)
 * @flags: BPFPOKE_FREEZER_*
 */
struct bpfpoke_freezer_opts {
	size_t sz;
	unsigned int timeout_ms;
	__u32 flags;
	size_t :0;
};
#define bpfpoke_freezer_opts__last_field flags

struct bpfpoke_freezer;

/**
 * bpfpoke_freezer_open() - prepare to freeze a VMM
 * @spec: "none" (freezing does nothing), "sigstop:PID" (SIGSTOP the VMM
 *	  with PID and wait until all its threads are stopped; SIGCONT to
 *	  thaw) or "qmp:PATH" (QEMU's QMP UNIX socket, -qmp
 *	  unix:PATH,server=on,wait=off: "stop", checked with "query-status",
 *	  and "cont" to thaw)
 * @opts: NULL for the defaults
 *
 * For QMP, connects, reads QEMU's greeting and sends qmp_capabilities
 * now, so that a wrong socket fails before anything is written.  The
 * connection is kept until bpfpoke_freezer_close(); QEMU serves one
 * client per QMP socket.  Every failure logs one WARN message, e.g.
 * "cannot connect to QMP socket PATH: No such file or directory".
 *
 * Return: the freezer, or NULL with errno: EINVAL for a malformed @spec
 * or @opts (unknown flags, non-zero bytes past the known fields);
 * sigstop: ESRCH or EPERM when PID cannot be signalled; qmp:
 * ENAMETOOLONG, the errno of socket() or connect() (ENOENT, ECONNREFUSED,
 * EACCES, EAGAIN for a full backlog, ...), ETIMEDOUT when no greeting
 * came in time (another client holds the socket), EPROTO when the
 * socket does not speak QMP, ECONNRESET when it closed, EIO when QEMU
 * refused qmp_capabilities; ENOMEM.
 */
struct bpfpoke_freezer *
bpfpoke_freezer_open(const char *spec, const struct bpfpoke_freezer_opts *opts);

/**
 * bpfpoke_freeze() - stop the VMM
 * @f: from bpfpoke_freezer_open()
 *
 * sigstop: returns once every thread of the VMM is stopped.  qmp: asks
 * QEMU for its status; a VM that is not "running" (paused, prelaunch,
 * ...) is left alone; else "stop", whose return means the vCPUs are
 * stopped, and query-status must then say "paused".  QMP events that
 * arrive meanwhile are skipped.  On failure the VMM is running as
 * before (continued if it had been stopped).
 *
 * Return: 0; -EINVAL for a NULL @f; -EALREADY when frozen already;
 * -EBUSY when another freezer thaws on signals, or when the VM's status
 * after "stop" is not "paused" (something else changed it);
 * -ECANCELED after a signal thawed @f; sigstop: -ESRCH when the VMM is
 * gone, -ETIMEDOUT when its threads did not all stop in time, the errno
 * of kill(); qmp: -EIO when QEMU answered with an error (logged as
 * "QMP stop failed: <QEMU's description>"), -ETIMEDOUT when it did not
 * answer in time, -ECONNRESET when it closed the socket, -EPROTO for a
 * malformed reply, -EMSGSIZE for one longer than 64 KiB.
 */
int bpfpoke_freeze(struct bpfpoke_freezer *f);

/**
 * bpfpoke_thaw() - continue what bpfpoke_freeze() stopped
 * @f: from bpfpoke_freezer_open()
 *
 * Does nothing when @f is not frozen or the VMM was already stopped
 * before bpfpoke_freeze().  On failure @f stays frozen, so the call can
 * be repeated; bpfpoke_freezer_close() tries once more.
 *
 * Return: 0; -EINVAL for a NULL @f; sigstop: the errno of kill(SIGCONT);
 * qmp: as bpfpoke_freeze() for the "cont" command.
 */
int bpfpoke_thaw(struct bpfpoke_freezer *f);

/* Thaws if frozen, then frees.  @f may be NULL.  Cannot fail. */
void bpfpoke_freezer_close(struct bpfpoke_freezer *f);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_H */
