# SPDX-License-Identifier: GPL-2.0
#
# Sourced inside L1 by the scripts that drive the L2 write guest
# (l2-write-guest.sh): e2e_write_test.sh, the demo and the end-to-end
# benchmark.  The guest's QEMU gets the named port org.bpfpoke.0 on $sock
# and QMP on $qmp; its console and the output of its /guest-run (on the
# port org.bpfpoke.log, cheaper for the guest than the emulated UART) go to
# $log, both appending.  The agent describes the
# guest kernel with L1's own kallsyms and vmlinux BTF when L1 and L2 boot
# the same kernel build (each with its own KASLR slide; /l2/kver names
# L2's).  Under make check-debug L1 runs a debug kernel and L2 Debian's:
# then the agent gets no description and reads the guest's own (zero
# config), and $loop_desc tells write_loop the same.  e2e_signal_test.sh
# uses the TAP and log helpers with a guest of its own.
sock=/run/l2-write.sock
qmp=/run/l2-qmp.sock
log=/tmp/l2-write.log
if [ "$(cat /l2/kver 2>/dev/null)" = "$(uname -r)" ]; then
	kern="--btf /sys/kernel/btf/vmlinux --symbols /proc/kallsyms"
	loop_desc="/sys/kernel/btf/vmlinux /proc/kallsyms"
else
	kern=
	loop_desc="- -"
fi
# The L2 CPU: L1's (TCG's -cpu max) without XSAVE, whose emulation makes
# the nested kernel WARN at boot, and so without what needs XSAVE: a CPU
# that offers AVX but no XSAVE has 7.x's crypto self-tests run AVX code
# (polyval_mul_pclmul_avx) and take #UD.
l2_cpu=host,-xsave,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq,-avx512f
qpid=
n=0 fails=0

# ok STATUS NAME: one TAP result; $fails counts the failed ones.
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
	fi
}

# wait_log PATTERN SECONDS: waits for a line matching PATTERN in the L2 log,
# SECONDS by L1's clock (not a count of polls: on a loaded debug L1 each
# grep takes long).
wait_log() {
	read -r now _ < /proc/uptime
	end=$((${now%.*} + $2))
	while :; do
		grep -q "$1" $log 2>/dev/null && return 0
		kill -0 $qpid 2>/dev/null || return 1
		read -r now _ < /proc/uptime
		[ "${now%.*}" -lt $end ] || return 1
		sleep 0.1
	done
}

# The line of the L2 log that starts with $1 (the last one).
line() {
	grep "^$1" $log | tail -n 1 | tr -d '\r'
}

# poke ARGS...: runs the agent against the L2 QEMU; output in /tmp/poke.out
# and /tmp/poke.err, exit status in $rc; both shown with $poke_prefix.
poke_prefix="# agent: "
poke() {
	timeout -s KILL 120 bpfpoke --vm $qpid $kern "$@" > /tmp/poke.out 2> /tmp/poke.err
	rc=$?
	sed "s/^/$poke_prefix/" /tmp/poke.out /tmp/poke.err
}

# boot_l2 TAG EXTRA_MACHINE MEM APPEND: starts QEMU-KVM with the L2 guest
# ($l2_initrd, default the write guest's).
l2_initrd=/l2/write.cpio.gz
boot_l2() {
	rm -f $sock $qmp $log
	qemu-system-x86_64 -L /usr/share/qemu \
		-machine "q35,accel=kvm$2" -cpu $l2_cpu -m "$3" -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot \
		-chardev file,id=con,path=$log,append=on -serial chardev:con \
		-kernel /l2/vmlinuz -initrd $l2_initrd \
		-append "console=ttyS0 panic=-1 quiet $4" \
		-device virtio-serial-pci \
		-chardev socket,id=sig,path=$sock,server=on,wait=off \
		-device virtserialport,chardev=sig,name=org.bpfpoke.0 \
		-chardev file,id=out,path=$log,append=on \
		-device virtserialport,chardev=out,name=org.bpfpoke.log \
		-qmp unix:$qmp,server=on,wait=off &
	qpid=$!
}

stop_l2() {
	kill $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	{ cat $log; echo; } | tr -d '\r' | grep -v "^$" | sed 's/^/# L2: /' | tail -n "$1"
}

