// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The zero-config description cache: what decoding a guest kernel's
 * kallsyms and reading its BTF gave, kept by BUILD-ID, so that the next
 * cold command skips both; and where VMCOREINFO was last found, so that
 * it skips the scan.
 *
 * $BPFPOKE_CACHE_DIR, else $XDG_CACHE_HOME/bpfpoke, else ~/.cache/bpfpoke:
 *   hints		the guest-physical addresses VMCOREINFO was found at,
 *			newest first
 *   BUILD-ID/osrelease	the release the entry is for
 *   BUILD-ID/ksyms	a format line (KSYMS_FORMAT), then "NAME OFFSET"
 *			lines: the symbols bpfpoke needs, as offsets from
 *			_stext
 *   BUILD-ID/btf	the vmlinux BTF blob
 *
 * Nothing here overrides what the guest's memory says: a hint is only
 * where the scan looks first, with the same checks as the scan, and an
 * entry is used only for the BUILD-ID and OSRELEASE of the VMCOREINFO
 * found in memory.  A cache that cannot be read or written is as if
 * empty: the guest is described from its memory.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "internal.h"
#include "kmodel.h"

#define HINTS_MAX	16
#define KSYMS_FILE_MAX	(64U << 10)
#define BTF_FILE_MAX	(64U << 20)
/*
 * The first line of a ksyms file.  Bumped when bpfpoke wants more
 * symbols, so that an entry written for fewer is not used.
 */
#define KSYMS_FORMAT	"bpfpoke-ksyms 2"

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

/* A BUILD-ID is 40 hex digits: safe as a directory name. */
static bool build_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!isxdigit((unsigned char)id[i]))
			return false;
	return i == 40;
}

static int entry_path(const struct bpfpoke_vmcoreinfo *vi, const char *file,
		      char *buf, size_t size)
{
	char dir[PATH_MAX];
	int n;

	if (!build_id_ok(vi->build_id) || cache_dir(dir, sizeof(dir)))
		return -ENOENT;
	n = snprintf(buf, size, "%s/%s%s%s", dir, vi->build_id, file ? "/" : "",
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

int bpfpoke_desc_cache_hints(__u64 *gpas, unsigned int max)
{
	char dir[PATH_MAX], path[PATH_MAX], *text, *p, *end;
	unsigned int n = 0;
	size_t len;

	if (cache_dir(dir, sizeof(dir)) ||
	    snprintf(path, sizeof(path), "%s/hints", dir) >= (int)sizeof(path) ||
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

void bpfpoke_desc_cache_add_hint(__u64 gpa)
{
	char dir[PATH_MAX], path[PATH_MAX], text[HINTS_MAX * 20];
	__u64 old[HINTS_MAX];
	unsigned int n, i;
	size_t len;

	if (cache_dir(dir, sizeof(dir)) || mkdir_p(dir) ||
	    snprintf(path, sizeof(path), "%s/hints", dir) >= (int)sizeof(path))
		return;
	n = bpfpoke_desc_cache_hints(old, HINTS_MAX);
	len = snprintf(text, sizeof(text), "%llx\n", (unsigned long long)gpa);
	for (i = 0; i < n && i < HINTS_MAX - 1; i++)
		if (old[i] != gpa)
			len += snprintf(text + len, sizeof(text) - len, "%llx\n",
					(unsigned long long)old[i]);
	if (write_all(path, text, len))
		pr_debug("cache: cannot write %s\n", path);
}

/*
 * The entry for @vi's BUILD-ID: up to @max symbols into @syms (*@nr of
 * them, at this boot's addresses) and the BTF blob into *@btf (*@btf_len
 * bytes, for the caller to free).  -ENOENT when there is none, it is for
 * another release, or it is malformed.
 */
int bpfpoke_desc_cache_load(const struct bpfpoke_vmcoreinfo *vi,
			    struct ksyms_entry *syms, unsigned int max,
			    unsigned int *nr, void **btf, size_t *btf_len)
{
	char path[PATH_MAX], *text = NULL, *p, *line;
	size_t len;
	int err;

	*nr = 0;
	*btf = NULL;
	err = entry_path(vi, "osrelease", path, sizeof(path));
	if (!err)
		err = read_all(path, 256, &text, &len);
	if (err)
		return -ENOENT;
	if (strcmp(text, vi->osrelease)) {
		free(text);
		return -ENOENT;
	}
	free(text);
	if (entry_path(vi, "ksyms", path, sizeof(path)) ||
	    read_all(path, KSYMS_FILE_MAX, &text, &len))
		return -ENOENT;
	line = strtok_r(text, "\n", &p);
	if (!line || strcmp(line, KSYMS_FORMAT)) {
		free(text);
		pr_debug("cache: %s is of another format: not used\n", path);
		return -ENOENT;
	}
	for (line = strtok_r(NULL, "\n", &p); line && *nr < max;
	     line = strtok_r(NULL, "\n", &p)) {
		char *sp = strchr(line, ' '), *end;
		unsigned long long off;

		if (!sp || sp == line || (size_t)(sp - line) >= sizeof(syms->name))
			goto bad;
		errno = 0;
		off = strtoull(sp + 1, &end, 16);
		if (errno)
			goto bad;
		if (end == sp + 1 || *end)
			goto bad;
		memcpy(syms[*nr].name, line, sp - line);
		syms[*nr].name[sp - line] = 0;
		syms[*nr].addr = vi->stext + off;
		(*nr)++;
	}
	free(text);
	if (entry_path(vi, "btf", path, sizeof(path)) ||
	    read_all(path, BTF_FILE_MAX, (char **)btf, btf_len))
		return -ENOENT;
	return 0;
bad:
	free(text);
	pr_debug("cache: %s is malformed: not used\n", path);
	return -ENOENT;
}

void bpfpoke_desc_cache_store(const struct bpfpoke_vmcoreinfo *vi,
			      const struct ksyms_entry *syms, unsigned int nr,
			      const void *btf, size_t btf_len)
{
	char path[PATH_MAX], *text;
	size_t len = 0, cap = 64 * (nr + 1);
	unsigned int i;

	if (entry_path(vi, NULL, path, sizeof(path)) || mkdir_p(path))
		return;
	text = malloc(cap);
	if (!text)
		return;
	len = snprintf(text, cap, "%s\n", KSYMS_FORMAT);
	for (i = 0; i < nr; i++)
		len += snprintf(text + len, cap - len, "%s %llx\n", syms[i].name,
				(unsigned long long)(syms[i].addr - vi->stext));
	/* The BTF and the symbols first: the release marks a whole entry. */
	if (entry_path(vi, "btf", path, sizeof(path)) ||
	    write_all(path, btf, btf_len) ||
	    entry_path(vi, "ksyms", path, sizeof(path)) ||
	    write_all(path, text, len) ||
	    entry_path(vi, "osrelease", path, sizeof(path)) ||
	    write_all(path, vi->osrelease, strlen(vi->osrelease)))
		pr_debug("cache: cannot write the entry of %s\n", vi->build_id);
	free(text);
}
