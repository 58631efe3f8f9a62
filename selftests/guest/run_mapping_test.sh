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
#   elems   `map dump -j` (raw bytes and bpftool's "formatted" BTF view) of
#           the map test target's maps (selftests/guest/
#           maps.bpf.c, filled by maps_fill on 2 CPUs: array,
#           percpu_array, hash with struct keys and collisions, lru_hash,
#           percpu_hash, lru_percpu_hash, a 5-byte key, no-prealloc hash)
#           equals bpftool's,
#           element for element; the plain-text dump (and a lookup) of
#           each equals bpftool's byte for byte; `map lookup` by bytes, by
#           number and per CPU equals bpftool's element; a missing key and
#           a ringbuf are refused
#   btf     `map btf` of demo.bss dumps like `bpftool btf dump id`
#   read    `read` of .bss, .data (nested members, array elements) and
#           .data.tune fields equals bpftool's formatted dump
#   show    `map show .data -j` lays cfg.inner.lo out where `read` found it
# and in the write variant (BPFPOKE_WRITE_VARIANT, default kaslr; its QEMU
# has a virtio-serial port org.bpfpoke.0 on a UNIX socket, and the guest
# waits with bpfpoke-guest):
#   a write with an unknown field fails at once, the guest gets
#   WRITE_FAILED and nothing is written; a frozen .rodata is refused; a
#   .data write and a .bss write (QEMU frozen with SIGSTOP around it) are
#   acknowledged, the guest gets WRITE_DONE, and bpftool's new dump has
#   the written values.
#
# Needs qemu-system-x86, busybox-static, bpftool, clang; exits 4 (skip)
# without them.  Every QEMU runs under flock /tmp/bpfpoke-qemu.lock: one
# at a time on the machine.
#   BPFPOKE_BUILD	build directory (default: build/ at the top)
#   KVER		kernel to boot (default: scripts/kver.sh)
#   BPFPOKE_GUEST_VARIANTS	default "kaslr nokaslr no5lvl"
#   BPFPOKE_WRITE_VARIANT	the variant that runs the write tests (default kaslr)
#   BPFPOKE_GUEST_TIMEOUT	seconds to wait for one guest (default 120)
#   BPFPOKE_KEEP=DIR	keep the guest artifacts of the last variant in DIR
#   BPFPOKE_SEED_DIR=DIR	save fuzz seeds from the guest there (its
#			VMCOREINFO text, its programs' BTF): selftests/fuzz/seeds/
#   BPFPOKE_QEMU_LOCK_HELD=1	the caller holds /tmp/bpfpoke-qemu.lock
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BPFPOKE_BUILD:-$top/build}
variants=${BPFPOKE_GUEST_VARIANTS:-kaslr nokaslr no5lvl}
elem_maps="cfg_array pcpu_array flows lru pcpu_hash lru_pcpu odd_keys noprealloc"
tests_per_variant=$((14 + $(echo $elem_maps | wc -w)))
write_variant=${BPFPOKE_WRITE_VARIANT:-kaslr}
write_tests=6
# json_tests: every command and error path under -j, through jq.
json_names="kernel list show dump dump-hash lookup-missing dump-ringbuf dump-noid btf read read-nofield read-nomap write write-badvalue write-unacked write-noport write-noqmp write-zero-config write-zero-config-frozen"
write_tests=$((write_tests + $(echo $json_names | wc -w)))

skip() {
	echo "1..0 # SKIP $*"
	exit 4
}

echo "TAP version 13"
command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 is not installed"
[ -x /bin/busybox ] || skip "busybox-static is not installed"
command -v bpftool > /dev/null || [ -x /usr/sbin/bpftool ] || skip "bpftool is not installed"
kver=${KVER:-$("$top/scripts/kver.sh")} || skip "no usable kernel"
kimg=$("$top/scripts/kroot.sh" "$kver")/boot/vmlinuz-$kver
[ -r "$kimg" ] || skip "$kimg is not readable"

# Build what is compared (quiet when up to date).
if ! make -s -C "$top/agent" BUILD="$build/agent" > /dev/null ||
   ! make -s -C "$top/guest/demo" BUILD="$build/guest/demo" > /dev/null ||
   ! make -s -C "$top/guest" BUILD="$build/guest" "$build/guest/bpfpoke-guest" > /dev/null ||
   ! make -s -C "$here" BUILD="$build/selftests/guest" > /dev/null; then
	echo "Bail out! cannot build bpfpoke, the demo BPF object or the map test target"
	exit 1
fi
bpfpoke=$build/agent/bpfpoke
demo=$build/guest/demo/demo.bpf.o

work=$(mktemp -d /tmp/bpfpoke-guest.XXXXXX)
ram=/dev/shm/bpfpoke-guest-$$
# A description cache of this run's own: the first variant's zero-config
# commands describe the guest from its memory, the later ones from the
# cache (the same kernel build).
export BPFPOKE_CACHE_DIR=$work/cache
# Two CPUs: per-CPU values that differ between them.
export BPFPOKE_GUEST_SMP=${BPFPOKE_GUEST_SMP:-2}
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
	--module virtio_blk --module virtio_pci --module virtio_console \
	--bin "$build/guest/bpfpoke-guest" --bin "$build/selftests/guest/maps_fill" \
	--file "$build/selftests/guest/maps.bpf.o:/maps.bpf.o" \
	--file "$demo:/demo.bpf.o" "$kver" "$work/guest.cpio.gz" ||
	{ echo "Bail out! mkguest.sh failed"; exit 1; }

# One QEMU at a time on this machine: hold the lock for the whole run.
. "$here/../qemu-lock.sh"
qemu_lock
. "$here/guest-lib.sh"

n=0
plan=$(( $(echo $variants | wc -w) * tests_per_variant ))
case " $variants " in *" $write_variant "*) plan=$((plan + write_tests)) ;; esac
echo "1..$plan"
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

# A map dump as compared: sorted by key, bpftool's BTF view ("formatted")
# included.
norm_dump() {
	jq -cS 'sort_by(.key)'
}
# map_id NAME: the id of map NAME in bpftool's map list.
map_id() {
	jq -r --arg n "$1" '.[] | select(.name == $n) | .id' "$art/maps.json" 2> /dev/null
}
# key_args DUMP I: the key of element I of a normalised dump, as bytes.
key_args() {
	echo "$1" | jq -r ".[$2].key | join(\" \")"
}

elem_tests() {
	local name id type want got nel bytes entry kb
	for name in $elem_maps; do
		id=$(map_id "$name")
		type=$(jq -r --arg n "$name" '.[] | select(.name == $n) | .type' "$art/maps.json" 2> /dev/null)
		want=$(norm_dump < "$art/dump-$id.json" 2>&1)
		got=$("${pk[@]}" -j --times map dump id "${id:-0}" 2> "$work/err" | norm_dump 2>&1)
		nel=$(echo "$want" | jq length 2> /dev/null)
		ok=0
		[ -n "$id" ] && [ "${nel:-0}" -gt 0 ] && [ "$got" = "$want" ] || ok=1
		result $ok "$v: map dump $name ($type, ${nel:-?} elements) equals bpftool's ($(sed -n 's/.*total \([0-9.]*\).*/\1 ms/p' "$work/err"))" \
			"bpftool: $(echo "$want" | head -c 800)" \
			"bpfpoke: $(echo "$got" | head -c 800)" "$(cat "$work/err")"
	done

	# Plain text, as bpftool prints it: a map with BTF as its pretty
	# typed view, byte for byte.
	ok=0 diag=
	for name in $elem_maps; do
		id=$(map_id "$name")
		"${pk[@]}" map dump id "${id:-0}" > "$work/plain.txt" 2>&1
		if [ ! -s "$art/dump-$id.txt" ] || ! cmp -s "$art/dump-$id.txt" "$work/plain.txt"; then
			ok=1 diag="$diag
$name: $(diff "$art/dump-$id.txt" "$work/plain.txt" 2>&1 | head -n 12)"
		fi
	done
	"${pk[@]}" map lookup name cfg_array key 5 > "$work/plain.txt" 2>&1
	cmp -s "$art/lookup-cfg_array-5.txt" "$work/plain.txt" || { ok=1; diag="$diag
lookup cfg_array key 5: $(diff "$art/lookup-cfg_array-5.txt" "$work/plain.txt" 2>&1 | head -n 12)"; }
	result $ok "$v: map dump and lookup in plain text equal bpftool's, byte for byte (typed by BTF)" "$diag"

	# lookup: by key bytes (hash, per-CPU hash and one CPU of it, 5-byte
	# key), by number (array index), a missing key, a ringbuf.
	ok=0 diag=
	for name in flows lru pcpu_hash lru_pcpu odd_keys noprealloc pcpu_array; do
		id=$(map_id "$name")
		want=$(norm_dump < "$art/dump-$id.json" 2>&1)
		bytes=$(key_args "$want" 3)
		entry=$(echo "$want" | jq -c '.[3]')
		got=$("${pk[@]}" -j map lookup id "$id" key $bytes 2>&1 | jq -cS . 2>&1)
		if [ -z "$bytes" ] || [ "$got" != "$entry" ]; then
			ok=1 diag="$diag
$name key $bytes: bpftool $entry bpfpoke $got"
		fi
	done
	id=$(map_id pcpu_hash)
	want=$(norm_dump < "$art/dump-$id.json" 2>&1)
	entry=$(echo "$want" | jq -c '.[5] | .values = [.values[] | select(.cpu == 1)] |
		.formatted.values = [.formatted.values[] | select(.cpu == 1)]')
	got=$("${pk[@]}" -j map lookup id "$id" key hex $(key_args "$want" 5 | sed 's/0x//g') cpu 1 2>&1 | jq -cS . 2>&1)
	[ "$got" = "$entry" ] || { ok=1; diag="$diag
pcpu_hash cpu 1: bpftool $entry bpfpoke $got"; }
	# flows' struct key by its fields (from element 3's bytes: jq's
	# numbers cannot hold the 64-bit cookie).
	want=$(norm_dump < "$art/dump-$(map_id flows).json" 2>&1)
	kb=($(echo "$want" | jq -r '.[3].key[] | ltrimstr("0x")'))
	entry=$(echo "$want" | jq -c '.[3]')
	got=$("${pk[@]}" -j map lookup name flows key saddr=0x${kb[3]}${kb[2]}${kb[1]}${kb[0]} \
		port=0x${kb[5]}${kb[4]} proto=0x${kb[6]} \
		cookie=0x${kb[15]}${kb[14]}${kb[13]}${kb[12]}${kb[11]}${kb[10]}${kb[9]}${kb[8]} 2>&1 | jq -cS . 2>&1)
	[ "${#kb[@]}" = 16 ] && [ "$got" = "$entry" ] || { ok=1; diag="$diag
flows by fields: bpftool $entry bpfpoke $got"; }
	want=$(norm_dump < "$art/dump-$(map_id cfg_array).json" 2>&1)
	entry=$(echo "$want" | jq -c '.[] | select(.key == ["0x05","0x00","0x00","0x00"])')
	got=$("${pk[@]}" -j map lookup name cfg_array key 5 2>&1 | jq -cS . 2>&1)
	[ -n "$entry" ] && [ "$got" = "$entry" ] || { ok=1; diag="$diag
cfg_array key 5: bpftool $entry bpfpoke $got"; }
	got=$("${pk[@]}" map lookup name flows key hex $(printf 'ff %.0s' $(seq 16)) 2>&1)
	rc=$?
	[ "$rc" = 1 ] && echo "$got" | grep -q "no element" || { ok=1; diag="$diag
missing key: exit $rc: $got"; }
	got=$("${pk[@]}" map dump name events 2>&1)
	rc=$?
	[ "$rc" = 1 ] && echo "$got" | grep -q "ringbuf maps are not supported" || { ok=1; diag="$diag
ringbuf: exit $rc: $got"; }
	result $ok "$v: map lookup by bytes, by struct key fields, by number and per CPU equals bpftool's; a missing key and a ringbuf refused" "$diag"

	# A guest that does not run at all (its QEMU stopped, as a wedged
	# guest's may be): its maps are dumped all the same.
	ok=0 diag=
	kill -STOP "$qpid"
	for name in flows pcpu_hash; do
		want=$(norm_dump < "$art/dump-$(map_id "$name").json" 2>&1)
		got=$("${pk[@]}" -j map dump name "$name" 2>&1 | norm_dump 2>&1)
		[ -n "$want" ] && [ "$got" = "$want" ] || { ok=1; diag="$diag
$name: bpftool $(echo "$want" | head -c 300) bpfpoke $(echo "$got" | head -c 300)"; }
	done
	[ "$(awk '{ print $3 }' "/proc/$qpid/stat")" = T ] || { ok=1; diag="$diag
QEMU was not stopped"; }
	kill -CONT "$qpid"
	result $ok "$v: a stopped guest (QEMU under SIGSTOP) has its hash maps dumped as bpftool dumped them" "$diag"
}

# save_seeds DIR RELEASE: fuzz seeds from the running guest.
save_seeds() {
	local gpa
	mkdir -p "$1"
	gpa=$("$bpfpoke" --mem-file "$ram" -j kernel vmcoreinfo | jq -r .gpa)
	dd if="$ram" bs=4096 skip=$((gpa / 4096)) count=1 status=none |
		tr -d '\000' > "$1/vmcoreinfo-$2"
	"${pk[@]}" map btf name demo.bss file "$1/btf-demo-$2" > /dev/null
	"${pk[@]}" map btf name flows file "$1/btf-maps-$2" > /dev/null
	kallsyms_seed "$1/vmcoreinfo-$2" "$1/kallsyms-$2"
}

# kallsyms_seed VMCOREINFO OUT: the guest's own kallsyms tables, cut to
# their first 1000 symbols, in fuzz_kallsyms' input layout: the count at
# 0 (byte 4: has a relative base, at 8), token index at 0x10, token
# table at 0x210, offsets at 0x1000, names at 0x2000, then a page of 0.
kallsyms_seed() {
	local vi=$1 out=$2 pb n=1000 tlen nlen
	pb=$(sed -n 's/^NUMBER(phys_base)=//p' "$vi")
	# A kernel-image address's guest-physical one, as __pa_symbol().
	gpa() {
		local a
		a=$(sed -n "s/^SYMBOL($1)=//p" "$vi")
		[ -n "$a" ] && echo $((0x$a - 0xffffffff80000000 + pb))
	}
	rd() {	# rd GPA BYTES
		dd if="$ram" iflag=skip_bytes,count_bytes bs=64K skip="$1" count="$2" status=none
	}
	put() {	# put OFFSET: stdin into $out at OFFSET
		dd of="$out" oflag=seek_bytes conv=notrunc bs=64K seek="$1" status=none
	}
	# The token table: 256 NUL-terminated tokens.
	tlen=$(rd "$(gpa kallsyms_token_table)" 4096 | od -An -v -tu1 -w1 |
		awk '{ p++ } $1 == 0 && ++z == 256 { print p; exit }')
	# The names of the first $n symbols: a 1- or 2-byte (ULEB128) length each.
	nlen=$(rd "$(gpa kallsyms_names)" 65536 | od -An -v -tu1 -w1 |
		awk -v n=$n '{ b[i++] = $1 } END {
			for (k = 0; k < n; k++) {
				l = b[p]
				if (l >= 128) { l = l - 128 + b[p + 1] * 128; p += 2 } else p++
				p += l
			}
			print p }')
	[ -n "$tlen" ] && [ "$tlen" -le $((0x1000 - 0x210)) ] && [ -n "$nlen" ] || return 1
	rm -f "$out"
	# A page more: the decoder reads names a page at a time at least.
	truncate -s $((0x2000 + nlen + 4096)) "$out"
	printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8)))" | put 0
	if [ -n "$(gpa kallsyms_relative_base)" ]; then
		printf '\001' | put 4
		rd "$(gpa kallsyms_relative_base)" 8 | put 8
	fi
	rd "$(gpa kallsyms_token_index)" 512 | put $((0x10))
	rd "$(gpa kallsyms_token_table)" "$tlen" | put $((0x210))
	rd "$(gpa kallsyms_offsets)" $((4 * n)) | put $((0x1000))
	rd "$(gpa kallsyms_names)" "$nlen" | put $((0x2000))
}

# boot VARIANT: start the guest and wait for its marker, left in $marker
# (guest-lib.sh).  Not in a subshell: $qpid must reach stop() and cleanup().
boot() {
	local append="console=ttyS0 panic=-1 printk.time=1"
	case "$1" in
	nokaslr) append="$append nokaslr" ;;
	no5lvl) append="$append no5lvl" ;;
	esac
	local extra=()
	rm -f "$work/sig.sock" "$work/qmp.sock" "$work/out2.img"
	if [ "$1" = "$write_variant" ]; then
		truncate -s 16M "$work/out2.img"
		extra=(-drive file="$work/out2.img",format=raw,if=virtio
		       -device virtio-serial-pci
		       -chardev socket,id=sig,path="$work/sig.sock",server=on,wait=off
		       -device virtserialport,chardev=sig,name=org.bpfpoke.0
		       -qmp unix:"$work/qmp.sock",server=on,wait=off)
	fi
	guest_boot "$work" "$ram" "$kver" "$work/guest.cpio.gz" "$append" "${extra[@]}"
}

# fmt_val DUMP NAME: the first "NAME":NUMBER in bpftool's formatted dump.
fmt_val() {
	grep -o "\"$2\":-\?[0-9]*" "$1" | head -n 1 | cut -d: -f2
}
# fmt_elem DUMP NAME I: element I of the array "NAME":[...].
fmt_elem() {
	grep -o "\"$2\":\[[-0-9,]*\]" "$1" | head -n 1 | tr -d '[]' |
		cut -d: -f2 | cut -d, -f$(($3 + 1))
}
# dump_of DIR NAME: bpftool's dump file of the map NAME.
dump_of() {
	local id
	id=$(grep -o "\"id\":[0-9]*,\"type\":\"array\",\"name\":\"$2\"" "$1/maps.json" |
		head -n 1 | sed 's/"id":\([0-9]*\),.*/\1/')
	echo "$1/dump-$id.json"
}
# want_lines DIR: what `bpfpoke read` prints for the fields read_tests reads.
want_lines() {
	local bss data tune
	bss=$(dump_of "$1" demo.bss) data=$(dump_of "$1" demo.data)
	tune=$(dump_of "$1" .data.tune)
	echo "crash = $(fmt_val "$bss" crash)"
	echo "stall = $(fmt_val "$bss" stall)"
	echo "runs = $(fmt_val "$bss" runs)"
	echo "tunable = $(fmt_val "$data" tunable)"
	echo "cfg.inner.lo = $(fmt_val "$data" lo)"
	echo "cfg.inner.wide = $(fmt_val "$data" wide)"
	echo "cfg.level = $(fmt_val "$data" level)"
	echo "arr[3] = $(fmt_elem "$data" arr 3)"
	echo "knob = $(fmt_val "$tune" knob)"
}
got_lines() {
	"${pk[@]}" read .bss crash stall runs &&
	"${pk[@]}" read .data tunable cfg.inner.lo cfg.inner.wide cfg.level 'arr[3]' &&
	"${pk[@]}" read .data.tune knob
}

read_tests() {
	local v=$1 want got off_show off_read
	want=$(want_lines "$art")
	got=$(got_lines 2>&1)
	ok=0
	[ -n "$want" ] && [ "$got" = "$want" ] || ok=1
	echo "$want" | grep -q '= $' && ok=1
	result $ok "$v: read matches bpftool ($(echo "$want" | wc -l) fields)" \
		"bpftool: $want" "bpfpoke: $got"

	got=$("${pk[@]}" -j map show .data 2>&1)
	off_show=$(echo "$got" | grep -o '"field":"cfg.inner.lo","offset":[0-9]*' | grep -o '[0-9]*$')
	off_read=$("${pk[@]}" -j read .data cfg.inner.lo 2>&1 | grep -o '"offset":[0-9]*' | cut -d: -f2)
	ok=0
	[ -n "$off_show" ] && [ "$off_show" = "$off_read" ] || ok=1
	echo "$got" | grep -q '"field":"arr","offset":[0-9]*,"size":32' || ok=1
	result $ok "$v: map show lays out .data (cfg.inner.lo at $off_show)" "show: $got" \
		"read offset: $off_read"
}

# wait_console PATTERN SECONDS
wait_console() {
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		grep -aq "$1" "$work/console.log" 2> /dev/null && return 0
		sleep 0.25
	done
	return 1
}

write_tests() {
	local v=$1 out rc ok runs0 got t0 sig=(--signal unix:"$work/sig.sock")
	runs0=$(fmt_val "$(dump_of "$art" demo.bss)" runs)

	# An unknown field: nothing written, WRITE_FAILED at once.
	t0=$(date +%s.%N)
	out=$("${pk[@]}" write .bss runs=12345 nosuchfield=1 "${sig[@]}" 2>&1)
	rc=$?
	wait_console "^BPFPOKE-GUEST-WAIT1" 30
	got=$("${pk[@]}" read .bss runs 2>&1)
	ok=0
	[ "$rc" = 1 ] || ok=1
	echo "$out" | grep -q "'nosuchfield'" || ok=1
	grep -aq "^BPFPOKE-GUEST-WAIT1 rc=1 .*failed" "$work/console.log" || ok=1
	[ "$got" = "runs = $runs0" ] || ok=1
	result $ok "$v: write with an unknown field fails, guest gets WRITE_FAILED ($(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s), nothing written" \
		"exit $rc: $out" "after: $got (want runs = $runs0)" \
		"$(grep -a BPFPOKE-GUEST-WAIT "$work/console.log" | tr -d '\r')"

	# A frozen .rodata: refused unless --force.
	out=$("${pk[@]}" write .rodata version=5 2>&1)
	rc=$?
	got=$("${pk[@]}" read .rodata version 2>&1)
	ok=0
	[ "$rc" = 1 ] && echo "$out" | grep -q "frozen" && [ "$got" = "version = 1" ] || ok=1
	result $ok "$v: write to frozen .rodata refused without --force" "exit $rc: $out" "after: $got"

	update_tests "$v"

	# .data with QEMU stopped through QMP, without a signal, then .bss
	# with QEMU stopped by SIGSTOP and a signal.
	out=$("${pk[@]}" write .data tunable=99 cfg.inner.lo=513 'arr[3]=4242' cfg.level=-7 \
		--freeze qmp:"$work/qmp.sock" --signal none 2>&1)
	rc=$?
	out="$out
$("${pk[@]}" write .bss crash=1 stall=0x2 --freeze sigstop:"$qpid" "${sig[@]}" 2>&1)"
	rc="$rc $?"
	wait_console "^BPFPOKE-GUEST-WAIT2" 30
	ok=0
	[ "$rc" = "0 0" ] || ok=1
	echo "$out" | grep -q "acknowledged by the guest" || ok=1
	grep -aq "^BPFPOKE-GUEST-WAIT2 rc=0 write done" "$work/console.log" || ok=1
	[ "$(awk '{ print $3 }' "/proc/$qpid/stat")" != T ] || ok=1
	result $ok "$v: write .data under QMP stop/cont, write .bss under SIGSTOP: acknowledged, guest gets WRITE_DONE" \
		"exit $rc: $out" "$(grep -a BPFPOKE-GUEST-WAIT "$work/console.log" | tr -d '\r')"

	# bpftool in the guest sees the values.
	wait_console "^BPFPOKE-GUEST-DUMP2" 60
	mkdir -p "$work/art2"
	tar -xf "$work/out2.img" -C "$work/art2" 2> /dev/null
	cp "$art/maps.json" "$work/art2/maps.json.1" 2> /dev/null
	got=$(bss=$(dump_of "$work/art2" demo.bss) data=$(dump_of "$work/art2" demo.data)
	      echo "crash=$(fmt_val "$bss" crash) stall=$(fmt_val "$bss" stall) runs=$(fmt_val "$bss" runs)" \
		   "tunable=$(fmt_val "$data" tunable) lo=$(fmt_val "$data" lo) arr3=$(fmt_elem "$data" arr 3)" \
		   "level=$(fmt_val "$data" level) hi=$(fmt_val "$data" hi)")
	want="crash=1 stall=2 runs=$runs0 tunable=99 lo=513 arr3=4242 level=-7 hi=3"
	ok=0
	[ "$got" = "$want" ] || ok=1
	result $ok "$v: bpftool in the guest sees the written values" "want: $want" "got:  $got"

	# ... and the updated elements.
	got=$(fk=$(dump_by_name "$work/art2" flows) pk_=$(dump_by_name "$work/art2" pcpu_hash)
	      cf=$(dump_by_name "$work/art2" cfg_array) lr=$(dump_by_name "$work/art2" lru)
	      jq -r --argjson k "$upd_flow" '.[] | select(.key == $k) | "weight=\(.formatted.value.weight) tag=\(.formatted.value.tag)"' "$fk"
	      jq -r --argjson k "$upd_pcpu" '.[] | select(.key == $k) | "cpu0=\(.formatted.values[0].value.packets) cpu1=\(.formatted.values[1].value.packets)"' "$pk_"
	      jq -r '.[] | select(.key == ["0x07","0x00","0x00","0x00"]) | "prio=\(.formatted.value.prio) weight=\(.formatted.value.weight)"' "$cf"
	      jq -r --argjson k "$upd_lru" '.[] | select(.key == $k) | "packets=\(.formatted.value.packets)"' "$lr" 2>&1)
	want="weight=4242 tag=upd
cpu0=$upd_pcpu0 cpu1=4822678189205111
prio=-9 weight=50
packets=77"
	ok=0
	[ "$got" = "$want" ] || ok=1
	result $ok "$v: bpftool in the guest sees the updated elements (hash under QMP, per-CPU hash CPU 1, array, LRU)" \
		"want: $want" "got:  $got"
}

# dump_by_name DIR NAME: bpftool's dump file of map NAME (any type).
dump_by_name() {
	echo "$1/dump-$(jq -r --arg n "$2" '.[] | select(.name == $n) | .id' "$1/maps.json").json"
}

# map update: in place, typed fields (FIELD=V and value.FIELD=V) and
# bytes, per CPU, under QMP; a
# key the map does not hold and a bad field refused with nothing written.
update_tests() {
	local v=$1 out rc ok=0 diag= want before after id
	want=$(norm_dump < "$(dump_by_name "$art" flows)")
	upd_flow=$(echo "$want" | jq -c '.[4].key')
	id=$(map_id pcpu_hash)
	want=$(norm_dump < "$art/dump-$id.json")
	upd_pcpu=$(echo "$want" | jq -c '.[2].key')
	upd_pcpu0=$(echo "$want" | jq -r '.[2].values[0].value[0:8] | reverse | map(ltrimstr("0x")) | join("")' | xargs -I{} printf '%d' 0x{})
	want=$(norm_dump < "$(dump_by_name "$art" lru)")
	upd_lru=$(echo "$want" | jq -c '.[9].key')

	# A snapshot: the guest paused through QMP for the dump, then continued.
	want=$(norm_dump < "$(dump_by_name "$art" flows)")
	out=$("${pk[@]}" -j map dump name flows --freeze qmp:"$work/qmp.sock" 2>&1 | norm_dump 2>&1)
	[ -n "$want" ] && [ "$out" = "$want" ] || { ok=1; diag="$diag
dump --freeze qmp: $(echo "$out" | head -c 300)"; }

	out=$("${pk[@]}" -j map update name flows key $(echo "$upd_flow" | jq -r 'join(" ")') \
		value weight=4242 tag=upd --freeze qmp:"$work/qmp.sock" 2>&1)
	rc=$?
	[ "$rc" = 0 ] && echo "$out" | jq -e '.written | length == 2 and .[0].field == "weight" and .[0].value == 4242' > /dev/null 2>&1 ||
		{ ok=1; diag="$diag
flows: exit $rc: $out"; }
	# CPU 1's value of a per-CPU hash, as bytes (packets 0x11223344556677:
	# below 2^53, which jq's numbers hold exactly).
	out=$("${pk[@]}" map update name pcpu_hash key $(echo "$upd_pcpu" | jq -r 'join(" ")') cpu 1 \
		value hex 77 66 55 44 33 22 11 00 00 00 00 00 00 00 00 00 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { ok=1; diag="$diag
pcpu_hash: exit $rc: $out"; }
	out=$("${pk[@]}" map update name cfg_array key 7 value.prio=-9 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { ok=1; diag="$diag
cfg_array: exit $rc: $out"; }
	out=$("${pk[@]}" map update name lru key $(echo "$upd_lru" | jq -r 'join(" ")') value packets=77 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { ok=1; diag="$diag
lru: exit $rc: $out"; }
	# Refused, and nothing of the batch written.
	before=$("${pk[@]}" -j map dump name flows 2>&1 | norm_dump)
	out=$("${pk[@]}" map update name flows key hex $(printf 'ff %.0s' $(seq 16)) value weight=1 2>&1)
	rc=$?
	[ "$rc" = 1 ] && echo "$out" | grep -q "no element with this key.*inserting" ||
		{ ok=1; diag="$diag
missing key: exit $rc: $out"; }
	out=$("${pk[@]}" map update name flows key $(echo "$upd_flow" | jq -r 'join(" ")') value weight=1 nosuch=2 2>&1)
	rc=$?
	[ "$rc" = 1 ] && echo "$out" | grep -q "nosuch" || { ok=1; diag="$diag
bad field: exit $rc: $out"; }
	out=$("${pk[@]}" map update name events key 0 value 0 2>&1)
	rc=$?
	[ "$rc" = 1 ] && echo "$out" | grep -q "not supported" || { ok=1; diag="$diag
ringbuf: exit $rc: $out"; }
	after=$("${pk[@]}" -j map dump name flows 2>&1 | norm_dump)
	[ -n "$before" ] && [ "$before" = "$after" ] || { ok=1; diag="$diag
flows changed by a refused update"; }
	# bpfpoke's own lookup sees the updates at once.
	out=$("${pk[@]}" -j map lookup name pcpu_hash key $(echo "$upd_pcpu" | jq -r 'join(" ")') cpu 1 2>&1)
	echo "$out" | jq -e '.values[0].value[0:8] == ["0x77","0x66","0x55","0x44","0x33","0x22","0x11","0x00"]' > /dev/null 2>&1 ||
		{ ok=1; diag="$diag
pcpu_hash lookup after: $out"; }
	result $ok "$v: map dump under --freeze qmp equals bpftool's; map update in place (hash fields under --freeze qmp, per-CPU hash CPU 1 bytes, array, LRU); a missing key, a bad field and a ringbuf refused, nothing written" "$diag"
}

# json_check NAME WANT_RC JQ_FILTER -- ARGS...: `bpfpoke -j ARGS` exits
# WANT_RC and prints exactly one JSON document, for which JQ_FILTER holds.
json_check() {
	local name=$1 want=$2 filter=$3 out rc docs ok=0
	shift 4
	out=$("${pk[@]}" -j "$@" 2> "$work/json.err")
	rc=$?
	docs=$(printf '%s' "$out" | jq -s length 2> /dev/null) || docs=invalid
	[ "$rc" = "$want" ] && [ "$docs" = 1 ] &&
		printf '%s' "$out" | jq -e "$filter" > /dev/null 2>&1 || ok=1
	result $ok "$v: -j $name: one JSON document, $filter" \
		"exit $rc (want $want), $docs documents" "stdout: $out" \
		"stderr: $(cat "$work/json.err")"
}

json_tests() {
	local hash_id
	hash_id=$("${pk[@]}" -j map list | jq '.[] | select(.name == "demo_hash") | .id')
	json_check kernel 0 '.text | startswith("0x")' -- kernel show
	json_check list 0 'type == "array" and length >= 5' -- map list
	json_check show 0 '.fields | map(.field) | index("cfg.inner.lo") != null' -- map show .data
	json_check dump 0 '.[0].value | length > 0' -- map dump name demo.data
	json_check dump-hash 0 '.[0].key == ["0x01","0x00","0x00","0x00"] and .[0].value[0] == "0x02"' -- map dump id "${hash_id:-0}"
	json_check lookup-missing 1 '.error | test("no element")' -- map lookup id "${hash_id:-0}" key 7
	json_check dump-ringbuf 1 '.error | test("not supported")' -- map dump name events
	json_check dump-noid 1 '.error == "no map with id '"'"'999999'"'"'"' -- map dump id 999999
	json_check btf 0 '.types > 0' -- map btf name demo.bss file "$work/json.btf"
	json_check read 0 '(.[0].value | type) == "number" and (.[1].value | type) == "number" and (.[2].value | length) == 8' \
		-- read .data tunable cfg.level arr
	json_check read-nofield 1 '.error | test("nosuchfield")' -- read .bss nosuchfield
	json_check read-nomap 1 '.error | test(".nosuch")' -- read .nosuch x
	json_check write 0 '.written[0].field == "knob" and .written[0].value == 7 and .signal == "none"' \
		-- write .data.tune knob=7 --signal none
	json_check write-badvalue 1 '.error | test("abc")' -- write .data.tune knob=abc
	# The guest no longer waits: written, but never acknowledged (exit 7).
	json_check write-unacked 7 '.written[0].value == 8 and .signal == "unacknowledged" and (.error | test("acknowledge"))' \
		-- write .data.tune knob=8 --signal unix:"$work/sig.sock" --ack-timeout 300
	json_check write-noport 1 '.error | test("signal port")' \
		-- write .data.tune knob=9 --signal unix:"$work/none.sock"
	json_check write-noqmp 1 '.error | test("QMP")' \
		-- write .data.tune knob=9 --freeze qmp:"$work/none.sock"
	# No description: the guest's own, and the write lands.
	out=$("$bpfpoke" --mem-file "$ram" -j write .data.tune knob=12 --signal none 2>&1)
	got=$("${pk[@]}" read .data.tune knob 2>&1)
	ok=0
	echo "$out" | jq -e '.written[0].value == 12' > /dev/null 2>&1 &&
		[ "$got" = "knob = 12" ] || ok=1
	result $ok "$v: zero-config write .data.tune knob=12 lands (read back with the description)" \
		"write: $out" "read: $got"
	# ... and with the VMM stopped through QMP and the guest signalled (it
	# no longer waits: written, unacknowledged, exit 7, QEMU running).
	out=$("$bpfpoke" --mem-file "$ram" -j write .data.tune knob=13 \
		--freeze qmp:"$work/qmp.sock" --signal unix:"$work/sig.sock" --ack-timeout 300 \
		2> "$work/zerr")
	rc=$?
	got=$("${pk[@]}" read .data.tune knob 2>&1)
	ok=0
	[ "$rc" = 7 ] && echo "$out" | jq -e '.written[0].value == 13 and .signal == "unacknowledged"' > /dev/null 2>&1 &&
		[ "$got" = "knob = 13" ] && [ "$(awk '{ print $3 }' "/proc/$qpid/stat")" != T ] || ok=1
	result $ok "$v: zero-config write under --freeze qmp with --signal: written (exit $rc), QEMU running" \
		"write: $out" "stderr: $(cat "$work/zerr")" "read: $got"
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
		for t in kernel vmcoreinfo kallsyms list zero-config dump btf read show $elem_maps lookup stopped; do
			result 1 "$v: $t # guest did not come up"
		done
		if [ "$v" = "$write_variant" ]; then
			for t in failed rodata update write dump2 dump2-update $json_names; do
				result 1 "$v: $t # guest did not come up"
			done
		fi
		continue
		;;
	esac
	art=$work/art-$v
	mkdir -p "$art"
	tar -xf "$work/out.img" -C "$art" 2> /dev/null
	pk=("$bpfpoke" --mem-file "$ram" --btf "$art/vmlinux.btf" --symbols "$art/kallsyms")
	if [ -n "${BPFPOKE_SEED_DIR:-}" ]; then
		save_seeds "$BPFPOKE_SEED_DIR" "$(cat "$art/release")"
	fi

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

	# vmcoreinfo: with no kernel description at all, from guest memory.
	got=$("$bpfpoke" --mem-file "$ram" -j --times kernel vmcoreinfo 2> "$work/times")
	want_off=$(printf '0x%x' $((want_text - 0xffffffff81000000)))
	ok=0
	[ "$(echo "$got" | jq -r .osrelease 2> /dev/null)" = "$(cat "$art/release")" ] || ok=1
	[ "$(echo "$got" | jq -r .kaslr_offset 2> /dev/null)" = "$want_off" ] || ok=1
	[ "$(echo "$got" | jq -r .levels 2> /dev/null)" = "$want_levels" ] || ok=1
	echo "$got" | jq -e '.kallsyms and (.build_id | length == 40)' > /dev/null 2>&1 || ok=1
	result $ok "$v: kernel vmcoreinfo, no description: release, KERNELOFFSET $want_off, $want_levels levels ($(echo "$got" | jq -r '"gpa " + .gpa + ", " + (.candidates | tostring) + " look-alike(s)"' 2> /dev/null); $(sed -n 's/.*vmcoreinfo \([0-9.]*\).*/scan \1 ms/p' "$work/times"))" \
		"want release $(cat "$art/release"), offset $want_off, $want_levels levels" "got: $got" "$(cat "$work/times")"

	# kallsyms: decoded from guest memory, line for line /proc/kallsyms
	# without the modules' (and bpf's, ftrace's) entries.
	"$bpfpoke" --mem-file "$ram" --times kernel kallsyms 2> "$work/times" |
		sort > "$work/ks.got"
	grep -v '\[' "$art/kallsyms" | sort > "$work/ks.want"
	ok=0
	[ "$(wc -l < "$work/ks.want")" -gt 10000 ] && cmp -s "$work/ks.want" "$work/ks.got" || ok=1
	result $ok "$v: kernel kallsyms, no description: the guest's $(wc -l < "$work/ks.want") symbols as /proc/kallsyms has them ($(sed -n 's/.*vmcoreinfo \([0-9.]*\)  kallsyms \([0-9.]*\).*total \([0-9.]*\)/scan \1 ms, decode \2 ms, total \3 ms/p' "$work/times"))" \
		"$(diff "$work/ks.want" "$work/ks.got" | head -n 10)" "$(cat "$work/times")"

	# list: the same maps as bpftool.
	got=$("${pk[@]}" --times -j map list 2> "$work/times")
	want=$(norm_list < "$art/maps.json")
	nmaps=$(echo "$want" | grep -o '"id":' | wc -l)
	ok=0
	[ "$nmaps" -ge 5 ] && [ "$got" = "$want" ] || ok=1
	result $ok "$v: map list matches bpftool ($nmaps maps; $(sed -n 's/.*map_walk \([0-9.]*\).*total \([0-9.]*\)/walk \1 ms, total \2 ms/p' "$work/times"))" \
		"bpftool: $want" "bpfpoke: $got" "$(cat "$work/times")"

	# zero-config: no description at all; the same maps, layouts and values.
	zc=("$bpfpoke" --mem-file "$ram")
	zgot=$("${zc[@]}" --times -j map list 2> "$work/ztimes")
	zshow=$("${zc[@]}" -j map show .data 2>&1)
	dshow=$("${pk[@]}" -j map show .data 2>&1)
	zread=$(pk=("${zc[@]}"); got_lines 2>&1)
	dread=$(got_lines 2>&1)
	zkern=$("${zc[@]}" -j kernel show 2>&1)
	znocache=$("${zc[@]}" --no-cache -j kernel show 2>&1)
	dkern=$("${pk[@]}" -j kernel show 2>&1)
	ok=0
	[ "$zgot" = "$want" ] && [ "$zshow" = "$dshow" ] && [ -n "$dread" ] &&
		[ "$zread" = "$dread" ] || ok=1
	# kernel show: the same kernel, described by the guest's memory,
	# from the cache the commands before filled; with --no-cache the
	# same, decoded afresh.
	[ "$(echo "$zkern" | jq -c 'del(.description)' 2>&1)" = \
	  "$(echo "$dkern" | jq -c 'del(.description)' 2>&1)" ] &&
	[ "$(echo "$znocache" | jq -c 'del(.description)' 2>&1)" = \
	  "$(echo "$dkern" | jq -c 'del(.description)' 2>&1)" ] &&
		echo "$zkern" | jq -e '.description.source == "guest memory" and .description.cached' > /dev/null 2>&1 &&
		echo "$znocache" | jq -e '.description.source == "guest memory" and (.description.cached | not) and .description.kallsyms > 10000' > /dev/null 2>&1 &&
		echo "$dkern" | jq -e '.description.source == "files"' > /dev/null 2>&1 || ok=1
	result $ok "$v: zero-config map list, map show, read and kernel show match bpftool and the described run ($(sed -n 's/.*symbols \([0-9.]*\)  vmlinux_btf \([0-9.]*\).*vmcoreinfo \([0-9.]*\)  kallsyms \([0-9.]*\).*total \([0-9.]*\)/scan \3 ms, kallsyms \4 ms, BTF \2 ms, total \5 ms/p' "$work/ztimes"))" \
		"list: $zgot" "show: $zshow" "read: $zread" "kernel: $zkern" "--no-cache: $znocache" "described: $dkern" "$(cat "$work/ztimes")"

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
	elem_tests

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

	# The described runs' derived description, cached by the files'
	# identity once they are 2 s old: a cold command then parses
	# neither file, and reads what the parsed description reads.
	age=$(( $(date +%s) - $(stat -c '%Y %Z' "$art/kallsyms" "$art/vmlinux.btf" | tr ' ' '\n' | sort -n | tail -n 1) ))
	[ "$age" -lt 3 ] && sleep $((3 - age))
	"${pk[@]}" kernel show > /dev/null 2>&1
	dkern=$("${pk[@]}" --times -j kernel show 2> "$work/dtimes")
	dnocache=$("${pk[@]}" --no-cache -j kernel show 2>&1)
	dread=$(got_lines 2>&1)
	nread=$(pk=("${pk[@]}" --no-cache); got_lines 2>&1)
	ok=0
	echo "$dkern" | jq -e '.description.source == "files" and .description.cached' > /dev/null 2>&1 &&
		echo "$dnocache" | jq -e '.description.source == "files" and (.description.cached | not)' > /dev/null 2>&1 &&
		[ "$(echo "$dnocache" | jq -c 'del(.description.cached)' 2>&1)" = \
		  "$(echo "$dkern" | jq -c 'del(.description.cached)' 2>&1)" ] &&
		grep -q ' symbols 0.000  vmlinux_btf 0.000 ' "$work/dtimes" &&
		[ -n "$dread" ] && [ "$dread" = "$nread" ] || ok=1
	result $ok "$v: described: the derived description from the cache (no symbols or BTF parsed: $(sed -n 's/.*cache \([0-9.]*\).*total \([0-9.]*\)/cache \1 ms, total \2 ms/p' "$work/dtimes")), the same kernel and values as --no-cache" \
		"cached: $dkern" "--no-cache: $dnocache" "$(cat "$work/dtimes")" "read: $dread" "read, --no-cache: $nread"

	read_tests "$v"
	if [ "$v" = "$write_variant" ]; then
		write_tests "$v"
		json_tests
	fi

	stop
	if [ -n "${BPFPOKE_KEEP:-}" ]; then
		mkdir -p "$BPFPOKE_KEEP"
		cp -r "$art/." "$BPFPOKE_KEEP/"
	fi
	echo "# $v: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s wall"
done
