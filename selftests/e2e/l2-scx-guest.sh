#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /guest-run of the L2 guest of e2e_scx_test.sh: a kernel with sched_ext
# runs scx_qmap, built unmodified from that kernel's tools/sched_ext, as
# its scheduler.  The guest reports on its console what it sees of it:
# the scheduler's state (/sys/kernel/sched_ext/state), bpftool's map list,
# the scheduler's own stats (it reads its arena through its own mmap), and
# after each signal of the host (bpfpoke-guest wait) the state again, the
# scheduler's exit and the kernel log's sched_ext lines.
state() {
	cat /sys/kernel/sched_ext/state 2>/dev/null || echo "no-sched_ext"
}

echo "L2-UP $(cut -d' ' -f1 /proc/uptime) $(uname -r) ports: $(ls /dev/virtio-ports)"
# Busy tasks for the scheduler to enqueue and dispatch.
for i in 1 2; do
	while :; do :; done &
done
scx_qmap > /tmp/scx.out 2>&1 &
scx=$!
i=0
while [ $i -lt 600 ] && [ "$(state)" != enabled ]; do
	kill -0 $scx 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
echo "L2-SCX-STATE $(state) ops=$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null)"
if [ "$(state)" != enabled ]; then
	# Why it did not start: the loader's whole report.
	sed 's/^/L2-SCX-OUT: /' /tmp/scx.out
fi
echo "L2-MAPS $(bpftool map list -j 2>&1 | tr -d ' \n')"

# Each round: the scheduler's latest stats, then one signal from the host.
for round in 1 2 3; do
	echo "L2-STATS round $round $(grep '^stats' /tmp/scx.out | tail -n 1)"
	echo "L2-WAITING round $round"
	out=$(bpfpoke-guest wait --timeout 240000 2>&1)
	rc=$?
	nstats=$(grep -c '^stats' /tmp/scx.out)
	# The error exits the scheduler from a kernel work item: give it time.
	i=0
	while [ $i -lt 100 ] && [ "$(state)" = enabling ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
	echo "L2-SIGNAL round $round rc=$rc state=$(state) $out"
	# A stats line printed after the signal (one a second), if it runs.
	i=0
	while [ $i -lt 30 ] && kill -0 $scx 2>/dev/null &&
	      [ "$(grep -c '^stats' /tmp/scx.out)" -le "$nstats" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "L2-STATS round $round after $(grep '^stats' /tmp/scx.out | tail -n 1)"
	if ! kill -0 $scx 2>/dev/null; then
		wait $scx
		echo "L2-SCX-EXITED round $round status=$?"
		sed 's/^/L2-SCX-OUT: /' /tmp/scx.out | grep -v 'L2-SCX-OUT: \(stats\|----\| *cid\|  \)' | tail -n 20
		break
	fi
done
dmesg | grep -i "sched_ext" | sed 's/^/L2-KLOG: /'
dmesg | grep -E "Oops|BUG:|WARNING:|general protection|Kernel panic|Call Trace" | sed 's/^/L2-KBAD: /'
echo "L2-DONE"
sleep 3600
