#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every libFuzzer target of selftests/fuzz for a bounded time
# (BPFPOKE_FUZZ_TIME seconds each, 20 by default) from its seed corpus:
# `make check` gets a fuzzing pass with zero crashes, hangs or leaks, or a
# failure with the reproducer's path.  `make fuzz` runs them longer.  TAP.
set -u
build=${BPFPOKE_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
time=${BPFPOKE_FUZZ_TIME:-20}
dir=$build/fuzz
targets=$(find "$dir" -maxdepth 1 -type f -executable -name 'fuzz_*' 2>/dev/null | sort)

echo "TAP version 13"
if [ -z "$targets" ]; then
	echo "1..0 # SKIP no fuzz targets built in $dir (make selftests)"
	exit 4
fi
echo "1..$(echo "$targets" | wc -l)"
n=0 fails=0
for t in $targets; do
	n=$((n + 1))
	name=$(basename "$t")
	work=$(mktemp -d)
	corpus=$work/corpus
	mkdir -p "$corpus"
	[ -d "$t.corpus" ] && cp -r "$t.corpus/." "$corpus/" 2>/dev/null
	if (cd "$work" && "$t" -max_total_time="$time" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 "$corpus") \
			> "$work/log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
		echo "ok $n $name: ${runs:-?} runs in ${time}s, no crash"
	else
		echo "not ok $n $name"
		grep -E "ERROR|SUMMARY|Test unit written" "$work/log" | head -n 10 | sed 's/^/# /'
		mkdir -p "$build/fuzz-crashes"
		cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$build/fuzz-crashes/" 2>/dev/null
		fails=$((fails + 1))
	fi
	rm -rf "$work"
done
[ "$fails" = 0 ]
