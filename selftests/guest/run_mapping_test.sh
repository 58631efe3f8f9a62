#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_mapping_test.sh: the guest kernel model against a real guest.  TAP.
#
# Boots Debian's kernel (scripts/kver.sh) under QEMU TCG with its RAM in a
# shared file (q35, memory-backend-file share=on, 512 MiB, -cpu max), once
# per variant: KASLR with the CPU's default paging (5-level: -cpu max has
# LA57), "nokaslr" and "no5lvl".  The guest (mapping-guest.sh) loads
# guest/demo's BPF object with bpftool, sets values, and writes bpftool's
# view and its /proc/kallsyms and vmlinux BTF to a virtio disk.  The host
# then runs `bpfpoke --mem-file` on the guest's RAM while it runs and
# compares:
#   kernel  `kernel show`: _text equals kallsyms', the paging level and a
#           zero KASLR offset under nokaslr
#   list    `map list -j` equals `bpftool map list -j` (memlock aside)
#   dump    `map dump` of each array map equals `bpftool map dump`
#   btf     `map btf` of demo.bss dumps like `bpftool btf dump id`
#
# Needs qemu-system-x86, busybox-static, bpftool, clang; exits 4 (skip)
# without them.  Every QEMU runs under flock /tmp/bpfpoke-qemu.lock: one
# at a time on the machine.
#   BPFPOKE_BUILD	build directory (default: build/ at the top)
#   KVER		kernel to boot (default: scripts/kver.sh)
#   BPFPOKE_GUEST_VARIANTS	default "kaslr nokaslr no5lvl"
#   BPFPOKE_GUEST_TIMEOUT	seconds to wait for one guest (default 120)
#   BPFPOKE_KEEP=DIR	keep the guest artifacts of the last variant in DIR
#   BPFPOKE_QEMU_LOCK_HELD=1	the caller holds /tmp/bpfpoke-qemu.lock
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BPFPOKE_BUILD:-$top/build}
variants=${BPFPOKE_GUEST_VARIANTS:-kaslr nokaslr no5lvl}
tmo=${BPFPOKE_GUEST_TIMEOUT:-120}
tests_per_variant=5

skip() {
	echo "1..0 # SKIP $*"
	exit 4
}

echo "TAP version 13"
command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 is not installed"
[ -x /bin/busybox ] || skip "busybox-static is not installed"
command -v bpftool > /dev/null || [ -x /usr/sbin/bpftool ] || skip "bpftool is not installed"
kver=${KVER:-$("$top/scripts/kver.sh")} || skip "no usable kernel"
[ -r "/boot/vmlinuz-$kver" ] || skip "/boot/vmlinuz-$kver is not readable"

# Build what is compared (quiet when up to date).
if ! make -s -C "$top/agent" BUILD="$build/agent" > /dev/null ||
   ! make -s -C "$top/guest/demo" BUILD="$build/guest/demo" > /dev/null; then
	echo "Bail out! cannot build bpfpoke or the demo BPF object"
	exit 1
fi
bpfpoke=$build/agent/bpfpoke
demo=$build/guest/demo/demo.bpf.o

work=$(mktemp -d /tmp/bpfpoke-guest.XXXXXX)
ram=/dev/shm/bpfpoke-guest-$$
qpid=
cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2> /dev/null
		wait "$qpid" 2> /dev/null
	fi
	rm -rf "$work" "$ram"
}
trap cleanup EXIT

"$here/mkguest.sh" --run "$here/mapping-guest.sh" \
	--module virtio_blk --module virtio_pci \
	--file "$demo:/demo.bpf.o" "$kver" "$work/guest.cpio.gz" ||
	{ echo "Bail out! mkguest.sh failed"; exit 1; }

# One QEMU at a time on this machine: hold the lock for the whole run.
. "$here/../qemu-lock.sh"
qemu_lock

n=0
echo "1..$(( $(echo $variants | wc -w) * tests_per_variant ))"
result() {	# result OK NAME [DIAG...]
	local ok=$1 name=$2
	shift 2
	n=$((n + 1))
	if [ "$ok" = 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		for d in "$@"; do
			echo "$d" | sed 's/^/# /'
		done
	fi
}

# bpftool's map list without what bpfpoke does not know (memlock, pins,
# pids); bpfpoke prints the same fields in the same order.
norm_list() {
	sed -e 's/"bytes_memlock":[0-9]*,//g' \
	    -e 's/,"pinned":\[[^]]*\]//g' -e 's/,"pids":\[[^]]*\]//g'
}
# The value byte arrays of a map dump.
dump_values() {
	grep -o '"value":\[[^]]*\]'
}

# boot VARIANT: start the guest and wait for its marker, left in $marker.
# Not in a subshell: $qpid must reach stop() and cleanup().
boot() {
	local append="console=ttyS0 panic=-1 printk.time=1" i
	case "$1" in
	nokaslr) append="$append nokaslr" ;;
	no5lvl) append="$append no5lvl" ;;
	esac
	rm -f "$work/console.log" "$ram"
	truncate -s 64M "$work/out.img"
	qemu-system-x86_64 -machine q35,memory-backend=mem -accel tcg \
		-cpu max -smp 1 -m 512 \
		-object memory-backend-file,id=mem,size=512M,mem-path="$ram",share=on \
		-kernel "/boot/vmlinuz-$kver" -initrd "$work/guest.cpio.gz" \
		-append "$append" \
		-drive file="$work/out.img",format=raw,if=virtio \
		-display none -no-reboot -nodefaults -no-user-config \
		-serial file:"$work/console.log" -monitor none \
		< /dev/null > "$work/qemu.log" 2>&1 &
	qpid=$!
	for ((i = 0; i < tmo * 4; i++)); do
		if grep -aq '^BPFPOKE-GUEST-' "$work/console.log" 2> /dev/null; then
			break
		fi
		kill -0 "$qpid" 2> /dev/null || break
		sleep 0.25
	done
	marker=$(grep -a '^BPFPOKE-GUEST-' "$work/console.log" 2> /dev/null | tr -d '\r')
}

stop() {
	kill "$qpid" 2> /dev/null
	wait "$qpid" 2> /dev/null
	qpid=
}

for v in $variants; do
	t0=$(date +%s.%N)
	boot "$v"
	case "$marker" in
	BPFPOKE-GUEST-READY*)
		result 0 "$v: guest ready (${marker#BPFPOKE-GUEST-READY } s guest time)"
		;;
	*)
		result 1 "$v: guest ready" "marker: ${marker:-none}" \
			"$(cat "$work/qemu.log" 2> /dev/null)" \
			"$(tail -n 20 "$work/console.log" 2> /dev/null | tr -d '\r')"
		stop
		for t in kernel list dump btf; do
			result 1 "$v: $t # guest did not come up"
		done
		continue
		;;
	esac
	art=$work/art-$v
	mkdir -p "$art"
	tar -xf "$work/out.img" -C "$art" 2> /dev/null
	pk=("$bpfpoke" --mem-file "$ram" --btf "$art/vmlinux.btf" --symbols "$art/kallsyms")

	# kernel: KASLR found from guest memory alone.
	want_text=$(awk '$3 == "_text" { print "0x" $1; exit }' "$art/kallsyms" | sed 's/0x0*/0x/')
	want_levels=4
	[ -s "$art/la57" ] && [ "$v" != no5lvl ] && want_levels=5
	got=$("${pk[@]}" -j kernel show 2>&1)
	got_text=$(echo "$got" | grep -o '"text":"0x[0-9a-f]*"' | cut -d'"' -f4)
	got_levels=$(echo "$got" | grep -o '"levels":[0-9]*' | cut -d: -f2)
	got_off=$(echo "$got" | grep -o '"kaslr_offset":"0x[0-9a-f]*"' | cut -d'"' -f4)
	ok=0
	[ -n "$want_text" ] && [ "$got_text" = "$want_text" ] || ok=1
	[ "$got_levels" = "$want_levels" ] || ok=1
	if [ "$v" = nokaslr ]; then
		[ "$got_off" = 0x0 ] || ok=1
	fi
	result $ok "$v: kernel found (_text $got_text, $got_levels-level, offset $got_off)" \
		"want _text $want_text, $want_levels-level" "got: $got"

	# list: the same maps as bpftool.
	got=$("${pk[@]}" --times -j map list 2> "$work/times")
	want=$(norm_list < "$art/maps.json")
	nmaps=$(echo "$want" | grep -o '"id":' | wc -l)
	ok=0
	[ "$nmaps" -ge 5 ] && [ "$got" = "$want" ] || ok=1
	result $ok "$v: map list matches bpftool ($nmaps maps; $(sed -n 's/.*map_walk \([0-9.]*\).*total \([0-9.]*\)/walk \1 ms, total \2 ms/p' "$work/times"))" \
		"bpftool: $want" "bpfpoke: $got" "$(cat "$work/times")"

	# dump: every array map's values read from guest memory.
	ok=0 diag= ndump=0
	for id in $(echo "$want" | grep -o '"id":[0-9]*,"type":"array"' | sed 's/"id":\([0-9]*\),.*/\1/'); do
		w=$(dump_values < "$art/dump-$id.json")
		g=$("${pk[@]}" -j map dump id "$id" 2>&1 | dump_values)
		ndump=$((ndump + 1))
		if [ -z "$w" ] || [ "$g" != "$w" ]; then
			ok=1
			diag="$diag map $id: bpftool $w bpfpoke $g"
		fi
	done
	[ "$ndump" -ge 4 ] || ok=1
	result $ok "$v: array values match bpftool ($ndump maps)" "$diag"

	# btf: the program BTF read from guest memory.
	btf_id=$(echo "$want" | grep -o '"name":"demo.bss"[^}]*"btf_id":[0-9]*' | grep -o '[0-9]*$')
	ok=1 diag="no btf_id for demo.bss"
	if [ -n "$btf_id" ] &&
	   "${pk[@]}" map btf name demo.bss file "$work/bss.btf" > /dev/null 2> "$work/err"; then
		if bpftool btf dump file "$work/bss.btf" > "$work/btf.txt" 2>&1 &&
		   cmp -s "$work/btf.txt" "$art/btf-$btf_id.txt"; then
			ok=0
		else
			diag=$(diff "$art/btf-$btf_id.txt" "$work/btf.txt" | head -n 20)
		fi
	else
		diag="$diag $(cat "$work/err" 2> /dev/null)"
	fi
	result $ok "$v: map BTF matches bpftool btf dump (btf_id ${btf_id:-?})" "$diag"

	stop
	if [ -n "${BPFPOKE_KEEP:-}" ]; then
		mkdir -p "$BPFPOKE_KEEP"
		cp -r "$art/." "$BPFPOKE_KEEP/"
	fi
	echo "# $v: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s wall"
done
