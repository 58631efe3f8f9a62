# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the scripts that boot a test guest of mkguest.sh under QEMU TCG
# with its RAM in a shared file: run_mapping_test.sh and
# ../bench/read_bench.sh.  The caller holds the QEMU lock (qemu-lock.sh).

# guest_kernel KVER: the kernel image, here or in the Debian 13 root.
guest_kernel() {
	echo "$("$(dirname "${BASH_SOURCE[0]}")/../../scripts/kroot.sh" "$1")/boot/vmlinuz-$1"
}

# guest_boot WORK RAM KVER INITRD APPEND [QEMU_ARG...]
#
# Starts QEMU in the background: q35 with 512 MiB of RAM in the file RAM
# (memory-backend-file, share=on), -cpu max, one vCPU, /boot/vmlinuz-KVER
# with INITRD and the command line APPEND, and WORK/out.img (64 MiB) as the
# first virtio disk; the QEMU_ARGs follow (more disks, ports).  The console
# goes to WORK/console.log, QEMU's own output to WORK/qemu.log.  Sets qpid
# at once, so that the caller's cleanup can kill it; then waits up to
# BPFPOKE_GUEST_TIMEOUT (default 120) seconds for a line starting with
# BPFPOKE-GUEST- on the console, and sets marker to it ("" if none came).
# Not to be run in a subshell: qpid must reach the caller.
guest_boot() {
	local work=$1 ram=$2 kver=$3 initrd=$4 append=$5 i
	local tmo=${BPFPOKE_GUEST_TIMEOUT:-120}

	shift 5
	rm -f "$work/console.log" "$ram"
	truncate -s 64M "$work/out.img"
	# Several vCPUs: one TCG thread for all.  Multi-threaded TCG crashed
	# a 7.3 guest at boot now and then (a BUG in enqueue_timer), as it
	# froze L1 (docs/design-notes.md).
	local accel=tcg
	[ "${BPFPOKE_GUEST_SMP:-1}" -gt 1 ] && accel=tcg,thread=single
	qemu-system-x86_64 -machine q35,memory-backend=mem -accel "$accel" \
		-cpu max -smp "${BPFPOKE_GUEST_SMP:-1}" -m 512 \
		-object memory-backend-file,id=mem,size=512M,mem-path="$ram",share=on \
		-kernel "$(guest_kernel "$kver")" -initrd "$initrd" \
		-append "$append" \
		-drive file="$work/out.img",format=raw,if=virtio "$@" \
		-display none -no-reboot -nodefaults -no-user-config \
		-serial file:"$work/console.log" -monitor none \
		< /dev/null > "$work/qemu.log" 2>&1 &
	qpid=$!
	for ((i = 0; i < tmo * 4; i++)); do
		if grep -aq '^BPFPOKE-GUEST-' "$work/console.log" 2> /dev/null; then
			break
		fi
		kill -0 "$qpid" 2> /dev/null || break
		sleep 0.25
	done
	marker=$(grep -a '^BPFPOKE-GUEST-' "$work/console.log" 2> /dev/null | tr -d '\r')
}

# guest_stop: end the QEMU of guest_boot, if it runs.
guest_stop() {
	if [ -n "${qpid:-}" ]; then
		kill "$qpid" 2> /dev/null
		wait "$qpid" 2> /dev/null
	fi
	qpid=
}
