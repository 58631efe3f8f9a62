#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, inside L1: the write path end to end against a Debian L2
# guest under QEMU-KVM whose bpfpoke-demo waits on org.bpfpoke.0.  Each of
# $rounds runs of `bpfpoke --times write .bss stall=K --signal unix:SOCK`
# is a cold agent process, with --no-cache in odd rounds (the --btf and
# --symbols files parsed) and with the description cache in even rounds;
# medians of each of
#   end to end   process start to the guest's acknowledgement (the guest
#                acknowledges a frame as its wait returns)
#   signal       frame sent to acknowledgement received: the signal
#                latency to the guest's wake-up, plus the way back
#   write        freeze/commit/thaw: the BPFPOKE_ACCESS batch
#   cold start   description (cache, or symbols + vmlinux BTF) + attach +
#                KASLR + map walk
#   peak RSS     of each bpfpoke write (its --times line)
# each round also a zero-config write (no --btf/--symbols: the guest's
# VMCOREINFO, kallsyms and BTF through the module; the first with an empty
# description cache, the others cached), with its scan, kallsyms and BTF
# stages;
# then a warm loop: bpfpoke_write() over and over on one open session
# (write_loop, 5 s: map lookup in guest memory, resolve, one batch).
# and, as the baseline measured in the same run between the writes, the
# signal alone: libbpfpoke's signaller (signal_send) sending WRITE_DONE
# with no write, to the guest's acknowledgement.  A table, not TAP; exits
# non-zero only on errors.
. /l2/lib.sh
rounds=15
poke_prefix="# "

# median FILE: the median of the numbers in FILE.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else printf "nan" }'
}

if [ ! -c /dev/kvm ] || [ ! -c /dev/bpfpoke ] || [ ! -x /bin/qemu-system-x86_64 ]; then
	echo "write_bench: no /dev/kvm, /dev/bpfpoke or QEMU in L1"
	exit 1
fi
# procfs makes /proc/kallsyms's inode (its times) when it is first
# looked up: well before the first write, so that it has settled for
# the description cache.
: < /proc/kallsyms
boot_l2 bench "" 512 "demo.rounds=$((rounds * 3))"
if ! wait_log "DEMO-WAITING round 1" 120; then
	echo "write_bench: the L2 guest did not come up"
	tail -n 20 $log
	stop_l2 0 > /dev/null
	exit 1
fi
rm -f /tmp/b.*
k=1
while [ $k -le $rounds ]; do
	echo "# write_bench: round $k of $rounds"
	wait_log "DEMO-WAITING round $((k * 3 - 2))" 60 ||
		{ echo "write_bench: guest stuck before round $k"; exit 1; }
	# Described: odd rounds with --no-cache (the files parsed), even
	# rounds with the description cache the runs before filled.
	nocache=--no-cache
	[ $((k % 2)) = 0 ] && nocache=
	echo "# write_bench: round $k: described write ${nocache:-(cached)}"
	BPFPOKE_CACHE_DIR=/tmp/d-cache bpfpoke --vm $qpid $kern --times $nocache \
		write .bss stall=$k --signal unix:$sock > /tmp/poke.out 2> /tmp/poke.err
	rc=$?
	if [ $rc != 0 ]; then
		echo "write_bench: round $k: bpfpoke exit $rc"
		cat /tmp/poke.err
		stop_l2 20
		exit 1
	fi
	awk '/write times/ {
		for (i = 1; i < NF; i++) {
			if ($i == "signal") print $(i + 1) > "/tmp/b.signal"
			if ($i == "commit") c = $(i + 1)
			if ($i == "freeze" && $(i + 1) != "-") f = $(i + 1)
			if ($i == "thaw" && $(i + 1) != "-") t = $(i + 1)
		}
		print c + f + t > "/tmp/b.write"
	}
	/write times/ {
		for (i = 1; i < NF; i++)
			if ($i == "prepare") print $(i + 1) > "/tmp/b.s_prepare"
	}
	/bpfpoke: times/ {
		for (i = 1; i < NF; i++) {
			if ($i == "cache" || $i == "symbols" || $i == "vmlinux_btf" ||
			    $i == "attach" || $i == "kaslr" || $i == "map_walk" ||
			    $i == "map_btf" || $i == "resolve")
				print $(i + 1) > ("/tmp/b.s_" $i)
			if ($i == "total") print $(i + 1) > "/tmp/b.total"
			if ($i == "symbols") print ($(i + 1) == 0) > "/tmp/b.hit"
			if ($i == "cache" || $i == "symbols" || $i == "vmlinux_btf" ||
			    $i == "attach" || $i == "kaslr" || $i == "map_walk")
				cold += $(i + 1)
		}
		print cold > "/tmp/b.cold"
	}
	/bpfpoke: peak RSS/ { print $4 > "/tmp/b.rss" }' /tmp/poke.err
	# awk's > truncates per run: keep the values.
	for f in signal write total cold rss hit s_cache s_symbols s_vmlinux_btf \
		s_attach s_kaslr s_map_walk s_map_btf s_resolve s_prepare; do
		if [ -n "$nocache" ]; then
			cat /tmp/b.$f >> /tmp/b.all.$f
		else
			cat /tmp/b.$f >> /tmp/b.cached.$f
		fi
	done
	# Zero-config: the same write with no kernel description.
	wait_log "DEMO-WAITING round $((k * 3 - 1))" 60 ||
		{ echo "write_bench: guest stuck before zero-config round $k"; exit 1; }
	echo "# write_bench: round $k: zero-config write"
	BPFPOKE_CACHE_DIR=/tmp/zc-cache bpfpoke --vm $qpid --times write .bss \
		stall=$((k + 100)) --signal unix:$sock > /tmp/poke.out 2> /tmp/poke.err
	rc=$?
	if [ $rc != 0 ]; then
		echo "write_bench: zero-config round $k: bpfpoke exit $rc"
		cat /tmp/poke.err
		stop_l2 20
		exit 1
	fi
	zc=/tmp/b.zc.all
	[ $k = 1 ] && zc=/tmp/b.zc.first
	awk -v out=$zc '/bpfpoke: times/ {
		for (i = 1; i < NF; i++) {
			if ($i == "total") t = $(i + 1)
			if ($i == "vmcoreinfo") v = $(i + 1)
			if ($i == "kallsyms") ks = $(i + 1)
			if ($i == "vmlinux_btf") b = $(i + 1)
		}
		print t > (out ".total"); print v > (out ".scan")
		print ks > (out ".kallsyms"); print b > (out ".btf")
	}' /tmp/poke.err
	if [ $k != 1 ]; then
		for f in total scan kallsyms btf; do
			cat /tmp/b.zc.all.$f >> /tmp/b.zc.cached.$f
		done
	fi
	wait_log "DEMO-WAITING round $((k * 3))" 60 ||
		{ echo "write_bench: guest stuck after round $k"; exit 1; }
	echo "# write_bench: round $k: the signal alone"
	if ! signal_send unix:$sock done 0 60000 > /tmp/sig.out; then
		echo "write_bench: round $k: signal_send failed"
		exit 1
	fi
	sed -n 's/.* in \([0-9.]*\) ms$/\1/p' /tmp/sig.out >> /tmp/b.base
	k=$((k + 1))
done
wait_log "L2-DUMPED round $((rounds * 3))" 60
guest_ok=$(grep -c "^DEMO-SIGNAL round [0-9]* done" $log)
# Warm: one session writing in a loop (map lookup, resolve, one batch).
write_loop $qpid $loop_desc .bss stall 5 > /tmp/loop.out 2>&1
warm=$(sed -n 's/.*(\([0-9.]*\) us each), then time ran out$/\1/p' /tmp/loop.out)
[ -n "$warm" ] || { echo "write_bench: write_loop failed:"; cat /tmp/loop.out; }
stop_l2 0 > /dev/null

base=$(median /tmp/b.base)
echo "bpfpoke write through bpfpoke.ko into a Debian L2 guest, $rounds cold runs, medians:"
echo "--no-cache (the --btf/--symbols files parsed) in odd rounds, the description cache in even rounds"
echo "(L1 is emulated by QEMU TCG: absolute times are ~10x a real host's)"
printf "%-44s %10s %10s %10s %10s\n" "" "ms" "x signal" "cached ms" "x signal"
for f in total cold write signal; do
	case $f in
	total) name="end to end: start to guest's wait returning" ;;
	cold) name="  cold start: description..map walk" ;;
	write) name="  write (one BPFPOKE_ACCESS batch)" ;;
	signal) name="  signal: sent to guest wake-up and ack" ;;
	esac
	m=$(median /tmp/b.all.$f)
	c=$(median /tmp/b.cached.$f)
	printf "%-44s %10s %10s %10s %10s\n" "$name" "$m" "$(awk "BEGIN { printf \"%.1f\", $m / $base }")" \
		"$c" "$(awk "BEGIN { printf \"%.1f\", $c / $base }")"
done
echo "(cached rounds that took the description from the cache: $(grep -c 1 /tmp/b.cached.hit) of $(grep -c . /tmp/b.cached.hit))"
echo "  where the time went (bpfpoke --times), medians, ms      --no-cache     cached"
for f in cache symbols vmlinux_btf attach kaslr map_walk map_btf resolve prepare; do
	printf "%-44s %10s %10s\n" "    $f" "$(median /tmp/b.all.s_$f)" "$(median /tmp/b.cached.s_$f)"
done
printf "%-44s %10s\n" "end to end, cached / --no-cache" \
	"$(awk "BEGIN { printf \"%.2fx\", $(median /tmp/b.cached.total) / $(median /tmp/b.all.total) }")"
printf "%-44s %10s %10s\n" "baseline: the signal alone (signal_send)" "$base" "1.0"
[ -n "$warm" ] &&
	printf "%-44s %10s %10s\n" "warm write on an open session (write_loop)" \
		"$(awk "BEGIN { printf \"%.3f\", $warm / 1000 }")" \
		"$(awk "BEGIN { printf \"%.2f\", $warm / 1000 / $base }")"
printf "%-44s %10s %10s %10s\n" "peak RSS of bpfpoke write (MiB)" "$(median /tmp/b.all.rss)" "" "$(median /tmp/b.cached.rss)"
described=$(median /tmp/b.all.total)
echo
echo "zero-config bpfpoke write (no --btf/--symbols), end to end, ms"
printf "%-44s %10s %10s %10s\n" "" "first" "cached" "/described"
printf "%-44s %10s %10s %10s\n" "end to end" "$(cat /tmp/b.zc.first.total)" \
	"$(median /tmp/b.zc.cached.total)" \
	"$(awk "BEGIN { printf \"%.2fx\", $(median /tmp/b.zc.cached.total) / $described }")"
for f in scan kallsyms btf; do
	case $f in
	scan) name="  VMCOREINFO scan" ;;
	kallsyms) name="  kallsyms decode" ;;
	btf) name="  vmlinux BTF (+ layouts)" ;;
	esac
	printf "%-44s %10s %10s\n" "$name" "$(cat /tmp/b.zc.first.$f)" "$(median /tmp/b.zc.cached.$f)"
done
printf "%-44s %10s %10s %10s\n" "described write, end to end (above)" "" "$described" "1.00x"
echo "guest: $guest_ok of $((rounds * 3)) signals seen as WRITE_DONE"
[ "$guest_ok" = $((rounds * 3)) ] && [ -n "$warm" ]
