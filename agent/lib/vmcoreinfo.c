// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The guest kernel's VMCOREINFO, found in guest memory alone: the first
 * step of describing a guest kernel without a vmlinux or kallsyms copy.
 *
 * Kernels built with CRASH_DUMP or PROC_KCORE (Debian's, x86_64
 * defconfig) write, in a subsys_initcall, a page-aligned page of text
 * (kernel/vmcore_info.c, crash_core.c before 6.10) whose first line is
 * OSRELEASE=<release>, then KEY=VALUE lines: BUILD-ID, SYMBOL(name)=<hex
 * run-time address>, NUMBER(name)=<signed decimal>, KERNELOFFSET=<hex>,
 * ...  The scan reads every RAM region in chunks and looks at each page's
 * first bytes.  Guest memory is hostile: a page may merely look like
 * VMCOREINFO (a stale copy of an earlier boot, a kdump kernel's, one
 * written by the guest to mislead).  A candidate counts only when the
 * running kernel agrees with it: SYMBOL(init_uts_ns), translated through
 * the kernel-image mapping with NUMBER(phys_base), must hold its
 * OSRELEASE.  The name is looked for in the first bytes of init_uts_ns
 * rather than at an offset, which would need the kernel's BTF, which
 * this step comes before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kmodel.h"
#include "mem.h"

#define PAGE_SIZE_4K		4096ULL
#define START_KERNEL_MAP	0xffffffff80000000ULL
#define VMCOREINFO_MAGIC	"OSRELEASE="
/* Scanned at a time; a multiple of the page size. */
#define SCAN_CHUNK		(1ULL << 20)
/* Candidates looked at, at most: a real guest has one or two. */
#define MAX_CANDIDATES		64
/* Bytes of init_uts_ns searched for the release (sysname, nodename first). */
#define UTS_SEARCH		512

/* The whole of @s[0..@len) as hex (no 0x), at most 16 digits. */
static bool parse_hex(const char *s, size_t len, __u64 *out)
{
	__u64 v = 0;
	size_t i;

	if (!len || len > 16)
		return false;
	for (i = 0; i < len; i++) {
		int d = bpfpoke_hex_digit(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* The whole of @s[0..@len) as a signed decimal (%ld), as two's complement. */
static bool parse_dec(const char *s, size_t len, __u64 *out)
{
	__u64 mag;
	bool neg;

	if (!len || len > 21 || s[len - 1] < '0' || s[len - 1] > '9' ||
	    (len > 1 && s[*s == '-' ? 1 : 0] == '0'))
		return false;
	if (bpfpoke_parse_num(s, len, &neg, &mag) ||
	    mag > (neg ? 1ULL << 63 : (1ULL << 63) - 1))
		return false;
	*out = neg ? -mag : mag;
	return true;
}

static bool key_is(const char *key, size_t klen, const char *want)
{
	return klen == strlen(want) && !memcmp(key, want, klen);
}

/* One KEY=VALUE line into @vi; unknown keys are fine, bad values not. */
static int parse_line(struct bpfpoke_vmcoreinfo *vi, unsigned int *have,
		      const char *key, size_t klen, const char *val, size_t vlen)
{
	static const struct {
		const char *key;
		size_t off;
		bool hex;
	} fields[] = {
		{ "KERNELOFFSET", offsetof(struct bpfpoke_vmcoreinfo, kaslr_offset), true },
		{ "NUMBER(phys_base)", offsetof(struct bpfpoke_vmcoreinfo, phys_base), false },
		{ "SYMBOL(init_uts_ns)", offsetof(struct bpfpoke_vmcoreinfo, init_uts_ns), true },
		{ "SYMBOL(init_top_pgt)", offsetof(struct bpfpoke_vmcoreinfo, init_top_pgt), true },
		{ "SYMBOL(_stext)", offsetof(struct bpfpoke_vmcoreinfo, stext), true },
		{ "SYMBOL(kallsyms_names)", offsetof(struct bpfpoke_vmcoreinfo, kallsyms_names), true },
		{ "SYMBOL(kallsyms_num_syms)", offsetof(struct bpfpoke_vmcoreinfo, kallsyms_num_syms), true },
		{ "SYMBOL(kallsyms_token_table)", offsetof(struct bpfpoke_vmcoreinfo, kallsyms_token_table), true },
		{ "SYMBOL(kallsyms_token_index)", offsetof(struct bpfpoke_vmcoreinfo, kallsyms_token_index), true },
		{ "SYMBOL(kallsyms_offsets)", offsetof(struct bpfpoke_vmcoreinfo, kallsyms_offsets), true },
		{ "SYMBOL(kallsyms_relative_base)", offsetof(struct bpfpoke_vmcoreinfo, kallsyms_relative_base), true },
	};
	__u64 v, l5;
	size_t i;

	if (key_is(key, klen, "OSRELEASE")) {
		if (!vlen || vlen >= sizeof(vi->osrelease))
			return -EINVAL;
		for (i = 0; i < vlen; i++)
			if (val[i] <= ' ' || val[i] >= 0x7f)
				return -EINVAL;
		memcpy(vi->osrelease, val, vlen);
		vi->osrelease[vlen] = 0;
		return 0;
	}
	if (key_is(key, klen, "BUILD-ID")) {
		if (vlen != 40)
			return -EINVAL;
		for (i = 0; i < vlen; i++)
			if (bpfpoke_hex_digit(val[i]) < 0)
				return -EINVAL;
		memcpy(vi->build_id, val, vlen);
		vi->build_id[vlen] = 0;
		return 0;
	}
	if (key_is(key, klen, "NUMBER(pgtable_l5_enabled)")) {
		if (!parse_dec(val, vlen, &l5) || l5 > 1)
			return -EINVAL;
		vi->levels = l5 ? 5 : 4;
		return 0;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!key_is(key, klen, fields[i].key))
			continue;
		if (!(fields[i].hex ? parse_hex(val, vlen, &v) :
				      parse_dec(val, vlen, &v)))
			return -EINVAL;
		*(__u64 *)((char *)vi + fields[i].off) = v;
		*have |= 1U << i;
		return 0;
	}
	return 0;
}

/* Bits of @have, in the order of parse_line()'s fields. */
#define HAVE_KERNELOFFSET	(1U << 0)
#define HAVE_PHYS_BASE		(1U << 1)
#define HAVE_INIT_UTS_NS	(1U << 2)
#define HAVE_INIT_TOP_PGT	(1U << 3)
#define HAVE_STEXT		(1U << 4)
#define HAVE_KALLSYMS		(0x1fU << 5)	/* names .. offsets */

int bpfpoke_vmcoreinfo_parse(const char *text, size_t len,
			     struct bpfpoke_vmcoreinfo *vi)
{
	const char *p = text, *end, *nl, *eq;
	unsigned int have = 0;
	int err;

	memset(vi, 0, sizeof(*vi));
	if (len > BPFPOKE_VMCOREINFO_MAX)
		len = BPFPOKE_VMCOREINFO_MAX;
	end = memchr(text, 0, len);
	end = end ? end : text + len;
	if ((size_t)(end - p) < strlen(VMCOREINFO_MAGIC) ||
	    memcmp(p, VMCOREINFO_MAGIC, strlen(VMCOREINFO_MAGIC)))
		return -ENOENT;
	memcpy(vi->text, text, end - text);
	vi->text[end - text] = 0;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		/* A last line cut off by the page's end is not used. */
		if (!nl)
			break;
		eq = memchr(p, '=', nl - p);
		if (!eq)
			return -EINVAL;
		err = parse_line(vi, &have, p, eq - p, eq + 1, nl - eq - 1);
		if (err)
			return err;
		p = nl + 1;
	}
	if (!vi->osrelease[0] ||
	    (have & (HAVE_KERNELOFFSET | HAVE_PHYS_BASE | HAVE_INIT_UTS_NS)) !=
	    (HAVE_KERNELOFFSET | HAVE_PHYS_BASE | HAVE_INIT_UTS_NS))
		return -EINVAL;
	vi->has_kallsyms = (have & HAVE_KALLSYMS) == HAVE_KALLSYMS;
	return 0;
}

/* Guest-physical address of a kernel-image address, as __pa_symbol(). */
static __u64 image_pa(const struct bpfpoke_vmcoreinfo *vi, __u64 kva)
{
	return kva - START_KERNEL_MAP + vi->phys_base;
}

/* Whether the running kernel's init_uts_ns names @vi's release. */
static bool running_kernel_agrees(struct mem *mem,
				  const struct bpfpoke_vmcoreinfo *vi)
{
	size_t rlen = strlen(vi->osrelease), i;
	char uts[UTS_SEARCH];

	if (vi->init_uts_ns < START_KERNEL_MAP ||
	    bpfpoke_mem_read(mem, image_pa(vi, vi->init_uts_ns), uts, sizeof(uts)))
		return false;
	/* The release is a whole string, after the NUL of the one before. */
	for (i = 1; i + rlen < sizeof(uts); i++)
		if (!uts[i - 1] && !memcmp(uts + i, vi->osrelease, rlen) &&
		    !uts[i + rlen])
			return true;
	return false;
}

/*
 * The page at @gpa starts with OSRELEASE=: parse it and ask the running
 * kernel.  1 when it is the one, 0 when not, -errno on a read error.
 */
static int try_candidate(struct mem *mem, __u64 gpa,
			 struct bpfpoke_vmcoreinfo *vi)
{
	char *page = malloc(BPFPOKE_VMCOREINFO_MAX);
	int err;

	if (!page)
		return -ENOMEM;
	err = bpfpoke_mem_read(mem, gpa, page, BPFPOKE_VMCOREINFO_MAX);
	if (!err)
		err = bpfpoke_vmcoreinfo_parse(page, BPFPOKE_VMCOREINFO_MAX, vi);
	free(page);
	if (err == -ENOMEM || err == -EFAULT)
		return err;
	if (err) {
		pr_debug("VMCOREINFO candidate at gpa 0x%llx: malformed\n",
			 (unsigned long long)gpa);
		return 0;
	}
	vi->gpa = gpa;
	if (!running_kernel_agrees(mem, vi)) {
		pr_debug("VMCOREINFO candidate at gpa 0x%llx (%s): init_uts_ns does not name it\n",
			 (unsigned long long)gpa, vi->osrelease);
		return 0;
	}
	return 1;
}

/*
 * Where the cache says VMCOREINFO was last found: looked at first, with
 * every check of the scan.  1 when one of them is it.
 */
static int try_hints(struct mem *mem, struct bpfpoke_vmcoreinfo *vi,
		     struct bpfpoke_vmcoreinfo *cand)
{
	char magic[sizeof(VMCOREINFO_MAGIC) - 1];
	__u64 hints[16];
	unsigned int n, i;
	int r;

	n = bpfpoke_desc_cache_hints(DESC_HINTS_VMCOREINFO, hints, 16);
	for (i = 0; i < n; i++) {
		if (hints[i] & (PAGE_SIZE_4K - 1) ||
		    bpfpoke_mem_read(mem, hints[i], magic, sizeof(magic)) ||
		    memcmp(magic, VMCOREINFO_MAGIC, sizeof(magic)))
			continue;
		r = try_candidate(mem, hints[i], cand);
		if (r < 0)
			return r;
		if (r == 1) {
			*vi = *cand;
			vi->candidates = 1;
			vi->hinted = true;
			return 1;
		}
	}
	return 0;
}

int bpfpoke_vmcoreinfo_find(struct mem *mem, struct bpfpoke_vmcoreinfo *vi,
			    bool hints)
{
	const size_t mlen = strlen(VMCOREINFO_MAGIC);
	unsigned int r, candidates = 0, found = 0;
	struct bpfpoke_vmcoreinfo *cand;
	unsigned char *buf;
	int err = 0;

	buf = malloc(SCAN_CHUNK);
	cand = malloc(sizeof(*cand));
	if (!buf || !cand) {
		free(buf);
		free(cand);
		return -ENOMEM;
	}
	err = hints ? try_hints(mem, vi, cand) : 0;
	if (err) {
		free(buf);
		free(cand);
		return err < 0 ? err : 0;
	}
	for (r = 0; r < mem->nr_regions && !err; r++) {
		const struct bpfpoke_mem_region *reg = &mem->regions[r];
		__u64 start = (reg->gpa + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
		__u64 end = reg->gpa + reg->size, gpa, off, n;

		for (gpa = start; gpa + PAGE_SIZE_4K <= end && !err; gpa += n) {
			n = end - gpa < SCAN_CHUNK ? (end - gpa) & ~(PAGE_SIZE_4K - 1) :
						    SCAN_CHUNK;
			err = bpfpoke_mem_read(mem, gpa, buf, n);
			for (off = 0; !err && off < n; off += PAGE_SIZE_4K) {
				if (memcmp(buf + off, VMCOREINFO_MAGIC, mlen))
					continue;
				if (++candidates > MAX_CANDIDATES) {
					pr_warn("more than %d pages look like VMCOREINFO: guest memory is not to be trusted\n",
						MAX_CANDIDATES);
					err = -E2BIG;
					break;
				}
				err = try_candidate(mem, gpa + off, cand);
				if (err == 1 && !found++)
					*vi = *cand;
				err = err < 0 ? err : 0;
			}
		}
	}
	free(buf);
	free(cand);
	if (err)
		return err;
	if (!found) {
		pr_warn("%s: no VMCOREINFO in guest memory (%u look-alike pages): the guest kernel is built without CRASH_DUMP and PROC_KCORE, has not yet booted that far, or its memory is encrypted (SEV, TDX); give --vmlinux, or --btf and --symbols\n",
			mem->desc, candidates);
		return -ENOENT;
	}
	vi->candidates = candidates;
	vi->hinted = false;
	bpfpoke_desc_cache_add_hint(DESC_HINTS_VMCOREINFO, vi->gpa);
	if (found > 1)
		pr_info("%u pages hold a VMCOREINFO the running kernel agrees with; the lowest, at gpa 0x%llx, is used\n",
			found, (unsigned long long)vi->gpa);
	return 0;
}
