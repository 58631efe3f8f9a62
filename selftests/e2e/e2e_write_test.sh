#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The write path end to end, inside L1: QEMU-KVM boots a Debian L2 guest
# (KASLR on, the same kernel as L1) whose bpfpoke-demo has loaded the demo
# BPF target next to a second program with a .bss map, and waits on the
# named port org.bpfpoke.0.  The agent in L1 writes through bpfpoke.ko
# (`bpfpoke --vm QEMU_PID`), with L1's own /proc/kallsyms and vmlinux BTF
# as the guest kernel's description (same build, any KASLR slide).
# Checked from what the guest reports on its console:
#   - .bss and .data writes land (skeleton view, BPF program run, bpftool)
#     and nothing else changes;
#   - an unknown field: WRITE_FAILED, nothing written;
#   - demo.bss and peer.bss: the field picks the map, `stall` (in both) is
#     refused naming both;
#   - atomicity: batches under --freeze sigstop and --freeze qmp:SOCK while
#     a guest checker reads the two fields at least 10,000 times;
#   - the VMM killed while an agent session writes in a loop: a clear
#     error at once, no hang (the L1 kernel log is checked after the run);
#   - a second guest whose RAM lies mostly above 4 GiB
#     (max-ram-below-4g=256M) gets its write.
# TAP.
. /l2/lib.sh

echo "TAP version 13"
echo "1..19"
if [ ! -c /dev/kvm ] || [ ! -x /bin/qemu-system-x86_64 ] || [ ! -x /bin/bpfpoke ]; then
	echo "# no /dev/kvm, QEMU or bpfpoke in L1"
	exit 4
fi

boot_l2 main "" 512 "demo.rounds=5 demo.peer=1 demo.check=12"
wait_log "DEMO-WAITING round 1" 120
ok $? "L2 booted with KASLR, loaded the demo and a second .bss program, waits"
echo "# $(line L2-UP)"
echo "# $(line DEMO-LOADED)"

# round N: waits until the guest has reported round N and bpftool dumped.
round() {
	wait_log "L2-DUMPED round $1" 60
}

# 1: .bss crash=1, the mission's write.
poke --times write .bss crash=1 --signal unix:$sock
[ $rc = 0 ] && grep -q "^crash = 1$" /tmp/poke.out
ok $? "write .bss crash=1 through bpfpoke.ko is acknowledged"
round 1 &&
	[ "$(line 'DEMO-CHANGED round 1')" = "DEMO-CHANGED round 1: crash 0 -> 1" ] &&
	line "DEMO-SIGNAL round 1 done" | grep -q . &&
	line "DEMO-VIEWS round 1 agree" | grep -q .
ok $? "the guest got WRITE_DONE; its skeleton view and a BPF program run both see crash=1, nothing else changed"
bt=$(line "L2-BPFTOOL round 1 demo.bss")
echo "# ${bt#*formatted}" | cut -c 1-200
echo "$bt" | grep -q '"crash":1[,}]'
ok $? "bpftool in the guest shows crash=1"

# 1b: no kernel description: the guest's VMCOREINFO, kallsyms and BTF,
# read through bpfpoke.ko.
timeout -s KILL 120 bpfpoke --vm $qpid --times read .bss crash > /tmp/zc.out 2> /tmp/zc.err
zrc=$?
sed 's/^/# zero-config: /' /tmp/zc.out /tmp/zc.err | tail -n 3
[ $zrc = 0 ] && grep -q "^crash = 1$" /tmp/zc.out
ok $? "read .bss crash with no kernel description, through bpfpoke.ko: crash = 1"

# 2: a .data batch through nested struct, union, array and a negative,
# with the VMM stopped around it.
poke write .data cfg.inner.lo=513 'arr[3]=99' cfg.level=-5 tunable=12 cfg.word=0x01020304 \
	--freeze sigstop --signal unix:$sock
[ $rc = 0 ]
ok $? "write .data of 5 fields under --freeze sigstop is acknowledged"
round 2 &&
	[ "$(line 'DEMO-CHANGED round 2')" = "DEMO-CHANGED round 2: tunable 7 -> 12, cfg.inner.lo 2 -> 513, cfg.word 0xdeadbeef -> 0x1020304, cfg.level -1 -> -5, arr [10,11,12,13,14,15,16,17] -> [10,11,12,99,14,15,16,17]" ] &&
	line "DEMO-VIEWS round 2 agree" | grep -q .
ok $? "the guest sees exactly the five new values in both views"
bt=$(line "L2-BPFTOOL round 2 demo.data")
echo "# ${bt#*formatted}" | cut -c 1-300
echo "$bt" | grep -q '"lo":513' && echo "$bt" | grep -q '"level":-5' &&
	echo "$bt" | grep -q '"arr":\[10,11,12,99,' && echo "$bt" | grep -q '"tunable":12' &&
	echo "$bt" | grep -q '"word":16909060'
ok $? "bpftool in the guest shows the .data values"

# 3: an unknown field: nothing written, the guest told at once.
poke write .bss nosuch=1 crash=7 --signal unix:$sock
[ $rc = 1 ] && grep -q "nosuch" /tmp/poke.err
ok $? "a write naming an unknown field fails (exit 1) and names it"
round 3 &&
	line "DEMO-SIGNAL round 3 failed" | grep -q . &&
	[ "$(line 'DEMO-CHANGED round 3')" = "DEMO-CHANGED round 3: nothing" ] &&
	line "L2-BPFTOOL round 3 demo.bss" | grep -q '"crash":1[,}]'
ok $? "the guest got WRITE_FAILED and nothing was written (crash is still 1)"

# 4: two maps end in .bss: the field picks peer.bss.  With no kernel
# description: the guest's own, through bpfpoke.ko.
described=$kern
kern=
poke --json write .bss peer_flag=3 --freeze qmp:$qmp --signal unix:$sock
kern=$described
[ $rc = 0 ] && grep -q '"map":"peer.bss"' /tmp/poke.out
ok $? "write .bss peer_flag=3 with no kernel description, under --freeze qmp, picks peer.bss, the only .bss map with that field"
round 4 &&
	[ "$(line 'DEMO-CHANGED round 4')" = "DEMO-CHANGED round 4: nothing" ] &&
	line "L2-BPFTOOL round 4 peer.bss" | grep -q '"peer_flag":3'
ok $? "bpftool shows peer_flag=3 in peer.bss; the demo's maps are untouched"

# 5: `stall` is in both: refused, both listed.
poke write .bss stall=2 --signal unix:$sock
[ $rc = 1 ] && grep -q "demo.bss" /tmp/poke.err && grep -q "peer.bss" /tmp/poke.err
ok $? "write .bss stall=2 is refused as ambiguous, naming demo.bss and peer.bss"
round 5 &&
	line "DEMO-SIGNAL round 5 failed" | grep -q . &&
	[ "$(line 'DEMO-CHANGED round 5')" = "DEMO-CHANGED round 5: nothing" ] &&
	line "L2-BPFTOOL round 5 peer.bss" | grep -q '"stall":0'
ok $? "the guest got WRITE_FAILED and nothing was written"

# 6: atomicity.  The checker reads tunable and arr[7]; each batch writes
# both to k with the VMM stopped.
wait_log "DEMO-CHECKING" 90
k=1 bad=0
while [ $k -le 12 ]; do
	# Odd k: SIGSTOP; even k: QMP stop/cont.
	fr=sigstop
	[ $((k % 2)) = 0 ] && fr=qmp:$qmp
	poke write .data tunable=$k "arr[7]=$k" --freeze $fr > /tmp/batch.out
	if [ $rc != 0 ]; then
		bad=$((bad + 1))
		echo "# batch $k (--freeze $fr) exited $rc:"
		cat /tmp/batch.out
	fi
	k=$((k + 1))
done
[ $bad = 0 ]
ok $? "12 two-field batches written, 6 under --freeze sigstop, 6 under --freeze qmp"
# The line after it: the console may still be printing DEMO-CHECKED.
wait_log "DEMO-DONE" 60
c=$(line DEMO-CHECKED)
echo "# $c"
reads=$(echo "$c" | sed -n 's/.*reads=\([0-9]*\).*/\1/p')
echo "$c" | grep -q "torn=0 .*final=seen" && [ "${reads:-0}" -ge 10000 ]
ok $? "the guest's checker never saw half a batch (at least 10,000 reads)"

# 7: the VMM killed while an agent session writes in a loop.
timeout -s KILL 120 write_loop $qpid $loop_desc \
	.bss crash 100 > /tmp/loop.out 2>&1 &
wpid=$!
i=0
while ! grep -q "write_loop: 32 writes" /tmp/loop.out && [ $i -lt 600 ] &&
	kill -0 $wpid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -9 $qpid
wait $qpid 2>/dev/null
wait $wpid
lrc=$?
sed 's/^/# /' /tmp/loop.out | grep -v "writes$" | tail -n 4
grep -q "write_loop: 32 writes" /tmp/loop.out && [ $lrc = 1 ] &&
	grep -q "VMM has exited" /tmp/loop.out
ok $? "VMM killed while the agent writes: the write fails at once with 'the VMM has exited'"
poke write .bss crash=1
[ $rc = 4 ] && grep -q "No such process" /tmp/poke.err
ok $? "a write after the kill fails with a clear error (exit 4)"
stop_l2 12

# 8: a guest whose RAM lies mostly above 4 GiB.
boot_l2 high ",max-ram-below-4g=256M" 1280 "demo.rounds=1"
wait_log "DEMO-WAITING round 1" 120
poke --json write .data tunable=4242 'arr[0]=4243' --signal unix:$sock
gpa=$(sed -n 's/.*"field":"tunable"[^}]*"gpa":"\(0x[0-9a-f]*\)".*/\1/p' /tmp/poke.out)
echo "# .data's tunable is at guest-physical ${gpa:-?}"
round 1 &&
	[ "$(line 'DEMO-CHANGED round 1')" = "DEMO-CHANGED round 1: tunable 7 -> 4242, arr [10,11,12,13,14,15,16,17] -> [4243,11,12,13,14,15,16,17]" ]
r=$?
[ $rc = 0 ] && [ $r = 0 ] && [ -n "$gpa" ] && [ $((gpa >= 0x100000000)) = 1 ]
ok $? "RAM 256 MiB below 4 GiB and 1 GiB above: the map value lies above 4 GiB and the write lands"
stop_l2 4
[ $fails = 0 ]
