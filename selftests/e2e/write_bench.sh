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
traced=7		# signals alone with the L1 kernel tracing them
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
boot_l2 bench "" 512 "demo.rounds=$((rounds * 3 + traced))"
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
# Where a signal's time goes: the same signal alone, with L1's tracer on
# (the scheduler and KVM's events, and signal_send's markers).
tr=/sys/kernel/debug/tracing
echo 0 > $tr/tracing_on
echo > $tr/trace
echo 4096 > $tr/buffer_size_kb
for e in sched/sched_switch sched/sched_wakeup kvm/kvm_apic_accept_irq \
	kvm/kvm_vcpu_wakeup kvm/kvm_entry kvm/kvm_exit kvm/kvm_mmio \
	kvm/kvm_msi_set_irq kvm/kvm_set_irq kvm/kvm_pio kvm/kvm_userspace_exit; do
	echo 1 > $tr/events/$e/enable 2> /dev/null || echo "# write_bench: no event $e"
done
j=1
while [ $j -le $traced ]; do
	n=$((rounds * 3 + j))
	wait_log "DEMO-WAITING round $n" 60 ||
		{ echo "write_bench: guest stuck before traced signal $j"; exit 1; }
	sleep 1
	echo 1 > $tr/tracing_on
	BPFPOKE_TRACE_MARKER=$tr/trace_marker signal_send unix:$sock done 0 60000 > /tmp/sig.out ||
		{ echo "write_bench: traced signal $j failed"; exit 1; }
	echo 0 > $tr/tracing_on
	cat /tmp/sig.out
	j=$((j + 1))
done
echo 0 > $tr/events/enable
# Each traced signal's legs, from the trace's timestamps:
#   to_irq    signal_send's write to QEMU's interrupt for the guest (the
#             socket, QEMU's chardev and virtio-serial: kvm_msi_set_irq)
#   to_run    that interrupt to the guest's vCPU running (kvm_entry)
#   guest     the guest's wake-up, read and ack to the ack's kick: the
#             MMIO write of queue index 5 to the notify area, the transmit
#             queue of org.bpfpoke.0, port 1 of boot_l2's virtio-serial
#             (queues 0-1 port 0, 2-3 control, 4-5 port 1)
#   ack_out   the kick to QEMU's next interrupt (it has taken the ack off
#             the queue and written it to the socket)
#   to_agent  then to signal_send running again
#   agent     signal_send reading and parsing the ack
awk '{
	for (i = 1; i <= NF; i++)
		if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = $i + 0; ev = $(i + 1); break }
	if (ev == "tracing_mark_write:" && /signal_send: send/) { st = 1; t0 = t; next }
	if (st == 1 && ev == "kvm_msi_set_irq:") { irq = t; st = 2 }
	else if (st == 2 && ev == "kvm_entry:") { run = t; st = 3 }
	else if (st == 3 && ev == "kvm_mmio:" && /mmio write .* val 0x5 *$/) { kick = t; st = 4 }
	else if (st == 4 && ev == "kvm_msi_set_irq:") { out = t; st = 5 }
	else if (st == 5 && ev == "sched_switch:" && /next_comm=signal_send/) { ag = t; st = 6 }
	else if (st == 6 && ev == "tracing_mark_write:" && /signal_send: acked/) {
		printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", (t - t0) * 1e3,
			(irq - t0) * 1e3, (run - irq) * 1e3, (kick - run) * 1e3,
			(out - kick) * 1e3, (ag - out) * 1e3, (t - ag) * 1e3
		st = 0
	}
}' $tr/trace > /tmp/b.legs
echo "# write_bench: traced signals' legs (ms): total to_irq to_run guest ack_out to_agent agent"
sed 's/^/# write_bench:   /' /tmp/b.legs
echo > $tr/trace
wait_log "L2-DUMPED round $((rounds * 3 + traced))" 60
guest_ok=$(grep -c "^DEMO-SIGNAL round [0-9]* done" $log)
guest_want=$((rounds * 3 + traced))
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
echo "  the signal alone leg by leg, from L1's tracer ($(grep -c . /tmp/b.legs) of $traced signals), medians, ms"
col=1
for leg in "traced signal, end to end" \
	"host write to the guest's interrupt" \
	"interrupt to the guest's vCPU running" \
	"guest: wake-up, read, ack to its kick" \
	"kick to QEMU passing the ack on" \
	"then to the agent running" \
	"agent: reading the ack"; do
	awk -v c=$col '{ print $c }' /tmp/b.legs > /tmp/b.leg
	printf "%-44s %10s\n" "    $leg" "$(median /tmp/b.leg)"
	col=$((col + 1))
done
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
echo "guest: $guest_ok of $guest_want signals seen as WRITE_DONE"
[ "$guest_ok" = "$guest_want" ] && [ -n "$warm" ]
