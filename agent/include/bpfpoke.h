/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfpoke: write into the BPF maps of a running KVM guest from the host.
 *
 * Conventions, as in libbpf: a function that can fail returns a negative
 * errno and sets errno to the same (positive) value; one that returns a
 * pointer returns NULL and sets errno.  The library never prints and never
 * exits; its messages go to the callback set with bpfpoke_set_print().
 */
#ifndef __BPFPOKE_H
#define __BPFPOKE_H

/*
 * One header per object, as libbpf has them; this one includes them all.
 *
 *	bpfpoke/common.h	logging, the options-struct convention
 *	bpfpoke/descriptor.h	struct bpfpoke_map_write and its rules
 *	bpfpoke/field.h		BTF fields, values, layouts
 *	bpfpoke/session.h	guest sessions and guest memory
 *	bpfpoke/maps.h		the guest's BPF maps
 *	bpfpoke/write.h		prepared and committed batches
 *	bpfpoke/signaller.h	the signal to the guest
 *	bpfpoke/freeze.h	stopping the VMM around a write
 */
#include "bpfpoke/common.h"
#include "bpfpoke/descriptor.h"
#include "bpfpoke/field.h"
#include "bpfpoke/session.h"
#include "bpfpoke/maps.h"
#include "bpfpoke/elem.h"
#include "bpfpoke/write.h"
#include "bpfpoke/signaller.h"
#include "bpfpoke/freeze.h"

#endif /* __BPFPOKE_H */
