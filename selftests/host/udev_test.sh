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
. "$here/../tap-lib.sh" || exit 1

echo "TAP version 13"
for t in udevadm systemd-sysusers unshare; do
	command -v $t >/dev/null || tap_skip_all "no $t"
done
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (mount namespace)"
unshare -m --propagation private true 2>/dev/null || tap_skip_all "cannot unshare the mount namespace"
standin=
for d in cpu_dma_latency vga_arbiter loop-control fuse $(ls /sys/class/misc 2>/dev/null); do
	[ -r "/sys/class/misc/$d/dev" ] && { standin=$d; break; }
done
[ -n "$standin" ] || tap_skip_all "no misc device to stand in for /dev/bpfpoke"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
machine_state() {
	md5sum /etc/group /etc/passwd 2>&1
	ls -lR /run/udev 2>&1
}
machine_state > "$tmp/before"
tap_plan 6

# The rule's line: mode 0660, the bpfpoke group, nothing that widens it.
grep -v '^#' "$rule" | grep -v '^$' > "$tmp/lines"
[ "$(cat "$tmp/lines")" = 'SUBSYSTEM=="misc", KERNEL=="bpfpoke", MODE="0660", GROUP="bpfpoke"' ] &&
	! grep -qiE 'uaccess|0666|OWNER' "$tmp/lines"
tap_result $? "the rule: /dev/bpfpoke 0660 root:bpfpoke, no uaccess" "$tmp/lines"

# systemd 253 and later check a rules file on their own.
if udevadm verify --help >/dev/null 2>&1; then
	udevadm verify "$rule" > "$tmp/verify" 2>&1
	tap_result $? "udevadm verify" "$tmp/verify" +1
else
	tap_skip "udevadm verify" "udevadm $(udevadm --version) has no verify (253+)"
fi

root=$tmp/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d"
cp /etc/group /etc/passwd "$root/etc/"
[ -e /etc/gshadow ] && cp /etc/gshadow "$root/etc/"
cp "$sysusers" "$root/usr/lib/sysusers.d/bpfpoke.conf"
systemd-sysusers --root="$root" > "$tmp/sysusers" 2>&1
gid=$(awk -F: '$1 == "bpfpoke" { print $3 }' "$root/etc/group")
[ -n "$gid" ] && [ "$gid" -lt 1000 ]
tap_result $? "systemd-sysusers creates the system group bpfpoke (gid ${gid:-none})" "$tmp/sysusers"

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
tap_result $? "udevadm test loads 60-bpfpoke.rules without a complaint" "$tmp/ours"

grep -E "^$standin: /run/udev/rules.d/61-standin.rules:[0-9]+ " "$tmp/udev" > "$tmp/applied"
grep -qE " GROUP $gid\$" "$tmp/applied" && grep -qE ' MODE 0660$' "$tmp/applied"
tap_result $? "aimed at /dev/$standin it sets GROUP $gid and MODE 0660" "$tmp/udev"

# Nothing of it outside the namespace.
machine_state | diff "$tmp/before" - > "$tmp/diff"
tap_result $? "the machine's /run/udev, /etc/group and /etc/passwd are untouched" "$tmp/diff"
tap_exit
