#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /guest-run of the L2 guest in e2e_signal_test.sh (mkguest.sh's /init has
# named the virtio-serial ports): waits three times with bpfpoke-guest and
# reports each exit status on the console.
echo "L2-UP $(cut -d' ' -f1 /proc/uptime) $(ls /dev/virtio-ports)"
for n in 1 2 3; do
	echo "L2-WAITING$n"
	out=$(bpfpoke-guest wait --timeout 120000 2>&1)
	echo "L2-WAIT$n rc=$? $out"
done
echo "L2-DONE"
