#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside L1: QEMU-KVM boots a Debian L2 guest with the named
# virtio-serial port org.bpfpoke.0 on a UNIX socket, as a kernel developer's
# VM would have.  The host side (libbpfpoke's signaller, via signal_send)
# sends WRITE_DONE before the guest has even booted, then WRITE_FAILED,
# then the compat byte; bpfpoke-guest in L2 must report each, and each
# framed signal must be acknowledged.  TAP.
. /l2/lib.sh
# This test's own guest: its port socket and console log.
sock=/run/l2-signal.sock
log=/tmp/l2-signal.log

echo "TAP version 13"
echo "1..6"
if [ ! -c /dev/kvm ] || [ ! -x /bin/qemu-system-x86_64 ]; then
	echo "# no /dev/kvm or QEMU in L1"
	exit 4
fi

qemu-system-x86_64 -L /usr/share/qemu -machine q35,accel=kvm -cpu $l2_cpu -m 256 -smp 1 \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial file:$log -kernel /l2/vmlinuz -initrd /l2/signal.cpio.gz \
	-append "console=ttyS0 panic=-1 quiet" \
	-device virtio-serial-pci \
	-chardev socket,id=sig,path=$sock,server=on,wait=off \
	-device virtserialport,chardev=sig,name=org.bpfpoke.0 &
qpid=$!
i=0
while [ ! -S $sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

# 1: sent while L2 is still booting: resent until the guest opens the
# port, acknowledged once it has.
signal_send unix:$sock done 0 120000
ok $? "WRITE_DONE sent before the guest opened its port is acknowledged"
wait_log "L2-WAIT1 rc=0 write done (signal" 60
ok $? "bpfpoke-guest wait exits 0 on WRITE_DONE"
echo "# L2 was up $(sed -n 's/.*L2-UP \([0-9.]*\).*/\1/p' $log)s after its boot began"

# 2: a failed write is reported with its errno.
signal_send unix:$sock failed 2 60000
ok $? "WRITE_FAILED is acknowledged"
wait_log "L2-WAIT2 rc=1 .*No such file or directory (signal" 60
ok $? "bpfpoke-guest wait exits 1 on WRITE_FAILED and names the errno"

# 3: the single compat byte.  It is not acknowledged, so it is lost when
# no process has the port open (virtio-console drops such data): send it
# once the guest is waiting.
wait_log "L2-WAITING3" 60
sleep 2
signal_send unix:$sock compat
wait_log "L2-WAIT3 rc=0 write done (compat byte)" 60
ok $? "the compat byte 0xBF counts as WRITE_DONE"

wait_log "L2-DONE" 30
kill $qpid 2>/dev/null
wait $qpid
grep -q "L2-DONE" $log && ! grep -q "WARNING:\|BUG:\|Oops" $log
ok $? "L2 ran to the end with a clean kernel log"
# The log may end mid-line (QEMU killed while L2 printed): end it here.
{ cat $log; echo; } | sed 's/^/# L2: /' | tail -n 13
[ $fails = 0 ]
