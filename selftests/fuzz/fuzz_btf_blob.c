// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a vmlinux BTF blob as guest memory hands it over
 * (agent/lib/btf_blob.c: header checks, then libbpf).  Whatever the
 * bytes, nothing is read past them, and what parses can be walked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "bpfpoke.h"
#include "kmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *btf = NULL;
	__u32 n, i;
	void *raw;

	if (size > (1U << 20))
		return 0;
	raw = malloc(size ? size : 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	if (!bpfpoke_btf_blob_parse(raw, size, &btf)) {
		n = btf__type_cnt(btf);
		for (i = 1; i < n; i++)
			btf__name_by_offset(btf, btf__type_by_id(btf, i)->name_off);
		btf__free(btf);
	}
	free(raw);
	return 0;
}
