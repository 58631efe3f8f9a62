// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for fuzz_field: for each map of a BPF object with BTF, one input
 * whose paths are the first entries of the value's layout and whose BTF
 * is the object's, fixed up by bpf_object__open() as libbpf loads it.
 *
 *	mkseed_field OBJ.bpf.o OUTDIR
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfpoke.h"

struct fuzz_hdr {
	__u32 value_type_id;
	__u32 value_size;
	__u16 paths_len;
	__u16 flags;
} __attribute__((packed));

int main(int argc, char **argv)
{
	const struct bpfpoke_layout_entry *e;
	char paths[4096], out[4096];
	struct bpfpoke_layout *l;
	struct bpf_object *obj;
	struct fuzz_hdr hdr;
	struct bpf_map *map;
	const void *raw;
	size_t len, i;
	__u32 raw_size;
	int nr = 0;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJ.bpf.o OUTDIR\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	raw = btf__raw_data(bpf_object__btf(obj), &raw_size);
	bpf_object__for_each_map(map, obj) {
		struct bpfpoke_map_value mv = {
			.sz = sizeof(mv),
			.btf = bpf_object__btf(obj),
			.map_name = bpf_map__name(map),
			.map_type = bpf_map__type(map),
			.key_size = bpf_map__key_size(map),
			.value_size = bpf_map__value_size(map),
			.btf_value_type_id = bpf_map__btf_value_type_id(map),
		};

		l = bpfpoke_layout_new(&mv);
		if (!l)
			continue;
		for (i = 0, len = 0; i < bpfpoke_layout_cnt(l) && i < 12; i++) {
			e = bpfpoke_layout_entry(l, i);
			len += snprintf(paths + len, sizeof(paths) - len, "%s%s",
					len ? "\n" : "", e->field.path);
			if (len >= sizeof(paths))
				len = sizeof(paths) - 1;
		}
		bpfpoke_layout_free(l);
		hdr = (struct fuzz_hdr) {
			.value_type_id = mv.btf_value_type_id | (1U << 31),
			.value_size = mv.value_size,
			.paths_len = len,
		};
		/* "map-.data.custom", never a dot file */
		snprintf(out, sizeof(out), "%s/map-%s", argv[2], bpf_map__name(map));
		f = fopen(out, "w");
		if (!f || fwrite(&hdr, sizeof(hdr), 1, f) != 1 ||
		    fwrite(paths, 1, len, f) != len ||
		    fwrite(raw, 1, raw_size, f) != raw_size || fclose(f)) {
			fprintf(stderr, "%s: %s\n", out, strerror(errno));
			return 1;
		}
		nr++;
	}
	bpf_object__close(obj);
	printf("%d seeds in %s\n", nr, argv[2]);
	return 0;
}
