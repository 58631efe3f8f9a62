#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh [--bin FILE]... [--file SRC:DST]... KVER MODULE.ko OUT.cpio.gz TEST...
#
# Packs the L1 initramfs: busybox-static, the kernel's kvm-amd with its
# dependency closure (read from modinfo, not hard-coded), bpfpoke.ko and the
# test programs with the shared libraries they link.  --bin adds a program
# to /bin with its libraries, --file any file at DST: what the end-to-end
# tests need to run QEMU (and a Debian L2 guest) inside L1.
set -eu

bins= files=
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bins="$bins $2"; shift 2 ;;
	--file) files="$files $2"; shift 2 ;;
	*) break ;;
	esac
done
kver=$1 bpfpoke_ko=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,modules,tests,proc,sys,dev,tmp,run,lib64}

cp /bin/busybox "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod +x "$root/init"

. "$here/../initramfs-lib.sh"

initramfs_add_module kvm-amd
cp "$bpfpoke_ko" "$root/modules/bpfpoke.ko"
printf '%s\n' $initramfs_order bpfpoke > "$root/modules/order"

for b in $bins; do
	initramfs_add_bin "$b"
done
for f in $files; do
	src=${f%%:*} dst=${f#*:}
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
done

: > "$root/tests/order"
for t in "$@"; do
	cp "$t" "$root/tests/"
	initramfs_copy_libs "$t"
	basename "$t" >> "$root/tests/order"
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
