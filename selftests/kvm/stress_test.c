// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bpfpoke under hostile timing: the VMM killed while another thread
 * loops over BPFPOKE_ACCESS, memslots deleted and re-added while batches
 * run, and random ioctls.  Passing means correct errors here and a clean
 * L1 kernel log, which the harness checks after the run.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "bpfpoke_util.h"

#define REQUIRE_DEVICES() do {						\
	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK)) \
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");	\
} while (0)

struct looper {
	int dev;
	uint64_t gpa;
	atomic_bool stop;
	atomic_ulong ok, esrch, other;
	int last_errno;
};

/* Reads and writes a batch over and over until told to stop. */
static void *access_loop(void *arg)
{
	struct looper *l = arg;
	struct bpfpoke_op ops[16];
	uint64_t buf[16];
	unsigned int i;

	for (i = 0; i < 16; i++)
		buf[i] = i;
	while (!atomic_load(&l->stop)) {
		for (i = 0; i < 16; i++)
			ops[i] = bpfpoke_op(l->gpa + i * 4096 + 8 * i, &buf[i], 8,
					    i & 1 ? BPFPOKE_OP_WRITE : 0);
		if (!bpfpoke_access(l->dev, ops, 16, 0, 0, 0, NULL)) {
			atomic_fetch_add(&l->ok, 1);
		} else if (errno == ESRCH) {
			atomic_fetch_add(&l->esrch, 1);
		} else {
			l->last_errno = errno;
			atomic_fetch_add(&l->other, 1);
		}
	}
	return NULL;
}

static pid_t spawn_vmm(int *vm_fd)
{
	int sync_pipe[2], child_fd, pidfd;
	struct kvm_vm *vm;
	pid_t pid;

	if (pipe(sync_pipe))
		return -1;
	pid = fork();
	if (pid == 0) {
		vm = vm_create(NULL);
		if (write(sync_pipe[1], &vm->vm_fd, sizeof(int)) != sizeof(int))
			_exit(1);
		for (;;)
			pause();
	}
	close(sync_pipe[1]);
	if (pid < 0 || read(sync_pipe[0], &child_fd, sizeof(int)) != sizeof(int))
		return -1;
	close(sync_pipe[0]);
	pidfd = pidfd_open(pid, 0);
	*vm_fd = pidfd_getfd(pidfd, child_fd, 0);
	close(pidfd);
	return *vm_fd < 0 ? -1 : pid;
}

/*
 * 100 rounds, or as many as fit in 20 s but at least 10: on the debug
 * kernel of make check-debug a round takes long enough that 100 would
 * pass the harness's 30 s.
 */
TEST(vmm_killed_during_access_100_rounds)
{
	unsigned long ok = 0, esrch = 0;
	int round, vm_fd, status;
	struct timespec t0, t;
	struct looper l;
	pthread_t thread;
	pid_t pid;

	REQUIRE_DEVICES();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < 100; round++) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (round >= 10 && t.tv_sec - t0.tv_sec >= 20)
			break;
		pid = spawn_vmm(&vm_fd);
		ASSERT_LT(0, pid) TH_LOG("round %d: VMM setup failed", round);
		memset(&l, 0, sizeof(l));
		l.dev = bpfpoke_open_attached(vm_fd);
		l.gpa = 0x200000;
		close(vm_fd);
		ASSERT_EQ(0, pthread_create(&thread, NULL, access_loop, &l));
		/* Let some batches through, then kill the VMM mid-loop. */
		while (atomic_load(&l.ok) < 3)
			usleep(100);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		/* The loop must see ESRCH, not hang. */
		while (atomic_load(&l.esrch) < 3 && atomic_load(&l.other) == 0)
			usleep(100);
		atomic_store(&l.stop, true);
		pthread_join(thread, NULL);
		EXPECT_EQ(0, atomic_load(&l.other)) TH_LOG("round %d errno %d",
							    round, l.last_errno);
		ok += atomic_load(&l.ok);
		esrch += atomic_load(&l.esrch);
		close(l.dev);
	}
	TH_LOG("%d rounds, %lu batches done, %lu ESRCH after the kill", round,
	       ok, esrch);
}

TEST(memslot_churn_during_access)
{
	struct looper l[2];
	pthread_t thread[2];
	struct kvm_vm *vm;
	unsigned long ok, efault;
	void *hva;
	int i, t;

	REQUIRE_DEVICES();
	vm = vm_create(NULL);
	hva = vm_add_slot(vm, 1, 0x10000000, 0x200000, KVM_MEM_LOG_DIRTY_PAGES);
	for (t = 0; t < 2; t++) {
		memset(&l[t], 0, sizeof(l[t]));
		l[t].dev = bpfpoke_open_attached(vm->vm_fd);
		l[t].gpa = 0x10000000 + t * 0x80000;
		ASSERT_EQ(0, pthread_create(&thread[t], NULL, access_loop, &l[t]));
	}
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, vm_set_slot(vm, 1, 0x10000000, 0, 0, NULL));
		usleep(200);
		/* Back at the same place, sometimes read-only, sometimes moved. */
		ASSERT_EQ(0, vm_set_slot(vm, 1, 0x10000000 + (i % 3 == 2) * 0x400000,
					 0x200000, i % 3 == 1 ? KVM_MEM_READONLY :
					 KVM_MEM_LOG_DIRTY_PAGES, hva));
		usleep(200);
	}
	ok = efault = 0;
	for (t = 0; t < 2; t++) {
		atomic_store(&l[t].stop, true);
		pthread_join(thread[t], NULL);
		/* Failed ops come back as results, never as a failed ioctl. */
		EXPECT_EQ(0, atomic_load(&l[t].other)) TH_LOG("errno %d", l[t].last_errno);
		EXPECT_EQ(0, atomic_load(&l[t].esrch));
		ok += atomic_load(&l[t].ok);
		close(l[t].dev);
	}
	EXPECT_LT(0, ok);
	(void)efault;
	vm_free(vm);
}

/* xorshift64*: reproducible from the seed printed on failure. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static uint64_t pick_ptr(uint64_t *s, void *good, size_t good_len)
{
	switch (rnd(s) % 6) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff81000000ULL + (rnd(s) & 0xffff);	/* kernel */
	case 2:
		return rnd(s);
	case 3:
		return 4096 * (rnd(s) % 16);				/* unmapped low */
	default:
		return (uint64_t)(uintptr_t)good + rnd(s) % good_len;
	}
}

TEST(random_ioctls_100000)
{
	static const unsigned long cmds[] = {
		BPFPOKE_GET_API, BPFPOKE_ATTACH, BPFPOKE_GET_REGIONS,
		BPFPOKE_ACCESS,
	};
	/* The scratch area the ops may legitimately point at. */
	const size_t scratch_len = 1 << 20;
	uint64_t seed = 0x6270667030656b65ULL, s, n;
	struct bpfpoke_op *ops;
	struct kvm_vm *vm;
	uint8_t *scratch;
	int dev, i;

	REQUIRE_DEVICES();
	vm = vm_create(NULL);
	vm_add_slot(vm, 1, 0x10000000, 0x200000, KVM_MEM_READONLY);
	vm_add_slot(vm, 2, 0x20000000, 0x200000, KVM_MEM_LOG_DIRTY_PAGES);
	scratch = mmap(NULL, scratch_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, scratch);
	ops = (struct bpfpoke_op *)scratch;
	dev = bpfpoke_open();
	ASSERT_LE(0, dev);
	s = seed;
	TH_LOG("seed 0x%llx", (unsigned long long)seed);
	for (n = 0; n < 100000; n++) {
		union {
			struct bpfpoke_api api;
			struct bpfpoke_attach attach;
			struct bpfpoke_regions regions;
			struct bpfpoke_access access;
			uint64_t raw[8];
		} arg;
		unsigned long cmd;
		uint32_t nr;

		for (i = 0; i < 8; i++)
			arg.raw[i] = rnd(&s) % 4 ? 0 : rnd(&s);
		if (rnd(&s) % 8 == 0)
			cmd = rnd(&s);	/* anything */
		else
			cmd = cmds[rnd(&s) % 4];
		if (cmd == BPFPOKE_ATTACH && rnd(&s) % 2) {
			arg.attach.vm_fd = rnd(&s) % 2 ? vm->vm_fd : (int)(rnd(&s) % 64);
		} else if (cmd == BPFPOKE_GET_REGIONS) {
			arg.regions.regions = pick_ptr(&s, scratch, scratch_len / 2);
			arg.regions.nr_regions = rnd(&s) % 8;
		} else if (cmd == BPFPOKE_ACCESS) {
			nr = rnd(&s) % 3 ? 1 + rnd(&s) % 64 : (uint32_t)rnd(&s);
			arg.access.nr_ops = nr;
			arg.access.ops = rnd(&s) % 8 ? (uint64_t)(uintptr_t)ops :
						       pick_ptr(&s, ops, 4096);
			arg.access.flags = rnd(&s) % 4 ? rnd(&s) % 4 : (uint32_t)rnd(&s);
			if (arg.access.flags & BPFPOKE_ACCESS_VIRT) {
				arg.access.root = rnd(&s) % 2 ? vm->pt_root : rnd(&s) & ~0xfffULL;
				arg.access.levels = 4 + rnd(&s) % 2;
			}
			for (i = 0; i < 64; i++) {
				struct bpfpoke_op *op = &ops[i];

				op->addr = rnd(&s) % 2 ? rnd(&s) % 0x30000000 : rnd(&s);
				op->len = rnd(&s) % 4 ? 1 + rnd(&s) % 9000 : (uint32_t)rnd(&s);
				op->flags = rnd(&s) % 8 ? rnd(&s) % 2 : (uint32_t)rnd(&s);
				/* Buffers in the upper half: never over the op array. */
				op->buf = rnd(&s) % 4 ? (uint64_t)(uintptr_t)scratch +
					  scratch_len / 2 + rnd(&s) % (scratch_len / 2 - 9000) :
					  pick_ptr(&s, scratch + scratch_len / 2, 4096);
			}
		}
		/* The return value is anything the ABI allows; no crash, no hang. */
		if (ioctl(dev, cmd, &arg) && errno == ENOTTY &&
		    (cmd == BPFPOKE_GET_API || cmd == BPFPOKE_ACCESS))
			ASSERT_TRUE(false) TH_LOG("ENOTTY for a known command");
		/* Now and then start over with a fresh, unattached file. */
		if (rnd(&s) % 1000 == 0) {
			close(dev);
			dev = bpfpoke_open();
			ASSERT_LE(0, dev);
		}
	}
	close(dev);
	munmap(scratch, scratch_len);
	vm_free(vm);
}

TEST_HARNESS_MAIN
