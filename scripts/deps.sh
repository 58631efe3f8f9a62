#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package that building, testing, the demo and the
# benchmarks use.  Idempotent and silent when everything is there; one
# apt-get update and one apt-get install otherwise.  Needs root (or sudo)
# only when something is missing.
set -eu

# One package per line: what it is used for.
PKGS="
make			build
gcc			build
libc6-dev		build
perl			checkpatch.pl
linux-image-amd64	the kernel booted as L1 and L2 (kvm.ko, kvm-amd.ko)
linux-headers-amd64	building bpfpoke.ko
linux-source-6.1	kselftest headers and checkpatch.pl, used in place
sparse			make lint
qemu-system-x86		the VMM: L1 under TCG, L2 under KVM inside L1
busybox-static		the L1 and L2 initramfs userland
cpio			packing initramfs images
gzip			packing initramfs images
xz-utils		unpacking linux-source
kmod			modinfo for module dependencies
libbpf-dev		libbpfpoke: BTF parsing
libjson-c-dev		libbpfpoke: QMP replies (agent/lib/qmp.c)
libelf-dev		libbpfpoke: vmlinux ELF symbols
zlib1g-dev		libelf and libbpf static links
clang			BPF objects for tests and the demo; libFuzzer targets
libclang-rt-14-dev	libFuzzer and sanitizer runtimes for clang
llvm			llvm-strip for BPF skeletons
bpftool			skeletons; checks inside the guest
dkms			make dkms-install; selftests/host/dkms_test.sh
pkg-config		libbpfpoke.pc; selftests/host/install_test.sh
jq			the -j output checks (selftests/guest/run_mapping_test.sh)
groff-base		man page checks (selftests/host/docs_test.sh)
man-db			man page checks: lexgrog, man -w
python3-docutils	the reStructuredText check of docs/userspace-api/
udev			udevadm test of udev/60-bpfpoke.rules
systemd			systemd-sysusers for the group of /dev/bpfpoke
debootstrap		the Debian 13 root for 7.x kernels (scripts/trixie-root.sh)
bison			make check-debug: building the debug kernel
flex			make check-debug: building the debug kernel
bc			make check-debug: building the debug kernel
libssl-dev		make check-debug: building the debug kernel
"

want=$(printf '%s\n' "$PKGS" | awk 'NF { print $1 }')

missing=
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp)
	if ! { $SUDO apt-get update -q && \
	       $SUDO apt-get install -y -q --no-install-recommends $missing; } \
	     >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "deps: apt-get failed; install by hand: apt-get install$missing" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
fi

# The newest Debian kernel (LATEST_SERIES, 7.3) and any +deb13 KVER asked
# for live in a cached Debian 13 root: their headers need its toolchain.
here=$(dirname "$0")
latest=$("$here/trixie-root.sh" --print-kver "${LATEST_SERIES:-7.3}")
"$here/trixie-root.sh" --install-kernel "$latest"
case "${KVER:-}" in
*+deb13-*) "$here/trixie-root.sh" --install-kernel "$KVER" ;;
esac

# The kernel the harness boots must have its image, modules and headers.
kver=$("$here/kver.sh") || exit 1
exit 0
