// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A session: one guest kernel's description, its memory, and the model
 * built from both.  open (files) -> attach (memory) -> load (KASLR) so
 * that a caller can tell which stage failed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "kmodel.h"

#define SESSION_FLAGS	(BPFPOKE_SESSION_WRITABLE | BPFPOKE_SESSION_NO_CACHE)
/* vmlinux BTF is a few MiB (6.1 Debian: 5.3 MiB); more is not one. */
#define VMLINUX_BTF_MAX	(64U << 20)

/* The caller's options, the fields an older caller lacks as zero. */
static int opts_get(const struct bpfpoke_session_opts *in,
		    struct bpfpoke_session_opts *out)
{
	if (!in || !OPTS_VALID(in, bpfpoke_session_opts))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->vmlinux = OPTS_GET(in, vmlinux, NULL);
	out->btf = OPTS_GET(in, btf, NULL);
	out->symbols = OPTS_GET(in, symbols, NULL);
	out->vm_pid = OPTS_GET(in, vm_pid, 0);
	out->mem_file = OPTS_GET(in, mem_file, NULL);
	out->mem_file_below_4g = OPTS_GET(in, mem_file_below_4g, 0);
	out->mem_file_max_below_4g = OPTS_GET(in, mem_file_max_below_4g, 0);
	out->flags = OPTS_GET(in, flags, 0);
	return 0;
}

static char *dup_opt(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

/*
 * The guest kernel's vmlinux BTF, from __start_BTF to __stop_BTF of its
 * image, as found by its own kallsyms.  Hostile: the size is bounded and
 * the header's sections must lie inside the blob.
 */
static int btf_from_guest(struct bpfpoke_session *s,
			  const struct bpfpoke_vmcoreinfo *vi,
			  const struct bpfpoke_kallsyms *ks, struct btf **out)
{
	__u64 start = 0, stop = 0, size;
	void *raw;
	__u32 i;
	int err;

	for (i = 0; i < ks->nr; i++) {
		const char *name = ks->strtab + ks->syms[i].name_off;

		if (!strcmp(name, "__start_BTF"))
			start = ks->syms[i].addr;
		else if (!strcmp(name, "__stop_BTF"))
			stop = ks->syms[i].addr;
	}
	if (!start || !stop) {
		pr_warn("the guest kernel's kallsyms has no __start_BTF/__stop_BTF: it is built without DEBUG_INFO_BTF; give --vmlinux, or --btf and --symbols\n");
		return -ENOENT;
	}
	size = stop - start;
	if (stop < start || size > VMLINUX_BTF_MAX) {
		pr_warn("the guest's BTF from 0x%llx to 0x%llx is not a BTF blob\n",
			(unsigned long long)start, (unsigned long long)stop);
		return -EINVAL;
	}
	raw = malloc(size);
	if (!raw)
		return -ENOMEM;
	err = bpfpoke_mem_read(s->mem, start - 0xffffffff80000000ULL + vi->phys_base,
			       raw, size);
	if (err) {
		pr_warn("the guest's BTF cannot be read: %s\n", strerror(-err));
		goto out;
	}
	err = bpfpoke_btf_blob_parse(raw, size, out);
out:
	free(raw);
	return err;
}

/*
 * Entry @id of the description cache into @s, its vmlinux BTF (parsed
 * when something needs it) from @btf_file, else from the entry's blob:
 * 0, else -ENOENT and @s as it was.
 */
static int load_cached(struct bpfpoke_session *s, const char *id,
		       const char *osrelease, const char *btf_file)
{
	char path[PATH_MAX];
	int err;

	err = bpfpoke_desc_cache_load(id, osrelease, &s->syms, &s->layout,
				      path, sizeof(path));
	if (!err && (btf_file || path[0])) {
		s->btf_file = strdup(btf_file ? btf_file : path);
		if (!s->btf_file)
			err = -ENOMEM;
	}
	if (err) {
		memset(&s->syms, 0, sizeof(s->syms));
		memset(&s->layout, 0, sizeof(s->layout));
		return -ENOENT;
	}
	s->desc_cached = true;
	return 0;
}

/*
 * The cache's entry for the VMCOREINFO's BUILD-ID and OSRELEASE, if
 * there is one that works: 0, else -ENOENT (described from memory then).
 */
static int describe_from_cache(struct bpfpoke_session *s,
			       const struct bpfpoke_vmcoreinfo *vi)
{
	__u64 t0 = bpfpoke_now_ns();
	int err;

	err = load_cached(s, vi->build_id, vi->osrelease, NULL);
	s->times.cache_ns += bpfpoke_now_ns() - t0;
	if (err)
		return err;
	s->desc_source = BPFPOKE_DESC_CACHE;
	return 0;
}

/*
 * No description: the guest's own, from its memory.  VMCOREINFO, then
 * kallsyms for the symbols, then the BTF the symbols locate.
 */
static int describe_from_guest(struct bpfpoke_session *s)
{
	const struct bpfpoke_vmcoreinfo *vi;
	const struct bpfpoke_kallsyms *ks;
	__u64 t0;
	int err;

	err = bpfpoke_session_vmcoreinfo(s, &vi);
	if (err)
		return err;
	if (!(s->flags & BPFPOKE_SESSION_NO_CACHE) && !describe_from_cache(s, vi))
		return 0;
	err = bpfpoke_session_kallsyms(s, &ks);
	if (err)
		return err;
	s->desc_source = BPFPOKE_DESC_GUEST;
	t0 = bpfpoke_now_ns();
	err = bpfpoke_ksyms_from_kallsyms(&s->syms, ks);
	s->times.symbols_ns += bpfpoke_now_ns() - t0;
	if (err) {
		if (err == -ENOENT)
			pr_warn("the guest kernel's kallsyms lacks data symbols: it is built without KALLSYMS_ALL; give --vmlinux, or --btf and --symbols\n");
		return err;
	}
	t0 = bpfpoke_now_ns();
	err = btf_from_guest(s, vi, ks, &s->vmlinux_btf);
	if (!err)
		err = bpfpoke_klayout_resolve(&s->layout, s->vmlinux_btf);
	s->times.vmlinux_btf_ns = bpfpoke_now_ns() - t0;
	if (!err) {
		const void *raw;
		__u32 size;

		t0 = bpfpoke_now_ns();
		raw = btf__raw_data(s->vmlinux_btf, &size);
		if (raw)
			bpfpoke_desc_cache_store(vi->build_id, vi->osrelease,
						 &s->syms, &s->layout, raw, size);
		s->times.cache_ns += bpfpoke_now_ns() - t0;
	}
	return err;
}

static int load_btf(struct bpfpoke_session *s)
{
	const char *path = s->vmlinux ? s->vmlinux : s->btf_path;
	__u64 t0 = bpfpoke_now_ns();
	struct btf *btf;
	int err;

	/* btf__parse() takes raw BTF and ELF files with a .BTF section. */
	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	if (err) {
		pr_warn("%s: no usable BTF: %s\n", path, strerror(-err));
		return err;
	}
	s->vmlinux_btf = btf;
	err = bpfpoke_klayout_resolve(&s->layout, btf);
	s->times.vmlinux_btf_ns = bpfpoke_now_ns() - t0;
	return err;
}

/*
 * The given files' entry in the description cache: 0 and the session
 * described, else -ENOENT (and @s->files_id the entry to store, if any).
 */
static int describe_from_files_cache(struct bpfpoke_session *s)
{
	const char *paths[2] = { s->vmlinux ? s->vmlinux : s->btf_path,
				 s->symbols };
	__u64 t0;
	int err;

	t0 = bpfpoke_now_ns();
	err = bpfpoke_desc_cache_files_id(paths, s->vmlinux ? 1 : 2, s->files_id,
					  sizeof(s->files_id));
	if (err)
		s->files_id[0] = 0;
	else if (s->flags & BPFPOKE_SESSION_NO_CACHE)
		err = -ENOENT;	/* parsed, and the entry written afresh */
	else
		err = load_cached(s, s->files_id, NULL, paths[0]);
	s->times.cache_ns += bpfpoke_now_ns() - t0;
	return err ? -ENOENT : 0;
}

struct bpfpoke_session *
bpfpoke_session_open(const struct bpfpoke_session_opts *uopts)
{
	struct bpfpoke_session_opts opts;
	struct bpfpoke_session *s;
	__u64 t0;
	int err;

	err = opts_get(uopts, &opts);
	if (err)
		goto err_out;
	/* No description at all is fine: only what needs none works then. */
	if ((opts.vmlinux && (opts.btf || opts.symbols)) ||
	    !!opts.btf != !!opts.symbols) {
		pr_warn("give either a vmlinux, or a BTF and a symbols file\n");
		err = -EINVAL;
		goto err_out;
	}
	if ((opts.vm_pid > 0) == !!opts.mem_file || opts.vm_pid < 0 ||
	    (opts.vm_pid && (opts.mem_file_below_4g ||
			     opts.mem_file_max_below_4g))) {
		pr_warn("give either a VMM pid or a guest memory file\n");
		err = -EINVAL;
		goto err_out;
	}
	if (opts.flags & ~SESSION_FLAGS) {
		err = -EINVAL;
		goto err_out;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto err_out;
	}
	s->vmlinux = dup_opt(opts.vmlinux, &err);
	s->btf_path = dup_opt(opts.btf, &err);
	s->symbols = dup_opt(opts.symbols, &err);
	s->mem_file = dup_opt(opts.mem_file, &err);
	s->vm_pid = opts.vm_pid;
	s->below_4g = opts.mem_file_below_4g;
	s->max_below_4g = opts.mem_file_max_below_4g;
	s->flags = opts.flags;
	if (err)
		goto err_close;

	if (!s->vmlinux && !s->symbols)
		return s;
	s->desc_source = BPFPOKE_DESC_FILES;
	if (!describe_from_files_cache(s))
		return s;
	t0 = bpfpoke_now_ns();
	err = s->vmlinux ? bpfpoke_ksyms_read_elf(&s->syms, s->vmlinux) :
			   bpfpoke_ksyms_read_text(&s->syms, s->symbols);
	s->times.symbols_ns = bpfpoke_now_ns() - t0;
	if (err)
		goto err_close;
	err = load_btf(s);
	if (err)
		goto err_close;
	if (s->files_id[0]) {
		t0 = bpfpoke_now_ns();
		bpfpoke_desc_cache_store(s->files_id, NULL, &s->syms, &s->layout,
					 NULL, 0);
		s->times.cache_ns += bpfpoke_now_ns() - t0;
	}
	return s;

err_close:
	bpfpoke_session_close(s);
err_out:
	errno = -err;
	return NULL;
}

int bpfpoke_session_attach(struct bpfpoke_session *s)
{
	bool writable;
	__u64 t0;

	if (!s)
		return bpfpoke_err(-EINVAL);
	if (s->mem)
		return bpfpoke_err(-EALREADY);
	writable = s->flags & BPFPOKE_SESSION_WRITABLE;
	t0 = bpfpoke_now_ns();
	s->mem = s->mem_file ?
		 bpfpoke_mem_file_open(s->mem_file, s->below_4g, s->max_below_4g,
				       writable) :
		 bpfpoke_mem_kmod_open(s->vm_pid, writable);
	s->times.attach_ns = bpfpoke_now_ns() - t0;
	return s->mem ? 0 : bpfpoke_err(-errno);
}

int bpfpoke_session_load(struct bpfpoke_session *s)
{
	__u64 t0;
	int err;

	if (!s || !s->mem)
		return bpfpoke_err(-EINVAL);
	if (s->km.loaded)
		return bpfpoke_err(-EALREADY);
	if (!s->vmlinux && !s->symbols) {
		err = describe_from_guest(s);
		if (err)
			return bpfpoke_err(err);
	}
	t0 = bpfpoke_now_ns();
	err = bpfpoke_kaslr_find(&s->km, s->mem, &s->syms,
				 !(s->flags & BPFPOKE_SESSION_NO_CACHE));
	s->times.kaslr_ns = bpfpoke_now_ns() - t0;
	return bpfpoke_err(err);
}

void bpfpoke_session_close(struct bpfpoke_session *s)
{
	if (!s)
		return;
	bpfpoke_mem_close(s->mem);
	free(s->vmcoreinfo);
	bpfpoke_kallsyms_free(s->kallsyms);
	while (s->nr_map_btfs)
		btf__free(s->map_btfs[--s->nr_map_btfs].btf);
	free(s->map_btfs);
	btf__free(s->vmlinux_btf);
	free(s->btf_file);
	free(s->maps);
	free(s->cpu_off);
	free(s->vmlinux);
	free(s->btf_path);
	free(s->symbols);
	free(s->mem_file);
	free(s);
}

int bpfpoke_session_vmcoreinfo(struct bpfpoke_session *s,
			       const struct bpfpoke_vmcoreinfo **vi)
{
	struct bpfpoke_vmcoreinfo *found;
	__u64 t0;
	int err;

	if (!s || !s->mem || !vi)
		return bpfpoke_err(-EINVAL);
	if (!s->vmcoreinfo) {
		found = malloc(sizeof(*found));
		if (!found)
			return bpfpoke_err(-ENOMEM);
		t0 = bpfpoke_now_ns();
		err = bpfpoke_vmcoreinfo_find(s->mem, found,
					      !(s->flags & BPFPOKE_SESSION_NO_CACHE));
		s->times.vmcoreinfo_ns = bpfpoke_now_ns() - t0;
		if (err) {
			free(found);
			return bpfpoke_err(err);
		}
		s->vmcoreinfo = found;
	}
	*vi = s->vmcoreinfo;
	return 0;
}

int bpfpoke_session_desc_source(const struct bpfpoke_session *s)
{
	if (!s || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	return s->desc_source;
}

int bpfpoke_session_desc_cached(const struct bpfpoke_session *s)
{
	if (!s || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	return s->desc_cached;
}

struct btf *bpfpoke_session_vmlinux_btf(struct bpfpoke_session *s)
{
	struct btf *btf;
	__u64 t0;
	int err;

	if (s->vmlinux_btf || !s->btf_file)
		return s->vmlinux_btf;
	t0 = bpfpoke_now_ns();
	btf = btf__parse(s->btf_file, NULL);
	err = libbpf_get_error(btf);
	s->times.vmlinux_btf_ns += bpfpoke_now_ns() - t0;
	if (err) {
		pr_warn("%s: no usable vmlinux BTF: %s\n", s->btf_file,
			strerror(-err));
		/* Not again: every later caller gets NULL at once. */
		free(s->btf_file);
		s->btf_file = NULL;
		errno = -err;
		return NULL;
	}
	s->vmlinux_btf = btf;
	return btf;
}

int bpfpoke_session_kallsyms(struct bpfpoke_session *s,
			     const struct bpfpoke_kallsyms **ks)
{
	const struct bpfpoke_vmcoreinfo *vi;
	__u64 t0;
	int err;

	if (!s || !s->mem || !ks)
		return bpfpoke_err(-EINVAL);
	if (!s->kallsyms) {
		err = bpfpoke_session_vmcoreinfo(s, &vi);
		if (err)
			return err;
		t0 = bpfpoke_now_ns();
		err = bpfpoke_kallsyms_decode(s->mem, vi, &s->kallsyms);
		s->times.kallsyms_ns = bpfpoke_now_ns() - t0;
		if (err)
			return bpfpoke_err(err);
	}
	*ks = s->kallsyms;
	return 0;
}

int bpfpoke_session_regions(const struct bpfpoke_session *s,
			    const struct bpfpoke_mem_region **regions,
			    unsigned int *nr)
{
	if (!s || !s->mem || !regions || !nr)
		return bpfpoke_err(-EINVAL);
	*regions = s->mem->regions;
	*nr = s->mem->nr_regions;
	return 0;
}

int bpfpoke_session_kernel_info(const struct bpfpoke_session *s,
				struct bpfpoke_kernel_info *info)
{
	const struct kmodel *km;

	if (!s || !info || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	km = &s->km;
	memset(info, 0, sizeof(*info));
	info->text_kva = km->text_kva;
	info->text_gpa = km->text_gpa;
	info->kaslr_offset = km->text_kva - DEFAULT_START_KERNEL;
	info->phys_base = km->phys_base;
	info->page_offset_base = km->page_offset_base;
	info->vmalloc_base = km->vmalloc_base;
	info->vmemmap_base = km->vmemmap_base;
	info->top_pgt_gpa = km->top_pgt_gpa;
	info->levels = km->levels;
	memcpy(info->banner, km->banner, sizeof(info->banner));
	return 0;
}

const struct bpfpoke_session_times *
bpfpoke_session_times(const struct bpfpoke_session *s)
{
	return s ? &s->times : NULL;
}

int bpfpoke_read_phys(struct bpfpoke_session *s, __u64 gpa, void *buf,
		      size_t len)
{
	if (!s || !s->mem || !buf)
		return bpfpoke_err(-EINVAL);
	return bpfpoke_err(bpfpoke_mem_read(s->mem, gpa, buf, len));
}

int bpfpoke_write_phys(struct bpfpoke_session *s, __u64 gpa,
		       const void *buf, size_t len)
{
	if (!s || !s->mem || !buf)
		return bpfpoke_err(-EINVAL);
	return bpfpoke_err(bpfpoke_mem_write(s->mem, gpa, buf, len));
}

int bpfpoke_translate(struct bpfpoke_session *s, __u64 kva, __u64 *gpa)
{
	__u64 contig;

	if (!s || !gpa || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	return bpfpoke_err(bpfpoke_km_translate(&s->km, s->mem, kva, gpa, &contig));
}

int bpfpoke_read_kva(struct bpfpoke_session *s, __u64 kva, void *buf,
		     size_t len)
{
	if (!s || !buf || !s->km.loaded)
		return bpfpoke_err(-EINVAL);
	return bpfpoke_err(bpfpoke_km_read(&s->km, s->mem, kva, buf, len));
}
