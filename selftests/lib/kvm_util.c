// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal VMM for the selftests: see kvm_util.h.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

/* Weak: a test without guest code has no guest_text section. */
extern char __start_guest_text[] __attribute__((weak));
extern char __stop_guest_text[] __attribute__((weak));

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define FIRST_FREE_GPA	0x100000ULL	/* leave the first MiB alone */

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 64;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			err(1, "calloc");
		cpuid->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			return cpuid;
		free(cpuid);
		if (errno != E2BIG || nent > 4096)
			err(1, "KVM_GET_SUPPORTED_CPUID");
		nent *= 2;
	}
}

bool kvm_has_la57(void)
{
	struct kvm_cpuid2 *cpuid;
	bool has = false;
	uint32_t i;
	int fd;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	cpuid = supported_cpuid(fd);
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 7 && cpuid->entries[i].index == 0)
			has = cpuid->entries[i].ecx & (1U << 16);
	free(cpuid);
	close(fd);
	return has;
}

void *vm_gpa_hva(struct kvm_vm *vm, uint64_t gpa)
{
	if (gpa >= vm->mem_size)
		errx(1, "gpa 0x%llx outside slot 0", (unsigned long long)gpa);
	return (char *)vm->mem + gpa;
}

uint64_t vm_alloc_pages(struct kvm_vm *vm, uint64_t nr, uint64_t align)
{
	uint64_t gpa;

	if (align < PAGE_SIZE_4K)
		align = PAGE_SIZE_4K;
	gpa = (vm->next_free + align - 1) & ~(align - 1);
	if (gpa + nr * PAGE_SIZE_4K > vm->mem_size)
		errx(1, "guest memory exhausted");
	vm->next_free = gpa + nr * PAGE_SIZE_4K;
	memset(vm_gpa_hva(vm, gpa), 0, nr * PAGE_SIZE_4K);
	return gpa;
}

static unsigned int pt_index(uint64_t gva, int level)
{
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

static int size_level(uint64_t page_size)
{
	switch (page_size) {
	case PAGE_SIZE_4K:
		return 1;
	case PAGE_SIZE_2M:
		return 2;
	case PAGE_SIZE_1G:
		return 3;
	}
	errx(1, "bad page size 0x%llx", (unsigned long long)page_size);
}

/* Returns the entry for @gva at @target level, creating tables above it. */
static uint64_t *pte_get(struct kvm_vm *vm, uint64_t gva, int target,
			 bool create)
{
	uint64_t table = vm->pt_root;
	int level;

	for (level = vm->levels; level > target; level--) {
		uint64_t *e = (uint64_t *)vm_gpa_hva(vm, table) + pt_index(gva, level);

		if (!(*e & PTE_PRESENT)) {
			if (!create)
				return NULL;
			*e = vm_alloc_pages(vm, 1, 0) | PTE_PRESENT | PTE_WRITE;
		} else if (*e & PTE_PS) {
			errx(1, "gva 0x%llx: large page at level %d",
			     (unsigned long long)gva, level);
		}
		table = *e & PTE_ADDR_MASK;
	}
	return (uint64_t *)vm_gpa_hva(vm, table) + pt_index(gva, target);
}

void vm_map(struct kvm_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size,
	    uint64_t page_size)
{
	int level = size_level(page_size);
	uint64_t off;

	if ((gva | gpa | size) & (page_size - 1))
		errx(1, "vm_map: unaligned 0x%llx -> 0x%llx",
		     (unsigned long long)gva, (unsigned long long)gpa);
	for (off = 0; off < size; off += page_size) {
		uint64_t *e = pte_get(vm, gva + off, level, true);

		*e = (gpa + off) | PTE_PRESENT | PTE_WRITE |
		     (level > 1 ? PTE_PS : 0);
	}
}

void vm_unmap(struct kvm_vm *vm, uint64_t gva)
{
	int level;

	for (level = 1; level <= 3; level++) {
		uint64_t *e = pte_get(vm, gva, level, false);

		if (e && (*e & PTE_PRESENT) && (level == 1 || (*e & PTE_PS))) {
			*e = 0;
			return;
		}
	}
	errx(1, "vm_unmap: 0x%llx not mapped", (unsigned long long)gva);
}

uint64_t vm_gva_gpa(struct kvm_vm *vm, uint64_t gva)
{
	uint64_t table = vm->pt_root;
	int level;

	for (level = vm->levels; level >= 1; level--) {
		uint64_t e = ((uint64_t *)vm_gpa_hva(vm, table))[pt_index(gva, level)];
		uint64_t span = 1ULL << (12 + 9 * (level - 1));

		if (!(e & PTE_PRESENT))
			errx(1, "gva 0x%llx not mapped", (unsigned long long)gva);
		if (level == 1 || (e & PTE_PS))
			return (e & PTE_ADDR_MASK & ~(span - 1)) + (gva & (span - 1));
		table = e & PTE_ADDR_MASK;
	}
	return 0;
}

int vm_set_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		uint64_t size, uint32_t flags, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

void *vm_add_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		  uint64_t size, uint32_t flags)
{
	void *hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (hva == MAP_FAILED)
		err(1, "mmap %llu bytes", (unsigned long long)size);
	if (vm_set_slot(vm, slot, gpa, size, flags, hva))
		err(1, "KVM_SET_USER_MEMORY_REGION slot %u", slot);
	return hva;
}

struct kvm_vm *vm_create(const struct kvm_vm_opts *opts)
{
	uintptr_t text = (uintptr_t)__start_guest_text & ~(PAGE_SIZE_4K - 1);
	uintptr_t text_end = ((uintptr_t)__stop_guest_text + PAGE_SIZE_4K - 1) &
			     ~(PAGE_SIZE_4K - 1);
	struct kvm_vm *vm;
	uint64_t gpa;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		err(1, "calloc");
	vm->mem_size = opts && opts->mem_size ? opts->mem_size : 64ULL << 20;
	vm->levels = opts && opts->levels ? opts->levels : 4;
	if (vm->mem_size % PAGE_SIZE_2M || (vm->levels != 4 && vm->levels != 5))
		errx(1, "vm_create: bad options");

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		err(1, "open /dev/kvm");
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		err(1, "KVM_CREATE_VM");
	vm->mem = vm_add_slot(vm, 0, 0, vm->mem_size,
			      opts ? opts->slot0_flags : 0);
	vm->next_free = FIRST_FREE_GPA;

	vm->pt_root = vm_alloc_pages(vm, 1, 0);
	vm_map(vm, GUEST_DIRECT_MAP, 0, vm->mem_size, PAGE_SIZE_2M);

	/* Guest code at the address the test binary has it. */
	gpa = vm_alloc_pages(vm, (text_end - text) / PAGE_SIZE_4K, 0);
	memcpy(vm_gpa_hva(vm, gpa), (void *)text, text_end - text);
	vm_map(vm, text, gpa, text_end - text, PAGE_SIZE_4K);
	return vm;
}

void vm_free(struct kvm_vm *vm)
{
	close(vm->vm_fd);
	close(vm->kvm_fd);
	munmap(vm->mem, vm->mem_size);
	free(vm);
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

struct kvm_vcpu *vcpu_create(struct kvm_vm *vm, void *guest_fn,
			     uint64_t arg0, uint64_t arg1)
{
	struct kvm_cpuid2 *cpuid;
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t stack;
	int size;

	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		err(1, "calloc");
	vcpu->vm = vm;
	vcpu->id = vm->nr_vcpus++;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, vcpu->id);
	if (vcpu->fd < 0)
		err(1, "KVM_CREATE_VCPU");
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*vcpu->run))
		err(1, "KVM_GET_VCPU_MMAP_SIZE");
	vcpu->run_size = size;
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		err(1, "mmap kvm_run");

	/* KVM checks EFER.LME and CR4 bits against the guest's CPUID. */
	cpuid = supported_cpuid(vm->kvm_fd);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid))
		err(1, "KVM_SET_CPUID2");
	free(cpuid);

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		err(1, "KVM_GET_SREGS");
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_PG;
	sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
		    (vm->levels == 5 ? X86_CR4_LA57 : 0);
	sregs.efer = EFER_LME | EFER_LMA;
	sregs.cr3 = vm->pt_root;
	set_seg(&sregs.cs, 0x8, 11, true);
	set_seg(&sregs.ds, 0x10, 3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = 0x18;
	sregs.tr.limit = 0x67;
	sregs.tr.type = 11;
	sregs.tr.present = 1;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		err(1, "KVM_SET_SREGS");

	stack = vm_alloc_pages(vm, 16, 0) + 16 * PAGE_SIZE_4K;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uint64_t)(uintptr_t)guest_fn;
	regs.rsp = GUEST_DIRECT_MAP + stack - 8;	/* as after a call */
	regs.rdi = arg0;
	regs.rsi = arg1;
	regs.rflags = 2;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		err(1, "KVM_SET_REGS");
	return vcpu;
}

void vcpu_free(struct kvm_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

uint64_t vcpu_run(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_regs regs;

	memset(uc, 0, sizeof(*uc));
	while (ioctl(vcpu->fd, KVM_RUN, 0)) {
		if (errno != EINTR)
			err(1, "KVM_RUN");
	}
	switch (vcpu->run->exit_reason) {
	case KVM_EXIT_IO:
		if (vcpu->run->io.port != UCALL_PORT)
			break;
		if (ioctl(vcpu->fd, KVM_GET_REGS, &regs))
			err(1, "KVM_GET_REGS");
		uc->type = regs.rdi;
		uc->arg0 = regs.rsi;
		uc->arg1 = regs.rcx;
		return uc->type;
	case KVM_EXIT_SHUTDOWN:
		uc->type = UCALL_SHUTDOWN;
		return uc->type;
	}
	uc->type = UCALL_UNHANDLED;
	uc->arg0 = vcpu->run->exit_reason;
	return uc->type;
}

const char *ucall_name(uint64_t type)
{
	static const char * const names[] = {
		[UCALL_NONE] = "none", [UCALL_SYNC] = "sync",
		[UCALL_DONE] = "done", [UCALL_ABORT] = "guest assert",
		[UCALL_SHUTDOWN] = "shutdown (triple fault)",
		[UCALL_UNHANDLED] = "unhandled exit",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}
