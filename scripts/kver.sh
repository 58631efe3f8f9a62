#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel version the build and the harness use: $KVER if set,
# else the newest installed Debian 12 kernel (the 6.1 series of
# linux-image-amd64) that has its image, its modules (with kvm-amd) and its
# headers, else the newest other one that has them.  Other kernels, such as
# 6.12 from bookworm-backports, are used when asked for with KVER=.  The
# running kernel does not matter: the harness boots the chosen kernel
# under QEMU.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
troot=$("$here/trixie-root.sh" --print-root)

usable_in() {
	[ -r "$1/boot/vmlinuz-$2" ] &&
	[ -d "$1/lib/modules/$2/build/include" ] &&
	[ -n "$(find "$1/lib/modules/$2/kernel/arch/x86/kvm" -name 'kvm-amd.ko*' 2>/dev/null)" ]
}
# Installed here, or in the Debian 13 root for kernels that need it.
usable() {
	usable_in "" "$1" || usable_in "$troot" "$1"
}

# --series S: the newest usable kernel of series S (e.g. 7.3), here or in
# the Debian 13 root; never a debug kernel of make check-debug
# (scripts/debug-kernel.sh links 7.x ones into the root's /boot).
if [ "${1:-}" = --series ]; then
	series=${2:?--series needs a series such as 7.3}
	best=$(for img in /boot/vmlinuz-"$series".* "$troot"/boot/vmlinuz-"$series".*; do
		[ -e "$img" ] || continue
		v=${img##*/vmlinuz-}
		case "$v" in *-bpfpoke-debug) continue ;; esac
		usable "$v" && echo "$v"
	done | sort -V | tail -n 1)
	if [ -z "$best" ]; then
		echo "kver: no usable $series kernel: run 'make deps' (it installs the newest $series into $troot)" >&2
		exit 1
	fi
	echo "$best"
	exit 0
fi

if [ -n "${KVER:-}" ]; then
	if ! usable "$KVER"; then
		case "$KVER" in
		*+deb13-*) hint="make deps KVER=$KVER (installs it into $troot)" ;;
		*) hint="apt-get install linux-image-$KVER linux-headers-$KVER" ;;
		esac
		echo "kver: kernel $KVER is not fully installed (need its image, modules with kvm-amd and headers): $hint" >&2
		exit 1
	fi
	echo "$KVER"
	exit 0
fi

: "${BPFPOKE_KERNEL_SERIES:=6.1.}"
all=
for img in /boot/vmlinuz-*; do
	[ -e "$img" ] || continue
	v=${img#/boot/vmlinuz-}
	case "$v" in *-bpfpoke-debug) continue ;; esac
	usable "$v" && all="$all $v"
done
best=$(printf '%s\n' $all | awk -v p="$BPFPOKE_KERNEL_SERIES" 'index($0, p) == 1' | sort -V | tail -n 1)
[ -n "$best" ] || best=$(printf '%s\n' $all | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "kver: no usable kernel (image + modules + headers) installed: run 'make deps' or apt-get install linux-image-amd64 linux-headers-amd64" >&2
	exit 1
fi
echo "$best"
