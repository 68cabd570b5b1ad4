#!/bin/sh
# (guest) Starts qemu-ga (the host's, from /usr over 9p) on the port org.qemu.guest_agent.0, in
# the background, for the speed comparison in the same guest. It runs with a block list that
# leaves only harmless commands (docs/QGA.md: the same rule as on a development machine, though
# here it could only touch this throwaway guest). Prints "VA-E2E qga-start pid=N port=DEV".
name=org.qemu.guest_agent.0
qga=/usr/sbin/qemu-ga
allow="guest-sync guest-sync-delimited guest-ping guest-info"
[ -x "$qga" ] || { echo "VA-E2E fatal: $qga missing (apt-get install qemu-guest-agent on the host)"; exit 1; }
port=""
i=0
while [ -z "$port" ]; do
	for entry in /sys/class/virtio-ports/*; do
		[ "$(cat "$entry/name" 2>/dev/null)" = "$name" ] && port="/dev/${entry##*/}"
	done
	i=$((i + 1))
	[ -n "$port" ] || [ "$i" -lt 100 ] || { echo "VA-E2E fatal: no port named $name"; exit 1; }
	[ -n "$port" ] || sleep 0.1
done
block="$("$qga" -b help | grep -vxF "$(echo "$allow" | tr ' ' '\n')" | paste -sd, -)"
mkdir -p /run/qga
"$qga" -m virtio-serial -p "$port" -t /run/qga -f /run/qga/qga.pid -b "$block" </dev/null &
echo "VA-E2E qga-start pid=$! port=$port uptime=$(cut -d' ' -f1 /proc/uptime)"
