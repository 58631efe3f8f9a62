// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: BTF field resolution, typed values and layouts over
 * arbitrary BTF, as a guest could hand it to the agent.
 *
 * Input: struct fuzz_hdr, then hdr.paths_len bytes of field paths
 * separated by '\n', then raw BTF (what btf__new() takes).  Besides
 * memory errors (ASan/UBSan), it traps when an answer breaks the API's
 * promises: a field outside the value, exists() disagreeing with
 * resolve(), what parses not formatting, an entry of a complete layout
 * that does not resolve to itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpfpoke.h"

struct fuzz_hdr {
	__u32 value_type_id;	/* modulo the number of types, unless bit 31 */
	__u32 value_size;
	__u16 paths_len;
	__u16 flags;		/* bit 0: no layout; bit 1: split on itself */
} __attribute__((packed));

/* Field buffers: no bigger, so a 4 GiB value_size is not an allocation. */
#define FIELD_BUF_MAX	4096
#define PATHS_MAX	16

static const char *const values[] = {
	"0", "1", "-1", "0x7f", "255", "-129", "true", "false", "A", "'x'",
	"hello", "18446744073709551615", "-9223372036854775808", "E", "",
};

#define check(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const __u8 *data, size_t size);

/* BPFPOKE_FUZZ_VERBOSE=1 shows the library's messages, to debug a crash. */
__attribute__((format(printf, 2, 0)))
static int print(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *verbose = getenv("BPFPOKE_FUZZ_VERBOSE");

	(void)argc;
	(void)argv;
	libbpf_set_print(quiet_libbpf);
	if (verbose && *verbose == '1')
		bpfpoke_set_print(print);
	return 0;
}

static void values_of(const struct bpfpoke_field *f, __u8 *buf, char *text)
{
	struct bpfpoke_value v;
	size_t i;
	int fmt;

	if (f->size > FIELD_BUF_MAX)
		return;
	/* What parses, formats. */
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (!bpfpoke_field_parse(f, values[i], buf, FIELD_BUF_MAX))
			check(bpfpoke_field_format(f, buf, f->size, text, 64,
						   0) >= 0);
	bpfpoke_field_encode(f, &BPFPOKE_UINT(0xffffffff), buf, FIELD_BUF_MAX);
	bpfpoke_field_encode(f, &BPFPOKE_INT(-1), buf, FIELD_BUF_MAX);
	bpfpoke_field_encode(f, &BPFPOKE_BOOL(1), buf, FIELD_BUF_MAX);
	bpfpoke_field_encode(f, &BPFPOKE_ENUM("A"), buf, FIELD_BUF_MAX);
	memset(buf, 0xa5, f->size);
	bpfpoke_field_format(f, buf, f->size, text, 64, 0);
	/* A typed value exactly where there is a text. */
	fmt = bpfpoke_field_format(f, buf, f->size, NULL, 0, 0);
	check((bpfpoke_field_value(f, buf, f->size, &v) < 0) == (fmt < 0));
	bpfpoke_field_format(f, buf, f->size, NULL, 0, BPFPOKE_FORMAT_HEX);
}

static void one_path(const struct bpfpoke_map_value *mv, const char *path,
		     __u8 *buf, char *text)
{
	struct bpfpoke_field f = { .sz = sizeof(f) };
	int err, exists;

	exists = bpfpoke_field_exists(mv, path);
	err = bpfpoke_field_resolve(mv, path, &f);
	check(exists == 1 || exists == 0 || exists == -EINVAL ||
	      exists == -ELOOP || exists == -E2BIG);
	if (err)
		return;
	check(exists == 1);
	check((__u64)f.offset + f.size <= mv->value_size);
	check(!strcmp(f.path, path));
	values_of(&f, buf, text);
}

/*
 * A DATASEC with a variable named "a.b" may shadow member b of variable
 * a: the longest variable name wins.  Layouts of those are not compared.
 */
static bool dotted_vars(const struct bpfpoke_map_value *mv)
{
	const struct btf_type *t, *vt;
	const struct btf_var_secinfo *vsi;
	const char *name;
	int id, i;

	id = btf__resolve_type(mv->btf, mv->btf_value_type_id);
	t = id < 0 ? NULL : btf__type_by_id(mv->btf, id);
	if (!t || !btf_is_datasec(t))
		return false;
	for (i = 0, vsi = btf_var_secinfos(t); i < btf_vlen(t); i++, vsi++) {
		vt = btf__type_by_id(mv->btf, vsi->type);
		name = vt ? btf__name_by_offset(mv->btf, vt->name_off) : NULL;
		if (name && strchr(name, '.'))
			return true;
	}
	return false;
}

/* Whether @path was seen before: a set of path hashes, FNV-1a. */
static bool seen(__u32 *set, size_t slots, const char *path)
{
	__u32 h = 0x811c9dc5;
	size_t i;

	for (; *path; path++)
		h = (h ^ (__u8)*path) * 0x01000193;
	h |= 1;		/* 0 is a free slot */
	for (i = h % slots; set[i]; i = (i + 1) % slots)
		if (set[i] == h)
			return true;
	set[i] = h;
	return false;
}

static void layout(const struct bpfpoke_map_value *mv, __u8 *buf, char *text)
{
	static __u32 set[2 * 8192 + 1];
	const struct bpfpoke_layout_entry *e;
	struct bpfpoke_field f = { .sz = sizeof(f) };
	struct bpfpoke_layout *l;
	bool compare;
	size_t i, n;

	l = bpfpoke_layout_new(mv);
	if (!l)
		return;
	n = bpfpoke_layout_cnt(l);
	check(n <= 8192);
	/*
	 * What was left out of a truncated layout may shadow what is in,
	 * and so may a member named like another (broken BTF; a hash
	 * collision only makes the check weaker).
	 */
	compare = !dotted_vars(mv) && !bpfpoke_layout_truncated(l);
	memset(set, 0, sizeof(set));
	for (i = 0; i < n; i++) {
		e = bpfpoke_layout_entry(l, i);
		check(e);
		check((__u64)e->field.offset + e->field.size <= mv->value_size);
		if (seen(set, sizeof(set) / sizeof(set[0]), e->field.path))
			compare = false;
	}
	for (i = 0; i < n; i++) {
		e = bpfpoke_layout_entry(l, i);
		if (e->bit_size || !e->field.path[0])
			continue;
		if (bpfpoke_field_resolve(mv, e->field.path, &f)) {
			check(!compare);
			continue;
		}
		check(!compare || (f.offset == e->field.offset &&
				   f.size == e->field.size &&
				   f.kind == e->field.kind));
		if (i % 7 == 0)
			values_of(&f, buf, text);
	}
	bpfpoke_layout_free(l);
}

/*
 * The same bytes as split BTF on @base, as module BTF is split on
 * vmlinux: its ids start after the base's and may refer to them.
 * libbpf 1.1 exports no btf__new_split(): through a memfd.
 */
static struct btf *split_on(struct btf *base, const __u8 *data, size_t size)
{
	struct btf *split = NULL;
	char path[64];
	int fd;

	fd = memfd_create("fuzz_field", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		split = btf__parse_raw_split(path, base);
	}
	close(fd);
	return split;
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	static __u8 buf[FIELD_BUF_MAX];
	char paths[65536 + 1], text[64];
	struct bpfpoke_map_value mv;
	struct btf *btf, *split = NULL;
	struct fuzz_hdr hdr;
	char *p, *nl;
	__u32 cnt;
	int n;

	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	data += sizeof(hdr);
	size -= sizeof(hdr);
	if (hdr.paths_len > size)
		return 0;
	memcpy(paths, data, hdr.paths_len);
	paths[hdr.paths_len] = '\0';
	data += hdr.paths_len;
	size -= hdr.paths_len;

	btf = btf__new(data, size);
	if (!btf)
		return 0;
	if (hdr.flags & 2)
		split = split_on(btf, data, size);
	cnt = btf__type_cnt(split ?: btf);
	mv = (struct bpfpoke_map_value) {
		.sz = sizeof(mv),
		.btf = split ?: btf,
		.map_name = "fuzz",
		.map_type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.value_size = hdr.value_size,
		.btf_value_type_id = hdr.value_type_id & (1U << 31) ?
				     hdr.value_type_id & ~(1U << 31) :
				     hdr.value_type_id % cnt,
	};

	for (p = paths, n = 0; *p && n < PATHS_MAX; p = nl + 1, n++) {
		nl = strchr(p, '\n');
		if (!nl) {
			one_path(&mv, p, buf, text);
			break;
		}
		*nl = '\0';
		one_path(&mv, p, buf, text);
	}
	if (!(hdr.flags & 1))
		layout(&mv, buf, text);
	btf__free(split);
	btf__free(btf);
	return 0;
}
