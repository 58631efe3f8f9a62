/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: picking maps and writing fields: prepared batches, committed
 * at once.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_WRITE_H
#define __BPFPOKE_WRITE_H

#include "descriptor.h"
#include "maps.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ======================================================================
 * Picking maps and writing fields
 * ======================================================================
 */

/**
 * bpfpoke_map_value_init() - describe a map's value for field resolution
 * @mv: filled (sz set, no other options)
 * @map: the map, from bpfpoke_maps()
 * @btf: its BTF, from bpfpoke_map_btf(); may be NULL
 *
 * Cannot fail; no argument may be NULL but @btf.
 */
void bpfpoke_map_value_init(struct bpfpoke_map_value *mv,
			    const struct bpfpoke_map_info *map,
			    const struct btf *btf);

/**
 * bpfpoke_map_find() - the map a suffix (and field) names
 * @s: a loaded session
 * @suffix: map name suffix, e.g. ".bss" (the descriptor rules apply)
 * @field: a field path, or NULL to select by suffix alone
 * @map: out: the map, in bpfpoke_maps()'s snapshot
 * @btf: out, may be NULL: a copy of the map's BTF (free with
 *	 btf__free()); with a NULL @field, NULL-able only when the map has
 *	 none (error).  Without a copy, bpfpoke_map_btf_get() has the
 *	 session's, which picking the map parsed already
 *
 * The candidates are the maps whose name ends with @suffix.  With a
 * @field, the one whose BTF has the field (bpfpoke_field_exists()).
 * Each failure logs a WARN message naming the maps searched or the
 * candidates, e.g. "field 'crash' is in 2 maps ending with '.bss': 4
 * a.bss, 9 b.bss; give a longer suffix".
 *
 * Return: 0; -EINVAL for a NULL @s or @map, a suffix or field breaking
 * a descriptor rule; -ENOENT: no map ends with @suffix, or none of them
 * has @field; -ENOTUNIQ: several candidates (several maps with the
 * suffix when @field is NULL, several with the field otherwise); the
 * errors of bpfpoke_maps() and bpfpoke_map_btf() (when the BTF of a
 * candidate cannot be read and no other candidate has the field).
 */
int bpfpoke_map_find(struct bpfpoke_session *s, const char *suffix,
		     const char *field, const struct bpfpoke_map_info **map,
		     struct btf **btf);

/* Most items one bpfpoke_write() takes. */
#define BPFPOKE_WRITE_MAX		256

/* Write frozen maps (.rodata after load) too: see bpfpoke_write_prepare(). */
#define BPFPOKE_WRITE_FORCE		(1U << 0)

/**
 * struct bpfpoke_write_opts - options of bpfpoke_write()
 * @sz: sizeof(struct bpfpoke_write_opts)
 * @flags: BPFPOKE_WRITE_*
 */
struct bpfpoke_write_opts {
	size_t sz;
	__u32 flags;
	size_t :0;
};
#define bpfpoke_write_opts__last_field flags

/**
 * struct bpfpoke_write_info - one item of a prepared batch
 * @map: the map picked for it (bpfpoke_map_find())
 * @field: the field, resolved in the map's BTF
 * @data: the @field.size bytes that are written at @field.offset
 * @gpa: guest-physical address of the first byte (the bytes may go on in
 *	 another page: a field that crosses a page boundary is split)
 * @key: element writes (bpfpoke_elem_write_prepare()): the element's key,
 *	 @map->key_size bytes; NULL for a write of global data
 * @cpu: element writes to a per-CPU map: the CPU, or BPFPOKE_ALL_CPUS
 *
 * Fields are only ever appended.
 */
struct bpfpoke_write_info {
	const struct bpfpoke_map_info *map;
	struct bpfpoke_field field;
	const void *data;
	__u64 gpa;
	const void *key;
	__u32 cpu;
};

struct bpfpoke_write_batch;

/**
 * bpfpoke_write_prepare() - resolve a batch of writes, writing nothing
 * @s: a loaded session opened with BPFPOKE_SESSION_WRITABLE
 * @writes: the write descriptors, 1 to BPFPOKE_WRITE_MAX
 * @nr: their number
 * @opts: NULL for the defaults
 * @out: the batch, for bpfpoke_write_commit() and bpfpoke_write_free()
 *
 * In this order, and stopping at the first failure: every descriptor is
 * validated (bpfpoke_map_write_validate()); then for each one the map is
 * picked (bpfpoke_map_find()), the field resolved
 * (bpfpoke_field_resolve()), a frozen map refused, the value encoded for
 * the field's type (bpfpoke_field_encode(): integers range checked,
 * bools, enumerator names, text as bpfpoke_field_parse() takes it) and
 * the bytes' guest-virtual
 * addresses translated to guest-physical ones.  The map value's pages
 * are the kernel's (vmalloc or direct map): their translation holds as
 * long as the map lives.  Every failure logs one WARN message.
 *
 * Return: 0; -EINVAL (bad arguments or @opts, a descriptor rule broken,
 * a malformed value, two items writing the same bytes); -EROFS for a
 * read-only session; -EPERM for a frozen map (.rodata after load: the
 * verifier may have folded its values into the programs as constants)
 * without BPFPOKE_WRITE_FORCE; -EOPNOTSUPP for a map that is not an
 * array map, or a value of a type the field's kind does not take; -ERANGE
 * for a value that does not fit; -E2BIG for more than 4096 ops (pages) of
 * guest-physical memory; the errors of bpfpoke_map_find(),
 * bpfpoke_field_resolve() and the page-table walk (-EFAULT); -ENOMEM.
 */
int bpfpoke_write_prepare(struct bpfpoke_session *s,
			  const struct bpfpoke_map_write *writes, size_t nr,
			  const struct bpfpoke_write_opts *opts,
			  struct bpfpoke_write_batch **out);

/**
 * bpfpoke_write_commit() - write a prepared batch, all or nothing
 * @b: from bpfpoke_write_prepare()
 *
 * Through bpfpoke.ko: one BPFPOKE_ACCESS with
 * BPFPOKE_ACCESS_ALL_OR_NOTHING, so either every byte lands or none does,
 * and KVM's dirty log sees the pages.  Through a RAM file (--mem-file)
 * every op is checked against the RAM first, then written one after
 * the other: a running guest may see the first writes before the last,
 * and only a failing file (not the guest) can leave a batch half
 * written.  Stop the VMM around the commit to make it atomic for the
 * guest.
 *
 * First each map of the batch is read again from guest memory: a map
 * freed or replaced since bpfpoke_write_prepare() (another id, type,
 * value size or BTF at its address, or a zero refcnt) fails the batch
 * with -ESTALE and nothing is written; so does an element of
 * bpfpoke_elem_write_prepare() that its key no longer finds where it was.
 * With the VMM frozen around the commit, the check and the write see the
 * same guest.
 *
 * Return: 0; -EINVAL for a NULL @b; -EALREADY when committed before;
 * -ESTALE when a map is gone;
 * -E2BIG for a batch larger than the module takes at once; -EOPNOTSUPP
 * for a module without all-or-nothing batches; the module's errors
 * (-ESRCH once the VMM has exited, -EFAULT for memory that is no longer
 * RAM, ...); the RAM file's errors.
 */
int bpfpoke_write_commit(struct bpfpoke_write_batch *b);

/* Items of a prepared batch, in the order given. */
size_t bpfpoke_write_cnt(const struct bpfpoke_write_batch *b);
/* Item @i; NULL with errno ERANGE when out of range. */
const struct bpfpoke_write_info *
bpfpoke_write_info(const struct bpfpoke_write_batch *b, size_t i);

/* Frees a batch.  @b may be NULL.  Cannot fail. */
void bpfpoke_write_free(struct bpfpoke_write_batch *b);

/**
 * bpfpoke_write() - prepare and commit in one call
 *
 * Return: as bpfpoke_write_prepare(), then bpfpoke_write_commit().
 */
/* Every CPU's value of a per-CPU map: bpfpoke_elem_write.cpu. */
#define BPFPOKE_ALL_CPUS		(~0U)

/**
 * struct bpfpoke_elem_write - a write into the value of one existing
 *			       element of a map, found by its key
 * @map: the map (bpfpoke_maps()); bpfpoke_map_elem_supported() holds
 * @key: the element's key, @map->key_size bytes
 * @cpu: per-CPU maps: the CPU whose value is written, or BPFPOKE_ALL_CPUS;
 *	 0 for other maps
 * @off: byte offset in the value
 * @len: bytes, 1 or more; @off + @len at most the value size
 * @data: the @len bytes
 * @field: optional: the field @off and @len are, resolved in the map's
 *	   value BTF (bpfpoke_field_resolve()); bpfpoke_write_info() gives
 *	   it back, else a field with only offset and size
 */
struct bpfpoke_elem_write {
	const struct bpfpoke_map_info *map;
	const void *key;
	__u32 cpu;
	__u32 off;
	__u32 len;
	const void *data;
	const struct bpfpoke_field *field;
};

/**
 * bpfpoke_elem_write_prepare() - a batch of writes into existing elements
 * @s: a loaded session, opened with BPFPOKE_SESSION_WRITABLE
 * @w: the writes
 * @nr: how many, 1 to BPFPOKE_WRITE_MAX
 * @opts: may be NULL; BPFPOKE_WRITE_FORCE writes frozen maps
 * @out: the batch, for bpfpoke_write_commit() and bpfpoke_write_free()
 *
 * Each element is looked up (bpfpoke_map_lookup()) and its value's
 * bytes translated before anything is written.  Elements are only
 * changed in place: a key the map does not hold is refused, since
 * inserting (and deleting) needs the guest kernel's allocator and locks.
 * bpfpoke_write_commit() looks every element up again and writes
 * nothing unless each is where it was (deleted, reused or moved since:
 * -ESTALE), then writes the whole batch at once.  Between that check and
 * the write a running guest can still delete the element; freeze it
 * (bpfpoke_freeze()) around the commit to rule that out.
 *
 * Return: 0; -EINVAL for bad arguments, two writes of the same bytes, or
 * @cpu not 0 for a map that is not per-CPU; -ERANGE for @off/@len out of
 * the value or @cpu not below bpfpoke_map_nr_cpus(); -ENOENT for a key
 * the map does not hold; -EPERM for a frozen map without
 * BPFPOKE_WRITE_FORCE; -EROFS for a read-only session; -E2BIG for more
 * than 4096 page writes in all; the errors of bpfpoke_map_lookup().
 */
int bpfpoke_elem_write_prepare(struct bpfpoke_session *s,
			       const struct bpfpoke_elem_write *w, size_t nr,
			       const struct bpfpoke_write_opts *opts,
			       struct bpfpoke_write_batch **out);

int bpfpoke_write(struct bpfpoke_session *s,
		  const struct bpfpoke_map_write *writes, size_t nr,
		  const struct bpfpoke_write_opts *opts);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_WRITE_H */
