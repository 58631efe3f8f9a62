#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkguest.sh [options] KVER OUT.cpio.gz
#
# Packs the initramfs of a test guest that runs Debian's kernel KVER:
# busybox-static, bpftool with the shared libraries it links, kernel
# modules with their dependency closure (read from modinfo) and a generic
# /init.  /init mounts proc, sysfs, devtmpfs, bpffs and a tmpfs /tmp,
# loads /modules/* in dependency order, names the virtio-serial ports
# (/dev/virtio-ports/NAME, as udev would), then runs /guest-run (the test's
# own script, given with --run) and powers off when it returns.
#
#   --run FILE          the guest's script, installed as /guest-run
#   --module NAME       add a kernel module and its dependencies (repeatable)
#   --file SRC[:DST]    add a file, at DST (default: /SRC's basename) (repeatable)
#   --bin FILE          add an executable at /bin/ with its shared libraries
#
# Reused for the nested (L2) guest of the end-to-end tests.
set -eu

run= modules= files= bins=
while [ $# -gt 2 ]; do
	case "$1" in
	--run) run=$2; shift 2 ;;
	--module) modules="$modules $2"; shift 2 ;;
	--file) files="$files $2"; shift 2 ;;
	--bin) bins="$bins $2"; shift 2 ;;
	*) echo "mkguest: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ $# -ne 2 ]; then
	echo "usage: mkguest.sh [--run F] [--module M]... [--file SRC[:DST]]... [--bin F]... KVER OUT.cpio.gz" >&2
	exit 2
fi
kver=$1 out=$2

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,modules,proc,sys,dev,tmp,run,lib64,out}

cp /bin/busybox "$root/bin/busybox"

. "$(cd "$(dirname "$0")" && pwd)/../initramfs-lib.sh"

bpftool=$(command -v bpftool || true)
[ -n "$bpftool" ] || bpftool=/usr/sbin/bpftool
if [ ! -x "$bpftool" ]; then
	echo "mkguest: bpftool is not installed: apt-get install bpftool" >&2
	exit 1
fi
initramfs_add_bin "$bpftool"
for b in $bins; do
	initramfs_add_bin "$b"
done

for m in $modules; do
	initramfs_add_module "$m"
done
printf '%s\n' $initramfs_order > "$root/modules/order"

for f in $files; do
	src=${f%%:*} dst=${f#*:}
	[ "$dst" != "$f" ] || dst=/$(basename "$src")
	mkdir -p "$root$(dirname "$dst")"
	cp "$src" "$root$dst"
done
if [ -n "$run" ]; then
	cp "$run" "$root/guest-run"
	chmod +x "$root/guest-run"
fi

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf
for m in $(cat /modules/order); do
	insmod "/modules/$m.ko" || echo "mkguest-init: insmod $m failed"
done
# Name the virtio-serial ports as udev would: /dev/virtio-ports/NAME.
# virtio_console adds the ports of a virtio-serial device (type 3), and
# their names, after its probe: wait up to 10 s for a named one.
if grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
	i=0
	while [ $i -lt 100 ] &&
	      ! cat /sys/class/virtio-ports/*/name 2>/dev/null | grep -q .; do
		sleep 0.1
		i=$((i + 1))
	done
fi
mkdir -p /dev/virtio-ports /run
for p in /sys/class/virtio-ports/*; do
	[ -e "$p/name" ] || continue
	ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$(cat "$p/name")"
done
# The guest's own output goes to the org.bpfpoke.log port when the VMM
# gives one: through the emulated UART every byte is an exit to the VMM,
# and a chatty guest would take the host's CPU from the agent it talks to.
log=/dev/virtio-ports/org.bpfpoke.log
if [ -x /guest-run ] && [ -c "$log" ]; then
	/guest-run > "$log" 2>&1
elif [ -x /guest-run ]; then
	/guest-run
else
	setsid cttyhack sh -l
fi
poweroff -f
INIT
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
