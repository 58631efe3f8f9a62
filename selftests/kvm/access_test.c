// SPDX-License-Identifier: GPL-2.0
/*
 * BPFPOKE_ACCESS against running mini-guests: the guest sees host writes
 * while it runs, the host sees guest writes, ops cross page and memslot
 * boundaries, read-only slots, all-or-nothing batches, guest-virtual ops
 * through the guest's own page tables (4K, 2M, 1G, 4 and 5 levels), the
 * dirty log, and every validation branch with its errno.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "bpfpoke_util.h"

#define SLOT1_GPA	0x10000000ULL
#define SLOT2_GPA	(SLOT1_GPA + 0x200000)

FIXTURE(access) {
	int dev;
	struct kvm_vm *vm;
	struct bpfpoke_api api;
};

FIXTURE_SETUP(access)
{
	self->dev = -1;
	self->vm = NULL;
	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK))
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	self->vm = vm_create(NULL);
	self->dev = bpfpoke_open_attached(self->vm->vm_fd);
	memset(&self->api, 0, sizeof(self->api));
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_GET_API, &self->api));
}

FIXTURE_TEARDOWN(access)
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

/* The guest spins until *gpa changes, then reports the new value. */
static void __guest guest_wait_change(uint64_t gpa, uint64_t old)
{
	volatile uint64_t *p = guest_ptr(volatile uint64_t, gpa);

	GUEST_SYNC(0, 0);
	while (*p == old)
		;
	GUEST_SYNC(1, *p);
	GUEST_DONE();
}

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	struct ucall uc;
};

static void *run_vcpu(void *arg)
{
	struct vcpu_thread *t = arg;

	vcpu_run(t->vcpu, &t->uc);
	return NULL;
}

TEST_F(access, running_guest_sees_write)
{
	struct vcpu_thread t;
	struct timespec ts;
	pthread_t thread;
	uint64_t gpa, v;
	int ret;

	REQUIRE(self);
	gpa = vm_alloc_pages(self->vm, 1, 0);
	*(uint64_t *)vm_gpa_hva(self->vm, gpa) = 7;
	t.vcpu = vcpu_create(self->vm, guest_wait_change, gpa, 7);
	ASSERT_EQ(UCALL_SYNC, vcpu_run(t.vcpu, &t.uc));

	/* The guest is now spinning on the value in a vCPU thread. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, run_vcpu, &t));
	usleep(20000);
	v = 0xfeedface;
	EXPECT_EQ(sizeof(v), poke_write_phys(self->dev, gpa, &v, sizeof(v)));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	ret = pthread_timedjoin_np(thread, NULL, &ts);
	ASSERT_EQ(0, ret) TH_LOG("the guest never saw the write");
	ASSERT_EQ(UCALL_SYNC, t.uc.type) TH_LOG("%s", ucall_name(t.uc.type));
	EXPECT_EQ(1, t.uc.arg0);
	EXPECT_EQ(0xfeedface, t.uc.arg1);
	vcpu_free(t.vcpu);
}

static void __guest guest_fill(uint64_t gpa, uint64_t len)
{
	volatile uint8_t *p = guest_ptr(volatile uint8_t, gpa);
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	GUEST_DONE();
}

TEST_F(access, host_reads_guest_writes)
{
	const uint64_t len = 3 * PAGE_SIZE_4K + 100;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint8_t *buf;
	uint64_t gpa, i;

	REQUIRE(self);
	gpa = vm_alloc_pages(self->vm, 4, 0) + 50;	/* unaligned, 4 pages */
	vcpu = vcpu_create(self->vm, guest_fill, gpa, len);
	ASSERT_EQ(UCALL_DONE, vcpu_run(vcpu, &uc));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	memset(buf, 0, len);
	EXPECT_EQ(len, poke_read_phys(self->dev, gpa, buf, len));
	for (i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(i * 7 + 3))
			break;
	EXPECT_EQ(len, i) TH_LOG("mismatch at byte %lu", (unsigned long)i);
	free(buf);
	vcpu_free(vcpu);
}

TEST_F(access, crosses_memslots)
{
	uint8_t *s1, *s2, buf[64], back[64];
	unsigned int i;

	REQUIRE(self);
	s1 = vm_add_slot(self->vm, 1, SLOT1_GPA, 0x200000, 0);
	s2 = vm_add_slot(self->vm, 2, SLOT2_GPA, 0x200000, 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i + 1;
	/* 32 bytes at the end of slot 1, 32 at the start of slot 2. */
	EXPECT_EQ(sizeof(buf), poke_write_phys(self->dev, SLOT2_GPA - 32,
						  buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(s1 + 0x200000 - 32, buf, 32));
	EXPECT_EQ(0, memcmp(s2, buf + 32, 32));
	EXPECT_EQ(sizeof(back), poke_read_phys(self->dev, SLOT2_GPA - 32,
						  back, sizeof(back)));
	EXPECT_EQ(0, memcmp(back, buf, sizeof(buf)));
}

TEST_F(access, hole_fails_that_op_only)
{
	struct bpfpoke_op ops[3];
	uint64_t a = 1, b = 2, c = 3, gpa;
	uint32_t done;

	REQUIRE(self);
	gpa = vm_alloc_pages(self->vm, 1, 0);
	ops[0] = bpfpoke_op(gpa, &a, 8, BPFPOKE_OP_WRITE);
	ops[1] = bpfpoke_op(0x80000000ULL, &b, 8, BPFPOKE_OP_WRITE); /* no slot */
	ops[2] = bpfpoke_op(gpa + 8, &c, 8, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 3, 0, 0, 0, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(8, ops[0].result);
	EXPECT_EQ(-EFAULT, ops[1].result);
	EXPECT_EQ(8, ops[2].result);
	EXPECT_EQ(1, ((uint64_t *)vm_gpa_hva(self->vm, gpa))[0]);
	EXPECT_EQ(3, ((uint64_t *)vm_gpa_hva(self->vm, gpa))[1]);
	/* An op that runs off the end of a slot into nothing moves nothing. */
	memset(vm_gpa_hva(self->vm, self->vm->mem_size - 8), 0x11, 8);
	a = ~0ULL;
	ops[0] = bpfpoke_op(self->vm->mem_size - 4, &a, 8, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 1, 0, 0, 0, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EFAULT, ops[0].result);
	EXPECT_EQ(0x1111111111111111ULL,
		  *(uint64_t *)vm_gpa_hva(self->vm, self->vm->mem_size - 8));
}

TEST_F(access, readonly_slot_never_written)
{
	uint64_t v = 0x5555, back = 0;
	uint8_t *ro;

	REQUIRE(self);
	ro = vm_add_slot(self->vm, 1, SLOT1_GPA, 0x200000, KVM_MEM_READONLY);
	memset(ro, 0xab, 0x1000);
	EXPECT_EQ(-EROFS, poke_write_phys(self->dev, SLOT1_GPA + 8, &v, 8));
	EXPECT_EQ(0xababababababababULL, *(uint64_t *)(ro + 8));
	EXPECT_EQ(8, poke_read_phys(self->dev, SLOT1_GPA + 8, &back, 8));
	EXPECT_EQ(0xababababababababULL, back);
	/* A write that starts writable and runs into the read-only slot. */
	vm_add_slot(self->vm, 2, SLOT1_GPA - 0x200000, 0x200000, 0);
	EXPECT_EQ(-EROFS, poke_write_phys(self->dev, SLOT1_GPA - 4, &v, 8));
	EXPECT_EQ(0xababababU, *(uint32_t *)ro);
}

TEST_F(access, all_or_nothing)
{
	struct bpfpoke_op ops[4];
	uint64_t vals[4] = { 11, 22, 33, 44 }, *mem, gpa;
	uint32_t done;
	unsigned int i;

	REQUIRE(self);
	vm_add_slot(self->vm, 1, SLOT1_GPA, 0x200000, KVM_MEM_READONLY);
	gpa = vm_alloc_pages(self->vm, 1, 0);
	mem = vm_gpa_hva(self->vm, gpa);
	for (i = 0; i < 4; i++)
		ops[i] = bpfpoke_op(gpa + 8 * i, &vals[i], 8, BPFPOKE_OP_WRITE);

	/* The third op hits a hole: nothing is written. */
	ops[2].addr = 0x80000000ULL;
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 4,
				     BPFPOKE_ACCESS_ALL_OR_NOTHING, 0, 0, &done));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, done);
	EXPECT_EQ(-ECANCELED, ops[0].result);
	EXPECT_EQ(-ECANCELED, ops[1].result);
	EXPECT_EQ(-EFAULT, ops[2].result);
	EXPECT_EQ(-ECANCELED, ops[3].result);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, mem[i]) TH_LOG("op %u wrote", i);

	/* The last op targets a read-only slot: nothing is written. */
	ops[2].addr = gpa + 16;
	ops[3].addr = SLOT1_GPA;
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 4,
				     BPFPOKE_ACCESS_ALL_OR_NOTHING, 0, 0, &done));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-EROFS, ops[3].result);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, mem[i]) TH_LOG("op %u wrote", i);

	/* All good: all written. */
	ops[3].addr = gpa + 24;
	EXPECT_EQ(0, bpfpoke_access(self->dev, ops, 4,
				    BPFPOKE_ACCESS_ALL_OR_NOTHING, 0, 0, &done));
	EXPECT_EQ(4, done);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(8, ops[i].result);
		EXPECT_EQ(vals[i], mem[i]);
	}
}

/* Reports the value at a guest-virtual address, after the host wrote it. */
static void __guest guest_read_va(uint64_t gva, uint64_t unused)
{
	(void)unused;
	GUEST_SYNC(0, 0);
	GUEST_SYNC(1, *(volatile uint64_t *)gva);
	GUEST_DONE();
}

struct virt_case {
	uint64_t page_size;
	int levels;
};

static void virt_roundtrip(struct __test_metadata *_metadata,
			   const struct virt_case *c)
{
	/* Bits above 47 set in 5-level mode: only 57-bit VAs reach them. */
	const uint64_t gva_base = c->levels == 5 ? 0x00ff000000000000ULL :
						   0x00007e0000000000ULL;
	struct kvm_vm_opts opts = { .levels = c->levels };
	uint64_t gva, gpa, v, back;
	struct kvm_vcpu *vcpu;
	struct bpfpoke_op op;
	struct kvm_vm *vm;
	struct ucall uc;
	uint32_t done;
	int dev;

	vm = vm_create(&opts);
	dev = bpfpoke_open_attached(vm->vm_fd);
	if (c->page_size == PAGE_SIZE_1G) {
		/* A 1 GiB page over guest-physical 0: slot 0 is inside it. */
		gpa = vm_alloc_pages(vm, 1, 0);
		vm_map(vm, gva_base, 0, PAGE_SIZE_1G, PAGE_SIZE_1G);
		gva = gva_base + gpa + 0x18;
	} else {
		gpa = vm_alloc_pages(vm, c->page_size / PAGE_SIZE_4K, c->page_size);
		vm_map(vm, gva_base, gpa, c->page_size, c->page_size);
		gva = gva_base + c->page_size - 0x100 + 0x18;
		gpa += c->page_size - 0x100;
	}
	vcpu = vcpu_create(vm, guest_read_va, gva, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run(vcpu, &uc)) TH_LOG("%s", ucall_name(uc.type));

	v = 0x1122334455667788ULL;
	op = bpfpoke_op(gva, &v, 8, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    vm->pt_root, c->levels, &done));
	EXPECT_EQ(8, op.result);
	EXPECT_EQ(1, done);
	EXPECT_EQ(v, *(uint64_t *)vm_gpa_hva(vm, c->page_size == PAGE_SIZE_1G ?
					     gpa + 0x18 : gpa + 0x18));
	ASSERT_EQ(UCALL_SYNC, vcpu_run(vcpu, &uc));
	EXPECT_EQ(v, uc.arg1);

	back = 0;
	op = bpfpoke_op(gva, &back, 8, 0);
	ASSERT_EQ(0, bpfpoke_access(dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    vm->pt_root, c->levels, &done));
	EXPECT_EQ(v, back);

	/* The next page of the same table level is not present. */
	op = bpfpoke_op(gva_base + (c->page_size == PAGE_SIZE_1G ?
				    PAGE_SIZE_1G : c->page_size), &back, 8, 0);
	ASSERT_EQ(0, bpfpoke_access(dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    vm->pt_root, c->levels, &done));
	EXPECT_EQ(-EFAULT, op.result);
	EXPECT_EQ(0, done);
	vcpu_free(vcpu);
	close(dev);
	vm_free(vm);
}

TEST_F(access, virt_4k)
{
	const struct virt_case c = { PAGE_SIZE_4K, 4 };

	REQUIRE(self);
	virt_roundtrip(_metadata, &c);
}

TEST_F(access, virt_2m)
{
	const struct virt_case c = { PAGE_SIZE_2M, 4 };

	REQUIRE(self);
	virt_roundtrip(_metadata, &c);
}

TEST_F(access, virt_1g)
{
	const struct virt_case c = { PAGE_SIZE_1G, 4 };

	REQUIRE(self);
	virt_roundtrip(_metadata, &c);
}

TEST_F(access, virt_5level)
{
	const struct virt_case c = { PAGE_SIZE_4K, 5 };

	REQUIRE(self);
	if (!kvm_has_la57())
		SKIP(return, "the L1 vCPU has no LA57");
	virt_roundtrip(_metadata, &c);
}

TEST_F(access, virt_crosses_pages)
{
	uint64_t gva = 0x00007d0000000000ULL, p1, p2;
	uint8_t buf[32], back[32];
	struct bpfpoke_op op;
	unsigned int i;

	REQUIRE(self);
	/* Two virtually adjacent pages, physically apart and reversed. */
	p2 = vm_alloc_pages(self->vm, 1, 0);
	vm_alloc_pages(self->vm, 1, 0);
	p1 = vm_alloc_pages(self->vm, 1, 0);
	vm_map(self->vm, gva, p1, PAGE_SIZE_4K, PAGE_SIZE_4K);
	vm_map(self->vm, gva + PAGE_SIZE_4K, p2, PAGE_SIZE_4K, PAGE_SIZE_4K);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 0xa0 + i;
	op = bpfpoke_op(gva + PAGE_SIZE_4K - 16, buf, 32, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(self->dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    self->vm->pt_root, 4, NULL));
	EXPECT_EQ(32, op.result);
	EXPECT_EQ(0, memcmp(vm_gpa_hva(self->vm, p1 + PAGE_SIZE_4K - 16), buf, 16));
	EXPECT_EQ(0, memcmp(vm_gpa_hva(self->vm, p2), buf + 16, 16));
	op = bpfpoke_op(gva + PAGE_SIZE_4K - 16, back, 32, 0);
	ASSERT_EQ(0, bpfpoke_access(self->dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    self->vm->pt_root, 4, NULL));
	EXPECT_EQ(0, memcmp(back, buf, 32));

	/* Second page unmapped: the op fails whole, nothing written. */
	vm_unmap(self->vm, gva + PAGE_SIZE_4K);
	memset(vm_gpa_hva(self->vm, p1), 0, PAGE_SIZE_4K);
	op = bpfpoke_op(gva + PAGE_SIZE_4K - 16, buf, 32, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(self->dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    self->vm->pt_root, 4, NULL));
	EXPECT_EQ(-EFAULT, op.result);
	EXPECT_EQ(0, *(uint64_t *)vm_gpa_hva(self->vm, p1 + PAGE_SIZE_4K - 16));

	/* Non-canonical for 4 levels. */
	op = bpfpoke_op(0x0000800000000000ULL, back, 8, 0);
	ASSERT_EQ(0, bpfpoke_access(self->dev, &op, 1, BPFPOKE_ACCESS_VIRT,
				    self->vm->pt_root, 4, NULL));
	EXPECT_EQ(-EFAULT, op.result);
}

TEST_F(access, dirty_log)
{
	const uint64_t size = 0x200000, pages = size / PAGE_SIZE_4K;
	const unsigned int written[] = { 0, 3, 64, 65, 200, 511 };
	struct kvm_dirty_log log;
	uint64_t bitmap[8], v = 1;
	unsigned int i, n;

	REQUIRE(self);
	vm_add_slot(self->vm, 1, SLOT1_GPA, size, KVM_MEM_LOG_DIRTY_PAGES);

	memset(&log, 0, sizeof(log));
	log.slot = 1;
	log.dirty_bitmap = bitmap;
	ASSERT_EQ(0, ioctl(self->vm->vm_fd, KVM_GET_DIRTY_LOG, &log));

	for (i = 0; i < sizeof(written) / sizeof(written[0]); i++)
		EXPECT_EQ(8, poke_write_phys(self->dev, SLOT1_GPA +
						written[i] * PAGE_SIZE_4K + 16,
						&v, 8));
	/* Reads dirty nothing; nor does a write that fails. */
	for (i = 100; i < 110; i++)
		EXPECT_EQ(8, poke_read_phys(self->dev, SLOT1_GPA +
					       i * PAGE_SIZE_4K, &v, 8));

	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ioctl(self->vm->vm_fd, KVM_GET_DIRTY_LOG, &log));
	for (i = 0, n = 0; i < pages; i++) {
		bool dirty = bitmap[i / 64] & (1ULL << (i % 64));
		bool want = false;
		unsigned int j;

		for (j = 0; j < sizeof(written) / sizeof(written[0]); j++)
			want |= written[j] == i;
		EXPECT_EQ(want, dirty) TH_LOG("page %u", i);
		n += dirty;
	}
	EXPECT_EQ(sizeof(written) / sizeof(written[0]), n);

	/* A write across a page boundary dirties both pages. */
	EXPECT_EQ(8, poke_write_phys(self->dev, SLOT1_GPA + 300 * PAGE_SIZE_4K - 4,
					&v, 8));
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ioctl(self->vm->vm_fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_TRUE(bitmap[299 / 64] & (1ULL << (299 % 64)));
	EXPECT_TRUE(bitmap[300 / 64] & (1ULL << (300 % 64)));
}

/*
 * A VM with a dirty ring: KVM logs writes only into the ring of the vCPU
 * that made them, so a write into a slot that logs dirty pages fails with
 * EOPNOTSUPP and moves nothing (and warns nowhere: the harness checks the
 * kernel log); reads work, and a slot that does not log takes writes.
 */
TEST(dirty_ring_vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING };
	uint64_t v = 0x1234, back = 0;
	struct kvm_vm *vm;
	uint8_t *logged;
	int dev, max;

	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK))
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	vm = vm_create(NULL);
	max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
	if (max <= 0) {
		vm_free(vm);
		SKIP(return, "no KVM_CAP_DIRTY_LOG_RING");
	}
	cap.args[0] = 4096 * 16 < max ? 4096 * 16 : max;
	ASSERT_EQ(0, ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap));
	logged = vm_add_slot(vm, 1, SLOT1_GPA, 0x200000, KVM_MEM_LOG_DIRTY_PAGES);
	memset(logged, 0x5a, 16);
	dev = bpfpoke_open_attached(vm->vm_fd);

	EXPECT_EQ(-EOPNOTSUPP, poke_write_phys(dev, SLOT1_GPA, &v, 8));
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, *(uint64_t *)logged);
	EXPECT_EQ(8, poke_read_phys(dev, SLOT1_GPA, &back, 8));
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, back);
	/* Slot 0 does not log dirty pages: writable as ever. */
	EXPECT_EQ(8, poke_write_phys(dev, 0x3000, &v, 8));
	EXPECT_EQ(v, *(uint64_t *)vm_gpa_hva(vm, 0x3000));
	close(dev);
	vm_free(vm);
}

/* Validation: each branch, its errno, results poisoned before. */
TEST_F(access, validation)
{
	struct bpfpoke_op ops[2], *many;
	struct bpfpoke_access a;
	uint64_t buf[2];
	uint32_t done;
	unsigned int i;

	REQUIRE(self);
	ops[0] = bpfpoke_op(0x2000, buf, 8, 0);

	/* Batch header. */
	for (i = 0; i < 32; i++) {
		uint32_t bit = 1U << i;

		if (bit & (BPFPOKE_ACCESS_VIRT | BPFPOKE_ACCESS_ALL_OR_NOTHING))
			continue;
		EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 1, bit, 0, 0, &done));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags bit %u", i);
		EXPECT_EQ(POISON_U64, (uint64_t)ops[0].result);
	}
	memset(&a, 0, sizeof(a));
	a.ops = (uint64_t)(uintptr_t)ops;
	a.nr_ops = 1;
	for (i = 0; i < sizeof(a.reserved) / sizeof(a.reserved[0]); i++) {
		a.reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ACCESS, &a));
		EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[%u]", i);
		a.reserved[i] = 0;
	}
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 0, 0, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Counts beyond the array: the raw ioctl, the helper poisons results. */
	a.nr_ops = self->api.max_ops + 1;
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ACCESS, &a));
	EXPECT_EQ(E2BIG, errno);
	a.nr_ops = 0xffffffff;
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ACCESS, &a));
	EXPECT_EQ(E2BIG, errno);
	/* Physical addressing takes no page-table root or level count. */
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 1, 0, 0x1000, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 1, 0, 0, 4, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Virtual: 4 or 5 levels, an aligned root below 2^52. */
	for (i = 0; i < 8; i++) {
		if (i == 4 || i == 5)
			continue;
		EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 1, BPFPOKE_ACCESS_VIRT,
					     self->vm->pt_root, i, NULL));
		EXPECT_EQ(EINVAL, errno) TH_LOG("levels %u", i);
	}
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 1, BPFPOKE_ACCESS_VIRT,
				     self->vm->pt_root + 8, 4, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 1, BPFPOKE_ACCESS_VIRT,
				     1ULL << 52, 4, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Unreadable argument and op array. */
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ACCESS, NULL));
	EXPECT_EQ(EFAULT, errno);
	a.nr_ops = 1;
	a.ops = 8;
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ACCESS, &a));
	EXPECT_EQ(EFAULT, errno);

	/* Ops: len 0, len too big, unknown flags, wrapping range. */
	ops[1] = bpfpoke_op(0x3000, buf, 0, 0);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EINVAL, ops[1].result);
	EXPECT_EQ(-ECANCELED, ops[0].result);
	ops[1] = bpfpoke_op(0x3000, buf, self->api.max_op_len + 1, 0);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-E2BIG, ops[1].result);
	for (i = 1; i < 32; i++) {
		if ((1U << i) == BPFPOKE_OP_INLINE)
			continue;
		ops[1] = bpfpoke_op(0x3000, buf, 8, 1U << i);
		EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
		EXPECT_EQ(EINVAL, errno) TH_LOG("op flags bit %u", i);
		EXPECT_EQ(-EINVAL, ops[1].result);
	}
	ops[1] = bpfpoke_op(~0ULL - 3, buf, 8, 0);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
	EXPECT_EQ(EINVAL, errno);
	/* Inline: at most BPFPOKE_OP_INLINE_MAX bytes, and not 0. */
	ops[1] = bpfpoke_op(0x3000, NULL, BPFPOKE_OP_INLINE_MAX + 1,
			    BPFPOKE_OP_INLINE | BPFPOKE_OP_WRITE);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, ops[1].result);
	ops[1] = bpfpoke_op(0x3000, NULL, 0, BPFPOKE_OP_INLINE);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, ops[1].result);

	/* A batch above max_batch_len, each op within max_op_len. */
	many = calloc(self->api.max_ops, sizeof(*many));
	ASSERT_NE(NULL, many);
	for (i = 0; i < self->api.max_ops; i++)
		many[i] = bpfpoke_op(0x2000, buf, self->api.max_op_len, 0);
	if ((uint64_t)self->api.max_ops * self->api.max_op_len > self->api.max_batch_len) {
		EXPECT_EQ(-1, bpfpoke_access(self->dev, many, self->api.max_ops,
					     0, 0, 0, &done));
		EXPECT_EQ(E2BIG, errno);
		i = self->api.max_batch_len / self->api.max_op_len;
		EXPECT_EQ(-E2BIG, many[i].result) TH_LOG("op %u", i);
		EXPECT_EQ(-ECANCELED, many[0].result);
	}
	free(many);

	/* Nothing above moved anything: the page is still zero. */
	EXPECT_EQ(0, *(uint64_t *)vm_gpa_hva(self->vm, 0x3000));
}

/* An inline op of @len bytes at @gpa: a write of @val, or a read. */
static struct bpfpoke_op inline_op(uint64_t gpa, uint32_t len, bool write,
				   uint64_t val)
{
	struct bpfpoke_op op = bpfpoke_op(gpa, NULL, len, BPFPOKE_OP_INLINE |
					  (write ? BPFPOKE_OP_WRITE : 0));

	op.buf = val;
	return op;
}

/*
 * BPFPOKE_OP_INLINE: a write's bytes come from the op, a read's go back in
 * it (the rest of @buf 0), the cached way and, with ALL_OR_NOTHING, the
 * pinned way; across a page boundary too.  A failed read leaves @buf as it
 * was; a successful one needs no buffer of the caller's at all.
 */
TEST_F(access, inline_ops)
{
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	struct bpfpoke_op ops[4];
	uint64_t gpa, want;
	uint8_t *hva;
	uint32_t done;
	unsigned int i, all;

	REQUIRE(self);
	if (!(self->api.features & BPFPOKE_FEATURE_OP_INLINE))
		SKIP(return, "the module has no BPFPOKE_OP_INLINE");
	/* The last 3 bytes of a page and the first 5 of the next. */
	gpa = vm_alloc_pages(self->vm, 2, 0) + PAGE_SIZE_4K - 3;
	hva = vm_gpa_hva(self->vm, gpa - 64);
	for (all = 0; all < 2; all++) {
		uint32_t flags = all ? BPFPOKE_ACCESS_ALL_OR_NOTHING : 0;

		memset(hva, 0xee, 128);
		for (i = 0; i < 4; i++)
			ops[i] = inline_op(gpa - 32 + 8 * i, lens[i], true,
					   0x1122334455667788ULL + i + all);
		ops[3].addr = gpa;	/* 8 bytes across the boundary */
		ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 4, flags, 0, 0, &done));
		EXPECT_EQ(4, done);
		for (i = 0; i < 4; i++) {
			want = 0x1122334455667788ULL + i + all;
			EXPECT_EQ(lens[i], ops[i].result);
			EXPECT_EQ(0, memcmp(hva + (ops[i].addr - (gpa - 64)),
					    &want, lens[i]))
				TH_LOG("write %u (%s)", i, all ? "all" : "each");
		}
		/* The byte after the 1-byte write is untouched. */
		EXPECT_EQ(0xee, hva[64 - 32 + 1]);

		for (i = 0; i < 4; i++)
			ops[i] = inline_op(gpa - 32 + 8 * i, lens[i], false,
					   POISON_U64);
		ops[3].addr = gpa;
		ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 4, flags, 0, 0, &done));
		EXPECT_EQ(4, done);
		for (i = 0; i < 4; i++) {
			want = 0x1122334455667788ULL + i + all;
			if (lens[i] < 8)
				want &= (1ULL << (8 * lens[i])) - 1;
			EXPECT_EQ(lens[i], ops[i].result);
			EXPECT_EQ(want, ops[i].buf) TH_LOG("read %u (%s)", i,
							    all ? "all" : "each");
		}
	}
	/* A read that fails leaves @buf alone. */
	ops[0] = inline_op(0x80000000ULL, 8, false, 0x5a5a);	/* no slot */
	ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 1, 0, 0, 0, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EFAULT, ops[0].result);
	EXPECT_EQ(0x5a5a, ops[0].buf);
}

struct batcher {
	int dev;
	uint64_t gpa;		/* 256 u64 of its own */
	uint64_t *mem;		/* the same, the VMM's view */
	unsigned int rounds;
	unsigned int bad;	/* rounds whose batch or values were wrong */
};

/* Batches of 256 (above the module's 64 of the per-call array). */
static void *batch_loop(void *arg)
{
	struct batcher *b = arg;
	struct bpfpoke_op ops[256];
	unsigned int r, i;
	uint32_t done;

	for (r = 0; r < b->rounds; r++) {
		for (i = 0; i < 256; i++) {
			ops[i] = bpfpoke_op(b->gpa + 8 * i, NULL, 8,
					    BPFPOKE_OP_WRITE | BPFPOKE_OP_INLINE);
			ops[i].buf = b->gpa * 1000 + r * 256 + i;
		}
		if (bpfpoke_access(b->dev, ops, 256, 0, 0, 0, &done) || done != 256) {
			b->bad++;
			continue;
		}
		for (i = 0; i < 256; i++)
			if (b->mem[i] != b->gpa * 1000 + r * 256 + i)
				break;
		b->bad += i < 256;
	}
	return NULL;
}

/*
 * Large batches share the file's kept op array; one that finds it in use
 * by another call at the same time gets its own.  Two threads on one file,
 * each batch checked.
 */
TEST_F(access, large_batches_at_once)
{
	struct batcher b[2];
	pthread_t th[2];
	unsigned int i;

	REQUIRE(self);
	if (!(self->api.features & BPFPOKE_FEATURE_OP_INLINE))
		SKIP(return, "the module has no BPFPOKE_OP_INLINE");
	for (i = 0; i < 2; i++) {
		b[i].dev = self->dev;
		b[i].gpa = vm_alloc_pages(self->vm, 1, 0);
		b[i].mem = vm_gpa_hva(self->vm, b[i].gpa);
		b[i].rounds = 200;
		b[i].bad = 0;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, batch_loop, &b[i]));
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, b[i].bad) TH_LOG("thread %u", i);
	}
}

TEST_F(access, bad_user_buffers)
{
	struct bpfpoke_op ops[2];
	uint64_t v = 5, gpa;
	uint32_t done;
	void *gone;

	REQUIRE(self);
	gpa = vm_alloc_pages(self->vm, 1, 0);
	gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	/* A read into read-only memory, then a write from unmapped memory. */
	ops[0] = bpfpoke_op(gpa, gone, 8, 0);
	ops[1] = bpfpoke_op(gpa, (void *)8, 8, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 2, 0, 0, 0, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EFAULT, ops[0].result);
	EXPECT_EQ(-EFAULT, ops[1].result);
	/* Kernel addresses are never user buffers. */
	ops[0] = bpfpoke_op(gpa, (void *)0xffffffff81000000ULL, 8, BPFPOKE_OP_WRITE);
	ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 1, 0, 0, 0, &done));
	EXPECT_EQ(-EFAULT, ops[0].result);
	EXPECT_EQ(0, *(uint64_t *)vm_gpa_hva(self->vm, gpa));
	munmap(gone, 4096);

	/*
	 * A buffer that runs into an unmapped page: small (staged) and large
	 * writes both fail whole, and the guest keeps its old bytes.
	 */
	{
		uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint8_t *g = vm_gpa_hva(self->vm, gpa);
		unsigned int len;

		ASSERT_NE(MAP_FAILED, two);
		memset(two, 0x77, 8192);
		ASSERT_EQ(0, munmap(two + 4096, 4096));
		memset(g, 0x11, 4096);
		for (len = 8; len <= 2048; len *= 16) {
			ops[0] = bpfpoke_op(gpa, two + 4096 - len / 2, len,
					    BPFPOKE_OP_WRITE);
			ASSERT_EQ(0, bpfpoke_access(self->dev, ops, 1, 0, 0, 0, &done));
			EXPECT_EQ(-EFAULT, ops[0].result) TH_LOG("len %u", len);
			EXPECT_EQ(0x11, g[0]) TH_LOG("len %u: half written", len);
			EXPECT_EQ(0x11, g[len / 2 - 1]);
		}
		munmap(two, 4096);
	}
	(void)v;
}

TEST_HARNESS_MAIN
