#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scx-build.sh KVER OUT
#
# Builds scx_qmap, unmodified, from tools/sched_ext of KVER's own
# linux-source package, inside the Debian 13 root that holds KVER (its
# clang 19 and libbpf build needs), against KVER's vmlinux BTF taken from
# its image (scripts/extract-vmlinux), and links it statically so that it
# runs in a busybox guest: OUT.  make's own dependency tracking makes the
# second build a no-op.  Exits 4 (nothing built) when KVER lacks
# CONFIG_SCHED_CLASS_EXT.
set -eu

kver=${1:?usage: scx-build.sh KVER OUT} out=${2:?usage: scx-build.sh KVER OUT}
top=$(cd "$(dirname "$0")/../.." && pwd)
kroot=$("$top/scripts/kroot.sh" "$kver")

if ! grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$kroot/boot/config-$kver" 2>/dev/null; then
	echo "scx-build: $kver is built without CONFIG_SCHED_CLASS_EXT" >&2
	exit 4
fi
if [ -z "$kroot" ]; then
	echo "scx-build: $kver is not in the Debian 13 root; tools/sched_ext is built there" >&2
	exit 1
fi
series=$(echo "$kver" | cut -d. -f1,2)
tarball=$kroot/usr/src/linux-source-$series.tar.xz
src=/usr/src/linux-source-$series
if [ ! -r "$tarball" ]; then
	echo "scx-build: no $tarball: make deps KVER=$kver" >&2
	exit 1
fi
# Unpacked once per tarball, in the root.
if [ ! -f "$kroot$src/.bpfpoke-unpacked" ] ||
   [ "$kroot$src/.bpfpoke-unpacked" -ot "$tarball" ]; then
	rm -rf "$kroot$src"
	tar -xJf "$tarball" -C "$kroot/usr/src"
	touch "$kroot$src/.bpfpoke-unpacked"
fi
work=/var/tmp/bpfpoke-scx/$kver
mkdir -p "$kroot$work/out"
if [ ! -s "$kroot$work/vmlinux" ] || [ "$kroot$work/vmlinux" -ot "$kroot/boot/vmlinuz-$kver" ]; then
	"$top/scripts/trixie-root.sh" --run sh -c \
		"$src/scripts/extract-vmlinux /boot/vmlinuz-$kver > $work/vmlinux.new && mv $work/vmlinux.new $work/vmlinux"
fi
# The newest clang in the root (scripts/trixie-root.sh says why).
n=$(ls "$kroot"/usr/bin/clang-[0-9]* 2>/dev/null | sed 's/.*clang-//' | sort -n | tail -n 1)
if [ -z "$n" ]; then
	echo "scx-build: no clang-N in $kroot: make deps" >&2
	exit 1
fi
# Objects of another clang are built anew.
if [ "$(cat "$kroot$work/clang" 2>/dev/null)" != "clang-$n" ]; then
	rm -rf "$kroot$work/out/build/obj/sched_ext" "$kroot$work/out/build/bin" \
		"$kroot$work/out/build/include/"scx_*
	echo "clang-$n" > "$kroot$work/clang"
fi
log=$(mktemp)
if ! "$top/scripts/trixie-root.sh" --run sh -c "
	set -e
	make -C $src/tools/sched_ext -j\$(nproc) O=$work/out VMLINUX_BTF=$work/vmlinux \
		CLANG=clang-$n LLVM_STRIP=llvm-strip-$n scx_qmap
	cd $work/out/build
	gcc -static -o bin/scx_qmap.static obj/sched_ext/scx_qmap.o obj/libbpf/libbpf.a \
		-lelf -lz -lzstd -lpthread" > "$log" 2>&1; then
	tail -n 30 "$log" >&2
	rm -f "$log"
	echo "scx-build: building scx_qmap for $kver failed" >&2
	exit 1
fi
rm -f "$log"
mkdir -p "$(dirname "$out")"
cp "$kroot$work/out/build/bin/scx_qmap.static" "$out"
