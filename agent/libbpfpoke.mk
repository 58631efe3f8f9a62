# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What a program linked with libbpfpoke.a links with too: the libraries
# of libbpfpoke.pc's Requires.private.  Included by every Makefile that
# links the static library.
LIBBPFPOKE_LDLIBS := -lbpf -lelf -lz -ljson-c
