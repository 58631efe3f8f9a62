#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh BUILD KVER MODULE FILTER [shell|demo|bench|debug]
#
# Runs the host tests, then boots KVER under QEMU as an L1 KVM host with
# kvm-amd and MODULE loaded and runs the kselftests and end-to-end tests
# there; with BPFPOKE_ALSO_KVER and BPFPOKE_ALSO_MODULE set, boots that
# kernel too and runs the same L1 tests on it.  Prints every
# result and the closing line "N passed, N failed, N skipped"; exits
# non-zero on any failure.  FILTER keeps the tests whose name contains it,
# or one of its ','-separated words (T=cache,stress).
# bench: the host benchmarks (bench/*_bench.sh, which boot their own
# guests), then the L1 ones (build/vm-bench/*); tables, not TAP.
# debug (make check-debug): KVER is the debug kernel (scripts/debug-kernel.sh);
# no host tests, the L1 suite plus build/vm-debug-tests/* (fault
# injection), then kmemleak after rmmod; results in BUILD/check-debug.
set -eu

build=$1 kver=$2 module=$3 filter=$4 mode=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$build/check
if [ "$mode" = debug ]; then
	out=$build/check-debug
	# no5lvl: with 5-level paging, KASAN reports a wild access at boot
	# that is the kernel's own race, not bpfpoke's.  identify_cpu() zeroes
	# the boot CPU's capability words and reads CPUID again; before the
	# alternatives are patched, pgtable_l5_enabled() tests those words, so
	# an interrupt in that window sees a 47-bit address space while the
	# direct map is at ff11...: kasan_report() calls its irq_desc lock
	# wild (7.3, QEMU 10, handle_edge_irq under identify_cpu+0x2e8).
	# make check keeps 5-level paging.
	export BPFPOKE_L1_APPEND="${BPFPOKE_L1_APPEND:-} bpfpoke.debug=1 no5lvl"
fi
mkdir -p "$out"
: > "$out/host.txt"

# The tests whose name contains FILTER, or one of its ','-separated words.
pick() {
	local t f
	for t in "$@"; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		if [ -z "$filter" ]; then
			echo "$t"
			continue
		fi
		for f in $(echo "$filter" | tr ',' ' '); do
			case "$(basename "$t")" in *"$f"*) echo "$t"; break ;; esac
		done
	done
}

# host_test TEST NAME KVER: one host test, framed like the L1 ones.
host_test() {
	local rc=0

	echo "BPFPOKE-BEGIN $2"
	BPFPOKE_BUILD=$build KVER=$3 timeout -s KILL 300 "$1" < /dev/null || rc=$?
	printf '\nBPFPOKE-END %s %s\n' "$2" "$rc"
}

# Host tests (ASan/UBSan builds).
if [ -z "$mode" ]; then
	# guest/run_*_test.sh boot guests under QEMU TCG (no KVM needed).
	for t in $(pick "$build"/host-tests/* "$here"/host/*.sh \
			"$here"/guest/run_*_test.sh); do
		host_test "$t" "$(basename "$t")" "$kver"
	done > "$out/host.txt" 2>&1
	# The guest model against the second kernel's guests too (KASLR,
	# nokaslr, no5lvl; bpftool inside the guest is the judge).
	if [ -n "${BPFPOKE_ALSO_KVER:-}" ] && [ "$BPFPOKE_ALSO_KVER" != "$kver" ]; then
		for t in $(pick "$here"/guest/run_*_test.sh); do
			host_test "$t" "$(basename "$t")@$BPFPOKE_ALSO_KVER" "$BPFPOKE_ALSO_KVER"
		done >> "$out/host.txt" 2>&1
	fi
fi

# Host benchmarks, before L1 boots: they print as they go.
host_bench_bad=0
if [ "$mode" = bench ]; then
	for t in $(pick "$here"/bench/*_bench.sh); do
		rc=0
		BPFPOKE_BUILD=$build KVER=$kver timeout 900 "$t" < /dev/null || rc=$?
		if [ "$rc" != 0 ]; then
			echo "bench $(basename "$t") failed: exit $rc"
			host_bench_bad=1
		fi
		echo
	done
fi

vm_tests=$(pick "$build"/vm-tests/* "$here"/e2e/*_test.sh)
case "$mode" in
shell) vm_tests=$(filter= pick "$build"/vm-tests/* "$here"/e2e/*_test.sh) ;;
demo) vm_tests=$here/e2e/demo.sh ;;
bench) vm_tests=$(pick "$build"/vm-bench/* "$here"/e2e/*_bench.sh) ;;
debug) vm_tests="$vm_tests $(pick "$build"/vm-debug-tests/*)" ;;
esac

# l1_run KVER MODULE OUTDIR TESTS...: boots KVER as L1 with MODULE and runs
# TESTS there; the framed output lands in OUTDIR/results.txt.
# End-to-end tests run QEMU-KVM inside L1 with a Debian L2 guest (the same
# kernel): they need QEMU, its firmware, the L2 kernel and initramfs, and
# the host tools.
# BPFPOKE_L2_KVER boots L2 with another kernel than L1 (make check-debug:
# L1 a debug kernel, L2 Debian's); the agent then reads L2's description
# from its memory (selftests/e2e/l2-lib.sh).
l1_run() {
	local kver=$1 module=$2 dir=$3 kimg payload= t0 t1 boot mods tests= t rc
	local l2kver=${BPFPOKE_L2_KVER:-$1}
	shift 3
	mkdir -p "$dir"
	kimg=$("$here/../scripts/kroot.sh" "$l2kver")/boot/vmlinuz-$l2kver
	echo "$l2kver" > "$dir/l2-kver"
	# The sched_ext target needs a kernel with sched_ext: scx_qmap is
	# built from that kernel's own tools/sched_ext.
	for t in "$@"; do
		case "$t" in
		*/e2e_scx_test.sh | */e2e/demo.sh)
			rc=0
			"$here/e2e/scx-build.sh" "$l2kver" "$build/scx/$l2kver/scx_qmap" || rc=$?
			if [ "$rc" = 4 ]; then
				case "$t" in
				*/e2e_scx_test.sh)
					echo "# $kver has no sched_ext: $(basename "$t") runs on the kernels that do"
					continue ;;
				esac
				tests="$tests $t"
				continue
			fi
			[ "$rc" = 0 ] || return 1
			"$here/guest/mkguest.sh" --module virtio_pci --module virtio_console \
				--bin "$build/guest/bpfpoke-guest" \
				--bin "$build/scx/$l2kver/scx_qmap" \
				--run "$here/e2e/l2-scx-guest.sh" \
				"$l2kver" "$dir/l2-scx.cpio.gz"
			payload="--file $dir/l2-scx.cpio.gz:/l2/scx.cpio.gz"
			;;
		esac
		tests="$tests $t"
	done
	[ -n "$tests" ] || return 0
	set -- $tests
	case " $* " in
	*/e2e/*)
		"$here/guest/mkguest.sh" --module virtio_pci --module virtio_console \
			--bin "$build/guest/bpfpoke-guest" \
			--run "$here/e2e/l2-signal-guest.sh" \
			"$l2kver" "$dir/l2-signal.cpio.gz"
		"$here/guest/mkguest.sh" --module virtio_pci --module virtio_console \
			--bin "$build/guest/demo/bpfpoke-demo" \
			--file "$build/e2e/peer.bpf.o:/peer.bpf.o" \
			--run "$here/e2e/l2-write-guest.sh" \
			"$l2kver" "$dir/l2-write.cpio.gz"
		payload="$payload --bin $(command -v qemu-system-x86_64)
			--bin $build/e2e/signal_send
			--bin $build/e2e/write_loop
			--bin $build/agent/bpfpoke
			--file $dir/l2-write.cpio.gz:/l2/write.cpio.gz
			--file $here/e2e/l2-lib.sh:/l2/lib.sh
			--file $kimg:/l2/vmlinuz
			--file $dir/l2-kver:/l2/kver
			--file $dir/l2-signal.cpio.gz:/l2/signal.cpio.gz
			--file /usr/share/seabios/bios-256k.bin:/usr/share/qemu/bios-256k.bin
			--file /usr/share/qemu/linuxboot_dma.bin:/usr/share/qemu/linuxboot_dma.bin
			--file /usr/share/qemu/kvmvapic.bin:/usr/share/qemu/kvmvapic.bin"
		;;
	esac
	t0=$(date +%s.%N)
	"$here/vm/mkinitramfs.sh" $payload "$kver" "$module" "$dir/l1.cpio.gz" "$@"
	if [ "$mode" = shell ]; then
		exec "$here/vm/run.sh" "$kver" "$dir/l1.cpio.gz" "$dir" shell
	fi
	: > "$dir/results.txt"
	l1_runs=$((l1_runs + 1))
	"$here/vm/run.sh" "$kver" "$dir/l1.cpio.gz" "$dir"
	# A frozen emulator is not a test's failure: one more run, said so.
	if [ -f "$dir/frozen" ] && ! grep -q '^BPFPOKE-DONE' "$dir/results.txt"; then
		# Where it froze: the test begun and not ended; its output kept.
		frozen="$(cat "$dir/frozen"), in $(awk '/^BPFPOKE-BEGIN/ { t = $2 } /^BPFPOKE-END/ { t = "" } END { print t ? t : "no test" }' "$dir/results.txt")"
		cp "$dir/results.txt" "$dir/results-frozen.txt"
		echo "# L1 $kver froze ($frozen): running it again; the frozen run's output is in $dir/results-frozen.txt"
		"$here/vm/run.sh" "$kver" "$dir/l1.cpio.gz" "$dir"
		echo "BPFPOKE-NOTE L1 $kver froze once ($frozen) and was run again" >> "$dir/results.txt"
	fi
	t1=$(date +%s.%N)
	# A run cut short: what it was doing, for the summary.
	if ! grep -q '^BPFPOKE-DONE' "$dir/results.txt"; then
		echo "BPFPOKE-UNFINISHED L1 $kver stopped after $(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }")s wall" \
			"in $(awk '/^BPFPOKE-BEGIN/ { t = $2 } /^BPFPOKE-END/ { t = "" } END { print t ? t : "no test" }' "$dir/results.txt");" \
			"its console ends: $(tail -c 2000 "$dir/console.log" 2>/dev/null | tr -d '\r' | grep -v '^$' | tail -n 3 | tr '\n' '|')" \
			>> "$dir/results.txt"
	fi
	boot=$(awk '/^BPFPOKE-L1 booted/ { print $4 }' "$dir/results.txt")
	mods=$(awk '/^BPFPOKE-MODULES/ { print $3 }' "$dir/results.txt")
	echo "# L1 $kver: kernel up at ${boot:-?} guest time, modules at ${mods:-?}, whole run $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")s wall"
}

l1_runs=0
: > "$out/results.txt"
if [ -n "$vm_tests" ]; then
	l1_run "$kver" "$module" "$out" $vm_tests
fi

# bench: the L1 benchmarks on the second kernel too, then both side by side.
if [ "$mode" = bench ] && [ -n "${BPFPOKE_ALSO_KVER:-}" ] &&
   [ "$BPFPOKE_ALSO_KVER" != "$kver" ] && [ -n "$vm_tests" ]; then
	also=$out/$BPFPOKE_ALSO_KVER
	l1_run "$BPFPOKE_ALSO_KVER" "$BPFPOKE_ALSO_MODULE" "$also" $vm_tests
	for r in "$out/results.txt" "$also/results.txt"; do
		echo
		echo "== L1 $(awk '/^BPFPOKE-L1 booted/ { print $3; exit }' "$r")"
		awk '/^BPFPOKE-BEGIN/ { on = 1; next }
		     /^BPFPOKE-END/ { on = 0; if ($3 != 0) print "bench " $2 " failed: exit " $3; next }
		     on { print }' "$r"
	done
	echo
	awk -v k1="$kver" -v k2="$BPFPOKE_ALSO_KVER" \
		-f "$here/bench/side-by-side.awk" "$out/results.txt" "$also/results.txt"
	for r in "$out/results.txt" "$also/results.txt"; do
		awk '/^BPFPOKE-END/ && $3 != 0 { bad = 1 } END { exit bad }' "$r" || host_bench_bad=1
	done
	exit $host_bench_bad
fi

# A second kernel (BPFPOKE_ALSO_KVER, with its module BPFPOKE_ALSO_MODULE):
# the L1 tests again, each named NAME@KVER.
if [ -z "$mode" ] && [ -n "${BPFPOKE_ALSO_KVER:-}" ] &&
   [ "$BPFPOKE_ALSO_KVER" != "$kver" ] && [ -n "$vm_tests" ]; then
	also=$out/$BPFPOKE_ALSO_KVER
	rm -f "$also/results.txt"
	l1_run "$BPFPOKE_ALSO_KVER" "$BPFPOKE_ALSO_MODULE" "$also" $vm_tests
	[ ! -f "$also/results.txt" ] || sed -E "s/^(BPFPOKE-(BEGIN|END) [^ ]+)/\1@$BPFPOKE_ALSO_KVER/" \
		"$also/results.txt" >> "$out/results.txt"
fi

if [ "$mode" = demo ]; then
	awk '/^BPFPOKE-BEGIN/ { on = 1; next }
	     /^BPFPOKE-END/ { on = 0; rc = $3; seen = 1; next }
	     on && NF { print }
	     END {
		if (!seen) {
			print "demo: L1 did not run the demo to its end: see " FILENAME " and console.log"
			exit 1
		}
		exit rc != 0
	     }' "$out/results.txt"
	exit $?
fi
if [ "$mode" = bench ]; then
	# Benchmarks print tables, not TAP: show them, fail on a failed one.
	awk '/^BPFPOKE-BEGIN/ { on = 1; next }
	     /^BPFPOKE-END/ { on = 0; if ($3 != 0) { bad = 1; print "bench " $2 " failed: exit " $3 } next }
	     on { print }
	     END { exit bad }' "$out/results.txt" || host_bench_bad=1
	exit $host_bench_bad
fi
cat "$out/host.txt" "$out/results.txt" |
	awk -v need_done=$l1_runs -f "$here/tap-summary.awk" | tee "$out/summary.txt"
exit "${PIPESTATUS[1]}"
