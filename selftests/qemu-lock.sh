# SPDX-License-Identifier: GPL-2.0
#
# Sourced by every script that starts QEMU: one QEMU at a time on a small
# machine.  qemu_lock takes /tmp/bpfpoke-qemu.lock on fd 9 for the rest of
# the script, unless the caller already holds it: BPFPOKE_QEMU_LOCK_HELD=1,
# or an ancestor process is `flock /tmp/bpfpoke-qemu.lock ...`.
BPFPOKE_QEMU_LOCK=/tmp/bpfpoke-qemu.lock

qemu_lock_held_above() {
	local pid=$$ cmd
	while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
		cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
		case "$cmd" in
		flock*"$BPFPOKE_QEMU_LOCK"*) return 0 ;;
		esac
		pid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null)
	done
	return 1
}

qemu_lock() {
	[ -n "${BPFPOKE_QEMU_LOCK_HELD:-}" ] && return 0
	qemu_lock_held_above && return 0
	exec 9> "$BPFPOKE_QEMU_LOCK"
	flock 9
}
