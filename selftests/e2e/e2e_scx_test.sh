#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The real target, inside L1 on a kernel with sched_ext: QEMU-KVM boots an
# L2 guest (KASLR on, the same kernel) whose scheduler is scx_qmap, built
# unmodified from that kernel's own tools/sched_ext.  scx_qmap keeps its
# state in a BPF arena (struct qmap_arena qa: test_error_cnt, nr_enqueued,
# nr_dispatched), its tunables in .rodata.  Judged inside the guest:
#   - bpfpoke map list finds the maps bpftool lists there;
#   - read .arena qa.nr_enqueued grows and tracks the scheduler's own
#     count (its stats line, read through its mmap of the arena);
#   - write .rodata slice_ns is refused without --force, nothing written,
#     and the guest is told (WRITE_FAILED);
#   - write .arena qa.test_error_cnt=1 --signal: qmap_enqueue() counts it
#     down and calls scx_bpf_error(); the scheduler exits with its own
#     error, /sys/kernel/sched_ext/state goes to disabled, the guest's
#     kernel log shows the exit; no Oops/BUG/WARNING in either kernel log.
# TAP.
. /l2/lib.sh

echo "TAP version 13"
if [ ! -c /dev/kvm ] || [ ! -x /bin/qemu-system-x86_64 ] || [ ! -x /bin/bpfpoke ]; then
	echo "1..0 # SKIP no /dev/kvm, QEMU or bpfpoke in L1"
	exit 4
fi
if [ ! -r /l2/scx.cpio.gz ]; then
	echo "1..0 # SKIP this kernel has no sched_ext (no scx_qmap guest was built)"
	exit 4
fi
echo "1..12"

l2_initrd=/l2/scx.cpio.gz
boot_l2 scx "" 512 ""
wait_log "L2-WAITING round 1" 240
ok $? "L2 booted and waits for the host's signal"
echo "# $(line L2-UP)"
echo "# $(line L2-SCX-STATE)"
line L2-SCX-STATE | grep -q "^L2-SCX-STATE enabled ops=qmap"
ok $? "scx_qmap is the guest's scheduler (/sys/kernel/sched_ext/state enabled, ops qmap)"

# bpftool's list inside the guest against bpfpoke's from the host: id and
# name of every map (Debian 12's bpftool shows the arena's type as a
# number, 33, where bpfpoke names it from the guest's BTF).
maps_of() {
	tr -d ' \n' | grep -o '"id":[0-9]*,"type":[^,]*,"name":"[^"]*"' |
		sed 's/"id":\([0-9]*\),.*"name":"\(.*\)"/\1 \2/' | sort -n
}
poke -j map list
line L2-MAPS | sed 's/^L2-MAPS //' | maps_of > /tmp/maps.bpftool
maps_of < /tmp/poke.out > /tmp/maps.bpfpoke
echo "# bpftool: $(grep -c . /tmp/maps.bpftool) maps: $(cut -d' ' -f2 /tmp/maps.bpftool | tr '\n' ' ')"
[ $rc = 0 ] && grep -q ' arena$' /tmp/maps.bpftool &&
	grep -q ' scx_qmap.rodata$' /tmp/maps.bpftool &&
	diff /tmp/maps.bpftool /tmp/maps.bpfpoke > /tmp/maps.diff
ok $? "bpfpoke map list finds scx_qmap's maps (arena, .rodata, ...) as bpftool lists them"
sed 's/^/# /' /tmp/maps.diff

# The scheduler's enqueue count, from the host, against its own report.
value() {
	sed -n 's/^qa\.nr_enqueued = \([0-9]*\)$/\1/p' /tmp/poke.out
}
poke read .arena qa.nr_enqueued qa.nr_dispatched qa.test_error_cnt
v1=$(value)
sleep 2
poke read .arena qa.nr_enqueued
v2=$(value)
g1=$(line "L2-STATS round 1" | sed -n 's/.*enq=\([0-9]*\).*/\1/p')
echo "# guest's stats before: enq=$g1; bpfpoke: $v1, 2 s later $v2"
[ -n "$v1" ] && [ -n "$v2" ] && [ -n "$g1" ] && [ "$g1" -le "$v1" ] &&
	[ "$v1" -lt "$v2" ]
ok $? "read .arena qa.nr_enqueued grows and is at least the scheduler's earlier count"

# The arena's dump is its globals, one value of the DATASEC's size (not
# one per page of the arena).
poke -j map dump name arena > /dev/null
[ $rc = 0 ] && [ "$(grep -o '"key"' /tmp/poke.out | wc -l)" = 1 ]
ok $? "map dump name arena gives one value: the arena's globals"

# A .rodata tunable: the verifier has folded it into the programs.
poke write .rodata slice_ns=1000000 --signal unix:$sock
[ $rc != 0 ] && grep -q "frozen" /tmp/poke.err && grep -q -- "--force" /tmp/poke.err
ok $? "write .rodata slice_ns is refused without --force, naming the reason"
wait_log "L2-SIGNAL round 1" 60 &&
	line "L2-SIGNAL round 1" | grep -q "rc=1 state=enabled"
ok $? "the guest is told the write failed; scx_qmap still runs"
wait_log "L2-STATS round 1 after" 30
g2=$(line "L2-STATS round 1 after" | sed -n 's/.*enq=\([0-9]*\).*/\1/p')
echo "# guest's stats after: enq=$g2"
[ -n "$g2" ] && [ "$g2" -ge "$v2" ]
ok $? "the scheduler's own count later is at least what bpfpoke read"

# The mission: trip the scheduler's own error path from the host.
poke write .arena qa.test_error_cnt=1 --signal unix:$sock
[ $rc = 0 ] && grep -q "^qa.test_error_cnt = 1$" /tmp/poke.out
ok $? "write .arena qa.test_error_cnt=1 is acknowledged"
wait_log "L2-DONE" 120
echo "# $(line 'L2-SIGNAL round 2')"
line "L2-SIGNAL round 2" | grep -q "rc=0 state=disabled"
ok $? "the guest got WRITE_DONE and sched_ext went to disabled"
grep "^L2-SCX-OUT" $log | tr -d '\r' | sed 's/^/# /'
grep "^L2-KLOG" $log | tr -d '\r' | sed 's/^/# /'
grep -q "^L2-SCX-OUT: .*test triggering error" $log &&
	grep -q "^L2-KLOG: .*qmap.*disabled" $log
ok $? "scx_qmap exited with its own error ('test triggering error'), the guest kernel log shows it"
grep "^L2-KBAD" $log | tr -d '\r' | sed 's/^/# /'
! grep -q "^L2-KBAD" $log
ok $? "no Oops, BUG or WARNING in the guest's kernel log"
stop_l2 5
[ $fails = 0 ]
