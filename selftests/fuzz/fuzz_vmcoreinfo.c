// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the VMCOREINFO parser (agent/lib/vmcoreinfo.c) on
 * hostile page contents.  Whatever the bytes, it must not read past
 * them, and what it accepts must be sane: a printable release, a NUL-
 * terminated text of at most one page, the addresses it needs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfpoke.h"
#include "kmodel.h"

#define check(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpfpoke_vmcoreinfo vi;
	char *text;
	size_t i;

	if (size > 2 * BPFPOKE_VMCOREINFO_MAX)
		return 0;
	/* Exactly @size bytes, so that ASan sees any read past them. */
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	if (!bpfpoke_vmcoreinfo_parse(text, size, &vi)) {
		check(vi.osrelease[0]);
		for (i = 0; vi.osrelease[i]; i++)
			check(vi.osrelease[i] > ' ' && vi.osrelease[i] < 0x7f);
		check(strlen(vi.text) <= BPFPOKE_VMCOREINFO_MAX);
		check(!strncmp(vi.text, "OSRELEASE=", 10));
		check(!vi.build_id[0] || strlen(vi.build_id) == 40);
		check(vi.levels == 0 || vi.levels == 4 || vi.levels == 5);
	}
	free(text);
	return 0;
}
