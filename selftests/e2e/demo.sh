#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside L1 (a KVM host: Debian's kernel under QEMU TCG with
# kvm-amd and bpfpoke.ko), in two acts.
#
# Act 1, on a kernel with sched_ext (7.3): QEMU-KVM boots a guest whose
# scheduler is scx_qmap, built unmodified from the kernel's own
# tools/sched_ext.  The agent lists its maps, reads its enqueue count from
# its arena twice, then writes qa.test_error_cnt=1 through bpfpoke.ko and
# signals the guest: scx_qmap's enqueue path counts it down and calls
# scx_bpf_error(), and the guest shows sched_ext disabled with the
# scheduler's own error.
#
# Act 2: a guest whose bpfpoke-demo loads the demo BPF target and waits on
# the named port org.bpfpoke.0.  The agent writes `.bss crash=1`, then a
# .data batch with the VMM frozen, signals the guest, and this prints what
# the guest saw and where the time went.
#
# Exit 0 when the guests saw exactly the writes.
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

scx_act() {
	echo
	say "act 1: a sched_ext scheduler nobody here wrote (scx_qmap, from $(uname -r)'s tools/sched_ext)"
	l2_initrd=/l2/scx.cpio.gz
	boot_l2 scx "" 512 ""
	if ! wait_log "L2-WAITING round 1" 240; then
		say "the scx_qmap guest did not come up; its console:"
		tail -n 30 $log | sed 's/^/  L2| /'
		stop_l2 0 > /dev/null
		fail=1
		return
	fi
	say "guest up: $(line L2-SCX-STATE | sed 's/^L2-SCX-STATE /sched_ext state /')"
	echo
	echo "\$ bpfpoke --vm $qpid $kern map list"
	poke map list
	echo
	echo "\$ bpfpoke ... read .arena qa.nr_enqueued qa.nr_dispatched qa.test_error_cnt"
	poke read .arena qa.nr_enqueued qa.nr_dispatched qa.test_error_cnt
	sleep 2
	echo "\$ bpfpoke ... read .arena qa.nr_enqueued   # 2 s later"
	poke read .arena qa.nr_enqueued
	echo
	echo "\$ bpfpoke ... write .rodata slice_ns=1000000   # a tunable the verifier folded in"
	poke write .rodata slice_ns=1000000
	[ $rc != 0 ] || { say "a frozen .rodata was written without --force"; fail=1; }
	echo
	echo "\$ bpfpoke --vm $qpid $kern --times write .arena qa.test_error_cnt=1 --signal unix:$sock"
	poke --times write .arena qa.test_error_cnt=1 --signal unix:$sock
	[ $rc = 0 ] || { say "bpfpoke write failed (exit $rc)"; fail=1; }
	if ! wait_log "L2-DONE" 120; then
		say "the guest did not report; its console:"
		tail -n 20 $log | sed 's/^/  L2| /'
		fail=1
	fi
	say "the guest saw:"
	line "L2-SIGNAL round 1" | sed 's/^L2-SIGNAL round 1 /  /'
	grep "^L2-SCX-OUT: EXIT" $log | tr -d '\r' | sed 's/^L2-SCX-OUT: /  scx_qmap: /'
	grep "^L2-KLOG" $log | tr -d '\r' | sed 's/^L2-KLOG: /  kernel: /'
	line "L2-SIGNAL round 1" | grep -q "rc=0 state=disabled" &&
		grep -q "^L2-SCX-OUT: EXIT.*test triggering error" $log || fail=1
	stop_l2 0 > /dev/null
	l2_initrd=/l2/write.cpio.gz
	echo
	say "act 2: the demo BPF target"
}
if [ -r /l2/scx.cpio.gz ]; then
	scx_act
else
	say "$(uname -r) has no sched_ext: act 1 (scx_qmap) needs a 7.x kernel (make demo KVER=...)"
fi

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
