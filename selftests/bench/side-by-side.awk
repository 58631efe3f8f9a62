# SPDX-License-Identifier: GPL-2.0
#
# awk -v k1=KVER1 -v k2=KVER2 -f side-by-side.awk BENCH1.txt BENCH2.txt
#
# The L1 benchmark figures of two kernels in one table: each row of
# access_bench's table (ns per write, and process_vm_writev and
# /proc/PID/mem as ratios to BPFPOKE_ACCESS in the same run) and of
# write_bench's (ms, and ratio to the signal alone in the same run; for the
# rows with both, the cached run's), its stages (--no-cache and cached),
# the signal's legs, and its zero-config table (first run and cached).
function keep(key, val) {
	if (!(key in seen)) {
		seen[key] = 1
		order[++n] = key
	}
	v[FILENAME == ARGV[1] ? 1 : 2, key] = val
}
/^BPFPOKE-BEGIN/ { bench = $2; zc = 0; block = ""; next }
# Progress and per-sample lines.
/^#/ { next }
/^BPFPOKE-END/ { bench = ""; next }
# write_bench's zero-config table: first run and cached, in ms.
bench ~ /write_bench/ && /^zero-config bpfpoke write/ { zc = 1; next }
bench ~ /write_bench/ && zc && $1 == "end" && $2 == "to" {
	keep("zero-config write end to end, first (ms)", $4)
	keep("zero-config write end to end, cached (ms)", $5)
	keep("  cached / described", $6)
	next
}
bench ~ /write_bench/ && zc && NF >= 3 && $(NF) ~ /^[0-9.]+$/ && $(NF - 1) ~ /^[0-9.]+$/ {
	label = substr($0, 1, 44)
	sub(/^ +/, "", label)
	sub(/ +$/, "", label)
	keep("  zero-config " label ", first (ms)", $(NF - 1))
	keep("  zero-config " label ", cached (ms)", $NF)
	next
}
bench ~ /write_bench/ && zc { next }
bench ~ /access_bench/ && $1 ~ /^[0-9]+$/ && NF == 6 {
	keep("ACCESS ns/write, batch " $1, $2)
	keep("  process_vm_writev / ACCESS, batch " $1, $5)
	keep("  /proc/PID/mem / ACCESS, batch " $1, $6)
	next
}
bench ~ /access_bench/ && /where an op goes/ { block = "ops"; next }
bench ~ /access_bench/ && /filled inside the clock/ { block = "filled"; next }
bench ~ /access_bench/ && block == "filled" && /^  batch / {
	keep("  filled in the clock: pvw / ACCESS, batch " $2, $NF)
	next
}
bench ~ /access_bench/ && block == "ops" && /^  / && NF >= 3 {
	label = substr($0, 3, 36)
	sub(/ +$/, "", label)
	keep("  ACCESS op: " label " (ns)", $(NF - 1))
	next
}
bench ~ /access_bench/ { block = "" }
bench ~ /access_bench/ && $1 == "cold" {
	keep("ACCESS ns/page, a fresh file's first batch", $2)
	next
}
# write_bench's stages (--no-cache and cached) and the signal's legs
# (one figure each): indented rows under their heading.
bench ~ /write_bench/ && /where the time went/ { block = "stages"; next }
bench ~ /write_bench/ && /leg by leg/ { block = "legs"; next }
bench ~ /write_bench/ && block == "stages" && /^    / && NF == 3 {
	keep("  stage " $1 ", --no-cache (ms)", $2)
	keep("  stage " $1 ", cached (ms)", $3)
	next
}
bench ~ /write_bench/ && block == "legs" && /^    / && $NF ~ /^[0-9.]+$/ {
	label = substr($0, 1, 44)
	sub(/^ +/, "", label)
	sub(/ +$/, "", label)
	keep("  leg: " label " (ms)", $NF)
	next
}
bench ~ /write_bench/ { block = "" }
bench ~ /write_bench/ && /^peak RSS/ && NF >= 2 {
	keep("peak RSS of bpfpoke write, --no-cache (MiB)", $(NF - 1))
	keep("peak RSS of bpfpoke write, cached (MiB)", $NF)
	next
}
bench ~ /write_bench/ && NF >= 3 && $(NF) ~ /^[0-9.]+$/ && $(NF - 1) ~ /^[0-9.]+$/ {
	label = substr($0, 1, 44)
	sub(/ +$/, "", label)
	keep(label " (ms)", $(NF - 1))
	keep(label " (x signal)", $NF)
	next
}
END {
	if (!n)
		exit
	printf "%-52s %18s %18s\n", "L1 benchmarks side by side", k1, k2
	for (i = 1; i <= n; i++)
		printf "%-52s %18s %18s\n", order[i], \
			((1, order[i]) in v) ? v[1, order[i]] : "-", \
			((2, order[i]) in v) ? v[2, order[i]] : "-"
}
