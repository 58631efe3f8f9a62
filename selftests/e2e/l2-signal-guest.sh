#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /guest-run of the L2 guest in e2e_signal_test.sh: names the virtio-serial
# ports as udev would, then waits three times with bpfpoke-guest and
# reports each exit status on the console.
mkdir -p /dev/virtio-ports /run
for p in /sys/class/virtio-ports/*; do
	[ -e "$p/name" ] || continue
	ln -sf "/dev/$(basename "$p")" "/dev/virtio-ports/$(cat "$p/name")"
done
echo "L2-UP $(cut -d' ' -f1 /proc/uptime) $(ls /dev/virtio-ports)"
for n in 1 2 3; do
	echo "L2-WAITING$n"
	out=$(bpfpoke-guest wait --timeout 120000 2>&1)
	echo "L2-WAIT$n rc=$? $out"
done
echo "L2-DONE"
