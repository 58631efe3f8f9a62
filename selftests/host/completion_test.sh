#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# completion/bpfpoke: it parses, registers itself, and completes objects,
# commands, options and their arguments (VMM PIDs for --vm and
# --freeze sigstop:PID) the way bash calls it, with COMP_LINE/COMP_POINT and
# with COMP_WORDS/COMP_CWORD only; and it offers every object and option
# that the built CLI's help texts name.  TAP.
#   BPFPOKE_BUILD	build directory (default: build/ at the top)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
script=$top/completion/bpfpoke
bpfpoke=${BPFPOKE_BUILD:-$top/build}/agent/bpfpoke
. "$here/../tap-lib.sh" || exit 1

echo "TAP version 13"
tmp=$(mktemp -d)
vmm=
cleanup() {
	[ -n "$vmm" ] && kill "$vmm" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A process that looks like a VMM: comm "qemu-system-x86" (cut to 15).
ln -s "$(command -v sleep)" "$tmp/qemu-system-x86_64"
"$tmp/qemu-system-x86_64" 300 &
vmm=$!
touch "$tmp/guest-ram" "$tmp/vmlinux"

tap_plan 32

bash -n "$script" 2>"$tmp/err"
tap_result_text $? "the script parses" "$(cat "$tmp/err")"

reg=$(bash --norc --noprofile -c "source '$script' && complete -p bpfpoke" 2>&1)
[ "$reg" = "complete -F _bpfpoke bpfpoke" ]
tap_result_text $? "it registers _bpfpoke for bpfpoke" "$reg"

# comp LINE: the sorted completions of LINE with the cursor at its end, as
# bash sets COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD (words split
# at blanks and at the default COMP_WORDBREAKS), under set -u.
cat > "$tmp/comp.sh" <<'EOF'
set -u
source "$1"
COMP_LINE=$2
COMP_POINT=${#2}
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
read -r -a COMP_WORDS <<< "${2//[:=]/ : }"
[[ $2 =~ [[:blank:]]$ ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_bpfpoke bpfpoke "${COMP_WORDS[COMP_CWORD]}" ""
printf '%s\n' "${COMPREPLY[@]}" | sort
EOF
comp() {
	bash --norc --noprofile "$tmp/comp.sh" "$script" "$1" 2>&1 |
		tr '\n' ' ' | sed 's/ $//'
}

# check NAME LINE WANT: the completions are exactly WANT (sorted).
check() {
	local got
	got=$(comp "$2")
	[ "$got" = "$3" ]
	tap_result_text $? "$1" "line '$2': got '$got', want '$3'"
}

# has NAME LINE WORD...: the completions include every WORD.
has() {
	local name=$1 line=$2 got w r=0
	shift 2
	got=" $(comp "$line") "
	for w; do
		[[ $got == *" $w "* ]] || r=1
	done
	tap_result_text $r "$name" "line '$line': got '$got', want $*"
}

check "objects" "bpfpoke " "help kernel map read version write"
check "object by prefix" "bpfpoke ma" "map"
has "global options" "bpfpoke --" --vm --mem-file --vmlinux --btf --symbols --json --times
check "map commands after global options" \
	"bpfpoke --vm 1 --vmlinux $tmp/vmlinux map " "btf dump help list lookup show update"
check "map command by prefix" "bpfpoke map sh" "show"
check "abbreviated object, then command" "bpfpoke ma s" "show"
check "abbreviated object and command" "bpfpoke ma sh " ".bss .data .rodata id name"
check "kernel commands" "bpfpoke -j kernel " "help kallsyms show vmcoreinfo"
check "map show: id, name or a suffix" "bpfpoke map show " ".bss .data .rodata id name"
check "map dump: id, name or a suffix" "bpfpoke map dump " ".bss .data .rodata id name"
check "map btf MAP: file" "bpfpoke map btf id 3 " "file"
check "map btf SUFFIX: file" "bpfpoke map btf .bss " "file"
check "map lookup MAP: key" "bpfpoke map lookup name flows " "key"
check "map lookup SUFFIX: key" "bpfpoke map lookup .bss " "key"
check "map dump: --freeze" "bpfpoke map dump name flows --f" "--freeze"
check "map update: write options" "bpfpoke map update name flows key 1 value weight=1 --f" "--force --freeze"
check "read: suffix" "bpfpoke read ." ".bss .data .rodata"
check "write: options after FIELD=VALUE" "bpfpoke write .bss crash=1 --f" "--force --freeze"
check "write: --freeze modes" "bpfpoke write .bss crash=1 --freeze " "none qmp: sigstop sigstop:"
check "write: --signal kinds" "bpfpoke write .bss crash=1 --signal " "file: none unix:"
has "--vm: a running VMM's pid" "bpfpoke --vm " "$vmm"
check "--vm: not other processes" "bpfpoke --vm $$" ""
# After "sigstop:", bash replaces only what follows the ':'.
has "--freeze sigstop:PID" "bpfpoke --mem-file $tmp/guest-ram write .bss x=1 --freeze sigstop:" "$vmm"
check "--mem-file: files" "bpfpoke --mem-file $tmp/guest-r" "$tmp/guest-ram"
check "--signal unix:PATH: files" "bpfpoke write .bss x=1 --signal unix:$tmp/guest-r" "$tmp/guest-ram"

# COMP_WORDS and COMP_CWORD alone (no COMP_LINE), as in a unit test.
got=$(bash --norc --noprofile -c '
	set -u
	source "$1"
	COMP_WORDS=(bpfpoke map d)
	COMP_CWORD=2
	_bpfpoke bpfpoke d map
	echo "${COMPREPLY[*]}"' _ "$script" 2>&1)
[ "$got" = "dump" ]
tap_result_text $? "COMP_WORDS/COMP_CWORD only" "got '$got'"

# Consistency with the CLI's own help texts.
if [ ! -x "$bpfpoke" ]; then
	for t in objects "global options" "map commands" "write options"; do
		tap_skip "help $t are completed" "$bpfpoke is not built"
	done
	tap_exit
fi
objs=$("$bpfpoke" help 2>&1 | sed -n 's/.*OBJECT := { \(.*\) }.*/\1/p' | tr -d '|')
has "help: objects are completed" "bpfpoke " $objs
opts=$("$bpfpoke" help 2>&1 | sed -n '/OPTIONS :=/,/KERNEL :=/p' | grep -oE -- '--[a-z0-9-]+' | sort -u)
has "help: global options are completed" "bpfpoke --" $opts
cmds=$("$bpfpoke" map help 2>&1 | sed -n 's/.* map \([a-z]*\).*/\1/p' | sort -u)
has "map help: commands are completed" "bpfpoke map " $cmds
wopts=$("$bpfpoke" write help 2>&1 | sed -n '/WRITE_OPTIONS :=/,/SIGNAL :=/p' | grep -oE -- '--[a-z0-9-]+' | sort -u)
has "write help: options are completed" "bpfpoke write .bss x=1 --" $wopts
tap_exit
