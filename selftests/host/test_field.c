// SPDX-License-Identifier: GPL-2.0
/*
 * BTF fields and typed values: resolution on the BTF that clang builds
 * from progs/field_globals.bpf.c, checked against the host compiler's
 * offsetof()/sizeof() of the same types (progs/field_types.h) and the ELF
 * symbol table; every error branch with its message; typed parsing,
 * encoding and formatting; the layout; hostile BTF built by hand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include "bpfpoke.h"
#include "progs/field_types.h"
#include "kselftest_harness.h"

#ifndef PROGS_DIR
#error "build with -DPROGS_DIR='\"<dir of the .bpf.o test programs>\"'"
#endif

#define OBJ_FILE	"field_globals.bpf.o"

#define MEMBER_SIZE(type, member)	sizeof(((type *)0)->member)

/* What the library logged; each test runs in its own child. */
static char last_warn[1024];
static int nr_warns, nr_debugs;

__attribute__((format(printf, 2, 0)))
static int capture(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	if (level == BPFPOKE_WARN) {
		nr_warns++;
		return vsnprintf(last_warn, sizeof(last_warn), fmt, ap);
	}
	nr_debugs++;
	return 0;
}

static void reset_log(void)
{
	nr_warns = nr_debugs = 0;
	last_warn[0] = '\0';
}

/* Exactly one WARN: "libbpfpoke: [map 'MAP': ]MSG\n" (no map if NULL). */
static bool warned(struct __test_metadata *_metadata, const char *map,
		   const char *msg)
{
	char want[sizeof(last_warn)];

	if (map)
		snprintf(want, sizeof(want), "libbpfpoke: map '%s': %s\n", map, msg);
	else
		snprintf(want, sizeof(want), "libbpfpoke: %s\n", msg);
	EXPECT_EQ(1, nr_warns);
	EXPECT_STREQ(want, last_warn);
	return nr_warns == 1 && !strcmp(want, last_warn);
}

/* A TAP comment; the test child leaves with _exit(), so flush. */
#define note(...) do { ksft_print_msg(__VA_ARGS__); fflush(stdout); } while (0)

static const char *progs_dir(void)
{
	const char *dir = getenv("BPFPOKE_PROGS_DIR");

	return dir && *dir ? dir : PROGS_DIR;
}

static struct bpf_object *open_obj(struct __test_metadata *_metadata)
{
	struct bpf_object *obj;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", progs_dir(), OBJ_FILE);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		TH_LOG("cannot open %s: %s", path, strerror(errno));
	return obj;
}

/*
 * The map named @name, or whose name ends with @name when it starts with
 * '.', as a bpfpoke_map_value.  bpf_object__open() has fixed up the
 * DATASEC sizes and offsets, as libbpf does before loading.
 */
static struct bpf_map *find_map(struct bpf_object *obj, const char *name,
				struct bpfpoke_map_value *mv)
{
	size_t len = strlen(name), n;
	struct bpf_map *map;
	const char *mname;

	bpf_object__for_each_map(map, obj) {
		mname = bpf_map__name(map);
		n = strlen(mname);
		if (name[0] == '.' ? n < len || strcmp(mname + n - len, name) :
				     strcmp(mname, name))
			continue;
		*mv = (struct bpfpoke_map_value) {
			.sz = sizeof(*mv),
			.btf = bpf_object__btf(obj),
			.map_name = mname,
			.map_type = bpf_map__type(map),
			.key_size = bpf_map__key_size(map),
			.value_size = bpf_map__value_size(map),
			.btf_value_type_id = bpf_map__btf_value_type_id(map),
		};
		return map;
	}
	return NULL;
}

static void field_init(struct bpfpoke_field *f)
{
	memset(f, 0xcc, sizeof(*f));
	f->sz = sizeof(*f);
}

static __u64 get_le(const void *data, size_t size)
{
	const __u8 *p = data;
	__u64 v = 0;
	size_t i;

	for (i = 0; i < size && i < 8; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

/* The offset of @var: resolving a bare variable is checked against ELF. */
static __u32 var_offset(struct __test_metadata *_metadata,
			const struct bpfpoke_map_value *mv, const char *var)
{
	struct bpfpoke_field f;

	field_init(&f);
	EXPECT_EQ(0, bpfpoke_field_resolve(mv, var, &f));
	return f.offset;
}

/* Resolving: offsets, sizes, kinds and type names */

FIXTURE(resolve) {
	struct bpf_object *obj;
};

FIXTURE_VARIANT(resolve) {
	const char *map;	/* map name, or suffix if it starts with '.' */
	const char *var;	/* variable the path starts in; NULL: none */
	const char *path;
	__u32 rel;		/* offset from the variable's (or value's) start */
	__u32 size;
	enum bpfpoke_field_kind kind;
	bool is_signed;
	const char *type_name;
	__u32 nelems;
	__u32 elem_size;
	enum bpfpoke_field_kind elem_kind;
};

#define CFG(name, member, k, sgn, tname, ...)				\
	FIXTURE_VARIANT_ADD(resolve, name) {				\
		.map = ".bss", .var = "cfg", .path = "cfg." #member,	\
		.rel = offsetof(struct config, member),			\
		.size = MEMBER_SIZE(struct config, member),		\
		.kind = BPFPOKE_FIELD_##k, .is_signed = sgn,		\
		.type_name = tname, ##__VA_ARGS__			\
	}

#define ARR(n, esize, ekind)						\
	.nelems = n, .elem_size = esize, .elem_kind = BPFPOKE_FIELD_##ekind

FIXTURE_VARIANT_ADD(resolve, var_struct) {
	.map = ".bss", .var = "cfg", .path = "cfg", .size = sizeof(struct config),
	.kind = BPFPOKE_FIELD_STRUCT, .type_name = "struct config",
};
CFG(u32, id, INT, false, "__u32");
CFG(nested_struct, in, STRUCT, false, "struct inner");
CFG(nested_u16, in.x, INT, false, "__u16");
CFG(nested_s8, in.y, INT, true, "__s8");
CFG(nested_u64, in.z, INT, false, "__u64");
CFG(anon_union, word, INT, false, "__u32");
CFG(anon_union_array, bytes[3], INT, false, "__u8");
CFG(anon_struct, a, INT, false, "__u16");
CFG(anon_struct_2, b, INT, false, "__u16");
CFG(anon_union_in_anon_struct, deep, INT, false, "__u8");
CFG(anon_union_in_anon_struct_2, deeper, INT, true, "__s16");
CFG(named_union, u, UNION, false, "union (anon)");
CFG(anon_struct_in_union, u.hi, INT, false, "__u8");
CFG(union_member, u.wide, INT, false, "__u64");
CFG(array, arr, ARRAY, false, "__u32[4]", ARR(4, 4, INT));
CFG(array_first, arr[0], INT, false, "__u32");
CFG(array_last, arr[3], INT, false, "__u32");
CFG(array_2d, grid, ARRAY, false, "__u16[3][5]", ARR(3, 10, ARRAY));
CFG(array_2d_row, grid[1], ARRAY, false, "__u16[5]", ARR(5, 2, INT));
CFG(array_2d_elem, grid[2][4], INT, false, "__u16");
CFG(array_of_structs, items, ARRAY, false, "struct inner[2]",
    ARR(2, sizeof(struct inner), STRUCT));
CFG(array_of_structs_elem, items[1], STRUCT, false, "struct inner");
CFG(array_of_structs_member, items[1].z, INT, false, "__u64");
CFG(array_2d_of_structs_member, mat[1][0].y, INT, true, "__s8");
CFG(enum, mode, ENUM, false, "enum mode");
CFG(enum_negative, sign, ENUM, false, "enum sign");
CFG(enum_packed, tiny, ENUM, false, "enum tiny");
CFG(boolean, enabled, BOOL, false, "_Bool");
CFG(char_array, name, ARRAY, false, "char[16]", ARR(16, 1, CHAR));
CFG(char_array_elem, name[15], CHAR, true, "char");
CFG(char, c, CHAR, true, "char");
CFG(unsigned_char, uc, INT, false, "unsigned char");
CFG(s64, delta, INT, true, "__s64");
CFG(pointer, ptr, PTR, false, "int *");
CFG(float, f, FLOAT, false, "float");
CFG(double, d, FLOAT, false, "double");
CFG(after_bitfields, bf.after, INT, false, "__u8");
CFG(typedef_chain, chained, INT, false, "u32_t2");
CFG(typedef_const_volatile, cvfield, INT, false, "cv_u32");
CFG(volatile, vol, INT, false, "volatile __u8");
CFG(zero_length_array, tail, ARRAY, false, "__u32[0]", ARR(0, 4, INT));

FIXTURE_VARIANT_ADD(resolve, bss_u32) {
	.map = ".bss", .var = "crash", .path = "crash", .size = 4,
	.kind = BPFPOKE_FIELD_INT, .type_name = "__u32",
};
FIXTURE_VARIANT_ADD(resolve, bss_bool) {
	.map = ".bss", .var = "stall", .path = "stall", .size = 1,
	.kind = BPFPOKE_FIELD_BOOL, .type_name = "_Bool",
};
FIXTURE_VARIANT_ADD(resolve, bss_static_local) {
	.map = ".bss", .var = "prog.calls", .path = "prog.calls", .size = 4,
	.kind = BPFPOKE_FIELD_INT, .type_name = "__u32",
};
FIXTURE_VARIANT_ADD(resolve, data_s8) {
	.map = ".data", .var = "data_s8", .path = "data_s8", .size = 1,
	.kind = BPFPOKE_FIELD_INT, .is_signed = true, .type_name = "__s8",
};
FIXTURE_VARIANT_ADD(resolve, data_static) {
	.map = ".data", .var = "hidden", .path = "hidden", .size = 4,
	.kind = BPFPOKE_FIELD_INT, .is_signed = true, .type_name = "volatile int",
};
FIXTURE_VARIANT_ADD(resolve, data_nested) {
	.map = ".data", .var = "dcfg", .path = "dcfg.items[1].z",
	.rel = offsetof(struct config, items[1].z), .size = 8,
	.kind = BPFPOKE_FIELD_INT, .type_name = "__u64",
};
FIXTURE_VARIANT_ADD(resolve, rodata_u32) {
	.map = ".rodata", .var = "ro_limit", .path = "ro_limit", .size = 4,
	.kind = BPFPOKE_FIELD_INT, .type_name = "const volatile __u32",
};
FIXTURE_VARIANT_ADD(resolve, rodata_struct) {
	.map = ".rodata", .var = "ro_inner", .path = "ro_inner",
	.size = sizeof(struct inner), .kind = BPFPOKE_FIELD_STRUCT,
	.type_name = "const volatile struct inner",
};
FIXTURE_VARIANT_ADD(resolve, rodata_member) {
	.map = ".rodata", .var = "ro_inner", .path = "ro_inner.z",
	.rel = offsetof(struct inner, z), .size = 8,
	.kind = BPFPOKE_FIELD_INT, .type_name = "__u64",
};
FIXTURE_VARIANT_ADD(resolve, custom_section) {
	.map = ".data.custom", .var = "custom_val", .path = "custom_val",
	.size = 4, .kind = BPFPOKE_FIELD_INT, .type_name = "__u32",
};
FIXTURE_VARIANT_ADD(resolve, struct_value) {
	.map = "vals", .path = "hits", .rel = offsetof(struct map_val, hits),
	.size = 8, .kind = BPFPOKE_FIELD_INT, .type_name = "__u64",
};
FIXTURE_VARIANT_ADD(resolve, struct_value_nested) {
	.map = "vals", .path = "in.y", .rel = offsetof(struct map_val, in.y),
	.size = 1, .kind = BPFPOKE_FIELD_INT, .is_signed = true,
	.type_name = "__s8",
};
FIXTURE_VARIANT_ADD(resolve, struct_value_char_array) {
	.map = "vals", .path = "comm", .rel = offsetof(struct map_val, comm),
	.size = 16, .kind = BPFPOKE_FIELD_ARRAY, .type_name = "char[16]",
	ARR(16, 1, CHAR),
};
FIXTURE_VARIANT_ADD(resolve, array_value_elem) {
	.map = "inners", .path = "[2]", .rel = 2 * sizeof(struct inner),
	.size = sizeof(struct inner), .kind = BPFPOKE_FIELD_STRUCT,
	.type_name = "struct inner",
};
FIXTURE_VARIANT_ADD(resolve, array_value_member) {
	.map = "inners", .path = "[1].z",
	.rel = sizeof(struct inner) + offsetof(struct inner, z), .size = 8,
	.kind = BPFPOKE_FIELD_INT, .type_name = "__u64",
};

FIXTURE_SETUP(resolve)
{
	self->obj = open_obj(_metadata);
	ASSERT_NE(NULL, self->obj);
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(resolve)
{
	bpf_object__close(self->obj);
}

TEST_F(resolve, ok)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	__u32 base = 0;

	ASSERT_NE(NULL, find_map(self->obj, variant->map, &mv));
	if (variant->var)
		base = var_offset(_metadata, &mv, variant->var);
	reset_log();
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, variant->path, &f));
	EXPECT_EQ(0, nr_warns);
	EXPECT_EQ(sizeof(f), f.sz);
	EXPECT_EQ(mv.btf, f.btf);
	EXPECT_EQ(base + variant->rel, f.offset);
	EXPECT_EQ(variant->size, f.size);
	EXPECT_LE(f.offset + f.size, mv.value_size);
	EXPECT_EQ(variant->kind, f.kind);
	EXPECT_EQ(variant->is_signed, f.is_signed);
	EXPECT_STREQ(variant->type_name, f.type_name);
	EXPECT_STREQ(variant->path, f.path);
	EXPECT_STREQ(mv.map_name, f.map_name);
	EXPECT_EQ((int)f.type_id, btf__resolve_type(mv.btf, f.decl_type_id));
	switch (f.kind) {
	case BPFPOKE_FIELD_INT:
	case BPFPOKE_FIELD_BOOL:
	case BPFPOKE_FIELD_CHAR:
	case BPFPOKE_FIELD_ENUM:
	case BPFPOKE_FIELD_PTR:
		EXPECT_EQ(8 * f.size, f.bits);
		break;
	case BPFPOKE_FIELD_ARRAY:
		EXPECT_EQ(variant->nelems, f.nelems);
		EXPECT_EQ(variant->elem_size, f.elem_size);
		EXPECT_EQ(variant->elem_kind, f.elem_kind);
		break;
	default:
		break;
	}
	EXPECT_EQ(1, bpfpoke_field_exists(&mv, variant->path));
	EXPECT_EQ(0, nr_warns);
}

/* Variable offsets against the ELF symbol table, not libbpf's fix-up. */

static long long elf_sym_offset(const char *path, const char *sec,
				const char *name)
{
	const char *sname, *secname;
	Elf_Scn *scn = NULL, *sscn;
	long long ret = -1;
	GElf_Shdr sh, ssh;
	size_t shstrndx, i;
	Elf_Data *data;
	GElf_Sym sym;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto done;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getsym(data, i, &sym))
				continue;
			sname = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!sname || strcmp(sname, name))
				continue;
			sscn = elf_getscn(elf, sym.st_shndx);
			if (!sscn || !gelf_getshdr(sscn, &ssh))
				continue;
			secname = elf_strptr(elf, shstrndx, ssh.sh_name);
			if (secname && !strcmp(secname, sec))
				ret = sym.st_value;
		}
	}
done:
	elf_end(elf);
	close(fd);
	return ret;
}

TEST(var_offsets_match_elf)
{
	static const struct { const char *sec, *var; } vars[] = {
		{ ".bss", "cfg" }, { ".bss", "crash" }, { ".bss", "stall" },
		{ ".bss", "counter" }, { ".bss", "prog.calls" },
		{ ".data", "data_u64" }, { ".data", "data_s8" },
		{ ".data", "dcfg" }, { ".data", "hidden" },
		{ ".rodata", "ro_limit" }, { ".rodata", "ro_inner" },
		{ ".data.custom", "custom_val" },
	};
	struct bpfpoke_map_value mv;
	struct bpf_object *obj;
	char path[4096];
	long long want;
	size_t i;

	obj = open_obj(_metadata);
	ASSERT_NE(NULL, obj);
	snprintf(path, sizeof(path), "%s/%s", progs_dir(), OBJ_FILE);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		ASSERT_NE(NULL, find_map(obj, vars[i].sec, &mv));
		want = elf_sym_offset(path, vars[i].sec, vars[i].var);
		ASSERT_LE(0, want) TH_LOG("no ELF symbol %s in %s", vars[i].var,
					  vars[i].sec);
		EXPECT_EQ(want, var_offset(_metadata, &mv, vars[i].var))
			TH_LOG("%s:%s", vars[i].sec, vars[i].var);
	}
	bpf_object__close(obj);
}

/* Resolving: every error, with its message, and what exists() says */

FIXTURE(reject) {
	struct bpf_object *obj;
};

FIXTURE_VARIANT(reject) {
	const char *map;
	const char *path;
	int err;
	int exists;		/* what bpfpoke_field_exists() returns */
	const char *msg;	/* after "map 'NAME': " */
};

#define REJECT(name, m, p, e, x, s)					\
	FIXTURE_VARIANT_ADD(reject, name) {				\
		.map = m, .path = p, .err = e, .exists = x, .msg = s,	\
	}

REJECT(unknown_var, ".bss", "nope", ENOENT, 0,
       "field 'nope': no variable 'nope' in section '.bss'");
REJECT(unknown_var_with_member, ".bss", "nope.x[1]", ENOENT, 0,
       "field 'nope.x[1]': no variable 'nope' in section '.bss'");
REJECT(var_of_other_section, ".data", "crash", ENOENT, 0,
       "field 'crash': no variable 'crash' in section '.data'");
REJECT(var_prefix_only, ".bss", "cfgx", ENOENT, 0,
       "field 'cfgx': no variable 'cfgx' in section '.bss'");
REJECT(static_local_prefix, ".bss", "prog", ENOENT, 0,
       "field 'prog': no variable 'prog' in section '.bss'");
REJECT(unknown_member, ".bss", "cfg.nope", ENOENT, 0,
       "field 'cfg.nope': struct config has no member 'nope'");
REJECT(unknown_nested_member, ".bss", "cfg.in.nope", ENOENT, 0,
       "field 'cfg.in.nope': struct inner has no member 'nope'");
REJECT(unknown_union_member, ".bss", "cfg.u.nope", ENOENT, 0,
       "field 'cfg.u.nope': union (anon) has no member 'nope'");
REJECT(unknown_member_of_element, ".bss", "cfg.items[0].w", ENOENT, 0,
       "field 'cfg.items[0].w': struct inner has no member 'w'");
REJECT(member_of_int, ".bss", "cfg.id.x", EINVAL, 0,
       "field 'cfg.id.x': 'cfg.id' is __u32, not a struct or union");
REJECT(member_of_array, ".bss", "cfg.arr.x", EINVAL, 0,
       "field 'cfg.arr.x': 'cfg.arr' is __u32[4], not a struct or union");
REJECT(member_of_scalar_var, ".bss", "crash.x", EINVAL, 0,
       "field 'crash.x': 'crash' is __u32, not a struct or union");
REJECT(member_of_typedef, ".bss", "cfg.cvfield.x", EINVAL, 0,
       "field 'cfg.cvfield.x': 'cfg.cvfield' is cv_u32, not a struct or union");
REJECT(index_of_int, ".bss", "cfg.id[0]", EINVAL, 0,
       "field 'cfg.id[0]': 'cfg.id' is __u32, not an array");
REJECT(index_of_struct, ".bss", "cfg.in[0]", EINVAL, 0,
       "field 'cfg.in[0]': 'cfg.in' is struct inner, not an array");
REJECT(index_too_deep, ".bss", "cfg.arr[1][0]", EINVAL, 0,
       "field 'cfg.arr[1][0]': 'cfg.arr[1]' is __u32, not an array");
REJECT(index_out_of_range, ".bss", "cfg.arr[4]", ERANGE, 0,
       "field 'cfg.arr[4]': index 4 is out of range: 'cfg.arr' has 4 elements");
REJECT(index_out_of_range_hex, ".bss", "cfg.arr[0x10]", ERANGE, 0,
       "field 'cfg.arr[0x10]': index 16 is out of range: 'cfg.arr' has 4 elements");
REJECT(index_out_of_range_outer, ".bss", "cfg.grid[3][0]", ERANGE, 0,
       "field 'cfg.grid[3][0]': index 3 is out of range: 'cfg.grid' has 3 elements");
REJECT(index_out_of_range_inner, ".bss", "cfg.grid[0][5]", ERANGE, 0,
       "field 'cfg.grid[0][5]': index 5 is out of range: 'cfg.grid[0]' has 5 elements");
REJECT(index_out_of_range_structs, ".bss", "cfg.items[2].z", ERANGE, 0,
       "field 'cfg.items[2].z': index 2 is out of range: 'cfg.items' has 2 elements");
REJECT(index_zero_length, ".bss", "cfg.tail[0]", ERANGE, 0,
       "field 'cfg.tail[0]': index 0 is out of range: 'cfg.tail' has 0 elements");
REJECT(bitfield, ".bss", "cfg.bf.flags", EOPNOTSUPP, 1,
       "field 'cfg.bf.flags' is a bitfield (3 bits at bit 5): not supported");
REJECT(bitfield_first, ".bss", "cfg.bf.lo", EOPNOTSUPP, 1,
       "field 'cfg.bf.lo' is a bitfield (5 bits at bit 0): not supported");
REJECT(bitfield_byte_aligned, ".bss", "cfg.bf.rest", EOPNOTSUPP, 1,
       "field 'cfg.bf.rest' is a bitfield (24 bits at bit 8): not supported");
REJECT(member_of_bitfield, ".bss", "cfg.bf.flags.x", EINVAL, 0,
       "field 'cfg.bf.flags.x': 'cfg.bf.flags' is __u32, not a struct or union");
REJECT(empty, ".bss", "", EINVAL, -EINVAL, "field path is empty");
REJECT(leading_index, ".bss", "[0]", EINVAL, -EINVAL,
       "field '[0]': expected a variable name at offset 0");
REJECT(leading_digit, ".bss", "0cfg", EINVAL, -EINVAL,
       "field '0cfg': expected a variable name at offset 0");
REJECT(trailing_dot, ".bss", "cfg.", EINVAL, -EINVAL,
       "field 'cfg.': expected a member name at offset 4");
REJECT(double_dot, ".bss", "cfg..id", EINVAL, -EINVAL,
       "field 'cfg..id': expected a member name at offset 4");
REJECT(member_digit, ".bss", "cfg.1d", EINVAL, -EINVAL,
       "field 'cfg.1d': expected a member name at offset 4");
REJECT(index_unterminated, ".bss", "cfg.arr[1", EINVAL, -EINVAL,
       "field 'cfg.arr[1': expected an index and ']' at offset 8");
REJECT(index_empty, ".bss", "cfg.arr[]", EINVAL, -EINVAL,
       "field 'cfg.arr[]': expected an index and ']' at offset 8");
REJECT(index_name, ".bss", "cfg.arr[x]", EINVAL, -EINVAL,
       "field 'cfg.arr[x]': expected an index and ']' at offset 8");
REJECT(index_negative, ".bss", "cfg.arr[-1]", EINVAL, -EINVAL,
       "field 'cfg.arr[-1]': expected an index and ']' at offset 8");
REJECT(index_plus, ".bss", "cfg.arr[+1]", EINVAL, -EINVAL,
       "field 'cfg.arr[+1]': expected an index and ']' at offset 8");
REJECT(index_space, ".bss", "cfg.arr[ 1]", EINVAL, -EINVAL,
       "field 'cfg.arr[ 1]': expected an index and ']' at offset 8");
REJECT(index_huge, ".bss", "cfg.arr[18446744073709551616]", EINVAL, -EINVAL,
       "field 'cfg.arr[18446744073709551616]': expected an index and ']' at offset 8");
REJECT(after_index, ".bss", "cfg.arr[1]x", EINVAL, -EINVAL,
       "field 'cfg.arr[1]x': unexpected 'x' at offset 10");
REJECT(whitespace, ".bss", "cfg.in x", EINVAL, -EINVAL,
       "field 'cfg.in x': unexpected ' ' at offset 6");
REJECT(too_long, ".bss",
       "cfg.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       EINVAL, -EINVAL,
       "field 'cfg.aaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than 255 bytes");
REJECT(value_member_unknown, "vals", "nope", ENOENT, 0,
       "field 'nope': struct map_val has no member 'nope'");
REJECT(value_scalar_member, "counters", "x", EINVAL, 0,
       "field 'x': the map value is __u64, not a struct or union");
REJECT(value_scalar_index, "counters", "[0]", EINVAL, 0,
       "field '[0]': the map value is __u64, not an array");
REJECT(value_array_member, "inners", "z", EINVAL, 0,
       "field 'z': the map value is struct inner[3], not a struct or union");
REJECT(value_array_out_of_range, "inners", "[3].z", ERANGE, 0,
       "field '[3].z': index 3 is out of range: the map value has 3 elements");

FIXTURE_SETUP(reject)
{
	self->obj = open_obj(_metadata);
	ASSERT_NE(NULL, self->obj);
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(reject)
{
	bpf_object__close(self->obj);
}

TEST_F(reject, resolve)
{
	struct bpfpoke_field f, before;
	struct bpfpoke_map_value mv;

	ASSERT_NE(NULL, find_map(self->obj, variant->map, &mv));
	field_init(&f);
	before = f;
	reset_log();
	errno = 0;
	EXPECT_EQ(-variant->err, bpfpoke_field_resolve(&mv, variant->path, &f));
	EXPECT_EQ(variant->err, errno);
	warned(_metadata, mv.map_name, variant->msg);
	EXPECT_EQ(0, memcmp(&before, &f, sizeof(f)));

	reset_log();
	errno = 0;
	EXPECT_EQ(variant->exists, bpfpoke_field_exists(&mv, variant->path));
	if (variant->exists < 0)
		EXPECT_EQ(-variant->exists, errno);
	EXPECT_EQ(0, nr_warns);
	EXPECT_EQ(1, nr_debugs);
}

/* The map itself, and the API's own arguments */

FIXTURE(field) {
	struct bpf_object *obj;
	struct bpfpoke_map_value bss;
};

FIXTURE_SETUP(field)
{
	self->obj = open_obj(_metadata);
	ASSERT_NE(NULL, self->obj);
	ASSERT_NE(NULL, find_map(self->obj, ".bss", &self->bss));
	bpfpoke_set_print(capture);
	reset_log();
}

FIXTURE_TEARDOWN(field)
{
	bpf_object__close(self->obj);
}

/* A hash map's value has fields too: its elements are written by key. */
TEST_F(field, hash_map_resolved)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;

	ASSERT_NE(NULL, find_map(self->obj, "hvals", &mv));
	field_init(&f);
	EXPECT_EQ(0, bpfpoke_field_resolve(&mv, "in.z", &f));
	EXPECT_STREQ("in.z", f.path);
	EXPECT_EQ(1, bpfpoke_field_exists(&mv, "in.z"));
}

TEST_F(field, ringbuf_refused)
{
	struct bpfpoke_field f;

	self->bss.map_type = BPF_MAP_TYPE_RINGBUF;
	self->bss.map_name = NULL;
	field_init(&f);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_resolve(&self->bss, "crash", &f));
	EXPECT_EQ(EOPNOTSUPP, errno);
	warned(_metadata, NULL,
	       "the map is a ringbuf map (type 27): only array, per-CPU array and hash map values and arenas' globals have fields");
}

TEST_F(field, key_size_refused)
{
	struct bpfpoke_field f;
	char want[128];

	self->bss.key_size = 8;
	field_init(&f);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_resolve(&self->bss, "crash", &f));
	EXPECT_EQ(EOPNOTSUPP, errno);
	snprintf(want, sizeof(want),
		 "map '%s' has 8-byte keys: an array map's key is 4 bytes",
		 self->bss.map_name);
	warned(_metadata, NULL, want);
}

TEST_F(field, percpu_array_resolved)
{
	struct bpfpoke_field f;

	self->bss.map_type = BPF_MAP_TYPE_PERCPU_ARRAY;
	field_init(&f);
	EXPECT_EQ(0, bpfpoke_field_resolve(&self->bss, "crash", &f));
	/* Its keys are 4 bytes, as an array map's. */
	self->bss.key_size = 8;
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_resolve(&self->bss, "crash", &f));
}

/*
 * An arena's globals (libbpf's .addr_space.1) stand in for its value:
 * key size 0, the DATASEC its program's BTF has (here .bss's, as the
 * agent passes the arena's).  BPF_MAP_TYPE_ARENA is 33 in the uapi.
 */
TEST_F(field, arena_globals_resolved)
{
	struct bpfpoke_field f, g;

	field_init(&g);
	ASSERT_EQ(0, bpfpoke_field_resolve(&self->bss, "crash", &g));
	self->bss.map_type = 33;
	self->bss.key_size = 0;
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&self->bss, "crash", &f));
	EXPECT_EQ(g.offset, f.offset);
	EXPECT_EQ(g.size, f.size);
}

TEST_F(field, no_btf)
{
	struct bpfpoke_field f;

	self->bss.btf = NULL;
	field_init(&f);
	EXPECT_EQ(-ENODATA, bpfpoke_field_resolve(&self->bss, "crash", &f));
	EXPECT_EQ(ENODATA, errno);
	warned(_metadata, self->bss.map_name, "the map has no BTF: its fields have no names");
	reset_log();
	EXPECT_EQ(0, bpfpoke_field_exists(&self->bss, "crash"));
	EXPECT_EQ(0, nr_warns);
}

TEST_F(field, no_value_type)
{
	struct bpfpoke_field f;

	self->bss.btf_value_type_id = 0;
	field_init(&f);
	EXPECT_EQ(-ENODATA, bpfpoke_field_resolve(&self->bss, "crash", &f));
	warned(_metadata, self->bss.map_name,
	       "the map's BTF has no value type: its fields have no names");
	EXPECT_EQ(0, bpfpoke_field_exists(&self->bss, "crash"));
}

TEST_F(field, value_type_out_of_btf)
{
	struct bpfpoke_field f;

	self->bss.btf_value_type_id = 100000;
	field_init(&f);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&self->bss, "crash", &f));
	warned(_metadata, self->bss.map_name,
	       "broken BTF: the value type [100000] is void, or its type chain is broken or loops");
	EXPECT_EQ(-EINVAL, bpfpoke_field_exists(&self->bss, "crash"));
}

TEST_F(field, value_smaller_than_btf)
{
	struct bpfpoke_field f;

	/* "cfg" starts at 8 and is 296 bytes: the DATASEC lies. */
	self->bss.value_size = 100;
	field_init(&f);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&self->bss, "cfg.id", &f));
	warned(_metadata, self->bss.map_name,
	       "field 'cfg.id': broken BTF: variable 'cfg' (296 bytes) does not fit its 296 bytes at offset 8 of the 100-byte value");
	EXPECT_EQ(-EINVAL, bpfpoke_field_exists(&self->bss, "cfg.id"));
	/* What fits still resolves. */
	field_init(&f);
	EXPECT_EQ(0, bpfpoke_field_resolve(&self->bss, "crash", &f));
}

TEST_F(field, struct_value_smaller_than_btf)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;

	ASSERT_NE(NULL, find_map(self->obj, "vals", &mv));
	mv.value_size = 16;
	field_init(&f);
	EXPECT_EQ(0, bpfpoke_field_resolve(&mv, "in.x", &f));
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, "in.z", &f));
	warned(_metadata, "vals",
	       "field 'in.z' (8 bytes at offset 16) does not fit in the 16-byte map value: broken BTF");
}

TEST_F(field, null_arguments)
{
	struct bpfpoke_field f;

	field_init(&f);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(NULL, "crash", &f));
	EXPECT_EQ(EINVAL, errno);
	warned(_metadata, NULL, "map value description is NULL");
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&self->bss, NULL, &f));
	warned(_metadata, NULL, "field resolve: path is NULL");
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&self->bss, "crash", NULL));
	warned(_metadata, NULL, "field resolve: field is NULL");
	EXPECT_EQ(-EINVAL, bpfpoke_field_exists(NULL, "crash"));
	EXPECT_EQ(-EINVAL, bpfpoke_field_exists(&self->bss, NULL));
}

TEST_F(field, map_value_sz)
{
	struct {
		struct bpfpoke_map_value mv;
		__u64 newer;
	} big = { .mv = self->bss };
	struct bpfpoke_field f;

	field_init(&f);
	self->bss.sz = offsetof(struct bpfpoke_map_value, btf_value_type_id);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&self->bss, "crash", &f));
	warned(_metadata, self->bss.map_name,
	       "struct bpfpoke_map_value: sz 36 is too small");

	/* A newer caller's struct: fine while the new fields are zero. */
	big.mv.sz = sizeof(big);
	EXPECT_EQ(0, bpfpoke_field_resolve(&big.mv, "crash", &f));
	big.newer = 1;
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&big.mv, "crash", &f));
	warned(_metadata, self->bss.map_name,
	       "struct bpfpoke_map_value: unknown non-zero field at byte 40");
}

TEST_F(field, field_sz)
{
	struct {
		struct bpfpoke_field f;
		__u8 newer[8];
	} big;
	struct bpfpoke_field f;

	field_init(&f);
	f.sz = offsetof(struct bpfpoke_field, path);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&self->bss, "crash", &f));
	EXPECT_EQ(1, nr_warns);

	/* A newer caller's struct: what we do not know is zeroed. */
	memset(&big, 0xcc, sizeof(big));
	big.f.sz = sizeof(big);
	ASSERT_EQ(0, bpfpoke_field_resolve(&self->bss, "crash", &big.f));
	EXPECT_EQ(sizeof(big), big.f.sz);
	EXPECT_EQ(4, big.f.size);
	EXPECT_EQ(0, big.newer[0]);
	EXPECT_EQ(0, big.newer[7]);
}

TEST_F(field, exists_is_quiet)
{
	EXPECT_EQ(1, bpfpoke_field_exists(&self->bss, "cfg.in.z"));
	EXPECT_EQ(0, bpfpoke_field_exists(&self->bss, "cfg.nope"));
	EXPECT_EQ(0, bpfpoke_field_exists(&self->bss, "dcfg"));
	EXPECT_EQ(0, nr_warns);
}

/* Typed values: parsing text */

FIXTURE(parse) {
	struct bpf_object *obj;
};

FIXTURE_VARIANT(parse) {
	const char *path;
	const char *value;
	void (*set)(struct config *c);	/* success: what the bytes must be */
	int err;
	const char *msg;		/* failure: after "map 'M': " */
};

#define PARSE_OK(name, member, str, val)				\
	static void set_##name(struct config *c) { c->member = val; }	\
	FIXTURE_VARIANT_ADD(parse, name) {				\
		.path = "cfg." #member, .value = str, .set = set_##name,	\
	}

#define PARSE_FAIL(name, member, str, e, tname, m)			\
	FIXTURE_VARIANT_ADD(parse, name) {				\
		.path = "cfg." #member, .value = str, .err = e,		\
		.msg = "field 'cfg." #member "' (" tname "): " m,	\
	}

PARSE_OK(u32_decimal, id, "4294967295", 4294967295U);
PARSE_OK(u32_hex, id, "0xfFfFfFfF", 0xffffffffU);
PARSE_OK(u32_octal, id, "037", 037);
PARSE_OK(u32_zero, id, "0", 0);
PARSE_OK(u32_plus, id, "+7", 7);
PARSE_OK(u32_minus_zero, id, "-0", 0);
PARSE_OK(s8_min, in.y, "-128", -128);
PARSE_OK(s8_max, in.y, "127", 127);
PARSE_OK(s8_hex_negative, in.y, "-0x80", -128);
PARSE_OK(u16_max, in.x, "65535", 65535);
PARSE_OK(u64_max, in.z, "18446744073709551615", 18446744073709551615ULL);
PARSE_OK(u64_hex, in.z, "0x1122334455667788", 0x1122334455667788ULL);
PARSE_OK(s64_min, delta, "-9223372036854775808", (-9223372036854775807LL - 1));
PARSE_OK(s64_max, delta, "9223372036854775807", 9223372036854775807LL);
PARSE_OK(s32_min, s32, "-2147483648", (-2147483647 - 1));
PARSE_OK(s16_min, s16, "-32768", -32768);
PARSE_OK(anon_union, word, "0x01020304", 0x01020304);
PARSE_OK(anon_union_in_anon_struct, deeper, "-1", -1);
PARSE_OK(union_member, u.wide, "0x0102030405060708", 0x0102030405060708ULL);
PARSE_OK(array_2d, grid[2][4], "65535", 65535);
PARSE_OK(array_of_structs, items[1].z, "1", 1);
PARSE_OK(array_2d_of_structs, mat[1][1].y, "-5", -5);
PARSE_OK(enum_name, mode, "MODE_AUTO", MODE_AUTO);
PARSE_OK(enum_number, mode, "7", MODE_AUTO);
PARSE_OK(enum_unnamed_number, mode, "3", 3);
PARSE_OK(enum_negative_name, sign, "SIGN_NEG", SIGN_NEG);
PARSE_OK(enum_negative_number, sign, "-2", SIGN_NEG);
PARSE_OK(enum_packed, tiny, "TINY_B", TINY_B);
PARSE_OK(enum_packed_number, tiny, "255", 255);
PARSE_OK(bool_true, enabled, "true", true);
PARSE_OK(bool_one, enabled, "1", true);
PARSE_OK(bool_false, enabled, "false", false);
PARSE_OK(bool_zero, enabled, "0", false);
PARSE_OK(char_bare, c, "A", 'A');
PARSE_OK(char_quoted, c, "'7'", '7');
PARSE_OK(char_number, c, "65", 'A');
PARSE_OK(char_negative, c, "-1", -1);
PARSE_OK(unsigned_char, uc, "255", 255);
PARSE_OK(typedef_chain, chained, "4000000000", 4000000000U);
PARSE_OK(volatile, vol, "0xff", 0xff);

static void set_string(struct config *c) { strcpy(c->name, "hello"); }
FIXTURE_VARIANT_ADD(parse, char_array) {
	.path = "cfg.name", .value = "hello", .set = set_string,
};
static void set_string_longest(struct config *c) { strcpy(c->name, "0123456789abcde"); }
FIXTURE_VARIANT_ADD(parse, char_array_longest) {
	.path = "cfg.name", .value = "0123456789abcde", .set = set_string_longest,
};
static void set_string_empty(struct config *c) { (void)c; }
FIXTURE_VARIANT_ADD(parse, char_array_empty) {
	.path = "cfg.name", .value = "", .set = set_string_empty,
};

PARSE_FAIL(u8_too_big, uc, "256", ERANGE, "unsigned char",
	   "256 is out of range [0, 255]");
PARSE_FAIL(u8_hex_too_big, uc, "0x100", ERANGE, "unsigned char",
	   "0x100 is out of range [0, 255]");
PARSE_FAIL(u32_too_big, id, "4294967296", ERANGE, "__u32",
	   "4294967296 is out of range [0, 4294967295]");
PARSE_FAIL(u64_too_big, in.z, "18446744073709551616", ERANGE, "__u64",
	   "18446744073709551616 is out of range [0, 18446744073709551615]");
PARSE_FAIL(u32_negative, id, "-1", ERANGE, "__u32",
	   "-1 is negative, but the type is unsigned");
PARSE_FAIL(s8_too_big, in.y, "128", ERANGE, "__s8",
	   "128 is out of range [-128, 127]");
PARSE_FAIL(s8_too_small, in.y, "-129", ERANGE, "__s8",
	   "-129 is out of range [-128, 127]");
PARSE_FAIL(s8_hex_pattern, in.y, "0xff", ERANGE, "__s8",
	   "0xff is out of range [-128, 127]");
PARSE_FAIL(s64_too_small, delta, "-9223372036854775809", ERANGE, "__s64",
	   "-9223372036854775809 is out of range [-9223372036854775808, 9223372036854775807]");
PARSE_FAIL(not_a_number, id, "abc", EINVAL, "__u32", "'abc' is not a number");
PARSE_FAIL(empty, id, "", EINVAL, "__u32", "'' is not a number");
PARSE_FAIL(leading_space, id, " 1", EINVAL, "__u32", "' 1' is not a number");
PARSE_FAIL(trailing_space, id, "1 ", EINVAL, "__u32", "'1 ' is not a number");
PARSE_FAIL(bare_hex_prefix, id, "0x", EINVAL, "__u32", "'0x' is not a number");
PARSE_FAIL(bad_octal, id, "08", EINVAL, "__u32", "'08' is not a number");
PARSE_FAIL(sign_only, id, "-", EINVAL, "__u32", "'-' is not a number");
PARSE_FAIL(double_sign, id, "--1", EINVAL, "__u32", "'--1' is not a number");
PARSE_FAIL(float_text, id, "1.5", EINVAL, "__u32", "'1.5' is not a number");
PARSE_FAIL(bool_word, enabled, "yes", EINVAL, "_Bool",
	   "'yes' is not true, false, 1 or 0");
PARSE_FAIL(bool_two, enabled, "2", EINVAL, "_Bool",
	   "'2' is not true, false, 1 or 0");
PARSE_FAIL(bool_case, enabled, "TRUE", EINVAL, "_Bool",
	   "'TRUE' is not true, false, 1 or 0");
PARSE_FAIL(enum_bad_name, mode, "MODE_NOPE", EINVAL, "enum mode",
	   "'MODE_NOPE' is neither a number nor an enumerator (MODE_OFF, MODE_ON, MODE_AUTO)");
PARSE_FAIL(enum_other_enum, mode, "SIGN_NEG", EINVAL, "enum mode",
	   "'SIGN_NEG' is neither a number nor an enumerator (MODE_OFF, MODE_ON, MODE_AUTO)");
PARSE_FAIL(enum_too_big, tiny, "256", ERANGE, "enum tiny",
	   "256 is out of range [-128, 255]");
PARSE_FAIL(enum_too_small, tiny, "-129", ERANGE, "enum tiny",
	   "-129 is out of range [-128, 255]");
PARSE_FAIL(char_two, c, "AB", EINVAL, "char", "'AB' is not a number");
PARSE_FAIL(char_too_big, c, "128", ERANGE, "char",
	   "128 is out of range [-128, 127]");
PARSE_FAIL(string_too_long, name, "0123456789abcdef", ERANGE, "char[16]",
	   "a 16-byte string does not fit: 16 bytes hold at most 15 and the NUL");
PARSE_FAIL(pointer, ptr, "0", EOPNOTSUPP, "int *", "pointers are not supported");
PARSE_FAIL(float, f, "1.5", EOPNOTSUPP, "float",
	   "floating point is not supported");
PARSE_FAIL(struct, in, "1", EOPNOTSUPP, "struct inner",
	   "a struct: name one of its members");
PARSE_FAIL(union, u, "1", EOPNOTSUPP, "union (anon)",
	   "a union: name one of its members");
PARSE_FAIL(array, arr, "1", EOPNOTSUPP, "__u32[4]",
	   "an array: index it, as in 'name[0]'");
PARSE_FAIL(array_of_arrays, grid, "1", EOPNOTSUPP, "__u16[3][5]",
	   "an array: index it, as in 'name[0]'");

FIXTURE_SETUP(parse)
{
	self->obj = open_obj(_metadata);
	ASSERT_NE(NULL, self->obj);
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(parse)
{
	bpf_object__close(self->obj);
}

TEST_F(parse, value)
{
	__u8 buf[sizeof(struct config) + 8];
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	struct config want;
	__u32 rel;
	size_t i;

	ASSERT_NE(NULL, find_map(self->obj, ".bss", &mv));
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, variant->path, &f));
	rel = f.offset - var_offset(_metadata, &mv, "cfg");
	reset_log();
	memset(buf, 0xcc, sizeof(buf));
	errno = 0;
	if (!variant->set) {
		EXPECT_EQ(-variant->err, bpfpoke_field_parse(&f, variant->value,
							     buf, sizeof(buf)));
		EXPECT_EQ(variant->err, errno);
		warned(_metadata, mv.map_name, variant->msg);
		for (i = 0; i < sizeof(buf); i++)
			ASSERT_EQ(0xcc, buf[i]) TH_LOG("byte %zu written", i);
		return;
	}
	ASSERT_EQ(0, bpfpoke_field_parse(&f, variant->value, buf, sizeof(buf)));
	EXPECT_EQ(0, nr_warns);
	memset(&want, 0, sizeof(want));
	variant->set(&want);
	EXPECT_EQ(0, memcmp((__u8 *)&want + rel, buf, f.size));
	EXPECT_EQ(0xcc, buf[f.size]);

	/* The bytes do not depend on the buffer being exactly the size. */
	memset(buf, 0xcc, sizeof(buf));
	ASSERT_EQ(0, bpfpoke_field_parse(&f, variant->value, buf, f.size));
	EXPECT_EQ(0, memcmp((__u8 *)&want + rel, buf, f.size));
}

TEST_F(field, parse_arguments)
{
	struct bpfpoke_map_value mv = self->bss;
	struct bpfpoke_field f;
	__u8 buf[8];

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "cfg.in.z", &f));
	reset_log();
	EXPECT_EQ(-ENOSPC, bpfpoke_field_parse(&f, "1", buf, 7));
	EXPECT_EQ(ENOSPC, errno);
	warned(_metadata, mv.map_name,
	       "field 'cfg.in.z' (__u64): 8 bytes do not fit a 7-byte buffer");
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_parse(&f, NULL, buf, sizeof(buf)));
	warned(_metadata, mv.map_name, "field 'cfg.in.z' (__u64): value is NULL");
	EXPECT_EQ(-EINVAL, bpfpoke_field_parse(&f, "1", NULL, 8));
	EXPECT_EQ(-EINVAL, bpfpoke_field_parse(NULL, "1", buf, sizeof(buf)));
	f.btf = NULL;
	EXPECT_EQ(-EINVAL, bpfpoke_field_parse(&f, "1", buf, sizeof(buf)));
}

/* A write's value: typed, or text, into a field's bytes */

FIXTURE(encode) {
	struct bpf_object *obj;
};

FIXTURE_VARIANT(encode) {
	const char *path;
	struct bpfpoke_map_write_value value;
	__u64 want;		/* the field's bytes, little-endian */
	int err;
	const char *msg;
};

#define VU(x)	{ .type = BPFPOKE_VALUE_UINT, .num = (__u64)(x) }
#define VI(x)	{ .type = BPFPOKE_VALUE_INT, .num = (__u64)(__s64)(x) }
#define VB(x)	{ .type = BPFPOKE_VALUE_BOOL, .num = (x) }
#define VE(n)	{ .type = BPFPOKE_VALUE_ENUM, .text = n }
#define VT(t)	{ .type = BPFPOKE_VALUE_TEXT, .text = t }

#define ENCODE_OK(name, p, v, w)					\
	FIXTURE_VARIANT_ADD(encode, name) { .path = p, .value = v, .want = w }
#define ENCODE_FAIL(name, p, v, e, m)					\
	FIXTURE_VARIANT_ADD(encode, name) {				\
		.path = p, .value = v, .err = e, .msg = m,		\
	}

ENCODE_OK(u32_max, "cfg.id", VU(0xffffffff), 0xffffffff);
ENCODE_OK(u8, "cfg.uc", VU(255), 255);
ENCODE_OK(u64_zero_extended, "cfg.in.z", VU(0x80000000), 0x80000000);
ENCODE_OK(u64_max, "cfg.in.z", VU(~0ULL), ~0ULL);
ENCODE_OK(s8_negative, "cfg.in.y", VI(-56), 200);
ENCODE_OK(s32_negative, "cfg.s32", VI(-1), 0xffffffff);
ENCODE_OK(int_positive, "cfg.s32", VI(7), 7);
ENCODE_OK(boolean, "cfg.enabled", VB(1), 1);
ENCODE_OK(boolean_false, "cfg.enabled", VB(0), 0);
ENCODE_OK(char, "cfg.c", VU('A'), 'A');
ENCODE_OK(enum, "cfg.mode", VE("MODE_AUTO"), MODE_AUTO);
ENCODE_OK(enum_number, "cfg.mode", VU(MODE_AUTO), MODE_AUTO);
ENCODE_OK(enum_packed, "cfg.tiny", VU(200), 200);
ENCODE_OK(bss_u32, "crash", VU(1), 1);
ENCODE_OK(text, "cfg.u16", VT("0x10"), 16);
ENCODE_OK(text_enum, "cfg.mode", VT("MODE_AUTO"), MODE_AUTO);
ENCODE_FAIL(u8_too_big, "cfg.uc", VU(300), ERANGE,
	    "field 'cfg.uc' (unsigned char): 300 is out of range [0, 255]");
ENCODE_FAIL(u16_too_big, "cfg.u16", VU(65536), ERANGE,
	    "field 'cfg.u16' (__u16): 65536 is out of range [0, 65535]");
/* A value, not a bit pattern: 200 is no __s8. */
ENCODE_FAIL(s8_not_a_pattern, "cfg.in.y", VU(200), ERANGE,
	    "field 'cfg.in.y' (__s8): 200 is out of range [-128, 127]");
ENCODE_FAIL(unsigned_negative, "cfg.uc", VI(-1), ERANGE,
	    "field 'cfg.uc' (unsigned char): -1 is negative, but the type is unsigned");
ENCODE_FAIL(bool_two, "cfg.enabled", VB(2), ERANGE,
	    "field 'cfg.enabled' (_Bool): bool value 2 is not 0 or 1");
ENCODE_FAIL(bool_for_int, "cfg.id", VB(1), EOPNOTSUPP,
	    "field 'cfg.id' (__u32): true and false are for bool fields, not int");
ENCODE_FAIL(uint_for_bool, "cfg.enabled", VU(1), EOPNOTSUPP,
	    "field 'cfg.enabled' (_Bool): integers are for int, char and enum fields, not bool");
ENCODE_FAIL(enum_packed_too_big, "cfg.tiny", VU(256), ERANGE,
	    "field 'cfg.tiny' (enum tiny): 256 is out of range [-128, 255]");
ENCODE_FAIL(enum_unknown, "cfg.mode", VE("MODE_NOPE"), EINVAL,
	    "field 'cfg.mode' (enum mode): 'MODE_NOPE' is neither a number nor an enumerator (MODE_OFF, MODE_ON, MODE_AUTO)");
ENCODE_FAIL(enum_digits, "cfg.mode", VE("7"), EINVAL,
	    "field 'cfg.mode' (enum mode): '7' is not an enumerator's name");
ENCODE_FAIL(enum_for_int, "cfg.id", VE("MODE_AUTO"), EOPNOTSUPP,
	    "field 'cfg.id' (__u32): enumerator names are for enum fields, not int");
ENCODE_FAIL(struct, "cfg.in", VU(1), EOPNOTSUPP,
	    "field 'cfg.in' (struct inner): integers are for int, char and enum fields, not struct");
ENCODE_FAIL(array, "cfg.name", VU(1), EOPNOTSUPP,
	    "field 'cfg.name' (char[16]): integers are for int, char and enum fields, not array");
ENCODE_FAIL(pointer, "cfg.ptr", VU(1), EOPNOTSUPP,
	    "field 'cfg.ptr' (int *): integers are for int, char and enum fields, not ptr");
ENCODE_FAIL(float, "cfg.f", VI(1), EOPNOTSUPP,
	    "field 'cfg.f' (float): integers are for int, char and enum fields, not float");
ENCODE_FAIL(bad_type, "cfg.id", { .type = 99 }, EINVAL,
	    "field 'cfg.id' (__u32): unknown value type 99");
ENCODE_FAIL(text_malformed, "cfg.id", VT("12z"), EINVAL,
	    "field 'cfg.id' (__u32): '12z' is not a number");

FIXTURE_SETUP(encode)
{
	self->obj = open_obj(_metadata);
	ASSERT_NE(NULL, self->obj);
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(encode)
{
	bpf_object__close(self->obj);
}

TEST_F(encode, value)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	__u8 buf[32];
	size_t i;

	ASSERT_NE(NULL, find_map(self->obj, ".bss", &mv));
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, variant->path, &f));
	memset(buf, 0xcc, sizeof(buf));
	reset_log();
	if (variant->err) {
		EXPECT_EQ(-variant->err,
			  bpfpoke_field_encode(&f, &variant->value, buf,
					       sizeof(buf)));
		EXPECT_EQ(variant->err, errno);
		warned(_metadata, mv.map_name, variant->msg);
		for (i = 0; i < sizeof(buf); i++)
			ASSERT_EQ(0xcc, buf[i]);
		return;
	}
	ASSERT_EQ(0, bpfpoke_field_encode(&f, &variant->value, buf,
					  sizeof(buf)));
	EXPECT_EQ(variant->want, get_le(buf, f.size));
	EXPECT_EQ(0xcc, buf[f.size]);
	EXPECT_EQ(-ENOSPC, bpfpoke_field_encode(&f, &variant->value, buf,
						f.size - 1));
}

/* Typed values: formatting the initial .data */

FIXTURE(format) {
	struct bpf_object *obj;
};

FIXTURE_VARIANT(format) {
	const char *path;
	__u32 flags;
	const char *want;
	int err;
	const char *msg;
	/* bpfpoke_field_value() as value_str() shows it */
	const char *typed;
};

#define FMT(name, p, fl, w)						\
	FIXTURE_VARIANT_ADD(format, name) {				\
		.path = p, .flags = fl, .want = w,			\
	}
#define HEX	BPFPOKE_FORMAT_HEX
#define VAL(name, p, t)							\
	FIXTURE_VARIANT_ADD(format, name) {				\
		.path = p, .typed = t,					\
	}

FMT(u32, "dcfg.id", 0, "42");
FMT(u32_hex, "dcfg.id", HEX, "0x2a");
VAL(u32_value, "dcfg.id", "uint 42");
VAL(s8_value, "dcfg.in.y", "int -3");
VAL(u64_value, "dcfg.u64", "uint 18446744073709551615");
VAL(s64_value, "dcfg.delta", "int -5");
FMT(u16, "dcfg.in.x", 0, "7");
FMT(s8, "dcfg.in.y", 0, "-3");
FMT(s8_hex, "dcfg.in.y", HEX, "0xfd");
FMT(u64, "dcfg.in.z", 0, "16045690984503111693");
FMT(u64_hex, "dcfg.in.z", HEX, "0xdeadbeefcafef00d");
FMT(u64_max, "dcfg.u64", 0, "18446744073709551615");
FMT(s64, "dcfg.delta", 0, "-5");
FMT(s32, "dcfg.s32", 0, "-100000");
FMT(s16, "dcfg.s16", 0, "-2");
FMT(u16_max, "dcfg.u16", 0, "65535");
FMT(anon_union, "dcfg.word", 0, "16909060");
FMT(anon_union_array, "dcfg.bytes[0]", 0, "4");
FMT(anon_struct, "dcfg.b", 0, "6");
FMT(anon_deep, "dcfg.deep", 0, "9");
FMT(union_lo, "dcfg.u.lo", 0, "2");
FMT(union_hi, "dcfg.u.hi", 0, "1");
FMT(array_elem, "dcfg.arr[3]", 0, "4");
FMT(array_2d, "dcfg.grid[2][4]", 0, "99");
FMT(array_of_structs, "dcfg.items[1].z", 0, "77");
FMT(array_2d_of_structs, "dcfg.mat[1][0].x", 0, "3");
FMT(enum, "dcfg.mode", 0, "MODE_AUTO");
VAL(enum_value, "dcfg.mode", "enum MODE_AUTO");
VAL(enum_negative_value, "dcfg.sign", "enum SIGN_NEG");
FMT(enum_hex, "dcfg.mode", HEX, "0x7");
FMT(enum_negative, "dcfg.sign", 0, "SIGN_NEG");
FMT(enum_packed, "dcfg.tiny", 0, "TINY_B");
FMT(boolean, "dcfg.enabled", 0, "true");
VAL(bool_value, "dcfg.enabled", "bool 1");
FMT(string, "dcfg.name", 0, "\"hello\\n\\\"q\\\"\\x01\"");
VAL(string_value, "dcfg.name", "string 10 hello\\x0a\"q\"\\x01");
FMT(string_elem, "dcfg.name[1]", 0, "'e'");
FMT(char, "dcfg.c", 0, "'A'");
VAL(char_value, "dcfg.c", "int 65");
VAL(unsigned_char_value, "dcfg.uc", "uint 200");
FMT(char_hex, "dcfg.c", HEX, "0x41");
FMT(char_nonprintable, "dcfg.name[5]", 0, "10");
FMT(unsigned_char, "dcfg.uc", 0, "200");
FMT(pointer, "dcfg.ptr", 0, "0x1000");
VAL(pointer_value, "dcfg.ptr", "ptr 0x1000");
FMT(float, "dcfg.f", 0, "1.5");
FMT(double, "dcfg.d", 0, "-0.25");
VAL(double_value, "dcfg.d", "float -0.25");
VAL(float_value, "dcfg.f", "float 1.5");
FMT(typedef_chain, "dcfg.chained", 0, "11");
FMT(const_volatile, "dcfg.cvfield", 0, "12");
FMT(volatile, "dcfg.vol", 0, "13");
FMT(after_bitfields, "dcfg.bf.after", 0, "8");
FMT(s8_var, "data_s8", 0, "-1");
FMT(u64_var, "data_u64", HEX, "0x1122334455667788");
FMT(static_var, "hidden", 0, "3");

#define FMT_FAIL(name, p, fl, e, m)					\
	FIXTURE_VARIANT_ADD(format, name) {				\
		.path = p, .flags = fl, .err = e, .msg = m,		\
	}
FMT_FAIL(struct, "dcfg.in", 0, EOPNOTSUPP,
	 "field 'dcfg.in' (struct inner): a struct: name one of its members");
FMT_FAIL(union, "dcfg.u", 0, EOPNOTSUPP,
	 "field 'dcfg.u' (union (anon)): a union: name one of its members");
FMT_FAIL(array, "dcfg.arr", 0, EOPNOTSUPP,
	 "field 'dcfg.arr' (__u32[4]): an array: index it, as in 'name[0]'");
FMT_FAIL(bad_flags, "dcfg.id", 4, EINVAL,
	 "field 'dcfg.id' (__u32): unknown format flags 0x4");
/* The library writes no JSON: the CLI renders bpfpoke_field_value(). */
FMT_FAIL(json_flag_gone, "dcfg.id", 2, EINVAL,
	 "field 'dcfg.id' (__u32): unknown format flags 0x2");

/* A typed value as "TYPE VALUE"; bytes as "LEN TEXT", unprintables \\xNN. */
static void value_str(const struct bpfpoke_value *v, char *buf, size_t size)
{
	const unsigned char *p = v->bytes;
	size_t n;
	__u32 i;

	switch (v->type) {
	case BPFPOKE_VALUE_UINT:
		snprintf(buf, size, "uint %llu", (unsigned long long)v->u);
		break;
	case BPFPOKE_VALUE_INT:
		snprintf(buf, size, "int %lld", (long long)v->s);
		break;
	case BPFPOKE_VALUE_BOOL:
		snprintf(buf, size, "bool %d", v->b);
		break;
	case BPFPOKE_VALUE_ENUM:
		snprintf(buf, size, "enum %s", v->name);
		break;
	case BPFPOKE_VALUE_PTR:
		snprintf(buf, size, "ptr 0x%llx", (unsigned long long)v->u);
		break;
	case BPFPOKE_VALUE_FLOAT:
		snprintf(buf, size, "float %g", v->d);
		break;
	case BPFPOKE_VALUE_WIDE:
	case BPFPOKE_VALUE_STRING:
		n = snprintf(buf, size, "%s %u ",
			     v->type == BPFPOKE_VALUE_WIDE ? "wide" : "string", v->len);
		for (i = 0; i < v->len && n + 5 < size; i++)
			n += snprintf(buf + n, size - n,
				      p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' ?
				      "%c" : "\\x%02x", p[i]);
		break;
	default:
		snprintf(buf, size, "type %d", v->type);
	}
}

FIXTURE_SETUP(format)
{
	self->obj = open_obj(_metadata);
	ASSERT_NE(NULL, self->obj);
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(format)
{
	bpf_object__close(self->obj);
}

TEST_F(format, value)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	const __u8 *data;
	__u8 bytes[64];
	char text[128];
	size_t size;
	int len;

	data = bpf_map__initial_value(find_map(self->obj, ".data", &mv), &size);
	ASSERT_NE(NULL, data);
	ASSERT_EQ(mv.value_size, size);
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, variant->path, &f));
	reset_log();
	if (variant->typed) {
		struct bpfpoke_value v;

		memset(&v, 0x55, sizeof(v));
		ASSERT_EQ(0, bpfpoke_field_value(&f, data + f.offset, f.size, &v));
		value_str(&v, text, sizeof(text));
		EXPECT_STREQ(variant->typed, text);
		EXPECT_EQ(0, nr_warns);
		if (v.type == BPFPOKE_VALUE_STRING)
			EXPECT_EQ((const void *)(data + f.offset), v.bytes);
		EXPECT_EQ(-ENOSPC, bpfpoke_field_value(&f, data + f.offset,
						       f.size - 1, &v));
		EXPECT_EQ(-EINVAL, bpfpoke_field_value(&f, data + f.offset,
						       f.size, NULL));
		EXPECT_EQ(-EINVAL, bpfpoke_field_value(&f, NULL, f.size, &v));
		return;
	}
	memset(text, 0x55, sizeof(text));
	len = bpfpoke_field_format(&f, data + f.offset, f.size, text,
				   sizeof(text), variant->flags);
	if (variant->err) {
		struct bpfpoke_value v;

		EXPECT_EQ(-variant->err, len);
		EXPECT_EQ(variant->err, errno);
		warned(_metadata, mv.map_name, variant->msg);
		/* What cannot be formatted has no typed value either. */
		if (variant->err == EOPNOTSUPP) {
			reset_log();
			EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_value(&f, data + f.offset,
								   f.size, &v));
			warned(_metadata, mv.map_name, variant->msg);
		}
		return;
	}
	EXPECT_EQ((int)strlen(variant->want), len);
	EXPECT_STREQ(variant->want, text);
	EXPECT_EQ(0, nr_warns);

	/* The text of a scalar parses back to the same bytes. */
	if (variant->flags || f.kind == BPFPOKE_FIELD_ARRAY ||
	    f.kind == BPFPOKE_FIELD_PTR || f.kind == BPFPOKE_FIELD_FLOAT)
		return;
	ASSERT_LE(f.size, sizeof(bytes));
	ASSERT_EQ(0, bpfpoke_field_parse(&f, text, bytes, sizeof(bytes)));
	EXPECT_EQ(0, memcmp(data + f.offset, bytes, f.size));
}

TEST_F(field, format_truncated)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	const __u8 *data;
	char text[4];
	size_t size;

	data = bpf_map__initial_value(find_map(self->obj, ".data", &mv), &size);
	ASSERT_NE(NULL, data);
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "dcfg.mode", &f));
	EXPECT_EQ(9, bpfpoke_field_format(&f, data + f.offset, f.size, text,
					  sizeof(text), 0));
	EXPECT_STREQ("MOD", text);
	EXPECT_EQ(9, bpfpoke_field_format(&f, data + f.offset, f.size, NULL, 0, 0));
	EXPECT_EQ(-ENOSPC, bpfpoke_field_format(&f, data + f.offset, f.size - 1,
						text, sizeof(text), 0));
	EXPECT_EQ(-EINVAL, bpfpoke_field_format(&f, data + f.offset, f.size,
						NULL, 4, 0));
	EXPECT_EQ(-EINVAL, bpfpoke_field_format(&f, NULL, f.size, text,
						sizeof(text), 0));
	EXPECT_EQ(-EINVAL, bpfpoke_field_format(NULL, data, f.size, text,
						sizeof(text), 0));

	/* A value no enumerator has is a number. */
	EXPECT_EQ(1, bpfpoke_field_format(&f, "\3\0\0\0", 4, text,
					  sizeof(text), 0));
	EXPECT_STREQ("3", text);
}

/* Layout */

static const struct bpfpoke_layout_entry *
layout_find(const struct bpfpoke_layout *l, const char *path)
{
	size_t i;

	for (i = 0; i < bpfpoke_layout_cnt(l); i++)
		if (!strcmp(bpfpoke_layout_entry(l, i)->field.path, path))
			return bpfpoke_layout_entry(l, i);
	return NULL;
}

/* Every entry that is not a bitfield resolves to itself. */
static void layout_check(struct __test_metadata *_metadata,
			 const struct bpfpoke_map_value *mv,
			 const struct bpfpoke_layout *l)
{
	const struct bpfpoke_layout_entry *e;
	struct bpfpoke_field f;
	size_t i;

	for (i = 0; i < bpfpoke_layout_cnt(l); i++) {
		e = bpfpoke_layout_entry(l, i);
		ASSERT_NE(NULL, e);
		EXPECT_LE(e->field.offset + e->field.size, mv->value_size);
		if (e->bit_size || !e->field.path[0])
			continue;
		field_init(&f);
		ASSERT_EQ(0, bpfpoke_field_resolve(mv, e->field.path, &f))
			TH_LOG("entry %zu: %s", i, e->field.path);
		EXPECT_EQ(0, memcmp(&f, &e->field, sizeof(f)))
			TH_LOG("entry %zu: %s", i, e->field.path);
	}
}

TEST_F(field, layout_datasec)
{
	const struct bpfpoke_layout_entry *e;
	struct bpfpoke_layout *l;
	__u32 cfg;

	cfg = var_offset(_metadata, &self->bss, "cfg");
	l = bpfpoke_layout_new(&self->bss);
	ASSERT_NE(NULL, l);
	EXPECT_FALSE(bpfpoke_layout_truncated(l));
	layout_check(_metadata, &self->bss, l);

	e = layout_find(l, "cfg");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->depth);
	EXPECT_EQ(BPFPOKE_FIELD_STRUCT, e->field.kind);
	e = layout_find(l, "cfg.in.z");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(2, e->depth);
	EXPECT_EQ(cfg + offsetof(struct config, in.z), e->field.offset);
	/* anonymous members are listed as C names them */
	e = layout_find(l, "cfg.deeper");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1, e->depth);
	EXPECT_EQ(cfg + offsetof(struct config, deeper), e->field.offset);
	EXPECT_NE(NULL, layout_find(l, "cfg.u.hi"));
	/* arrays of scalars are one entry; of structs, element 0 too */
	EXPECT_NE(NULL, layout_find(l, "cfg.arr"));
	EXPECT_EQ(NULL, layout_find(l, "cfg.arr[0]"));
	EXPECT_NE(NULL, layout_find(l, "cfg.grid"));
	EXPECT_EQ(NULL, layout_find(l, "cfg.grid[0]"));
	e = layout_find(l, "cfg.items[0]");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(2, e->depth);
	e = layout_find(l, "cfg.items[0].z");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3, e->depth);
	EXPECT_EQ(NULL, layout_find(l, "cfg.mat[0]"));
	e = layout_find(l, "cfg.mat[0][0].y");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(cfg + offsetof(struct config, mat[0][0].y), e->field.offset);
	/* bitfields are listed, with their bits */
	e = layout_find(l, "cfg.bf.flags");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3, e->bit_size);
	EXPECT_EQ(8 * (cfg + offsetof(struct config, bf)) + 5, e->bit_offset);
	EXPECT_EQ(cfg + offsetof(struct config, bf), e->field.offset);
	EXPECT_EQ(1, e->field.size);
	e = layout_find(l, "cfg.bf.rest");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(24, e->bit_size);
	EXPECT_EQ(3, e->field.size);
	EXPECT_NE(NULL, layout_find(l, "crash"));
	EXPECT_NE(NULL, layout_find(l, "prog.calls"));
	EXPECT_EQ(NULL, bpfpoke_layout_entry(l, bpfpoke_layout_cnt(l)));
	EXPECT_EQ(ERANGE, errno);
	bpfpoke_layout_free(l);
	bpfpoke_layout_free(NULL);
}

TEST_F(field, layout_values)
{
	static const char *const maps[] = {
		".data", ".rodata", ".data.custom", "vals", "hvals",
		"counters", "inners",
	};
	const struct bpfpoke_layout_entry *e;
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		ASSERT_NE(NULL, find_map(self->obj, maps[i], &mv));
		mv.map_type = BPF_MAP_TYPE_ARRAY;	/* to resolve hvals */
		mv.key_size = 4;
		l = bpfpoke_layout_new(&mv);
		ASSERT_NE(NULL, l) TH_LOG("%s", maps[i]);
		EXPECT_FALSE(bpfpoke_layout_truncated(l));
		EXPECT_LT(0, bpfpoke_layout_cnt(l));
		layout_check(_metadata, &mv, l);
		bpfpoke_layout_free(l);
	}

	ASSERT_NE(NULL, find_map(self->obj, "vals", &mv));
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	ASSERT_EQ(6, bpfpoke_layout_cnt(l));
	EXPECT_STREQ("hits", bpfpoke_layout_entry(l, 0)->field.path);
	EXPECT_STREQ("in", bpfpoke_layout_entry(l, 1)->field.path);
	EXPECT_STREQ("in.x", bpfpoke_layout_entry(l, 2)->field.path);
	EXPECT_EQ(1, bpfpoke_layout_entry(l, 2)->depth);
	EXPECT_STREQ("comm", bpfpoke_layout_entry(l, 5)->field.path);
	bpfpoke_layout_free(l);

	/* A scalar value is one entry with an empty path. */
	ASSERT_NE(NULL, find_map(self->obj, "counters", &mv));
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	ASSERT_EQ(1, bpfpoke_layout_cnt(l));
	e = bpfpoke_layout_entry(l, 0);
	EXPECT_STREQ("", e->field.path);
	EXPECT_EQ(8, e->field.size);
	EXPECT_STREQ("__u64", e->field.type_name);
	bpfpoke_layout_free(l);

	/* An array of structs: the array, then element [0]'s members. */
	ASSERT_NE(NULL, find_map(self->obj, "inners", &mv));
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	ASSERT_EQ(5, bpfpoke_layout_cnt(l));
	EXPECT_STREQ("", bpfpoke_layout_entry(l, 0)->field.path);
	EXPECT_STREQ("[0]", bpfpoke_layout_entry(l, 1)->field.path);
	EXPECT_STREQ("[0].z", bpfpoke_layout_entry(l, 4)->field.path);
	bpfpoke_layout_free(l);
}

TEST_F(field, layout_errors)
{
	self->bss.btf = NULL;
	errno = 0;
	EXPECT_EQ(NULL, bpfpoke_layout_new(&self->bss));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(NULL, bpfpoke_layout_new(NULL));
	EXPECT_EQ(EINVAL, errno);
}

/* Hostile and unusual BTF, built by hand */

static struct bpfpoke_map_value synth_mv(const struct btf *btf, __u32 type_id,
					 __u32 value_size)
{
	return (struct bpfpoke_map_value) {
		.sz = sizeof(struct bpfpoke_map_value),
		.btf = btf,
		.map_name = "synth",
		.map_type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.value_size = value_size,
		.btf_value_type_id = type_id,
	};
}

TEST(btf_typedef_loop)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct bpfpoke_field f;
	struct btf *btf;
	int s;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	/* [1] -> [2] -> [1] */
	ASSERT_EQ(1, btf__add_typedef(btf, "a", 2));
	ASSERT_EQ(2, btf__add_typedef(btf, "b", 1));
	s = btf__add_struct(btf, "s", 8);
	ASSERT_EQ(0, btf__add_field(btf, "x", 1, 0, 0));
	bpfpoke_set_print(capture);

	mv = synth_mv(btf, 1, 8);
	field_init(&f);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, "x", &f));
	warned(_metadata, "synth",
	       "broken BTF: the value type [1] is void, or its type chain is broken or loops");

	mv = synth_mv(btf, s, 8);
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, "x", &f));
	warned(_metadata, "synth",
	       "field 'x': type [1] (a) has no storage: void, a forward declaration, or a broken or looping type chain");
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, "x.y", &f));
	warned(_metadata, "synth",
	       "field 'x.y': broken BTF: type [1] (a) is void or its type chain is broken");
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, bpfpoke_layout_cnt(l));
	EXPECT_TRUE(bpfpoke_layout_truncated(l));
	bpfpoke_layout_free(l);
	btf__free(btf);
}

TEST(btf_dangling_type_ids)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct btf *btf, *copy;
	struct bpfpoke_field f;
	const void *raw;
	__u32 raw_size;
	int s, sec, var;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	s = btf__add_struct(btf, "s", 8);
	ASSERT_EQ(0, btf__add_field(btf, "x", 9999, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "", 9998, 32, 0));
	var = btf__add_var(btf, "v", BTF_VAR_GLOBAL_ALLOCATED, 9997);
	sec = btf__add_datasec(btf, ".bss", 8);
	ASSERT_EQ(0, btf__add_datasec_var_info(btf, var, 0, 8));
	ASSERT_EQ(0, btf__add_datasec_var_info(btf, 9996, 0, 8));
	/* libbpf 1.1 takes such BTF from raw bytes as it is. */
	raw = btf__raw_data(btf, &raw_size);
	copy = btf__new(raw, raw_size);
	if (copy) {
		btf__free(btf);
		btf = copy;
	}
	bpfpoke_set_print(capture);

	mv = synth_mv(btf, s, 8);
	field_init(&f);
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, "x", &f));
	warned(_metadata, "synth",
	       "field 'x': type [9999] (<bad type id>) has no storage: void, a forward declaration, or a broken or looping type chain");
	reset_log();
	EXPECT_EQ(-ENOENT, bpfpoke_field_resolve(&mv, "y", &f));
	EXPECT_EQ(1, nr_warns);

	mv = synth_mv(btf, sec, 8);
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, "v", &f));
	warned(_metadata, "synth",
	       "field 'v': type [9997] (<bad type id>) has no storage: void, a forward declaration, or a broken or looping type chain");
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, bpfpoke_layout_cnt(l));
	bpfpoke_layout_free(l);
	btf__free(btf);
}

TEST(btf_anonymous_recursion)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct bpfpoke_field f;
	struct btf *btf;
	struct timespec t0, t1;
	int a, i, lvl, u8;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	/*
	 * 1000 anonymous members of 1000 anonymous members of ... 4 deep,
	 * the last 1000 named "m": 10^12 members to search for "x".
	 */
	u8 = btf__add_int(btf, "u8", 1, 0);
	a = btf__add_struct(btf, NULL, 8);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, btf__add_field(btf, "m", u8, 0, 0));
	for (lvl = 0; lvl < 3; lvl++) {
		ASSERT_LT(0, btf__add_struct(btf, NULL, 8));
		for (i = 0; i < 1000; i++)
			ASSERT_EQ(0, btf__add_field(btf, NULL, a, 0, 0));
		a = btf__type_cnt(btf) - 1;
	}
	bpfpoke_set_print(capture);

	mv = synth_mv(btf, a, 8);
	field_init(&f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-E2BIG, bpfpoke_field_resolve(&mv, "x", &f));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	warned(_metadata, "synth",
	       "field 'x': BTF too large to search (more than 1048576 members)");
	note("budget exhausted in %.1f ms\n",
		       (t1.tv_sec - t0.tv_sec) * 1e3 +
		       (t1.tv_nsec - t0.tv_nsec) / 1e6);
	EXPECT_EQ(-E2BIG, bpfpoke_field_exists(&mv, "x"));
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(bpfpoke_layout_truncated(l));
	bpfpoke_layout_free(l);
	btf__free(btf);

	/* anonymous and itself: deep, not wide */
	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	a = btf__add_struct(btf, NULL, 8);
	ASSERT_EQ(0, btf__add_field(btf, NULL, a, 0, 0));
	mv = synth_mv(btf, a, 8);
	reset_log();
	EXPECT_EQ(-ELOOP, bpfpoke_field_resolve(&mv, "x", &f));
	warned(_metadata, "synth",
	       "field 'x': anonymous members nested deeper than 16");
	btf__free(btf);
}

TEST(btf_too_many_segments)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct bpfpoke_field f;
	char path[256];
	struct btf *btf;
	int s, arr, i, n = 0;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	/* struct s { struct s a[1]; }: a path as long as you like */
	s = btf__add_struct(btf, "s", 8);
	ASSERT_EQ(0, btf__add_field(btf, "a", s + 2, 0, 0));
	ASSERT_LT(0, btf__add_int(btf, "int", 4, 0));
	arr = btf__add_array(btf, s + 1, s, 1);
	ASSERT_EQ(s + 2, arr);
	bpfpoke_set_print(capture);
	mv = synth_mv(btf, s, 8);

	/* 64 segments are fine, 66 are not */
	for (i = 0; i < 32; i++)
		n += sprintf(path + n, "%sa[0]", i ? "." : "");
	field_init(&f);
	EXPECT_EQ(0, bpfpoke_field_resolve(&mv, path, &f));
	EXPECT_EQ(0, f.offset);
	sprintf(path + n, ".a[0]");
	EXPECT_EQ(-EINVAL, bpfpoke_field_resolve(&mv, path, &f));
	EXPECT_NE(NULL, strstr(last_warn, "has more than 64 segments"));

	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(bpfpoke_layout_truncated(l));
	EXPECT_LT(0, bpfpoke_layout_cnt(l));
	bpfpoke_layout_free(l);
	btf__free(btf);
}

TEST(btf_too_many_entries)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct btf *btf;
	char name[16];
	int s, i, u8;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	u8 = btf__add_int(btf, "u8", 1, 0);
	s = btf__add_struct(btf, "s", 9000);
	for (i = 0; i < 9000; i++) {
		sprintf(name, "m%d", i);
		ASSERT_EQ(0, btf__add_field(btf, name, u8, 8 * i, 0));
	}
	mv = synth_mv(btf, s, 9000);
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(bpfpoke_layout_truncated(l));
	EXPECT_EQ(8192, bpfpoke_layout_cnt(l));
	EXPECT_STREQ("m8191", bpfpoke_layout_entry(l, 8191)->field.path);
	bpfpoke_layout_free(l);
	btf__free(btf);
}

TEST(btf_not_on_byte_boundary)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	struct btf_type *t;
	struct btf *btf;
	int s, u32;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	u32 = btf__add_int(btf, "u32", 4, 0);
	s = btf__add_struct(btf, "s", 8);
	ASSERT_EQ(0, btf__add_field(btf, "x", u32, 5, 3));
	/* Make it a plain member at bit 5, as no compiler would. */
	t = (struct btf_type *)btf__type_by_id(btf, s);
	btf_members(t)->offset = 5;
	t->info &= ~(1U << 31);
	bpfpoke_set_print(capture);
	mv = synth_mv(btf, s, 8);
	field_init(&f);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_resolve(&mv, "x", &f));
	warned(_metadata, "synth",
	       "field 'x' is not on a byte boundary (bit 5): not supported");
	EXPECT_EQ(1, bpfpoke_field_exists(&mv, "x"));
	btf__free(btf);
}

TEST(btf_enum64_int128_char)
{
	struct bpfpoke_value v;
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	struct btf *btf;
	int e, es, i128, c, s;
	__u8 buf[16];
	char text[64];

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	e = btf__add_enum64(btf, "big", 8, false);
	ASSERT_EQ(0, btf__add_enum64_value(btf, "BIG_TOP", 0x8000000000000000ULL));
	ASSERT_EQ(0, btf__add_enum64_value(btf, "BIG_ONE", 1));
	es = btf__add_enum64(btf, "sbig", 8, true);
	ASSERT_EQ(0, btf__add_enum64_value(btf, "SBIG_MIN", 0x8000000000000000ULL));
	i128 = btf__add_int(btf, "__int128", 16, BTF_INT_SIGNED);
	c = btf__add_int(btf, "mychar", 1, BTF_INT_CHAR);
	s = btf__add_struct(btf, "s", 48);
	ASSERT_EQ(0, btf__add_field(btf, "e", e, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "es", es, 64, 0));
	ASSERT_EQ(0, btf__add_field(btf, "wide", i128, 128, 0));
	ASSERT_EQ(0, btf__add_field(btf, "c", c, 256, 0));
	bpfpoke_set_print(capture);
	mv = synth_mv(btf, s, 48);

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "e", &f));
	EXPECT_EQ(BPFPOKE_FIELD_ENUM, f.kind);
	EXPECT_EQ(8, f.size);
	EXPECT_FALSE(f.is_signed);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "BIG_TOP", buf, sizeof(buf)));
	EXPECT_EQ(0x8000000000000000ULL, get_le(buf, 8));
	EXPECT_EQ(7, bpfpoke_field_format(&f, buf, 8, text, sizeof(text), 0));
	EXPECT_STREQ("BIG_TOP", text);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "18446744073709551615", buf, sizeof(buf)));
	EXPECT_EQ(~0ULL, get_le(buf, 8));
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "-1", buf, sizeof(buf)));
	EXPECT_EQ(~0ULL, get_le(buf, 8));
	bpfpoke_field_format(&f, buf, 8, text, sizeof(text), 0);
	EXPECT_STREQ("18446744073709551615", text);

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "es", &f));
	EXPECT_TRUE(f.is_signed);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "-1", buf, sizeof(buf)));
	bpfpoke_field_format(&f, buf, 8, text, sizeof(text), 0);
	EXPECT_STREQ("-1", text);
	ASSERT_EQ(0, bpfpoke_field_value(&f, buf, 8, &v));
	value_str(&v, text, sizeof(text));
	EXPECT_STREQ("int -1", text);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "SBIG_MIN", buf, sizeof(buf)));
	ASSERT_EQ(0, bpfpoke_field_value(&f, buf, 8, &v));
	value_str(&v, text, sizeof(text));
	EXPECT_STREQ("enum SBIG_MIN", text);
	reset_log();
	EXPECT_EQ(-ERANGE, bpfpoke_field_parse(&f, "9223372036854775808", buf,
					       sizeof(buf)));
	warned(_metadata, "synth",
	       "field 'es' (enum sbig): 9223372036854775808 is out of range [-9223372036854775808, 9223372036854775807]");

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "wide", &f));
	EXPECT_EQ(BPFPOKE_FIELD_INT, f.kind);
	EXPECT_EQ(16, f.size);
	EXPECT_EQ(128, f.bits);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "-2", buf, sizeof(buf)));
	EXPECT_EQ(~0ULL - 1, get_le(buf, 8));
	EXPECT_EQ(~0ULL, get_le(buf + 8, 8));
	bpfpoke_field_format(&f, buf, 16, text, sizeof(text), 0);
	EXPECT_STREQ("0xfffffffffffffffffffffffffffffffe", text);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "0x1234", buf, sizeof(buf)));
	EXPECT_EQ(0, get_le(buf + 8, 8));
	bpfpoke_field_format(&f, buf, 16, text, sizeof(text), 0);
	EXPECT_STREQ("0x1234", text);
	ASSERT_EQ(0, bpfpoke_field_value(&f, buf, 16, &v));
	EXPECT_EQ(BPFPOKE_VALUE_WIDE, v.type);
	EXPECT_EQ(16, v.len);
	EXPECT_EQ((const void *)buf, v.bytes);

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "c", &f));
	EXPECT_EQ(BPFPOKE_FIELD_CHAR, f.kind);
	EXPECT_FALSE(f.is_signed);
	ASSERT_EQ(0, bpfpoke_field_parse(&f, "255", buf, sizeof(buf)));
	EXPECT_EQ(255, buf[0]);
	btf__free(btf);
}

/* The u32 after an int's struct btf_type (as the kernel's btf.h has it). */
#define INT_ENC(encoding, offset, bits) \
	(((encoding) << 24) | ((offset) << 16) | (bits))

/* Types no compiler emits, or that a guest may have scribbled on. */
TEST(btf_broken_types)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	struct btf_type *t;
	struct btf *btf;
	int u32, fn, fwd, arr, arr_fwd, i8, e, s, var, sec;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	u32 = btf__add_int(btf, "u32", 4, 0);
	fn = btf__add_func_proto(btf, u32);
	fwd = btf__add_fwd(btf, "opaque", BTF_FWD_STRUCT);
	arr = btf__add_array(btf, u32, 9999, 2);
	arr_fwd = btf__add_array(btf, u32, fwd, 2);
	i8 = btf__add_int(btf, "i8", 1, BTF_INT_SIGNED);
	e = btf__add_enum(btf, "e", 4);
	ASSERT_EQ(0, btf__add_enum_value(btf, "E", 1));
	s = btf__add_struct(btf, "s", 64);
	ASSERT_EQ(0, btf__add_field(btf, "fn", fn, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "fwd", fwd, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "arr", arr, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "arr_fwd", arr_fwd, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "i8", i8, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "e", e, 0, 0));
	var = btf__add_var(btf, "v", BTF_VAR_GLOBAL_ALLOCATED, i8);
	sec = btf__add_datasec(btf, ".data", 1);
	ASSERT_EQ(0, btf__add_datasec_var_info(btf, var, 0, 1));
	bpfpoke_set_print(capture);
	mv = synth_mv(btf, s, 64);

#define BROKEN(path, err, msg) do {					\
		reset_log();						\
		field_init(&f);						\
		EXPECT_EQ(-(err), bpfpoke_field_resolve(&mv, path, &f));	\
		warned(_metadata, "synth", msg);			\
	} while (0)

	BROKEN("fn", EINVAL, "field 'fn': type [2] (fn) is a function prototype, which has no storage");
	BROKEN("fwd", EINVAL, "field 'fwd': type [3] (struct opaque) has no storage: void, a forward declaration, or a broken or looping type chain");
	BROKEN("arr", EINVAL, "field 'arr': type [4] (<bad type id>[2]) has no size: broken BTF");
	BROKEN("arr[0]", EINVAL, "field 'arr[0]': broken BTF: the elements of <bad type id>[2] have no size");
	BROKEN("arr_fwd[1]", EINVAL, "field 'arr_fwd[1]': broken BTF: the elements of struct opaque[2] have no size");

	/*
	 * Old BTF's bitfields: ints of fewer bits than bytes, or starting
	 * at a bit offset.  As members, they are bitfields; as variables,
	 * broken.
	 */
	t = (struct btf_type *)btf__type_by_id(btf, i8);
	*(__u32 *)(t + 1) = INT_ENC(BTF_INT_SIGNED, 2, 6);
	BROKEN("i8", EOPNOTSUPP, "field 'i8' is a bitfield (6 bits at bit 2): not supported");
	mv = synth_mv(btf, sec, 1);
	BROKEN("v", EOPNOTSUPP, "field 'v': int type [6] (i8) starts at bit 2: not supported");
	*(__u32 *)(t + 1) = INT_ENC(BTF_INT_SIGNED, 0, 9);
	BROKEN("v", EINVAL, "field 'v': int type [6] (i8) has 9 bits in 1 bytes: broken BTF");
	mv = synth_mv(btf, s, 64);
	BROKEN("i8", EOPNOTSUPP, "field 'i8' is a bitfield (9 bits at bit 0): not supported");
	/* an enum of 3 bytes */
	t = (struct btf_type *)btf__type_by_id(btf, e);
	t->size = 3;
	BROKEN("e", EINVAL, "field 'e': enum type [7] (enum e) is 3 bytes: broken BTF");
#undef BROKEN
	btf__free(btf);
}

TEST(btf_layout_bounds)
{
	const struct bpfpoke_layout_entry *e;
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	char name[201];
	struct btf *btf;
	int u32, in, s, flex, arr;

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	u32 = btf__add_int(btf, "u32", 4, 0);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	in = btf__add_struct(btf, "in", 8);
	ASSERT_EQ(0, btf__add_field(btf, "a", u32, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, name, u32, 32, 0));
	s = btf__add_struct(btf, "s", 16);
	ASSERT_EQ(0, btf__add_field(btf, name + 100, in, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "late", u32, 96, 0));
	bpfpoke_set_print(capture);

	/* a path past 255 bytes and a member past the value are left out */
	mv = synth_mv(btf, s, 12);
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(bpfpoke_layout_truncated(l));
	ASSERT_EQ(2, bpfpoke_layout_cnt(l));
	e = bpfpoke_layout_entry(l, 1);
	EXPECT_EQ(100 + 2, strlen(e->field.path));
	EXPECT_EQ('a', e->field.path[101]);
	EXPECT_EQ(1, e->depth);
	bpfpoke_layout_free(l);

	mv = synth_mv(btf, s, 16);
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	ASSERT_EQ(3, bpfpoke_layout_cnt(l));
	EXPECT_STREQ("late", bpfpoke_layout_entry(l, 2)->field.path);
	bpfpoke_layout_free(l);

	/* a flexible array of structs has no element [0] to list */
	arr = btf__add_array(btf, u32, in, 0);
	flex = btf__add_struct(btf, "flex", 4);
	ASSERT_EQ(0, btf__add_field(btf, "n", u32, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "items", arr, 32, 0));
	mv = synth_mv(btf, flex, 4);
	l = bpfpoke_layout_new(&mv);
	ASSERT_NE(NULL, l);
	EXPECT_FALSE(bpfpoke_layout_truncated(l));
	ASSERT_EQ(2, bpfpoke_layout_cnt(l));
	EXPECT_STREQ("items", bpfpoke_layout_entry(l, 1)->field.path);
	EXPECT_EQ(0, bpfpoke_layout_entry(l, 1)->field.size);
	bpfpoke_layout_free(l);
	btf__free(btf);
}

TEST(value_misuse)
{
	struct bpfpoke_value v;
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	__u8 buf[16] = {}, nan[8];
	struct btf *btf;
	char text[32];
	int u32, ld, dbl, e, s;
	double d = __builtin_nan("");

	btf = btf__new_empty();
	ASSERT_NE(NULL, btf);
	u32 = btf__add_int(btf, "u32", 4, 0);
	ld = btf__add_float(btf, "long double", 16);
	dbl = btf__add_float(btf, "double", 8);
	e = btf__add_enum(btf, "e", 4);
	ASSERT_EQ(0, btf__add_enum_value(btf, "E", 1));
	s = btf__add_struct(btf, "s", 48);
	ASSERT_EQ(0, btf__add_field(btf, "x", u32, 0, 0));
	ASSERT_EQ(0, btf__add_field(btf, "ld", ld, 128, 0));
	ASSERT_EQ(0, btf__add_field(btf, "d", dbl, 256, 0));
	ASSERT_EQ(0, btf__add_field(btf, "e", e, 320, 0));
	bpfpoke_set_print(capture);
	mv = synth_mv(btf, s, 48);

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "ld", &f));
	reset_log();
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_format(&f, buf, 16, text, sizeof(text), 0));
	warned(_metadata, "synth",
	       "field 'ld' (long double): 16-byte floating point is not supported");

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "d", &f));
	memcpy(nan, &d, sizeof(nan));
	ASSERT_EQ(0, bpfpoke_field_value(&f, nan, 8, &v));
	EXPECT_EQ(BPFPOKE_VALUE_FLOAT, v.type);
	EXPECT_TRUE(isnan(v.d));
	EXPECT_EQ(3, bpfpoke_field_format(&f, nan, 8, text, sizeof(text), 0));
	EXPECT_STREQ("nan", text);

	/* a field whose type changed under it */
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "e", &f));
	f.type_id = u32;
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_parse(&f, "E", buf, sizeof(buf)));
	warned(_metadata, "synth",
	       "field 'e' (enum e): type [1] is not an enum: stale field?");
	EXPECT_EQ(-EINVAL, bpfpoke_field_format(&f, buf, 4, text, sizeof(text), 0));

	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "x", &f));
	f.kind = 99;
	reset_log();
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_parse(&f, "1", buf, sizeof(buf)));
	warned(_metadata, "synth", "field 'x' (u32): unknown kind");
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_format(&f, buf, 4, text, sizeof(text), 0));
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_field_encode(&f, &BPFPOKE_UINT(1), buf, sizeof(buf)));
	f.kind = BPFPOKE_FIELD_INT;
	f.bits = 33;
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_format(&f, buf, 4, text, sizeof(text), 0));
	warned(_metadata, NULL,
	       "field format: field has 33 bits in 4 bytes: not from bpfpoke_field_resolve()?");
	f.bits = 32;
	f.sz = offsetof(struct bpfpoke_field, path);
	reset_log();
	EXPECT_EQ(-EINVAL, bpfpoke_field_parse(&f, "1", buf, sizeof(buf)));
	warned(_metadata, NULL,
	       "field parse: struct bpfpoke_field: sz 200 is too small");
	EXPECT_EQ(-EINVAL, bpfpoke_field_format(&f, buf, 4, text, sizeof(text), 0));
	EXPECT_EQ(-EINVAL, bpfpoke_field_encode(&f, &BPFPOKE_UINT(1), buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, bpfpoke_field_encode(NULL, &BPFPOKE_UINT(1), buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, bpfpoke_field_encode(&f, NULL, buf, sizeof(buf)));
	btf__free(btf);
}

TEST(btf_split)
{
	struct bpfpoke_map_value mv;
	struct bpf_object *obj;
	struct bpfpoke_field f;
	const struct btf *base;
	struct btf *split;
	int cfg, var, sec;

	obj = open_obj(_metadata);
	ASSERT_NE(NULL, obj);
	base = bpf_object__btf(obj);
	cfg = btf__find_by_name_kind(base, "config", BTF_KIND_STRUCT);
	ASSERT_LT(0, cfg);
	/* A DATASEC in split BTF over types of its base, as modules have. */
	split = btf__new_empty_split((struct btf *)base);
	ASSERT_NE(NULL, split);
	var = btf__add_var(split, "v", BTF_VAR_GLOBAL_ALLOCATED, cfg);
	ASSERT_LT(0, var);
	sec = btf__add_datasec(split, ".data.split", 16 + sizeof(struct config));
	ASSERT_EQ(0, btf__add_datasec_var_info(split, var, 16,
					       sizeof(struct config)));
	mv = synth_mv(split, sec, 16 + sizeof(struct config));
	field_init(&f);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "v.mat[1][1].z", &f));
	EXPECT_EQ(16 + offsetof(struct config, mat[1][1].z), f.offset);
	EXPECT_STREQ("__u64", f.type_name);
	btf__free(split);
	bpf_object__close(obj);
}

TEST(kind_str)
{
	EXPECT_STREQ("int", bpfpoke_field_kind_str(BPFPOKE_FIELD_INT));
	EXPECT_STREQ("array", bpfpoke_field_kind_str(BPFPOKE_FIELD_ARRAY));
	EXPECT_EQ(NULL, bpfpoke_field_kind_str(0));
	EXPECT_EQ(NULL, bpfpoke_field_kind_str(BPFPOKE_FIELD_ARRAY + 1));
}

/* Timing, as TAP comments: a benchmark, not an assertion. */

static double ns_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e9 + (t1.tv_nsec - t0->tv_nsec);
}

TEST(timing)
{
	static const char *const paths[] = {
		"crash", "cfg.in.z", "cfg.items[1].z", "cfg.deeper",
		"cfg.mat[1][0].y", "prog.calls",
	};
	struct bpfpoke_map_value mv;
	struct bpfpoke_layout *l;
	struct bpf_object *obj;
	struct bpfpoke_field f;
	struct timespec t0;
	const int n = 20000;
	size_t i, cnt = 0;
	__u8 buf[8];
	int k, err;
	double ns;

	obj = open_obj(_metadata);
	ASSERT_NE(NULL, obj);
	ASSERT_NE(NULL, find_map(obj, ".bss", &mv));
	field_init(&f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "cfg.items[1].z", &f));
	note("first resolve: %.0f ns\n", ns_since(&t0));
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (k = 0, err = 0; k < n && !err; k++)
			err = bpfpoke_field_resolve(&mv, paths[i], &f);
		ASSERT_EQ(0, err) TH_LOG("%s", paths[i]);
		note("resolve %-16s %6.0f ns\n", paths[i],
			       ns_since(&t0) / n);
	}
	ASSERT_EQ(0, bpfpoke_field_resolve(&mv, "cfg.delta", &f));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0, err = 0; k < n && !err; k++)
		err = bpfpoke_field_parse(&f, "-5", buf, sizeof(buf));
	ASSERT_EQ(0, err);
	note("parse %-18s %6.0f ns\n", "\"-5\"", ns_since(&t0) / n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < 100; k++) {
		l = bpfpoke_layout_new(&mv);
		ASSERT_NE(NULL, l);
		cnt = bpfpoke_layout_cnt(l);
		bpfpoke_layout_free(l);
	}
	ns = ns_since(&t0) / 100;
	note("layout of .bss (%zu entries) %.0f ns\n", cnt, ns);
	bpf_object__close(obj);
}

TEST_HARNESS_MAIN
