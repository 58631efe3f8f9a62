// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel model through bpfpoke.ko, inside the L1 KVM host: the
 * synthetic guest of selftests/host/synth_image.h is copied into the RAM
 * of a real KVM VM (this process is its VMM), and a session with
 * vm_pid = getpid() finds it through /dev/bpfpoke: pidfd_getfd of our
 * own VM fd, BPFPOKE_GET_REGIONS, BPFPOKE_ACCESS reads and writes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "../host/synth_image.h"

static char warnings[4096];

__attribute__((format(printf, 2, 0)))
static int capture(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	size_t len = strlen(warnings);

	if (level != BPFPOKE_WARN || len >= sizeof(warnings) - 1)
		return 0;
	return vsnprintf(warnings + len, sizeof(warnings) - len, fmt, ap);
}

FIXTURE(kmod) {
	struct kvm_vm *vm;
	struct synth sy;
	char dir[64];
	struct bpfpoke_session *s;
};

FIXTURE_VARIANT(kmod) {
	int levels;
};

FIXTURE_VARIANT_ADD(kmod, four_level) {
	.levels = 4,
};

FIXTURE_VARIANT_ADD(kmod, five_level) {
	.levels = 5,
};

FIXTURE_SETUP(kmod)
{
	struct kvm_vm_opts vo = { .mem_size = SY_RAM_SIZE };

	self->vm = NULL;
	self->s = NULL;
	memset(&self->sy, 0, sizeof(self->sy));
	self->sy.mem_fd = -1;
	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK))
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	snprintf(self->dir, sizeof(self->dir), "/tmp/bpfpoke-kmod.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, synth_build(&self->sy, variant->levels));
	ASSERT_EQ(0, synth_finish(&self->sy, self->dir));
	self->vm = vm_create(&vo);
	/* No vCPU runs: the VM's RAM is just the synthetic guest. */
	memcpy(self->vm->mem, self->sy.ram, SY_RAM_SIZE);
	warnings[0] = 0;
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(kmod)
{
	bpfpoke_session_close(self->s);
	if (self->vm)
		vm_free(self->vm);
	if (self->sy.ram) {
		unlink(self->sy.btf_path);
		unlink(self->sy.sym_path);
		rmdir(self->dir);
	}
	synth_free(&self->sy);
}

static struct bpfpoke_session *open_vm(struct synth *sy, int pid, __u32 flags)
{
	BPFPOKE_OPTS(bpfpoke_session_opts, opts,
		.btf = sy->btf_path,
		.symbols = sy->sym_path,
		.vm_pid = pid,
		.flags = flags,
	);

	return bpfpoke_session_open(&opts);
}

TEST_F(kmod, model_through_module)
{
	const struct bpfpoke_mem_region *r;
	const struct bpfpoke_map_info *maps;
	struct bpfpoke_kernel_info ki;
	unsigned char v[16], w[8] = "\x01\x02\x03\x04\x05\x06\x07\x08";
	struct btf *btf;
	unsigned int nr_r, i;
	size_t nr;

	if (!self->vm)
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	self->s = open_vm(&self->sy, getpid(), BPFPOKE_SESSION_WRITABLE);
	ASSERT_NE(NULL, self->s) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_attach(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_regions(self->s, &r, &nr_r));
	ASSERT_GE(nr_r, 1);
	EXPECT_EQ(0, r[0].gpa);
	EXPECT_EQ(SY_RAM_SIZE, r[0].size);

	ASSERT_EQ(0, bpfpoke_session_load(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_kernel_info(self->s, &ki));
	EXPECT_EQ(SY_TEXT_KVA, ki.text_kva);
	EXPECT_EQ(variant->levels, (int)ki.levels);

	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings);
	ASSERT_EQ(4, nr);
	EXPECT_STREQ("demo.bss", maps[0].name);

	/* The value crosses into a non-adjacent page: two ops, one batch. */
	ASSERT_EQ(0, bpfpoke_map_value_read(self->s, &maps[0], 0, 0, v, 16));
	for (i = 0; i < 16; i++)
		EXPECT_EQ((unsigned char)(i * 37 + 5), v[i]);
	ASSERT_EQ(0, bpfpoke_map_value_write(self->s, &maps[0], 0, 4, w, 8));
	/* The VM's own memory has the bytes, on both pages. */
	for (i = 0; i < 8; i++) {
		__u64 gpa = sy_kva_to_gpa(&self->sy, maps[0].value_kva + 4 + i);

		EXPECT_EQ(w[i], ((unsigned char *)self->vm->mem)[gpa]);
	}
	btf = bpfpoke_map_btf(self->s, &maps[0]);
	ASSERT_NE(NULL, btf) TH_LOG("%s", warnings);
	EXPECT_GT(btf__find_by_name_kind(btf, "crash", BTF_KIND_VAR), 0);
	btf__free(btf);

	/* Outside every memslot. */
	EXPECT_EQ(-EFAULT, bpfpoke_read_phys(self->s, SY_RAM_SIZE, v, 8));
}

/* bpfpoke_write(): one all-or-nothing BPFPOKE_ACCESS. */
TEST_F(kmod, write_batch)
{
	struct bpfpoke_map_write ok[] = {
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "0x0a0b0c0d"),
		BPFPOKE_MAP_WRITE_TEXT(".bss", "stall", "4294967295"),
	};
	struct bpfpoke_map_write bad[] = {
		BPFPOKE_MAP_WRITE_TEXT(".bss", "crash", "1"),
		BPFPOKE_MAP_WRITE_TEXT(".bss", "stall", "0x100000000"),
	};
	const struct bpfpoke_map_info *maps;
	const unsigned char *mem;
	__u64 gpa;
	__u32 x;
	size_t nr;

	if (!self->vm)
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	mem = self->vm->mem;
	self->s = open_vm(&self->sy, getpid(), BPFPOKE_SESSION_WRITABLE);
	ASSERT_NE(NULL, self->s) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_attach(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_load(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr)) TH_LOG("%s", warnings);
	gpa = sy_kva_to_gpa(&self->sy, maps[0].value_kva);

	/* A value out of range: nothing written (bytes i * 37 + 5). */
	EXPECT_EQ(-ERANGE, bpfpoke_write(self->s, bad, 2, NULL));
	memcpy(&x, mem + gpa, 4);
	EXPECT_EQ(0x744f2a05, x);

	ASSERT_EQ(0, bpfpoke_write(self->s, ok, 2, NULL)) TH_LOG("%s", warnings);
	memcpy(&x, mem + gpa, 4);
	EXPECT_EQ(0x0a0b0c0d, x);
	memcpy(&x, mem + sy_kva_to_gpa(&self->sy, maps[0].value_kva + 4), 4);
	EXPECT_EQ(0xffffffff, x);
}

TEST_F(kmod, read_only_session)
{
	const struct bpfpoke_map_info *maps;
	unsigned char b = 0x5a;
	size_t nr;

	if (!self->vm)
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	self->s = open_vm(&self->sy, getpid(), 0);
	ASSERT_NE(NULL, self->s);
	ASSERT_EQ(0, bpfpoke_session_attach(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_session_load(self->s)) TH_LOG("%s", warnings);
	ASSERT_EQ(0, bpfpoke_maps(self->s, &maps, &nr));
	EXPECT_EQ(-EROFS, bpfpoke_map_value_write(self->s, &maps[0], 0, 0, &b, 1));
}

TEST_F(kmod, process_without_vm)
{
	if (!self->vm)
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	/* Our parent (the harness's runner) has no KVM VM fd. */
	self->s = open_vm(&self->sy, getppid(), 0);
	ASSERT_NE(NULL, self->s);
	EXPECT_EQ(-ENOENT, bpfpoke_session_attach(self->s));
	EXPECT_NE(NULL, strstr(warnings, "has no KVM VM fd")) TH_LOG("%s", warnings);
}

TEST_F(kmod, no_such_process)
{
	if (!self->vm)
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	self->s = open_vm(&self->sy, 0x3ffffff0, 0);
	ASSERT_NE(NULL, self->s);
	EXPECT_EQ(-ESRCH, bpfpoke_session_attach(self->s));
}

TEST_HARNESS_MAIN
