#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kroot.sh KVER
#
# Print the root directory that holds kernel KVER: empty for a kernel
# installed on this machine itself (/boot, /lib/modules), else the cached
# Debian 13 root (scripts/trixie-root.sh) for the kernels whose headers
# need its newer toolchain, or a debug kernel's root
# (scripts/debug-kernel.sh, for make check-debug).  The harness reads the
# kernel's image and modules from there, and scripts/kbuild.sh builds
# against it there.
set -eu

kver=${1:?usage: kroot.sh KVER}
if [ -r "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver/build/include" ]; then
	exit 0
fi
trixie=$("$(dirname "$0")"/trixie-root.sh --print-root)
for root in "$trixie" "${BPFPOKE_CACHE:-/var/cache/bpfpoke}"/debug/*/root; do
	if [ -r "$root/boot/vmlinuz-$kver" ] && [ -d "$root/lib/modules/$kver/build/include" ]; then
		echo "$root"
		exit 0
	fi
done
echo "kroot: kernel $kver is installed neither here nor in $trixie nor in a debug kernel's root" >&2
exit 1
