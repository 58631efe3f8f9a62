#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make dkms-install` / `make dkms-remove` against the installed kernel
# KVER (scripts/kver.sh), in temporary trees: dkms's own tree, the module
# source tree and the install tree are under a temporary directory, depmod
# is not run and the signing key is a throwaway one, so /usr/src,
# /var/lib/dkms and /lib/modules are never touched (checked).  TAP.
#   KVER		kernel to build for (default: scripts/kver.sh's choice)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../tap-lib.sh" || exit 1

echo "TAP version 13"
command -v dkms >/dev/null || tap_skip_all "dkms is not installed (make deps)"
[ "$(id -u)" = 0 ] || tap_skip_all "dkms add needs root"
kver=${KVER:-$("$top/scripts/kver.sh" 2>/dev/null)} || tap_skip_all "no usable kernel"
[ -n "$kver" ] && [ -d "/lib/modules/$kver/build/include" ] ||
	tap_skip_all "no headers for kernel '$kver'"
command -v modinfo >/dev/null || tap_skip_all "no modinfo (kmod)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
arch=$(uname -m)
src=$tmp/src
dtree=$tmp/dkms
itree=$tmp/lib-modules
mkdir -p "$src" "$dtree" "$itree/$kver"
# dkms signs what it builds when the kernel's sign-file exists, and
# creates /var/lib/dkms/mok.{key,pub} for that unless told otherwise.
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
mk=(make --no-print-directory -C "$top" KVER="$kver" DKMS_SOURCE_TREE="$src"
    DKMS_OPTS="--dkmstree $dtree --installtree $itree --no-depmod")

# What the machine has before: nothing of it may change.
machine_state() {
	{
		ls -d /usr/src/bpfpoke-* 2>/dev/null
		ls -la /var/lib/dkms 2>/dev/null
		find "/lib/modules/$kver" -name 'bpfpoke.ko*' 2>/dev/null
		stat -c '%n %s %Y' "/lib/modules/$kver"/modules.* 2>/dev/null
	} | sort
}
machine_state > "$tmp/before"

tap_plan 9

# The first word of a module's vermagic.
vermagic() {
	modinfo -F vermagic "$1" 2>/dev/null | awk '{ print $1; exit }'
}

"${mk[@]}" dkms-install > "$tmp/install.log" 2>&1
tap_result $? "make dkms-install KVER=$kver (temporary trees)" "$tmp/install.log"

srcdir=$src/bpfpoke-$version
( cd "$srcdir" 2>/dev/null && find . -type f | sort ) > "$tmp/files"
ok=0
for f in ./dkms.conf ./Kbuild ./kmod/main.c ./kmod/compat.h ./uapi/linux/bpfpoke.h; do
	grep -qx "$f" "$tmp/files" || ok=1
done
grep -Evq '^\./(dkms\.conf|Kbuild|kmod/[a-z_]+\.[ch]|uapi/linux/bpfpoke\.h)$' "$tmp/files" && ok=1
tap_result $ok "sources registered: dkms.conf, Kbuild, kmod/, the uapi header, nothing else" "$tmp/files"

dkms status -m bpfpoke -v "$version" --dkmstree "$dtree" --sourcetree "$src" \
	--installtree "$itree" > "$tmp/status" 2>/dev/null
grep -Fxq "bpfpoke/$version, $kver, $arch: installed" "$tmp/status"
tap_result $? "dkms status: bpfpoke/$version, $kver: installed" "$tmp/status"

built=$(ls "$dtree/bpfpoke/$version/$kver/$arch/module/"bpfpoke.ko* 2>/dev/null | head -n 1)
vm=$( [ -n "$built" ] && vermagic "$built")
[ -n "$built" ] && [ "$vm" = "$kver" ]
tap_result $? "dkms build: bpfpoke.ko with vermagic $kver (got '${vm:-none}')"

inst=$(ls "$itree/$kver/updates/dkms/"bpfpoke.ko* 2>/dev/null | head -n 1)
vm=$( [ -n "$inst" ] && vermagic "$inst")
[ -n "$inst" ] && [ "$vm" = "$kver" ] &&
	[ "$(modinfo -F name "$inst")" = bpfpoke ] &&
	[ "$(modinfo -F license "$inst")" = GPL ]
tap_result $? "dkms install: updates/dkms/$(basename "${inst:-bpfpoke.ko}") for $kver (vermagic '${vm:-none}')"

# A second dkms-install replaces the registration (same version).
"${mk[@]}" dkms-install > "$tmp/again.log" 2>&1 &&
	grep -q "removing the registered bpfpoke/$version first" "$tmp/again.log" &&
	[ -n "$(ls "$itree/$kver/updates/dkms/"bpfpoke.ko* 2>/dev/null)" ]
tap_result $? "make dkms-install again: the old registration is replaced" "$tmp/again.log"

"${mk[@]}" dkms-remove > "$tmp/remove.log" 2>&1
tap_result $? "make dkms-remove" "$tmp/remove.log"

left=$( { find "$itree" "$dtree" -name 'bpfpoke*'; ls -d "$srcdir" 2>/dev/null; } )
[ -z "$left" ]
echo "$left" > "$tmp/left"
tap_result $? "after dkms-remove: no module, no registration, no sources" "$tmp/left"

machine_state > "$tmp/after"
diff "$tmp/before" "$tmp/after" > "$tmp/diff"
tap_result $? "/usr/src, /var/lib/dkms, /lib/modules/$kver untouched" "$tmp/diff"
tap_exit
