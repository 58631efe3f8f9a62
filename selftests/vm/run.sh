#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh KVER INITRAMFS OUTDIR [shell]
#
# Boots KVER under QEMU TCG with -cpu max (AMD SVM with nested paging), so
# that kvm-amd loads inside and the tests get a real /dev/kvm.  Writes the
# kernel console to OUTDIR/console.log and the framed test output to
# OUTDIR/results.log.  With "shell": an interactive shell on the console.
set -eu

kver=$1 initrd=$2 outdir=$3 mode=${4:-}
mkdir -p "$outdir"
kroot=$("$(dirname "$0")/../../scripts/kroot.sh" "$kver")

: "${BPFPOKE_VM_MEM:=3072}"
: "${BPFPOKE_VM_TIMEOUT:=1500}"	# whole boot, seconds
: "${BPFPOKE_TEST_TIMEOUT:=300}"	# each test program, seconds
# Every test ends within its budget with a line on the results port (init
# kills it, or reports it stuck), so a live L1 is never silent for longer:
# this long without a byte there, the emulator has frozen (seen with QEMU
# 7.2's TCG and a nested guest).  It is then stopped, and $outdir/frozen
# says so.
: "${BPFPOKE_VM_SILENCE:=$((BPFPOKE_TEST_TIMEOUT + 120))}"
# The emulator: Debian 13's QEMU 10.0 (scripts/qemu-l1.sh, out of the
# Debian 13 root), with two vCPUs.  Bookworm's QEMU 7.2 livelocked under
# a nested guest now and then (its vCPU thread spinning in cpu_exec()), and
# every time under the 7.3 debug kernel; with two vCPUs its multi-threaded
# TCG froze too (6.1: whole VM stuck mid-test; 6.12: "Oops: int3" in a
# patched static-key site), so it ran one, which a nested L2 shares with
# the tests.  BPFPOKE_L1_QEMU=qemu-system-x86_64 BPFPOKE_VM_SMP=1 goes back
# to it.  The QEMU inside L1, which runs L2, stays the host's
# qemu-system-x86_64: the initramfs carries it.
: "${BPFPOKE_L1_QEMU:=$(cd "$(dirname "$0")/../.." && pwd)/scripts/qemu-l1.sh}"
: "${BPFPOKE_TCG_THREAD:=multi}"
: "${BPFPOKE_VM_SMP:=2}"

qemu=("$BPFPOKE_L1_QEMU" -machine q35 -accel "tcg,thread=$BPFPOKE_TCG_THREAD" -cpu max -smp "$BPFPOKE_VM_SMP"
	-m "$BPFPOKE_VM_MEM" -kernel "$kroot/boot/vmlinuz-$kver" -initrd "$initrd"
	-display none -no-reboot -nodefaults -no-user-config)
# BPFPOKE_L1_APPEND: more kernel arguments (make check-debug's).
append="console=ttyS0 panic=-1 oops=panic panic_on_warn=0 bpfpoke.timeout=$BPFPOKE_TEST_TIMEOUT ${BPFPOKE_L1_APPEND:-}"

. "$(dirname "$0")/../qemu-lock.sh"
qemu_lock

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -append "$append bpfpoke.shell=1" \
		-serial mon:stdio -serial "file:$outdir/results.log"
fi

: > "$outdir/results.log"
rm -f "$outdir/frozen"
rc=0
timeout --foreground -k 10 "$BPFPOKE_VM_TIMEOUT" "${qemu[@]}" \
	-append "$append quiet" -monitor none \
	-serial "file:$outdir/console.log" -serial "file:$outdir/results.log" &
vm=$!

# The emulator (timeout's child) and its CPU use over one second, read from
# /proc: a new machine may have no procps.  Busy (100 %) is QEMU spinning
# in its exec loop, idle a vCPU halted and never woken.
qemu_pid() {
	local stat line
	for stat in /proc/[0-9]*/stat; do
		read -r line < "$stat" 2> /dev/null || continue
		# Fields after "(comm) ": state, ppid.
		line=${line##*) }
		line=${line#* }
		if [ "${line%% *}" = "$vm" ]; then
			stat=${stat#/proc/}
			echo "${stat%/stat}"
			return
		fi
	done
}
qemu_cpu() {
	local pid=$1 t0 t1
	t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2> /dev/null) || return 0
	sleep 1
	t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2> /dev/null) || return 0
	echo "$(((t1 - t0) * 100 / $(getconf CLK_TCK)))% CPU over 1 s"
}

last=0 quiet=0
while kill -0 $vm 2> /dev/null; do
	sleep 5
	size=$(stat -c %s "$outdir/results.log" 2> /dev/null || echo 0)
	if [ "$size" != "$last" ]; then
		last=$size quiet=0
		continue
	fi
	quiet=$((quiet + 5))
	if [ $quiet -ge "$BPFPOKE_VM_SILENCE" ]; then
		pid=$(qemu_pid)
		echo "no output for ${quiet}s (BPFPOKE_VM_SILENCE), QEMU ${pid:+$(qemu_cpu "$pid")}" \
			> "$outdir/frozen"
		echo "vm: L1 froze: $(cat "$outdir/frozen"): stopped" >&2
		[ -z "$pid" ] || kill "$pid" 2> /dev/null || :
		kill $vm 2> /dev/null || :
		break
	fi
done
wait $vm || rc=$?
if [ "$rc" = 124 ]; then
	echo "vm: L1 did not finish within ${BPFPOKE_VM_TIMEOUT}s (BPFPOKE_VM_TIMEOUT)" >&2
fi
# Serial output has CRLF line ends.
tr -d '\r' < "$outdir/results.log" > "$outdir/results.txt"
exit 0
