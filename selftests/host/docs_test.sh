#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The documentation against the code: the man pages format without a
# warning and have a NAME mandb can index; bpfpoke(8) documents every
# command, option and exit status the CLI's help texts name, and
# bpfpoke-guest(1) those of bpfpoke-guest; bpfpoke(4) and
# docs/userspace-api/bpfpoke.rst name every ioctl, flag and errno of
# uapi/linux/bpfpoke.h and show its structures field by field.  TAP.
#   BPFPOKE_BUILD	build directory (default: build/ at the top)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BPFPOKE_BUILD:-$top/build}
bpfpoke=$build/agent/bpfpoke
guest=$build/guest/bpfpoke-guest
man=$top/docs/man
rst=$top/docs/userspace-api/bpfpoke.rst
uapi=$top/uapi/linux/bpfpoke.h
. "$here/../tap-lib.sh" || exit 1
tap_diag_from='head'

echo "TAP version 13"
command -v groff >/dev/null || tap_skip_all "no groff (make deps)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tap_plan 13

for page in bpfpoke.8 bpfpoke-guest.1 bpfpoke.4; do
	LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$man/$page" > "$tmp/groff" 2>&1
	rc=$?
	[ -s "$tmp/groff" ] && rc=1
	if command -v lexgrog >/dev/null; then
		lexgrog "$man/$page" >> "$tmp/groff" 2>&1 || rc=1
	fi
	tap_result $rc "$page: groff -man -ww without a warning, NAME indexable" "$tmp/groff"
done

# Every word WORD of a list is in FILE (troff's \- read as -).
all_in() {	# all_in FILE WORD...: the missing ones on stdout
	local f=$1 w
	shift
	sed 's/\\-/-/g; s/\\(aq/'"'"'/g' "$f" > "$tmp/text"
	for w; do
		grep -qF -- "$w" "$tmp/text" || echo "missing: $w"
	done
}

if [ -x "$bpfpoke" ]; then
	for h in help "map help" "kernel help" "read help" "write help"; do
		# shellcheck disable=SC2086
		"$bpfpoke" $h 2>&1
	done > "$tmp/help"
	opts=$(grep -oE -- '(^|[^a-z0-9-])--?[a-z][a-z0-9-]*' "$tmp/help" |
		sed -E 's/^[^-]//' | sort -u)
	all_in "$man/bpfpoke.8" $opts > "$tmp/miss"
	[ ! -s "$tmp/miss" ]
	tap_result $? "bpfpoke(8) has every option of the help texts ($(echo $opts | wc -w))" "$tmp/miss"

	cmds=$(sed -nE 's/^(Usage:|      ) +bpfpoke( \[[A-Z ]+\])? (map|kernel) \{? ?([a-z]+).*/\3 \4/p' "$tmp/help" | sort -u)
	cmds="$cmds
read
write
version"
	( IFS=$'\n'; all_in "$man/bpfpoke.8" $cmds ) > "$tmp/miss"
	[ ! -s "$tmp/miss" ] && [ "$(echo "$cmds" | wc -l)" -ge 9 ]
	tap_result $? "bpfpoke(8) has every command: $(echo $cmds | tr '\n' ',')" "$tmp/miss"

	# "Exit status: 0 done; 1 ...; 7 (write) ...": every number is an
	# entry of EXIT STATUS.
	codes=$(sed -n '/^Exit status:/,/^$/p' "$tmp/help" | grep -oE '(^|[:;] |\(|^)[0-9]+ ' |
		grep -oE '[0-9]+' | sort -un)
	sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man/bpfpoke.8" | sed -n 's/^\.B \([0-9]*\)$/\1/p' |
		sort -un > "$tmp/man-codes"
	echo "$codes" | diff - "$tmp/man-codes" > "$tmp/diff"
	tap_result $? "bpfpoke(8) EXIT STATUS lists exactly the help's codes ($(echo $codes))" "$tmp/diff"
else
	for t in options commands "exit codes"; do
		tap_skip "bpfpoke(8) against the help: $t" "$bpfpoke is not built"
	done
fi

if [ -x "$guest" ]; then
	"$guest" --help > "$tmp/ghelp" 2>&1
	opts=$(grep -oE -- '--[a-z][a-z0-9-]*' "$tmp/ghelp" | sort -u)
	all_in "$man/bpfpoke-guest.1" $opts wait > "$tmp/miss"
	[ ! -s "$tmp/miss" ]
	tap_result $? "bpfpoke-guest(1) has every option of its usage: $(echo $opts)" "$tmp/miss"
	codes=$(sed -n 's/^Exit: //p' "$tmp/ghelp" | grep -oE '(^|, )[0-9]+' | grep -oE '[0-9]+' | sort -un)
	sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man/bpfpoke-guest.1" |
		sed -n 's/^\.B \([0-9]*\)$/\1/p' | sort -un > "$tmp/man-codes"
	echo "$codes" | diff - "$tmp/man-codes" > "$tmp/diff"
	tap_result $? "bpfpoke-guest(1) EXIT STATUS lists exactly the usage's codes ($(echo $codes))" "$tmp/diff"
else
	tap_skip "bpfpoke-guest(1) options" "$guest is not built"
	tap_skip "bpfpoke-guest(1) exit codes" "$guest is not built"
fi

# The ABI: names, errnos, structures.
names=$(sed -nE 's/^#define (BPFPOKE_[A-Z0-9_]+).*/\1/p' "$uapi" | sort -u)
structs=$(grep -oE '^struct bpfpoke_[a-z_]+' "$uapi" | sort -u | tr '\n' '|' | sed 's/|$//')
errnos=$(grep -oE '\bE[A-Z0-9]{2,}\b' "$uapi" | sort -u)
for doc in "$rst" "$man/bpfpoke.4"; do
	# shellcheck disable=SC2086
	( IFS=$'\n'; all_in "$doc" $names $errnos $(echo "$structs" | tr '|' '\n') ) > "$tmp/miss"
	[ ! -s "$tmp/miss" ]
	tap_result $? "$(basename "$doc") names every define, struct and errno of the uapi header" "$tmp/miss"
done

# struct NAME: "type field" lines in order, one struct per line.
layouts() {
	awk '
	/^[ \t]*struct bpfpoke_[a-z_]+ \{/ { name = $0; sub(/^[ \t]*/, "", name); sub(/ \{.*/, "", name); fields = ""; next }
	name && /^[ \t]*(__[us](8|16|32|64)|__le(16|32|64)) +[a-z_0-9]+(\[[0-9]+\])?;/ {
		line = $0; sub(/;.*/, "", line); gsub(/[ \t]+/, " ", line); sub(/^ /, "", line)
		fields = fields " " line; next
	}
	name && /^[ \t]*\};/ { print name ":" fields; name = "" }
	' "$1" | sort
}
layouts "$uapi" > "$tmp/want"
for doc in "$rst" "$man/bpfpoke.4"; do
	layouts "$doc" | diff "$tmp/want" - > "$tmp/diff"
	[ -s "$tmp/want" ]
	rc=$?
	[ -s "$tmp/diff" ] && rc=1
	tap_result $rc "$(basename "$doc") shows the $(wc -l < "$tmp/want") uapi structures field by field" "$tmp/diff"
done

# Debian's python3-docutils, or any python3 on PATH that has docutils.
py=
for p in /usr/bin/python3 python3; do
	"$p" -c 'import docutils' 2>/dev/null && { py=$p; break; }
done
if [ -n "$py" ]; then
	"$py" - "$rst" > "$tmp/rst" 2>&1 <<'EOF'
import sys, docutils.core
docutils.core.publish_doctree(open(sys.argv[1]).read(), source_path=sys.argv[1],
	settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": sys.stdout,
			    # Highlighting needs Pygments, which is not a dependency.
			    "syntax_highlight": "none"})
EOF
	[ ! -s "$tmp/rst" ]
	tap_result $? "bpfpoke.rst parses as reStructuredText without a warning" "$tmp/rst"
else
	tap_skip "bpfpoke.rst parses as reStructuredText" "no python3-docutils"
fi
tap_exit
