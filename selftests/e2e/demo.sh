#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside L1 (a KVM host: Debian's kernel under QEMU TCG with
# kvm-amd and bpfpoke.ko): QEMU-KVM boots a Debian guest with KASLR on
# whose bpfpoke-demo loads the demo BPF target and waits on the named port
# org.bpfpoke.0.  The agent writes `.bss crash=1`, then a .data batch with
# the VMM frozen, through bpfpoke.ko, signals the guest, and this prints
# what the guest saw and where the time went.  Exit 0 when the guest saw
# exactly the writes.
. /l2/lib.sh
poke_prefix="  | "
fail=0

say() {
	echo "demo: $*"
}

# Shows what the guest reported for round $1.
guest_saw() {
	if ! wait_log "L2-DUMPED round $1" 60; then
		say "the guest did not report round $1; its console:"
		tail -n 20 $log | sed 's/^/  L2| /'
		fail=1
		return
	fi
	say "the guest saw:"
	line "DEMO-SIGNAL round $1" | sed 's/^DEMO-SIGNAL round [0-9]* /  signal: /'
	line "DEMO-SEEN round $1 mmap" | sed 's/^DEMO-SEEN round [0-9]* mmap:/  skeleton (mmap):/'
	line "DEMO-SEEN round $1 bpf" | sed 's/^DEMO-SEEN round [0-9]* bpf:/  BPF program run: /'
	line "DEMO-VIEWS round $1" | sed 's/^DEMO-VIEWS round [0-9]* /  the two views: /'
	line "DEMO-CHANGED round $1" | sed 's/^DEMO-CHANGED round [0-9]*:/  changed:/'
	for m in demo.bss demo.data; do
		echo "  bpftool map dump name $m: $(line "L2-BPFTOOL round $1 $m" |
			sed 's/.*"formatted":{"value":\(.*\)}}]$/\1/')"
	done
}

if [ ! -c /dev/kvm ] || [ ! -c /dev/bpfpoke ] || [ ! -x /bin/qemu-system-x86_64 ]; then
	say "L1 has no /dev/kvm, /dev/bpfpoke or QEMU: see the module load messages above"
	exit 1
fi
say "L1 is $(uname -r) under QEMU TCG, kvm-amd and bpfpoke.ko loaded"
t0=$(cut -d' ' -f1 /proc/uptime)
boot_l2 demo "" 512 "demo.rounds=2"
say "QEMU-KVM (pid $qpid) boots the Debian guest (KASLR on) with the demo target"
if ! wait_log "DEMO-WAITING round 1" 120; then
	say "the guest did not come up; its console:"
	tail -n 30 $log | sed 's/^/  L2| /'
	stop_l2 0 > /dev/null
	exit 1
fi
t1=$(cut -d' ' -f1 /proc/uptime)
say "guest up and waiting $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s after QEMU started ($(line L2-UP | cut -d' ' -f2) s of guest time)"
echo "  $(line DEMO-LOADED | sed 's/^DEMO-LOADED //')"
line "DEMO-SEEN round 0 mmap" | sed 's/^DEMO-SEEN round 0 mmap:/  before:/'

echo
echo "\$ bpfpoke --vm $qpid $kern --times write .bss crash=1 --signal unix:$sock"
poke --times write .bss crash=1 --signal unix:$sock
[ $rc = 0 ] || { say "bpfpoke write failed (exit $rc)"; fail=1; }
guest_saw 1
[ "$(line 'DEMO-CHANGED round 1')" = "DEMO-CHANGED round 1: crash 0 -> 1" ] || fail=1

echo
echo "\$ bpfpoke --vm $qpid $kern --times write .data tunable=99 cfg.inner.lo=5 'arr[2]=42' cfg.level=-3 --freeze sigstop --signal unix:$sock"
poke --times write .data tunable=99 cfg.inner.lo=5 'arr[2]=42' cfg.level=-3 \
	--freeze sigstop --signal unix:$sock
[ $rc = 0 ] || { say "bpfpoke write failed (exit $rc)"; fail=1; }
guest_saw 2
[ "$(line 'DEMO-CHANGED round 2')" = "DEMO-CHANGED round 2: tunable 7 -> 99, cfg.inner.lo 2 -> 5, cfg.level -1 -> -3, arr [10,11,12,13,14,15,16,17] -> [10,11,42,13,14,15,16,17]" ] || fail=1

echo
say "times: 'times' is the agent's cold start (symbols and vmlinux BTF from L1's"
say "own kallsyms and BTF, the same kernel build as the guest), 'write times' the"
say "write itself; L1 is emulated (TCG), so expect a real host to be ~10x faster."
stop_l2 0 > /dev/null
if [ $fail = 0 ]; then
	say "OK: the guest saw exactly the values written"
else
	say "FAILED: see above"
fi
exit $fail
