#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# udev/60-bpfpoke.rules and udev/bpfpoke.sysusers with the machine's own
# udev and systemd-sysusers, without changing the machine:
# systemd-sysusers creates the group in a scratch root; udevadm test
# (systemd 252 has no `udevadm verify`) runs in a private mount namespace
# with tmpfs on /run and /dev and that scratch /etc/group bind-mounted, so
# the rule it loads, the nodes and links it makes and the group it
# resolves exist only there.  bpfpoke.ko need not be loaded: the rule must
# load without a complaint, and a copy of it aimed at a misc device that
# exists must set mode 0660 and the bpfpoke group on it.  TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rule=$top/udev/60-bpfpoke.rules
sysusers=$top/udev/bpfpoke.sysusers

echo "TAP version 13"
skip() {
	echo "1..0 # SKIP $*"
	exit 4
}
for t in udevadm systemd-sysusers unshare; do
	command -v $t >/dev/null || skip "no $t"
done
[ "$(id -u)" = 0 ] || skip "needs root (mount namespace)"
unshare -m --propagation private true 2>/dev/null || skip "cannot unshare the mount namespace"
standin=
for d in cpu_dma_latency vga_arbiter loop-control fuse $(ls /sys/class/misc 2>/dev/null); do
	[ -r "/sys/class/misc/$d/dev" ] && { standin=$d; break; }
done
[ -n "$standin" ] || skip "no misc device to stand in for /dev/bpfpoke"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
machine_state() {
	md5sum /etc/group /etc/passwd 2>&1
	ls -lR /run/udev 2>&1
}
machine_state > "$tmp/before"
n=0
fail=0
echo "1..6"
result() {	# result RC NAME [diagnostics file]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fail=1
		[ -n "${3:-}" ] && [ -s "$3" ] && tail -n 30 "$3" | sed 's/^/# /'
	fi
}

# The rule's line: mode 0660, the bpfpoke group, nothing that widens it.
grep -v '^#' "$rule" | grep -v '^$' > "$tmp/lines"
[ "$(cat "$tmp/lines")" = 'SUBSYSTEM=="misc", KERNEL=="bpfpoke", MODE="0660", GROUP="bpfpoke"' ] &&
	! grep -qiE 'uaccess|0666|OWNER' "$tmp/lines"
result $? "the rule: /dev/bpfpoke 0660 root:bpfpoke, no uaccess" "$tmp/lines"

# systemd 253 and later check a rules file on their own.
n=$((n + 1))
if udevadm verify --help >/dev/null 2>&1; then
	if udevadm verify "$rule" > "$tmp/verify" 2>&1; then
		echo "ok $n udevadm verify"
	else
		echo "not ok $n udevadm verify"
		fail=1
		sed 's/^/# /' "$tmp/verify"
	fi
else
	echo "ok $n udevadm verify # SKIP udevadm $(udevadm --version) has no verify (253+)"
fi

root=$tmp/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d"
cp /etc/group /etc/passwd "$root/etc/"
[ -e /etc/gshadow ] && cp /etc/gshadow "$root/etc/"
cp "$sysusers" "$root/usr/lib/sysusers.d/bpfpoke.conf"
systemd-sysusers --root="$root" > "$tmp/sysusers" 2>&1
gid=$(awk -F: '$1 == "bpfpoke" { print $3 }' "$root/etc/group")
[ -n "$gid" ] && [ "$gid" -lt 1000 ]
result $? "systemd-sysusers creates the system group bpfpoke (gid ${gid:-none})" "$tmp/sysusers"

# The rule as written, and a copy for the stand-in device.
sed "s/KERNEL==\"bpfpoke\"/KERNEL==\"$standin\"/" "$rule" > "$tmp/61-standin.rules"
unshare -m --propagation private bash -c '
	set -e
	mount -t tmpfs tmpfs /run
	mkdir -p /run/udev/rules.d
	cp "$1" "$2" /run/udev/rules.d/
	mount -t tmpfs tmpfs /dev
	mount --bind "$3/etc/group" /etc/group
	udevadm test "/sys/class/misc/$4" 2>&1
' _ "$rule" "$tmp/61-standin.rules" "$root" "$standin" > "$tmp/udev" 2>&1
rc=$?
grep -F '60-bpfpoke.rules' "$tmp/udev" > "$tmp/ours"
grep -q '^Reading rules file: /run/udev/rules.d/60-bpfpoke.rules$' "$tmp/ours" &&
	[ "$(grep -vc '^Reading rules file:' "$tmp/ours")" = 0 ] && [ $rc = 0 ]
result $? "udevadm test loads 60-bpfpoke.rules without a complaint" "$tmp/ours"

grep -E "^$standin: /run/udev/rules.d/61-standin.rules:[0-9]+ " "$tmp/udev" > "$tmp/applied"
grep -qE " GROUP $gid\$" "$tmp/applied" && grep -qE ' MODE 0660$' "$tmp/applied"
result $? "aimed at /dev/$standin it sets GROUP $gid and MODE 0660" "$tmp/udev"

# Nothing of it outside the namespace.
machine_state | diff "$tmp/before" - > "$tmp/diff"
result $? "the machine's /run/udev, /etc/group and /etc/passwd are untouched" "$tmp/diff"
exit $fail
