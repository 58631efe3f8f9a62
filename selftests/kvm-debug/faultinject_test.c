// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection over the ioctl paths of /dev/bpfpoke, for the debug
 * kernel of `make check-debug` (FAILSLAB, FAIL_PAGE_ALLOC).  Both are
 * armed for this task only (task-filter, /proc/thread-self/make-it-fail
 * set around each call) at a low probability, sleeping allocations
 * included.  Every open, ATTACH, GET_API, GET_REGIONS and ACCESS must then
 * succeed or fail with ENOMEM, each op's result be its length, -ENOMEM or
 * -ECANCELED, a failed all-or-nothing write batch must have written
 * nothing, and right after each call, with injection off, the device must
 * read and write correctly.  The harness scans for leaks with kmemleak
 * after the module is unloaded.  The test fails if no failure was
 * injected at all: the debug kernel must have both facilities.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "bpfpoke_util.h"

#include <linux/bpfpoke.h>

#define SLOT		1
#define SLOT_GPA	0x40000000ULL
#define SLOT_SIZE	(4ULL << 20)
#define MAX_OPS		4096
#define BUF_SIZE	(1 << 20)
#define ROUNDS		2000

static const char * const attrs[] = { "failslab", "fail_page_alloc" };

/* The attributes set, and the value each had before. */
static const char * const knobs[][2] = {
	{ "probability", "3" },
	{ "interval", "1" },
	{ "times", "1000000" },
	{ "space", "0" },
	{ "verbose", "0" },
	{ "task-filter", "Y" },
	{ "ignore-gfp-wait", "N" },
};

static int knob_path(char *p, size_t n, const char *attr, const char *knob)
{
	return snprintf(p, n, "/sys/kernel/debug/%s/%s", attr, knob);
}

static int knob_read(const char *attr, const char *knob, char *val, size_t n)
{
	char p[128];
	ssize_t len;
	int fd;

	knob_path(p, sizeof(p), attr, knob);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, val, n - 1);
	close(fd);
	if (len < 0)
		return -errno;
	val[len] = 0;
	val[strcspn(val, "\n")] = 0;
	return 0;
}

static int knob_write(const char *attr, const char *knob, const char *val)
{
	char p[128];
	ssize_t len;
	int fd;

	knob_path(p, sizeof(p), attr, knob);
	fd = open(p, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = write(fd, val, strlen(val));
	close(fd);
	return len < 0 ? -errno : 0;
}

static long times_left(const char *attr)
{
	char v[64];

	if (knob_read(attr, "times", v, sizeof(v)))
		return -1;
	return strtol(v, NULL, 0);
}

FIXTURE(faultinject) {
	struct kvm_vm *vm;
	uint8_t *hva;
	int dev;
	int fail_fd;	/* /proc/thread-self/make-it-fail */
	char saved[2][ARRAY_SIZE(knobs)][64];
	char saved_min_order[64];
	struct bpfpoke_op *ops;
	uint8_t *buf;
	uint8_t *shadow;
	uint64_t seed;
};

FIXTURE_SETUP(faultinject)
{
	int a, k;

	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK))
		SKIP(return, "/dev/bpfpoke or /dev/kvm missing");
	/* Only make check-debug runs this test: its kernel has both. */
	ASSERT_EQ(0, access("/sys/kernel/debug/failslab/probability", W_OK))
		TH_LOG("no failslab in debugfs: CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS");
	ASSERT_EQ(0, access("/sys/kernel/debug/fail_page_alloc/probability", W_OK))
		TH_LOG("no fail_page_alloc in debugfs: CONFIG_FAIL_PAGE_ALLOC");
	/* Faults in our own memory under injection would be the OOM path. */
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));

	self->vm = vm_create(NULL);
	self->hva = vm_add_slot(self->vm, SLOT, SLOT_GPA, SLOT_SIZE,
				KVM_MEM_LOG_DIRTY_PAGES);
	self->dev = bpfpoke_open_attached(self->vm->vm_fd);
	self->ops = calloc(MAX_OPS, sizeof(*self->ops));
	self->buf = malloc(BUF_SIZE);
	self->shadow = malloc(SLOT_SIZE);
	ASSERT_NE(NULL, self->ops);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->shadow);
	memset(self->buf, 0, BUF_SIZE);
	memset(self->shadow, 0, SLOT_SIZE);
	self->fail_fd = open("/proc/thread-self/make-it-fail", O_WRONLY);
	ASSERT_LE(0, self->fail_fd);
	self->seed = 0x6661756c74696e6aULL;

	for (a = 0; a < 2; a++) {
		for (k = 0; k < (int)ARRAY_SIZE(knobs); k++) {
			ASSERT_EQ(0, knob_read(attrs[a], knobs[k][0],
					       self->saved[a][k], 64));
			ASSERT_EQ(0, knob_write(attrs[a], knobs[k][0], knobs[k][1]))
				TH_LOG("%s/%s", attrs[a], knobs[k][0]);
		}
	}
	ASSERT_EQ(0, knob_read("fail_page_alloc", "min-order",
			       self->saved_min_order, 64));
	ASSERT_EQ(0, knob_write("fail_page_alloc", "min-order", "0"));
}

FIXTURE_TEARDOWN(faultinject)
{
	int a, k;

	if (!self->vm)
		return;
	for (a = 0; a < 2; a++)
		for (k = 0; k < (int)ARRAY_SIZE(knobs); k++)
			if (self->saved[a][k][0])
				knob_write(attrs[a], knobs[k][0], self->saved[a][k]);
	if (self->saved_min_order[0])
		knob_write("fail_page_alloc", "min-order", self->saved_min_order);
	if (self->fail_fd >= 0)
		close(self->fail_fd);
	close(self->dev);
	vm_free(self->vm);
	munlockall();
}

/* xorshift64*: reproducible from the seed printed on failure. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void inject(int fd, bool on)
{
	if (pwrite(fd, on ? "1" : "0", 1, 0) != 1)
		abort();
}

/* An ioctl with injection armed around it; 0 or -errno. */
static int ioctl_injected(int fail_fd, int dev, unsigned long cmd, void *arg)
{
	int ret;

	inject(fail_fd, true);
	ret = ioctl(dev, cmd, arg);
	ret = ret ? -errno : 0;
	inject(fail_fd, false);
	return ret;
}

#define UNTOUCHED	0x5a5a5a5aLL

/*
 * The results of @nr ops after an ACCESS that returned @ret: none written
 * back (the op array itself could not be had: ENOMEM), or each one its
 * length, -ENOMEM or -ECANCELED.  Ops that landed, in *@done.
 */
static bool results_clean(const struct bpfpoke_op *ops, uint32_t nr, int ret,
			  uint32_t *done)
{
	uint32_t i, untouched = 0;

	*done = 0;
	for (i = 0; i < nr; i++) {
		untouched += ops[i].result == UNTOUCHED;
		*done += ops[i].result == ops[i].len;
		if (ops[i].result != UNTOUCHED && ops[i].result != ops[i].len &&
		    ops[i].result != -ENOMEM && ops[i].result != -ECANCELED) {
			printf("# op %u: result %lld\n", i, (long long)ops[i].result);
			return false;
		}
	}
	if (untouched == nr)
		return ret == -ENOMEM;
	return untouched == 0;
}

TEST_F(faultinject, ioctl_paths_fail_cleanly)
{
	long before[2], injected[2];
	unsigned long enomem = 0, calls = 0;
	struct bpfpoke_access acc;
	struct bpfpoke_regions reg;
	struct bpfpoke_region regions[8];
	struct bpfpoke_api api;
	uint64_t s = self->seed;
	int round, ret, a;
	uint32_t i, nr, done;

	TH_LOG("seed 0x%llx", (unsigned long long)self->seed);
	for (a = 0; a < 2; a++)
		before[a] = times_left(attrs[a]);

	for (round = 0; round < ROUNDS; round++) {
		unsigned int kind = rnd(&s) % 6;
		uint64_t off, check;
		int dev2;

		memset(&acc, 0, sizeof(acc));
		acc.ops = (uint64_t)(uintptr_t)self->ops;
		switch (kind) {
		case 0:		/* GET_REGIONS */
			memset(&reg, 0, sizeof(reg));
			reg.regions = (uint64_t)(uintptr_t)regions;
			reg.nr_regions = ARRAY_SIZE(regions);
			ret = ioctl_injected(self->fail_fd, self->dev,
					     BPFPOKE_GET_REGIONS, &reg);
			break;
		case 1:		/* a fresh file: open, GET_API, ATTACH */
			inject(self->fail_fd, true);
			dev2 = open("/dev/bpfpoke", O_RDWR | O_CLOEXEC);
			ret = dev2 < 0 ? -errno : 0;
			inject(self->fail_fd, false);
			if (dev2 >= 0) {
				memset(&api, 0, sizeof(api));
				ret = ioctl_injected(self->fail_fd, dev2,
						     BPFPOKE_GET_API, &api);
				if (!ret) {
					struct bpfpoke_attach at = {
						.vm_fd = self->vm->vm_fd,
					};

					ret = ioctl_injected(self->fail_fd, dev2,
							     BPFPOKE_ATTACH, &at);
				}
				if (!ret) {
					check = rnd(&s);
					ret = poke_write_phys(dev2, SLOT_GPA, &check, 8) == 8 ?
					      0 : -EIO;
					ASSERT_EQ(0, ret) TH_LOG("round %d: fresh file", round);
					ASSERT_EQ(0, memcmp(self->hva, &check, 8));
					memcpy(self->shadow, &check, 8);
				}
				close(dev2);
			}
			break;
		case 2:		/* reads, cached and pinned sizes */
		case 3:		/* a big batch: its op array is vmalloc'ed */
			nr = kind == 2 ? 1 + rnd(&s) % 64 : MAX_OPS;
			for (i = 0; i < nr; i++) {
				uint32_t len = kind == 2 ? 1 + rnd(&s) % 9000 : 8;

				off = rnd(&s) % (SLOT_SIZE - len);
				self->ops[i] = bpfpoke_op(SLOT_GPA + off,
					self->buf + (kind == 2 ? i * 9000 % (BUF_SIZE - 9000) :
						     i * 8), len, 0);
				self->ops[i].result = UNTOUCHED;
			}
			acc.nr_ops = nr;
			ret = ioctl_injected(self->fail_fd, self->dev,
					     BPFPOKE_ACCESS, &acc);
			ASSERT_TRUE(results_clean(self->ops, nr, ret, &done))
				TH_LOG("round %d: reads, errno %d", round, -ret);
			if (!ret)
				ASSERT_EQ(done, acc.nr_done);
			break;
		case 4:		/* an all-or-nothing write batch */
			nr = 1 + rnd(&s) % 32;
			for (i = 0; i < nr; i++) {
				uint32_t len = 1 + rnd(&s) % 5000;
				uint8_t *b = self->buf + i * 5000;

				off = (i * (SLOT_SIZE / 32)) + rnd(&s) % (SLOT_SIZE / 32 - len);
				memset(b, (int)(rnd(&s) & 0xff), len);
				self->ops[i] = bpfpoke_op(SLOT_GPA + off, b, len,
							  BPFPOKE_OP_WRITE);
				self->ops[i].result = UNTOUCHED;
			}
			acc.nr_ops = nr;
			acc.flags = BPFPOKE_ACCESS_ALL_OR_NOTHING;
			ret = ioctl_injected(self->fail_fd, self->dev,
					     BPFPOKE_ACCESS, &acc);
			ASSERT_TRUE(results_clean(self->ops, nr, ret, &done))
				TH_LOG("round %d: write batch, errno %d", round, -ret);
			ASSERT_EQ(ret ? 0 : nr, done);
			for (i = 0; i < nr && !ret; i++)
				memcpy(self->shadow + (self->ops[i].addr - SLOT_GPA),
				       (void *)(uintptr_t)self->ops[i].buf,
				       self->ops[i].len);
			/* Landed whole, or not at all. */
			ASSERT_EQ(0, memcmp(self->hva, self->shadow, SLOT_SIZE))
				TH_LOG("round %d: guest memory is not what %s batch leaves",
				       round, ret ? "a failed" : "a landed");
			break;
		default:	/* guest-virtual reads through the page tables */
			nr = 1 + rnd(&s) % 16;
			for (i = 0; i < nr; i++) {
				off = rnd(&s) % (self->vm->mem_size - 4096);
				self->ops[i] = bpfpoke_op(GUEST_DIRECT_MAP + off,
							  self->buf + i * 4096,
							  1 + rnd(&s) % 4096, 0);
				self->ops[i].result = UNTOUCHED;
			}
			acc.nr_ops = nr;
			acc.flags = BPFPOKE_ACCESS_VIRT;
			acc.root = self->vm->pt_root;
			acc.levels = self->vm->levels;
			ret = ioctl_injected(self->fail_fd, self->dev,
					     BPFPOKE_ACCESS, &acc);
			ASSERT_TRUE(results_clean(self->ops, nr, ret, &done))
				TH_LOG("round %d: virtual reads, errno %d", round, -ret);
			break;
		}
		calls++;
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM)
			TH_LOG("round %d (kind %u): errno %d", round, kind, -ret);
		enomem += ret == -ENOMEM;

		/* Injection off: the device works, and the log is sane. */
		check = rnd(&s);
		off = (rnd(&s) % (BUF_SIZE / 8)) * 8;
		ASSERT_EQ(8, poke_write_phys(self->dev, SLOT_GPA + off, &check, 8))
			TH_LOG("round %d: the write after it", round);
		memcpy(self->shadow + off, &check, 8);
		check = 0;
		ASSERT_EQ(8, poke_read_phys(self->dev, SLOT_GPA + off, &check, 8));
		ASSERT_EQ(0, memcmp(&check, self->shadow + off, 8));
	}
	ASSERT_EQ(0, memcmp(self->hva, self->shadow, SLOT_SIZE))
		TH_LOG("guest memory differs from what was written");
	for (a = 0; a < 2; a++)
		injected[a] = before[a] - times_left(attrs[a]);
	TH_LOG("%lu calls, %lu failed with ENOMEM; injected: %ld slab, %ld page",
	       calls, enomem, injected[0], injected[1]);
	EXPECT_LT(0, injected[0]);
	EXPECT_LT(0, injected[1]);
	EXPECT_LT(0, enomem);
}

TEST_HARNESS_MAIN
