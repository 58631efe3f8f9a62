// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The description cache: what bpfpoke derived from a guest kernel's
 * description (the symbols it needs, the structure layouts and map type
 * names from vmlinux BTF), kept so that the next cold command neither
 * decodes kallsyms nor parses BTF; and where VMCOREINFO was last found,
 * so that a zero-config command skips the scan.
 *
 * $BPFPOKE_CACHE_DIR, else $XDG_CACHE_HOME/bpfpoke, else ~/.cache/bpfpoke:
 *   hints		the guest-physical addresses VMCOREINFO was found at,
 *			newest first
 *   kaslr-hints	the guest-physical addresses kernel images (_text)
 *			were found at, newest first
 *   ID/desc		a struct desc_record: the derived description
 *   ID/btf		the vmlinux BTF blob (zero-config entries), parsed
 *			only when something needs it (module BTF, struct_ops
 *			split BTF)
 * ID is the guest's BUILD-ID (zero-config: the VMCOREINFO found in guest
 * memory names it), or "files-" and a hash of the identity of the given
 * --vmlinux or --btf/--symbols files (device, inode, size, mtime and
 * ctime: a file rewritten in place or replaced is another entry).
 *
 * Nothing here overrides what the guest's memory says: a hint is only
 * where the scan looks first, with the same checks as the scan; an entry
 * is used only for the BUILD-ID and OSRELEASE of the VMCOREINFO found in
 * memory (or for the very files given); the KASLR offset, the page
 * tables and the map walk are always read live.  A record is checked
 * whole (format, this build's model, sizes, identity, checksum); a cache
 * that cannot be read or written, or an entry that fails a check, is as
 * if empty.  Files are written to a temporary name and renamed, the
 * record last, so a reader sees a whole entry or none.
 */
#include <ctype.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "internal.h"
#include "kmodel.h"

#define HINTS_MAX	16
#define DESC_MAGIC	"bpfpoke-desc"
#define DESC_VERSION	1
/* Files changed more recently than this (seconds) are not cached. */
#define FILES_SETTLE_S	2

/*
 * BPFPOKE_KMODEL_SCHEMA is a checksum of the sources that define and fill
 * struct ksyms and struct klayout (agent/Makefile): a record written by a
 * build whose model differs in any way is not used.
 */
#ifndef BPFPOKE_KMODEL_SCHEMA
#error "BPFPOKE_KMODEL_SCHEMA is not defined: build with agent/Makefile"
#endif

struct desc_record {
	char magic[16];
	__u32 version;
	__u32 schema;
	__u32 ksyms_size;
	__u32 layout_size;
	/* The size of the entry's btf file; 0: there is none. */
	__u64 btf_size;
	char id[DESC_ID_MAX];
	/* Zero-config entries: the release VMCOREINFO gave; else empty. */
	char osrelease[65];
	char pad[7];
	/* FNV-1a of everything before it. */
	__u64 sum;
	struct ksyms syms;
	struct klayout layout;
};

/* FNV-1a, 64 bits, continuing from @h. */
static __u64 fnv1a(__u64 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

#define FNV1A_INIT	0xcbf29ce484222325ULL

static __u64 record_sum(const struct desc_record *r)
{
	__u64 h = fnv1a(FNV1A_INIT, r, offsetof(struct desc_record, sum));

	return fnv1a(h, &r->syms, sizeof(*r) - offsetof(struct desc_record, syms));
}

static int cache_dir(char *buf, size_t size)
{
	const char *env = getenv("BPFPOKE_CACHE_DIR"), *home;
	int n;

	if (env && *env) {
		n = snprintf(buf, size, "%s", env);
	} else if ((env = getenv("XDG_CACHE_HOME")) && *env) {
		n = snprintf(buf, size, "%s/bpfpoke", env);
	} else {
		home = getenv("HOME");
		if (!home || !*home)
			return -ENOENT;
		n = snprintf(buf, size, "%s/.cache/bpfpoke", home);
	}
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return i == n;
}

/* A BUILD-ID (40 hex digits) or "files-" and 16: safe as a directory name. */
static bool id_ok(const char *id)
{
	return all_hex(id, 40) || (!strncmp(id, "files-", 6) && all_hex(id + 6, 16));
}

static int entry_path(const char *id, const char *file, char *buf,
		      size_t size)
{
	char dir[PATH_MAX];
	int n;

	if (!id_ok(id) || cache_dir(dir, sizeof(dir)))
		return -ENOENT;
	n = snprintf(buf, size, "%s/%s%s%s", dir, id, file ? "/" : "",
		     file ? file : "");
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* The whole of @path, at most @max bytes, NUL-terminated, in *@out. */
static int read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > max) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return -EIO;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/* @len bytes to @path, through a temporary file and rename(). */
static int write_all(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n != (ssize_t)len || close(fd))
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

int bpfpoke_desc_cache_hints(const char *name, __u64 *gpas, unsigned int max)
{
	char dir[PATH_MAX], path[PATH_MAX], *text, *p, *end;
	unsigned int n = 0;
	size_t len;

	if (cache_dir(dir, sizeof(dir)) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    read_all(path, 4096, &text, &len))
		return 0;
	for (p = text; n < max && *p; p = end) {
		unsigned long long v;

		v = strtoull(p, &end, 16);
		if (end == p || (*end && *end != '\n'))
			break;
		gpas[n++] = v;
		if (*end)
			end++;
	}
	free(text);
	return n;
}

void bpfpoke_desc_cache_add_hint(const char *name, __u64 gpa)
{
	char dir[PATH_MAX], path[PATH_MAX], text[HINTS_MAX * 20];
	__u64 old[HINTS_MAX];
	unsigned int n, i;
	size_t len;

	if (cache_dir(dir, sizeof(dir)) || mkdir_p(dir) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	n = bpfpoke_desc_cache_hints(name, old, HINTS_MAX);
	len = snprintf(text, sizeof(text), "%llx\n", (unsigned long long)gpa);
	for (i = 0; i < n && i < HINTS_MAX - 1; i++)
		if (old[i] != gpa)
			len += snprintf(text + len, sizeof(text) - len, "%llx\n",
					(unsigned long long)old[i]);
	if (write_all(path, text, len))
		pr_debug("cache: cannot write %s\n", path);
}

/*
 * The identity of the given description files, as an entry's ID into
 * @id: "files-" and a hash of each file's device, inode, size, mtime and
 * ctime.  -errno when one cannot be stat()ed (its parse says why);
 * -EAGAIN when one changed in the last FILES_SETTLE_S seconds: file
 * times are only as fine as the kernel's tick (or a filesystem's 2 s),
 * so a file rewritten in place that soon could keep its identity.  Such
 * files are parsed, and cached once they have settled.
 */
int bpfpoke_desc_cache_files_id(const char *const *paths, unsigned int n,
				char *id, size_t size)
{
	__u64 h = fnv1a(FNV1A_INIT, &n, sizeof(n));
	struct timespec now;
	unsigned int i;

	if (clock_gettime(CLOCK_REALTIME, &now))
		return -errno;
	for (i = 0; i < n; i++) {
		struct stat st;
		__u64 v[7];

		if (stat(paths[i], &st))
			return -errno;
		if (st.st_mtim.tv_sec > now.tv_sec - FILES_SETTLE_S ||
		    st.st_ctim.tv_sec > now.tv_sec - FILES_SETTLE_S) {
			pr_debug("cache: %s changed less than %d s ago: parsed, not cached\n",
				 paths[i], FILES_SETTLE_S);
			return -EAGAIN;
		}
		v[0] = st.st_dev;
		v[1] = st.st_ino;
		v[2] = st.st_size;
		v[3] = st.st_mtim.tv_sec;
		v[4] = st.st_mtim.tv_nsec;
		v[5] = st.st_ctim.tv_sec;
		v[6] = st.st_ctim.tv_nsec;
		h = fnv1a(h, v, sizeof(v));
	}
	return snprintf(id, size, "files-%016llx", (unsigned long long)h) < (int)size ?
	       0 : -ENAMETOOLONG;
}

/*
 * Entry @id's description into @syms and @layout, if its record is whole
 * and for @osrelease (NULL: a files entry); the path of its BTF blob into
 * @btf_path if it has one, else "".  -ENOENT otherwise: no entry, or one
 * not to use.
 */
int bpfpoke_desc_cache_load(const char *id, const char *osrelease,
			    struct ksyms *syms, struct klayout *layout,
			    char *btf_path, size_t path_size)
{
	struct desc_record *r = NULL;
	char path[PATH_MAX];
	struct stat st;
	size_t len;

	btf_path[0] = 0;
	if (entry_path(id, "desc", path, sizeof(path)) ||
	    read_all(path, sizeof(*r), (char **)&r, &len))
		return -ENOENT;
	if (len != sizeof(*r) || memcmp(r->magic, DESC_MAGIC, sizeof(DESC_MAGIC)) ||
	    r->version != DESC_VERSION || r->schema != BPFPOKE_KMODEL_SCHEMA ||
	    r->ksyms_size != sizeof(r->syms) ||
	    r->layout_size != sizeof(r->layout) || r->sum != record_sum(r) ||
	    strncmp(r->id, id, sizeof(r->id)) ||
	    strncmp(r->osrelease, osrelease ? osrelease : "", sizeof(r->osrelease))) {
		pr_debug("cache: %s is of another build, kernel or format: not used\n",
			 path);
		goto miss;
	}
	if (r->btf_size) {
		if (entry_path(id, "btf", btf_path, path_size) ||
		    stat(btf_path, &st) || !S_ISREG(st.st_mode) ||
		    (__u64)st.st_size != r->btf_size) {
			pr_debug("cache: %s has no whole BTF blob: not used\n", path);
			btf_path[0] = 0;
			goto miss;
		}
	}
	*syms = r->syms;
	*layout = r->layout;
	free(r);
	return 0;
miss:
	free(r);
	return -ENOENT;
}

/*
 * Entry @id: @btf_len bytes of vmlinux BTF (if @btf), then the record.
 * Best effort: an entry that cannot be written is left out.
 */
void bpfpoke_desc_cache_store(const char *id, const char *osrelease,
			      const struct ksyms *syms,
			      const struct klayout *layout, const void *btf,
			      size_t btf_len)
{
	struct desc_record *r;
	char path[PATH_MAX];

	if (entry_path(id, NULL, path, sizeof(path)) || mkdir_p(path))
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		return;
	memcpy(r->magic, DESC_MAGIC, sizeof(DESC_MAGIC));
	r->version = DESC_VERSION;
	r->schema = BPFPOKE_KMODEL_SCHEMA;
	r->ksyms_size = sizeof(r->syms);
	r->layout_size = sizeof(r->layout);
	r->btf_size = btf ? btf_len : 0;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->osrelease, sizeof(r->osrelease), "%s", osrelease ? osrelease : "");
	r->syms = *syms;
	r->layout = *layout;
	r->sum = record_sum(r);
	/* The BTF first: the record marks a whole entry. */
	if ((btf && (entry_path(id, "btf", path, sizeof(path)) ||
		     write_all(path, btf, btf_len))) ||
	    entry_path(id, "desc", path, sizeof(path)) ||
	    write_all(path, r, sizeof(*r)))
		pr_debug("cache: cannot write the entry of %s\n", id);
	free(r);
}
