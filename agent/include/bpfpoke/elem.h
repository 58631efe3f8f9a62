/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: a guest map's elements by key, as bpf_map_lookup_elem()
 * and bpf_map_get_next_key() give them inside the guest: array and
 * per-CPU array maps by index, hash maps (plain, LRU, per-CPU) by
 * walking the guest's own buckets with the map's hash function.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_ELEM_H
#define __BPFPOKE_ELEM_H

#include "maps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest key and value the element functions read (E2BIG past them). */
#define BPFPOKE_MAX_KEY_SIZE		512
#define BPFPOKE_MAX_VALUE_SIZE		(1U << 20)
/* Most buckets of a hash map walked (E2BIG past it). */
#define BPFPOKE_MAX_BUCKETS		(1U << 24)
/* Most CPUs a per-CPU value is read for (E2BIG past it). */
#define BPFPOKE_MAX_CPUS		8192

/**
 * struct bpfpoke_map_elem - where one element of a guest map is
 * @kva: guest kernel address of the element: the array slot, or the
 *	 hash map's struct htab_elem
 * @value_kva: its value; for a per-CPU map the __percpu pointer, to
 *	       which each CPU's __per_cpu_offset is added
 * @hash: hash maps: the element's hash (checked against its key)
 * @percpu: @value_kva is a per-CPU pointer
 *
 * A snapshot: a running guest may delete or reuse the element after it
 * was found.
 */
struct bpfpoke_map_elem {
	__u64 kva;
	__u64 value_kva;
	__u32 hash;
	bool percpu;
};

/**
 * bpfpoke_map_elem_supported() - whether @map's elements can be looked up
 * @s: a loaded session
 * @map: a map of @s
 *
 * ARRAY, PERCPU_ARRAY, HASH, LRU_HASH, PERCPU_HASH and LRU_PERCPU_HASH
 * maps are, when the guest's vmlinux BTF describes them (struct bpf_htab
 * and struct htab_elem for hash maps; per-CPU maps also need the
 * symbols __per_cpu_offset and nr_cpu_ids).
 *
 * Return: 0; -EINVAL for bad arguments; -EOPNOTSUPP for other map types
 * (a WARN message names the type), or for what the guest kernel's
 * description lacks (the message names it).
 */
int bpfpoke_map_elem_supported(struct bpfpoke_session *s,
			       const struct bpfpoke_map_info *map);

/**
 * bpfpoke_map_nr_cpus() - the guest's possible CPUs (nr_cpu_ids)
 * @s: a loaded session
 * @nr: out: CPUs 0 .. *@nr - 1 have per-CPU values
 *
 * Read once per session, with every CPU's __per_cpu_offset.
 *
 * Return: 0; -EINVAL; -EOPNOTSUPP without the symbols; -E2BIG for more
 * than BPFPOKE_MAX_CPUS; -EFAULT when they cannot be read.
 */
int bpfpoke_map_nr_cpus(struct bpfpoke_session *s, __u32 *nr);

/**
 * bpfpoke_map_lookup() - find an element by key, as the guest would
 * @s: a loaded session
 * @map: a map of @s (bpfpoke_map_elem_supported())
 * @key: @map->key_size bytes
 * @e: out: where the element is
 *
 * Array maps: the key is a __u32 index below max_entries.  Hash maps:
 * the bucket of jhash(key, key_size, hashrnd) is walked and each
 * element's hash and key compared, as htab_map_lookup_elem() does; a
 * chain that ends in another bucket's nulls marker (the element moved
 * while we walked) is walked again.
 *
 * Return: 0; -ENOENT when no element has the key; -EINVAL; -EOPNOTSUPP
 * (bpfpoke_map_elem_supported()); -ELOOP for a chain longer than the map
 * can hold (a cycle); -EAGAIN when the chain kept moving; -EPROTO for a
 * hash map whose struct bpf_htab does not add up (element size, bucket
 * count); -E2BIG past the limits above; the errors of reading guest
 * memory.
 */
int bpfpoke_map_lookup(struct bpfpoke_session *s,
		       const struct bpfpoke_map_info *map, const void *key,
		       struct bpfpoke_map_elem *e);

/**
 * bpfpoke_map_elem_read() - read an element's value
 * @s: a loaded session
 * @map: the element's map
 * @e: the element, from bpfpoke_map_lookup() or bpfpoke_map_iterate()
 * @cpu: per-CPU maps: the CPU's value (below bpfpoke_map_nr_cpus()); else 0
 * @off: byte offset inside the value
 * @buf: where to put @len bytes
 * @len: bytes, 1 or more, @off + @len at most value_size
 *
 * Return: 0; -EINVAL; -ERANGE for @cpu, @off or @len out of range; the
 * errors of bpfpoke_map_nr_cpus() and of reading guest memory.
 */
int bpfpoke_map_elem_read(struct bpfpoke_session *s,
			  const struct bpfpoke_map_info *map,
			  const struct bpfpoke_map_elem *e, __u32 cpu,
			  __u32 off, void *buf, size_t len);

/**
 * typedef bpfpoke_map_elem_fn - called by bpfpoke_map_iterate()
 * @key: the element's key, key_size bytes
 * @value: its value, value_size bytes; NULL for per-CPU maps (read each
 *	   CPU's with bpfpoke_map_elem_read())
 * @e: where the element is
 * @ctx: the iterator's @ctx
 *
 * Return: 0 to go on; anything else stops the walk, which returns it.
 */
typedef int (*bpfpoke_map_elem_fn)(const void *key, const void *value,
				   const struct bpfpoke_map_elem *e,
				   void *ctx);

/**
 * bpfpoke_map_iterate() - every element of a map, in the guest's order
 * @s: a loaded session
 * @map: a map of @s (bpfpoke_map_elem_supported())
 * @fn: called for each element
 * @ctx: passed to @fn
 *
 * Array maps: every index.  Hash maps: bucket by bucket, each chain in
 * its order, which is the order bpf_map_get_next_key() gives in the
 * guest.  Each element's stored hash must be jhash of its key and select
 * the bucket it is in; a chain that breaks that rule or ends in another
 * bucket's nulls marker is walked again (an element moved while we
 * walked), and after a few tries the walk fails.  Chains are bounded by
 * what the map can hold, so a cycle ends the walk.
 *
 * Return: 0 after the last element; what @fn returned when not 0; the
 * errors of bpfpoke_map_lookup(), and -EBADMSG for an element whose hash
 * is not that of its key even when walked again.
 */
int bpfpoke_map_iterate(struct bpfpoke_session *s,
			const struct bpfpoke_map_info *map,
			bpfpoke_map_elem_fn fn, void *ctx);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_ELEM_H */
