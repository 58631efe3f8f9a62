#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bpfpoke CLI's command line: help, prefix matching, usage errors and
# the exit code of each failing stage, in plain and JSON output.  TAP.
# The real-guest checks are selftests/guest/run_mapping_test.sh.
#   BPFPOKE_BUILD	build directory (default: build/ at the top)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bpfpoke=${BPFPOKE_BUILD:-$top/build}/agent/bpfpoke

echo "TAP version 13"
if [ ! -x "$bpfpoke" ]; then
	echo "1..0 # SKIP $bpfpoke is not built"
	exit 4
fi
tmp=$(mktemp -d)
export BPFPOKE_CACHE_DIR=$tmp/cache
trap 'rm -rf "$tmp"' EXIT

# A kernel description the library accepts: the host's own BTF (any
# recent kernel's layouts must resolve) and symbols of the right shape.
btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
	echo "1..0 # SKIP no $btf on this host"
	exit 4
fi
cat > "$tmp/syms" <<'SYMS'
ffffffff81000000 T _text
ffffffff82000000 D linux_banner
ffffffff82a00000 D init_top_pgt
ffffffff82b00000 d map_idr
SYMS
truncate -s 64M "$tmp/ram"

n=0
echo "1..47"
check() {	# check NAME WANT_RC WANT_OUT_REGEX -- CMD...
	local name=$1 want=$2 re=$3 out rc
	shift 4
	out=$("$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$want" ] && echo "$out" | grep -Eq -- "$re"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		echo "# exit $rc (want $want), output:"
		echo "$out" | sed 's/^/# /'
	fi
}

# check_json NAME WANT_RC JQ_FILTER -- CMD...: stdout is exactly one JSON
# document (jq), for which JQ_FILTER holds.
check_json() {
	local name=$1 want=$2 filter=$3 out rc docs
	shift 4
	out=$("$@" 2> "$tmp/stderr")
	rc=$?
	docs=$(printf '%s' "$out" | jq -s length 2> /dev/null) || docs=invalid
	n=$((n + 1))
	if [ "$rc" = "$want" ] && [ "$docs" = 1 ] &&
	   printf '%s' "$out" | jq -e "$filter" > /dev/null 2>&1; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		echo "# exit $rc (want $want), $docs documents; stdout:"
		echo "$out" | sed 's/^/# /'
		sed 's/^/# stderr: /' "$tmp/stderr"
	fi
}

desc=(--btf "$btf" --symbols "$tmp/syms")
check "help" 0 "OBJECT := \{ map \| kernel \}" -- "$bpfpoke" help
check "help names read and write" 0 "write SUFFIX FIELD=VALUE" -- "$bpfpoke" help
check "map help lists show and lookup" 0 "map lookup MAP key DATA" -- "$bpfpoke" map help
check "read help" 0 "FIELD = VALUE" -- "$bpfpoke" read help
check "write help: exit 7 documented" 0 "7 written, but the signal" -- "$bpfpoke" write help
check "map show: no map" 2 "expected SUFFIX, 'id MAP_ID' or 'name MAP_NAME'" -- "$bpfpoke" "${desc[@]}" map show
check "map dump: --freeze without its argument" 2 "--freeze needs an argument" -- "$bpfpoke" "${desc[@]}" map dump name x --freeze
check "map dump: a bad --freeze" 2 "--freeze: expected none, sigstop" -- "$bpfpoke" "${desc[@]}" map dump name x --freeze bogus
check "map lookup: --freeze sigstop needs --vm" 2 "--freeze sigstop needs --vm" -- "$bpfpoke" "${desc[@]}" map lookup name x key 1 --freeze sigstop
check "map show: bad suffix" 2 "invalid map name suffix 'bss': does not start with '.'" -- "$bpfpoke" map show bss
check "read: no field" 2 "read: expected SUFFIX FIELD" -- "$bpfpoke" read .bss
check "read: bad field, json" 2 '^\{"error":"invalid field .a..b.: contains' -- "$bpfpoke" -j read .bss a..b
check "write: no FIELD=VALUE" 2 "expected FIELD=VALUE, got 'crash'" -- "$bpfpoke" write .bss crash
check "write: bad suffix" 2 "invalid map name suffix '..bss': starts with '..'" -- "$bpfpoke" write ..bss crash=1
check "write: bad field" 2 "invalid field 'a b': contains whitespace" -- "$bpfpoke" write .bss "a b=1"
check "write: bad --signal" 2 "expected unix:PATH, file:PATH or none" -- "$bpfpoke" write .bss crash=1 --signal tcp:1
check "write: bad --freeze" 2 "expected none, sigstop, sigstop:PID or qmp:SOCKET, got 'qmp'" -- "$bpfpoke" write .bss crash=1 --freeze qmp
check "write: sigstop without --vm" 2 "needs --vm PID" -- "$bpfpoke" --mem-file "$tmp/ram" "${desc[@]}" write .bss crash=1 --freeze sigstop
check "write: unknown option" 2 "unknown option '--frobnicate'" -- "$bpfpoke" write .bss crash=1 --frobnicate
check "map help by prefix" 0 "map dump MAP" -- "$bpfpoke" ma he
check "unknown command" 2 "unknown command 'frobnicate'" -- "$bpfpoke" frobnicate
check "unknown command, json" 2 '^\{"error":"unknown command' -- "$bpfpoke" -j map frob
check "no guest given" 2 "give the guest" -- "$bpfpoke" "${desc[@]}" map list
check "no kernel given, none in memory: exit 5" 5 "cannot describe the guest kernel from its memory: .*no VMCOREINFO in guest memory .* give --vmlinux, or --btf and --symbols" -- "$bpfpoke" --mem-file "$tmp/ram" map list
check "--vmlinux with --btf" 2 "excludes" -- "$bpfpoke" --vmlinux x "${desc[@]}" map list
check "bad --mem-file option" 2 "expected PATH" -- "$bpfpoke" --mem-file "$tmp/ram,below=1" "${desc[@]}" map list
check "unusable description: exit 3" 3 "description" -- "$bpfpoke" --mem-file "$tmp/ram" --btf "$tmp/syms" --symbols "$tmp/syms" map list
check "no guest memory: exit 4" 4 "cannot open guest memory" -- "$bpfpoke" --mem-file "$tmp/none" "${desc[@]}" map list
check "no kernel in memory: exit 5, json" 5 '^\{"error":"no kernel matching' -- "$bpfpoke" -j --mem-file "$tmp/ram,max-ram-below-4g=32M" "${desc[@]}" map list
check "write: signal port missing: nothing done" 1 "cannot open the signal port unix:$tmp/none" -- "$bpfpoke" --mem-file "$tmp/ram" "${desc[@]}" write .bss crash=1 --signal unix:"$tmp/none"
check "write: QMP socket missing: nothing done" 1 "^Error: cannot connect to QMP socket $tmp/none: No such file or directory" -- "$bpfpoke" --mem-file "$tmp/ram" "${desc[@]}" write .bss crash=1 --freeze qmp:"$tmp/none"
check "write --times: a line of write stages" 1 "^bpfpoke: write times \(ms\): prepare -  freeze -  commit -  thaw -  signal -  total -$" -- "$bpfpoke" --times --mem-file "$tmp/ram" "${desc[@]}" write .bss crash=1 --freeze qmp:"$tmp/none"
check "write: no kernel in memory: exit 5" 5 "no kernel matching" -- "$bpfpoke" --mem-file "$tmp/ram,max-ram-below-4g=32M" "${desc[@]}" write .bss crash=1

# -j: one document for every help, usage error and early failure.
check_json "json: help" 0 '.help | test("OBJECT :=")' -- "$bpfpoke" -j help
check_json "json: read help" 0 '.help | test("FIELD = VALUE")' -- "$bpfpoke" -j read help
check_json "json: write help" 0 '.help | test("WRITE_OPTIONS")' -- "$bpfpoke" -j write help
check_json "json: map help" 0 '.help | test("map dump MAP")' -- "$bpfpoke" -j map help
check_json "json: kernel help" 0 '.help | test("kernel")' -- "$bpfpoke" -j kernel help
check_json "json: version" 0 '.version | test("^[0-9]+[.][0-9]+[.][0-9]+$")' -- "$bpfpoke" -j version
check_json "json: no object" 0 '.help | test("OBJECT :=")' -- "$bpfpoke" -j
check_json "json: write without fields" 2 '.error == "write: expected SUFFIX FIELD=VALUE..."' -- "$bpfpoke" -j write .bss
check_json "json: write option without argument" 2 '.error == "--signal needs an argument"' -- "$bpfpoke" -j write .bss crash=1 --signal
check_json "json: write unknown option" 2 ".error == \"write: unknown option '--frobnicate'\"" -- "$bpfpoke" -j write .bss crash=1 --frobnicate
check_json "json: bad global option after -j" 2 ".error == \"--vm: bad pid 'x'\"" -- "$bpfpoke" -j --vm x map list
check_json "json: write, signal port missing" 1 '.error | test("cannot open the signal port")' -- "$bpfpoke" -j --mem-file "$tmp/ram" "${desc[@]}" write .bss crash=1 --signal unix:"$tmp/none"
check_json "json: write, no kernel in memory" 5 '.error | test("no kernel matching")' -- "$bpfpoke" -j --mem-file "$tmp/ram,max-ram-below-4g=32M" "${desc[@]}" write .bss crash=1
if [ -e /dev/bpfpoke ]; then
	n=$((n + 1))
	echo "ok $n module missing: exit 4 # SKIP bpfpoke.ko is loaded"
else
	check "module missing: exit 4" 4 "bpfpoke.ko is not loaded" -- "$bpfpoke" --vm $$ "${desc[@]}" kernel show
fi
