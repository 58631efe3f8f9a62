// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfpoke kernel { show | vmcoreinfo | help }: where the guest kernel is
 * (KASLR), and its VMCOREINFO, as found in guest memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "main.h"

static int do_show(int argc, char **argv)
{
	const struct bpfpoke_mem_region *regions;
	const struct bpfpoke_session_opts *o;
	const struct bpfpoke_vmcoreinfo *vi = NULL;
	const struct bpfpoke_kallsyms *ks = NULL;
	struct bpfpoke_kernel_info ki;
	struct bpfpoke_session *s;
	unsigned int nr, i;
	int code = EXIT_FAIL, source, cached;

	(void)argv;
	if (argc)
		return p_err(EXIT_USAGE, "kernel show takes no arguments");
	s = get_session(&code);
	if (!s)
		return code;
	if (bpfpoke_session_kernel_info(s, &ki) ||
	    bpfpoke_session_regions(s, &regions, &nr))
		return p_err(EXIT_FAIL, "no kernel information");
	/* Where the description came from: files given, or the guest. */
	o = session_options();
	source = bpfpoke_session_desc_source(s);
	cached = bpfpoke_session_desc_cached(s) == 1;
	if (source != BPFPOKE_DESC_FILES &&
	    (bpfpoke_session_vmcoreinfo(s, &vi) ||
	     (source == BPFPOKE_DESC_GUEST && bpfpoke_session_kallsyms(s, &ks))))
		return p_err(EXIT_FAIL, "no kernel information");

	if (json_output) {
		json_start_object(json);
		json_string_field(json, "banner", ki.banner);
		json_hex_field(json, "text", ki.text_kva);
		json_hex_field(json, "text_gpa", ki.text_gpa);
		json_hex_field(json, "kaslr_offset", ki.kaslr_offset);
		json_uint_field(json, "levels", ki.levels);
		json_hex_field(json, "page_offset_base", ki.page_offset_base);
		json_hex_field(json, "vmalloc_base", ki.vmalloc_base);
		json_hex_field(json, "vmemmap_base", ki.vmemmap_base);
		json_hex_field(json, "phys_base", ki.phys_base);
		json_hex_field(json, "init_top_pgt_gpa", ki.top_pgt_gpa);
		json_name(json, "description");
		json_start_object(json);
		if (o->vmlinux) {
			json_string_field(json, "source", "vmlinux");
			json_string_field(json, "vmlinux", o->vmlinux);
			json_bool_field(json, "cached", cached);
		} else if (o->symbols) {
			json_string_field(json, "source", "files");
			json_string_field(json, "btf", o->btf);
			json_string_field(json, "symbols", o->symbols);
			json_bool_field(json, "cached", cached);
		} else {
			json_string_field(json, "source", "guest memory");
			json_hex_field(json, "vmcoreinfo_gpa", vi->gpa);
			json_bool_field(json, "vmcoreinfo_hinted", vi->hinted);
			json_string_field(json, "osrelease", vi->osrelease);
			json_string_field(json, "build_id", vi->build_id);
			/* Symbols and BTF: decoded now, or the cache's for the build. */
			json_bool_field(json, "cached", cached);
			if (ks) {
				json_uint_field(json, "kallsyms", ks->nr);
				json_string_field(json, "kallsyms_encoding", ks->encoding);
			}
		}
		json_end_object(json);
		json_name(json, "regions");
		json_start_array(json);
		for (i = 0; i < nr; i++) {
			json_start_object(json);
			json_hex_field(json, "gpa", regions[i].gpa);
			json_hex_field(json, "size", regions[i].size);
			json_bool_field(json, "readonly",
					regions[i].flags & BPFPOKE_MEM_REGION_READONLY);
			json_end_object(json);
		}
		json_end_array(json);
		json_end_object(json);
		return 0;
	}
	printf("%s\n", ki.banner);
	printf("_text 0x%llx  gpa 0x%llx  kaslr_offset 0x%llx\n",
	       (unsigned long long)ki.text_kva, (unsigned long long)ki.text_gpa,
	       (unsigned long long)ki.kaslr_offset);
	printf("paging %u-level  init_top_pgt gpa 0x%llx\n", ki.levels,
	       (unsigned long long)ki.top_pgt_gpa);
	if (o->vmlinux)
		printf("description: vmlinux %s%s\n", o->vmlinux,
		       cached ? " (derived: from the description cache)" : "");
	else if (o->symbols)
		printf("description: btf %s, symbols %s%s\n", o->btf, o->symbols,
		       cached ? " (derived: from the description cache)" : "");
	else if (ks)
		printf("description: guest memory: VMCOREINFO at gpa 0x%llx%s (%s, build %s), kallsyms %u symbols (%s), BTF __start_BTF..__stop_BTF\n",
		       (unsigned long long)vi->gpa, vi->hinted ? " (cache hint)" : "",
		       vi->osrelease, vi->build_id[0] ? vi->build_id : "-",
		       ks->nr, ks->encoding);
	else
		printf("description: guest memory: VMCOREINFO at gpa 0x%llx%s (%s, build %s); symbols and BTF from the cache of that build\n",
		       (unsigned long long)vi->gpa, vi->hinted ? " (cache hint)" : "",
		       vi->osrelease, vi->build_id);
	printf("page_offset_base 0x%llx  vmalloc_base 0x%llx  vmemmap_base 0x%llx  phys_base 0x%llx\n",
	       (unsigned long long)ki.page_offset_base,
	       (unsigned long long)ki.vmalloc_base,
	       (unsigned long long)ki.vmemmap_base,
	       (unsigned long long)ki.phys_base);
	for (i = 0; i < nr; i++)
		printf("ram 0x%llx-0x%llx%s\n",
		       (unsigned long long)regions[i].gpa,
		       (unsigned long long)(regions[i].gpa + regions[i].size - 1),
		       regions[i].flags & BPFPOKE_MEM_REGION_READONLY ? " ro" : "");
	return 0;
}

/* The guest kernel's VMCOREINFO: needs no kernel description. */
static int do_vmcoreinfo(int argc, char **argv)
{
	const struct bpfpoke_vmcoreinfo *vi;
	struct bpfpoke_session *s;
	int code = EXIT_FAIL;

	(void)argv;
	if (argc)
		return p_err(EXIT_USAGE, "kernel vmcoreinfo takes no arguments");
	s = get_guest(&code);
	if (!s)
		return code;
	lib_msg_clear();
	if (bpfpoke_session_vmcoreinfo(s, &vi))
		return p_err(errno == ENOENT ? EXIT_GUEST_KERNEL : EXIT_FAIL,
			     "%s", lib_msg(strerror(errno)));
	if (json_output) {
		json_start_object(json);
		json_hex_field(json, "gpa", vi->gpa);
		json_uint_field(json, "candidates", vi->candidates);
		json_string_field(json, "osrelease", vi->osrelease);
		json_string_field(json, "build_id", vi->build_id);
		json_hex_field(json, "kaslr_offset", vi->kaslr_offset);
		json_hex_field(json, "phys_base", vi->phys_base);
		json_uint_field(json, "levels", vi->levels);
		json_bool_field(json, "kallsyms", vi->has_kallsyms);
		json_string_field(json, "text", vi->text);
		json_end_object(json);
		return 0;
	}
	printf("# VMCOREINFO at gpa 0x%llx (%u page%s looked like one)\n",
	       (unsigned long long)vi->gpa, vi->candidates,
	       vi->candidates == 1 ? "" : "s");
	fputs(vi->text, stdout);
	if (vi->text[0] && vi->text[strlen(vi->text) - 1] != '\n')
		putchar('\n');
	return 0;
}

/* The guest kernel's kallsyms, decoded from its memory, /proc/kallsyms style. */
static int do_kallsyms(int argc, char **argv)
{
	const struct bpfpoke_kallsyms *ks;
	struct bpfpoke_session *s;
	int code = EXIT_FAIL;
	__u32 i;

	(void)argv;
	if (argc)
		return p_err(EXIT_USAGE, "kernel kallsyms takes no arguments");
	s = get_guest(&code);
	if (!s)
		return code;
	lib_msg_clear();
	if (bpfpoke_session_kallsyms(s, &ks))
		return p_err(errno == ENOENT ? EXIT_GUEST_KERNEL : EXIT_FAIL,
			     "%s", lib_msg(strerror(errno)));
	if (json_output) {
		json_start_object(json);
		json_string_field(json, "encoding", ks->encoding);
		json_name(json, "symbols");
		json_start_array(json);
		for (i = 0; i < ks->nr; i++) {
			char type[2] = { ks->syms[i].type, 0 };

			json_start_object(json);
			json_hex_field(json, "addr", ks->syms[i].addr);
			json_string_field(json, "type", type);
			json_string_field(json, "name", ks->strtab + ks->syms[i].name_off);
			json_end_object(json);
		}
		json_end_array(json);
		json_end_object(json);
		return 0;
	}
	for (i = 0; i < ks->nr; i++)
		printf("%016llx %c %s\n", (unsigned long long)ks->syms[i].addr,
		       ks->syms[i].type, ks->strtab + ks->syms[i].name_off);
	return 0;
}

static int do_help(int argc, char **argv)
{
	FILE *f = help_start();

	(void)argc;
	(void)argv;
	fprintf(f,
		"Usage: %1$s [GUEST KERNEL] kernel { show }\n"
		"       %1$s GUEST kernel { vmcoreinfo | kallsyms }\n"
		"       %1$s kernel help\n"
		"\n"
		"show: the guest kernel as found in guest memory: banner, _text, KASLR\n"
		"      offset, paging levels, randomized bases, RAM regions.\n"
		"vmcoreinfo: the guest kernel's VMCOREINFO (OSRELEASE, BUILD-ID, KERNELOFFSET,\n"
		"      symbols...), found in guest memory alone: no KERNEL description needed.\n"
		"      Kernels built with CRASH_DUMP or PROC_KCORE have one.\n"
		"kallsyms: the guest kernel's own symbols, decoded from its memory with the\n"
		"      tables VMCOREINFO names (6.0+), as /proc/kallsyms lists them.\n",
		bin_name);
	return help_end(f);
}

static const struct cmd kernel_cmds[] = {
	{ "show", do_show },
	{ "vmcoreinfo", do_vmcoreinfo },
	{ "kallsyms", do_kallsyms },
	{ "help", do_help },
	{ 0 }
};

int do_kernel(int argc, char **argv)
{
	return cmd_select(kernel_cmds, argc, argv, do_help);
}
