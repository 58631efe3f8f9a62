#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh KVER [-o OUT.ko] [MAKE ARGS...]
#
# Runs the kernel's build system on this tree (Kbuild, kmod/, uapi/) for
# kernel KVER: `make -C /lib/modules/KVER/build M=$PWD ARGS` here when the
# kernel is installed on this machine, else inside the Debian 13 root that
# holds it (scripts/kroot.sh), whose gcc-14 and glibc its headers need.
# There the module's sources are copied into the root (times kept, so make
# rebuilds what changed), built, and bpfpoke.ko copied back: to OUT.ko
# with -o, else to ./bpfpoke.ko.  Nothing is mounted outside the build's
# own mount namespace.
set -eu

kver=${1:?usage: kbuild.sh KVER [-o OUT.ko] [make args]}
shift
out=
if [ "${1:-}" = -o ]; then
	out=$2
	shift 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
kroot=$("$top/scripts/kroot.sh" "$kver")

if [ -z "$kroot" ] && [ -z "$out" ]; then
	exec make --no-print-directory -C "/lib/modules/$kver/build" M="$top" "$@"
fi
# Never over the in-place bpfpoke.ko of another kernel.
if [ -z "$out" ]; then
	echo "kbuild: $kver is built in $kroot: give the module's path with -o" >&2
	exit 2
fi

# A debug kernel's root (scripts/debug-kernel.sh) is built with this
# machine's own toolchain, from outside it.
chroot=$kroot
if [ -n "$kroot" ] && [ "$kroot" != "$("$top/scripts/trixie-root.sh" --print-root)" ]; then
	chroot=
fi
# One build directory per kernel, kept between builds.
src=/var/tmp/bpfpoke-kbuild/$kver
mkdir -p "$chroot$src"
(cd "$top" && tar -cf - Kbuild kmod uapi) | tar -C "$chroot$src" -xf -
rc=0
if [ -z "$chroot" ]; then
	make --no-print-directory -C "$kroot/lib/modules/$kver/build" M="$src" "$@" || rc=$?
else
	if [ "$(id -u)" != 0 ]; then
		echo "kbuild: building for $kver runs in $kroot: needs root" >&2
		exit 1
	fi
	"$top/scripts/trixie-root.sh" --run make --no-print-directory \
		-C "/lib/modules/$kver/build" M="$src" "$@" || rc=$?
fi
if [ "$rc" = 0 ] && [ -f "$chroot$src/bpfpoke.ko" ]; then
	mkdir -p "$(dirname "$out")"
	cp "$chroot$src/bpfpoke.ko" "$out"
fi
exit $rc
