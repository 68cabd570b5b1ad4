#!/bin/sh
# Run the virtagent guest daemon in a guest WITHOUT udev (busybox initramfs, minimal images):
# there is no /dev/virtio-ports/NAME link there, so find the port by its name in sysfs
# (/sys/class/virtio-ports/vportNpM/name) and use /dev/vportNpM directly.
#
#   contrib/run-in-guest.sh [extra daemon options]
#
# Environment: VA_PORT_NAME (default org.qemu.virtagent), VIRTAGENT_GUEST (the daemon command;
# default: the single executable virtagent-guest if it is on PATH or in /usr/local/bin, else
# `node bin/virtagent.js guest` from the package this script belongs to).
set -eu

name="${VA_PORT_NAME:-org.qemu.virtagent}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "${VIRTAGENT_GUEST:-}" ]; then
	daemon="$VIRTAGENT_GUEST"
elif command -v virtagent-guest >/dev/null 2>&1; then
	daemon="$(command -v virtagent-guest)"
elif [ -x /usr/local/bin/virtagent-guest ]; then
	daemon=/usr/local/bin/virtagent-guest
else
	daemon="node $here/../bin/virtagent.js guest"
fi

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
# The daemon writes UTC and sets TZ=UTC itself when it is unset, but setting it from inside costs
# its start-up (Node re-reads the time zone through ICU at once): given here, it is free.
TZ="${TZ:-UTC}"
export TZ
# shellcheck disable=SC2086 # $daemon is a command with arguments
exec $daemon --channel virtio-serial --path "$port" "$@"
