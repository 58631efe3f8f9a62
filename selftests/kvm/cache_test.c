// SPDX-License-Identifier: GPL-2.0
/*
 * BPFPOKE_ACCESS keeps a cache of the VMM's pages across ops and ioctls,
 * kept coherent by an MMU notifier.  These tests warm it, then change the
 * VMM's memory behind it in every way the VMM can (munmap and mmap at the
 * same address, MADV_DONTNEED, mprotect, fork, memslots moved, THP splits,
 * hugetlbfs, its exit), and check that ops see the memory as the VMM now
 * has it: never a page the VMM no longer maps there, never a write the
 * VMM may no longer make, and the dirty log exact.  Each test runs on
 * THP-backed memory and on small pages.  The test process is the VMM,
 * except where the VMM exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"

#include <linux/bpfpoke.h>

#define SLOT		1
#define SLOT_GPA	0x40000000ULL
#define SLOT_SIZE	(8ULL << 20)
#define PAGE		4096ULL

/*
 * Raw ioctls, so that the tests check the ABI itself.  An op's result, or
 * -errno when the ioctl fails.
 */
static int64_t op1(int dev, uint64_t gpa, void *buf, uint32_t len, bool write)
{
	struct bpfpoke_op op = {
		.addr = gpa,
		.buf = (uint64_t)(uintptr_t)buf,
		.len = len,
		.flags = write ? BPFPOKE_OP_WRITE : 0,
		.result = -12345,
	};
	struct bpfpoke_access a = {
		.ops = (uint64_t)(uintptr_t)&op,
		.nr_ops = 1,
	};

	if (ioctl(dev, BPFPOKE_ACCESS, &a))
		return -errno;
	return op.result;
}

static int64_t wr64(int dev, uint64_t gpa, uint64_t v)
{
	return op1(dev, gpa, &v, sizeof(v), true);
}

/* The u64 at @gpa as the module reads it, or a negative errno. */
static int64_t rd64(int dev, uint64_t gpa, uint64_t *v)
{
	*v = 0xdeadbeefdeadbeefULL;
	return op1(dev, gpa, v, sizeof(*v), false);
}

static int dev_attach(int vm_fd)
{
	struct bpfpoke_attach a = { .vm_fd = vm_fd };
	int dev = open("/dev/bpfpoke", O_RDWR | O_CLOEXEC);

	if (dev < 0 || ioctl(dev, BPFPOKE_ATTACH, &a))
		return -1;
	return dev;
}

static bool have_devices(void)
{
	return !access("/dev/kvm", R_OK | W_OK) && !access("/dev/bpfpoke", F_OK);
}

/* The value the tests write to page @i in round @r. */
static uint64_t val(unsigned int r, uint64_t i)
{
	return 0x5a00000000000000ULL | (uint64_t)r << 32 | i;
}

FIXTURE(cache) {
	int dev;
	struct kvm_vm *vm;
};

/*
 * Guest memory in transparent huge pages, where the cache keeps one entry
 * for a whole 2 MiB window, and in small pages, one entry a page.
 */
FIXTURE_VARIANT(cache) {
	bool thp;
};

FIXTURE_VARIANT_ADD(cache, huge) {
	.thp = true,
};

FIXTURE_VARIANT_ADD(cache, small) {
	.thp = false,
};

FIXTURE_SETUP(cache)
{
	self->dev = -1;
	self->vm = NULL;
	if (!have_devices())
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	self->vm = vm_create(NULL);
	self->dev = dev_attach(self->vm->vm_fd);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(cache)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->vm)
		vm_free(self->vm);
}

#define REQUIRE(self) do {						\
	if ((self)->dev < 0)						\
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");	\
} while (0)

/* Writes val(@r, i) to every @step-th page of the slot; all must land. */
static void write_pages(struct __test_metadata *_metadata, int dev,
			unsigned int r, uint64_t size, uint64_t step)
{
	uint64_t i;

	for (i = 0; i < size / PAGE; i += step)
		ASSERT_EQ(8, wr64(dev, SLOT_GPA + i * PAGE + 8 * (i % 512),
				  val(r, i))) TH_LOG("page %llu",
						     (unsigned long long)i);
}

/* Checks val(@r, i) both in the VMM's memory at @hva and through the module. */
static void check_pages(struct __test_metadata *_metadata, int dev,
			const uint8_t *hva, unsigned int r, uint64_t size,
			uint64_t step)
{
	uint64_t i, off, v;

	for (i = 0; i < size / PAGE; i += step) {
		off = i * PAGE + 8 * (i % 512);
		ASSERT_EQ(val(r, i), *(const uint64_t *)(hva + off))
			TH_LOG("page %llu in the VMM", (unsigned long long)i);
		ASSERT_EQ(8, rd64(dev, SLOT_GPA + off, &v));
		ASSERT_EQ(val(r, i), v)
			TH_LOG("page %llu through the module", (unsigned long long)i);
	}
}

/* Private anonymous memory, in huge pages if @thp and THP allows. */
static void *map_anon(uint64_t size, void *at, bool thp)
{
	void *p = mmap(at, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       (at ? MAP_FIXED : 0), -1, 0);

	if (p != MAP_FAILED)
		madvise(p, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

/*
 * The VMM replaces the shared memory behind a slot with other shared
 * memory at the same address.  Writes land in the new memory only; the
 * old memory, still alive in its memfd, keeps what it had.
 */
TEST_F(cache, remap_memfd_same_address)
{
	uint64_t i, v, old;
	int fd_a, fd_b;
	uint8_t *hva;

	REQUIRE(self);
	fd_a = memfd_create("bpfpoke-a", 0);
	fd_b = memfd_create("bpfpoke-b", 0);
	ASSERT_LE(0, fd_a);
	ASSERT_LE(0, fd_b);
	ASSERT_EQ(0, ftruncate(fd_a, SLOT_SIZE));
	ASSERT_EQ(0, ftruncate(fd_b, SLOT_SIZE));
	hva = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd_a, 0);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));

	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 1, SLOT_SIZE, 1);

	ASSERT_EQ(hva, mmap(hva, SLOT_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED, fd_b, 0));
	/* New memory reads as new memory: zero. */
	for (i = 0; i < SLOT_SIZE / PAGE; i += 7) {
		ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE + 8 * (i % 512), &v));
		ASSERT_EQ(0, v) TH_LOG("page %llu: a read of the old memory",
				       (unsigned long long)i);
	}
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
	for (i = 0; i < SLOT_SIZE / PAGE; i++) {
		ASSERT_EQ(8, pread(fd_a, &old, 8, i * PAGE + 8 * (i % 512)));
		ASSERT_EQ(val(1, i), old) TH_LOG("page %llu: the old memory was written",
						 (unsigned long long)i);
	}
	munmap(hva, SLOT_SIZE);
	close(fd_a);
	close(fd_b);
}

/* The same with private anonymous memory, unmapped, then mapped again. */
TEST_F(cache, remap_anon_same_address)
{
	uint64_t i, v;
	uint8_t *hva;

	REQUIRE(self);
	hva = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));
	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);

	ASSERT_EQ(0, munmap(hva, SLOT_SIZE));
	/* Unmapped: no access at all. */
	EXPECT_EQ(-EFAULT, wr64(self->dev, SLOT_GPA, 1));
	EXPECT_EQ(-EFAULT, rd64(self->dev, SLOT_GPA + 5 * PAGE, &v));
	ASSERT_EQ(hva, map_anon(SLOT_SIZE, hva, variant->thp));
	for (i = 0; i < SLOT_SIZE / PAGE; i += 5) {
		ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE + 8 * (i % 512), &v));
		ASSERT_EQ(0, v) TH_LOG("page %llu: a read of the old memory",
				       (unsigned long long)i);
	}
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
	munmap(hva, SLOT_SIZE);
}

/* MADV_DONTNEED drops the pages: ops see the fresh zero pages after it. */
TEST_F(cache, madv_dontneed)
{
	uint64_t i, v;
	uint8_t *hva;

	REQUIRE(self);
	hva = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));
	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 1, SLOT_SIZE, 1);

	/* Half of it, page by page, then the rest at once. */
	for (i = 0; i < SLOT_SIZE / PAGE / 2; i += 2)
		ASSERT_EQ(0, madvise(hva + i * PAGE, PAGE, MADV_DONTNEED));
	for (i = 0; i < SLOT_SIZE / PAGE / 2; i++) {
		ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE + 8 * (i % 512), &v));
		ASSERT_EQ(i % 2 ? val(1, i) : 0, v) TH_LOG("page %llu",
							 (unsigned long long)i);
	}
	ASSERT_EQ(0, madvise(hva, SLOT_SIZE, MADV_DONTNEED));
	for (i = 0; i < SLOT_SIZE / PAGE; i += 3) {
		ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE + 8 * (i % 512), &v));
		ASSERT_EQ(0, v) TH_LOG("page %llu: a read of a dropped page",
				       (unsigned long long)i);
	}
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
	munmap(hva, SLOT_SIZE);
}

/* Write permission withdrawn behind the cache: writes fail, reads work. */
TEST_F(cache, mprotect)
{
	uint64_t v;
	uint8_t *hva;

	REQUIRE(self);
	hva = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));
	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);

	ASSERT_EQ(0, mprotect(hva, SLOT_SIZE, PROT_READ));
	EXPECT_EQ(-EFAULT, wr64(self->dev, SLOT_GPA + 3 * PAGE + 24, 7));
	EXPECT_EQ(val(1, 3), *(uint64_t *)(hva + 3 * PAGE + 24));
	EXPECT_EQ(8, rd64(self->dev, SLOT_GPA + 3 * PAGE + 24, &v));
	EXPECT_EQ(val(1, 3), v);

	ASSERT_EQ(0, mprotect(hva, SLOT_SIZE, PROT_NONE));
	EXPECT_EQ(-EFAULT, rd64(self->dev, SLOT_GPA + 3 * PAGE + 24, &v));

	ASSERT_EQ(0, mprotect(hva, SLOT_SIZE, PROT_READ | PROT_WRITE));
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
	munmap(hva, SLOT_SIZE);
}

/*
 * After fork() the VMM's pages are shared copy-on-write with the child:
 * a write must break the sharing and land in the VMM's copy only.
 */
TEST_F(cache, fork_cow)
{
	int to_child[2], status;
	uint8_t *hva;
	uint64_t i;
	pid_t pid;
	char c;

	REQUIRE(self);
	hva = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));
	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);

	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child checks its copy once the parent has written. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(2);
		for (i = 0; i < SLOT_SIZE / PAGE; i++)
			if (*(uint64_t *)(hva + i * PAGE + 8 * (i % 512)) != val(1, i))
				_exit(1);
		_exit(0);
	}
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	ASSERT_EQ(1, write(to_child[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child's copy was written");
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
	close(to_child[0]);
	close(to_child[1]);
	munmap(hva, SLOT_SIZE);
}

/*
 * A memslot deleted and created again elsewhere, with other memory, and
 * then at its old place with other memory again.
 */
TEST_F(cache, memslot_moved)
{
	const uint64_t elsewhere = SLOT_GPA + 0x10000000ULL;
	uint8_t *h1, *h2, *h3;
	uint64_t v;

	REQUIRE(self);
	h1 = map_anon(SLOT_SIZE, NULL, variant->thp);
	h2 = map_anon(SLOT_SIZE, NULL, variant->thp);
	h3 = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, h1);
	ASSERT_NE(MAP_FAILED, h2);
	ASSERT_NE(MAP_FAILED, h3);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, h1));
	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);

	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, wr64(self->dev, SLOT_GPA + 8, 3));
	EXPECT_EQ(-EFAULT, rd64(self->dev, SLOT_GPA + 8, &v));
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, elsewhere, SLOT_SIZE, 0, h2));
	EXPECT_EQ(-EFAULT, wr64(self->dev, SLOT_GPA + 8, 3));
	EXPECT_EQ(8, wr64(self->dev, elsewhere + 5 * PAGE + 8, 0x1234));
	EXPECT_EQ(0x1234, *(uint64_t *)(h2 + 5 * PAGE + 8));
	EXPECT_EQ(8, rd64(self->dev, elsewhere + 1 * PAGE + 8, &v));
	EXPECT_EQ(0, v);

	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, elsewhere, 0, 0, NULL));
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, h3));
	EXPECT_EQ(8, rd64(self->dev, SLOT_GPA + 1 * PAGE + 8, &v));
	EXPECT_EQ(0, v) TH_LOG("a read through the deleted slot's memory");
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, h3, 2, SLOT_SIZE, 1);
	/* The first memory kept its values, the second its one write. */
	EXPECT_EQ(val(1, 1), *(uint64_t *)(h1 + 1 * PAGE + 8));
	EXPECT_EQ(0, *(uint64_t *)(h2 + 1 * PAGE + 8));
	EXPECT_EQ(0x1234, *(uint64_t *)(h2 + 5 * PAGE + 8));
	munmap(h1, SLOT_SIZE);
	munmap(h2, SLOT_SIZE);
	munmap(h3, SLOT_SIZE);
}

/* The guest-physical address of the 4 KiB page table that maps @gva. */
static uint64_t leaf_table(struct kvm_vm *vm, uint64_t gva)
{
	uint64_t table = vm->pt_root, e;
	int level;

	for (level = vm->levels; level > 1; level--) {
		e = ((uint64_t *)vm_gpa_hva(vm, table))[(gva >> (12 + 9 * (level - 1))) & 511];
		table = e & PTE_ADDR_MASK;
	}
	return table;
}

/*
 * Guest-virtual ops read the guest's page tables through the cache too:
 * when the VMM drops the page that holds a table, the walk sees it empty.
 */
TEST_F(cache, virt_walk_after_dontneed)
{
	const uint64_t gva = 0x00007c0000000000ULL;
	struct bpfpoke_op op;
	struct bpfpoke_access a = {
		.ops = (uint64_t)(uintptr_t)&op,
		.nr_ops = 1,
		.flags = BPFPOKE_ACCESS_VIRT,
		.levels = 4,
	};
	uint64_t gpa, v = 0x77, back = 0;
	uint8_t *table;

	REQUIRE(self);
	a.root = self->vm->pt_root;
	gpa = vm_alloc_pages(self->vm, 1, 0);
	vm_map(self->vm, gva, gpa, PAGE, PAGE);
	memset(&op, 0, sizeof(op));
	op.addr = gva + 16;
	op.buf = (uint64_t)(uintptr_t)&v;
	op.len = 8;
	op.flags = BPFPOKE_OP_WRITE;
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_ACCESS, &a));
	ASSERT_EQ(8, op.result);
	ASSERT_EQ(0x77, *(uint64_t *)vm_gpa_hva(self->vm, gpa + 16));

	table = vm_gpa_hva(self->vm, leaf_table(self->vm, gva));
	ASSERT_EQ(0, madvise(table, PAGE, MADV_DONTNEED));
	op.buf = (uint64_t)(uintptr_t)&back;
	op.flags = 0;
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_ACCESS, &a));
	EXPECT_EQ(-EFAULT, op.result) TH_LOG("the walk read a dropped table");
	EXPECT_EQ(0, back);
	/* Mapped again, by the VMM rewriting the table: found again. */
	vm_map(self->vm, gva, gpa, PAGE, PAGE);
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_ACCESS, &a));
	EXPECT_EQ(8, op.result);
	EXPECT_EQ(0x77, back);
}

/* AnonHugePages of this process, in KiB. */
static long anon_huge_kb(void)
{
	char line[256];
	long kb = 0, v;
	FILE *f;

	f = fopen("/proc/self/smaps_rollup", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &v) == 1)
			kb = v;
	fclose(f);
	return kb;
}

/*
 * Guest memory in transparent huge pages: the cache holds a THP's pages
 * from its PMD, and a split (part of it dropped) or its removal must show.
 */
TEST_F(cache, thp)
{
	uint8_t *raw, *hva;
	long before;
	uint64_t i, v;

	REQUIRE(self);
	raw = map_anon(SLOT_SIZE + PAGE_SIZE_2M, NULL, true);
	ASSERT_NE(MAP_FAILED, raw);
	hva = (uint8_t *)(((uintptr_t)raw + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1));
	before = anon_huge_kb();
	if (madvise(hva, SLOT_SIZE, MADV_HUGEPAGE))
		SKIP(goto out, "no THP: MADV_HUGEPAGE fails (%s)", strerror(errno));
	memset(hva, 0, SLOT_SIZE);
	if (anon_huge_kb() <= before)
		SKIP(goto out, "no THP: AnonHugePages did not grow");
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));

	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 1, SLOT_SIZE, 1);

	/* Drop a 4 KiB page out of the first THP: it is split. */
	ASSERT_EQ(0, madvise(hva + 3 * PAGE, PAGE, MADV_DONTNEED));
	ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + 3 * PAGE + 8 * 3, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + 4 * PAGE + 8 * 4, &v));
	EXPECT_EQ(val(1, 4), v);
	/* Drop the second THP whole. */
	ASSERT_EQ(0, madvise(hva + PAGE_SIZE_2M, PAGE_SIZE_2M, MADV_DONTNEED));
	for (i = 512; i < 1024; i += 31) {
		ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE + 8 * (i % 512), &v));
		EXPECT_EQ(0, v) TH_LOG("page %llu", (unsigned long long)i);
	}
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
out:
	munmap(raw, SLOT_SIZE + PAGE_SIZE_2M);
}

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%ld", v) > 0;
	return !fclose(f) && ok;
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

/*
 * Guest memory in hugetlbfs pages: each window is one huge page.  Dropped
 * and mapped again at the same address, new pages must show.
 */
TEST_F(cache, hugetlb)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	long saved;
	uint8_t *hva;
	uint64_t v;

	REQUIRE(self);
	saved = read_long(NR_HUGEPAGES);
	if (saved < 0 || !write_long(NR_HUGEPAGES, saved + SLOT_SIZE / PAGE_SIZE_2M))
		SKIP(return, "cannot reserve huge pages");
	hva = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (hva == MAP_FAILED) {
		write_long(NR_HUGEPAGES, saved);
		SKIP(return, "no 2 MiB huge pages: %s", strerror(errno));
	}
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, hva));
	write_pages(_metadata, self->dev, 1, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 1, SLOT_SIZE, 1);

	ASSERT_EQ(hva, mmap(hva, SLOT_SIZE, PROT_READ | PROT_WRITE,
			    flags | MAP_FIXED, -1, 0));
	ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + 513 * PAGE + 8, &v));
	EXPECT_EQ(0, v) TH_LOG("a read of the old huge page");
	write_pages(_metadata, self->dev, 2, SLOT_SIZE, 1);
	check_pages(_metadata, self->dev, hva, 2, SLOT_SIZE, 1);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, 0, 0, NULL));
	munmap(hva, SLOT_SIZE);
	write_long(NR_HUGEPAGES, saved);
}

/*
 * memfd_secret() memory is not in the kernel's direct map: GUP refuses
 * it, and so must the cache, with the same error.
 */
TEST_F(cache, secretmem_refused)
{
	uint64_t v = 1;
	uint8_t *hva;
	int fd;

	REQUIRE(self);
	fd = syscall(447 /* memfd_secret */, 0);
	if (fd < 0)
		SKIP(return, "memfd_secret: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, 2 * PAGE));
	hva = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, hva);
	hva[0] = 0x42;
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, 2 * PAGE, 0, hva));
	EXPECT_EQ(-EFAULT, wr64(self->dev, SLOT_GPA + 8, v));
	EXPECT_EQ(-EFAULT, rd64(self->dev, SLOT_GPA, &v));
	EXPECT_EQ(-EFAULT, rd64(self->dev, SLOT_GPA + PAGE, &v));
	EXPECT_EQ(0x42, hva[0]);
	munmap(hva, 2 * PAGE);
	close(fd);
}

/*
 * More windows than the cache keeps (it evicts): one write per 2 MiB of a
 * 1.5 GiB slot, all of them land and read back.
 */
TEST_F(cache, eviction)
{
	const uint64_t size = 1536ULL << 20, step = PAGE_SIZE_2M / PAGE;
	uint8_t *hva;
	int r;

	REQUIRE(self);
	/* One 4 KiB page per 2 MiB, not a THP each. */
	hva = map_anon(size, NULL, false);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, size, 0, hva));
	for (r = 1; r <= 3; r++) {
		write_pages(_metadata, self->dev, r, size, step);
		check_pages(_metadata, self->dev, hva, r, size, step);
	}
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, 0, 0, NULL));
	munmap(hva, size);
}

/*
 * The dirty log stays exact with a warm cache: every write of every round
 * sets its page's bit again after KVM_GET_DIRTY_LOG cleared it, reads and
 * failed writes set none.
 */
TEST_F(cache, dirty_log_warm)
{
	const uint64_t pages = SLOT_SIZE / PAGE;
	uint64_t bitmap[SLOT_SIZE / PAGE / 64], i, v;
	struct kvm_dirty_log log = { .slot = SLOT, .dirty_bitmap = bitmap };
	unsigned int r;
	uint8_t *hva;

	REQUIRE(self);
	hva = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE,
				 KVM_MEM_LOG_DIRTY_PAGES, hva));
	for (r = 0; r < 4; r++) {
		ASSERT_EQ(0, ioctl(self->vm->vm_fd, KVM_GET_DIRTY_LOG, &log));
		/* Round r writes the pages i with i % 4 == r, reads others. */
		for (i = 0; i < pages; i++) {
			if (i % 4 == r) {
				ASSERT_EQ(8, wr64(self->dev, SLOT_GPA + i * PAGE, val(r, i)));
			} else {
				ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE, &v));
			}
		}
		memset(bitmap, 0, sizeof(bitmap));
		ASSERT_EQ(0, ioctl(self->vm->vm_fd, KVM_GET_DIRTY_LOG, &log));
		for (i = 0; i < pages; i++)
			ASSERT_EQ(i % 4 == r, !!(bitmap[i / 64] & (1ULL << (i % 64))))
				TH_LOG("round %u page %llu", r, (unsigned long long)i);
	}
	/* Write protection: the writes fail and dirty nothing. */
	ASSERT_EQ(0, mprotect(hva, SLOT_SIZE, PROT_READ));
	ASSERT_EQ(-EFAULT, wr64(self->dev, SLOT_GPA, 1));
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ioctl(self->vm->vm_fd, KVM_GET_DIRTY_LOG, &log));
	for (i = 0; i < pages / 64; i++)
		ASSERT_EQ(0, bitmap[i]);
	munmap(hva, SLOT_SIZE);
}

struct churn {
	int dev;
	uint8_t *hva;
	atomic_bool stop;
	atomic_ulong rounds, bad;
};

/* Writes a page's own index to it, and reads it back, over and over. */
static void *churn_access(void *arg)
{
	struct churn *c = arg;
	uint64_t i, v;

	while (!atomic_load(&c->stop)) {
		for (i = 0; i < SLOT_SIZE / PAGE; i++) {
			if (wr64(c->dev, SLOT_GPA + i * PAGE, i + 1) != 8)
				atomic_fetch_add(&c->bad, 1);
			/* Dropped in between or not: never another page's value. */
			if (rd64(c->dev, SLOT_GPA + i * PAGE, &v) != 8 ||
			    (v != 0 && v != i + 1))
				atomic_fetch_add(&c->bad, 1);
		}
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

/*
 * Invalidations racing with ops: the VMM drops and refaults its pages in
 * one thread while another writes and reads them through the module.
 * 200 invalidations and three of the other thread's rounds, or 20 s of
 * them: on a debug kernel (make check-debug) every refault of a huge page
 * is slow enough that three rounds would take minutes.
 */
TEST_F_TIMEOUT(cache, invalidate_races_access, 180)
{
	struct churn c = { .dev = self->dev };
	struct timespec t0, t;
	pthread_t thread;
	uint64_t i, v;
	int n;

	REQUIRE(self);
	c.hva = map_anon(SLOT_SIZE, NULL, variant->thp);
	ASSERT_NE(MAP_FAILED, c.hva);
	ASSERT_EQ(0, vm_set_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE, 0, c.hva));
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_access, &c));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 0; n < 200 || atomic_load(&c.rounds) < 3; n++) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (n >= 200 && t.tv_sec - t0.tv_sec >= 20)
			break;
		/* All of it, or the page the other thread is likely at. */
		if (n % 2) {
			ASSERT_EQ(0, madvise(c.hva, SLOT_SIZE, MADV_DONTNEED));
		} else {
			ASSERT_EQ(0, madvise(c.hva + (n * 37 % (SLOT_SIZE / PAGE)) * PAGE,
					     PAGE, MADV_DONTNEED));
		}
		usleep(500);
	}
	atomic_store(&c.stop, true);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, atomic_load(&c.bad));
	/* The round under way when the invalidations stopped has ended. */
	EXPECT_LE(1, atomic_load(&c.rounds));
	/* Quiet now: a last round lands exactly. */
	for (i = 0; i < SLOT_SIZE / PAGE; i++)
		ASSERT_EQ(8, wr64(self->dev, SLOT_GPA + i * PAGE, ~i));
	for (i = 0; i < SLOT_SIZE / PAGE; i++) {
		ASSERT_EQ(~i, *(uint64_t *)(c.hva + i * PAGE));
		ASSERT_EQ(8, rd64(self->dev, SLOT_GPA + i * PAGE, &v));
		ASSERT_EQ(~i, v);
	}
	munmap(c.hva, SLOT_SIZE);
}

/*
 * A VMM in a child process: a VM with one slot, its VM fd passed back.
 * It faults its memory in and waits to be killed.
 */
static pid_t spawn_vmm(int *vm_fd)
{
	int p[2], child_fd, pidfd;
	struct kvm_vm *vm;
	void *hva;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		vm = vm_create(NULL);
		hva = vm_add_slot(vm, SLOT, SLOT_GPA, SLOT_SIZE, KVM_MEM_LOG_DIRTY_PAGES);
		memset(hva, 1, SLOT_SIZE);
		if (write(p[1], &vm->vm_fd, sizeof(int)) != sizeof(int))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &child_fd, sizeof(int)) != sizeof(int))
		return -1;
	close(p[0]);
	pidfd = pidfd_open(pid, 0);
	*vm_fd = pidfd_getfd(pidfd, child_fd, 0);
	close(pidfd);
	return *vm_fd < 0 ? -1 : pid;
}

/*
 * The VMM exits while files hold warm caches over its memory: ops fail
 * with ESRCH, and closing the files afterwards (their notifiers outlive
 * the mm's pages) is clean.  Half the rounds close one file first, while
 * the VMM still runs.  10 rounds, or as many as 20 s hold but at least
 * two (one of each kind): a round on a debug kernel (make check-debug)
 * takes seconds.
 */
TEST(vmm_exit_warm_cache)
{
	int round, vm_fd, dev[2], status, i;
	struct timespec t0, t;
	uint64_t v;
	pid_t pid;

	if (!have_devices())
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < 10; round++) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (round >= 2 && t.tv_sec - t0.tv_sec >= 20)
			break;
		pid = spawn_vmm(&vm_fd);
		ASSERT_LT(0, pid);
		for (i = 0; i < 2; i++) {
			dev[i] = dev_attach(vm_fd);
			ASSERT_LE(0, dev[i]);
			write_pages(_metadata, dev[i], round, SLOT_SIZE, 3);
		}
		close(vm_fd);
		if (round % 2)
			close(dev[1]);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(-ESRCH, wr64(dev[0], SLOT_GPA, 1));
		EXPECT_EQ(-ESRCH, rd64(dev[0], SLOT_GPA, &v));
		close(dev[0]);
		if (!(round % 2)) {
			EXPECT_EQ(-ESRCH, rd64(dev[1], SLOT_GPA + PAGE, &v));
			close(dev[1]);
		}
	}
}

TEST_HARNESS_MAIN
