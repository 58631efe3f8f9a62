#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /guest-run of the L2 Debian guest of e2e_write_test.sh and the demo
# (mkguest.sh's /init has named the virtio-serial ports): loads the peer
# program (a second .bss map) when asked, and runs bpfpoke-demo: it loads
# the demo target through its skeleton and reports, each round, the signal
# it got and the globals as its mmapped view and a BPF program run see
# them, and bpftool's dump (L2-BPFTOOL lines).  Kernel command line:
#   demo.rounds=N	signals to wait for (default 1)
#   demo.check=K	then run the atomicity checker until K
#   demo.peer=1		load /peer.bpf.o first
arg() {
	for w in $(cat /proc/cmdline); do
		case "$w" in
		"$1"=*) echo "${w#*=}"; return ;;
		esac
	done
}

echo "L2-UP $(cut -d' ' -f1 /proc/uptime) $(uname -r) ports: $(ls /dev/virtio-ports)"

maps="demo.bss demo.data"
if [ "$(arg demo.peer)" = 1 ]; then
	if bpftool prog load /peer.bpf.o /sys/fs/bpf/peer > /tmp/peer.log 2>&1; then
		maps="$maps peer.bss"
	else
		echo "L2-FAIL bpftool prog load peer.bpf.o: $(cat /tmp/peer.log)"
	fi
fi
cat > /bin/demo-dump <<DUMP
#!/bin/sh
for m in $maps; do
	echo "L2-BPFTOOL round \$DEMO_ROUND \$m \$(bpftool map dump name \$m -j 2>&1 | tr -d ' \n')"
done
echo "L2-DUMPED round \$DEMO_ROUND"
DUMP
chmod +x /bin/demo-dump

rounds=$(arg demo.rounds)
check=$(arg demo.check)
bpfpoke-demo --rounds "${rounds:-1}" --after demo-dump \
	${check:+--check-until "$check"} --timeout 300000
echo "L2-DEMO-EXIT $?"
echo "L2-IDLE"
sleep 3600
