#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` into a temporary DESTDIR: the exact
# list of files and their modes, the shared library's soname and exports
# (exactly the functions of <bpfpoke.h>), libbpfpoke.pc, a small program
# compiled and linked against the installed library through pkg-config,
# shared and --static, the installed tools run, the man pages found, and
# uninstall removing exactly what install put (and nothing else).  TAP.
#   BPFPOKE_BUILD	build directory (default: build/ at the top)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BPFPOKE_BUILD:-$top/build}
cc=${CC:-cc}
. "$here/../tap-lib.sh" || exit 1
tap_diag_lines=40

echo "TAP version 13"
for t in pkg-config readelf nm "$cc"; do
	command -v "$t" >/dev/null || tap_skip_all "no $t (make deps)"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
version=$(sed -n 's/^VERSION := //p' "$top/agent/Makefile")
so=${version%%.*}
mk=(make --no-print-directory -C "$top" BUILD="$build" DESTDIR="$dest")

tap_plan 22

"${mk[@]}" install > "$tmp/install.log" 2>&1
rc=$?
tap_result $rc "make install DESTDIR=... (PREFIX=/usr/local)" "$tmp/install.log"
[ $rc = 0 ] || tap_skip_rest "make install failed"

p=$dest/usr/local
cat > "$tmp/want" <<EOF
usr/local/bin/bpfpoke-guest 755
usr/local/include/bpfpoke.h 644
usr/local/include/bpfpoke/common.h 644
usr/local/include/bpfpoke/descriptor.h 644
usr/local/include/bpfpoke/elem.h 644
usr/local/include/bpfpoke/field.h 644
usr/local/include/bpfpoke/freeze.h 644
usr/local/include/bpfpoke/maps.h 644
usr/local/include/bpfpoke/session.h 644
usr/local/include/bpfpoke/signal.h 644
usr/local/include/bpfpoke/signaller.h 644
usr/local/include/bpfpoke/write.h 644
usr/local/include/linux/bpfpoke.h 644
usr/local/lib/libbpfpoke.a 644
usr/local/lib/libbpfpoke.so -> libbpfpoke.so.$so
usr/local/lib/libbpfpoke.so.$so -> libbpfpoke.so.$version
usr/local/lib/libbpfpoke.so.$version 755
usr/local/lib/pkgconfig/libbpfpoke.pc 644
usr/local/lib/sysusers.d/bpfpoke.conf 644
usr/local/lib/udev/rules.d/60-bpfpoke.rules 644
usr/local/sbin/bpfpoke 755
usr/local/share/bash-completion/completions/bpfpoke 644
usr/local/share/man/man1/bpfpoke-guest.1 644
usr/local/share/man/man4/bpfpoke.4 644
usr/local/share/man/man8/bpfpoke.8 644
EOF
( cd "$dest" && find . ! -type d -printf '%P %m%l\n' | sort |
	sed -E 's/^([^ ]+) 777(.+)$/\1 -> \2/' ) > "$tmp/got"
diff "$tmp/want" "$tmp/got" > "$tmp/diff"
tap_result $? "installed files, modes and links: exactly the expected ones" "$tmp/diff"

soname=$(readelf -d "$p/lib/libbpfpoke.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libbpfpoke.so.$so" ]
tap_result $? "shared library soname libbpfpoke.so.$so (got '$soname')"

# Exports: the functions the installed header declares, all versioned.
$cc -E -P -I"$p/include" "$p/include/bpfpoke.h" 2>"$tmp/cpp.err" |
	grep -oE '\bbpfpoke_[a-z0-9_]+[[:space:]]*\(' | tr -d '( \t' | sort -u > "$tmp/api"
nm -D --defined-only "$p/lib/libbpfpoke.so.$version" |
	awk '$2 ~ /^[TWDBR]$/ { print $3 }' | sed 's/@.*//' | sort -u > "$tmp/exports"
nm -D --defined-only "$p/lib/libbpfpoke.so.$version" | awk '$2 ~ /^[TWDBR]$/ { print $3 }' |
	grep -v '@@LIBBPFPOKE_' > "$tmp/unversioned"
diff "$tmp/api" "$tmp/exports" > "$tmp/diff"
rc=$?
[ -s "$tmp/api" ] && [ ! -s "$tmp/unversioned" ] || rc=1
cat "$tmp/unversioned" "$tmp/cpp.err" >> "$tmp/diff"
tap_result $rc "exports: exactly <bpfpoke.h>'s $(wc -l < "$tmp/api") functions, in LIBBPFPOKE_* nodes (agent/libbpfpoke.map)" "$tmp/diff"

export PKG_CONFIG_PATH=$p/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
got=$(pkg-config --modversion libbpfpoke 2>&1)
[ "$got" = "$version" ]
tap_result $? "pkg-config --modversion libbpfpoke: $version (got '$got')"

# (word-split: pkg-config ends its output with a blank)
cflags=$(echo $(pkg-config --cflags libbpfpoke 2>&1))
libs=$(echo $(pkg-config --libs libbpfpoke 2>&1))
slibs=$(echo $(pkg-config --static --libs libbpfpoke 2>&1))
# The sysroot also lands on libbpf's own (system) paths: harmless.
[[ " $cflags " == *" -I$p/include "* ]] && [[ " $libs " == " -L$p/lib -lbpfpoke " ]] &&
	[[ " $slibs " == *" -lbpfpoke "*" -lbpf "*" -lelf "* ]] && [[ " $slibs " == *" -lz "* ]]
tap_result $? "pkg-config: cflags '$cflags', libs '$libs', static libs '$slibs'"

# A user of the library and of both uapi headers.
cat > "$tmp/prog.c" <<'EOF'
#include <stdio.h>
#include <bpfpoke.h>
#include <linux/bpfpoke.h>
#include <bpfpoke/signal.h>

_Static_assert(sizeof(struct bpfpoke_access) % 8 == 0, "uapi layout");
_Static_assert(sizeof(struct bpfpoke_signal_frame) == 16, "frame size");

int main(void)
{
	struct bpfpoke_map_write w;
	int err;

	bpfpoke_set_print(NULL);
	err = bpfpoke_map_write_init(&w, ".bss", "crash", 1);
	if (err)
		return 1;
	if (!bpfpoke_map_write_init(&w, "bss", "crash", 1))
		return 2;
	printf("%s %s ioctl %#lx port %s\n", bpfpoke_map_write_suffix(&w),
	       bpfpoke_map_write_field(&w), (unsigned long)BPFPOKE_ACCESS,
	       BPFPOKE_SIGNAL_PORT_NAME);
	return 0;
}
EOF
# BPFPOKE_ACCESS is _IOWR(0xBF, 3, 48 bytes): an ABI constant.
want=".bss crash ioctl 0xc030bf03 port org.bpfpoke.0"

# shellcheck disable=SC2086
$cc -Wall -Wextra -Werror -std=gnu11 -o "$tmp/prog" "$tmp/prog.c" $cflags $libs > "$tmp/cc.log" 2>&1
tap_result $? "compiles and links against the shared library (pkg-config --cflags --libs)" "$tmp/cc.log"

readelf -d "$tmp/prog" 2>/dev/null | grep -q "NEEDED.*\[libbpfpoke.so.$so\]"
tap_result $? "the program needs libbpfpoke.so.$so"

got=$(LD_LIBRARY_PATH=$p/lib "$tmp/prog" 2>&1)
[ "$got" = "$want" ]
tap_result $? "it runs with the installed shared library: '$got'"

# shellcheck disable=SC2086
$cc -Wall -Wextra -Werror -std=gnu11 -static -o "$tmp/prog-static" "$tmp/prog.c" \
	$(pkg-config --static --cflags --libs libbpfpoke) > "$tmp/cc.log" 2>&1
tap_result $? "compiles and links statically (pkg-config --static)" "$tmp/cc.log"

got=$(env -u LD_LIBRARY_PATH "$tmp/prog-static" 2>&1)
[ "$got" = "$want" ] && ! readelf -d "$tmp/prog-static" 2>/dev/null | grep -q NEEDED
tap_result $? "the static program runs and needs no shared library: '$got'"

got=$("$p/sbin/bpfpoke" --version 2>&1)
[ "$got" = "bpfpoke v$version" ]
tap_result $? "installed bpfpoke --version: '$got'"

"$p/sbin/bpfpoke" help > "$tmp/help" 2>&1 && grep -q "^Usage: bpfpoke " "$tmp/help" &&
	grep -q "write SUFFIX FIELD=VALUE" "$tmp/help"
tap_result $? "installed bpfpoke help" "$tmp/help"

"$p/bin/bpfpoke-guest" --help > "$tmp/help" 2>&1 && grep -q "^Usage: bpfpoke-guest wait" "$tmp/help"
tap_result $? "installed bpfpoke-guest --help" "$tmp/help"

! readelf -d "$p/bin/bpfpoke-guest" 2>/dev/null | grep -q NEEDED
tap_result $? "bpfpoke-guest is static (it is copied into guests)"

ok=0
for page in "1 bpfpoke-guest" "4 bpfpoke" "8 bpfpoke"; do
	set -- $page
	f=$(man -M "$p/share/man" -w "$1" "$2" 2>/dev/null)
	[ "$f" = "$p/share/man/man$1/$2.$1" ] || { ok=1; echo "man $1 $2: '$f'"; }
done > "$tmp/man"
tap_result $ok "man -M PREFIX/share/man finds bpfpoke(8), bpfpoke(4), bpfpoke-guest(1)" "$tmp/man"

grep -q '^SUBSYSTEM=="misc", KERNEL=="bpfpoke", MODE="0660", GROUP="bpfpoke"$' \
	"$p/lib/udev/rules.d/60-bpfpoke.rules" && grep -q '^g bpfpoke ' "$p/lib/sysusers.d/bpfpoke.conf"
tap_result $? "udev rule: 0660, group bpfpoke; sysusers.d creates the group"

# Uninstall removes what install put, and only that.
touch "$p/include/linux/other.h" "$p/lib/libother.so.1" "$p/share/man/man8/other.8"
"${mk[@]}" uninstall > "$tmp/uninstall.log" 2>&1
tap_result $? "make uninstall" "$tmp/uninstall.log"

( cd "$dest" && find . ! -type d -printf '%P\n' | sort ) > "$tmp/left"
printf '%s\n' usr/local/include/linux/other.h usr/local/lib/libother.so.1 \
	usr/local/share/man/man8/other.8 | diff - "$tmp/left" > "$tmp/diff"
tap_result $? "after uninstall: none of the installed files is left, other files are" "$tmp/diff"
rm -rf "$dest"

# A distribution's layout: PREFIX=/usr, the multiarch LIBDIR.
multi=/usr/lib/$($cc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
"${mk[@]}" install PREFIX=/usr LIBDIR="$multi" > "$tmp/install.log" 2>&1 &&
	[ -f "$dest$multi/libbpfpoke.so.$version" ] && [ -f "$dest/usr/sbin/bpfpoke" ] &&
	grep -qx "libdir=$multi" "$dest$multi/pkgconfig/libbpfpoke.pc" &&
	grep -qx "includedir=/usr/include" "$dest$multi/pkgconfig/libbpfpoke.pc" &&
	[ -f "$dest/usr/lib/udev/rules.d/60-bpfpoke.rules" ]
tap_result $? "make install PREFIX=/usr LIBDIR=$multi" "$tmp/install.log"

"${mk[@]}" uninstall PREFIX=/usr LIBDIR="$multi" > "$tmp/uninstall.log" 2>&1 &&
	[ -z "$(find "$dest" ! -type d)" ]
tap_result $? "make uninstall PREFIX=/usr LIBDIR=$multi leaves no file" "$tmp/uninstall.log"

# Nothing was installed outside DESTDIR.
ok=0
for f in /usr/local/sbin/bpfpoke /usr/local/lib/libbpfpoke.a /usr/sbin/bpfpoke \
	 "$multi/libbpfpoke.a"; do
	[ -e "$f" ] && [ "$f" -nt "$tmp/want" ] && { ok=1; echo "$f"; }
done > "$tmp/outside"
tap_result $ok "nothing written outside DESTDIR" "$tmp/outside"
tap_exit
