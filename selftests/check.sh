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
	# guest/run_*_test.sh boot guests under QEMU TCG (no KVM needed).
	for t in $(pick "$build"/host-tests/* "$here"/host/*.sh \
			"$here"/guest/run_*_test.sh); do
		name=$(basename "$t")
		echo "BPFPOKE-BEGIN $name"
		rc=0
		BPFPOKE_BUILD=$build KVER=$kver \
			timeout -s KILL 300 "$t" < /dev/null || rc=$?
		printf '\nBPFPOKE-END %s %s\n' "$name" "$rc"
	done > "$out/host.txt" 2>&1
fi

vm_tests=$(pick "$build"/vm-tests/* "$here"/e2e/*_test.sh)
case "$mode" in
shell|demo) vm_tests=$(filter= pick "$build"/vm-tests/* "$here"/e2e/*_test.sh) ;;
bench) vm_tests=$(pick "$build"/vm-bench/*) ;;
esac

# End-to-end tests run QEMU-KVM inside L1 with a Debian L2 guest: they need
# QEMU, its firmware, the L2 kernel and initramfs, and the host tools.
payload=
case " $(echo $vm_tests) " in
*/e2e/*)
	"$here/guest/mkguest.sh" --module virtio_pci --module virtio_console \
		--bin "$build/guest/bpfpoke-guest" \
		--run "$here/e2e/l2-signal-guest.sh" \
		"$kver" "$out/l2-signal.cpio.gz"
	payload="--bin $(command -v qemu-system-x86_64)
		--bin $build/e2e/signal_send
		--file /boot/vmlinuz-$kver:/l2/vmlinuz
		--file $out/l2-signal.cpio.gz:/l2/signal.cpio.gz
		--file /usr/share/seabios/bios-256k.bin:/usr/share/qemu/bios-256k.bin
		--file /usr/share/qemu/linuxboot_dma.bin:/usr/share/qemu/linuxboot_dma.bin
		--file /usr/share/qemu/kvmvapic.bin:/usr/share/qemu/kvmvapic.bin"
	;;
esac

need_vm=0
if [ -n "$vm_tests" ]; then
	need_vm=1
	t0=$(date +%s.%N)
	"$here/vm/mkinitramfs.sh" $payload "$kver" "$module" "$out/l1.cpio.gz" $vm_tests
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
