#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# read_bench.sh: cold `bpfpoke read` against a real guest, and further
# resolves in one process (make bench; read_bench.c says what is measured).
#
# Boots Debian's kernel under QEMU TCG with its RAM in a shared file, KASLR
# on, as run_mapping_test.sh does (../guest/guest-lib.sh, mkguest.sh,
# mapping-guest.sh: the guest loads guest/demo's BPF object and hands over
# its /proc/kallsyms and vmlinux BTF on a virtio disk), then runs
# build/host-bench/read_bench on the host against the running guest.
# Prints tables; exits non-zero when something fails, never on speed.
#   BPFPOKE_BUILD		build directory (default: build/ at the top)
#   KVER			kernel to boot (default: scripts/kver.sh)
#   BPFPOKE_BENCH_RUNS		cold runs (default 21)
#   BPFPOKE_BENCH_ROUNDS	rounds over the fields for further resolves
#				(default 200)
#   BPFPOKE_GUEST_TIMEOUT	seconds to wait for the guest (default 120)
#   BPFPOKE_QEMU_LOCK_HELD=1	the caller holds /tmp/bpfpoke-qemu.lock
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BPFPOKE_BUILD:-$top/build}
runs=${BPFPOKE_BENCH_RUNS:-21}
rounds=${BPFPOKE_BENCH_ROUNDS:-200}

# The first is the cold read's; all are resolved again and again.
fields=(.data:cfg.inner.lo .bss:crash .bss:stall .bss:runs .data:tunable
	.data:cfg.mode .data:cfg.inner.hi .data:cfg.inner.wide .data:cfg.word
	'.data:cfg.bytes[2]' .data:cfg.level '.data:arr[0]' '.data:arr[7]'
	.rodata:version .data.tune:knob)

skip() {
	echo "read_bench: skipped: $*"
	exit 0
}
fail() {
	echo "read_bench: $*" >&2
	exit 1
}

command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 is not installed"
[ -x /bin/busybox ] || skip "busybox-static is not installed"
command -v bpftool > /dev/null || [ -x /usr/sbin/bpftool ] || skip "bpftool is not installed"
kver=${KVER:-$("$top/scripts/kver.sh")} || skip "no usable kernel"
kimg=$("$top/scripts/kroot.sh" "$kver")/boot/vmlinuz-$kver
[ -r "$kimg" ] || skip "$kimg is not readable"

# Build what runs (quiet when up to date).
make -s -C "$top/agent" BUILD="$build/agent" > /dev/null &&
	make -s -C "$top/guest/demo" BUILD="$build/guest/demo" > /dev/null &&
	make -s -C "$top/selftests" BUILD="$build" "$build/host-bench/read_bench" > /dev/null ||
	fail "cannot build bpfpoke, the demo BPF object or read_bench"

. "$here/../guest/guest-lib.sh"
work=$(mktemp -d /tmp/bpfpoke-bench.XXXXXX)
ram=/dev/shm/bpfpoke-bench-$$
qpid=
cleanup() {
	guest_stop 2> /dev/null
	rm -rf "$work" "$ram"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$here/../guest/mkguest.sh" --run "$here/../guest/mapping-guest.sh" \
	--module virtio_blk --module virtio_pci \
	--file "$build/guest/demo/demo.bpf.o:/demo.bpf.o" \
	"$kver" "$work/guest.cpio.gz" || fail "mkguest.sh failed"

# One QEMU at a time on this machine.
. "$here/../qemu-lock.sh"
qemu_lock

t0=$(date +%s.%N)
guest_boot "$work" "$ram" "$kver" "$work/guest.cpio.gz" \
	"console=ttyS0 panic=-1 printk.time=1"
case "$marker" in
BPFPOKE-GUEST-READY*) ;;
*)
	tail -n 20 "$work/console.log" 2> /dev/null | tr -d '\r' >&2
	cat "$work/qemu.log" >&2
	fail "the guest did not come up (marker: ${marker:-none})"
	;;
esac
art=$work/art
mkdir -p "$art"
tar -xf "$work/out.img" -C "$art" 2> /dev/null
[ -s "$art/kallsyms" ] && [ -s "$art/vmlinux.btf" ] ||
	fail "the guest handed over no kallsyms or vmlinux BTF"

echo "read_bench: Debian $kver guest under QEMU TCG (KASLR on, 512 MiB RAM in $ram, 1 vCPU, running," \
	"ready at ${marker#BPFPOKE-GUEST-READY } s guest time, $(awk "BEGIN { printf \"%.0f\", $(date +%s.%N) - $t0 }") s wall);" \
	"host: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo
"$build/host-bench/read_bench" -n "$runs" -r "$rounds" "$build/agent/bpfpoke" \
	"$ram" "$art/vmlinux.btf" "$art/kallsyms" "${fields[@]}"
rc=$?
kill -0 "$qpid" 2> /dev/null || fail "QEMU died during the benchmark"
exit $rc
