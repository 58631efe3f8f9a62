// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI growth policy of docs/userspace-api/bpfpoke.rst, as libbpfpoke
 * applies it to bpfpoke.ko's BPFPOKE_GET_API answer: api_version is a
 * floor, the features it uses must be there, unknown feature bits are
 * ignored, and no limit may be 0.  The real module's answer is checked in
 * L1 (selftests/kvm/api_test.c).
 */
#include <errno.h>
#include <linux/bpfpoke.h>

#include "kselftest_harness.h"
#include "mem.h"

/* What opening needs; a batch write needs ALL_OR_NOTHING too. */
#define USED	(BPFPOKE_FEATURE_ATTACH | BPFPOKE_FEATURE_REGIONS |	\
		 BPFPOKE_FEATURE_ACCESS_PHYS)

static struct bpfpoke_api answer(__u32 version, __u64 features)
{
	return (struct bpfpoke_api){
		.api_version = version,
		.features = features,
		.max_ops = 4096,
		.max_op_len = 1 << 20,
		.max_batch_len = 16 << 20,
	};
}

TEST(todays_module)
{
	struct bpfpoke_api a = answer(BPFPOKE_API_VERSION,
				      USED | BPFPOKE_FEATURE_ACCESS_VIRT |
				      BPFPOKE_FEATURE_ALL_OR_NOTHING |
				      BPFPOKE_FEATURE_DIRTY_LOG);

	EXPECT_EQ(0, bpfpoke_kmod_api_check(&a));
}

TEST(newer_module_with_more_features)
{
	struct bpfpoke_api a = answer(BPFPOKE_API_VERSION + 1,
				      USED | (1ULL << 40) | (1ULL << 63));

	EXPECT_EQ(0, bpfpoke_kmod_api_check(&a));
}

TEST(older_module)
{
	struct bpfpoke_api a = answer(BPFPOKE_API_VERSION - 1, USED);

	EXPECT_EQ(-EPROTONOSUPPORT, bpfpoke_kmod_api_check(&a));
}

TEST(a_used_feature_missing)
{
	__u64 bit;

	for (bit = 1; bit; bit <<= 1) {
		struct bpfpoke_api a;

		if (!(USED & bit))
			continue;
		a = answer(BPFPOKE_API_VERSION, USED & ~bit);
		EXPECT_EQ(-EPROTONOSUPPORT, bpfpoke_kmod_api_check(&a))
			TH_LOG("without feature 0x%llx", (unsigned long long)bit);
	}
}

TEST(a_zero_limit)
{
	struct bpfpoke_api a = answer(BPFPOKE_API_VERSION, USED);

	a.max_ops = 0;
	EXPECT_EQ(-EPROTONOSUPPORT, bpfpoke_kmod_api_check(&a));
	a = answer(BPFPOKE_API_VERSION, USED);
	a.max_op_len = 0;
	EXPECT_EQ(-EPROTONOSUPPORT, bpfpoke_kmod_api_check(&a));
	a = answer(BPFPOKE_API_VERSION, USED);
	a.max_batch_len = 0;
	EXPECT_EQ(-EPROTONOSUPPORT, bpfpoke_kmod_api_check(&a));
}

TEST_HARNESS_MAIN
