// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Guest memory access common to the backends: region lookup, splitting a
 * range at region ends, argument checks.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mem.h"

static int region_cmp(const void *a, const void *b)
{
	const struct bpfpoke_mem_region *ra = a, *rb = b;

	return ra->gpa < rb->gpa ? -1 : ra->gpa > rb->gpa;
}

int bpfpoke_mem_regions_finish(struct mem *m)
{
	unsigned int i;

	qsort(m->regions, m->nr_regions, sizeof(m->regions[0]), region_cmp);
	for (i = 0; i < m->nr_regions; i++) {
		const struct bpfpoke_mem_region *r = &m->regions[i];

		if (!r->size || r->gpa + r->size < r->gpa) {
			pr_warn("%s: bad RAM region 0x%llx+0x%llx\n", m->desc,
				(unsigned long long)r->gpa,
				(unsigned long long)r->size);
			return -EINVAL;
		}
		if (i && m->regions[i - 1].gpa + m->regions[i - 1].size > r->gpa) {
			pr_warn("%s: RAM regions overlap at 0x%llx\n", m->desc,
				(unsigned long long)r->gpa);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct bpfpoke_mem_region *mem_find(const struct mem *m, __u64 gpa)
{
	unsigned int lo = 0, hi = m->nr_regions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bpfpoke_mem_region *r = &m->regions[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static int mem_access(struct mem *m, __u64 gpa, void *buf, size_t len,
		      bool write)
{
	if (!len || len > MEM_MAX_LEN)
		return -EINVAL;
	if (gpa + len < gpa)
		return -EFAULT;
	if (write && !m->writable)
		return -EROFS;

	while (len) {
		const struct bpfpoke_mem_region *r = mem_find(m, gpa);
		size_t chunk;
		int err;

		if (!r)
			return -EFAULT;
		chunk = r->size - (gpa - r->gpa) < len ?
			r->size - (gpa - r->gpa) : len;
		if (write) {
			if (r->flags & BPFPOKE_MEM_REGION_READONLY)
				return -EROFS;
			err = m->ops->write(m, r, gpa, buf, chunk);
		} else {
			err = m->ops->read(m, r, gpa, buf, chunk);
		}
		if (err)
			return err;
		gpa += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

int bpfpoke_mem_read(struct mem *m, __u64 gpa, void *buf, size_t len)
{
	return mem_access(m, gpa, buf, len, false);
}

int bpfpoke_mem_write(struct mem *m, __u64 gpa, const void *buf, size_t len)
{
	return mem_access(m, gpa, (void *)buf, len, true);
}

int bpfpoke_mem_read_batch(struct mem *m, struct mem_rop *ops, unsigned int nr)
{
	unsigned int i;

	if (!nr || nr > MEM_MAX_BATCH || !ops)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		const struct bpfpoke_mem_region *r = mem_find(m, ops[i].gpa);

		if (!ops[i].len || ops[i].len > MEM_MAX_LEN)
			ops[i].err = -EINVAL;
		else if (!r || r->size - (ops[i].gpa - r->gpa) < ops[i].len)
			ops[i].err = -EFAULT;
		else
			ops[i].err = 0;
	}
	if (m->ops->read_batch)
		return m->ops->read_batch(m, ops, nr);
	for (i = 0; i < nr; i++)
		if (!ops[i].err)
			ops[i].err = bpfpoke_mem_read(m, ops[i].gpa, ops[i].buf,
						      ops[i].len);
	return 0;
}

/* Whether [@gpa, @gpa + @len) is RAM, writable, regions touching. */
static int mem_check_write(const struct mem *m, __u64 gpa, size_t len)
{
	if (!len || len > MEM_MAX_LEN)
		return -EINVAL;
	if (gpa + len < gpa)
		return -EFAULT;
	while (len) {
		const struct bpfpoke_mem_region *r = mem_find(m, gpa);
		__u64 left;

		if (!r)
			return -EFAULT;
		if (r->flags & BPFPOKE_MEM_REGION_READONLY)
			return -EROFS;
		left = r->size - (gpa - r->gpa);
		if (left >= len)
			break;
		gpa += left;
		len -= left;
	}
	return 0;
}

int bpfpoke_mem_write_batch(struct mem *m, const struct mem_wop *ops, unsigned int nr)
{
	unsigned int i;
	int err;

	if (!nr || nr > MEM_MAX_BATCH || !ops)
		return -EINVAL;
	if (!m->writable)
		return -EROFS;
	for (i = 0; i < nr; i++) {
		err = mem_check_write(m, ops[i].gpa, ops[i].len);
		if (err) {
			pr_warn("%s: write %u of the batch (0x%llx, %zu bytes): %s\n",
				m->desc, i, (unsigned long long)ops[i].gpa,
				ops[i].len, strerror(-err));
			return err;
		}
	}
	if (m->ops->write_batch)
		return m->ops->write_batch(m, ops, nr);
	for (i = 0; i < nr; i++) {
		err = bpfpoke_mem_write(m, ops[i].gpa, ops[i].buf, ops[i].len);
		if (err)
			return err;
	}
	return 0;
}

void bpfpoke_mem_close(struct mem *m)
{
	if (m)
		m->ops->close(m);
}
