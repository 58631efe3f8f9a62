// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/bpfpoke handshake and the rules every ioctl shares: privilege at
 * open, BPFPOKE_GET_API, reserved fields and unknown flags (EINVAL), unknown
 * commands (ENOTTY).  Output fields are poisoned before each call.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/bpfpoke.h>

#include "kselftest_harness.h"

#define POISON 0xcc

static int open_dev(struct __test_metadata *_metadata)
{
	int fd = open("/dev/bpfpoke", O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		SKIP(return -1, "/dev/bpfpoke missing: is bpfpoke.ko loaded?");
	ASSERT_LE(0, fd) TH_LOG("open /dev/bpfpoke: %s", strerror(errno));
	return fd;
}

/* Drops CAP_SYS_ADMIN from the effective set; stays uid 0 for DAC. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	data[CAP_SYS_ADMIN / 32].permitted &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &hdr, data);
}

TEST(open_needs_cap_sys_admin)
{
	int fd, status;
	pid_t pid;

	fd = open_dev(_metadata);
	if (fd < 0)
		return;
	close(fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (drop_sys_admin())
			_exit(10);
		fd = open("/dev/bpfpoke", O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			_exit(11);
		_exit(errno == EPERM ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child: 10 capset failed, 11 open succeeded, 12 wrong errno");
	}
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open_dev(_metadata);
}

/* A skip in FIXTURE_SETUP does not stop the test body. */
#define REQUIRE_DEV() do {						\
	if (self->fd < 0)						\
		SKIP(return, "/dev/bpfpoke missing");			\
} while (0)

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void api_init(struct bpfpoke_api *api)
{
	memset(api, POISON, sizeof(*api));
	api->flags = 0;
	memset(api->reserved, 0, sizeof(api->reserved));
}

TEST_F(dev, get_api)
{
	struct bpfpoke_api api;
	unsigned int i;

	REQUIRE_DEV();

	api_init(&api);
	ASSERT_EQ(0, ioctl(self->fd, BPFPOKE_GET_API, &api));
	EXPECT_EQ(BPFPOKE_API_VERSION, api.api_version);
	EXPECT_EQ(0, api.flags);
	EXPECT_NE(0, api.max_ops);
	EXPECT_NE(0, api.max_op_len);
	EXPECT_LE(api.max_op_len, api.max_batch_len);
	for (i = 0; i < sizeof(api.reserved) / sizeof(api.reserved[0]); i++)
		EXPECT_EQ(0, api.reserved[i]);
	/* Only bits the uapi header defines may be reported. */
	EXPECT_EQ(0, api.features & ~(BPFPOKE_FEATURE_ATTACH |
				      BPFPOKE_FEATURE_REGIONS |
				      BPFPOKE_FEATURE_ACCESS_PHYS |
				      BPFPOKE_FEATURE_ACCESS_VIRT |
				      BPFPOKE_FEATURE_ALL_OR_NOTHING |
				      BPFPOKE_FEATURE_DIRTY_LOG |
				      BPFPOKE_FEATURE_OP_INLINE));
}

TEST_F(dev, get_api_flags)
{
	struct bpfpoke_api api;
	unsigned int bit;

	REQUIRE_DEV();

	for (bit = 0; bit < 32; bit++) {
		api_init(&api);
		api.flags = 1U << bit;
		EXPECT_EQ(-1, ioctl(self->fd, BPFPOKE_GET_API, &api));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags bit %u", bit);
		/* Nothing is written back on failure. */
		EXPECT_EQ(0xccccccccU, api.api_version);
	}
}

TEST_F(dev, get_api_reserved)
{
	struct bpfpoke_api api;
	unsigned int i;

	REQUIRE_DEV();

	for (i = 0; i < sizeof(api.reserved) / sizeof(api.reserved[0]); i++) {
		api_init(&api);
		api.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-1, ioctl(self->fd, BPFPOKE_GET_API, &api));
		EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[%u]", i);
		EXPECT_EQ(0xccccccccU, api.api_version);
	}
}

TEST_F(dev, get_api_efault)
{
	REQUIRE_DEV();
	EXPECT_EQ(-1, ioctl(self->fd, BPFPOKE_GET_API, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, BPFPOKE_GET_API, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, unknown_commands)
{
	/* Wrong direction, wrong size, unused numbers, foreign magic. */
	const unsigned long cmds[] = {
		0,
		_IO(BPFPOKE_IOC_MAGIC, 0x00),
		_IOR(BPFPOKE_IOC_MAGIC, 0x00, struct bpfpoke_api),
		_IOWR(BPFPOKE_IOC_MAGIC, 0x00, __u64),
		_IOWR(BPFPOKE_IOC_MAGIC, 0x04, struct bpfpoke_access),
		_IOWR(BPFPOKE_IOC_MAGIC, 0xff, struct bpfpoke_api),
		_IOWR(0xAE, 0x00, struct bpfpoke_api),
		0xffffffffUL,
	};
	struct bpfpoke_api api;
	unsigned int i;

	REQUIRE_DEV();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		api_init(&api);
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &api));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd 0x%lx", cmds[i]);
	}
}

TEST_F(dev, not_seekable)
{
	REQUIRE_DEV();
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_HARNESS_MAIN
