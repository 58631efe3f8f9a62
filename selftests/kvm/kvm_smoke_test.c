// SPDX-License-Identifier: GPL-2.0
/*
 * The test library itself: a long-mode mini-guest runs code from this
 * binary under the L1 KVM, reports through port I/O, and sees memory the
 * host changes; 2 MiB and 4 KiB mappings; a guest fault is reported as a
 * shutdown, not a hang.
 */
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "kvm_util.h"

static void __guest guest_echo(uint64_t gpa, uint64_t unused)
{
	volatile uint64_t *p = guest_ptr(volatile uint64_t, gpa);

	(void)unused;
	GUEST_SYNC(1, *p);		/* what the host put there first */
	GUEST_SYNC(2, *p);		/* the host changed it meanwhile */
	*p = 0x600d;			/* the host must see this */
	GUEST_DONE();
}

static void __guest guest_read_gva(uint64_t gva, uint64_t unused)
{
	(void)unused;
	GUEST_SYNC(*(volatile uint64_t *)gva, 0);
	GUEST_DONE();
}

static void __guest guest_fault(uint64_t gva, uint64_t unused)
{
	(void)unused;
	*(volatile uint64_t *)gva = 1;	/* not mapped: #PF, no IDT: shutdown */
	GUEST_DONE();
}

#define SKIP_WITHOUT_KVM(statement) do {				\
	if (access("/dev/kvm", R_OK | W_OK))				\
		SKIP(statement, "/dev/kvm not available");		\
} while (0)

TEST(guest_runs_and_sees_host_memory)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t gpa, *hva;

	SKIP_WITHOUT_KVM(return);
	vm = vm_create(NULL);
	gpa = vm_alloc_pages(vm, 1, 0);
	hva = vm_gpa_hva(vm, gpa);
	*hva = 0x1234;
	vcpu = vcpu_create(vm, guest_echo, gpa, 0);

	ASSERT_EQ(UCALL_SYNC, vcpu_run(vcpu, &uc)) TH_LOG("%s %lx", ucall_name(uc.type), (long)uc.arg0);
	EXPECT_EQ(1, uc.arg0);
	EXPECT_EQ(0x1234, uc.arg1);
	*hva = 0x5678;
	ASSERT_EQ(UCALL_SYNC, vcpu_run(vcpu, &uc));
	EXPECT_EQ(2, uc.arg0);
	EXPECT_EQ(0x5678, uc.arg1);
	ASSERT_EQ(UCALL_DONE, vcpu_run(vcpu, &uc));
	EXPECT_EQ(0x600d, *hva);
	vcpu_free(vcpu);
	vm_free(vm);
}

FIXTURE(mapping) {
	struct kvm_vm *vm;
};

FIXTURE_VARIANT(mapping) {
	uint64_t page_size;
};

FIXTURE_VARIANT_ADD(mapping, page_4k) { .page_size = PAGE_SIZE_4K };
FIXTURE_VARIANT_ADD(mapping, page_2m) { .page_size = PAGE_SIZE_2M };

FIXTURE_SETUP(mapping)
{
	self->vm = NULL;
	SKIP_WITHOUT_KVM(return);
	self->vm = vm_create(NULL);
}

FIXTURE_TEARDOWN(mapping)
{
	if (self->vm)
		vm_free(self->vm);
}

TEST_F(mapping, guest_reads_through_own_page_tables)
{
	const uint64_t gva = 0x7f0000000000ULL + 0x3000 * (variant->page_size == PAGE_SIZE_4K);
	uint64_t size = variant->page_size, gpa;
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	if (!self->vm)
		SKIP(return, "no VM");
	gpa = vm_alloc_pages(self->vm, size / PAGE_SIZE_4K, size);
	vm_map(self->vm, gva & ~(size - 1), gpa, size, size);
	*(uint64_t *)vm_gpa_hva(self->vm, gpa + (gva & (size - 1)) + 8) = 0xabcdef;
	ASSERT_EQ(gpa + (gva & (size - 1)) + 8, vm_gva_gpa(self->vm, gva + 8));

	vcpu = vcpu_create(self->vm, guest_read_gva, gva + 8, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run(vcpu, &uc)) TH_LOG("%s", ucall_name(uc.type));
	EXPECT_EQ(0xabcdef, uc.arg0);
	EXPECT_EQ(UCALL_DONE, vcpu_run(vcpu, &uc));
	vcpu_free(vcpu);
}

TEST_F(mapping, guest_fault_is_reported)
{
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	if (!self->vm)
		SKIP(return, "no VM");
	vcpu = vcpu_create(self->vm, guest_fault, 0x6f0000000000ULL, 0);
	EXPECT_EQ(UCALL_SHUTDOWN, vcpu_run(vcpu, &uc)) TH_LOG("%s", ucall_name(uc.type));
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
