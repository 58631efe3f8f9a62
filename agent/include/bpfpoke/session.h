/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: guest sessions: guest memory, the guest kernel model,
 * physical and kernel-virtual access.
 * Include <bpfpoke.h>, which includes every part.
 */
#ifndef __BPFPOKE_SESSION_H
#define __BPFPOKE_SESSION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ======================================================================
 * Guest sessions: guest memory, the guest kernel model and its BPF maps
 * ======================================================================
 *
 * A session reads a guest kernel's description (symbols and vmlinux BTF)
 * and then its memory, finds where the kernel lies (KASLR) and lists the
 * BPF maps, all from guest memory alone:
 *
 *	BPFPOKE_OPTS(bpfpoke_session_opts, opts,
 *		.mem_file = "/dev/shm/guest-ram",
 *		.btf = "vmlinux.btf", .symbols = "kallsyms");
 *	s = bpfpoke_session_open(&opts);	kernel description files
 *	err = bpfpoke_session_attach(s);	guest memory
 *	err = bpfpoke_session_load(s);		KASLR, page tables
 *	err = bpfpoke_maps(s, &maps, &nr);	walk map_idr
 *	...
 *	bpfpoke_session_close(s);
 *
 * Guest memory is hostile input: a guest can make any of these calls fail
 * (EFAULT, EINVAL, ELOOP, E2BIG, ENOENT), never crash or hang them.  A
 * session is not thread-safe; use one per thread.
 */

struct btf;
struct bpfpoke_session;

/* Open guest memory for writing too (bpfpoke_write_phys(), ...). */
#define BPFPOKE_SESSION_WRITABLE	(1U << 0)
/*
 * Do not use the description cache (bpfpoke_session_desc_cached()): with
 * no description, neither its entry for the guest's BUILD-ID nor where
 * VMCOREINFO was found before, so the guest is described from its memory
 * alone; with files, they are parsed.  The cache is written afresh.
 */
#define BPFPOKE_SESSION_NO_CACHE	(1U << 1)

/**
 * struct bpfpoke_session_opts - what a session works on
 * @sz: sizeof(struct bpfpoke_session_opts)
 * @vmlinux: the guest kernel's ELF image, with symbols and a .BTF section
 * @btf: raw vmlinux BTF (a copy of the guest's /sys/kernel/btf/vmlinux);
 *	 with @symbols, instead of @vmlinux
 * @symbols: System.map or /proc/kallsyms text of the same kernel build,
 *	     at any KASLR slide
 * @vm_pid: guest memory through bpfpoke.ko: the pid of the KVM VMM
 *	    (e.g. QEMU); its one KVM VM fd is taken with pidfd_getfd()
 * @mem_file: guest memory from a QEMU memory-backend-file (share=on);
 *	      instead of @vm_pid
 * @mem_file_below_4g: bytes of the file that the guest sees below 4 GiB
 *		       (the rest is at 4 GiB); 0: q35's rule, see
 *		       bpfpoke_q35_below_4g()
 * @mem_file_max_below_4g: QEMU's -machine max-ram-below-4g, applied with
 *			   q35's rule; 0: QEMU's default
 * @flags: BPFPOKE_SESSION_*
 */
struct bpfpoke_session_opts {
	size_t sz;
	const char *vmlinux;
	const char *btf;
	const char *symbols;
	int vm_pid;
	const char *mem_file;
	__u64 mem_file_below_4g;
	__u64 mem_file_max_below_4g;
	__u32 flags;
	size_t :0;
};
#define bpfpoke_session_opts__last_field flags

/**
 * bpfpoke_session_open() - read a guest kernel's description
 * @opts: @vmlinux, or @btf and @symbols, or none of them; either @vm_pid
 *	  or @mem_file (not used until bpfpoke_session_attach())
 *
 * Reads the symbols bpfpoke needs, normalised to offsets from _text, and
 * the vmlinux BTF, and resolves the kernel structure layouts from it.
 * Touches no guest memory.  Without a description only what needs none
 * works: guest-physical access and bpfpoke_session_vmcoreinfo();
 * bpfpoke_session_load() fails with -EOPNOTSUPP.
 *
 * Return: a session, or NULL with errno: EINVAL for bad @opts (both
 * kernel descriptions, half of one, none or both guest memories, unknown flags,
 * non-zero bytes past the known fields); ENOENT, EACCES, ... when a file
 * cannot be read; ENOENT when a needed symbol (_text, linux_banner,
 * init_top_pgt, map_idr) or BTF type is missing; ENOTUNIQ when a needed
 * symbol has two addresses; ENODATA when the symbols carry no addresses
 * (kallsyms read with kptr_restrict); EINVAL or EPROTO for malformed
 * files; ENOMEM.
 */
struct bpfpoke_session *
bpfpoke_session_open(const struct bpfpoke_session_opts *opts);

/**
 * bpfpoke_session_attach() - open the session's guest memory
 * @s: a session
 *
 * Return: 0; -EALREADY if attached; for a mem-file: the open()/fstat()
 * errno, -EINVAL if it is not a non-empty regular file or the split does
 * not fit it; through bpfpoke.ko: -ENOENT when the module is not loaded
 * (no /dev/bpfpoke) or the VMM has no KVM VM fd, -EPERM/-EACCES without
 * CAP_SYS_ADMIN or ptrace access to the VMM, -ESRCH for no such process,
 * -ENOTUNIQ when the VMM has several VMs, -EPROTONOSUPPORT for a module
 * of another API version, -E2BIG for more than 64 memory regions, or the
 * module's ioctl errors.
 */
int bpfpoke_session_attach(struct bpfpoke_session *s);

/**
 * bpfpoke_session_load() - find the guest kernel in guest memory
 * @s: an attached session
 *
 * Scans guest RAM at 2 MiB steps for the kernel image (linux_banner reads
 * "Linux version " at its offset from _text), finds its virtual base by
 * walking the kernel's own top-level page table (init_top_pgt), and reads
 * page_offset_base, vmalloc_base, vmemmap_base, phys_base and the paging
 * level (4 or 5) from kernel variables.
 *
 * Return: 0; -EINVAL if not attached; -EALREADY if loaded; -ENOENT when
 * no image in guest memory matches the description (another kernel, or
 * memory not yet written by the guest); -EFAULT, -EINVAL for an image
 * whose page tables or variables make no sense; -EOPNOTSUPP for a session
 * opened without a kernel description.
 */
int bpfpoke_session_load(struct bpfpoke_session *s);

/* Closes files, frees everything.  @s may be NULL.  Cannot fail. */
void bpfpoke_session_close(struct bpfpoke_session *s);

/**
 * bpfpoke_q35_below_4g() - bytes of RAM QEMU's q35 maps below 4 GiB
 * @ram_size: the guest's RAM (-m, or the memory backend's size)
 * @max_below_4g: -machine max-ram-below-4g, 0 for QEMU's default
 *
 * QEMU 7.2 hw/i386/pc_q35.c: all RAM below 2.75 GiB stays low, more is
 * split at 2 GiB, and never above max-ram-below-4g.
 *
 * Return: the size of the low part; the rest is at 4 GiB.  Cannot fail.
 */
__u64 bpfpoke_q35_below_4g(__u64 ram_size, __u64 max_below_4g);

#define BPFPOKE_MEM_REGION_READONLY	(1U << 0)

/* One guest-physical RAM region. */
struct bpfpoke_mem_region {
	__u64 gpa;
	__u64 size;
	__u32 flags;		/* BPFPOKE_MEM_REGION_* */
	__u32 __pad;
};

/**
 * bpfpoke_session_regions() - the guest's RAM regions, by address
 * @s: an attached session
 * @regions: out: the session's array, valid until it closes
 * @nr: out: its length
 *
 * Return: 0; -EINVAL if @s is not attached or an argument is NULL.
 */
int bpfpoke_session_regions(const struct bpfpoke_session *s,
			    const struct bpfpoke_mem_region **regions,
			    unsigned int *nr);

/**
 * struct bpfpoke_kernel_info - where the guest kernel is
 * @text_kva: virtual address of _text
 * @text_gpa: guest-physical address of _text
 * @kaslr_offset: @text_kva - 0xffffffff81000000, as kaslr_offset() in
 *		  the guest (the default __START_KERNEL)
 * @phys_base: the kernel's phys_base
 * @page_offset_base: start of the direct map of all physical memory
 * @vmalloc_base: start of vmalloc space
 * @vmemmap_base: start of the struct page array
 * @top_pgt_gpa: guest-physical address of init_top_pgt, the kernel's CR3
 * @levels: paging levels, 4 or 5
 * @banner: linux_banner up to its newline, NUL-terminated
 */
struct bpfpoke_kernel_info {
	__u64 text_kva;
	__u64 text_gpa;
	__u64 kaslr_offset;
	__u64 phys_base;
	__u64 page_offset_base;
	__u64 vmalloc_base;
	__u64 vmemmap_base;
	__u64 top_pgt_gpa;
	__u32 levels;
	__u32 __pad;
	char banner[256];
};

/**
 * bpfpoke_session_kernel_info() - what bpfpoke_session_load() found
 * @s: a loaded session
 * @info: out
 *
 * Return: 0; -EINVAL if @s is not loaded or @info is NULL.
 */
int bpfpoke_session_kernel_info(const struct bpfpoke_session *s,
				struct bpfpoke_kernel_info *info);

/**
 * struct bpfpoke_session_times - where a session's time went, in ns
 * @symbols_ns: reading the symbols (bpfpoke_session_open())
 * @vmlinux_btf_ns: parsing the vmlinux BTF and resolving layouts (same)
 * @attach_ns: opening guest memory (bpfpoke_session_attach())
 * @kaslr_ns: finding the kernel (bpfpoke_session_load())
 * @map_walk_ns: the last walk of map_idr (bpfpoke_maps())
 * @map_btf_ns: all bpfpoke_map_btf() calls together
 * @resolve_ns: all bpfpoke_map_find() calls together (also those of
 *		bpfpoke_write_prepare()): picking the map by its suffix and
 *		looking the field up in each candidate's BTF, without the
 *		map walk and the BTF reads they start (@map_walk_ns,
 *		@map_btf_ns)
 * @resolve_count: the number of those calls
 * @vmcoreinfo_ns: scanning guest memory for the VMCOREINFO
 *		   (bpfpoke_session_vmcoreinfo())
 * @kallsyms_ns: decoding the guest's kallsyms (bpfpoke_session_kallsyms())
 * @cache_ns: looking the description up in the description cache, and
 *	      storing it there after a miss
 *
 * @symbols_ns and @vmlinux_btf_ns are 0 when the description came from
 * the cache; @vmlinux_btf_ns then counts parsing the vmlinux BTF only if
 * something needed it (a map's split BTF).  Fields are only ever
 * appended.
 */
struct bpfpoke_session_times {
	__u64 symbols_ns;
	__u64 vmlinux_btf_ns;
	__u64 attach_ns;
	__u64 kaslr_ns;
	__u64 map_walk_ns;
	__u64 map_btf_ns;
	__u64 resolve_ns;
	__u64 resolve_count;
	__u64 vmcoreinfo_ns;
	__u64 kallsyms_ns;
	__u64 cache_ns;
};

/* The session's timings, for benchmarks.  Never NULL for a non-NULL @s. */
const struct bpfpoke_session_times *
bpfpoke_session_times(const struct bpfpoke_session *s);

/**
 * bpfpoke_read_phys() - read guest-physical memory
 * @s: an attached session
 * @gpa: guest-physical address
 * @buf: where to put @len bytes
 * @len: 1 to 64 MiB
 *
 * Return: 0; -EINVAL if @s is not attached or @len is out of range;
 * -EFAULT if a byte is outside guest RAM; the backend's errors.
 */
int bpfpoke_read_phys(struct bpfpoke_session *s, __u64 gpa, void *buf,
		      size_t len);

/**
 * bpfpoke_write_phys() - write guest-physical memory
 *
 * As bpfpoke_read_phys(); -EROFS for a session opened without
 * BPFPOKE_SESSION_WRITABLE or a read-only region.  Not atomic: a failure
 * may leave part of the range written.
 */
int bpfpoke_write_phys(struct bpfpoke_session *s, __u64 gpa,
		       const void *buf, size_t len);

/**
 * bpfpoke_translate() - guest-physical address of a kernel address
 * @s: a loaded session
 * @kva: kernel virtual address
 * @gpa: out
 *
 * Uses the direct-map and kernel-image offsets where they are exact, else
 * walks the kernel page tables (4 or 5 levels; 4 KiB, 2 MiB, 1 GiB pages).
 *
 * Return: 0; -EINVAL if @s is not loaded; -EFAULT if @kva is not a
 * canonical kernel address, is not mapped, or a table is outside RAM.
 */
int bpfpoke_translate(struct bpfpoke_session *s, __u64 kva, __u64 *gpa);

/**
 * bpfpoke_read_kva() - read guest kernel virtual memory
 * @s: a loaded session
 * @kva: kernel virtual address
 * @buf: where to put @len bytes
 * @len: 1 to 64 MiB; the range may cross pages
 *
 * Return: 0; the errors of bpfpoke_translate() and bpfpoke_read_phys().
 */
int bpfpoke_read_kva(struct bpfpoke_session *s, __u64 kva, void *buf,
		     size_t len);

/* The longest VMCOREINFO text: one page. */
#define BPFPOKE_VMCOREINFO_MAX		4096

/**
 * struct bpfpoke_vmcoreinfo - the guest kernel's VMCOREINFO, from its memory
 * @gpa: guest-physical address of the text (page aligned)
 * @candidates: pages the scan found starting with "OSRELEASE=" (the
 *		running kernel agreed with the one at @gpa)
 * @hinted: found where the description cache said it last was, with the
 *	    checks of the scan and without scanning (@candidates is 1)
 * @osrelease: OSRELEASE, as uname -r
 * @build_id: BUILD-ID, 40 hex digits; "" when the kernel gives none
 * @levels: paging levels from NUMBER(pgtable_l5_enabled): 4 or 5; 0 if absent
 * @has_kallsyms: SYMBOL(kallsyms_names, _num_syms, _token_table,
 *		  _token_index, _offsets) are all there (6.0+)
 * @kaslr_offset: KERNELOFFSET
 * @phys_base: NUMBER(phys_base): a kernel-image address @kva is at
 *	       guest-physical @kva - 0xffffffff80000000 + @phys_base
 * @init_uts_ns: SYMBOL(init_uts_ns)
 * @init_top_pgt: SYMBOL(init_top_pgt); 0 if absent
 * @stext: SYMBOL(_stext); 0 if absent
 * @kallsyms_names: SYMBOL(kallsyms_names); 0 if absent, and so on
 * @kallsyms_num_syms: SYMBOL(kallsyms_num_syms)
 * @kallsyms_token_table: SYMBOL(kallsyms_token_table)
 * @kallsyms_token_index: SYMBOL(kallsyms_token_index)
 * @kallsyms_offsets: SYMBOL(kallsyms_offsets)
 * @kallsyms_relative_base: SYMBOL(kallsyms_relative_base) (before 7.0)
 * @text: the whole text, NUL-terminated
 *
 * The addresses are the running kernel's (KASLR applied).
 */
struct bpfpoke_vmcoreinfo {
	__u64 gpa;
	unsigned int candidates;
	bool hinted;
	char osrelease[65];
	char build_id[41];
	unsigned int levels;
	bool has_kallsyms;
	__u64 kaslr_offset;
	__u64 phys_base;
	__u64 init_uts_ns;
	__u64 init_top_pgt;
	__u64 stext;
	__u64 kallsyms_names;
	__u64 kallsyms_num_syms;
	__u64 kallsyms_token_table;
	__u64 kallsyms_token_index;
	__u64 kallsyms_offsets;
	__u64 kallsyms_relative_base;
	char text[BPFPOKE_VMCOREINFO_MAX + 1];
};

/**
 * bpfpoke_session_vmcoreinfo() - the guest kernel's VMCOREINFO
 * @s: an attached session; it needs no kernel description
 * @vi: out: the VMCOREINFO, owned by the session
 *
 * Found by scanning guest memory for page-aligned text that starts with
 * "OSRELEASE=" and that the running kernel agrees with (its init_uts_ns
 * names the release); the first call scans, later ones return what it
 * found.  Kernels built with CRASH_DUMP or PROC_KCORE have one, from
 * early in their boot on.
 *
 * Return: 0; -EINVAL if @s is not attached; -ENOENT when guest memory
 * holds no VMCOREINFO the running kernel agrees with (WARN names the
 * kernel config that is missing and the flags that get past it);
 * -E2BIG for more than 64 look-alike pages; the errors of reading guest
 * memory; -ENOMEM.
 */
int bpfpoke_session_vmcoreinfo(struct bpfpoke_session *s,
			       const struct bpfpoke_vmcoreinfo **vi);

/* Longest symbol name kallsyms keeps (KSYM_NAME_LEN - 1 since 6.1). */
#define BPFPOKE_KSYM_NAME_MAX		511

/**
 * struct bpfpoke_ksym - one symbol of the guest kernel's kallsyms
 * @addr: its address in the running kernel (KASLR applied)
 * @name_off: its name, at bpfpoke_kallsyms.strtab + @name_off
 * @type: the nm type letter, as /proc/kallsyms shows it
 */
struct bpfpoke_ksym {
	__u64 addr;
	__u32 name_off;
	char type;
};

/**
 * struct bpfpoke_kallsyms - the guest kernel's symbols, from its memory
 * @nr: symbols in @syms, in kallsyms' order (by address)
 * @syms: the symbols
 * @strtab: their NUL-terminated names
 * @encoding: how the guest's kallsyms_offsets were read:
 *	      "absolute-percpu" (before 6.15), "base-relative" (6.15 on) or
 *	      "place-relative" (7.0 on)
 */
struct bpfpoke_kallsyms {
	__u32 nr;
	struct bpfpoke_ksym *syms;
	char *strtab;
	const char *encoding;
};

/**
 * bpfpoke_session_kallsyms() - the guest kernel's kallsyms, decoded
 * @s: an attached session; it needs no kernel description
 * @ks: out: the symbols, owned by the session
 *
 * Decodes the kallsyms tables whose addresses the guest's VMCOREINFO
 * gives (bpfpoke_session_vmcoreinfo(); kernels 6.0 and later), as
 * /proc/kallsyms would list the kernel's own symbols: names with
 * KALLSYMS_ALL data symbols if the kernel has them, no modules'.  The
 * address encoding is the one that puts _stext where VMCOREINFO says.
 * The first call decodes, later ones return what it found.
 *
 * Return: 0; the errors of bpfpoke_session_vmcoreinfo(); -ENOENT when
 * the VMCOREINFO lists no kallsyms tables; -EINVAL for tables that make
 * no sense or no encoding that fits; -E2BIG past 2^21 symbols or 64 MiB
 * of names (compressed or decoded); -EFAULT when a table is outside RAM;
 * -ENOMEM.  Failures log a WARN message.
 */
int bpfpoke_session_kallsyms(struct bpfpoke_session *s,
			     const struct bpfpoke_kallsyms **ks);

/**
 * enum bpfpoke_desc_source - where a session's kernel description is from
 * @BPFPOKE_DESC_FILES: the files of bpfpoke_session_open()'s options
 * @BPFPOKE_DESC_GUEST: the guest's memory: VMCOREINFO, kallsyms, BTF
 * @BPFPOKE_DESC_CACHE: the description cache's entry for the BUILD-ID and
 *			OSRELEASE of the VMCOREINFO in guest memory
 *			($BPFPOKE_CACHE_DIR, $XDG_CACHE_HOME/bpfpoke or
 *			~/.cache/bpfpoke)
 */
enum bpfpoke_desc_source {
	BPFPOKE_DESC_FILES = 1,
	BPFPOKE_DESC_GUEST,
	BPFPOKE_DESC_CACHE,
};

/**
 * bpfpoke_session_desc_source() - where a loaded session's description is from
 * @s: a loaded session
 *
 * Return: an enum bpfpoke_desc_source; -EINVAL if @s is not loaded.
 */
int bpfpoke_session_desc_source(const struct bpfpoke_session *s);

/**
 * bpfpoke_session_desc_cached() - whether the description came from the cache
 * @s: a loaded session
 *
 * The description cache keeps what a session derives from a kernel's
 * description (the symbols it needs, structure layouts, map type names),
 * keyed by the guest's BUILD-ID (no description given) or by the
 * identity of the given files; BPFPOKE_SESSION_NO_CACHE bypasses it.
 *
 * Return: 1 if @s's symbols and layouts are the cache's, 0 if they were
 * derived now; -EINVAL if @s is not loaded.
 */
int bpfpoke_session_desc_cached(const struct bpfpoke_session *s);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __BPFPOKE_SESSION_H */
