# SPDX-License-Identifier: GPL-2.0
#
# Sourced by selftests/vm/mkinitramfs.sh (L1) and selftests/guest/mkguest.sh
# (test guests, L2): filling an initramfs tree at $root for kernel $kver.

# initramfs_add_module NAME: the module and its dependency closure, read
# from modinfo (not hard-coded), decompressed, each after what it needs;
# the load order accumulates in $initramfs_order.  Built-in modules are
# skipped.
# The kernel's files may live in the Debian 13 root (scripts/kroot.sh).
initramfs_kroot=$("$(dirname "${BASH_SOURCE[0]}")/../scripts/kroot.sh" "$kver")
initramfs_order=
initramfs_add_module() {
	local m=$1 d f
	case " $initramfs_order " in *" $m "*) return ;; esac
	for d in $(modinfo -b "${initramfs_kroot:-/}" -k "$kver" -F depends "$m" | tr ',' ' '); do
		initramfs_add_module "$d"
	done
	f=$(modinfo -b "${initramfs_kroot:-/}" -k "$kver" -F filename "$m")
	mkdir -p "$root/modules"
	case "$f" in
	"(builtin)") return ;;
	*.ko) cp "$f" "$root/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" > "$root/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" > "$root/modules/$m.ko" ;;
	*) echo "initramfs: cannot load module $m from '$f'" >&2; exit 1 ;;
	esac
	initramfs_order="$initramfs_order $m"
}

# initramfs_copy_libs FILE: the shared libraries FILE links, at their paths.
initramfs_copy_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# initramfs_add_bin FILE: FILE in /bin with its libraries.
initramfs_add_bin() {
	cp "$1" "$root/bin/"
	initramfs_copy_libs "$1"
}
