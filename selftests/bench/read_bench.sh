#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# read_bench.sh: cold `bpfpoke read` against a real guest, and further
# resolves in one process (make bench; read_bench.c says what is measured);
# then `bpfpoke map dump` of a hash map of BPFPOKE_BENCH_BIG (10,000)
# elements from the host (a cold process each run, --mem-file) next to
# `bpftool map dump` of it inside the guest, after checking both dumps
# hold the same elements.
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
#   BPFPOKE_BENCH_BIG		elements of the dumped hash map (default 10000)
#   BPFPOKE_GUEST_TIMEOUT	seconds to wait for the guest (default 120)
#   BPFPOKE_QEMU_LOCK_HELD=1	the caller holds /tmp/bpfpoke-qemu.lock
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BPFPOKE_BUILD:-$top/build}
runs=${BPFPOKE_BENCH_RUNS:-21}
rounds=${BPFPOKE_BENCH_ROUNDS:-200}
big=${BPFPOKE_BENCH_BIG:-10000}

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
	make -s -C "$top/selftests/guest" BUILD="$build/selftests/guest" > /dev/null &&
	make -s -C "$top/selftests" BUILD="$build" "$build/host-bench/read_bench" > /dev/null ||
	fail "cannot build bpfpoke, the BPF objects or read_bench"

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

echo "$big" > "$work/bench-big"
"$here/../guest/mkguest.sh" --run "$here/../guest/mapping-guest.sh" \
	--module virtio_blk --module virtio_pci \
	--file "$build/guest/demo/demo.bpf.o:/demo.bpf.o" \
	--bin "$build/selftests/guest/maps_fill" \
	--file "$build/selftests/guest/maps.bpf.o:/maps.bpf.o" \
	--file "$work/bench-big:/bench-big" \
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
# The description cache keeps files by their identity only once they
# have not changed for 2 s (agent/lib/desc_cache.c).
sleep 3

echo "read_bench: Debian $kver guest under QEMU TCG (KASLR on, 512 MiB RAM in $ram, 1 vCPU, running," \
	"ready at ${marker#BPFPOKE-GUEST-READY } s guest time, $(awk "BEGIN { printf \"%.0f\", $(date +%s.%N) - $t0 }") s wall);" \
	"host: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo
"$build/host-bench/read_bench" -n "$runs" -r "$rounds" "$build/agent/bpfpoke" \
	"$ram" "$art/vmlinux.btf" "$art/kallsyms" "${fields[@]}"
rc=$?
kill -0 "$qpid" 2> /dev/null || fail "QEMU died during the benchmark"

# map dump of the big hash map: the same elements as bpftool's, then time.
[ -s "$art/big.json" ] && [ -s "$art/big.time" ] || fail "the guest dumped no big hash map"
pk=("$build/agent/bpfpoke" --mem-file "$ram" --btf "$art/vmlinux.btf" --symbols "$art/kallsyms")
"${pk[@]}" -j map dump name big > "$work/big.got" 2> "$work/big.err" ||
	fail "bpfpoke map dump name big: $(cat "$work/big.err")"
want=$(jq -cS 'sort_by(.key)' "$art/big.json")
[ "$(jq -cS 'sort_by(.key)' "$work/big.got")" = "$want" ] ||
	fail "bpfpoke's dump of the big hash map differs from bpftool's"
n=$(echo "$want" | jq length)
ms=()
for ((i = 0; i < 11; i++)); do
	t0=$(date +%s%N)
	"${pk[@]}" -j map dump name big > /dev/null 2>&1 || fail "bpfpoke map dump name big failed"
	ms+=($(( ($(date +%s%N) - t0) / 1000 )))
done
host_us=$(printf '%s\n' "${ms[@]}" | sort -n | sed -n 6p)
guest_us=$(awk '{ printf "%.0f", ($2 - $1) * 1e6 / 5 }' "$art/big.time")
echo
echo "map dump of a hash map of $n elements (the same elements, checked)"
printf '  %-52s %10s\n' "" "ms"
printf '  %-52s %10.1f\n' "bpftool map dump in the guest (TCG; mean of 5)" "$(awk "BEGIN { print $guest_us / 1000 }")"
printf '  %-52s %10.1f\n' "bpfpoke map dump from the host (cold; median of 11)" "$(awk "BEGIN { print $host_us / 1000 }")"
printf '  %-52s %10.2f\n' "  bpfpoke / bpftool" "$(awk "BEGIN { print $host_us / $guest_us }")"
exit $rc
