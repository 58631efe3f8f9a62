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

usable() {
	[ -r "/boot/vmlinuz-$1" ] &&
	[ -d "/lib/modules/$1/build/include" ] &&
	[ -n "$(find "/lib/modules/$1/kernel/arch/x86/kvm" -name 'kvm-amd.ko*' 2>/dev/null)" ]
}

if [ -n "${KVER:-}" ]; then
	if ! usable "$KVER"; then
		echo "kver: kernel $KVER is not fully installed (need /boot/vmlinuz-$KVER, its modules and /lib/modules/$KVER/build): apt-get install linux-image-$KVER linux-headers-$KVER" >&2
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
	usable "$v" && all="$all $v"
done
best=$(printf '%s\n' $all | awk -v p="$BPFPOKE_KERNEL_SERIES" 'index($0, p) == 1' | sort -V | tail -n 1)
[ -n "$best" ] || best=$(printf '%s\n' $all | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "kver: no usable kernel (image + modules + headers) installed: run 'make deps' or apt-get install linux-image-amd64 linux-headers-amd64" >&2
	exit 1
fi
echo "$best"
