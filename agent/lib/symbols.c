// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The few kernel symbols bpfpoke needs, from a System.map or
 * /proc/kallsyms text or from a vmlinux ELF image, normalised to offsets
 * from _text so that the KASLR slide of the file does not matter.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "internal.h"
#include "kmodel.h"

/* Larger text files are not symbol tables (a kallsyms is ~4 MiB). */
#define MAX_SYMBOLS_FILE	(256U << 20)

static const struct {
	const char *name;
	bool required;
} ksym_table[NR_KSYMS] = {
	[KSYM_TEXT]		  = { "_text", true },
	[KSYM_LINUX_BANNER]	  = { "linux_banner", true },
	[KSYM_INIT_TOP_PGT]	  = { "init_top_pgt", true },
	[KSYM_MAP_IDR]		  = { "map_idr", true },
	[KSYM_PROG_IDR]		  = { "prog_idr", false },
	[KSYM_PHYS_BASE]	  = { "phys_base", false },
	[KSYM_PAGE_OFFSET_BASE]	  = { "page_offset_base", false },
	[KSYM_VMALLOC_BASE]	  = { "vmalloc_base", false },
	[KSYM_VMEMMAP_BASE]	  = { "vmemmap_base", false },
	[KSYM_PGTABLE_L5_ENABLED] = { "__pgtable_l5_enabled", false },
	[KSYM_PGDIR_SHIFT]	  = { "pgdir_shift", false },
	[KSYM_PTRS_PER_P4D]	  = { "ptrs_per_p4d", false },
	[KSYM_END]		  = { "_end", false },
	[KSYM_PER_CPU_OFFSET]	  = { "__per_cpu_offset", false },
	[KSYM_NR_CPU_IDS]	  = { "nr_cpu_ids", false },
};

/* The first letters of the names in ksym_table: a quick filter. */
#define KSYM_FIRSTS	"_limnpv"

static void ksym_add(struct ksyms *k, const char *name, size_t len,
		     __u64 addr)
{
	int i;

	if (!len || !name[0] || !strchr(KSYM_FIRSTS, name[0]))
		return;
	for (i = 0; i < NR_KSYMS; i++) {
		if (ksym_table[i].name[0] != name[0] ||
		    strlen(ksym_table[i].name) != len ||
		    memcmp(ksym_table[i].name, name, len))
			continue;
		if (k->have[i] && k->off[i] != addr)
			k->dup[i] = true;
		k->off[i] = addr;
		k->have[i] = true;
		return;
	}
}

/* Raw addresses to offsets from _text, with the checks. */
static int ksyms_finish(struct ksyms *k, const char *src)
{
	__u64 text;
	int i;

	for (i = 0; i < NR_KSYMS; i++) {
		if (k->dup[i]) {
			pr_warn("%s: symbol %s has more than one address\n",
				src, ksym_table[i].name);
			return -ENOTUNIQ;
		}
		if (ksym_table[i].required && !k->have[i]) {
			pr_warn("%s: no symbol %s\n", src, ksym_table[i].name);
			return -ENOENT;
		}
	}
	text = k->off[KSYM_TEXT];
	if (!text) {
		pr_warn("%s: symbols have no addresses (kallsyms read without CAP_SYSLOG, or with kptr_restrict=2?)\n",
			src);
		return -ENODATA;
	}
	for (i = 0; i < NR_KSYMS; i++) {
		if (!k->have[i])
			continue;
		/* Every symbol we use is inside the image, after _text. */
		if (k->off[i] < text || k->off[i] - text >= KERNEL_IMAGE_SIZE) {
			pr_warn("%s: symbol %s at 0x%llx is not in the kernel image at _text 0x%llx\n",
				src, ksym_table[i].name,
				(unsigned long long)k->off[i],
				(unsigned long long)text);
			return -EINVAL;
		}
		k->off[i] -= text;
	}
	if (k->off[KSYM_INIT_TOP_PGT] & (PAGE_SIZE_4K - 1)) {
		pr_warn("%s: init_top_pgt is not page aligned\n", src);
		return -EINVAL;
	}
	return 0;
}

/* The symbols of the guest's own kallsyms (kallsyms.c). */
int bpfpoke_ksyms_from_kallsyms(struct ksyms *k,
				const struct bpfpoke_kallsyms *ks)
{
	__u32 i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < ks->nr; i++) {
		const char *name = ks->strtab + ks->syms[i].name_off;

		ksym_add(k, name, strlen(name), ks->syms[i].addr);
	}
	return ksyms_finish(k, "the guest's kallsyms");
}

/*
 * "ADDR TYPE NAME" lines, and in kallsyms "ADDR TYPE NAME\t[MODULE]" for
 * module symbols, which are skipped.  Malformed lines are skipped too: a
 * System.map may carry other lines, and only the wanted names matter.
 */
int bpfpoke_ksyms_parse_text(struct ksyms *k, const char *text, size_t len,
			     const char *src)
{
	const char *p = text, *end = text + len;
	size_t lines = 0, good = 0;

	memset(k, 0, sizeof(*k));
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p), *name, *q;
		__u64 addr = 0;
		int digits, v;

		if (!eol)
			eol = end;
		lines++;
		/* "ADDR T NAME": the name's first byte first, it rejects most. */
		q = memchr(p, ' ', eol - p);
		digits = q ? q - p : 0;
		if (!digits || digits > 16 || q + 3 > eol || q[2] != ' ')
			goto next;
		good++;
		name = q + 3;
		if (!strchr(KSYM_FIRSTS, *name))
			goto next;
		for (q = p; q < p + digits; q++) {
			v = bpfpoke_hex_digit(*q);
			if (v < 0)
				goto next;
			addr = addr << 4 | v;
		}
		q = name;
		while (q < eol && *q != '\t' && *q != ' ' && *q != '\r')
			q++;
		/* A module symbol has a tab and "[module]" behind. */
		if (q < eol && *q == '\t')
			goto next;
		ksym_add(k, name, q - name, addr);
next:
		p = eol + 1;
	}
	if (!good) {
		pr_warn("%s: not a System.map or kallsyms file (%zu lines, none 'ADDR TYPE NAME')\n",
			src, lines);
		return -EINVAL;
	}
	return ksyms_finish(k, src);
}

int bpfpoke_ksyms_read_text(struct ksyms *k, const char *path)
{
	size_t len = 0, cap = 1 << 20;
	char *buf = NULL, *nbuf;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("symbols %s: cannot open: %s\n", path, strerror(-err));
		return err;
	}
	/* /proc/kallsyms has no size: read until EOF, from a size guess. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (__u64)st.st_size < MAX_SYMBOLS_FILE)
		cap = st.st_size + 1;
	for (;;) {
		ssize_t n;

		if (!buf || len == cap) {
			if (buf)
				cap *= 2;
			if (cap > MAX_SYMBOLS_FILE) {
				pr_warn("symbols %s: larger than %u MiB\n",
					path, MAX_SYMBOLS_FILE >> 20);
				err = -E2BIG;
				goto out;
			}
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			pr_warn("symbols %s: read: %s\n", path, strerror(-err));
			goto out;
		}
		if (!n)
			break;
		len += n;
	}
	err = bpfpoke_ksyms_parse_text(k, buf, len, path);
out:
	free(buf);
	close(fd);
	return err;
}

int bpfpoke_ksyms_read_elf(struct ksyms *k, const char *path)
{
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	int fd, err = -ENOENT;

	memset(k, 0, sizeof(*k));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("vmlinux %s: cannot open: %s\n", path, strerror(-err));
		return err;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		pr_warn("vmlinux %s: not an ELF file: %s\n", path,
			elf_errmsg(-1));
		err = -EINVAL;
		goto done;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize) {
			err = -EINVAL;
			goto done;
		}
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
			    GELF_ST_TYPE(sym.st_info) == STT_FILE ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name)
				ksym_add(k, name, strlen(name), sym.st_value);
		}
		err = ksyms_finish(k, path);
		goto done;
	}
	pr_warn("vmlinux %s: no symbol table\n", path);
done:
	elf_end(elf);
	close(fd);
	return err;
}
