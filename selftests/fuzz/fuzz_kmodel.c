// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the guest kernel model on a hostile guest.
 *
 * The synthetic guest of selftests/host/synth_image.h is built once; each
 * input is a list of patches to its RAM:
 *
 *	u8 area, u16 offset (little-endian), u8 len, len bytes
 *
 * where area picks the page tables, the direct-map heap (xa_nodes, maps,
 * struct btf), the kernel variables and map_idr, the vmalloc pages, or
 * the program BTF's raw bytes.  The model then finds the kernel, walks
 * map_idr, reads every map's program BTF and array values.  Any crash,
 * sanitizer report, leak or hang (-timeout) is a bug.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfpoke.h"
#include "../host/synth_image.h"
#include "fuzz_common.h"

static struct synth sy;
static char dir[] = "/tmp/bpfpoke-fuzz.XXXXXX";

struct area {
	__u64 gpa;
	__u64 size;
};

static struct area areas[5];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_synth_dir(&sy, dir);
	if (synth_build(&sy, 5) || synth_finish(&sy, dir)) {
		fprintf(stderr, "fuzz_kmodel: cannot build the synthetic guest\n");
		exit(1);
	}
	areas[0] = (struct area){ SY_PT_GPA, sy.pt_next - SY_PT_GPA };
	areas[1] = (struct area){ SY_HEAP_GPA, sy.heap_next - SY_HEAP_GPA };
	areas[2] = (struct area){ SY_TEXT_GPA + SY_OFF_MAP_IDR, 4096 };
	areas[3] = (struct area){ SY_VMALLOC_GPA, sy.vm_next_gpa - SY_VMALLOC_GPA };
	areas[4] = (struct area){ sy.btf_raw_gpa, sy.btf_raw_size };
	bpfpoke_set_print(fuzz_quiet);
	return 0;
}

static void run_model(void)
{
	const struct bpfpoke_map_info *maps;
	struct bpfpoke_session *s;
	unsigned char buf[64];
	size_t nr, i;

	s = synth_session(&sy, 0);
	if (!s)
		return;
	if (!bpfpoke_maps(s, &maps, &nr)) {
		for (i = 0; i < nr; i++) {
			struct btf *btf = bpfpoke_map_btf(s, &maps[i]);

			if (btf) {
				/* Walk what libbpf accepted. */
				__u32 id, n = btf__type_cnt(btf);

				for (id = 1; id < n && id < 4096; id++)
					btf__resolve_size(btf, id);
				btf__free(btf);
			}
			if (maps[i].value_kva && maps[i].max_entries)
				bpfpoke_map_value_read(s, &maps[i], 0, 0, buf,
						       maps[i].value_size < sizeof(buf) ?
						       (maps[i].value_size ?: 1) :
						       sizeof(buf));
			bpfpoke_map_type_str(s, maps[i].type);
		}
		bpfpoke_maps_refresh(s);
	}
	bpfpoke_session_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Undo list: the patched ranges, restored from sy.ram after. */
	struct { __u64 gpa; __u8 len; } undo[256];
	unsigned int nundo = 0, i;
	size_t p = 0;

	while (p + 4 <= size && nundo < 256) {
		const struct area *a = &areas[data[p] % 5];
		__u64 off = (data[p + 1] | data[p + 2] << 8) % (a->size ? a->size : 1);
		__u8 len = data[p + 3];

		p += 4;
		if (len > size - p)
			len = size - p;
		if (off + len > a->size)
			len = a->size - off;
		if (!len)
			continue;
		if (pwrite(sy.mem_fd, data + p, len, a->gpa + off) != len)
			abort();
		undo[nundo].gpa = a->gpa + off;
		undo[nundo++].len = len;
		p += len;
	}
	run_model();
	for (i = 0; i < nundo; i++)
		if (pwrite(sy.mem_fd, sy.ram + undo[i].gpa, undo[i].len,
			   undo[i].gpa) != undo[i].len)
			abort();
	return 0;
}
