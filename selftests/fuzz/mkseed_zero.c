// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds of the zero-config targets: mkseed_zero KALLSYMS_DIR BTF_DIR.
 * fuzz_kallsyms: tables in its layout, whose _stext is where its fixed
 * VMCOREINFO says, place-relative and absolute-percpu; fuzz_btf_blob:
 * the synthetic kernel's BTF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "../host/synth_image.h"

#define KVA	0xffffffff81000000ULL

static void put(unsigned char *buf, size_t off, const void *p, size_t n)
{
	memcpy(buf + off, p, n);
}

static int write_file(const char *dir, const char *name, const void *p,
		      size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		return -1;
	return 0;
}

/* @absolute: absolute-percpu offsets against a base at KVA, else place-relative. */
static int kallsyms_seed(const char *dir, const char *name, int absolute)
{
	static const char *const names[] = { "T_text", "T_stext", "Dmap_idr" };
	static const __u64 addrs[] = { KVA, KVA + 0x3000, KVA + 0x3800 };
	static unsigned char buf[0x3000];
	unsigned char tok[512];
	__u32 n = 3, i, pos = 0x2000;
	__u16 idx[256];
	__u64 base = KVA;
	__s32 off;

	memset(buf, 0, sizeof(buf));
	/* The target reads the relative base when byte 4 is odd. */
	put(buf, 0, &n, 4);
	buf[4] = absolute ? 1 : 0;
	put(buf, 8, &base, 8);
	for (i = 0; i < 256; i++) {
		tok[2 * i] = i > ' ' && i < 0x7f ? i : 'x';
		tok[2 * i + 1] = 0;
		idx[i] = 2 * i;
	}
	put(buf, 0x10, idx, sizeof(idx));
	put(buf, 0x210, tok, sizeof(tok));
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		buf[pos++] = len;
		put(buf, pos, names[i], len);
		pos += len;
		off = absolute ? (__s32)(base - 1 - addrs[i]) :
				 (__s32)(addrs[i] - (KVA + 0x1000 + 4ULL * i));
		put(buf, 0x1000 + 4 * i, &off, 4);
	}
	return write_file(dir, name, buf, sizeof(buf));
}

int main(int argc, char **argv)
{
	struct btf *kb;
	const void *raw;
	__u32 size;

	if (argc != 3) {
		fprintf(stderr, "usage: mkseed_zero KALLSYMS_DIR BTF_DIR\n");
		return 2;
	}
	kb = sy_kernel_btf();
	raw = kb ? btf__raw_data(kb, &size) : NULL;
	if (kallsyms_seed(argv[1], "place-relative", 0) ||
	    kallsyms_seed(argv[1], "absolute-percpu", 1) || !raw ||
	    write_file(argv[2], "synthetic-kernel", raw, size)) {
		perror("mkseed_zero");
		return 1;
	}
	btf__free(kb);
	return 0;
}
