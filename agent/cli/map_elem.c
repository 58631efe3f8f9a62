// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke map { dump | lookup }: a guest map's elements, key and value,
 * printed as bpftool prints its own: for a map with BTF, its plain-text
 * BTF view (pretty JSON of the typed key and value); else the raw bytes
 * as print_entry_plain() lays them out.  -j gives the same "key", "value"
 * and per-CPU "values" byte arrays as `bpftool -j map dump`, with the
 * "formatted" BTF view.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "main.h"

/* Most bytes of one element's per-CPU values held at once. */
#define PERCPU_VALUES_MAX	(64U << 20)

struct dump {
	struct bpfpoke_session *s;
	const struct bpfpoke_map_info *m;
	unsigned char *val;	/* one CPU's value */
	unsigned char *vals;	/* per-CPU maps: every CPU's, value_size apart */
	struct btf *btf;	/* the map's BTF, for the typed views */
	struct json *pw;	/* plain text with BTF: bpftool's pretty writer */
	__u32 nr_cpus;
	__u32 cpu;		/* the one CPU to print, or ~0U for all */
	unsigned long long nr;
	int err;		/* exit status, when the callback failed */
};

void print_bytes(const char *name, const unsigned char *p, size_t n)
{
	size_t i;

	if (json_output) {
		json_name(json, name);
		json_start_array(json);
		for (i = 0; i < n; i++) {
			char b[8];

			snprintf(b, sizeof(b), "0x%02x", p[i]);
			json_string(json, b);
		}
		json_end_array(json);
		return;
	}
	printf("%s:", name);
	for (i = 0; i < n; i++)
		printf("%s%02x", i && !(i % 16) ? "\n    " : " ", p[i]);
}

/* bpftool's fprint_hex(): 16 bytes a line, two spaces after 8. */
static void print_hex(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *pfx = i ? " " : "";

		if (i && !(i % 16)) {
			putchar('\n');
			pfx = "";
		} else if (i && !(i % 8)) {
			fputs("  ", stdout);
			pfx = "";
		}
		printf("%s%02x", pfx, p[i]);
	}
}

static int cpus_init(struct dump *d)
{
	lib_msg_clear();
	if (bpfpoke_map_nr_cpus(d->s, &d->nr_cpus))
		return p_err(EXIT_FAIL, "map %u: the guest's CPUs cannot be read: %s",
			     d->m->id, lib_msg(strerror(errno)));
	return 0;
}

/*
 * The key and the value(s) by the map's BTF, as an object on @j: bpftool's
 * "formatted" under -j, or with @plain its plain-text view (do_dump_btf()).
 */
static void print_typed(const struct dump *d, struct json *j, const void *key,
			const void *value, bool percpu, bool plain)
{
	const struct bpfpoke_map_info *m = d->m;
	__u32 cpu;

	json_start_object(j);
	if (m->btf_key_type_id) {
		json_name(j, "key");
		if (btf_json(j, d->btf, m->btf_key_type_id, key, m->key_size,
			     plain))
			json_null(j);
	}
	if (!percpu) {
		json_name(j, "value");
		if (btf_json(j, d->btf, m->btf_value_type_id, value,
			     m->value_size, plain))
			json_null(j);
		json_end_object(j);
		return;
	}
	json_name(j, "values");
	json_start_array(j);
	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		if (d->cpu != ~0U && cpu != d->cpu)
			continue;
		json_start_object(j);
		json_uint_field(j, "cpu", cpu);
		json_name(j, "value");
		if (btf_json(j, d->btf, m->btf_value_type_id,
			     d->vals + (size_t)cpu * m->value_size,
			     m->value_size, plain))
			json_null(j);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

/* bpftool's "formatted" member under -j. */
static void print_formatted(const struct dump *d, const void *key,
			    const void *value, bool percpu)
{
	json_name(json, "formatted");
	print_typed(d, json, key, value, percpu, false);
}

/* Every CPU's value (or d->cpu's) into d->vals. */
static int read_cpus(struct dump *d, const struct bpfpoke_map_elem *e)
{
	const struct bpfpoke_map_info *m = d->m;
	__u32 cpu;

	if (!d->nr_cpus) {
		d->err = cpus_init(d);
		if (d->err)
			return -1;
	}
	/* Both sizes come from guest memory: 8192 CPUs x 1 MiB is too much. */
	if ((__u64)d->nr_cpus * m->value_size > PERCPU_VALUES_MAX) {
		d->err = p_err(EXIT_FAIL, "map %u: %u CPUs' values of %u bytes are more than %u MiB",
			       m->id, d->nr_cpus, m->value_size,
			       PERCPU_VALUES_MAX >> 20);
		return -1;
	}
	if (!d->vals) {
		d->vals = calloc(d->nr_cpus, m->value_size);
		if (!d->vals) {
			d->err = p_err(EXIT_FAIL, "out of memory");
			return -1;
		}
	}
	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		if (d->cpu != ~0U && cpu != d->cpu)
			continue;
		if (bpfpoke_map_elem_read(d->s, m, e, cpu, 0,
					  d->vals + (size_t)cpu * m->value_size,
					  m->value_size)) {
			d->err = p_err(EXIT_FAIL, "map %u: the value of CPU %u at 0x%llx cannot be read: %s",
				       m->id, cpu,
				       (unsigned long long)e->value_kva,
				       strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* bpftool's print_entry_plain(): the raw bytes. */
static void print_plain(const struct dump *d, const void *key,
			const void *value, bool percpu)
{
	const struct bpfpoke_map_info *m = d->m;
	bool single_line, break_names;
	__u32 cpu;

	if (!percpu) {
		break_names = m->key_size > 16 || m->value_size > 16;
		single_line = m->key_size + m->value_size <= 24 && !break_names;
		if (m->key_size) {
			printf("key:%c", break_names ? '\n' : ' ');
			print_hex(key, m->key_size);
			fputs(single_line ? "  " : "\n", stdout);
		}
		if (m->value_size) {
			printf("value:%c", break_names ? '\n' : ' ');
			print_hex(value, m->value_size);
		}
		putchar('\n');
		return;
	}
	if (m->key_size) {
		fputs("key:\n", stdout);
		print_hex(key, m->key_size);
		putchar('\n');
	}
	for (cpu = 0; cpu < d->nr_cpus && m->value_size; cpu++) {
		if (d->cpu != ~0U && cpu != d->cpu)
			continue;
		printf("value (CPU %02u):%c", cpu, m->value_size > 16 ? '\n' : ' ');
		print_hex(d->vals + (size_t)cpu * m->value_size, m->value_size);
		putchar('\n');
	}
}

/* One element, as bpftool's print_entry_json(), do_dump_btf() or print_entry_plain(). */
static int print_elem(const void *key, const void *value,
		      const struct bpfpoke_map_elem *e, void *ctx)
{
	struct dump *d = ctx;
	const struct bpfpoke_map_info *m = d->m;
	__u32 cpu;

	if (e->percpu && read_cpus(d, e))
		return -1;
	d->nr++;
	if (!json_output) {
		if (d->pw)
			print_typed(d, d->pw, key, value, e->percpu, true);
		else
			print_plain(d, key, value, e->percpu);
		return 0;
	}
	json_start_object(json);
	print_bytes("key", key, m->key_size);
	if (!e->percpu) {
		print_bytes("value", value, m->value_size);
		if (d->btf)
			print_formatted(d, key, value, false);
		json_end_object(json);
		return 0;
	}
	json_name(json, "values");
	json_start_array(json);
	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		if (d->cpu != ~0U && cpu != d->cpu)
			continue;
		json_start_object(json);
		json_uint_field(json, "cpu", cpu);
		print_bytes("value", d->vals + (size_t)cpu * m->value_size,
			    m->value_size);
		json_end_object(json);
	}
	json_end_array(json);
	if (d->btf)
		print_formatted(d, key, NULL, true);
	json_end_object(json);
	return 0;
}

static void dump_fini(struct dump *d);

/* The map's elements are readable; per-CPU maps: the CPU count. */
static int dump_init(struct dump *d, struct bpfpoke_session *s,
		     const struct bpfpoke_map_info *m)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->s = s;
	d->m = m;
	d->cpu = ~0U;
	lib_msg_clear();
	if (bpfpoke_map_elem_supported(s, m))
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	d->val = malloc(m->value_size);
	if (!d->val)
		return p_err(EXIT_FAIL, "out of memory");
	/*
	 * As bpftool: a map with BTF for its value has its typed view, as
	 * "formatted" under -j, else as pretty JSON in place of the bytes.
	 */
	if (m->btf_kva && m->btf_value_type_id) {
		d->btf = map_btf_get(s, m, &err);
		if (!d->btf) {
			free(d->val);
			d->val = NULL;
			return err;
		}
		if (!json_output) {
			d->pw = json_new(stdout, true);
			if (!d->pw) {
				dump_fini(d);
				return p_err(EXIT_FAIL, "out of memory");
			}
		}
	}
	return 0;
}

static void dump_fini(struct dump *d)
{
	free(d->val);
	free(d->vals);
	btf__free(d->btf);
	json_destroy(d->pw);
	memset(d, 0, sizeof(*d));
}

/* An arena's globals: its one value (max_entries counts pages). */
static int dump_arena(struct bpfpoke_session *s,
		      const struct bpfpoke_map_info *m)
{
	struct bpfpoke_map_elem e = { 0 };
	struct dump d = { .s = s, .m = m, .cpu = ~0U };
	unsigned char *val;
	__u32 key = 0;
	int err = 0;

	val = malloc(m->value_size ? m->value_size : 1);
	if (!val)
		return p_err(EXIT_FAIL, "out of memory");
	if (m->value_size && bpfpoke_map_value_read(s, m, 0, 0, val, m->value_size)) {
		err = p_err(EXIT_FAIL, "map %u: cannot read its globals: %s",
			    m->id, strerror(errno));
	} else {
		if (json_output)
			json_start_array(json);
		print_elem(&key, val, &e, &d);
		if (json_output)
			json_end_array(json);
	}
	free(val);
	return err;
}

/*
 * --freeze SPEC anywhere in @argv: taken out, the guest frozen for the
 * reads (a snapshot), *@fz to thaw with read_thaw().  0, or an exit
 * status with the error printed.
 */
static int read_freeze(int *argc, char **argv, struct bpfpoke_freezer **fz)
{
	BPFPOKE_OPTS(bpfpoke_freezer_opts, fopts,
		     .flags = BPFPOKE_FREEZER_THAW_ON_POSIX_SIGNAL);
	char spec[256] = "";
	int i, j, err;

	*fz = NULL;
	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--freeze"))
			continue;
		if (i + 1 >= *argc)
			return p_err(EXIT_USAGE, "--freeze needs an argument");
		err = parse_freeze(argv[i + 1], spec, sizeof(spec));
		if (err)
			return err;
		for (j = i; j + 2 < *argc; j++)
			argv[j] = argv[j + 2];
		*argc -= 2;
		i--;
	}
	if (!spec[0])
		return 0;
	lib_msg_clear();
	*fz = bpfpoke_freezer_open(spec, &fopts);
	if (!*fz)
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	lib_msg_clear();
	if (bpfpoke_freeze(*fz)) {
		err = p_err(EXIT_FAIL, "cannot freeze the guest: %s",
			    lib_msg(strerror(errno)));
		bpfpoke_freezer_close(*fz);
		*fz = NULL;
		return err;
	}
	return 0;
}

/* Continue a guest read_freeze() froze; @err, or the thaw's failure. */
static int read_thaw(struct bpfpoke_freezer *fz, int err)
{
	if (!fz)
		return err;
	lib_msg_clear();
	if (bpfpoke_thaw(fz) && !err)
		err = p_err(EXIT_THAW, "the guest could not be continued (it may still be stopped): %s",
			    lib_msg(strerror(errno)));
	bpfpoke_freezer_close(fz);
	return err;
}

int do_map_dump(int argc, char **argv)
{
	const struct bpfpoke_map_info *m = NULL;
	struct bpfpoke_freezer *fz;
	struct bpfpoke_session *s = NULL;
	struct dump d;
	int err;

	err = read_freeze(&argc, argv, &fz);
	if (err)
		return err;
	err = map_parse(&argc, &argv, &s, &m);
	if (!err && argc)
		err = p_err(EXIT_USAGE, "unexpected '%s'", argv[0]);
	if (!err && m->arena_globals)
		err = dump_arena(s, m);
	if (err || m->arena_globals)
		return read_thaw(fz, err);
	err = dump_init(&d, s, m);
	if (err)
		return read_thaw(fz, err);
	if (json_output)
		json_start_array(json);
	else if (d.pw)
		json_start_array(d.pw);
	lib_msg_clear();
	if (bpfpoke_map_iterate(s, m, print_elem, &d)) {
		if (d.pw)
			putchar('\n');
		err = d.err ? d.err :
		      p_err(EXIT_FAIL, "map %u: walk stopped after %llu elements: %s",
			    m->id, d.nr, lib_msg(strerror(errno)));
		goto out;
	}
	if (json_output) {
		json_end_array(json);
	} else if (d.pw) {
		json_end_array(d.pw);
		putchar('\n');
	} else {
		printf("Found %llu element%s\n", d.nr, d.nr == 1 ? "" : "s");
	}
out:
	dump_fini(&d);
	return read_thaw(fz, err);
}

/* [hex] BYTE... of @size bytes into @buf, up to 'cpu', 'value[.]' or the end. */
static int parse_bytes(int *argc, char ***argv, const char *what,
		       unsigned char *buf, __u32 size, int *nr)
{
	unsigned long long v;
	int base = 0, n, i;
	char *end;

	if (*argc && !strcmp((*argv)[0], "hex")) {
		base = 16;
		(*argc)--;
		(*argv)++;
	}
	for (n = 0; n < *argc && strcmp((*argv)[n], "cpu") &&
		    strcmp((*argv)[n], "value") &&
		    strncmp((*argv)[n], "value.", 6); n++)
		;
	*nr = n;
	if (!n)
		return p_err(EXIT_USAGE, "expected the %s's bytes", what);
	if (n == 1 && !base && size != 1)
		return 0;	/* one number: the caller's to parse */
	if ((__u32)n != size)
		return p_err(EXIT_USAGE, "the %s takes %u bytes, not %d", what,
			     size, n);
	for (i = 0; i < n; i++) {
		errno = 0;
		v = strtoull((*argv)[i], &end, base);
		if (errno || *end || end == (*argv)[i] || v > 255)
			return p_err(EXIT_USAGE, "%s byte '%s' is not a byte",
				     what, (*argv)[i]);
		buf[i] = v;
	}
	*argc -= n;
	*argv += n;
	*nr = 0;
	return 0;
}

/* FIELD=VALUE of the map's value BTF: a field and its encoded bytes. */
static int parse_field_value(const struct bpfpoke_map_value *mv, char *arg,
			     struct bpfpoke_field *f, unsigned char **data)
{
	struct bpfpoke_map_write_value v = { .type = BPFPOKE_VALUE_TEXT };
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return p_err(EXIT_USAGE, "expected FIELD=VALUE, got '%s'", arg);
	*eq = 0;
	if (strlen(eq + 1) > BPFPOKE_MAP_WRITE_TEXT_MAX)
		return p_err(EXIT_USAGE, "the value of '%s' is longer than %d bytes",
			     arg, BPFPOKE_MAP_WRITE_TEXT_MAX);
	strcpy(v.text, eq + 1);
	f->sz = sizeof(*f);
	lib_msg_clear();
	if (bpfpoke_field_resolve(mv, arg, f))
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	*data = calloc(1, f->size ? f->size : 1);
	if (!*data)
		return p_err(EXIT_FAIL, "out of memory");
	lib_msg_clear();
	if (bpfpoke_field_encode(f, &v, *data, f->size))
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	return 0;
}

/* FIELD=VALUE... of a struct key, by the map's key BTF; the rest zero. */
static int parse_key_fields(int *argc, char ***argv,
			    struct bpfpoke_session *s,
			    const struct bpfpoke_map_info *m, unsigned char *key)
{
	struct bpfpoke_map_value mv;
	struct bpfpoke_field f;
	unsigned char *data;
	struct btf *btf;
	int n, err = 0;

	if (!m->btf_kva || !m->btf_key_type_id)
		return p_err(EXIT_FAIL, "map %u '%s' has no BTF for its key: give its bytes",
			     m->id, m->name);
	btf = map_btf_get(s, m, &err);
	if (!btf)
		return err;
	bpfpoke_map_value_init(&mv, m, btf);
	mv.btf_value_type_id = m->btf_key_type_id;
	mv.value_size = m->key_size;
	for (n = 0; n < *argc && strchr((*argv)[n], '=') &&
		    strncmp((*argv)[n], "value.", 6); n++) {
		data = NULL;
		err = parse_field_value(&mv, (*argv)[n], &f, &data);
		if (!err)
			memcpy(key + f.offset, data, f.size);
		free(data);
		if (err)
			break;
	}
	btf__free(btf);
	*argc -= n;
	*argv += n;
	return err;
}

/*
 * KEY := { [hex] BYTE... | NUMBER | FIELD=VALUE... }, up to 'cpu',
 * 'value[.]' or the end.
 */
static int parse_key(int *argc, char ***argv, struct bpfpoke_session *s,
		     const struct bpfpoke_map_info *m, unsigned char *key)
{
	unsigned long long v;
	int n, i, err;
	char *end;

	if (*argc && strchr((*argv)[0], '=') && strncmp((*argv)[0], "value.", 6))
		return parse_key_fields(argc, argv, s, m, key);
	err = parse_bytes(argc, argv, "key", key, m->key_size, &n);
	if (err || !n)
		return err;
	/* One number for a whole key of 2, 4 or 8 bytes: that integer. */
	if (m->key_size > 1 && m->key_size <= 8 &&
	    !(m->key_size & (m->key_size - 1))) {
		errno = 0;
		v = strtoull((*argv)[0], &end, 0);
		if (errno || *end || end == (*argv)[0] ||
		    (m->key_size < 8 && v >> (8 * m->key_size)))
			return p_err(EXIT_USAGE, "key '%s' is not a %u-byte unsigned number",
				     (*argv)[0], m->key_size);
		for (i = 0; i < (int)m->key_size; i++)
			key[i] = v >> (8 * i);
		goto done;
	}
	if ((__u32)n != m->key_size)
		return p_err(EXIT_USAGE, "map %u takes a key of %u bytes, not %d",
			     m->id, m->key_size, n);
done:
	*argc -= n;
	*argv += n;
	return 0;
}

int do_map_lookup(int argc, char **argv)
{
	const struct bpfpoke_map_info *m = NULL;
	struct bpfpoke_session *s = NULL;
	struct bpfpoke_freezer *fz;
	struct bpfpoke_map_elem e;
	unsigned char *key = NULL;
	struct dump d;
	int err;

	err = read_freeze(&argc, argv, &fz);
	if (err)
		return err;
	err = map_parse(&argc, &argv, &s, &m);
	if (!err && (!argc || strcmp(argv[0], "key")))
		err = p_err(EXIT_USAGE, "expected 'key'");
	if (!err)
		err = dump_init(&d, s, m);
	if (err)
		return read_thaw(fz, err);
	argc--;
	argv++;
	key = calloc(1, m->key_size);
	if (!key) {
		err = p_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	err = parse_key(&argc, &argv, s, m, key);
	if (err)
		goto out;
	if (argc == 2 && !strcmp(argv[0], "cpu")) {
		char *end;

		errno = 0;
		d.cpu = strtoul(argv[1], &end, 0);
		if (errno || *end || end == argv[1] || d.cpu == ~0U) {
			err = p_err(EXIT_USAGE, "bad CPU '%s'", argv[1]);
			goto out;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc) {
		err = p_err(EXIT_USAGE, "unexpected '%s'", argv[0]);
		goto out;
	}
	lib_msg_clear();
	if (bpfpoke_map_lookup(s, m, key, &e)) {
		if (errno == ENOENT)
			err = p_err(EXIT_FAIL, "map %u: no element with this key",
				    m->id);
		else
			err = p_err(EXIT_FAIL, "map %u: lookup failed: %s", m->id,
				    lib_msg(strerror(errno)));
		goto out;
	}
	if (e.percpu) {
		err = cpus_init(&d);
		if (err)
			goto out;
		if (d.cpu != ~0U && d.cpu >= d.nr_cpus) {
			err = p_err(EXIT_USAGE, "CPU %u: the guest has CPUs 0 to %u",
				    d.cpu, d.nr_cpus - 1);
			goto out;
		}
	} else if (d.cpu != ~0U) {
		err = p_err(EXIT_USAGE, "map %u is not a per-CPU map: no 'cpu'", m->id);
		goto out;
	}
	if (!e.percpu && bpfpoke_map_elem_read(s, m, &e, 0, 0, d.val, m->value_size)) {
		err = p_err(EXIT_FAIL, "map %u: the value at 0x%llx cannot be read: %s",
			    m->id, (unsigned long long)e.value_kva,
			    strerror(errno));
		goto out;
	}
	if (print_elem(key, d.val, &e, &d))
		err = d.err;
	else if (d.pw)
		putchar('\n');
out:
	free(key);
	dump_fini(&d);
	return read_thaw(fz, err);
}

bool map_is_percpu(const struct bpfpoke_map_info *m)
{
	const char *type = bpfpoke_map_type_str(NULL, m->type);

	return type && strstr(type, "percpu");
}

/* 'cpu N': @cpu; BPFPOKE_ALL_CPUS when absent. */
static int parse_cpu(int *argc, char ***argv, __u32 *cpu)
{
	unsigned long v;
	char *end;

	*cpu = BPFPOKE_ALL_CPUS;
	if (!*argc || strcmp((*argv)[0], "cpu"))
		return 0;
	if (*argc < 2)
		return p_err(EXIT_USAGE, "expected a CPU after 'cpu'");
	errno = 0;
	v = strtoul((*argv)[1], &end, 0);
	if (errno || *end || end == (*argv)[1] || v >= BPFPOKE_ALL_CPUS)
		return p_err(EXIT_USAGE, "bad CPU '%s'", (*argv)[1]);
	*cpu = v;
	*argc -= 2;
	*argv += 2;
	return 0;
}

struct update {
	struct bpfpoke_elem_write w[BPFPOKE_WRITE_MAX];
	struct bpfpoke_field f[BPFPOKE_WRITE_MAX];
	unsigned char *data[BPFPOKE_WRITE_MAX];
	unsigned char *key;
	struct btf *btf;
	size_t nr;
};

static void update_free(struct update *u)
{
	size_t i;

	for (i = 0; i < u->nr; i++)
		free(u->data[i]);
	free(u->key);
	btf__free(u->btf);
	free(u);
}

/* value { [hex] BYTES | FIELD=VALUE... }, or value.FIELD=VALUE..., into @u. */
static int parse_value(int argc, char **argv, struct bpfpoke_session *s,
		       const struct bpfpoke_map_info *m, struct update *u)
{
	struct bpfpoke_map_value mv;
	int n, err, i;

	/* value.FIELD=VALUE...: the fields, each with its own prefix. */
	if (argc && !strncmp(argv[0], "value.", 6)) {
		for (i = 0; i < argc; i++) {
			if (strncmp(argv[i], "value.", 6))
				return p_err(EXIT_USAGE, "expected value.FIELD=VALUE, got '%s'",
					     argv[i]);
			argv[i] += 6;
		}
	} else if (!argc || strcmp(argv[0], "value")) {
		return p_err(EXIT_USAGE, "expected 'value' or value.FIELD=VALUE");
	} else {
		argc--;
		argv++;
	}
	if (!argc)
		return p_err(EXIT_USAGE, "expected the value's bytes or FIELD=VALUE after 'value'");
	if (!strchr(argv[0], '=')) {
		u->data[0] = calloc(1, m->value_size);
		if (!u->data[0])
			return p_err(EXIT_FAIL, "out of memory");
		u->nr = 1;
		err = parse_bytes(&argc, &argv, "value", u->data[0],
				  m->value_size, &n);
		if (err)
			return err;
		if (n || argc)
			return p_err(EXIT_USAGE, "the value takes %u bytes%s",
				     m->value_size,
				     argc ? ", then nothing" : "");
		u->w[0].len = m->value_size;
		return 0;
	}
	if (!m->btf_kva || !m->btf_value_type_id)
		return p_err(EXIT_FAIL, "map %u '%s' has no BTF for its value: give its bytes",
			     m->id, m->name);
	u->btf = map_btf_get(s, m, &err);
	if (!u->btf)
		return err;
	bpfpoke_map_value_init(&mv, m, u->btf);
	for (i = 0; i < argc; i++) {
		if (u->nr >= BPFPOKE_WRITE_MAX)
			return p_err(EXIT_USAGE, "more than %d fields",
				     BPFPOKE_WRITE_MAX);
		err = parse_field_value(&mv, argv[i], &u->f[u->nr],
					&u->data[u->nr]);
		u->nr++;
		if (err)
			return err;
		u->w[u->nr - 1].field = &u->f[u->nr - 1];
		u->w[u->nr - 1].off = u->f[u->nr - 1].offset;
		u->w[u->nr - 1].len = u->f[u->nr - 1].size;
	}
	return 0;
}

int map_update_prepare(struct bpfpoke_session *s, int argc, char **argv,
		       const struct bpfpoke_write_opts *wopts,
		       struct bpfpoke_write_batch **out)
{
	const struct bpfpoke_map_info *m = NULL;
	struct update *u;
	size_t i;
	__u32 cpu;
	int err;

	err = map_parse(&argc, &argv, &s, &m);
	if (err)
		return err;
	if (!argc || strcmp(argv[0], "key"))
		return p_err(EXIT_USAGE, "expected 'key'");
	argc--;
	argv++;
	lib_msg_clear();
	if (bpfpoke_map_elem_supported(s, m))
		return p_err(EXIT_FAIL, "%s", lib_msg(strerror(errno)));
	u = calloc(1, sizeof(*u));
	if (!u || !(u->key = calloc(1, m->key_size))) {
		free(u);
		return p_err(EXIT_FAIL, "out of memory");
	}
	err = parse_key(&argc, &argv, s, m, u->key);
	if (!err)
		err = parse_cpu(&argc, &argv, &cpu);
	if (!err)
		err = parse_value(argc, argv, s, m, u);
	if (err)
		goto out;
	for (i = 0; i < u->nr; i++) {
		u->w[i].map = m;
		u->w[i].key = u->key;
		u->w[i].data = u->data[i];
		/* No 'cpu': every CPU's value of a per-CPU map. */
		u->w[i].cpu = cpu == BPFPOKE_ALL_CPUS && !map_is_percpu(m) ?
			      0 : cpu;
	}
	lib_msg_clear();
	if (bpfpoke_elem_write_prepare(s, u->w, u->nr, wopts, out))
		err = p_err(EXIT_FAIL, "nothing written: %s",
			    lib_msg(strerror(errno)));
out:
	update_free(u);
	return err;
}

int do_map_update(int argc, char **argv)
{
	return write_main(argc, argv, true);
}
