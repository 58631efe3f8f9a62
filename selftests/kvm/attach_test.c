// SPDX-License-Identifier: GPL-2.0
/*
 * BPFPOKE_ATTACH and BPFPOKE_GET_REGIONS: what may be attached, every
 * validation branch with its errno, the VM fd taken from a VMM process
 * with pidfd_getfd(), the region list, and a VMM that exits while
 * attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "bpfpoke_util.h"

#define REQUIRE(self) do {						\
	if ((self)->dev < 0)						\
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");	\
} while (0)

FIXTURE(attach) {
	int dev;
	struct kvm_vm *vm;
};

FIXTURE_SETUP(attach)
{
	self->dev = -1;
	self->vm = NULL;
	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK))
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	self->dev = bpfpoke_open();
	ASSERT_LE(0, self->dev);
	self->vm = vm_create(NULL);
}

FIXTURE_TEARDOWN(attach)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->vm)
		vm_free(self->vm);
}

static void attach_init(struct bpfpoke_attach *a, int fd)
{
	memset(a, 0, sizeof(*a));
	a->vm_fd = fd;
}

TEST_F(attach, vm_fd)
{
	REQUIRE(self);
	EXPECT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));
}

TEST_F(attach, twice_is_ebusy)
{
	struct kvm_vm *other;

	REQUIRE(self);
	ASSERT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, self->vm->vm_fd));
	EXPECT_EQ(EBUSY, errno);
	other = vm_create(NULL);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, other->vm_fd));
	EXPECT_EQ(EBUSY, errno);
	vm_free(other);
}

TEST_F(attach, two_files_one_vm)
{
	int dev2;

	REQUIRE(self);
	dev2 = bpfpoke_open();
	ASSERT_LE(0, dev2);
	EXPECT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));
	EXPECT_EQ(0, bpfpoke_attach(dev2, self->vm->vm_fd));
	close(dev2);
}

TEST_F(attach, bad_fds)
{
	int file, kvm_dev, pipes[2], sock[2];
	struct kvm_create_device dev_args;
	struct kvm_vcpu *vcpu;

	REQUIRE(self);
	/* Closed and out-of-range descriptors. */
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, -1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, 1000000));
	EXPECT_EQ(EBADF, errno);
	file = open("/proc/self/status", O_RDONLY);
	ASSERT_LE(0, file);
	close(file);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, file));
	EXPECT_EQ(EBADF, errno);

	/* Open files that are not KVM VMs. */
	file = open("/init", O_RDONLY);
	ASSERT_LE(0, file);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, file));
	EXPECT_EQ(EINVAL, errno);
	close(file);
	kvm_dev = open("/dev/kvm", O_RDWR);
	ASSERT_LE(0, kvm_dev);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, kvm_dev));
	EXPECT_EQ(EINVAL, errno);
	close(kvm_dev);
	vcpu = vcpu_create(self->vm, NULL, 0, 0);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, vcpu->fd));
	EXPECT_EQ(EINVAL, errno);
	vcpu_free(vcpu);
	/*
	 * KVM's other anonymous-inode files: the VM's stats file is named
	 * "kvm-vm-stats", so a prefix match on "kvm-vm" would take it.
	 */
	file = ioctl(self->vm->vm_fd, KVM_GET_STATS_FD, NULL);
	ASSERT_LE(0, file);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, file));
	EXPECT_EQ(EINVAL, errno);
	close(file);
	vcpu = vcpu_create(self->vm, NULL, 0, 0);
	file = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	ASSERT_LE(0, file);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, file));
	EXPECT_EQ(EINVAL, errno);
	close(file);
	vcpu_free(vcpu);
	dev_args.type = KVM_DEV_TYPE_VFIO;
	dev_args.fd = -1;
	dev_args.flags = 0;
	if (ioctl(self->vm->vm_fd, KVM_CREATE_DEVICE, &dev_args) == 0) {
		EXPECT_EQ(-1, bpfpoke_attach(self->dev, dev_args.fd));
		EXPECT_EQ(EINVAL, errno);
		close(dev_args.fd);
	} else {
		TH_LOG("no kvm-vfio device (%s): that case not run", strerror(errno));
	}
	/* Another subsystem's anonymous-inode file. */
	file = eventfd(0, 0);
	ASSERT_LE(0, file);
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, file));
	EXPECT_EQ(EINVAL, errno);
	close(file);
	ASSERT_EQ(0, pipe(pipes));
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, pipes[0]));
	EXPECT_EQ(EINVAL, errno);
	close(pipes[0]);
	close(pipes[1]);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sock));
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, sock[0]));
	EXPECT_EQ(EINVAL, errno);
	close(sock[0]);
	close(sock[1]);
	/* Another /dev/bpfpoke is not a VM either. */
	EXPECT_EQ(-1, bpfpoke_attach(self->dev, self->dev));
	EXPECT_EQ(EINVAL, errno);

	/* None of that attached anything. */
	EXPECT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));
}

TEST_F(attach, flags_and_reserved)
{
	struct bpfpoke_attach a;
	unsigned int i;

	REQUIRE(self);
	for (i = 0; i < 32; i++) {
		attach_init(&a, self->vm->vm_fd);
		a.flags = 1U << i;
		EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ATTACH, &a));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags bit %u", i);
	}
	for (i = 0; i < sizeof(a.reserved) / sizeof(a.reserved[0]); i++) {
		attach_init(&a, self->vm->vm_fd);
		a.reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ATTACH, &a));
		EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[%u]", i);
	}
	/* Flags are checked before the fd. */
	attach_init(&a, -1);
	a.flags = 1;
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ATTACH, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));
}

TEST_F(attach, not_attached_is_enotconn)
{
	struct bpfpoke_regions r;
	struct bpfpoke_op op;
	uint64_t v = 0;

	REQUIRE(self);
	memset(&r, 0, sizeof(r));
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
	EXPECT_EQ(ENOTCONN, errno);
	op = bpfpoke_op(0x1000, &v, sizeof(v), 0);
	EXPECT_EQ(-1, bpfpoke_access(self->dev, &op, 1, 0, 0, 0, NULL));
	EXPECT_EQ(ENOTCONN, errno);
	/* ENOTCONN comes before argument checks. */
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_GET_REGIONS, NULL));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_ACCESS, NULL));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(attach, regions)
{
	struct bpfpoke_region reg[8];
	struct bpfpoke_regions r;
	unsigned int i;

	REQUIRE(self);
	vm_add_slot(self->vm, 1, 0x10000000, 0x200000, KVM_MEM_READONLY);
	vm_add_slot(self->vm, 2, 0x100000000ULL, 0x400000, 0);
	ASSERT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));

	memset(reg, POISON_BYTE, sizeof(reg));
	memset(&r, 0, sizeof(r));
	r.nr_regions = 8;
	r.regions = (uint64_t)(uintptr_t)reg;
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
	ASSERT_EQ(3, r.nr_regions);
	/* Sorted by address. */
	EXPECT_EQ(0, reg[0].gpa);
	EXPECT_EQ(self->vm->mem_size, reg[0].size);
	EXPECT_EQ(0, reg[0].flags);
	EXPECT_EQ(0, reg[0].slot);
	EXPECT_EQ(0x10000000, reg[1].gpa);
	EXPECT_EQ(0x200000, reg[1].size);
	EXPECT_EQ(BPFPOKE_REGION_READONLY, reg[1].flags);
	EXPECT_EQ(1, reg[1].slot);
	EXPECT_EQ(0x100000000ULL, reg[2].gpa);
	EXPECT_EQ(0x400000, reg[2].size);
	EXPECT_EQ(0, reg[2].flags);
	EXPECT_EQ(2, reg[2].slot);
	/* Entries past the count are untouched. */
	EXPECT_EQ(POISON_U64, reg[3].gpa);

	/* A short array gets the first entries and the full count. */
	memset(reg, POISON_BYTE, sizeof(reg));
	r.nr_regions = 1;
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
	EXPECT_EQ(3, r.nr_regions);
	EXPECT_EQ(0, reg[0].gpa);
	EXPECT_EQ(POISON_U64, reg[1].gpa);

	/* Counting only. */
	r.nr_regions = 0;
	r.regions = 0;
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
	EXPECT_EQ(3, r.nr_regions);

	/* A deleted slot disappears. */
	ASSERT_EQ(0, vm_set_slot(self->vm, 1, 0x10000000, 0, 0, NULL));
	r.nr_regions = 8;
	r.regions = (uint64_t)(uintptr_t)reg;
	ASSERT_EQ(0, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
	EXPECT_EQ(2, r.nr_regions);
	for (i = 0; i < r.nr_regions; i++)
		EXPECT_NE(1, reg[i].slot);
}

TEST_F(attach, regions_validation)
{
	struct bpfpoke_regions r;
	unsigned int i;

	REQUIRE(self);
	ASSERT_EQ(0, bpfpoke_attach(self->dev, self->vm->vm_fd));
	for (i = 0; i < 32; i++) {
		memset(&r, 0, sizeof(r));
		r.flags = 1U << i;
		r.nr_regions = POISON_BYTE;
		EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags bit %u", i);
		EXPECT_EQ(POISON_BYTE, r.nr_regions);
	}
	for (i = 0; i < sizeof(r.reserved) / sizeof(r.reserved[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
		EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[%u]", i);
	}
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_GET_REGIONS, NULL));
	EXPECT_EQ(EFAULT, errno);
	memset(&r, 0, sizeof(r));
	r.nr_regions = 4;
	r.regions = 8;	/* unmapped */
	EXPECT_EQ(-1, ioctl(self->dev, BPFPOKE_GET_REGIONS, &r));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * The realistic path: a separate VMM process owns the VM; the test takes
 * its VM fd with pidfd_getfd() like the agent does.  Then the VMM exits.
 */
TEST(vmm_exit_while_attached)
{
	int sync_pipe[2], dev, pidfd, vm_fd, status;
	struct bpfpoke_regions r;
	struct kvm_vm *vm;
	uint64_t v = 42;
	pid_t pid;

	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK))
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	ASSERT_EQ(0, pipe(sync_pipe));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		vm = vm_create(NULL);
		if (write(sync_pipe[1], &vm->vm_fd, sizeof(int)) != sizeof(int))
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(sizeof(int), read(sync_pipe[0], &vm_fd, sizeof(int)));
	pidfd = pidfd_open(pid, 0);
	ASSERT_LE(0, pidfd);
	vm_fd = pidfd_getfd(pidfd, vm_fd, 0);
	ASSERT_LE(0, vm_fd) TH_LOG("pidfd_getfd: %s", strerror(errno));
	dev = bpfpoke_open_attached(vm_fd);
	close(vm_fd);	/* the module holds its own reference */

	EXPECT_EQ(sizeof(v), poke_write_phys(dev, 0x2000, &v, sizeof(v)));
	v = 0;
	EXPECT_EQ(sizeof(v), poke_read_phys(dev, 0x2000, &v, sizeof(v)));
	EXPECT_EQ(42, v);

	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	EXPECT_EQ(-ESRCH, poke_read_phys(dev, 0x2000, &v, sizeof(v)));
	EXPECT_EQ(-ESRCH, poke_write_phys(dev, 0x2000, &v, sizeof(v)));
	memset(&r, 0, sizeof(r));
	EXPECT_EQ(-1, ioctl(dev, BPFPOKE_GET_REGIONS, &r));
	EXPECT_EQ(ESRCH, errno);
	/* Closing drops the last reference to the VM: no warning, no leak. */
	close(dev);
	close(pidfd);
}

TEST_HARNESS_MAIN
