// SPDX-License-Identifier: GPL-2.0
/*
 * Scattered 4-byte writes into a KVM guest's memory from a process that is
 * not its VMM, three ways, in one run against one VMM:
 *
 *  - BPFPOKE_ACCESS batches (the module marks KVM's dirty log);
 *  - process_vm_writev() with one iovec per write, IOV_MAX per call;
 *  - pwrite() on /proc/PID/mem, one call per write.
 *
 * Prints ns per write for batches of 1, 64 and 4096, medians of several
 * rounds, and each baseline's ratio to BPFPOKE_ACCESS (whose ops carry
 * their 4 bytes inline, BPFPOKE_OP_INLINE, as the agent's do, when the
 * module takes that).  The table times the calls alone, every op and
 * iovec prepared before the clock starts; the lines after it time the
 * filling of each batch too, as the bench did before.  Then where a batch
 * of 4096 goes, from batches that stop one stage earlier each (see
 * by_variant()), the ioctl alone timed.  The module's cache of the VMM's
 * pages is warm after the first round, as on an open session; a last
 * line gives the first batch of a fresh file instead.
 * Not a test: the figures depend on the machine, and under TCG on the
 * emulator.  With --loop SECONDS it only writes warm batches of 4096 for
 * that long, for a profiler to watch.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "bpfpoke_util.h"

#define GUEST_MEM	(256ULL << 20)
#define SLOT		1
#define SLOT_GPA	0x100000000ULL
#define NR_TARGETS	4096
#define WRITES		16384	/* per round and method */
#define ROUNDS		5

struct vmm_info {
	int vm_fd;
	uint64_t hva;
};

static pid_t vmm_pid;

/* The VMM: a VM with a dirty-logged slot, all of it faulted in. */
static void vmm(int fd)
{
	struct kvm_vm *vm = vm_create(NULL);
	struct vmm_info info;
	void *mem;

	mem = vm_add_slot(vm, SLOT, SLOT_GPA, GUEST_MEM, KVM_MEM_LOG_DIRTY_PAGES);
	memset(mem, 0, GUEST_MEM);
	info.vm_fd = vm->vm_fd;
	info.hva = (uint64_t)(uintptr_t)mem;
	if (write(fd, &info, sizeof(info)) != sizeof(info))
		_exit(1);
	for (;;)
		pause();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t offsets[NR_TARGETS];
static uint32_t values[NR_TARGETS];

/* The module takes BPFPOKE_OP_INLINE: small writes carry their bytes. */
static bool have_inline;

/* Op @i of a batch: a 4-byte write of values[@t], inline if it can be. */
static void write_op(struct bpfpoke_op *op, unsigned int t, bool inl)
{
	op->addr = SLOT_GPA + offsets[t];
	op->len = 4;
	op->flags = BPFPOKE_OP_WRITE;
	if (inl) {
		op->buf = 0;
		memcpy(&op->buf, &values[t], 4);
		op->flags |= BPFPOKE_OP_INLINE;
	} else {
		op->buf = (uint64_t)(uintptr_t)&values[t];
	}
}

static void by_access(int dev, unsigned int batch)
{
	static struct bpfpoke_op ops[NR_TARGETS];
	struct bpfpoke_access a;
	unsigned int i, w;

	for (w = 0; w < WRITES; w += batch) {
		for (i = 0; i < batch; i++)
			write_op(&ops[i], (w + i) % NR_TARGETS, have_inline);
		memset(&a, 0, sizeof(a));
		a.ops = (uint64_t)(uintptr_t)ops;
		a.nr_ops = batch;
		if (ioctl(dev, BPFPOKE_ACCESS, &a) || a.nr_done != batch)
			err(1, "BPFPOKE_ACCESS");
	}
}

/*
 * Where a batch of NR_TARGETS ops goes, by what each kind of batch does
 * that the one it builds on (@base) does not:
 *   checks  the last op is invalid (length 0): the op array copied in,
 *           every op checked, every result written back as -ECANCELED;
 *   miss    every op outside guest memory: + each op's memslot lookup
 *           (a miss), failing with -EFAULT;
 *   read    every op a read of its target into the agent's buffer: + the
 *           lookup's hit, the cache of the VMM's pages, the copy out;
 *   write   every op a write from the agent's buffer: + the copy in
 *           instead, and the dirty marking;
 *   and read and write again with BPFPOKE_OP_INLINE: the bytes in the op,
 *   no user access of their own.
 */
enum variant {
	V_CHECKS, V_MISS, V_READ, V_WRITE, V_READ_INLINE, V_WRITE_INLINE,
	NR_VARIANTS
};
static const struct {
	const char *name;
	int base;
} variants[NR_VARIANTS] = {
	[V_CHECKS] = { "copy-in, checks, results", -1 },
	[V_MISS] = { "+ memslot lookup (a miss)", V_CHECKS },
	[V_READ] = { "+ cache lookup, copy out (reads)", V_MISS },
	[V_WRITE] = { "+ copy in, dirty log (writes)", V_READ },
	[V_READ_INLINE] = { "reads, inline: + over a miss", V_MISS },
	[V_WRITE_INLINE] = { "writes, inline: + over reads", V_READ_INLINE },
};

static uint64_t by_variant(int dev, enum variant v)
{
	static struct bpfpoke_op ops[NR_TARGETS];
	static uint32_t sink[NR_TARGETS];
	struct bpfpoke_access a;
	unsigned int i, w;
	uint64_t t0, t = 0;
	int ret;

	bool inl = v == V_READ_INLINE || v == V_WRITE_INLINE;

	for (w = 0; w < WRITES; w += NR_TARGETS) {
		for (i = 0; i < NR_TARGETS; i++) {
			write_op(&ops[i], i, inl);
			if (v == V_MISS)
				ops[i].addr += 2 * GUEST_MEM;
			if (v == V_READ)
				ops[i].buf = (uint64_t)(uintptr_t)&sink[i];
			if (v == V_READ || v == V_READ_INLINE)
				ops[i].flags &= ~BPFPOKE_OP_WRITE;
		}
		if (v == V_CHECKS)
			ops[NR_TARGETS - 1].len = 0;
		memset(&a, 0, sizeof(a));
		a.ops = (uint64_t)(uintptr_t)ops;
		a.nr_ops = NR_TARGETS;
		t0 = now_ns();
		ret = ioctl(dev, BPFPOKE_ACCESS, &a);
		t += now_ns() - t0;
		if (v == V_CHECKS ? ret != -1 || errno != EINVAL :
		    v == V_MISS ? ret || a.nr_done || ops[0].result != -EFAULT :
		    ret || a.nr_done != NR_TARGETS)
			errx(1, "BPFPOKE_ACCESS, %s: unexpected outcome", variants[v].name);
		if (v == V_READ_INLINE && memcmp(&ops[7].buf, &values[7], 4))
			errx(1, "BPFPOKE_ACCESS, %s: not the bytes written", variants[v].name);
	}
	return t;
}

/* One batch of a write to each target; its time in ns. */
static uint64_t access_once(int dev)
{
	static struct bpfpoke_op ops[NR_TARGETS];
	struct bpfpoke_access a;
	uint64_t t0;
	unsigned int i;

	for (i = 0; i < NR_TARGETS; i++)
		write_op(&ops[i], i, have_inline);
	memset(&a, 0, sizeof(a));
	a.ops = (uint64_t)(uintptr_t)ops;
	a.nr_ops = NR_TARGETS;
	t0 = now_ns();
	if (ioctl(dev, BPFPOKE_ACCESS, &a) || a.nr_done != NR_TARGETS)
		err(1, "BPFPOKE_ACCESS");
	return now_ns() - t0;
}

static void by_process_vm_writev(uint64_t hva, unsigned int batch)
{
	static struct iovec local[NR_TARGETS], remote[NR_TARGETS];
	unsigned int i, w, done, n;
	ssize_t ret;

	for (w = 0; w < WRITES; w += batch) {
		for (i = 0; i < batch; i++) {
			unsigned int t = (w + i) % NR_TARGETS;

			local[i].iov_base = &values[t];
			local[i].iov_len = 4;
			remote[i].iov_base = (void *)(uintptr_t)(hva + offsets[t]);
			remote[i].iov_len = 4;
		}
		for (done = 0; done < batch; done += n) {
			n = batch - done < IOV_MAX ? batch - done : IOV_MAX;
			ret = process_vm_writev(vmm_pid, local + done, n,
						remote + done, n, 0);
			if (ret != (ssize_t)n * 4)
				err(1, "process_vm_writev");
		}
	}
}

/*
 * The same writes with every op and iovec prepared before the clock
 * starts (prepare_all()): the calls alone, which is what the table shows.
 * by_access() and by_process_vm_writev() fill each batch inside the
 * clock, the method of the bench before; their figures follow the table.
 */
static struct bpfpoke_op all_ops[WRITES];
static struct iovec all_local[WRITES], all_remote[WRITES];

static void prepare_all(uint64_t hva)
{
	unsigned int w, t;

	for (w = 0; w < WRITES; w++) {
		t = w % NR_TARGETS;
		write_op(&all_ops[w], t, have_inline);
		all_local[w].iov_base = &values[t];
		all_local[w].iov_len = 4;
		all_remote[w].iov_base = (void *)(uintptr_t)(hva + offsets[t]);
		all_remote[w].iov_len = 4;
	}
}

static void calls_access(int dev, unsigned int batch)
{
	struct bpfpoke_access a;
	unsigned int w;

	for (w = 0; w < WRITES; w += batch) {
		memset(&a, 0, sizeof(a));
		a.ops = (uint64_t)(uintptr_t)&all_ops[w];
		a.nr_ops = batch;
		if (ioctl(dev, BPFPOKE_ACCESS, &a) || a.nr_done != batch)
			err(1, "BPFPOKE_ACCESS");
	}
}

static void calls_process_vm_writev(unsigned int batch)
{
	unsigned int w, done, n;

	for (w = 0; w < WRITES; w += batch)
		for (done = 0; done < batch; done += n) {
			n = batch - done < IOV_MAX ? batch - done : IOV_MAX;
			if (process_vm_writev(vmm_pid, all_local + w + done, n,
					      all_remote + w + done, n, 0) !=
			    (ssize_t)n * 4)
				err(1, "process_vm_writev");
		}
}

static void by_proc_mem(int mem_fd, uint64_t hva)
{
	unsigned int w;

	for (w = 0; w < WRITES; w++) {
		unsigned int t = w % NR_TARGETS;

		if (pwrite(mem_fd, &values[t], 4, hva + offsets[t]) != 4)
			err(1, "pwrite /proc/PID/mem");
	}
}

int main(int argc, char **argv)
{
	static const unsigned int batches[] = { 1, 64, 4096 };
	uint64_t t[5][3][ROUNDS], med[5][3], tv[NR_VARIANTS][ROUNDS];
	double vmed[NR_VARIANTS];
	struct bpfpoke_api api = {};
	unsigned int v;
	int pipefd[2], pidfd, vm_fd, dev, mem_fd;
	struct vmm_info info;
	unsigned int b, m, r, i;
	char path[64];

	if (access("/dev/kvm", R_OK | W_OK) || access("/dev/bpfpoke", F_OK)) {
		printf("# access_bench: needs /dev/kvm and bpfpoke.ko\n");
		return 4;
	}
	if (pipe(pipefd))
		err(1, "pipe");
	vmm_pid = fork();
	if (vmm_pid < 0)
		err(1, "fork");
	if (!vmm_pid)
		vmm(pipefd[1]);
	if (read(pipefd[0], &info, sizeof(info)) != sizeof(info))
		errx(1, "the VMM did not start");

	pidfd = pidfd_open(vmm_pid, 0);
	vm_fd = pidfd_getfd(pidfd, info.vm_fd, 0);
	if (vm_fd < 0)
		err(1, "pidfd_getfd");
	dev = bpfpoke_open_attached(vm_fd);
	if (ioctl(dev, BPFPOKE_GET_API, &api))
		err(1, "BPFPOKE_GET_API");
	have_inline = api.features & BPFPOKE_FEATURE_OP_INLINE;
	snprintf(path, sizeof(path), "/proc/%d/mem", vmm_pid);
	mem_fd = open(path, O_RDWR);
	if (mem_fd < 0)
		err(1, "open %s", path);

	/* Distinct pages, random order, a random aligned spot in each. */
	srand(42);
	for (i = 0; i < NR_TARGETS; i++) {
		offsets[i] = (uint64_t)i * (GUEST_MEM / NR_TARGETS) +
			     4 * (rand() % 1024);
		values[i] = rand();
	}
	for (i = NR_TARGETS - 1; i > 0; i--) {
		unsigned int j = rand() % (i + 1);
		uint64_t o = offsets[i];

		offsets[i] = offsets[j];
		offsets[j] = o;
	}

	/* --loop SECONDS: warm write batches of NR_TARGETS only, for perf. */
	if (argc == 3 && !strcmp(argv[1], "--loop")) {
		uint64_t end = now_ns() + strtoull(argv[2], NULL, 10) * 1000000000ULL;
		unsigned long n = 0;

		by_access(dev, NR_TARGETS);
		for (; now_ns() < end; n++)
			by_access(dev, NR_TARGETS);
		printf("access_bench: %lu rounds of %u writes in batches of %u\n",
		       n, WRITES, NR_TARGETS);
		kill(vmm_pid, SIGKILL);
		waitpid(vmm_pid, NULL, 0);
		return 0;
	}

	prepare_all(info.hva);
	for (r = 0; r < ROUNDS; r++) {
		for (b = 0; b < 3; b++) {
			uint64_t t0 = now_ns();

			calls_access(dev, batches[b]);
			t[0][b][r] = now_ns() - t0;
			t0 = now_ns();
			calls_process_vm_writev(batches[b]);
			t[1][b][r] = now_ns() - t0;
			t0 = now_ns();
			by_proc_mem(mem_fd, info.hva);
			t[2][b][r] = now_ns() - t0;
			t0 = now_ns();
			by_access(dev, batches[b]);
			t[3][b][r] = now_ns() - t0;
			t0 = now_ns();
			by_process_vm_writev(info.hva, batches[b]);
			t[4][b][r] = now_ns() - t0;
		}
	}
	for (m = 0; m < 5; m++)
		for (b = 0; b < 3; b++) {
			qsort(t[m][b], ROUNDS, sizeof(uint64_t), cmp_u64);
			med[m][b] = t[m][b][ROUNDS / 2];
		}

	printf("access_bench: scattered 4-byte writes, %u writes over %u pages of a %llu MiB dirty-logged slot, median of %u rounds, ns/write of the calls alone; BPFPOKE_ACCESS ops %s\n",
	       WRITES, NR_TARGETS, GUEST_MEM >> 20, ROUNDS,
	       have_inline ? "inline (BPFPOKE_OP_INLINE)" : "with buffer pointers");
	printf("%-6s %16s %18s %14s %12s %12s\n", "batch", "BPFPOKE_ACCESS",
	       "process_vm_writev", "/proc/PID/mem", "pvw/access", "mem/access");
	for (b = 0; b < 3; b++) {
		double a = (double)med[0][b] / WRITES;
		double p = (double)med[1][b] / WRITES;
		double f = (double)med[2][b] / WRITES;

		printf("%-6u %16.0f %18.0f %14.0f %12.2f %12.2f\n", batches[b],
		       a, p, f, p / a, f / a);
	}
	printf("with each batch's ops or iovecs filled inside the clock too (the bench's method before):\n");
	for (b = 0; b < 3; b++) {
		double a = (double)med[3][b] / WRITES;
		double p = (double)med[4][b] / WRITES;

		printf("  batch %-6u ACCESS %6.0f  process_vm_writev %6.0f  pvw/access %5.2f\n",
		       batches[b], a, p, p / a);
	}

	/* The breakdown of a batch of NR_TARGETS, warm. */
	for (r = 0; r < ROUNDS; r++)
		for (v = 0; v < NR_VARIANTS; v++)
			if (have_inline || v < V_READ_INLINE)
				tv[v][r] = by_variant(dev, v);
	printf("batch %u, where an op goes (the ioctl alone, ns/op; then what it adds):\n",
	       NR_TARGETS);
	for (v = 0; v < NR_VARIANTS && (have_inline || v < V_READ_INLINE); v++) {
		int base = variants[v].base;

		qsort(tv[v], ROUNDS, sizeof(uint64_t), cmp_u64);
		vmed[v] = (double)tv[v][ROUNDS / 2] / WRITES;
		printf("  %-36s %8.0f %8.0f\n", variants[v].name, vmed[v],
		       base < 0 ? vmed[v] : vmed[v] - vmed[base]);
	}

	/* Cold: a fresh file, its cache empty, one batch over every page. */
	for (r = 0; r < ROUNDS; r++) {
		int cold = bpfpoke_open_attached(vm_fd);

		t[0][0][r] = access_once(cold);
		close(cold);
	}
	qsort(t[0][0], ROUNDS, sizeof(uint64_t), cmp_u64);
	printf("%-6s %16.0f  (BPFPOKE_ACCESS, a fresh file's first batch)\n",
	       "cold", (double)t[0][0][ROUNDS / 2] / NR_TARGETS);

	kill(vmm_pid, SIGKILL);
	waitpid(vmm_pid, NULL, 0);
	return 0;
}
