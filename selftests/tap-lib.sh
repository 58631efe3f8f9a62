# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by the host shell tests (selftests/host/*.sh): TAP output.
# POSIX sh, and bash (`set -u` safe).  The script prints "TAP version 13"
# itself, then:
#   tap_skip_all WHY		"1..0 # SKIP WHY", exit 4 (before the plan)
#   tap_plan N			"1..N"
#   tap_result RC NAME [DIAG_FILE [LINES]]
#				"ok N NAME" if RC is 0, else "not ok N NAME"
#				and the last LINES lines of DIAG_FILE (if it
#				is not empty) as "# " lines
#   tap_result_text RC NAME [TEXT]
#				the same, with TEXT as the diagnostics
#   tap_skip NAME WHY		"ok N NAME # SKIP WHY"
#   tap_skip_rest WHY		"ok N # SKIP WHY" up to the plan, then tap_exit
#   tap_exit			exit 1 if a test failed, else 0
# LINES is what tail -n takes (+1: the whole file); tap_diag_lines (30) is
# its default.  tap_diag_from=head shows the first LINES lines instead.

tap_n=0
tap_fail=0
tap_planned=0
tap_diag_lines=30
tap_diag_from='tail'

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 4
}

tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

# tap_line RC NAME: the next test's line; false if it failed.
tap_line() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n $2"
		return 0
	fi
	echo "not ok $tap_n $2"
	tap_fail=1
	return 1
}

tap_result() {
	tap_line "$1" "$2" && return
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		"$tap_diag_from" -n "${4:-$tap_diag_lines}" "$3" | sed 's/^/# /'
	fi
	return 0
}

tap_result_text() {
	tap_line "$1" "$2" && return
	if [ -n "${3:-}" ]; then
		printf '%s\n' "$3" | sed 's/^/# /'
	fi
	return 0
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $1 # SKIP $2"
}

tap_skip_rest() {
	while [ "$tap_n" -lt "$tap_planned" ]; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $1"
	done
	tap_exit
}

tap_exit() {
	exit "$tap_fail"
}
