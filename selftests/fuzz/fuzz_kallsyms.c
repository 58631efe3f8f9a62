// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kallsyms decoder (agent/lib/kallsyms.c) on hostile
 * tables.  The input is guest RAM at FUZZ_GPA, read through a memory
 * backend of this file; a fixed VMCOREINFO places the tables in it (the
 * layout of synth_add_kallsyms(): count, token index, token table,
 * offsets, names) with each encoding's relative base.  Nothing may be
 * read outside the input, and what decodes must be sane.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfpoke.h"
#include "kmodel.h"
#include "mem.h"
#include "fuzz_common.h"

#define check(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define FUZZ_GPA	0x100000ULL
#define FUZZ_KVA	0xffffffff81000000ULL
#define MAX_INPUT	(256U << 10)

struct buf_mem {
	struct mem mem;
	const uint8_t *data;
};

static int bm_read(struct mem *m, const struct bpfpoke_mem_region *r,
		   __u64 gpa, void *buf, size_t len)
{
	const struct buf_mem *b = (const struct buf_mem *)m;

	memcpy(buf, b->data + (gpa - r->gpa), len);
	return 0;
}

static void bm_close(struct mem *m)
{
	(void)m;
}

static const struct mem_ops buf_ops = { .read = bm_read, .close = bm_close };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	bpfpoke_set_print(fuzz_quiet);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpfpoke_vmcoreinfo vi;
	struct bpfpoke_kallsyms *ks;
	struct buf_mem bm = { .data = data };
	__u32 i;

	if (size < 8 || size > MAX_INPUT)
		return 0;
	bm.mem.ops = &buf_ops;
	bm.mem.regions[0] = (struct bpfpoke_mem_region){
		.gpa = FUZZ_GPA, .size = size,
	};
	bm.mem.nr_regions = 1;
	memset(&vi, 0, sizeof(vi));
	vi.phys_base = FUZZ_GPA - (FUZZ_KVA - 0xffffffff80000000ULL);
	vi.has_kallsyms = true;
	vi.kallsyms_num_syms = FUZZ_KVA + 0x0;
	vi.kallsyms_relative_base = data[4] & 1 ? FUZZ_KVA + 0x8 : 0;
	vi.kallsyms_token_index = FUZZ_KVA + 0x10;
	vi.kallsyms_token_table = FUZZ_KVA + 0x210;
	vi.kallsyms_offsets = FUZZ_KVA + 0x1000;
	vi.kallsyms_names = FUZZ_KVA + 0x2000;
	vi.stext = FUZZ_KVA + 0x3000;
	if (bpfpoke_kallsyms_decode(&bm.mem, &vi, &ks))
		return 0;
	check(ks->nr > 0);
	for (i = 0; i < ks->nr; i++) {
		const char *name = ks->strtab + ks->syms[i].name_off;

		check(ks->syms[i].type > ' ' && ks->syms[i].type < 0x7f);
		check(name[0] && strlen(name) <= BPFPOKE_KSYM_NAME_MAX);
	}
	bpfpoke_kallsyms_free(ks);
	return 0;
}
