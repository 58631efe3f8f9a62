// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: map elements (map_elem.c) on a hostile guest.
 *
 * The synthetic guest of selftests/host/synth_image.h, with the hash map,
 * per-CPU array and per-CPU hash of synth_add_elem_maps(), is built once;
 * each input is a list of patches to its memory:
 *
 *	u8 area, u16 offset (little-endian), u8 len, len bytes
 *
 * where area picks the hash map's struct bpf_htab and elements (direct
 * map), its bucket array (vmalloc, two pages that are not physically
 * next to each other), the per-CPU hash's header, buckets and elements,
 * the per-CPU array's header and pptrs, or nr_cpu_ids and
 * __per_cpu_offset.  Every map the element functions support is then
 * iterated (each element's value read, per CPU), and looked up by a
 * key it holds and by one from the input.  Any crash, sanitizer report,
 * leak or hang (-timeout) is a bug.
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

#define NR_AREAS	5
/* Elements a walk hands over before the callback stops it. */
#define MAX_VISITS	64
/* CPUs whose values are read per element. */
#define MAX_CPUS_READ	4

static struct synth sy;
static char dir[] = "/tmp/bpfpoke-fuzz-htab.XXXXXX";

/* Guest kernel address ranges; patched page by page. */
struct area {
	__u64 kva;
	__u64 size;
};

static struct area areas[NR_AREAS];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_synth_dir(&sy, dir);
	if (synth_build(&sy, 4) || synth_add_elem_maps(&sy) ||
	    synth_finish(&sy, dir)) {
		fprintf(stderr, "fuzz_htab: cannot build the synthetic guest\n");
		exit(1);
	}
	areas[0] = (struct area){ sy.ht.lo_kva, sy.ht.hi_kva - sy.ht.lo_kva };
	areas[1] = (struct area){ sy.ht.buckets,
				  (__u64)sy.ht.n_buckets * SY_BUCKET_SIZE };
	areas[2] = (struct area){ sy.pht.lo_kva, sy.pht.hi_kva - sy.pht.lo_kva };
	areas[3] = (struct area){ sy.parr_kva, SY_ARRAY_SIZE + 3 * 8 };
	areas[4] = (struct area){ SY_TEXT_KVA + SY_OFF_NR_CPU_IDS,
				  SY_OFF_PER_CPU_OFFSET + 8 * SY_NR_CPUS -
				  SY_OFF_NR_CPU_IDS };
	bpfpoke_set_print(fuzz_quiet);
	return 0;
}

/*
 * Copy @len bytes to guest kva @kva, from @src or, when NULL, from the
 * pristine image: a page at a time, as pages need not be adjacent.
 */
static void patch(__u64 kva, const uint8_t *src, size_t len)
{
	while (len) {
		size_t n = 4096 - (kva & 4095);
		__u64 gpa = sy_kva_to_gpa(&sy, kva);

		if (n > len)
			n = len;
		if (pwrite(sy.mem_fd, src ? src : sy.ram + gpa, n, gpa) != (ssize_t)n)
			abort();
		kva += n;
		len -= n;
		if (src)
			src += n;
	}
}

struct visit {
	struct bpfpoke_session *s;
	const struct bpfpoke_map_info *map;
	__u32 nr_cpus;
	unsigned int n;
};

/* Read what there is of an element's value, per CPU for per-CPU maps. */
static void read_elem(struct bpfpoke_session *s,
		      const struct bpfpoke_map_info *map,
		      const struct bpfpoke_map_elem *e, __u32 nr_cpus)
{
	unsigned char buf[64];
	size_t len = map->value_size < sizeof(buf) ? map->value_size : sizeof(buf);
	__u32 cpu, last;

	if (!len)
		return;
	last = e->percpu ? (nr_cpus < MAX_CPUS_READ ? nr_cpus : MAX_CPUS_READ) : 1;
	for (cpu = 0; cpu < last; cpu++)
		bpfpoke_map_elem_read(s, map, e, cpu, 0, buf, len);
	/* Past the CPUs there are, and past the value. */
	bpfpoke_map_elem_read(s, map, e, e->percpu ? nr_cpus : 1, 0, buf, len);
	bpfpoke_map_elem_read(s, map, e, 0, map->value_size - len + 1, buf, len);
}

static int visit(const void *key, const void *value,
		 const struct bpfpoke_map_elem *e, void *ctx)
{
	struct visit *v = ctx;
	volatile unsigned char sink = 0;
	__u32 i;

	/* Every byte handed over is there to read. */
	for (i = 0; i < v->map->key_size; i++)
		sink ^= ((const unsigned char *)key)[i];
	if (value)
		for (i = 0; i < v->map->value_size; i++)
			sink ^= ((const unsigned char *)value)[i];
	(void)sink;
	read_elem(v->s, v->map, e, v->nr_cpus);
	return ++v->n >= MAX_VISITS;
}

static void run_elems(const uint8_t *data, size_t size)
{
	static unsigned char key[BPFPOKE_MAX_KEY_SIZE];
	const struct bpfpoke_map_info *maps;
	struct bpfpoke_session *s;
	struct bpfpoke_map_elem e;
	__u32 nr_cpus = 0;
	size_t nr, i;

	s = synth_session(&sy, 0);
	if (!s)
		return;
	if (bpfpoke_map_nr_cpus(s, &nr_cpus))
		nr_cpus = 0;
	if (!bpfpoke_maps(s, &maps, &nr)) {
		for (i = 0; i < nr; i++) {
			const struct bpfpoke_map_info *m = &maps[i];
			struct visit v = { s, m, nr_cpus, 0 };
			const struct sy_htab *h = NULL;

			if (bpfpoke_map_elem_supported(s, m))
				continue;
			bpfpoke_map_iterate(s, m, visit, &v);
			/* A key it holds, then one from the input. */
			if (m->id == SY_ID_HTAB)
				h = &sy.ht;
			else if (m->id == SY_ID_PCPU_HASH)
				h = &sy.pht;
			memset(key, 0, sizeof(key));
			if (h)
				memcpy(key, h->key[size ? data[0] % h->nr : 0],
				       h->key_size);
			if (!bpfpoke_map_lookup(s, m, key, &e))
				read_elem(s, m, &e, nr_cpus);
			memcpy(key, data, size < m->key_size ? size : m->key_size);
			if (!bpfpoke_map_lookup(s, m, key, &e))
				read_elem(s, m, &e, nr_cpus);
		}
	}
	bpfpoke_session_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Undo list: the patched ranges, restored from sy.ram after. */
	struct { __u64 kva; __u8 len; } undo[256];
	unsigned int nundo = 0, i;
	size_t p = 0;

	while (p + 4 <= size && nundo < 256) {
		const struct area *a = &areas[data[p] % NR_AREAS];
		__u64 off = (data[p + 1] | data[p + 2] << 8) % a->size;
		__u8 len = data[p + 3];

		p += 4;
		if (len > size - p)
			len = size - p;
		if (off + len > a->size)
			len = a->size - off;
		if (!len)
			continue;
		patch(a->kva + off, data + p, len);
		undo[nundo].kva = a->kva + off;
		undo[nundo++].len = len;
		p += len;
	}
	run_elems(data, size);
	for (i = 0; i < nundo; i++)
		patch(undo[i].kva, NULL, undo[i].len);
	return 0;
}
