#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh BUILD KVER MODULE FILTER [shell|demo]
#
# Runs the host tests, then boots KVER under QEMU as an L1 KVM host with
# kvm-amd and MODULE loaded and runs the kselftests there.  Prints every
# result and the closing line "N passed, N failed, N skipped"; exits
# non-zero on any failure.  FILTER keeps the tests whose name contains it.
set -eu

build=$1 kver=$2 module=$3 filter=$4 mode=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$build/check
mkdir -p "$out"
: > "$out/host.txt"

pick() {
	local t
	for t in "$@"; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		case "$(basename "$t")" in *"$filter"*) echo "$t" ;; esac
	done
}

# Host tests (ASan/UBSan builds), framed like the L1 ones.
if [ -z "$mode" ]; then
	for t in $(pick "$build"/host-tests/* "$here"/host/*.sh); do
		name=$(basename "$t")
		echo "BPFPOKE-BEGIN $name"
		rc=0
		timeout -s KILL 300 "$t" < /dev/null || rc=$?
		echo "BPFPOKE-END $name $rc"
	done > "$out/host.txt" 2>&1
fi

vm_tests=$(pick "$build"/vm-tests/*)
case "$mode" in
shell|demo) vm_tests=$(filter= pick "$build"/vm-tests/*) ;;
bench) vm_tests=$(pick "$build"/vm-bench/*) ;;
esac

need_vm=0
if [ -n "$vm_tests" ]; then
	need_vm=1
	t0=$(date +%s.%N)
	"$here/vm/mkinitramfs.sh" "$kver" "$module" "$out/l1.cpio.gz" $vm_tests
	if [ "$mode" = shell ]; then
		exec "$here/vm/run.sh" "$kver" "$out/l1.cpio.gz" "$out" shell
	fi
	"$here/vm/run.sh" "$kver" "$out/l1.cpio.gz" "$out"
	t1=$(date +%s.%N)
	boot=$(awk '/^BPFPOKE-L1 booted/ { print $4 }' "$out/results.txt")
	mods=$(awk '/^BPFPOKE-MODULES/ { print $3 }' "$out/results.txt")
	echo "# L1 $kver: kernel up at ${boot:-?} guest time, modules at ${mods:-?}, whole run $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")s wall"
else
	: > "$out/results.txt"
fi

if [ "$mode" = demo ]; then
	cat "$out/results.txt"
fi
if [ "$mode" = bench ]; then
	# Benchmarks print tables, not TAP: show them, fail on a failed one.
	awk '/^BPFPOKE-BEGIN/ { on = 1; next }
	     /^BPFPOKE-END/ { on = 0; if ($3 != 0) { bad = 1; print "bench " $2 " failed: exit " $3 } next }
	     on { print }
	     END { exit bad }' "$out/results.txt"
	exit $?
fi
cat "$out/host.txt" "$out/results.txt" |
	awk -v need_done=$need_vm -f "$here/tap-summary.awk" | tee "$out/summary.txt"
exit "${PIPESTATUS[1]}"
