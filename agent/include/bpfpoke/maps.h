/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: the guest's BPF maps: walking map_idr, a map's program BTF,
 * its values.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_MAPS_H
#define __BPFPOKE_MAPS_H

#include "session.h"
#include "field.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most maps a walk of map_idr accepts (E2BIG past it). */
#define BPFPOKE_MAX_MAPS		65536
/* Largest program BTF bpfpoke_map_btf() reads (E2BIG past it). */
#define BPFPOKE_MAX_BTF_SIZE		(16U << 20)

/**
 * struct bpfpoke_map_info - one BPF map of the guest, as read
 * @id: map id, as bpftool shows it
 * @type: enum bpf_map_type value (bpfpoke_map_type_str() names it)
 * @name: the map's name, NUL-terminated (15 bytes at most)
 * @key_size: bytes of a key
 * @value_size: bytes of a value
 * @max_entries: the map's max_entries
 * @map_flags: BPF_F_* flags from map creation
 * @frozen: frozen with BPF_MAP_FREEZE (.rodata after load)
 * @btf_id: id of the map's BTF object, 0 if it has none
 * @btf_key_type_id: key type in that BTF
 * @btf_value_type_id: value type in that BTF (the DATASEC of a global
 *		       data map)
 * @elem_size: array maps: bytes between two values, else 0
 * @kva: guest kernel address of the struct bpf_map
 * @btf_kva: guest kernel address of its struct btf, 0 if none
 * @value_kva: array maps (BPF_MAP_TYPE_ARRAY): address of value 0, else 0
 * @arena_globals: an arena map (BPF_MAP_TYPE_ARENA) whose program keeps
 *		   global variables in it (libbpf's section .addr_space.1,
 *		   the skeleton's ->arena): those stand in for its one value.
 *		   @value_size is their size, @btf_kva, @btf_id and
 *		   @btf_value_type_id the program's BTF and its DATASEC,
 *		   @value_kva where the guest kernel maps them.  Such a map
 *		   answers to the suffixes ".arena" and ".addr_space.1".
 *
 * A snapshot: the guest may free or change the map after the walk.
 */
struct bpfpoke_map_info {
	__u32 id;
	__u32 type;
	char name[16];
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
	bool frozen;
	__u32 btf_id;
	__u32 btf_key_type_id;
	__u32 btf_value_type_id;
	__u32 elem_size;
	__u64 kva;
	__u64 btf_kva;
	__u64 value_kva;
	bool arena_globals;
};

/**
 * bpfpoke_maps() - every BPF map of the guest, by id
 * @s: a loaded session
 * @maps: out: the session's array, valid until the next
 *	  bpfpoke_maps_refresh() or bpfpoke_session_close()
 * @nr: out: its length
 *
 * Walks map_idr on the first call, then returns the same snapshot.
 * Entries of the xarray that do not look like maps (not a kernel
 * address, an id that does not match the index) are skipped with a WARN
 * message.
 *
 * Return: 0; -EINVAL if @s is not loaded or an argument is NULL; -EFAULT
 * when map_idr or an xarray node cannot be read; -ELOOP for an xarray
 * node seen twice or a node shift that does not descend; -E2BIG for more
 * than BPFPOKE_MAX_MAPS maps or 65536 nodes; -ENOMEM.
 */
int bpfpoke_maps(struct bpfpoke_session *s,
		 const struct bpfpoke_map_info **maps, size_t *nr);

/* Walk map_idr again.  Return and errors as bpfpoke_maps(). */
int bpfpoke_maps_refresh(struct bpfpoke_session *s);

/**
 * bpfpoke_map_type_str() - bpftool's name of a map type
 * @s: an opened session, for the names of types libbpf does not know
 *     (from the guest kernel's enum bpf_map_type); may be NULL
 * @type: enum bpf_map_type value
 *
 * Return: "array", "hash", "percpu_array", ...; NULL if unknown.  A name
 * taken from the guest kernel's description lives as long as @s.
 * Cannot fail otherwise.
 */
const char *bpfpoke_map_type_str(const struct bpfpoke_session *s, __u32 type);

/**
 * bpfpoke_map_btf() - the BTF of a map's program, read from the guest
 * @s: a loaded session
 * @map: a map of @s
 *
 * Reads map->btf's raw data; BTF that is split on a base (kernel module
 * BTF) is opened on the vmlinux BTF.  Free it with btf__free().
 *
 * Return: a new struct btf, or NULL with errno: EINVAL for bad arguments;
 * ENOENT when the map has no BTF; E2BIG when its size is above
 * BPFPOKE_MAX_BTF_SIZE; EFAULT when it cannot be read; EINVAL, EPROTO or
 * another libbpf error for malformed BTF; ENOMEM.
 */
struct btf *bpfpoke_map_btf(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *map);

/**
 * bpfpoke_map_btf_get() - the session's BTF of a map's program
 * @s: a loaded session
 * @map: a map of @s
 *
 * As bpfpoke_map_btf(), but the BTF is the session's: parsed once, and on
 * every call checked against the guest's struct btf again (its id, data
 * and size, the map's id and BTF pointer), so a map whose BTF changed
 * gets a new parse.  Never btf__free() it: it stays valid until
 * bpfpoke_session_close().  bpfpoke_map_find() and bpfpoke_write_prepare()
 * use these too.
 *
 * Return: the BTF, or NULL with errno as bpfpoke_map_btf(); ENOSPC once
 * a session has parsed 4096 of them.
 */
const struct btf *bpfpoke_map_btf_get(struct bpfpoke_session *s,
				      const struct bpfpoke_map_info *map);

/**
 * bpfpoke_map_value_read() - read bytes of an array map's value
 * @s: a loaded session
 * @map: an array map (BPF_MAP_TYPE_ARRAY) of @s
 * @index: the key
 * @off: byte offset inside the value
 * @buf: where to put @len bytes
 * @len: bytes, 1 or more
 *
 * Return: 0; -EINVAL for bad arguments; -EOPNOTSUPP if @map is not an
 * array map; -ERANGE if @index is not below max_entries or @off + @len is
 * beyond value_size; the errors of bpfpoke_read_kva().
 */
int bpfpoke_map_value_read(struct bpfpoke_session *s,
			   const struct bpfpoke_map_info *map, __u32 index,
			   __u32 off, void *buf, size_t len);

/**
 * bpfpoke_map_value_write() - write bytes of an array map's value
 *
 * As bpfpoke_map_value_read(); -EROFS for a session opened without
 * BPFPOKE_SESSION_WRITABLE.  Page by page, not atomic: the write path
 * with freezing and all-or-nothing batches builds on it.
 */
int bpfpoke_map_value_write(struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *map, __u32 index,
			    __u32 off, const void *buf, size_t len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_MAPS_H */
