#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /guest-run of the mapping test guest (see run_mapping_test.sh): loads the
# demo BPF object, sets some values, and hands the host what it compares
# against on the virtio disk /dev/vda (a tar archive): bpftool's map list,
# map dumps and BTF dumps, /proc/kallsyms and the vmlinux BTF.  Then prints
# the ready marker on the console.  With a signal port (org.bpfpoke.0) and
# bpfpoke-guest, it then waits twice for the host's signal, reporting each
# as BPFPOKE-GUEST-WAITn, and writes bpftool's dumps again to the second
# disk /dev/vdb (BPFPOKE-GUEST-DUMP2).  Then it waits to be killed.
out=/out
fail() {
	echo "BPFPOKE-GUEST-FAIL $*: $(cat $out/err 2>/dev/null)"
	sleep 3600
}

bpftool prog load /demo.bpf.o /sys/fs/bpf/demo > $out/load.log 2>&1 ||
	fail "bpftool prog load: $(cat $out/load.log)"

# Value bytes: byte i of .bss is (i * 37 + 5) mod 256; knob (map .data.tune: libbpf names custom sections without the object prefix)
# becomes 0x99.
size=$(bpftool map show name demo.bss | sed -n 's/.* value \([0-9]*\)B.*/\1/p')
[ -n "$size" ] || fail "no demo.bss map"
val= i=0
while [ "$i" -lt "$size" ]; do
	val="$val $(( (i * 37 + 5) % 256 ))"
	i=$((i + 1))
done
bpftool map update name demo.bss key 0 0 0 0 value $val 2> $out/err ||
	fail "bpftool map update demo.bss"
bpftool map update name .data.tune key 0 0 0 0 value 0x99 0 0 0 2> $out/err ||
	fail "bpftool map update .data.tune"
bpftool map update name demo_hash key 1 0 0 0 value 2 0 0 0 0 0 0 0 2> $out/err ||
	fail "bpftool map update demo_hash"

bpftool map list -j > $out/maps.json || fail "bpftool map list"
for id in $(bpftool map list | sed -n 's/^\([0-9]*\): .*/\1/p'); do
	bpftool map dump id "$id" -j > "$out/dump-$id.json" 2>/dev/null
done
for id in $(bpftool map list | sed -n 's/.*btf_id \([0-9]*\).*/\1/p' | sort -u); do
	bpftool btf dump id "$id" > "$out/btf-$id.txt" 2>/dev/null
done
cat /proc/kallsyms > $out/kallsyms
cp /sys/kernel/btf/vmlinux $out/vmlinux.btf
cat /proc/cmdline > $out/cmdline
uname -r > $out/release
grep -o -w la57 /proc/cpuinfo | head -n 1 > $out/la57
tar -cf /dev/vda -C $out . || fail "tar to /dev/vda"
sync
echo "BPFPOKE-GUEST-READY $(cut -d" " -f1 /proc/uptime)"

if [ -e /dev/virtio-ports/org.bpfpoke.0 ] && [ -x /bin/bpfpoke-guest ]; then
	for n in 1 2; do
		res=$(bpfpoke-guest wait --timeout 120000 2>&1)
		echo "BPFPOKE-GUEST-WAIT$n rc=$? $res" | tr '\n' ' '
		echo
	done
	mkdir -p /out2
	for id in $(bpftool map list | sed -n 's/^\([0-9]*\): .*/\1/p'); do
		bpftool map dump id "$id" -j > "/out2/dump-$id.json" 2>/dev/null
	done
	bpftool map list -j > /out2/maps.json
	tar -cf /dev/vdb -C /out2 . && sync
	echo "BPFPOKE-GUEST-DUMP2"
fi
sleep 3600
