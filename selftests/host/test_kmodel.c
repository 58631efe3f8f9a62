// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel model on synthetic guests (synth_image.h): KASLR and
 * paging found from memory alone, translation, the map walk, program BTF,
 * array values, the mem-file layout, the kernel description parsers; and
 * hostile guests (xarray cycles, bad pointers, huge or broken BTF,
 * page-table loops), which must fail cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bpfpoke.h"
#include "kselftest_harness.h"
#include "synth_image.h"

static char warnings[8192];

__attribute__((format(printf, 2, 0)))
static int capture(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	size_t len = strlen(warnings);

	if (level != BPFPOKE_WARN || len >= sizeof(warnings) - 1)
		return 0;
	return vsnprintf(warnings + len, sizeof(warnings) - len, fmt, ap);
}

FIXTURE(guest) {
	struct synth sy;
	char dir[64];
	char cache[80];
	struct bpfpoke_session *s;
};

FIXTURE_VARIANT(guest) {
	int levels;
};

FIXTURE_VARIANT_ADD(guest, four_level) {
	.levels = 4,
};

FIXTURE_VARIANT_ADD(guest, five_level) {
	.levels = 5,
};

FIXTURE_SETUP(guest)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/bpfpoke-kmodel.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, synth_build(&self->sy, variant->levels));
	/* Each test its own description cache (zero-config). */
	snprintf(self->cache, sizeof(self->cache), "%s/cache", self->dir);
	setenv("BPFPOKE_CACHE_DIR", self->cache, 1);
	self->s = NULL;
	warnings[0] = 0;
	bpfpoke_set_print(capture);
}

#define SY_BUILD_ID	"0123456789abcdef0123456789abcdef01234567"

/* The fixture's description cache, whatever tests wrote there. */
static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_cache(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cache", dir);
	nftw(path, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

FIXTURE_TEARDOWN(guest)
{
	char path[128];

	bpfpoke_session_close(self->s);
	synth_free(&self->sy);
	snprintf(path, sizeof(path), "%s/vmlinux.btf", self->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/kallsyms", self->dir);
	unlink(path);
	/* What single tests write there. */
	snprintf(path, sizeof(path), "%s/syms", self->dir);
	unlink(path);
	remove_cache(self->dir);
	rmdir(self->dir);
}

/* Finish the image and open a loaded session on it. */
#define OPEN(flags) do {						\
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));		\
	self->s = synth_session(&self->sy, flags);			\
	ASSERT_NE(NULL, self->s) TH_LOG("session: %s; %s",		\
					strerror(errno), warnings);	\
} while (0)

static const struct bpfpoke_map_info *find(const struct bpfpoke_map_info *m,
					   size_t nr, __u32 id)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (m[i].id == id)
			return &m[i];
	return NULL;
}

TEST_F(guest, kernel_found)
{
	struct bpfpoke_kernel_info ki;
	const struct bpfpoke_mem_region *r;
	unsigned int nr;

	OPEN(0);
	ASSERT_EQ(0, bpfpoke_session_kernel_info(self->s, &ki));
	EXPECT_EQ(SY_TEXT_KVA, ki.text_kva);
	EXPECT_EQ(SY_TEXT_GPA, ki.text_gpa);
	EXPECT_EQ(SY_TEXT_KVA - 0xffffffff81000000ULL, ki.kaslr_offset);
	EXPECT_EQ(variant->levels, (int)ki.levels);
	EXPECT_EQ(self->sy.page_offset_base, ki.page_offset_base);
	EXPECT_EQ(self->sy.vmalloc_base, ki.vmalloc_base);
	EXPECT_EQ(self->sy.vmemmap_base, ki.vmemmap_base);
	EXPECT_EQ(self->sy.phys_base, ki.phys_base);
	EXPECT_EQ(self->sy.top, ki.top_pgt_gpa);
	EXPECT_STREQ("Linux version 6.1.0-synthetic (bpfpoke@test) #1 SMP",
		     ki.banner);
	ASSERT_EQ(0, bpfpoke_session_regions(self->s, &r, &nr));
	ASSERT_EQ(1, nr);
	EXPECT_EQ(0, r[0].gpa);
	EXPECT_EQ(SY_RAM_SIZE, r[0].size);
	/* Loading twice is refused, the model stays. */
	EXPECT_EQ(-EALREADY, bpfpoke_session_load(self->s));
	EXPECT_EQ(-EALREADY, bpfpoke_session_attach(self->s));
}

TEST_F(guest, translate)
{
	__u64 gpa, kva, v;

	OPEN(0);
	/* Image and direct map: the linear shortcuts. */
	ASSERT_EQ(0, bpfpoke_translate(self->s, SY_TEXT_KVA + 0x1234, &gpa));
	EXPECT_EQ(SY_TEXT_GPA + 0x1234, gpa);
	ASSERT_EQ(0, bpfpoke_translate(self->s,
				       self->sy.page_offset_base + 0x3000008, &gpa));
	EXPECT_EQ(0x3000008, gpa);
	/* vmalloc: 4 KiB pages, walked; then from the cache. */
	kva = self->sy.map_kva[0];
	ASSERT_EQ(0, bpfpoke_translate(self->s, kva, &gpa));
	EXPECT_EQ(self->sy.map_gpa[0], gpa);
	ASSERT_EQ(0, bpfpoke_translate(self->s, kva, &gpa));
	EXPECT_EQ(self->sy.map_gpa[0], gpa);
	/* A 1 GiB page. */
	ASSERT_EQ(0, bpfpoke_translate(self->s, self->sy.vmemmap_base + 0x2345678,
				       &gpa));
	EXPECT_EQ(0x2345678, gpa);
	ASSERT_EQ(0, bpfpoke_read_kva(self->s, self->sy.vmemmap_base + SY_TEXT_GPA +
				      SY_OFF_BANNER, &v, sizeof(v)));
	EXPECT_EQ(0, memcmp(&v, "Linux ve", 8));
	/* Beyond RAM through the 1 GiB page: mapped, but no memory. */
	EXPECT_EQ(-EFAULT, bpfpoke_read_kva(self->s, self->sy.vmemmap_base +
					    SY_RAM_SIZE, &v, sizeof(v)));
	/* Not mapped, not canonical, user half. */
	EXPECT_EQ(-EFAULT, bpfpoke_translate(self->s, self->sy.vmalloc_base +
					     (1ULL << 33), &gpa));
	EXPECT_EQ(-EFAULT, bpfpoke_translate(self->s, 0x8000000000000000ULL, &gpa));
	EXPECT_EQ(-EFAULT, bpfpoke_translate(self->s, 0x00007fff00000000ULL, &gpa));
	EXPECT_EQ(EFAULT, errno);
	/* Physical reads: in RAM, across its end, outside. */
	EXPECT_EQ(0, bpfpoke_read_phys(self->s, SY_RAM_SIZE - 8, &v, 8));
	EXPECT_EQ(-EFAULT, bpfpoke_read_phys(self->s, SY_RAM_SIZE - 4, &v, 8));
	EXPECT_EQ(-EFAULT, bpfpoke_read_phys(self->s, 1ULL << 40, &v, 8));
	EXPECT_EQ(-EINVAL, bpfpoke_read_phys(self->s, 0, &v, 0));
	EXPECT_EQ(-EROFS, bpfpoke_write_phys(self->s, 0, &v, 8));
}

TEST_F(guest, maps)
{
	const struct bpfpoke_map_info *maps, *m;
	size_t nr;

	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings);
	ASSERT_EQ(4, nr) TH_LOG("%s", warnings);
	EXPECT_EQ(1, maps[0].id);
	EXPECT_EQ(2, maps[1].id);
	EXPECT_EQ(3, maps[2].id);
	EXPECT_EQ(70, maps[3].id);

	m = find(maps, nr, 1);
	EXPECT_STREQ("demo.bss", m->name);
	EXPECT_EQ(SY_TYPE_ARRAY, m->type);
	EXPECT_STREQ("array", bpfpoke_map_type_str(self->s, m->type));
	EXPECT_EQ(4, m->key_size);
	EXPECT_EQ(16, m->value_size);
	EXPECT_EQ(1, m->max_entries);
	EXPECT_EQ(0x400, m->map_flags);
	EXPECT_FALSE(m->frozen);
	EXPECT_EQ(16, m->btf_id);
	EXPECT_EQ(4, m->btf_value_type_id);
	EXPECT_EQ(16, m->elem_size);
	EXPECT_EQ(self->sy.map_kva[0], m->kva);
	EXPECT_EQ(self->sy.map_kva[0] + SY_ARRAY_VALUE, m->value_kva);

	m = find(maps, nr, 2);
	EXPECT_STREQ("demo_hash", m->name);
	EXPECT_STREQ("hash", bpfpoke_map_type_str(self->s, m->type));
	EXPECT_EQ(0, m->value_kva);
	EXPECT_EQ(0, m->btf_kva);

	m = find(maps, nr, 3);
	EXPECT_STREQ("demo.rodata", m->name);
	EXPECT_TRUE(m->frozen);
	EXPECT_EQ(8, m->elem_size);

	m = find(maps, nr, 70);
	EXPECT_STREQ("future", m->name);
	/* Named from the guest's BTF, as libbpf does not know type 99. */
	EXPECT_STREQ("future_thing", bpfpoke_map_type_str(self->s, m->type));
	EXPECT_EQ(NULL, bpfpoke_map_type_str(NULL, m->type));
	EXPECT_EQ(NULL, bpfpoke_map_type_str(self->s, 12345));

	/* Retry and zero entries are no maps and no warnings. */
	EXPECT_STREQ("", warnings);
	ASSERT_EQ(0, bpfpoke_maps_refresh(self->s));
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(4, nr);
}

TEST_F(guest, values)
{
	const struct bpfpoke_map_info *maps, *bss, *ro, *hash;
	unsigned char v[16], w[4] = { 0xaa, 0xbb, 0xcc, 0xdd };
	__u32 x;
	size_t nr;
	int i;

	OPEN(BPFPOKE_SESSION_WRITABLE);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	bss = find(maps, nr, 1);
	ro = find(maps, nr, 3);
	hash = find(maps, nr, 2);
	ASSERT_NE(NULL, bss);

	/* The value crosses a page boundary into a non-adjacent page. */
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, v, 16));
	for (i = 0; i < 16; i++)
		EXPECT_EQ((unsigned char)(i * 37 + 5), v[i]);
	ASSERT_EQ(0, bpfpoke_map_value_write(self->s, bss, 0, 4, w, 4));
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, v, 16));
	EXPECT_EQ(0, memcmp(v + 4, w, 4));
	EXPECT_EQ((unsigned char)(3 * 37 + 5), v[3]);
	EXPECT_EQ((unsigned char)(8 * 37 + 5), v[8]);

	/* Index 1 of an array with elem_size 8. */
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, ro, 1, 0, &x, 4));
	EXPECT_EQ(0x22222222, x);
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, ro, 0, 0, &x, 4));
	EXPECT_EQ(0x11111111, x);

	/* Bounds and kinds. */
	EXPECT_EQ(-ERANGE, bpfpoke_map_value_read(self->s, ro, 2, 0, &x, 4));
	EXPECT_EQ(-ERANGE, bpfpoke_map_value_read(self->s, ro, 0, 1, &x, 4));
	EXPECT_EQ(-ERANGE, bpfpoke_map_value_read(self->s, bss, 0, 0xffffffff, v, 2));
	EXPECT_EQ(-EINVAL, bpfpoke_map_value_read(self->s, bss, 0, 0, v, 0));
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_value_read(self->s, hash, 0, 0, v, 4));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(guest, write_batch)
{
	struct bpfpoke_map_write ok[] = {
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "0x01020304"),
		BPFPOKE_MAP_WRITE_TEXT(".bss", "stall", "7"),
	};
	struct bpfpoke_map_write bad_field[] = {
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "9"),
		BPFPOKE_MAP_WRITE_TEXT(".bss", "nosuch", "1"),
	};
	struct bpfpoke_map_write bad_value[] = {
		BPFPOKE_MAP_WRITE_TEXT(".bss", "stall", "1"),
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "0x100000000"),
	};
	struct bpfpoke_map_write overlap[] = {
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "1"),
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "2"),
	};
	/* Not a literal: BPFPOKE_MAP_WRITE_TEXT() would not compile it. */
	struct bpfpoke_map_write bad_suffix[] = {
		{ .suffix = "bss", .field = "crash", .value = { .text = "1" } },
	};
	struct bpfpoke_map_write no_map[] = { BPFPOKE_MAP_WRITE_TEXT(".data", "crash", "1") };
	struct bpfpoke_map_write no_btf[] = { BPFPOKE_MAP_WRITE_TEXT(".rodata", "x", "1") };
	struct bpfpoke_map_write neg[] = { BPFPOKE_MAP_WRITE_INT(".bss", "stall", -1) };
	struct bpfpoke_map_write wide[] = {
		BPFPOKE_MAP_WRITE(".bss", "stall", 0x100000000ULL),
	};
	struct bpfpoke_map_write truth[] = { BPFPOKE_MAP_WRITE_BOOL(".bss", "stall", 1) };
	struct bpfpoke_map_write name[] = {
		BPFPOKE_MAP_WRITE_ENUM(".bss", "stall", "MODE_AUTO"),
	};
	/* A UINT that also carries text: not a valid descriptor. */
	struct bpfpoke_map_write stray[] = {
		{ .suffix = ".bss", .field = "stall",
		  .value = { .type = BPFPOKE_VALUE_UINT, .num = 1, .text = "1" } },
	};
	struct bpfpoke_map_write typed[] = {
		BPFPOKE_MAP_WRITE(".bss", "crash", 0xfffffffe),
		BPFPOKE_MAP_WRITE_INT(".bss", "stall", 12),
	};
	const struct bpfpoke_write_info *wi;
	const struct bpfpoke_map_info *maps, *bss, *m;
	struct bpfpoke_write_batch *b;
	unsigned char v[16];
	__u32 x[2];
	size_t nr;
	__u64 n;
	int i;

	OPEN(BPFPOKE_SESSION_WRITABLE);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	bss = find(maps, nr, 1);

	/* Nothing is written when one item fails. */
	EXPECT_EQ(-ENOENT, bpfpoke_write(self->s, bad_field, 2, NULL));
	EXPECT_NE(NULL, strstr(warnings, "nosuch")) TH_LOG("%s", warnings);
	EXPECT_EQ(-ERANGE, bpfpoke_write(self->s, bad_value, 2, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_write(self->s, overlap, 2, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_write(self->s, bad_suffix, 1, NULL));
	EXPECT_EQ(-ENOENT, bpfpoke_write(self->s, no_map, 1, NULL));
	EXPECT_EQ(-ENOENT, bpfpoke_write(self->s, no_btf, 1, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_write(self->s, ok, 0, NULL));
	/* Typed values: range and kind checked against the field's BTF. */
	EXPECT_EQ(-ERANGE, bpfpoke_write(self->s, neg, 1, NULL));
	EXPECT_NE(NULL, strstr(warnings, "-1 is negative, but the type is unsigned")) TH_LOG("%s", warnings);
	EXPECT_EQ(-ERANGE, bpfpoke_write(self->s, wide, 1, NULL));
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_write(self->s, truth, 1, NULL));
	EXPECT_NE(NULL, strstr(warnings, "true and false are for bool fields, not int"))
		TH_LOG("%s", warnings);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_write(self->s, name, 1, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_write(self->s, stray, 1, NULL));
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, v, 16));
	for (i = 0; i < 16; i++)
		EXPECT_EQ((unsigned char)(i * 37 + 5), v[i]);

	/* Both, in one batch. */
	ASSERT_EQ(0, bpfpoke_write_prepare(self->s, ok, 2, NULL, &b)) TH_LOG("%s", warnings);
	EXPECT_EQ(2, bpfpoke_write_cnt(b));
	wi = bpfpoke_write_info(b, 1);
	ASSERT_NE(NULL, wi);
	EXPECT_EQ(bss, wi->map);
	EXPECT_EQ(4, wi->field.offset);
	EXPECT_EQ(NULL, bpfpoke_write_info(b, 2));
	ASSERT_EQ(0, bpfpoke_write_commit(b));
	EXPECT_EQ(-EALREADY, bpfpoke_write_commit(b));
	bpfpoke_write_free(b);
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, x, 8));
	EXPECT_EQ(0x01020304, x[0]);
	EXPECT_EQ(7, x[1]);
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 8, v, 8));
	for (i = 0; i < 8; i++)
		EXPECT_EQ((unsigned char)((i + 8) * 37 + 5), v[i]);

	/* Typed descriptors, the same path. */
	ASSERT_EQ(0, bpfpoke_write(self->s, typed, 2, NULL)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, x, 8));
	EXPECT_EQ(0xfffffffe, x[0]);
	EXPECT_EQ(12, x[1]);

	/* Map selection, each call counted as a resolve (the batches' too). */
	n = bpfpoke_session_times(self->s)->resolve_count;
	EXPECT_GE(n, 2);
	EXPECT_EQ(0, bpfpoke_map_find(self->s, ".bss", "stall", &m, NULL));
	EXPECT_EQ(bss, m);
	EXPECT_EQ(0, bpfpoke_map_find(self->s, ".bss", NULL, &m, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_map_find(self->s, "o.bss", NULL, &m, NULL));
	EXPECT_EQ(-ENOENT, bpfpoke_map_find(self->s, ".nope", NULL, &m, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_map_find(self->s, ".bss", "a..b", &m, NULL));
	EXPECT_EQ(n + 5, bpfpoke_session_times(self->s)->resolve_count);
	EXPECT_GT(bpfpoke_session_times(self->s)->resolve_ns, 0);
}

/* A map freed between prepare and commit: nothing is written. */
TEST_F(guest, write_map_gone)
{
	struct bpfpoke_map_write it = BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "0x55");
	const struct bpfpoke_map_info *maps, *bss;
	__u64 gpa, zero = 0, one = 1;
	struct bpfpoke_write_batch *b;
	__u32 id = 99, x;
	size_t nr;

	OPEN(BPFPOKE_SESSION_WRITABLE);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	bss = find(maps, nr, 1);
	ASSERT_NE(NULL, bss);
	gpa = self->sy.map_gpa[0];

	/* Another map at the address (its id changed). */
	ASSERT_EQ(0, bpfpoke_write_prepare(self->s, &it, 1, NULL, &b));
	ASSERT_EQ(4, pwrite(self->sy.mem_fd, &id, 4, gpa + SY_MAP_ID));
	EXPECT_EQ(-ESTALE, bpfpoke_write_commit(b));
	EXPECT_NE(NULL, strstr(warnings, "is gone since the batch was prepared"))
		TH_LOG("%s", warnings);
	bpfpoke_write_free(b);
	id = 1;
	ASSERT_EQ(4, pwrite(self->sy.mem_fd, &id, 4, gpa + SY_MAP_ID));

	/* The last reference dropped. */
	ASSERT_EQ(0, bpfpoke_write_prepare(self->s, &it, 1, NULL, &b));
	ASSERT_EQ(8, pwrite(self->sy.mem_fd, &zero, 8, gpa + SY_MAP_REFCNT));
	EXPECT_EQ(-ESTALE, bpfpoke_write_commit(b));
	bpfpoke_write_free(b);
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, &x, 4));
	EXPECT_NE(0x55U, x);

	/* Still there: written. */
	ASSERT_EQ(8, pwrite(self->sy.mem_fd, &one, 8, gpa + SY_MAP_REFCNT));
	ASSERT_EQ(0, bpfpoke_write(self->s, &it, 1, NULL)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, bss, 0, 0, &x, 4));
	EXPECT_EQ(0x55U, x);
}

TEST_F(guest, write_read_only_session)
{
	struct bpfpoke_map_write it = BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "1");

	OPEN(0);
	EXPECT_EQ(-EROFS, bpfpoke_write(self->s, &it, 1, NULL));
}

TEST_F(guest, read_only_session)
{
	const struct bpfpoke_map_info *maps;
	unsigned char b = 1;
	size_t nr;

	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(-EROFS, bpfpoke_map_value_write(self->s, &maps[0], 0, 0, &b, 1));
}

TEST_F(guest, program_btf)
{
	const struct bpfpoke_map_info *maps;
	const struct btf_type *t;
	struct btf *btf;
	size_t nr;
	__s32 id;

	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	btf = bpfpoke_map_btf(self->s, find(maps, nr, 1));
	ASSERT_NE(NULL, btf) TH_LOG("%s: %s", strerror(errno), warnings);
	id = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC);
	ASSERT_GT(id, 0);
	t = btf__type_by_id(btf, id);
	EXPECT_EQ(2, btf_vlen(t));
	EXPECT_GT(btf__find_by_name_kind(btf, "crash", BTF_KIND_VAR), 0);
	btf__free(btf);
	EXPECT_GT(bpfpoke_session_times(self->s)->map_btf_ns, 0);

	/* A map without BTF. */
	EXPECT_EQ(NULL, bpfpoke_map_btf(self->s, find(maps, nr, 2)));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * The session's parse of a map's BTF: the same one while the guest's
 * struct btf says the same; a new one when it changed, the old one still
 * valid (the session keeps both until it closes).
 */
TEST_F(guest, program_btf_session)
{
	const struct bpfpoke_map_info *maps, *m;
	const struct btf *a, *b, *c;
	__u32 id = 17;
	size_t nr;

	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	a = bpfpoke_map_btf_get(self->s, find(maps, nr, 1));
	ASSERT_NE(NULL, a) TH_LOG("%s: %s", strerror(errno), warnings);
	b = bpfpoke_map_btf_get(self->s, find(maps, nr, 1));
	EXPECT_EQ(a, b);
	/* Picking by field uses it too. */
	ASSERT_EQ(0, bpfpoke_map_find(self->s, ".bss", "crash", &m, NULL));
	EXPECT_EQ(a, bpfpoke_map_btf_get(self->s, m));
	/* Another BTF object at the same address: parsed again. */
	ASSERT_EQ(4, pwrite(self->sy.mem_fd, &id, 4, self->sy.btf_gpa + SY_BTF_ID));
	c = bpfpoke_map_btf_get(self->s, find(maps, nr, 1));
	ASSERT_NE(NULL, c);
	EXPECT_NE(a, c);
	EXPECT_GT(btf__find_by_name_kind(a, "crash", BTF_KIND_VAR), 0);
	EXPECT_GT(btf__find_by_name_kind(c, "crash", BTF_KIND_VAR), 0);
	EXPECT_EQ(c, bpfpoke_map_btf_get(self->s, find(maps, nr, 1)));
	/* A map without BTF; bad arguments. */
	EXPECT_EQ(NULL, bpfpoke_map_btf_get(self->s, find(maps, nr, 2)));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(NULL, bpfpoke_map_btf_get(NULL, find(maps, nr, 1)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(guest, split_btf_on_vmlinux)
{
	const struct bpfpoke_map_info *maps;
	struct btf *base, *split, *got;
	const void *raw;
	__u32 size;
	size_t nr;

	/* Module-style BTF split on the "vmlinux" BTF the session uses. */
	base = sy_kernel_btf();
	ASSERT_NE(NULL, base);
	split = btf__new_empty_split(base);
	ASSERT_NE(NULL, split);
	ASSERT_GT(btf__add_struct(split, "split_only", 4), 0);
	ASSERT_EQ(0, btf__add_field(split, "x", 2, 0, 0));
	raw = btf__raw_data(split, &size);
	ASSERT_NE(NULL, raw);
	ASSERT_LT(size, 4096);
	sy_put(&self->sy, self->sy.btf_raw_gpa, raw, size);
	sy_put32(&self->sy, self->sy.btf_gpa + SY_BTF_DATA_SIZE, size);
	sy_put64(&self->sy, self->sy.btf_gpa + SY_BTF_BASE,
		 sy_dm(&self->sy, self->sy.btf_gpa));
	btf__free(split);
	btf__free(base);

	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	got = bpfpoke_map_btf(self->s, find(maps, nr, 1));
	ASSERT_NE(NULL, got) TH_LOG("%s: %s", strerror(errno), warnings);
	EXPECT_GT(btf__find_by_name_kind(got, "split_only", BTF_KIND_STRUCT), 0);
	/* Base types resolve through the session's vmlinux BTF. */
	EXPECT_GT(btf__find_by_name_kind(got, "bpf_map", BTF_KIND_STRUCT), 0);
	btf__free(got);
}

/* Zero-config, first step: the VMCOREINFO, from guest memory alone. */

static struct bpfpoke_session *memory_only(struct synth *sy)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts, .mem_file = sy->mem_path);
	struct bpfpoke_session *s = bpfpoke_session_open(&opts);

	if (s && bpfpoke_session_attach(s)) {
		bpfpoke_session_close(s);
		return NULL;
	}
	return s;
}

TEST_F(guest, vmcoreinfo)
{
	const struct bpfpoke_vmcoreinfo *vi, *again;

	/* A stale copy first (a kernel the running one is not), then the real one. */
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA - 0x5000, "5.10.0-stale");
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, SY_RELEASE);
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	self->s = memory_only(&self->sy);
	ASSERT_NE(NULL, self->s) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_vmcoreinfo(self->s, &vi)) TH_LOG("%s", warnings);
	EXPECT_EQ(SY_VMCOREINFO_GPA, vi->gpa);
	EXPECT_EQ(2, vi->candidates);
	EXPECT_STREQ(SY_RELEASE, vi->osrelease);
	EXPECT_STREQ("0123456789abcdef0123456789abcdef01234567", vi->build_id);
	EXPECT_EQ(SY_TEXT_KVA - 0xffffffff81000000ULL, vi->kaslr_offset);
	EXPECT_EQ(self->sy.phys_base, vi->phys_base);
	EXPECT_EQ(SY_TEXT_KVA + SY_OFF_TOP_PGT, vi->init_top_pgt);
	EXPECT_EQ(SY_TEXT_KVA + 0x1000, vi->stext);
	EXPECT_EQ(variant->levels, vi->levels);
	EXPECT_TRUE(vi->has_kallsyms);
	EXPECT_EQ(SY_TEXT_KVA + 0x14000, vi->kallsyms_offsets);
	EXPECT_EQ(0, vi->kallsyms_relative_base);
	EXPECT_EQ(0, strncmp(vi->text, "OSRELEASE=" SY_RELEASE "\n", 26));
	/* The image address translates as the kernel's __pa_symbol(). */
	EXPECT_EQ(SY_TEXT_GPA + SY_OFF_TOP_PGT,
		  vi->init_top_pgt - 0xffffffff80000000ULL + vi->phys_base);
	/* Found once, kept. */
	ASSERT_EQ(0, bpfpoke_session_vmcoreinfo(self->s, &again));
	EXPECT_EQ(vi, again);
	/* Its kallsyms tables are empty here: no description to be had. */
	EXPECT_EQ(-EINVAL, bpfpoke_session_load(self->s));
	EXPECT_NE(NULL, strstr(warnings, "kallsyms: 0 symbols")) TH_LOG("%s", warnings);
	EXPECT_EQ(-EINVAL, bpfpoke_session_vmcoreinfo(NULL, &vi));
	EXPECT_EQ(-EINVAL, bpfpoke_session_vmcoreinfo(self->s, NULL));
}

/* kallsyms decoded in each address encoding, picked by where _stext is. */
TEST_F(guest, kallsyms)
{
	static const char *const encodings[] = {
		NULL, "absolute-percpu", "base-relative", "place-relative",
	};
	const struct bpfpoke_kallsyms *ks;
	const struct bpfpoke_ksym *k;
	int enc;
	__u32 i;

	for (enc = 1; enc <= 3; enc++) {
		synth_add_kallsyms(&self->sy, enc);
		synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, SY_RELEASE);
		if (self->sy.mem_fd >= 0)
			close(self->sy.mem_fd);
		self->sy.mem_fd = -1;
		ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
		self->s = memory_only(&self->sy);
		ASSERT_NE(NULL, self->s);
		ASSERT_EQ(0, bpfpoke_session_kallsyms(self->s, &ks))
			TH_LOG("encoding %d: %s", enc, warnings);
		EXPECT_STREQ(encodings[enc], ks->encoding);
		ASSERT_EQ(sizeof(sy_ksyms) / sizeof(sy_ksyms[0]), ks->nr);
		for (i = 0; i < ks->nr; i++) {
			k = &ks->syms[i];
			EXPECT_STREQ(sy_ksyms[i].name, ks->strtab + k->name_off);
			EXPECT_EQ(sy_ksyms[i].type, k->type);
			/* Absolute per-CPU symbols are only that encoding's. */
			if (enc == 1 || sy_ksyms[i].type != 'A')
				EXPECT_EQ(sy_ksyms[i].addr, k->addr)
					TH_LOG("encoding %d: %s", enc, sy_ksyms[i].name);
		}
		bpfpoke_session_close(self->s);
		self->s = NULL;
	}
}

/* Sessions @a and @b see the same maps at the same addresses. */
static void expect_same_maps(struct __test_metadata *_metadata,
			     struct bpfpoke_session *a,
			     struct bpfpoke_session *b)
{
	const struct bpfpoke_map_info *ma, *mb;
	size_t na, nb, i;

	ASSERT_EQ(0, bpfpoke_maps(a, &ma, &na)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_maps(b, &mb, &nb)) TH_LOG("%s", warnings);
	ASSERT_EQ(na, nb);
	for (i = 0; i < na; i++) {
		EXPECT_EQ(ma[i].id, mb[i].id);
		EXPECT_STREQ(ma[i].name, mb[i].name);
		EXPECT_EQ(ma[i].kva, mb[i].kva);
		EXPECT_EQ(ma[i].value_kva, mb[i].value_kva);
	}
}

/* Zero-config: VMCOREINFO, kallsyms, BTF from memory; the same maps. */
TEST_F(guest, zero_config)
{
	struct bpfpoke_session *d;

	synth_add_kallsyms(&self->sy, 3);
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, SY_RELEASE);
	OPEN(0);
	d = self->s;
	self->s = memory_only(&self->sy);
	ASSERT_NE(NULL, self->s);
	ASSERT_EQ(0, bpfpoke_session_load(self->s)) TH_LOG("%s", warnings);
	expect_same_maps(_metadata, d, self->s);
	EXPECT_GT(bpfpoke_session_times(self->s)->vmcoreinfo_ns, 0);
	EXPECT_GT(bpfpoke_session_times(self->s)->kallsyms_ns, 0);
	bpfpoke_session_close(d);
}

/* Flip byte @off of @path. */
static int flip_byte(const char *path, off_t off)
{
	unsigned char c;
	int fd, ok;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	ok = pread(fd, &c, 1, off) == 1;
	c ^= 0x5a;
	ok = ok && pwrite(fd, &c, 1, off) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * The description cache: a second zero-config session takes its symbols,
 * layouts and map type names from it, parses no BTF, and finds VMCOREINFO
 * where it last was; an entry whose BTF blob is not whole, whose record
 * is damaged, or that is for another release is not used (and is written
 * afresh).
 */
TEST_F(guest, zero_config_cache)
{
	const struct bpfpoke_session_times *t;
	const struct bpfpoke_vmcoreinfo *vi;
	const struct bpfpoke_map_info *maps;
	static const char other[] = "6.1.0-other";
	char path[256];
	size_t nr, nr0;
	FILE *f;
	int i;

	synth_add_kallsyms(&self->sy, 1);
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, SY_RELEASE);
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	for (i = 0; i < 6; i++) {
		bool cached = i == 1 || i == 5;

		if (i == 2) {
			/* A BTF blob that is not the one the record names. */
			snprintf(path, sizeof(path), "%s/%s/btf", self->cache, SY_BUILD_ID);
			f = fopen(path, "w");
			ASSERT_NE(NULL, f);
			fputs("garbage", f);
			fclose(f);
		} else if (i == 3) {
			/* A damaged record. */
			snprintf(path, sizeof(path), "%s/%s/desc", self->cache, SY_BUILD_ID);
			ASSERT_EQ(0, flip_byte(path, 200));
		} else if (i == 4) {
			/* Another release under the same BUILD-ID. */
			synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, other);
			sy_put(&self->sy, SY_TEXT_GPA + SY_OFF_UTS + 130, other,
			       sizeof(other));
			close(self->sy.mem_fd);
			self->sy.mem_fd = -1;
			ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
		}
		self->s = memory_only(&self->sy);
		ASSERT_NE(NULL, self->s);
		ASSERT_EQ(0, bpfpoke_session_load(self->s)) TH_LOG("round %d: %s", i, warnings);
		EXPECT_EQ(cached ? BPFPOKE_DESC_CACHE : BPFPOKE_DESC_GUEST,
			  bpfpoke_session_desc_source(self->s)) TH_LOG("round %d", i);
		EXPECT_EQ(cached, bpfpoke_session_desc_cached(self->s)) TH_LOG("round %d", i);
		ASSERT_EQ(0, bpfpoke_session_vmcoreinfo(self->s, &vi));
		EXPECT_EQ(i > 0, vi->hinted) TH_LOG("round %d", i);
		EXPECT_EQ(SY_VMCOREINFO_GPA, vi->gpa);
		ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings);
		if (!i)
			nr0 = nr;
		EXPECT_EQ(nr0, nr);
		/* The type libbpf does not know is named, from the cache too. */
		EXPECT_STREQ("future_thing", bpfpoke_map_type_str(self->s, SY_TYPE_FUTURE));
		t = bpfpoke_session_times(self->s);
		if (cached) {
			EXPECT_EQ(0, t->symbols_ns);
			EXPECT_EQ(0, t->vmlinux_btf_ns);
			EXPECT_EQ(0, t->kallsyms_ns);
		} else {
			EXPECT_GT(t->kallsyms_ns, 0);
			EXPECT_GT(t->vmlinux_btf_ns, 0);
		}
		EXPECT_GT(t->cache_ns, 0);
		bpfpoke_session_close(self->s);
		self->s = NULL;
	}
	/* A description given as files is that. */
	OPEN(0);
	EXPECT_EQ(BPFPOKE_DESC_FILES, bpfpoke_session_desc_source(self->s));
	EXPECT_EQ(-EINVAL, bpfpoke_session_desc_source(NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_session_desc_cached(NULL));
}

static char debug_msgs[8192];

static int capture_debug(enum bpfpoke_print_level level, const char *fmt,
			 va_list ap)
{
	size_t len = strlen(debug_msgs);

	if (level != BPFPOKE_DEBUG || len >= sizeof(debug_msgs) - 1)
		return 0;
	return vsnprintf(debug_msgs + len, sizeof(debug_msgs) - len, fmt, ap);
}

static void read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

/*
 * Where the kernel image was found is a hint for the next session: tried
 * first with every check of the scan, so that hints outside RAM, not
 * 2 MiB aligned, or at an image its page tables do not map (the decoy)
 * are passed over; the one that holds moves to the front.  Without the
 * cache (BPFPOKE_SESSION_NO_CACHE) the hints are not read.
 */
TEST_F(guest, kaslr_hints)
{
	char path[256], text[256], want[64];
	struct bpfpoke_kernel_info ki;
	FILE *f;

	OPEN(0);
	snprintf(path, sizeof(path), "%s/kaslr-hints", self->cache);
	read_text(path, text, sizeof(text));
	snprintf(want, sizeof(want), "%llx\n", (unsigned long long)SY_TEXT_GPA);
	EXPECT_STREQ(want, text);
	bpfpoke_session_close(self->s);
	self->s = NULL;

	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "1000\n%llx\n%llx\n%llx\n", SY_RAM_SIZE + (2ULL << 20),
		(unsigned long long)SY_DECOY_GPA, (unsigned long long)SY_TEXT_GPA);
	fclose(f);
	debug_msgs[0] = 0;
	bpfpoke_set_print(capture_debug);
	self->s = synth_session(&self->sy, 0);
	bpfpoke_set_print(capture);
	ASSERT_NE(NULL, self->s);
	ASSERT_EQ(0, bpfpoke_session_kernel_info(self->s, &ki));
	EXPECT_EQ(SY_TEXT_GPA, ki.text_gpa);
	EXPECT_EQ(SY_TEXT_KVA, ki.text_kva);
	EXPECT_NE(NULL, strstr(debug_msgs, "(where the cache last saw one)"))
		TH_LOG("%s", debug_msgs);
	read_text(path, text, sizeof(text));
	EXPECT_EQ(0, strncmp(text, want, strlen(want))) TH_LOG("%s", text);
	bpfpoke_session_close(self->s);

	debug_msgs[0] = 0;
	bpfpoke_set_print(capture_debug);
	self->s = synth_session(&self->sy, BPFPOKE_SESSION_NO_CACHE);
	bpfpoke_set_print(capture);
	ASSERT_NE(NULL, self->s);
	ASSERT_EQ(0, bpfpoke_session_kernel_info(self->s, &ki));
	EXPECT_EQ(SY_TEXT_GPA, ki.text_gpa);
	EXPECT_NE(NULL, strstr(debug_msgs, "(scanned)")) TH_LOG("%s", debug_msgs);
}

/*
 * Described mode: the files' derived description is cached by their
 * identity once they have settled (2 s), used by the next session with
 * the same maps, and not used with BPFPOKE_SESSION_NO_CACHE or once a
 * file changed.
 */
TEST_F(guest, files_cache)
{
	const struct bpfpoke_session_times *t;
	struct bpfpoke_session *first;
	struct bpfpoke_kernel_info k0, k;
	int i;

	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	/* Fresh files: parsed, not cached. */
	self->s = synth_session(&self->sy, 0);
	ASSERT_NE(NULL, self->s) TH_LOG("%s", warnings);
	EXPECT_EQ(0, bpfpoke_session_desc_cached(self->s));
	bpfpoke_session_close(self->s);
	self->s = NULL;
	usleep(2100 * 1000);
	first = synth_session(&self->sy, 0);
	ASSERT_NE(NULL, first) TH_LOG("%s", warnings);
	EXPECT_EQ(0, bpfpoke_session_desc_cached(first));
	ASSERT_EQ(0, bpfpoke_session_kernel_info(first, &k0));
	for (i = 0; i < 3; i++) {
		if (i == 2) {
			/* Touched: another identity, and too new to cache. */
			ASSERT_EQ(0, utimensat(AT_FDCWD, self->sy.sym_path, NULL, 0));
		}
		self->s = synth_session(&self->sy, i == 1 ? BPFPOKE_SESSION_NO_CACHE : 0);
		ASSERT_NE(NULL, self->s) TH_LOG("round %d: %s", i, warnings);
		EXPECT_EQ(BPFPOKE_DESC_FILES, bpfpoke_session_desc_source(self->s));
		EXPECT_EQ(i == 0, bpfpoke_session_desc_cached(self->s)) TH_LOG("round %d", i);
		t = bpfpoke_session_times(self->s);
		if (i == 0) {
			EXPECT_EQ(0, t->symbols_ns);
			EXPECT_EQ(0, t->vmlinux_btf_ns);
		} else {
			EXPECT_GT(t->symbols_ns, 0);
			EXPECT_GT(t->vmlinux_btf_ns, 0);
		}
		ASSERT_EQ(0, bpfpoke_session_kernel_info(self->s, &k));
		EXPECT_EQ(k0.text_kva, k.text_kva);
		EXPECT_EQ(k0.top_pgt_gpa, k.top_pgt_gpa);
		expect_same_maps(_metadata, first, self->s);
		EXPECT_STREQ("future_thing", bpfpoke_map_type_str(self->s, SY_TYPE_FUTURE));
		bpfpoke_session_close(self->s);
		self->s = NULL;
	}
	bpfpoke_session_close(first);
}

/* Hostile tables: refused, never read past their bounds. */
TEST_F(guest, kallsyms_hostile)
{
	static const __u32 counts[] = { 0, 1U << 22 };
	const struct bpfpoke_kallsyms *ks;
	unsigned char zero = 0, bad = 0xff;
	unsigned int i;

	synth_add_kallsyms(&self->sy, 3);
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, SY_RELEASE);
	for (i = 0; i < 4; i++) {
		if (i < 2) {
			sy_put(&self->sy, SY_TEXT_GPA + 0x11000, &counts[i], 4);
		} else if (i == 2) {
			/* A zero-length name. */
			synth_add_kallsyms(&self->sy, 3);
			sy_put(&self->sy, SY_TEXT_GPA + 0x10000, &zero, 1);
		} else {
			/* A token whose offset is past the token table. */
			synth_add_kallsyms(&self->sy, 3);
			sy_put(&self->sy, SY_TEXT_GPA + 0x13000 + 2 * 'T', "\xff\xff", 2);
			(void)bad;
		}
		if (self->sy.mem_fd >= 0)
			close(self->sy.mem_fd);
		self->sy.mem_fd = -1;
		ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
		self->s = memory_only(&self->sy);
		ASSERT_NE(NULL, self->s);
		warnings[0] = 0;
		EXPECT_EQ(-EINVAL, bpfpoke_session_kallsyms(self->s, &ks))
			TH_LOG("case %u: %s", i, warnings);
		bpfpoke_session_close(self->s);
		self->s = NULL;
	}
}

TEST_F(guest, vmcoreinfo_missing)
{
	const struct bpfpoke_vmcoreinfo *vi;
	unsigned int i;

	/* Only copies the running kernel disowns, and a page that merely starts so. */
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, "5.10.0-stale");
	sy_put(&self->sy, SY_VMCOREINFO_GPA + 0x1000, "OSRELEASE=x", 11);
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	self->s = memory_only(&self->sy);
	ASSERT_NE(NULL, self->s);
	EXPECT_EQ(-ENOENT, bpfpoke_session_vmcoreinfo(self->s, &vi));
	EXPECT_NE(NULL, strstr(warnings, "no VMCOREINFO in guest memory (2 look-alike pages): the guest kernel is built without CRASH_DUMP and PROC_KCORE"))
		TH_LOG("%s", warnings);
	bpfpoke_session_close(self->s);

	close(self->sy.mem_fd);
	self->sy.mem_fd = -1;
	self->s = NULL;

	/* A guest that fills memory with look-alikes: refused, bounded. */
	for (i = 0; i < 70; i++)
		sy_put(&self->sy, SY_VMCOREINFO_GPA + 0x2000 + i * 0x1000ULL,
		       "OSRELEASE=y\n", 12);
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	self->s = memory_only(&self->sy);
	ASSERT_NE(NULL, self->s);
	EXPECT_EQ(-E2BIG, bpfpoke_session_vmcoreinfo(self->s, &vi));
}

/* Hostile guests: each breaks one thing, and must fail, not crash. */

/* An arena's globals: found through prog_idr, read and written. */
TEST_F(guest, arena_globals)
{
	const struct bpfpoke_map_info *maps, *m;
	__u32 v = 0, one = 1;
	size_t nr;

	ASSERT_EQ(0, synth_add_arena(&self->sy));
	OPEN(BPFPOKE_SESSION_WRITABLE);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings);
	EXPECT_EQ(5, nr);
	m = find(maps, nr, 4);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(SY_TYPE_ARENA, m->type);
	EXPECT_TRUE(m->arena_globals);
	EXPECT_EQ(8, m->value_size);
	EXPECT_EQ(21, m->btf_id);
	EXPECT_EQ(self->sy.globals_kva, m->value_kva);
	EXPECT_EQ(0, bpfpoke_map_value_read(self->s, m, 0, 0, &v, 4));
	EXPECT_EQ(0x1234, v);
	EXPECT_EQ(0, bpfpoke_map_value_write(self->s, m, 0, 4, &one, 4));
	v = 0;
	EXPECT_EQ(0, bpfpoke_map_value_read(self->s, m, 0, 4, &v, 4));
	EXPECT_EQ(1, v);
	/* One value: max_entries counts the arena's pages. */
	EXPECT_EQ(-ERANGE, bpfpoke_map_value_read(self->s, m, 1, 0, &v, 4));
	EXPECT_EQ(-ERANGE, bpfpoke_map_value_read(self->s, m, 0, 6, &v, 4));
}

/* Hostile prog_idr and arenas: no globals, the maps still listed. */
TEST_F(guest, arena_hostile)
{
	const struct bpfpoke_map_info *maps, *m;
	__u64 head = SY_TEXT_GPA + SY_OFF_PROG_IDR + SY_IDR_RT + SY_XA_HEAD;
	size_t nr;
	__u64 node;
	int round;

	for (round = 0; round < 5; round++) {
		bpfpoke_session_close(self->s);
		self->s = NULL;
		synth_free(&self->sy);
		ASSERT_EQ(0, synth_build(&self->sy, variant->levels));
		ASSERT_EQ(0, synth_add_arena(&self->sy));
		switch (round) {
		case 0:	/* prog_idr: a node that lists itself */
			node = sy_heap(&self->sy, SY_NODE_SIZE);
			self->sy.ram[node + SY_NODE_SHIFT] = 6;
			sy_put64(&self->sy, node + SY_NODE_SLOTS,
				 sy_node_entry(&self->sy, node));
			sy_put64(&self->sy, head, sy_node_entry(&self->sy, node));
			break;
		case 1:	/* the program's aux is not a kernel pointer */
			sy_put64(&self->sy, self->sy.prog_gpa + SY_PROG_AUX, 0x1000);
			break;
		case 2:	/* kern_vm->addr is not a kernel address */
			sy_put64(&self->sy, self->sy.vm_gpa + SY_VM_ADDR, 0x7f0000000000ULL);
			break;
		case 3:	/* no page where the globals should be, at either end */
			sy_kput64(&self->sy, self->sy.arena_kva + SY_ARENA_USER_START,
				  SY_ARENA_USER + (1ULL << 20));
			break;
		case 4:	/*
			 * user_vm_start's low half puts them across 4 GiB, where
			 * the kernel's mapping wraps: refused even with the
			 * page there mapped.
			 */
			sy_kput64(&self->sy, self->sy.arena_kva + SY_ARENA_USER_START,
				  SY_ARENA_USER - (SY_ARENA_PAGES - 1) * 4096ULL - 4);
			node = sy_get64(&self->sy, self->sy.vm_gpa + SY_VM_ADDR) +
			       (32 << 10) + 0xfffff000ULL;
			sy_map(&self->sy, node, self->sy.vm_next_gpa, 1);
			break;
		}
		OPEN(0);
		ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr))
			TH_LOG("round %d: %s", round, warnings);
		EXPECT_EQ(5, nr);
		m = find(maps, nr, 4);
		ASSERT_NE(NULL, m);
		EXPECT_FALSE(m->arena_globals) TH_LOG("round %d", round);
		EXPECT_EQ(0, m->value_kva) TH_LOG("round %d", round);
	}
}

TEST_F(guest, xarray_self_cycle)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	/* The root lists itself: its shift does not descend. */
	sy_put64(&self->sy, self->sy.root_node + SY_NODE_SLOTS + 5 * 8,
		 sy_node_entry(&self->sy, self->sy.root_node));
	OPEN(0);
	EXPECT_EQ(-ELOOP, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(ELOOP, errno);
}

TEST_F(guest, xarray_shared_node)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	/* Two slots share a leaf: seen twice. */
	sy_put64(&self->sy, self->sy.root_node + SY_NODE_SLOTS + 2 * 8,
		 sy_node_entry(&self->sy, self->sy.leaf0));
	OPEN(0);
	EXPECT_EQ(-ELOOP, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_NE(NULL, strstr(warnings, "reached twice"));
}

TEST_F(guest, xarray_node_below_leaf)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	/* A leaf points back up to the root. */
	sy_put64(&self->sy, self->sy.leaf1 + SY_NODE_SLOTS,
		 sy_node_entry(&self->sy, self->sy.root_node));
	OPEN(0);
	EXPECT_EQ(-ELOOP, bpfpoke_maps(self->s, &maps, &nr));
}

TEST_F(guest, xarray_bad_shift)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	self->sy.ram[self->sy.root_node + SY_NODE_SHIFT] = 63;
	OPEN(0);
	EXPECT_EQ(-ELOOP, bpfpoke_maps(self->s, &maps, &nr));
}

TEST_F(guest, xarray_head_not_kernel)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	sy_put64(&self->sy, SY_TEXT_GPA + SY_OFF_MAP_IDR + SY_IDR_RT + SY_XA_HEAD,
		 0x123456789abc0002ULL);
	OPEN(0);
	EXPECT_EQ(-EFAULT, bpfpoke_maps(self->s, &maps, &nr));
}

TEST_F(guest, xarray_node_unmapped)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	/* A canonical kernel address that nothing maps. */
	sy_put64(&self->sy, self->sy.root_node + SY_NODE_SLOTS + 3 * 8,
		 (self->sy.vmalloc_base + (1ULL << 34)) | 2);
	OPEN(0);
	EXPECT_EQ(-EFAULT, bpfpoke_maps(self->s, &maps, &nr));
}

TEST_F(guest, empty_map_idr)
{
	const struct bpfpoke_map_info *maps;
	size_t nr = 99;

	sy_put64(&self->sy, SY_TEXT_GPA + SY_OFF_MAP_IDR + SY_IDR_RT + SY_XA_HEAD, 0);
	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(0, nr);
}

TEST_F(guest, bad_map_pointers_skipped)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	/* User address; unmapped kernel address; id that is not the index. */
	sy_put64(&self->sy, self->sy.leaf0 + SY_NODE_SLOTS + 20 * 8,
		 0x00007fff12345000ULL);
	sy_put64(&self->sy, self->sy.leaf0 + SY_NODE_SLOTS + 21 * 8,
		 self->sy.vmalloc_base + (1ULL << 34));
	sy_put64(&self->sy, self->sy.leaf0 + SY_NODE_SLOTS + 22 * 8,
		 self->sy.map_kva[1]);
	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(4, nr);
	EXPECT_NE(NULL, strstr(warnings, "index 20 holds 0x7fff12345000, not a kernel pointer"));
	EXPECT_NE(NULL, strstr(warnings, "index 21: struct bpf_map"));
	EXPECT_NE(NULL, strstr(warnings, "index 22 holds a map with id 2"));
}

TEST_F(guest, btf_huge)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	sy_put32(&self->sy, self->sy.btf_gpa + SY_BTF_DATA_SIZE, 0x40000000);
	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(NULL, bpfpoke_map_btf(self->s, find(maps, nr, 1)));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(guest, btf_truncated)
{
	const struct bpfpoke_map_info *maps;
	size_t nr;

	sy_put32(&self->sy, self->sy.btf_gpa + SY_BTF_DATA_SIZE,
		 self->sy.btf_raw_size - 7);
	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(NULL, bpfpoke_map_btf(self->s, find(maps, nr, 1)));
	EXPECT_NE(0, errno);
	EXPECT_NE(NULL, strstr(warnings, "malformed BTF"));
}

TEST_F(guest, btf_garbage_and_bad_pointer)
{
	const struct bpfpoke_map_info *maps;
	unsigned char junk[64];
	size_t nr;

	memset(junk, 0xff, sizeof(junk));
	sy_put(&self->sy, self->sy.btf_raw_gpa + 8, junk, sizeof(junk));
	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(NULL, bpfpoke_map_btf(self->s, find(maps, nr, 1)));
	EXPECT_NE(0, errno);

	/* data pointing outside the kernel half. */
	bpfpoke_session_close(self->s);
	self->s = NULL;
	sy_put64(&self->sy, self->sy.btf_gpa + SY_BTF_DATA, 0x1000);
	synth_free(&self->sy);
	ASSERT_EQ(0, synth_build(&self->sy, variant->levels));
	sy_put64(&self->sy, self->sy.btf_gpa + SY_BTF_DATA, 0x1000);
	OPEN(0);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(NULL, bpfpoke_map_btf(self->s, find(maps, nr, 1)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(guest, page_table_loop)
{
	const struct bpfpoke_map_info *maps;
	__u64 gpa, kva = self->sy.map_kva[0], pmd = self->sy.pmd_vmalloc;
	size_t nr;

	/* The PMD entry of map 1's page points at the PMD table itself. */
	sy_put64(&self->sy, pmd + ((kva >> 21) & 511) * 8, pmd | SY_PTE_FLAGS);
	OPEN(0);
	/* The PMD read as a PT: entry ((kva >> 12) & 511) of it is empty. */
	ASSERT_EQ(0, ((kva >> 12) & 511) == ((kva >> 21) & 511));
	EXPECT_EQ(-EFAULT, bpfpoke_translate(self->s, kva, &gpa));
	/* The map is skipped, the walk goes on. */
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(3, nr);
	EXPECT_EQ(NULL, find(maps, nr, 1));
}

TEST_F(guest, pse_at_top_level)
{
	__u64 gpa, kva = self->sy.vmalloc_base;

	/* PS in a top-level entry is reserved: the walk refuses it. */
	sy_put64(&self->sy, self->sy.top + ((kva >> (12 + 9 * (variant->levels - 1))) & 511) * 8,
		 SY_PTE_FLAGS | SY_PTE_PS);
	OPEN(0);
	EXPECT_EQ(-EFAULT, bpfpoke_translate(self->s, kva + 0x10000, &gpa));
}

TEST_F(guest, no_kernel)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts);
	struct bpfpoke_session *s;

	/* Only the decoy's banner: no page table maps it. */
	memset(self->sy.ram + SY_TEXT_GPA, 0, SY_OFF_END);
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	opts.btf = self->sy.btf_path;
	opts.symbols = self->sy.sym_path;
	opts.mem_file = self->sy.mem_path;
	s = bpfpoke_session_open(&opts);
	ASSERT_NE(NULL, s);
	/* Not attached yet. */
	EXPECT_EQ(-EINVAL, bpfpoke_session_load(s));
	ASSERT_EQ(0, bpfpoke_session_attach(s));
	EXPECT_EQ(-ENOENT, bpfpoke_session_load(s));
	EXPECT_NE(NULL, strstr(warnings, "1 banner match at 2 MiB steps"));
	bpfpoke_session_close(s);
}

TEST_F(guest, level_from_walk)
{
	struct bpfpoke_kernel_info ki;

	/* Without __pgtable_l5_enabled the walk decides 4 or 5. */
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	ASSERT_EQ(0, sy_symbols(&self->sy, self->sy.sym_path, false));
	self->s = synth_session(&self->sy, 0);
	ASSERT_NE(NULL, self->s);
	ASSERT_EQ(0, bpfpoke_session_kernel_info(self->s, &ki));
	EXPECT_EQ(variant->levels, (int)ki.levels);
	EXPECT_EQ(SY_TEXT_KVA, ki.text_kva);
}

/* Map elements (map_elem.c): hash maps walked, per-CPU values. */

/* Poke @n bytes at @kva of the running guest, its memfd, byte by byte. */
static int kpoke(struct synth *sy, __u64 kva, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (pwrite(sy->mem_fd, b + i, 1, sy_kva_to_gpa(sy, kva + i)) != 1)
			return -1;
	return 0;
}

static int kpoke64(struct synth *sy, __u64 kva, __u64 v)
{
	return kpoke(sy, kva, &v, sizeof(v));
}

static int kpoke32(struct synth *sy, __u64 kva, __u32 v)
{
	return kpoke(sy, kva, &v, sizeof(v));
}

/* Undo kpoke(): the bytes as synth_build() and the helpers left them. */
static int krestore(struct synth *sy, __u64 kva, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__u64 gpa = sy_kva_to_gpa(sy, kva + i);

		if (pwrite(sy->mem_fd, sy->ram + gpa, 1, gpa) != 1)
			return -1;
	}
	return 0;
}

/* What bpfpoke_map_iterate() gave. */
struct got {
	unsigned int nr, stop;
	__u32 key_size, value_size;
	unsigned char key[32][8];
	unsigned char val[32][16];
	bool has_val[32];
	struct bpfpoke_map_elem e[32];
};

static int collect(const void *key, const void *value,
		   const struct bpfpoke_map_elem *e, void *ctx)
{
	struct got *g = ctx;

	if (g->nr >= 32)
		return 1000;
	memcpy(g->key[g->nr], key, g->key_size);
	g->has_val[g->nr] = value != NULL;
	if (value)
		memcpy(g->val[g->nr], value, g->value_size);
	g->e[g->nr] = *e;
	g->nr++;
	return g->stop && g->nr == g->stop ? 42 : 0;
}

/*
 * The order the guest's bpf_map_get_next_key() gives: bucket by bucket,
 * each chain from its head, where the last inserted element is.
 */
static unsigned int htab_order(const struct sy_htab *h, unsigned int *order)
{
	unsigned int n = 0, b;
	int i;

	for (b = 0; b < h->n_buckets; b++)
		for (i = h->nr - 1; i >= 0; i--)
			if ((h->hash[i] & (h->n_buckets - 1)) == b)
				order[n++] = i;
	return n;
}

/* The elements of bucket @b of @h, from the head: their count. */
static unsigned int htab_chain(const struct sy_htab *h, __u32 b,
			       unsigned int *idx)
{
	unsigned int n = 0;
	int i;

	for (i = h->nr - 1; i >= 0; i--)
		if ((h->hash[i] & (h->n_buckets - 1)) == b)
			idx[n++] = i;
	return n;
}

/* The address of bucket @b's head. */
static __u64 htab_head(const struct sy_htab *h, __u32 b)
{
	return h->buckets + (__u64)b * SY_BUCKET_SIZE + SY_BUCKET_HEAD;
}

/* A key of @h's size that no element has, in bucket @b. */
static void missing_key(const struct sy_htab *h, __u32 b, unsigned char *k)
{
	unsigned int n;

	for (n = 50000; n < 200000; n++) {
		sy_elem_key(h->key_size, n, k);
		if ((bpfpoke_jhash(k, h->key_size, h->hashrnd) & (h->n_buckets - 1)) == b)
			return;
	}
	memset(k, 0, 8);
}

#define OPEN_ELEM(flags) do {						\
	ASSERT_EQ(0, synth_add_elem_maps(&self->sy));			\
	OPEN(flags);							\
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings); \
} while (0)

/*
 * A guest vmlinux BTF whose hash-map structs do not hold their members
 * (zero-config reads it from guest memory): hash maps are then not
 * supported, rather than read past the buffers sized by the BTF.
 */
static void hostile_htab_btf(struct __test_metadata *_metadata,
			     const char *strukt, __u32 size, __u32 member_off)
{
	static struct synth sy;
	char dir[] = "/tmp/bpfpoke-htabbtf.XXXXXX";
	const struct bpfpoke_map_info *maps;
	struct bpfpoke_session *s;
	struct btf_type *t;
	struct btf *kb;
	const void *raw;
	__u32 raw_size;
	size_t nr, i;

	ASSERT_NE(NULL, mkdtemp(dir));
	memset(&sy, 0, sizeof(sy));
	ASSERT_EQ(0, synth_build(&sy, 4));
	ASSERT_EQ(0, synth_add_elem_maps(&sy));
	ASSERT_EQ(0, synth_finish(&sy, dir));
	kb = sy_kernel_btf();
	ASSERT_NE(NULL, kb);
	t = (struct btf_type *)btf__type_by_id(kb,
			btf__find_by_name_kind(kb, strukt, BTF_KIND_STRUCT));
	ASSERT_NE(NULL, t);
	t->size = size;
	if (member_off)
		btf_members(t)[0].offset = member_off * 8;
	raw = btf__raw_data(kb, &raw_size);
	ASSERT_EQ(0, sy_write_file(sy.btf_path, raw, raw_size));
	btf__free(kb);
	s = synth_session(&sy, 0);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, bpfpoke_maps(s, &maps, &nr));
	for (i = 0; i < nr; i++) {
		if (maps[i].id != SY_ID_HTAB && maps[i].id != SY_ID_PCPU_HASH)
			continue;
		EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_elem_supported(s, &maps[i]));
	}
	bpfpoke_session_close(s);
	unlink(sy.btf_path);
	unlink(sy.sym_path);
	synth_free(&sy);
	rmdir(dir);
}

TEST(htab_btf_smaller_than_members)
{
	hostile_htab_btf(_metadata, "bpf_htab", 8, 0);
}

TEST(htab_btf_bucket_head_outside)
{
	hostile_htab_btf(_metadata, "hlist_nulls_head", 64, 40);
}

/* Known answers of lookup3's hashlittle(), which is the kernel's jhash(). */
TEST(jhash)
{
	static const char four[] = "Four score and seven years ago";

	EXPECT_EQ(0xdeadbeefU, bpfpoke_jhash("", 0, 0));
	EXPECT_EQ(0xbd5b7ddeU, bpfpoke_jhash("", 0, 0xdeadbeef));
	EXPECT_EQ(0x17770551U, bpfpoke_jhash(four, 30, 0));
	EXPECT_EQ(0xcd628161U, bpfpoke_jhash(four, 30, 1));
}

TEST_F(guest, htab_iterate)
{
	const struct sy_htab *h = &self->sy.ht;
	const struct bpfpoke_map_info *maps, *m;
	unsigned int order[SY_HT_MAX], n, i, idx[SY_HT_MAX];
	unsigned char v[16];
	struct got g;
	size_t nr;
	__u32 b;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("hash", bpfpoke_map_type_str(self->s, m->type));
	/* The synthetic table is what the test needs: collisions, gaps. */
	ASSERT_EQ(10, h->nr);
	EXPECT_EQ(4, htab_chain(h, 3, idx));
	EXPECT_EQ(0, htab_chain(h, 1, idx));
	EXPECT_EQ(0, bpfpoke_map_elem_supported(self->s, m)) TH_LOG("%s", warnings);

	memset(&g, 0, sizeof(g));
	g.key_size = 6;
	g.value_size = 12;
	ASSERT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g)) TH_LOG("%s", warnings);
	n = htab_order(h, order);
	ASSERT_EQ(n, g.nr);
	for (i = 0; i < n; i++) {
		unsigned int k = order[i];

		EXPECT_EQ(0, memcmp(h->key[k], g.key[i], 6)) TH_LOG("element %u", i);
		sy_elem_value(SY_ID_HTAB, k, 0, v, 12);
		EXPECT_TRUE(g.has_val[i]);
		EXPECT_EQ(0, memcmp(v, g.val[i], 12)) TH_LOG("element %u", i);
		EXPECT_EQ(h->elem[k], g.e[i].kva);
		EXPECT_EQ(h->elem[k] + SY_ELEM_KEY + 8, g.e[i].value_kva);
		EXPECT_EQ(h->hash[k], g.e[i].hash);
		EXPECT_FALSE(g.e[i].percpu);
		/* The value again, through the element. */
		memset(v + 12, 0, 4);
		ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &g.e[i], 0, 4,
						   g.val[i], 8));
		EXPECT_EQ(0, memcmp(v + 4, g.val[i], 8));
	}
	/* Bucket order: never back to a lower bucket. */
	for (i = 1; i < n; i++) {
		b = g.e[i].hash & 7;
		EXPECT_LE(g.e[i - 1].hash & 7, b);
	}
	EXPECT_STREQ("", warnings);

	/* Out of the value, or a CPU of a map that has none. */
	EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &g.e[0], 0, 8, v, 5));
	EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &g.e[0], 0, 13, v, 1));
	EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &g.e[0], 1, 0, v, 4));
	EXPECT_EQ(-EINVAL, bpfpoke_map_elem_read(self->s, m, &g.e[0], 0, 0, v, 0));

	/* What the callback returns stops the walk and is returned. */
	memset(&g, 0, sizeof(g));
	g.key_size = 6;
	g.value_size = 12;
	g.stop = 3;
	EXPECT_EQ(42, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(3, g.nr);
	EXPECT_EQ(-EINVAL, bpfpoke_map_iterate(self->s, m, NULL, &g));

	/* An LRU hash map is walked the same way. */
	ASSERT_EQ(0, kpoke32(&self->sy, h->kva + SY_MAP_TYPE, SY_TYPE_LRU_HASH));
	ASSERT_EQ(0, bpfpoke_maps_refresh(self->s));
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("lru_hash", bpfpoke_map_type_str(self->s, m->type));
	memset(&g, 0, sizeof(g));
	g.key_size = 6;
	g.value_size = 12;
	ASSERT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g)) TH_LOG("%s", warnings);
	ASSERT_EQ(n, g.nr);
	for (i = 0; i < n; i++)
		EXPECT_EQ(h->elem[order[i]], g.e[i].kva);
}

TEST_F(guest, htab_lookup)
{
	const struct sy_htab *h = &self->sy.ht;
	const struct bpfpoke_map_info *maps, *m;
	struct bpfpoke_map_elem e;
	unsigned char k[8], v[12], got[12];
	unsigned int i, idx[SY_HT_MAX];
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	/* Every key, the ones that share bucket 3 too. */
	ASSERT_EQ(4, htab_chain(h, 3, idx));
	for (i = 0; i < h->nr; i++) {
		memset(&e, 0xff, sizeof(e));
		ASSERT_EQ(0, bpfpoke_map_lookup(self->s, m, h->key[i], &e))
			TH_LOG("key %u: %s", i, warnings);
		EXPECT_EQ(h->elem[i], e.kva);
		EXPECT_EQ(h->elem[i] + SY_ELEM_KEY + 8, e.value_kva);
		EXPECT_EQ(h->hash[i], e.hash);
		EXPECT_FALSE(e.percpu);
		ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &e, 0, 0, got, 12));
		sy_elem_value(SY_ID_HTAB, i, 0, v, 12);
		EXPECT_EQ(0, memcmp(v, got, 12)) TH_LOG("key %u", i);
	}
	/* Missing: in a crowded bucket, in an empty one. */
	missing_key(h, 3, k);
	EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, k, &e));
	EXPECT_EQ(ENOENT, errno);
	missing_key(h, 1, k);
	EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, k, &e));
	/* A key that differs from one present only in its last byte. */
	memcpy(k, h->key[idx[1]], 6);
	k[5] ^= 1;
	EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, k, &e));
	EXPECT_EQ(-EINVAL, bpfpoke_map_lookup(self->s, m, NULL, &e));
	EXPECT_EQ(-EINVAL, bpfpoke_map_lookup(self->s, m, k, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_map_lookup(NULL, m, k, &e));
	EXPECT_STREQ("", warnings);
}

/* Array maps by index, through the same functions. */
TEST_F(guest, array_elems)
{
	const struct bpfpoke_map_info *maps, *m;
	struct bpfpoke_map_elem e;
	__u32 key = 1, x;
	struct got g;
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, 3);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, bpfpoke_map_lookup(self->s, m, &key, &e));
	EXPECT_EQ(m->value_kva + 8, e.kva);
	EXPECT_FALSE(e.percpu);
	ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &e, 0, 0, &x, 4));
	EXPECT_EQ(0x22222222, x);
	key = 2;
	EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, &key, &e));
	memset(&g, 0, sizeof(g));
	g.key_size = 4;
	g.value_size = 4;
	ASSERT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g));
	ASSERT_EQ(2, g.nr);
	memcpy(&x, g.val[0], 4);
	EXPECT_EQ(0x11111111, x);
	memcpy(&x, g.key[1], 4);
	EXPECT_EQ(1, x);
}

TEST_F(guest, percpu_array)
{
	const struct bpfpoke_map_info *maps, *m;
	struct bpfpoke_map_elem e;
	unsigned char v[12], got[12];
	__u32 i, cpu, ncpu = 0;
	struct got g;
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_PCPU_ARRAY);
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("percpu_array", bpfpoke_map_type_str(self->s, m->type));
	EXPECT_EQ(0, bpfpoke_map_elem_supported(self->s, m)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_map_nr_cpus(self->s, &ncpu)) TH_LOG("%s", warnings);
	EXPECT_EQ(SY_NR_CPUS, ncpu);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, bpfpoke_map_lookup(self->s, m, &i, &e)) TH_LOG("%s", warnings);
		EXPECT_TRUE(e.percpu);
		EXPECT_EQ(self->sy.parr_kva + SY_ARRAY_VALUE + 8 * i, e.kva);
		EXPECT_EQ(self->sy.parr_pptr[i], e.value_kva);
		for (cpu = 0; cpu < SY_NR_CPUS; cpu++) {
			ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &e, cpu, 0,
							   got, 12))
				TH_LOG("index %u cpu %u: %s", i, cpu, warnings);
			sy_elem_value(SY_ID_PCPU_ARRAY, i, cpu, v, 12);
			EXPECT_EQ(0, memcmp(v, got, 12)) TH_LOG("index %u cpu %u", i, cpu);
		}
		/* Part of a value. */
		ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &e, 3, 10, got, 2));
		sy_elem_value(SY_ID_PCPU_ARRAY, i, 3, v, 12);
		EXPECT_EQ(0, memcmp(v + 10, got, 2));
		EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &e, SY_NR_CPUS,
							 0, got, 12));
		EXPECT_EQ(ERANGE, errno);
		EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &e, ~0U, 0,
							 got, 12));
		EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &e, 0, 4,
							 got, 12));
	}
	EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, &i, &e));
	/* Iterated: every index, the values left to bpfpoke_map_elem_read(). */
	memset(&g, 0, sizeof(g));
	g.key_size = 4;
	g.value_size = 12;
	ASSERT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g));
	ASSERT_EQ(3, g.nr);
	for (i = 0; i < 3; i++) {
		__u32 k;

		memcpy(&k, g.key[i], 4);
		EXPECT_EQ(i, k);
		EXPECT_FALSE(g.has_val[i]);
		EXPECT_TRUE(g.e[i].percpu);
		EXPECT_EQ(self->sy.parr_pptr[i], g.e[i].value_kva);
	}
	ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &g.e[2], 1, 0, got, 12));
	sy_elem_value(SY_ID_PCPU_ARRAY, 2, 1, v, 12);
	EXPECT_EQ(0, memcmp(v, got, 12));
	EXPECT_STREQ("", warnings);
}

TEST_F(guest, percpu_hash)
{
	const struct sy_htab *h = &self->sy.pht;
	const struct bpfpoke_map_info *maps, *m;
	unsigned int order[SY_HT_MAX], n, i, cpu;
	struct bpfpoke_map_elem e;
	unsigned char v[8], got[8], k[4];
	struct got g;
	size_t nr;
	int round;

	OPEN_ELEM(0);
	for (round = 0; round < 2; round++) {
		m = find(maps, nr, SY_ID_PCPU_HASH);
		ASSERT_NE(NULL, m);
		EXPECT_STREQ(round ? "lru_percpu_hash" : "percpu_hash",
			     bpfpoke_map_type_str(self->s, m->type));
		ASSERT_EQ(4, h->nr);
		memset(&g, 0, sizeof(g));
		g.key_size = 4;
		g.value_size = 8;
		ASSERT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g))
			TH_LOG("%s", warnings);
		n = htab_order(h, order);
		ASSERT_EQ(n, g.nr);
		for (i = 0; i < n; i++) {
			unsigned int x = order[i];

			EXPECT_EQ(0, memcmp(h->key[x], g.key[i], 4));
			EXPECT_FALSE(g.has_val[i]);
			EXPECT_TRUE(g.e[i].percpu);
			EXPECT_EQ(h->elem[x], g.e[i].kva);
			EXPECT_EQ(h->pptr[x], g.e[i].value_kva);
			for (cpu = 0; cpu < SY_NR_CPUS; cpu++) {
				ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &g.e[i],
								   cpu, 0, got, 8));
				sy_elem_value(SY_ID_PCPU_HASH, x, cpu, v, 8);
				EXPECT_EQ(0, memcmp(v, got, 8))
					TH_LOG("element %u cpu %u", x, cpu);
			}
		}
		for (i = 0; i < h->nr; i++) {
			ASSERT_EQ(0, bpfpoke_map_lookup(self->s, m, h->key[i], &e));
			EXPECT_EQ(h->elem[i], e.kva);
			EXPECT_TRUE(e.percpu);
			ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &e, 2, 0, got, 8));
			sy_elem_value(SY_ID_PCPU_HASH, i, 2, v, 8);
			EXPECT_EQ(0, memcmp(v, got, 8));
			EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, m, &e,
								 SY_NR_CPUS, 0,
								 got, 8));
		}
		missing_key(h, 0, k);
		EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, k, &e));
		EXPECT_STREQ("", warnings);
		/* The LRU flavour: the same walk. */
		ASSERT_EQ(0, kpoke32(&self->sy, h->kva + SY_MAP_TYPE,
				     SY_TYPE_LRU_PERCPU_HASH));
		ASSERT_EQ(0, bpfpoke_maps_refresh(self->s));
		ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	}
}

/* A chain that comes back on itself: bounded, -ELOOP. */
TEST_F(guest, htab_chain_cycle)
{
	const struct sy_htab *h = &self->sy.ht;
	const struct bpfpoke_map_info *maps, *m;
	unsigned int idx[SY_HT_MAX], n;
	struct bpfpoke_map_elem e;
	unsigned char k[8];
	struct got g;
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	/* Bucket 3's last element leads back to its first. */
	n = htab_chain(h, 3, idx);
	ASSERT_EQ(4, n);
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[n - 1]] + SY_ELEM_NODE,
			     h->elem[idx[0]] + SY_ELEM_NODE));
	memset(&g, 0, sizeof(g));
	g.key_size = 6;
	g.value_size = 12;
	EXPECT_EQ(-ELOOP, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(ELOOP, errno);
	EXPECT_NE(NULL, strstr(warnings, "bucket 3's chain comes back to an element it passed"))
		TH_LOG("%s", warnings);
	/* Buckets before it were given (0 and 2), none after. */
	EXPECT_EQ(3, g.nr);
	EXPECT_EQ(-ELOOP, bpfpoke_map_lookup(self->s, m, h->key[idx[2]], &e));
	missing_key(h, 3, k);
	EXPECT_EQ(-ELOOP, bpfpoke_map_lookup(self->s, m, k, &e));
	/* Other buckets are still fine. */
	ASSERT_EQ(1, htab_chain(h, 7, idx));
	EXPECT_EQ(0, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));

	/* An element that is its own next. */
	n = htab_chain(h, 3, idx);
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[n - 1]] + SY_ELEM_NODE, 8));
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[1]] + SY_ELEM_NODE,
			     h->elem[idx[1]] + SY_ELEM_NODE));
	EXPECT_EQ(-ELOOP, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	EXPECT_EQ(-ELOOP, bpfpoke_map_iterate(self->s, m, collect, &g));
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[1]] + SY_ELEM_NODE, 8));
	EXPECT_EQ(0, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));

	/*
	 * Found as a cycle, not by its length: with values of 1 MiB and
	 * max_entries 0x7fffffff, walking until the chain is longer than
	 * the map can hold would buffer gigabytes.
	 */
	ASSERT_EQ(0, kpoke32(&self->sy, h->kva + SY_MAP_VALUE_SIZE, 1U << 20));
	ASSERT_EQ(0, kpoke32(&self->sy, h->kva + SY_MAP_MAX_ENTRIES, 0x7fffffff));
	ASSERT_EQ(0, kpoke32(&self->sy, h->kva + SY_HTAB_ELEM_SIZE,
			     SY_ELEM_HDR + 8 + (1U << 20)));
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[0]] + SY_ELEM_NODE,
			     h->elem[idx[0]] + SY_ELEM_NODE));
	ASSERT_EQ(0, bpfpoke_maps_refresh(self->s));
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(1U << 20, m->value_size);
	EXPECT_EQ(-ELOOP, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	EXPECT_EQ(-ELOOP, bpfpoke_map_iterate(self->s, m, collect, &g));
}

/* An element whose hash is not its key's: -EBADMSG. */
TEST_F(guest, htab_bad_hash)
{
	const struct sy_htab *h = &self->sy.ht;
	const struct bpfpoke_map_info *maps, *m;
	unsigned int idx[SY_HT_MAX];
	struct bpfpoke_map_elem e;
	unsigned char c;
	struct got g;
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(2, htab_chain(h, 6, idx));
	/* The key changed under its hash (the hash still picks bucket 6). */
	c = h->key[idx[1]][5] ^ 0xff;
	ASSERT_EQ(0, kpoke(&self->sy, h->elem[idx[1]] + SY_ELEM_KEY + 5, &c, 1));
	memset(&g, 0, sizeof(g));
	g.key_size = 6;
	g.value_size = 12;
	EXPECT_EQ(-EBADMSG, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_NE(NULL, strstr(warnings, "bucket 6 has a hash that is not its key's"))
		TH_LOG("%s", warnings);
	EXPECT_EQ(-EBADMSG, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[1]] + SY_ELEM_KEY + 5, 1));
	EXPECT_EQ(0, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));

	/* The hash changed in bits the bucket does not use. */
	ASSERT_EQ(0, kpoke32(&self->sy, h->elem[idx[0]] + SY_ELEM_HASH,
			     h->hash[idx[0]] ^ 0x100));
	EXPECT_EQ(-EBADMSG, bpfpoke_map_lookup(self->s, m, h->key[idx[1]], &e));
	EXPECT_EQ(-EBADMSG, bpfpoke_map_iterate(self->s, m, collect, &g));
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[0]] + SY_ELEM_HASH, 4));
	memset(&g, 0, sizeof(g));
	g.key_size = 6;
	g.value_size = 12;
	EXPECT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(h->nr, g.nr);
}

/* Chains that end or wander into another bucket: walked again, -EAGAIN. */
TEST_F(guest, htab_moved)
{
	const struct sy_htab *h = &self->sy.ht;
	const struct bpfpoke_map_info *maps, *m;
	unsigned int idx[SY_HT_MAX], n;
	struct bpfpoke_map_elem e;
	unsigned char k[8];
	struct got g;
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	g.key_size = 6;
	g.value_size = 12;
	n = htab_chain(h, 3, idx);
	ASSERT_EQ(4, n);

	/* Bucket 3's chain ends in bucket 4's nulls marker. */
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[n - 1]] + SY_ELEM_NODE,
			     4 << 1 | 1));
	g.nr = 0;
	EXPECT_EQ(-EAGAIN, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_NE(NULL, strstr(warnings, "bucket 3 kept changing while it was walked"))
		TH_LOG("%s", warnings);
	EXPECT_EQ(-EAGAIN, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[n - 1]] + SY_ELEM_NODE, 8));
	EXPECT_EQ(0, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));

	/* Empty bucket 1 holds bucket 2's marker. */
	ASSERT_EQ(0, kpoke64(&self->sy, htab_head(h, 1), 2 << 1 | 1));
	g.nr = 0;
	EXPECT_EQ(-EAGAIN, bpfpoke_map_iterate(self->s, m, collect, &g));
	missing_key(h, 1, k);
	EXPECT_EQ(-EAGAIN, bpfpoke_map_lookup(self->s, m, k, &e));
	ASSERT_EQ(0, krestore(&self->sy, htab_head(h, 1), 8));
	EXPECT_EQ(-ENOENT, bpfpoke_map_lookup(self->s, m, k, &e));

	/* Empty bucket 4 leads to bucket 3's elements. */
	ASSERT_EQ(0, kpoke64(&self->sy, htab_head(h, 4),
			     h->elem[idx[0]] + SY_ELEM_NODE));
	g.nr = 0;
	EXPECT_EQ(-EAGAIN, bpfpoke_map_iterate(self->s, m, collect, &g));
	missing_key(h, 4, k);
	EXPECT_EQ(-EAGAIN, bpfpoke_map_lookup(self->s, m, k, &e));
	ASSERT_EQ(0, krestore(&self->sy, htab_head(h, 4), 8));

	/* An element whose hash picks another bucket than the one it is in. */
	ASSERT_EQ(0, kpoke32(&self->sy, h->elem[idx[2]] + SY_ELEM_HASH,
			     h->hash[idx[2]] ^ 1));
	g.nr = 0;
	EXPECT_EQ(-EAGAIN, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(-EAGAIN, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	/* A node pointer that is no kernel address, or not aligned. */
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[2]] + SY_ELEM_HASH, 4));
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[1]] + SY_ELEM_NODE,
			     0x00007fff12345000ULL));
	EXPECT_EQ(-EAGAIN, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[1]] + SY_ELEM_NODE,
			     h->elem[idx[2]] + SY_ELEM_NODE + 4));
	EXPECT_EQ(-EAGAIN, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	/* A canonical one that nothing maps: the read fails. */
	ASSERT_EQ(0, kpoke64(&self->sy, h->elem[idx[1]] + SY_ELEM_NODE,
			     self->sy.vmalloc_base + (1ULL << 34)));
	EXPECT_EQ(-EFAULT, bpfpoke_map_lookup(self->s, m, h->key[idx[0]], &e));
	ASSERT_EQ(0, krestore(&self->sy, h->elem[idx[1]] + SY_ELEM_NODE, 8));
	g.nr = 0;
	EXPECT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(h->nr, g.nr);
}

/* A struct bpf_htab that does not add up: -EPROTO, -E2BIG. */
TEST_F(guest, htab_bad_geometry)
{
	static const struct { __u32 off, v; int err; } cases[] = {
		{ SY_HTAB_N_BUCKETS, 6, -EPROTO },
		{ SY_HTAB_N_BUCKETS, 0, -EPROTO },
		{ SY_HTAB_N_BUCKETS, BPFPOKE_MAX_BUCKETS - 1, -EPROTO },
		{ SY_HTAB_N_BUCKETS, 0x80000001, -E2BIG },
		{ SY_HTAB_N_BUCKETS, 1U << 25, -E2BIG },
		{ SY_HTAB_N_BUCKETS, 1U << 31, -E2BIG },
		{ SY_HTAB_ELEM_SIZE, 32 + 8 + 16 + 8, -EPROTO },
		{ SY_HTAB_ELEM_SIZE, 32 + 8 + 8, -EPROTO },
		{ SY_HTAB_ELEM_SIZE, 0, -EPROTO },
	};
	const struct sy_htab *h = &self->sy.ht;
	const struct bpfpoke_map_info *maps, *m;
	struct bpfpoke_map_elem e;
	struct got g;
	unsigned int i;
	size_t nr;

	OPEN_ELEM(0);
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	g.key_size = 6;
	g.value_size = 12;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, kpoke32(&self->sy, h->kva + cases[i].off, cases[i].v));
		g.nr = 0;
		EXPECT_EQ(cases[i].err, bpfpoke_map_iterate(self->s, m, collect, &g))
			TH_LOG("case %u", i);
		EXPECT_EQ(-cases[i].err, errno);
		EXPECT_EQ(0, g.nr);
		EXPECT_EQ(cases[i].err, bpfpoke_map_lookup(self->s, m, h->key[0], &e))
			TH_LOG("case %u", i);
		ASSERT_EQ(0, krestore(&self->sy, h->kva + cases[i].off, 4));
	}
	EXPECT_NE(NULL, strstr(warnings, "bpf_htab.n_buckets is 6, not a power of two"))
		TH_LOG("%s", warnings);
	EXPECT_NE(NULL, strstr(warnings, "elem_size is 64, not the 56 its key and value take"))
		TH_LOG("%s", warnings);

	/* The bucket array: not a kernel address; nothing there. */
	ASSERT_EQ(0, kpoke64(&self->sy, h->kva + SY_HTAB_BUCKETS, 0x00007f0000001000ULL));
	EXPECT_EQ(-EPROTO, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(-EPROTO, bpfpoke_map_lookup(self->s, m, h->key[0], &e));
	ASSERT_EQ(0, kpoke64(&self->sy, h->kva + SY_HTAB_BUCKETS, 0xfffffffffffffff0ULL));
	EXPECT_EQ(-EPROTO, bpfpoke_map_iterate(self->s, m, collect, &g));
	ASSERT_EQ(0, kpoke64(&self->sy, h->kva + SY_HTAB_BUCKETS,
			     self->sy.vmalloc_base + (1ULL << 34)));
	EXPECT_EQ(-EFAULT, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(-EFAULT, bpfpoke_map_lookup(self->s, m, h->key[0], &e));
	ASSERT_EQ(0, krestore(&self->sy, h->kva + SY_HTAB_BUCKETS, 8));
	g.nr = 0;
	EXPECT_EQ(0, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(h->nr, g.nr);
}

/* nr_cpu_ids that is no CPU count: -E2BIG, until it is one. */
TEST_F(guest, percpu_bad_nr_cpu_ids)
{
	static const __u32 bad[] = { 0, BPFPOKE_MAX_CPUS + 1, 0xffffffff };
	const struct bpfpoke_map_info *maps, *arr, *ph;
	const struct sy_htab *h = &self->sy.pht;
	__u64 nr_kva = SY_TEXT_KVA + SY_OFF_NR_CPU_IDS;
	struct bpfpoke_map_elem e, he;
	unsigned char v[12], got[12];
	__u32 key = 1, n;
	unsigned int i;
	size_t nr;

	OPEN_ELEM(0);
	arr = find(maps, nr, SY_ID_PCPU_ARRAY);
	ph = find(maps, nr, SY_ID_PCPU_HASH);
	ASSERT_NE(NULL, arr);
	ASSERT_NE(NULL, ph);
	/* Finding the elements needs no CPU count. */
	ASSERT_EQ(0, bpfpoke_map_lookup(self->s, arr, &key, &e));
	ASSERT_EQ(0, bpfpoke_map_lookup(self->s, ph, h->key[0], &he));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, kpoke32(&self->sy, nr_kva, bad[i]));
		EXPECT_EQ(-E2BIG, bpfpoke_map_nr_cpus(self->s, &n)) TH_LOG("%u", bad[i]);
		EXPECT_EQ(E2BIG, errno);
		EXPECT_EQ(-E2BIG, bpfpoke_map_elem_read(self->s, arr, &e, 0, 0, got, 12));
		EXPECT_EQ(-E2BIG, bpfpoke_map_elem_read(self->s, ph, &he, 0, 0, got, 8));
	}
	EXPECT_NE(NULL, strstr(warnings, "nr_cpu_ids is 0: not a CPU count"))
		TH_LOG("%s", warnings);
	/* The most CPUs there may be: offsets past ours are 0, not mapped. */
	ASSERT_EQ(0, kpoke32(&self->sy, nr_kva, BPFPOKE_MAX_CPUS));
	ASSERT_EQ(0, bpfpoke_map_nr_cpus(self->s, &n));
	EXPECT_EQ(BPFPOKE_MAX_CPUS, n);
	ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, arr, &e, 3, 0, got, 12));
	sy_elem_value(SY_ID_PCPU_ARRAY, 1, 3, v, 12);
	EXPECT_EQ(0, memcmp(v, got, 12));
	EXPECT_EQ(-EFAULT, bpfpoke_map_elem_read(self->s, arr, &e, SY_NR_CPUS,
						 0, got, 12));
	EXPECT_EQ(-ERANGE, bpfpoke_map_elem_read(self->s, arr, &e,
						 BPFPOKE_MAX_CPUS, 0, got, 12));
	/* Read once per session: a change later is not seen. */
	ASSERT_EQ(0, kpoke32(&self->sy, nr_kva, 0));
	ASSERT_EQ(0, bpfpoke_map_nr_cpus(self->s, &n));
	EXPECT_EQ(BPFPOKE_MAX_CPUS, n);
	EXPECT_EQ(-EINVAL, bpfpoke_map_nr_cpus(self->s, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_map_nr_cpus(NULL, &n));
}

/* Types without lookups, per-CPU maps without the symbols: -EOPNOTSUPP. */
TEST_F(guest, elem_unsupported)
{
	const struct bpfpoke_map_info *maps, *m;
	struct bpfpoke_map_elem e;
	char path[128], line[256];
	__u64 key = 0;
	FILE *in, *out;
	struct got g;
	size_t nr;
	__u32 n;

	OPEN_ELEM(0);
	m = find(maps, nr, 70);
	ASSERT_NE(NULL, m);
	g.key_size = 8;
	g.value_size = 8;
	g.nr = 0;
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_elem_supported(self->s, m));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_NE(NULL, strstr(warnings, "map 70 'future': lookups in future_thing maps"))
		TH_LOG("%s", warnings);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_lookup(self->s, m, &key, &e));
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_iterate(self->s, m, collect, &g));
	EXPECT_EQ(0, g.nr);
	EXPECT_EQ(-EINVAL, bpfpoke_map_elem_supported(self->s, NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_map_elem_supported(NULL, m));
	bpfpoke_session_close(self->s);
	self->s = NULL;

	/* A symbols file without __per_cpu_offset and nr_cpu_ids. */
	snprintf(path, sizeof(path), "%s/syms", self->dir);
	in = fopen(self->sy.sym_path, "r");
	ASSERT_NE(NULL, in);
	out = fopen(path, "w");
	ASSERT_NE(NULL, out);
	while (fgets(line, sizeof(line), in))
		if (!strstr(line, " __per_cpu_offset") && !strstr(line, " nr_cpu_ids"))
			fputs(line, out);
	fclose(in);
	ASSERT_EQ(0, fclose(out));
	snprintf(self->sy.sym_path, sizeof(self->sy.sym_path), "%s", path);
	self->s = synth_session(&self->sy, 0);
	ASSERT_NE(NULL, self->s) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	warnings[0] = 0;
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_nr_cpus(self->s, &n));
	m = find(maps, nr, SY_ID_PCPU_ARRAY);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_elem_supported(self->s, m));
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_lookup(self->s, m, &key, &e));
	EXPECT_NE(NULL, strstr(warnings, "need the symbols __per_cpu_offset and nr_cpu_ids"))
		TH_LOG("%s", warnings);
	m = find(maps, nr, SY_ID_PCPU_HASH);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EOPNOTSUPP, bpfpoke_map_iterate(self->s, m, collect, &g));
	/* Maps without per-CPU values do not need them. */
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(0, bpfpoke_map_elem_supported(self->s, m));
	EXPECT_EQ(0, bpfpoke_map_lookup(self->s, m, self->sy.ht.key[0], &e));
}

/* Zero-config: the per-CPU symbols come from the guest's kallsyms. */
TEST_F(guest, elem_zero_config)
{
	const struct bpfpoke_map_info *maps, *m;
	struct bpfpoke_map_elem e;
	unsigned char v[12], got[12];
	__u32 key = 2, n;
	size_t nr;

	ASSERT_EQ(0, synth_add_elem_maps(&self->sy));
	synth_add_kallsyms(&self->sy, 3);
	synth_add_vmcoreinfo(&self->sy, SY_VMCOREINFO_GPA, SY_RELEASE);
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	self->s = memory_only(&self->sy);
	ASSERT_NE(NULL, self->s);
	ASSERT_EQ(0, bpfpoke_session_load(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_map_nr_cpus(self->s, &n)) TH_LOG("%s", warnings);
	EXPECT_EQ(SY_NR_CPUS, n);
	m = find(maps, nr, SY_ID_PCPU_ARRAY);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, bpfpoke_map_lookup(self->s, m, &key, &e));
	ASSERT_EQ(0, bpfpoke_map_elem_read(self->s, m, &e, 1, 0, got, 12));
	sy_elem_value(SY_ID_PCPU_ARRAY, 2, 1, v, 12);
	EXPECT_EQ(0, memcmp(v, got, 12));
	m = find(maps, nr, SY_ID_HTAB);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, bpfpoke_map_lookup(self->s, m, self->sy.ht.key[4], &e))
		TH_LOG("%s", warnings);
	EXPECT_EQ(self->sy.ht.elem[4], e.kva);
}

/* Inputs and options */

static int write_text(const char *path, const char *text)
{
	return sy_write_file(path, text, strlen(text));
}

TEST_F(guest, symbols_files)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts);
	char path[128];

	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	snprintf(path, sizeof(path), "%s/syms", self->dir);
	opts.btf = self->sy.btf_path;
	opts.symbols = path;
	opts.mem_file = self->sy.mem_path;

	/* kallsyms read without privileges: all addresses 0. */
	ASSERT_EQ(0, write_text(path, "0000000000000000 T _text\n"
			     "0000000000000000 D linux_banner\n"
			     "0000000000000000 D init_top_pgt\n"
			     "0000000000000000 d map_idr\n"));
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(ENODATA, errno);
	/* A needed symbol missing. */
	ASSERT_EQ(0, write_text(path, "ffffffff81000000 T _text\n"
			     "ffffffff82000000 D linux_banner\n"
			     "ffffffff82200000 D init_top_pgt\n"));
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(ENOENT, errno);
	/* Two addresses for one needed name. */
	ASSERT_EQ(0, write_text(path, "ffffffff81000000 T _text\n"
			     "ffffffff82000000 D linux_banner\n"
			     "ffffffff82200000 D init_top_pgt\n"
			     "ffffffff82300000 d map_idr\n"
			     "ffffffff82400000 d map_idr\n"));
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(ENOTUNIQ, errno);
	/* Outside the image. */
	ASSERT_EQ(0, write_text(path, "ffffffff81000000 T _text\n"
			     "ffffffff82000000 D linux_banner\n"
			     "ffffffff82200000 D init_top_pgt\n"
			     "ffffffffc2300000 d map_idr\n"));
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(EINVAL, errno);
	/* Not a symbols file at all. */
	ASSERT_EQ(0, write_text(path, "\x7f" "ELF garbage\nmore garbage\n"));
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(EINVAL, errno);
	/* System.map style, no trailing newline, CRLF: fine. */
	ASSERT_EQ(0, write_text(path, "ffffffff81000000 T _text\r\n"
			     "ffffffff82000000 D linux_banner\r\n"
			     "ffffffff82200000 D init_top_pgt\r\n"
			     "ffffffff82300000 d map_idr"));
	self->s = bpfpoke_session_open(&opts);
	EXPECT_NE(NULL, self->s) TH_LOG("%s", warnings);
	/* No such file. */
	opts.symbols = "/nonexistent/kallsyms";
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(guest, kernel_btf_unusable)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts);
	struct btf *b;
	const void *raw;
	__u32 size;

	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	/* A BTF without struct bpf_map. */
	b = btf__new_empty();
	ASSERT_GT(btf__add_int(b, "int", 4, BTF_INT_SIGNED), 0);
	raw = btf__raw_data(b, &size);
	ASSERT_EQ(0, sy_write_file(self->sy.btf_path, raw, size));
	btf__free(b);
	opts.btf = self->sy.btf_path;
	opts.symbols = self->sy.sym_path;
	opts.mem_file = self->sy.mem_path;
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(NULL, strstr(warnings, "vmlinux BTF: no usable struct"));
	/* Not BTF at all. */
	ASSERT_EQ(0, write_text(self->sy.btf_path, "not btf"));
	EXPECT_EQ(NULL, bpfpoke_session_open(&opts));
	EXPECT_NE(0, errno);
}

TEST(opts)
{
	struct {
		struct bpfpoke_session_opts o;
		char extra[8];
	} big;

	BPFPOKE_OPTS(bpfpoke_session_opts, none);
	BPFPOKE_OPTS(bpfpoke_session_opts, both, .vmlinux = "/v",
		     .btf = "/b", .symbols = "/s", .mem_file = "/m");
	BPFPOKE_OPTS(bpfpoke_session_opts, two_mem, .btf = "/b",
		     .symbols = "/s", .mem_file = "/m", .vm_pid = 1);
	BPFPOKE_OPTS(bpfpoke_session_opts, flags, .btf = "/b",
		     .symbols = "/s", .mem_file = "/m", .flags = 1U << 31);
	BPFPOKE_OPTS(bpfpoke_session_opts, split_vm, .btf = "/b",
		     .symbols = "/s", .vm_pid = 1, .mem_file_below_4g = 4096);

	EXPECT_EQ(NULL, bpfpoke_session_open(NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_session_open(&none));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_session_open(&both));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_session_open(&two_mem));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_session_open(&flags));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, bpfpoke_session_open(&split_vm));
	EXPECT_EQ(EINVAL, errno);
	/* A newer caller's struct: unknown bytes must be zero. */
	memset(&big, 0, sizeof(big));
	big.o = two_mem;
	big.o.vm_pid = 0;
	big.o.sz = sizeof(big);
	big.extra[3] = 1;
	EXPECT_EQ(NULL, bpfpoke_session_open(&big.o));
	EXPECT_EQ(EINVAL, errno);
	big.o.sz = 4;
	EXPECT_EQ(NULL, bpfpoke_session_open(&big.o));
	EXPECT_EQ(EINVAL, errno);
	/* NULL sessions. */
	EXPECT_EQ(-EINVAL, bpfpoke_session_attach(NULL));
	EXPECT_EQ(-EINVAL, bpfpoke_maps(NULL, NULL, NULL));
	EXPECT_EQ(NULL, bpfpoke_session_times(NULL));
	bpfpoke_session_close(NULL);
}

TEST(q35_rule)
{
	EXPECT_EQ(512ULL << 20, bpfpoke_q35_below_4g(512ULL << 20, 0));
	EXPECT_EQ(0xafffffffULL, bpfpoke_q35_below_4g(0xafffffffULL, 0));
	/* From 2.75 GiB on, split at 2 GiB. */
	EXPECT_EQ(0x80000000ULL, bpfpoke_q35_below_4g(0xb0000000ULL, 0));
	EXPECT_EQ(0x80000000ULL, bpfpoke_q35_below_4g(8ULL << 30, 0));
	/* max-ram-below-4g lowers the split, never raises it. */
	EXPECT_EQ(1ULL << 30, bpfpoke_q35_below_4g(8ULL << 30, 1ULL << 30));
	EXPECT_EQ(256ULL << 20, bpfpoke_q35_below_4g(512ULL << 20, 256ULL << 20));
	EXPECT_EQ(0x80000000ULL, bpfpoke_q35_below_4g(8ULL << 30, 3ULL << 30));
	EXPECT_EQ(512ULL << 20, bpfpoke_q35_below_4g(512ULL << 20, 1ULL << 30));
}

/* A sparse 3 GiB file: q35 splits it at 2 GiB. */
TEST(mem_file_layout)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts, .btf = "/b", .symbols = "/s");
	char path[] = "/tmp/bpfpoke-ram.XXXXXX";
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 3ULL << 30));
	ASSERT_EQ(8, pwrite(fd, "low-end!", 8, (2ULL << 30) - 8));
	ASSERT_EQ(8, pwrite(fd, "high-0!!", 8, 2ULL << 30));
	close(fd);
	/*
	 * The description files are not read before attach fails or
	 * succeeds; use the library's memory layer through a session
	 * whose kernel description is the synthetic one.
	 */
	{
		struct synth sy;
		struct bpfpoke_session *s;
		const struct bpfpoke_mem_region *r;
		char dir[] = "/tmp/bpfpoke-kmodel.XXXXXX", buf[8];
		unsigned int nr;

		ASSERT_NE(NULL, mkdtemp(dir));
		ASSERT_EQ(0, synth_build(&sy, 4));
		ASSERT_EQ(0, synth_finish(&sy, dir));
		opts.btf = sy.btf_path;
		opts.symbols = sy.sym_path;
		opts.mem_file = path;
		s = bpfpoke_session_open(&opts);
		ASSERT_NE(NULL, s);
		ASSERT_EQ(0, bpfpoke_session_attach(s));
		ASSERT_EQ(0, bpfpoke_session_regions(s, &r, &nr));
		ASSERT_EQ(2, nr);
		EXPECT_EQ(0, r[0].gpa);
		EXPECT_EQ(2ULL << 30, r[0].size);
		EXPECT_EQ(4ULL << 30, r[1].gpa);
		EXPECT_EQ(1ULL << 30, r[1].size);
		ASSERT_EQ(0, bpfpoke_read_phys(s, (2ULL << 30) - 8, buf, 8));
		EXPECT_EQ(0, memcmp(buf, "low-end!", 8));
		ASSERT_EQ(0, bpfpoke_read_phys(s, 4ULL << 30, buf, 8));
		EXPECT_EQ(0, memcmp(buf, "high-0!!", 8));
		/* The PCI hole is no RAM. */
		EXPECT_EQ(-EFAULT, bpfpoke_read_phys(s, 3ULL << 30, buf, 8));
		/* Nor is a read that runs from low RAM into the hole. */
		EXPECT_EQ(-EFAULT, bpfpoke_read_phys(s, (2ULL << 30) - 4, buf, 8));
		/* No kernel in an empty file. */
		EXPECT_EQ(-ENOENT, bpfpoke_session_load(s));
		bpfpoke_session_close(s);

		/* An explicit split; and one larger than the file. */
		opts.mem_file_below_4g = 1ULL << 30;
		s = bpfpoke_session_open(&opts);
		ASSERT_NE(NULL, s);
		ASSERT_EQ(0, bpfpoke_session_attach(s));
		ASSERT_EQ(0, bpfpoke_session_regions(s, &r, &nr));
		ASSERT_EQ(2, nr);
		EXPECT_EQ(1ULL << 30, r[0].size);
		EXPECT_EQ(2ULL << 30, r[1].size);
		bpfpoke_session_close(s);
		opts.mem_file_below_4g = 4ULL << 30;
		s = bpfpoke_session_open(&opts);
		ASSERT_NE(NULL, s);
		EXPECT_EQ(-EINVAL, bpfpoke_session_attach(s));
		bpfpoke_session_close(s);
		/* Both ways of giving the split at once. */
		opts.mem_file_below_4g = 1ULL << 30;
		opts.mem_file_max_below_4g = 1ULL << 30;
		s = bpfpoke_session_open(&opts);
		ASSERT_NE(NULL, s);
		EXPECT_EQ(-EINVAL, bpfpoke_session_attach(s));
		bpfpoke_session_close(s);
		/* max-ram-below-4g as QEMU takes it. */
		opts.mem_file_below_4g = 0;
		opts.mem_file_max_below_4g = 512ULL << 20;
		s = bpfpoke_session_open(&opts);
		ASSERT_NE(NULL, s);
		ASSERT_EQ(0, bpfpoke_session_attach(s));
		ASSERT_EQ(0, bpfpoke_session_regions(s, &r, &nr));
		EXPECT_EQ(512ULL << 20, r[0].size);
		bpfpoke_session_close(s);
		/* Not a regular file. */
		opts.mem_file_max_below_4g = 0;
		opts.mem_file = "/tmp";
		s = bpfpoke_session_open(&opts);
		ASSERT_NE(NULL, s);
		EXPECT_EQ(-EINVAL, bpfpoke_session_attach(s));
		bpfpoke_session_close(s);

		synth_free(&sy);
		unlink(sy.btf_path);
		unlink(sy.sym_path);
		rmdir(dir);
	}
	unlink(path);
}

/* Through the module, on a machine without it: the error says so. */
TEST(vm_without_module)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts);
	struct bpfpoke_session *s;
	struct synth sy;
	char dir[] = "/tmp/bpfpoke-kmodel.XXXXXX";
	struct stat st;

	if (!stat("/dev/bpfpoke", &st))
		SKIP(return, "bpfpoke.ko is loaded here");
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, synth_build(&sy, 4));
	ASSERT_EQ(0, synth_finish(&sy, dir));
	opts.btf = sy.btf_path;
	opts.symbols = sy.sym_path;
	opts.vm_pid = getpid();
	warnings[0] = 0;
	bpfpoke_set_print(capture);
	s = bpfpoke_session_open(&opts);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-ENOENT, bpfpoke_session_attach(s));
	EXPECT_NE(NULL, strstr(warnings, "bpfpoke.ko is not loaded"));
	bpfpoke_session_close(s);
	synth_free(&sy);
	unlink(sy.btf_path);
	unlink(sy.sym_path);
	rmdir(dir);
}

TEST_HARNESS_MAIN
