/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM for tests, in the style of tools/testing/selftests/kvm:
 * creates a VM through /dev/kvm, gives it memory, builds long-mode page
 * tables and runs guest code that lives in the test binary itself.
 *
 * Guest code is every function marked __guest: the linker gathers them in
 * the section guest_text, which the library copies into guest memory and
 * maps at the same virtual address as in the test, so calls between guest
 * functions work.  Guest code may not touch the test's globals, call libc
 * or use string literals; it reaches guest memory through guest_ptr() and
 * reports back through port I/O (GUEST_SYNC, GUEST_ASSERT, GUEST_DONE).
 */
#ifndef BPFPOKE_KVM_UTIL_H
#define BPFPOKE_KVM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define __guest __attribute__((section("guest_text"), noinline, used))

/* Guest virtual address of guest-physical 0: all of slot 0 is mapped there. */
#define GUEST_DIRECT_MAP	0x100000000000ULL

#define PAGE_SIZE_4K	0x1000ULL
#define PAGE_SIZE_2M	0x200000ULL
#define PAGE_SIZE_1G	0x40000000ULL

#define PTE_PRESENT	(1ULL << 0)
#define PTE_WRITE	(1ULL << 1)
#define PTE_PS		(1ULL << 7)	/* PS: a 2 MiB or 1 GiB page */
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

enum ucall_type {
	UCALL_NONE,
	UCALL_SYNC,	/* arg0, arg1: values the guest reports */
	UCALL_DONE,
	UCALL_ABORT,	/* arg0: __LINE__ of the failed GUEST_ASSERT, arg1: value */
	UCALL_SHUTDOWN,	/* triple fault: the guest took an exception */
	UCALL_UNHANDLED,	/* arg0: KVM exit reason */
};

struct ucall {
	uint64_t type;
	uint64_t arg0;
	uint64_t arg1;
};

#define UCALL_PORT	0xe9

static inline __attribute__((always_inline)) void
guest_ucall(uint64_t type, uint64_t arg0, uint64_t arg1)
{
	asm volatile("outl %%eax, %%dx"
		     : : "a"(0), "d"(UCALL_PORT), "D"(type), "S"(arg0), "c"(arg1)
		     : "memory");
}

#define GUEST_SYNC(a, b)	guest_ucall(UCALL_SYNC, (a), (b))
#define GUEST_DONE()		guest_ucall(UCALL_DONE, 0, 0)
#define GUEST_ASSERT(cond, val) do {					\
	if (!(cond))							\
		guest_ucall(UCALL_ABORT, __LINE__, (uint64_t)(val));	\
} while (0)

/* A guest-physical address as a pointer the guest can dereference. */
#define guest_ptr(type, gpa)	((type *)(GUEST_DIRECT_MAP + (uint64_t)(gpa)))

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	void *mem;		/* slot 0: guest-physical 0 .. mem_size */
	uint64_t mem_size;
	int levels;		/* 4 or 5 */
	uint64_t pt_root;	/* guest-physical address of the top table */
	uint64_t next_free;	/* bump allocator in slot 0 */
	int nr_vcpus;
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	int fd;
	int id;
	struct kvm_run *run;
	size_t run_size;
};

struct kvm_vm_opts {
	uint64_t mem_size;	/* bytes of slot 0, multiple of 2 MiB; 0: 64 MiB */
	int levels;		/* 4 (default) or 5 */
	uint32_t slot0_flags;	/* KVM_MEM_* of slot 0 */
};

/*
 * All functions abort the test with a message on failure, except where a
 * return value says otherwise: tests check the module, not this library.
 */
struct kvm_vm *vm_create(const struct kvm_vm_opts *opts);
void vm_free(struct kvm_vm *vm);
bool kvm_has_la57(void);

uint64_t vm_alloc_pages(struct kvm_vm *vm, uint64_t nr, uint64_t align);
void *vm_gpa_hva(struct kvm_vm *vm, uint64_t gpa);
void vm_map(struct kvm_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size,
	    uint64_t page_size);
void vm_unmap(struct kvm_vm *vm, uint64_t gva);
uint64_t vm_gva_gpa(struct kvm_vm *vm, uint64_t gva);

/* Adds memslot @slot with fresh anonymous memory; returns its host address. */
void *vm_add_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		  uint64_t size, uint32_t flags);
int vm_set_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		uint64_t size, uint32_t flags, void *hva);

struct kvm_vcpu *vcpu_create(struct kvm_vm *vm, void *guest_fn,
			     uint64_t arg0, uint64_t arg1);
void vcpu_free(struct kvm_vcpu *vcpu);
/* Runs until the guest's next ucall or an unexpected exit. */
uint64_t vcpu_run(struct kvm_vcpu *vcpu, struct ucall *uc);
const char *ucall_name(uint64_t type);

#endif /* BPFPOKE_KVM_UTIL_H */
