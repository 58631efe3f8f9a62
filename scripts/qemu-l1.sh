#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-l1.sh [QEMU ARGS...]
#
# Debian 13's qemu-system-x86_64 (QEMU 10.0), run on this Debian 12 host
# out of the cached Debian 13 root (scripts/trixie-root.sh installs it
# there): through the root's own dynamic loader and libraries, with the
# root's firmware and QEMU modules.  Nothing is installed on the host and
# nothing is chrooted, so every host path (kernel, initramfs, sockets, log
# files) means what it means to the caller.
#
# Why: bookworm's QEMU 7.2 TCG, with a nested SVM guest running inside L1,
# livelocks now and then: the vCPU thread spins through cpu_exec() without
# running guest code (it looks like an interrupt kept pending by nested
# SVM's GIF/V_INTR masking), and neither L1 nor L2 moves again.  The 7.3
# debug kernel's end-to-end tests hit it every time; QEMU 10.0 runs them,
# and runs make check's L1 faster.  selftests/vm/run.sh runs L1 with it.
#
# --print-version prints the emulator's version line and exits.
set -eu

root=$("$(dirname "$0")/trixie-root.sh" --print-root)
bin=$root/usr/bin/qemu-system-x86_64
ld=$root/lib64/ld-linux-x86-64.so.2
if [ ! -x "$bin" ] || [ ! -e "$ld" ]; then
	echo "qemu-l1: no QEMU in the Debian 13 root $root: run 'make deps'" >&2
	exit 1
fi
libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
export QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu

if [ "${1:-}" = --print-version ]; then
	"$ld" --library-path "$libs" "$bin" --version | head -n 1
	exit
fi
# Firmware: Debian's QEMU looks in /usr/share/qemu, /usr/share/seabios and
# /usr/lib/ipxe/qemu, which here would be the host's older files.
exec "$ld" --library-path "$libs" --argv0 qemu-system-x86_64 "$bin" \
	-L "$root/usr/share/qemu" -L "$root/usr/share/seabios" \
	-L "$root/usr/lib/ipxe/qemu" "$@"
