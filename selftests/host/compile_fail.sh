#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BPFPOKE_MAP_WRITE() must make a literal that breaks a rule a compile
# error that names the rule, and must accept good literals in every scope
# at every optimisation level without leaving a call behind.  TAP.
#
# The Makefile sets BPFPOKE_CC and BPFPOKE_CFLAGS; run alone, it uses cc.

set -u
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/../tap-lib.sh" || exit 1
cc=${BPFPOKE_CC:-cc}
cflags=${BPFPOKE_CFLAGS:-"-std=gnu11 -Wall -Wextra -Werror -I$dir/../../agent/include"}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# name|suffix|field|kind|message.  kind "sa": a _Static_assert, with the
# message in any scope; "fold": gcc and clang fold the check, with the
# message in automatic scope and "initializer element is not constant" in
# a static one; "gcc": the same, but clang cannot fold the check and skips
# it.  An empty message accepts any error.
bad_cases=$(cat <<'EOF'
suffix_empty|""|"crash"|sa|map name suffix is empty
suffix_too_long|".123456789abcdef"|"crash"|sa|map name suffix is longer than 15 bytes
suffix_not_literal|sfx|"crash"|sa|
suffix_no_leading_dot|"bss"|"crash"|fold|map name suffix does not start with '.'
suffix_bare_dot|"."|"crash"|fold|map name suffix is a bare '.'
suffix_leading_dotdot|"..bss"|"crash"|fold|map name suffix starts with '..'
suffix_whitespace|".b ss"|"crash"|gcc|map name suffix contains whitespace
suffix_tab|".bss\t"|"crash"|gcc|map name suffix contains whitespace
suffix_slash|".b/ss"|"crash"|fold|map name suffix contains '/'
suffix_backslash|".b\\ss"|"crash"|fold|map name suffix contains '\'
suffix_nonprintable|".b\001ss"|"crash"|gcc|map name suffix contains a non-printable or control byte
suffix_high_byte|".bss\377"|"crash"|gcc|map name suffix contains a non-printable or control byte
suffix_embedded_nul|".b\0ss"|"crash"|fold|map name suffix contains a non-printable or control byte
field_empty|".bss"|""|sa|field is empty
field_too_long|".bss"|X256|sa|field is longer than 255 bytes
field_not_literal|".bss"|fld|sa|
field_leading_dot|".bss"|".crash"|fold|field starts with '.'
field_bare_dot|".bss"|"."|fold|field starts with '.'
field_trailing_dot|".bss"|"cfg.x."|fold|field ends with '.'
field_dotdot|".bss"|"cfg..x"|gcc|field contains '..'
field_dotdot_deep|".bss"|X64 X64 "..x"|gcc|field contains '..'
field_whitespace|".bss"|"cr ash"|gcc|field contains whitespace
field_whitespace_deep|".bss"|X64 X64 X64 " x"|gcc|field contains whitespace
field_slash|".bss"|"cfg/x"|fold|field contains '/'
field_backslash|".bss"|"cfg\\x"|fold|field contains '\'
field_nonprintable|".bss"|"cr\033ash"|gcc|field contains a non-printable or control byte
field_nonprintable_deep|".bss"|X64 X64 X64 "\177"|gcc|field contains a non-printable or control byte
field_embedded_nul|".bss"|"cr\0ash"|fold|field contains a non-printable or control byte
EOF
)

# name|suffix|field: must compile, in both scopes, at -O0 and -O2.
good_cases=$(cat <<'EOF'
bss_crash|".bss"|"crash"
data_path|".data"|"cfg.inner.x"
rodata_index|".rodata"|"arr[3]"
data_custom|".data.custom"|"crash"
near_miss|".b.s"|"a.b[0].c_d~'\"!"
longest|".123456789abcde"|X255
EOF
)

clang=
$cc --version 2>/dev/null | grep -q clang && clang=1

# write SCOPE SUFFIX FIELD: a source using the literal in a static or an
# automatic descriptor.
write() {
	cat > "$tmp/t.c" <<EOF
#include "bpfpoke.h"
#define X16 "aaaaaaaaaaaaaaaa"
#define X64 X16 X16 X16 X16
#define X255 X64 X64 X64 X16 X16 X16 "aaaaaaaaaaaaaaa"
#define X256 X255 "a"
extern const char sfx[], fld[];
extern const struct bpfpoke_map_write w;
int f(void);
EOF
	if [ "$1" = static ]; then
		echo "const struct bpfpoke_map_write w = BPFPOKE_MAP_WRITE($2, $3, 1);"
	else
		printf 'int f(void)\n{\n\tstruct bpfpoke_map_write l = BPFPOKE_MAP_WRITE(%s, %s, 1);\n\n\treturn (int)l.value.num;\n}\n' "$2" "$3"
	fi >> "$tmp/t.c"
}

# build [CFLAGS...]: compile t.c to t.o, diagnostics in t.log.
build() {
	# shellcheck disable=SC2086 # cflags is a list of words
	$cc $cflags "$@" -c -o "$tmp/t.o" "$tmp/t.c" > "$tmp/t.log" 2>&1
}

result() {	# result OK NAME [WHY]: OK is 1 for a pass
	if [ "$1" = 1 ]; then
		tap_result 0 "compile_fail.$2"
	else
		tap_result 1 "compile_fail.$2 # $3"
		sed 's/^/#   /' "$tmp/t.log" | head -20
	fi
}

# expect_error NAME MESSAGE OPT...: t.c must not compile at any of the
# -O levels; MESSAGE, if any, must be in the diagnostics.
expect_error() {
	local name=$1 msg=$2 opt

	shift 2
	for opt; do
		if build "$opt"; then
			result 0 "$name" "compiled at $opt"
			return
		elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$tmp/t.log"; then
			result 0 "$name" "$opt: no \"$msg\" in the diagnostics"
			return
		fi
	done
	result 1 "$name"
}

echo "TAP version 13"
tap_plan $(($(wc -l <<< "$bad_cases") * 2 + $(wc -l <<< "$good_cases")))

while IFS='|' read -r name suffix field kind msg; do
	if [ "$kind" = gcc ] && [ -n "$clang" ]; then
		for scope in auto static; do
			tap_skip "compile_fail.$name.$scope" "clang does not fold the check"
		done
		continue
	fi
	write auto "$suffix" "$field"
	expect_error "$name.auto" "$msg" -O0 -O2
	write static "$suffix" "$field"
	[ "$kind" = sa ] || msg=
	expect_error "$name.static" "$msg" -O0 -O2
done <<< "$bad_cases"

while IFS='|' read -r name suffix field; do
	why=
	for scope in static auto; do
		write $scope "$suffix" "$field"
		for opt in -O0 -O2; do
			if ! build $opt; then
				why="$scope $opt: does not compile"
			elif nm -u "$tmp/t.o" | grep -q __bpfpoke_; then
				why="$scope $opt: calls a check function"
				nm -u "$tmp/t.o" > "$tmp/t.log"
			fi
			[ -n "$why" ] && break 2
		done
	done
	result "$([ -z "$why" ] && echo 1)" "good.$name" "$why"
done <<< "$good_cases"

tap_exit
