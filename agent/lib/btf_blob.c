// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A BTF blob from guest memory (the guest kernel's vmlinux BTF): its
 * header is checked here, every section inside the blob, before libbpf
 * parses it.
 */
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "kmodel.h"

/* BTF's header (include/uapi/linux/btf.h), checked before libbpf sees it. */
struct btf_hdr_raw {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len;
	__u32 type_off;
	__u32 type_len;
	__u32 str_off;
	__u32 str_len;
};

#define BTF_MAGIC_RAW		0xeb9f

int bpfpoke_btf_blob_parse(const void *raw, size_t size, struct btf **out)
{
	struct btf_hdr_raw h;
	struct btf *btf;
	int err;

	if (size < sizeof(h)) {
		pr_warn("the guest's BTF is %zu bytes: too short for a header\n", size);
		return -EINVAL;
	}
	memcpy(&h, raw, sizeof(h));
	if (h.magic != BTF_MAGIC_RAW || h.version != 1 || h.hdr_len < sizeof(h) ||
	    h.hdr_len > size || h.type_off > size - h.hdr_len ||
	    h.type_len > size - h.hdr_len - h.type_off ||
	    h.str_off > size - h.hdr_len ||
	    h.str_len > size - h.hdr_len - h.str_off) {
		pr_warn("the guest's BTF has a bad header (magic 0x%x, version %u)\n",
			h.magic, h.version);
		return -EINVAL;
	}
	/* Types are u32-aligned records: the kernel's btf_parse_hdr() too. */
	if ((h.hdr_len | h.type_off) & 3) {
		pr_warn("the guest's BTF has a misaligned type section (hdr_len %u, type_off %u)\n",
			h.hdr_len, h.type_off);
		return -EINVAL;
	}
	btf = btf__new(raw, size);
	err = libbpf_get_error(btf);
	if (err) {
		pr_warn("the guest's BTF does not parse: %s\n", strerror(-err));
		return err;
	}
	*out = btf;
	return 0;
}
