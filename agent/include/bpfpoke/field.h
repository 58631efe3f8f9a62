/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: BTF fields of a map value: resolving paths, parsing and
 * rendering values, typed values, and a value's layout.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_FIELD_H
#define __BPFPOKE_FIELD_H

#include "descriptor.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * BTF fields and typed values
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
 *   is neither an array or per-CPU array map with 4-byte keys, nor a hash,
 *   LRU hash, per-CPU hash or LRU per-CPU hash map, nor an arena;
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
 * bpfpoke_field_encode() - a write's value into a field's bytes
 * @f: the field
 * @v: the value (a descriptor's, struct bpfpoke_map_write_value)
 * @buf: receives @f->size bytes, little-endian
 * @size: size of @buf
 *
 * A typed value is taken exactly as its text would be by
 * bpfpoke_field_parse(): a UINT or INT as its decimal number (range
 * checked: 300 does not fit a __u8, -1 is no value of an unsigned field),
 * a BOOL as true or false, an ENUM as the enumerator's name; TEXT is
 * parsed as it is.  UINT and INT go into int, char and enum fields only,
 * BOOL into bool fields, ENUM into enum fields.
 *
 * Return: 0 on success; the errors of bpfpoke_field_parse(); -EOPNOTSUPP
 * for a value of a type the field's kind does not take; -EINVAL for an
 * unknown type.  Failures log a WARN message.
 */
int bpfpoke_field_encode(const struct bpfpoke_field *f,
			 const struct bpfpoke_map_write_value *v, void *buf,
			 size_t size);

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
 * struct bpfpoke_value - a field's value, typed
 * @type: which member holds it (enum bpfpoke_value_type: UINT and INT for
 *	  integers and chars, an enum value no enumerator has too; ENUM with
 *	  @name; PTR; FLOAT, may be NaN or infinite; WIDE, little-endian
 *	  bytes; STRING, a char array's bytes up to its first NUL, not
 *	  necessarily UTF-8)
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_FIELD_H */
