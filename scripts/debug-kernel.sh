#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--print-kver] KVER
#
# Builds, once, a debug kernel from the linux-source package of Debian
# kernel KVER, with that kernel's own config plus lockdep, KASAN, KFENCE,
# kmemleak, debug objects, page-alloc debugging, list debugging and fault
# injection, and installs it into a root of its own that scripts/kroot.sh
# knows:
#
#   $BPFPOKE_CACHE/debug/SERIES/src       the built tree (modules build here)
#   $BPFPOKE_CACHE/debug/SERIES/root      boot/vmlinuz-KREL, lib/modules/KREL
#
# A KVER installed on this machine (Debian 12's 6.1) is built here; one in
# the Debian 13 root (7.x, whose sources need gcc-14) is built inside that
# root by this same script, under its own /var/cache/bpfpoke, and linked
# into the root's /boot and /lib/modules, so that the module builds there
# too (scripts/kbuild.sh).
#
# Modules are trimmed to what the L1 harness loads (kvm-amd's closure, read
# from modinfo) with the kernel's own localmodconfig; everything else Debian
# builds as a module is left out, which keeps a build on 2 cores within 40
# minutes (6.1: 20).  No debug info (symbols come from kallsyms) and no
# module signing.  The root is keyed by the linux-source package version,
# the base config, the option list and RECIPE below: a second run with the
# same key prints the kernel release at once.  A stopped build resumes in
# its tree; the finished one is renamed into place, so a killed build
# leaves nothing that looks done.  Prints the kernel release (KREL, e.g.
# 6.1.192-bpfpoke-debug) on success.
set -eu

print_only=0
args=("$@")
if [ "${1:-}" = --print-kver ]; then
	print_only=1
	shift
fi
kver=${1:?usage: debug-kernel.sh [--print-kver] KVER}
here=$(cd "$(dirname "$0")" && pwd)
cache=${BPFPOKE_CACHE:-/var/cache/bpfpoke}

# A kernel of the Debian 13 root: this script again, inside it.
if [ "${BPFPOKE_IN_ROOT:-}" != 1 ]; then
	kroot=$("$here/kroot.sh" "$kver") || exit 1
	if [ -n "$kroot" ]; then
		cp "$0" "$kroot/var/tmp/debug-kernel.sh"
		exec "$here/trixie-root.sh" --run /usr/bin/env BPFPOKE_IN_ROOT=1 \
			/bin/bash /var/tmp/debug-kernel.sh "${args[@]}"
	fi
fi
series=$(echo "$kver" | cut -d. -f1,2)
base=$cache/debug/$series
localversion=-bpfpoke-debug

# What the L1 harness loads as modules; the rest of the config stays as
# Debian has it, built in or not at all.
MODULES="kvm-amd"

# Bumped when the way the kernel is configured or built below changes:
# part of the cache key, with the source version, base config and options.
RECIPE=1

# The debug options: NAME=VALUE, checked after olddefconfig.  Besides the
# debug facilities: HMM_MIRROR, which bpfpoke.ko's page cache needs
# (hmm_range_fault()), is only selected by drivers, and localmodconfig
# trims Debian's (amdgpu, nouveau, ib_core); test_hmm, one file, keeps it.
# Not DEBUG_VM: its VM_BUG_ON_MM() calls dump_mm(), which 6.1 does not
# export, so no module that uses mmap_assert_locked() links.
OPTS="
DEBUG_KERNEL=y
PROVE_LOCKING=y
PROVE_RCU=y
DEBUG_ATOMIC_SLEEP=y
KASAN=y
KASAN_GENERIC=y
KASAN_INLINE=y
KFENCE=y
DEBUG_KMEMLEAK=y
DEBUG_KMEMLEAK_DEFAULT_OFF=n
DEBUG_KMEMLEAK_AUTO_SCAN=n
DEBUG_KMEMLEAK_MEM_POOL_SIZE=40000
DEBUG_OBJECTS=y
DEBUG_OBJECTS_FREE=y
DEBUG_OBJECTS_TIMERS=y
DEBUG_OBJECTS_WORK=y
DEBUG_OBJECTS_RCU_HEAD=y
DEBUG_OBJECTS_PERCPU_COUNTER=y
DEBUG_OBJECTS_ENABLE_DEFAULT=1
DEBUG_PAGEALLOC=y
DEBUG_PAGEALLOC_ENABLE_DEFAULT=y
DEBUG_LIST=y
DEVICE_PRIVATE=y
TEST_HMM=m
HMM_MIRROR=y
FAULT_INJECTION=y
FAILSLAB=y
FAIL_PAGE_ALLOC=y
FAULT_INJECTION_DEBUG_FS=y
DEBUG_FS=y
DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=n
DEBUG_INFO_NONE=y
DEBUG_INFO=n
DEBUG_INFO_BTF=n
MODULE_SIG_ALL=n
LOCALVERSION_AUTO=n
"

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

tar=/usr/src/linux-source-$series.tar.xz
config=/boot/config-$kver
[ -r "$tar" ] || die "$tar missing: apt-get install linux-source-$series (make deps)"
[ -r "$config" ] || die "$config missing: the debug kernel starts from KVER's own config"
srcver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
key=$( { echo "recipe $RECIPE $srcver $localversion"; sha256sum < "$config";
	 echo "$MODULES$OPTS"; } | sha256sum | cut -c1-16)

if [ -f "$base/key" ] && [ "$(cat "$base/key")" = "$key" ]; then
	cat "$base/krel"
	exit 0
fi
[ "$print_only" = 0 ] || die "no debug kernel for $kver built yet (make check-debug builds it)"

# build
[ "$(id -u)" = 0 ] || die "installing the debug kernel's root needs root"
for t in gcc make bison flex bc perl depmod; do
	command -v "$t" > /dev/null || die "$t missing: run 'make deps'"
done
mkdir -p "$cache/debug"
new=$base.new

mk() {
	make -s -C "$new/src" "$@"
}

# The tree unpacked and configured.
configure() {
	rm -rf "$new"
	mkdir -p "$new/src" "$new/root/boot"
	echo "debug-kernel: unpacking linux-source-$series ($srcver)" >&2
	tar -xJf "$tar" -C "$new/src" --strip-components=1
	cp "$config" "$new/src/.config"
	# Modules the harness loads, as lsmod would list them.
	lsmod=$new/lsmod
	echo "Module Size Used by" > "$lsmod"
	order=
	add() {
		local m=$1 d
		case " $order " in *" $m "*) return ;; esac
		for d in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do
			add "$d"
		done
		order="$order $m"
	}
	for m in $MODULES; do
		add "$m"
	done
	for m in $order; do
		echo "${m//-/_} 16384 0" >> "$lsmod"
	done
	yes '' | mk LSMOD="$lsmod" localmodconfig > "$new/localmodconfig.log" 2>&1 ||
		die "localmodconfig failed: $(tail -n 5 "$new/localmodconfig.log")"

	args=
	for o in $OPTS; do
		n=${o%%=*} v=${o#*=}
		case "$v" in
		y) args="$args --enable $n" ;;
		n) args="$args --disable $n" ;;
		*) args="$args --set-val $n $v" ;;
		esac
	done
	# shellcheck disable=SC2086
	"$new/src/scripts/config" --file "$new/src/.config" $args \
		--set-str LOCALVERSION "$localversion" \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--set-str MODULE_SIG_KEY ""
	mk olddefconfig
	# Every option must have come through (a dependency Kconfig refused would
	# silently turn one off).
	for o in $OPTS; do
		n=${o%%=*} v=${o#*=}
		have=$(sed -n "s/^CONFIG_$n=//p" "$new/src/.config")
		if [ "$v" = n ]; then
			[ -z "$have" ] || die "CONFIG_$n is still $have"
		else
			[ "$have" = "$v" ] || die "CONFIG_$n=$v did not stick (have '${have:-unset}')"
		fi
	done

	echo "$key" > "$new/key.pending"
}

t0=$(date +%s)
# A build that was stopped goes on where it stopped: same key, same tree.
if [ -f "$new/src/.config" ] && [ "$(cat "$new/key.pending" 2>/dev/null)" = "$key" ]; then
	echo "debug-kernel: resuming the build in $new" >&2
else
	configure
fi

echo "debug-kernel: building on $(nproc) CPUs (about 40 minutes on 2)" >&2
if ! make -C "$new/src" -j"$(nproc)" bzImage modules > "$new/build.log" 2>&1; then
	grep -E 'error|Error' "$new/build.log" | head -n 20 >&2
	die "build failed; log in $new/build.log"
fi
# Only known once the build has written include/config/auto.conf.
krel=$(mk kernelrelease)
case "$krel" in
*"$localversion") ;;
*) die "kernel release '$krel' lacks $localversion" ;;
esac
make -s -C "$new/src" INSTALL_MOD_PATH="$new/root" INSTALL_MOD_STRIP=1 \
	modules_install > /dev/null
cp "$new/src/arch/x86/boot/bzImage" "$new/root/boot/vmlinuz-$krel"
cp "$new/src/.config" "$new/root/boot/config-$krel"
cp "$new/src/System.map" "$new/root/boot/System.map-$krel"
# The module build and the root point at the tree at its final place,
# relative, so that the links hold from outside the Debian 13 root too.
ln -sfn ../../../../src "$new/root/lib/modules/$krel/build"
rm -f "$new/root/lib/modules/$krel/source"
echo "$krel" > "$new/krel"
rm -f "$new/key.pending"
rm -rf "$base"
mv "$new" "$base"
# Relative links (ln -r: /lib is usr/lib in the Debian 13 root), so that
# they resolve from outside the root too.
if [ "${BPFPOKE_IN_ROOT:-}" = 1 ]; then
	ln -sfnr "$base/root/boot/vmlinuz-$krel" "/boot/vmlinuz-$krel"
	ln -sfnr "$base/root/boot/config-$krel" "/boot/config-$krel"
	ln -sfnr "$base/root/lib/modules/$krel" "/lib/modules/$krel"
fi
echo "$key" > "$base/key"
echo "debug-kernel: $krel built and installed ($(( $(date +%s) - t0 ))s this run)" >&2
echo "$krel"
