#!/bin/sh
# Run the virtagent guest daemon in a guest WITHOUT udev (busybox initramfs, minimal images):
# there is no /dev/virtio-ports/NAME link there, so find the port by its name in sysfs
# (/sys/class/virtio-ports/vportNpM/name) and use /dev/vportNpM directly.
#
#   contrib/run-in-guest.sh [extra virtagent guest options]
#
# Environment: VA_PORT_NAME (default org.qemu.virtagent), VIRTAGENT (default: bin/virtagent.js
# next to this script, run with node).
set -eu

name="${VA_PORT_NAME:-org.qemu.virtagent}"
here="$(cd "$(dirname "$0")" && pwd)"
virtagent="${VIRTAGENT:-node $here/../bin/virtagent.js}"

port=""
# The port appears when virtio_console is loaded; give it a few seconds.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	for entry in /sys/class/virtio-ports/*; do
		[ -r "$entry/name" ] || continue
		if [ "$(cat "$entry/name")" = "$name" ]; then
			port="/dev/$(basename "$entry")"
			break 2
		fi
	done
	sleep 1
done

if [ -z "$port" ]; then
	echo "run-in-guest: no virtio-serial port named $name (is virtio_console loaded? is the port on the QEMU command line?)" >&2
	exit 1
fi

# devtmpfs normally has the node; create it from sysfs if not.
if [ ! -c "$port" ]; then
	dev="$(cat "/sys/class/virtio-ports/$(basename "$port")/dev")"
	mknod "$port" c "${dev%%:*}" "${dev##*:}"
fi

echo "run-in-guest: $name is $port" >&2
# shellcheck disable=SC2086 # $virtagent is a command with arguments
exec $virtagent guest --channel virtio-serial --path "$port" "$@"
