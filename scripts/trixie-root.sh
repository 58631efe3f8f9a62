#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trixie-root.sh [--print-root | --print-kver SERIES | --install-kernel KVER]
#
# Makes and caches a Debian 13 (trixie, with trixie-backports) root for the
# kernels whose headers this Debian 12 host cannot build against: Debian's
# 7.x headers need gcc-14, and their linux-kbuild tools glibc 2.38.  The
# root holds those kernels (image, modules, headers, linux-source) and the
# toolchain that builds bpfpoke.ko and tools/sched_ext for them; the harness
# boots the kernel from the root it built against.
#
# The root lives in $BPFPOKE_CACHE/trixie (default /var/cache/bpfpoke) and
# is reused while its stamp matches this script's package list.  It is made
# in a temporary directory and renamed into place, so a run killed halfway
# leaves no half-made root behind.  Needs root.
#
#   (no argument)        make the root if it is missing or stale
#   --print-root         print the root's path
#   --print-kver SERIES  print the newest trixie(-backports) kernel of SERIES
#                        (e.g. 7.3), from the root's package lists
#   --install-kernel V   install linux-image-V, linux-headers-V and the
#                        matching linux-source into the root
#   --run CMD...         run CMD in the root, with /proc mounted there (in
#                        a mount namespace of its own where the system
#                        allows one, so nothing stays mounted)
set -eu

cache=${BPFPOKE_CACHE:-/var/cache/bpfpoke}
root=$cache/trixie
mirror=${BPFPOKE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The root's stamp is a hash of this list: when the list changes, what is
# missing is installed into the existing root.
PKGS="
make		building bpfpoke.ko
gcc		(gcc-14) the compiler Debian's 7.x headers are built with
libc6-dev	building bpfpoke.ko and tools/sched_ext
perl		checkpatch.pl
sparse		make lint on 7.x
kmod		modinfo -b: module dependencies of the root's kernels
xz-utils	unpacking linux-source; .ko.xz modules
zstd		kernel images and modules compressed with zstd
clang		BPF objects (tools' feature probes call plain clang)
llvm		llvm-strip
libelf-dev	tools/sched_ext: libbpf and bpftool, linked statically
zlib1g-dev	tools/sched_ext, static
libzstd-dev	tools/sched_ext, static
pkg-config	tools/sched_ext
python3		tools/sched_ext (bpftool's build)
libssl-dev	tools/sched_ext (bpftool's program signing)
libcap-dev	tools/sched_ext (bpftool's feature probes)
file		scripts/extract-vmlinux
bison		make check-debug: the debug kernel (scripts/debug-kernel.sh)
flex		make check-debug: the debug kernel
bc		make check-debug: the debug kernel
ca-certificates	apt over https mirrors
qemu-system-x86	the emulator L1 runs in (scripts/qemu-l1.sh)
"
# Plus the newest clang-N and llvm-N of trixie (newest_llvm): tools/sched_ext
# of 7.x keeps its schedulers' state in BPF arenas, and clang 19 (trixie's
# default) emits arena code that 7.3's verifier rejects (scx_qmap's
# qmap_dequeue: "R7 invalid mem access 'scalar'").
stamp_want="trixie-root $(printf '%s\n' "$PKGS" llvm-newest | awk 'NF { print $1 }' | md5sum | cut -c1-16)"
pkg_list() { printf '%s\n' "$PKGS" | awk 'NF { print $1 }'; }

log() { echo "trixie-root: $*" >&2; }

in_root() {
	chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "${@:2}"
}

# apt inside the root, quiet unless it fails.
root_apt() {
	local r=$1 out
	shift
	out=$(mktemp)
	if ! in_root "$r" apt-get -q -o Dpkg::Use-Pty=0 "$@" >"$out" 2>&1; then
		tail -n 25 "$out" >&2
		rm -f "$out"
		log "apt-get $* failed in $r"
		return 1
	fi
	rm -f "$out"
}

make_root() {
	local tmp pkgs
	if [ "$(id -u)" != 0 ]; then
		log "making the Debian 13 root needs root (debootstrap, chroot)"
		exit 1
	fi
	if ! command -v debootstrap >/dev/null; then
		log "debootstrap is not installed: run 'make deps'"
		exit 1
	fi
	mkdir -p "$cache"
	rm -rf "$root.new"
	tmp=$root.new
	log "making a Debian 13 root in $root (once; a few minutes)"
	pkgs=$(pkg_list | paste -sd,)
	if ! debootstrap --variant=minbase --include="$pkgs" trixie "$tmp" \
			"$mirror" >"$cache/debootstrap.log" 2>&1; then
		tail -n 25 "$cache/debootstrap.log" >&2
		log "debootstrap of trixie failed (log: $cache/debootstrap.log)"
		exit 1
	fi
	cat > "$tmp/etc/apt/sources.list" <<EOF
deb $mirror trixie main
deb $mirror trixie-updates main
deb $mirror trixie-backports main
EOF
	# No daemons start in the root; dpkg's hooks stay quiet.
	printf '#!/bin/sh\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"
	chmod +x "$tmp/usr/sbin/policy-rc.d"
	# Kernel packages run initramfs hooks; the harness packs its own.
	mkdir -p "$tmp/etc/initramfs-tools"
	echo "update_initramfs=no" > "$tmp/etc/initramfs-tools/update-initramfs.conf"
	root_apt "$tmp" update
	install_llvm "$tmp"
	echo "$stamp_want" > "$tmp/.bpfpoke-stamp"
	rm -f "$tmp/var/cache/apt/archives/"*.deb
	rm -rf "$root"
	mv "$tmp" "$root"
}

ensure_root() {
	if [ -f "$root/.bpfpoke-stamp" ] &&
	   [ "$(cat "$root/.bpfpoke-stamp")" = "$stamp_want" ]; then
		return 0
	fi
	if [ ! -f "$root/.bpfpoke-stamp" ]; then
		make_root
		return 0
	fi
	log "installing the packages added to the Debian 13 root's list"
	root_apt "$root" update
	root_apt "$root" install -y --no-install-recommends $(pkg_list)
	install_llvm "$root"
	rm -f "$root/var/cache/apt/archives/"*.deb
	echo "$stamp_want" > "$root/.bpfpoke-stamp"
}

# The newest clang-N/llvm-N the root's suites offer.
install_llvm() {
	local n
	n=$(in_root "$1" apt-cache search --names-only '^clang-[0-9]+$' |
		sed -n 's/^clang-\([0-9]*\) .*/\1/p' | sort -n | tail -n 1)
	if [ -z "$n" ]; then
		log "no clang-N package in trixie"
		return 1
	fi
	root_apt "$1" install -y --no-install-recommends "clang-$n" "llvm-$n"
}

# Package lists older than a day are refreshed before picking a kernel.
refresh_lists() {
	local l=$root/var/lib/apt/lists
	if [ -z "$(find "$l" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null)" ]; then
		root_apt "$root" update
	fi
}

case "${1:-}" in
"")
	ensure_root
	;;
--print-root)
	echo "$root"
	;;
--print-kver)
	series=${2:?--print-kver needs a series such as 7.3}
	ensure_root
	# A kernel already installed in the root is used as it is (not a
	# debug kernel of make check-debug, scripts/debug-kernel.sh).
	v=$(cd "$root/boot" 2>/dev/null && ls -1 vmlinuz-"$series".* 2>/dev/null |
		sed 's/^vmlinuz-//' | grep -v -- '-bpfpoke-debug$' | sort -V | tail -n 1)
	if [ -z "$v" ]; then
		refresh_lists
		v=$(in_root "$root" apt-cache search --names-only \
			"^linux-image-${series//./\\.}\.[0-9]+\+deb13-amd64\$" |
			awk '{ sub(/^linux-image-/, "", $1); print $1 }' | sort -V | tail -n 1)
	fi
	if [ -z "$v" ]; then
		log "no linux-image-$series.*+deb13-amd64 in trixie or trixie-backports"
		exit 1
	fi
	echo "$v"
	;;
--install-kernel)
	kver=${2:?--install-kernel needs a kernel version}
	ensure_root
	if [ -r "$root/boot/vmlinuz-$kver" ] &&
	   [ -d "$root/lib/modules/$kver/build/include" ] &&
	   ls "$root"/usr/src/linux-source-*.tar.* >/dev/null 2>&1; then
		exit 0
	fi
	series=$(echo "$kver" | cut -d. -f1,2)
	log "installing kernel $kver (image, headers, linux-source-$series) in $root"
	refresh_lists
	root_apt "$root" install -y --no-install-recommends -t trixie-backports \
		"linux-image-$kver" "linux-headers-$kver" "linux-source-$series"
	rm -f "$root/var/cache/apt/archives/"*.deb
	;;
--run)
	shift
	[ -f "$root/.bpfpoke-stamp" ] || { log "no Debian 13 root yet: run 'make deps'"; exit 1; }
	# objtool and the tools' builds read /proc.
	env=(/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
	     LANG=C.UTF-8 TERM=dumb)
	if unshare --mount --propagation private true 2>/dev/null; then
		exec unshare --mount --propagation private /bin/sh -c \
			'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
			"$root" "${env[@]}" "$@"
	fi
	mounted=
	if ! mountpoint -q "$root/proc"; then
		mount -t proc proc "$root/proc"
		mounted=1
	fi
	rc=0
	chroot "$root" "${env[@]}" "$@" || rc=$?
	[ -z "$mounted" ] || umount "$root/proc"
	exit $rc
	;;
*)
	echo "usage: trixie-root.sh [--print-root | --print-kver SERIES | --install-kernel KVER | --run CMD...]" >&2
	exit 2
	;;
esac
