// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel's BTF blob as zero-config reads it from guest memory
 * (agent/lib/btf_blob.c): a good one parses; a header that lies about its
 * sections, or puts the u32-aligned type records at a misaligned offset
 * (fuzz_btf_blob found libbpf then hands out misaligned struct btf_type
 * pointers), is refused before libbpf sees it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "kselftest_harness.h"
#include "kmodel.h"
#include "synth_image.h"

static char last[512];

static int capture(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	if (level == BPFPOKE_WARN)
		vsnprintf(last, sizeof(last), fmt, ap);
	return 0;
}

/* The synthetic kernel's BTF, its header at @buf, types moved by @shift. */
static size_t blob(unsigned char *buf, size_t size, unsigned int shift)
{
	struct btf *kb = sy_kernel_btf();
	const unsigned char *raw;
	struct btf_header h;
	__u32 len;

	raw = btf__raw_data(kb, &len);
	if (!raw || len + shift > size)
		return 0;
	memcpy(&h, raw, sizeof(h));
	memcpy(buf, raw, h.hdr_len);
	memset(buf + h.hdr_len, 0, shift);
	memcpy(buf + h.hdr_len + shift, raw + h.hdr_len, len - h.hdr_len);
	h.type_off += shift;
	h.str_off += shift;
	memcpy(buf, &h, sizeof(h));
	btf__free(kb);
	return len + shift;
}

TEST(good_blob_parses)
{
	static unsigned char buf[1 << 16];
	struct btf *btf = NULL;
	size_t n = blob(buf, sizeof(buf), 0);

	ASSERT_NE(0, n);
	EXPECT_EQ(0, bpfpoke_btf_blob_parse(buf, n, &btf));
	ASSERT_NE(NULL, btf);
	EXPECT_GT(btf__type_cnt(btf), 1);
	btf__free(btf);
	/* Moved by a whole u32: still fine. */
	n = blob(buf, sizeof(buf), 4);
	EXPECT_EQ(0, bpfpoke_btf_blob_parse(buf, n, &btf));
	btf__free(btf);
}

TEST(misaligned_types_refused)
{
	static unsigned char buf[1 << 16];
	struct btf *btf = NULL;
	unsigned int shift;
	size_t n;

	bpfpoke_set_print(capture);
	for (shift = 1; shift < 4; shift++) {
		n = blob(buf, sizeof(buf), shift);
		ASSERT_NE(0, n);
		EXPECT_EQ(-EINVAL, bpfpoke_btf_blob_parse(buf, n, &btf));
		EXPECT_NE(NULL, strstr(last, "misaligned type section")) TH_LOG("%s", last);
	}
}

TEST(lying_header_refused)
{
	static unsigned char buf[1 << 16];
	struct btf_header h;
	struct btf *btf = NULL;
	size_t n = blob(buf, sizeof(buf), 0);

	bpfpoke_set_print(capture);
	memcpy(&h, buf, sizeof(h));
	h.str_len += 1;
	memcpy(buf, &h, sizeof(h));
	EXPECT_EQ(-EINVAL, bpfpoke_btf_blob_parse(buf, n, &btf));
	EXPECT_NE(NULL, strstr(last, "bad header")) TH_LOG("%s", last);
	EXPECT_EQ(-EINVAL, bpfpoke_btf_blob_parse(buf, 8, &btf));
	EXPECT_NE(NULL, strstr(last, "too short")) TH_LOG("%s", last);
}

TEST_HARNESS_MAIN
