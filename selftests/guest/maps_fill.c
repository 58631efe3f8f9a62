// SPDX-License-Identifier: GPL-2.0
/*
 * maps_fill DIR: fill the map test target's maps, pinned in DIR by
 * `bpftool prog load maps.bpf.o ... pinmaps DIR`, with values that tell
 * every element and every CPU apart; then delete every tenth flow, so
 * that the hash table holds freed elements too.
 * maps_fill --big N DIR: create a hash map "big" of N elements (__u32
 * keys, struct stat values, no BTF) pinned at DIR/big, for the bench.
 * Static and libbpf-free: it runs in the busybox guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#include "maps.h"

static int nr_cpus;

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int map_get(const char *dir, const char *name)
{
	union bpf_attr attr;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (unsigned long)path;
	fd = sys_bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		fprintf(stderr, "maps_fill: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void update(int fd, const char *what, const void *key,
		   const void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (unsigned long)key;
	attr.value = (unsigned long)value;
	attr.flags = BPF_ANY;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr)) {
		fprintf(stderr, "maps_fill: update %s: %s\n", what,
			strerror(errno));
		exit(1);
	}
}

static void delete(int fd, const char *what, const void *key)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (unsigned long)key;
	if (sys_bpf(BPF_MAP_DELETE_ELEM, &attr)) {
		fprintf(stderr, "maps_fill: delete %s: %s\n", what,
			strerror(errno));
		exit(1);
	}
}

/* Possible CPUs, as libbpf counts them: /sys/devices/system/cpu/possible. */
static int possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	int lo, hi = 0, n;

	if (!f)
		return -1;
	n = fscanf(f, "%d-%d", &lo, &hi);
	fclose(f);
	if (n < 1)
		return -1;
	return (n == 2 ? hi : lo) + 1;
}

static void cfg_of(struct cfg *c, unsigned int i)
{
	memset(c, 0, sizeof(*c));
	c->weight = i * 7 + 1;
	c->prio = -(int)i;
	c->flags = i & 3;
	snprintf(c->tag, sizeof(c->tag), "cfg%u", i);
	c->seq = i * 1000003ULL;
}

static void flow_of(struct flow_key *k, unsigned int i)
{
	memset(k, 0, sizeof(*k));
	k->saddr = 0x0a000000 + i * 17;
	k->port = i * 3;
	k->proto = i & 1 ? 17 : 6;
	k->cookie = i * 0x9e3779b97f4a7c15ULL;
}

/* Per-CPU: one struct stat per CPU, each 8-byte aligned (it is). */
static void stats_of(struct stat *s, unsigned int i)
{
	int c;

	for (c = 0; c < nr_cpus; c++) {
		s[c].packets = i * 100 + c;
		s[c].bytes = (__u64)i << 32 | (c + 1);
	}
}

/* A hash map of @n elements, pinned at @dir/big. */
static int fill_big(const char *dir, unsigned int n)
{
	union bpf_attr attr;
	char path[256];
	unsigned int i;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_HASH;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(struct stat);
	attr.max_entries = n + n / 4;
	strcpy(attr.map_name, "big");
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0) {
		fprintf(stderr, "maps_fill: create big: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct stat s = { i, ~(__u64)i };
		__u32 k = i * 7 + 3;

		update(fd, "big", &k, &s);
	}
	snprintf(path, sizeof(path), "%s/big", dir);
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (unsigned long)path;
	attr.bpf_fd = fd;
	if (sys_bpf(BPF_OBJ_PIN, &attr)) {
		fprintf(stderr, "maps_fill: pin %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("maps_fill: %u elements in big\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct flow_key fk;
	struct odd_key ok;
	struct stat *st;
	struct cfg c;
	unsigned int i;
	__u64 k64, v64;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "--big"))
		return fill_big(argv[3], strtoul(argv[2], NULL, 0));
	if (argc != 2) {
		fprintf(stderr, "usage: maps_fill [--big N] DIR\n");
		return 2;
	}
	nr_cpus = possible_cpus();
	if (nr_cpus < 1) {
		fprintf(stderr, "maps_fill: no possible CPUs\n");
		return 1;
	}
	st = calloc(nr_cpus, sizeof(*st));
	if (!st)
		return 1;

	fd = map_get(argv[1], "cfg_array");
	for (i = 0; i < NR_CFG; i++) {
		cfg_of(&c, i);
		update(fd, "cfg_array", &i, &c);
	}
	fd = map_get(argv[1], "pcpu_array");
	for (i = 0; i < NR_PCPU; i++) {
		stats_of(st, i);
		update(fd, "pcpu_array", &i, st);
	}
	fd = map_get(argv[1], "flows");
	for (i = 0; i < NR_FLOWS; i++) {
		flow_of(&fk, i);
		cfg_of(&c, i + 1000);
		update(fd, "flows", &fk, &c);
	}
	for (i = 0; i < NR_FLOWS; i += 10) {
		flow_of(&fk, i);
		delete(fd, "flows", &fk);
	}
	fd = map_get(argv[1], "lru");
	for (i = 0; i < NR_LRU; i++) {
		struct stat s = { i, ~(__u64)i };

		k64 = 0x100000000ULL * i + i;
		update(fd, "lru", &k64, &s);
	}
	fd = map_get(argv[1], "pcpu_hash");
	for (i = 0; i < NR_PCPU_HASH; i++) {
		__u32 k = i * 2654435761U;

		stats_of(st, i + 7);
		update(fd, "pcpu_hash", &k, st);
	}
	fd = map_get(argv[1], "lru_pcpu");
	for (i = 0; i < NR_LRU_PCPU; i++) {
		k64 = ~0ULL - i * 3;
		stats_of(st, i + 500);
		update(fd, "lru_pcpu", &k64, st);
	}
	fd = map_get(argv[1], "odd_keys");
	for (i = 0; i < NR_ODD; i++) {
		__u32 v = i * i;

		memset(&ok, 0, sizeof(ok));
		ok.b[0] = i;
		ok.b[4] = 255 - i;
		update(fd, "odd_keys", &ok, &v);
	}
	fd = map_get(argv[1], "noprealloc");
	for (i = 0; i < NR_NOPREALLOC; i++) {
		__u32 k = i * 5 + 1;

		v64 = ~(__u64)k;
		update(fd, "noprealloc", &k, &v64);
	}
	free(st);
	printf("maps_fill: filled on %d possible CPUs\n", nr_cpus);
	return 0;
}
