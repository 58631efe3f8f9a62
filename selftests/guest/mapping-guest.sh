#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /guest-run of the mapping test guest (see run_mapping_test.sh): loads the
# demo BPF object and the map test target (maps.bpf.o, filled by
# maps_fill), sets some values, and hands the host what it compares
# against on the virtio disk /dev/vda (a tar archive): bpftool's map list,
# map dumps and BTF dumps, /proc/kallsyms and the vmlinux BTF.  Then prints
# the ready marker on the console.  With a signal port (org.bpfpoke.0) and
# bpfpoke-guest, it then waits twice for the host's signal, reporting each
# as BPFPOKE-GUEST-WAITn, and writes bpftool's dumps again to the second
# disk /dev/vdb (BPFPOKE-GUEST-DUMP2).  Then it waits to be killed.
out=/out
# bpftool's map list, one `map show` per map: a bpftool older than the
# kernel (Debian 12's, 7.1, on 6.18+) reuses one struct bpf_map_info for
# every map of `map list`, and since 6.18 the kernel reads that struct in
# before filling it, so a map without BTF shows the previous map's btf_id.
maps_json() {
	local sep=
	printf '['
	for id in $(bpftool map list | sed -n 's/^\([0-9]*\): .*/\1/p'); do
		printf '%s' "$sep"
		bpftool map show id "$id" -j | tr -d '\n'
		sep=,
	done
	printf ']'
}
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

# The map test target: a map of every type bpfpoke looks up by key.
bpftool prog load /maps.bpf.o /sys/fs/bpf/maps_touch pinmaps /sys/fs/bpf/maps \
	> $out/load.log 2>&1 || fail "bpftool prog load maps.bpf.o: $(cat $out/load.log)"
maps_fill /sys/fs/bpf/maps > $out/fill.log 2>&1 || fail "maps_fill: $(cat $out/fill.log)"
# The bench (read_bench.sh): a big hash map, and bpftool's time to dump it
# five times (/proc/uptime: 10 ms ticks).
if [ -e /bench-big ]; then
	maps_fill --big "$(cat /bench-big)" /sys/fs/bpf/maps > $out/big.log 2>&1 ||
		fail "maps_fill --big: $(cat $out/big.log)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	for i in 1 2 3 4 5; do
		bpftool map dump pinned /sys/fs/bpf/maps/big -j > $out/big.json ||
			fail "bpftool map dump big"
	done
	echo "$t0 $(cut -d' ' -f1 /proc/uptime)" > $out/big.time
fi

maps_json > $out/maps.json || fail "bpftool map list"
for id in $(bpftool map list | sed -n 's/^\([0-9]*\): .*/\1/p'); do
	bpftool map dump id "$id" -j > "$out/dump-$id.json" 2>/dev/null
	bpftool map dump id "$id" > "$out/dump-$id.txt" 2>/dev/null
done
bpftool map lookup name cfg_array key 5 0 0 0 > "$out/lookup-cfg_array-5.txt" 2>/dev/null
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
	maps_json > /out2/maps.json
	tar -cf /dev/vdb -C /out2 . && sync
	echo "BPFPOKE-GUEST-DUMP2"
fi
sleep 3600
