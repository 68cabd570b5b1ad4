#!/bin/sh
# Guest-side wrapper (busybox sh) that runs the program under test on the virtio-serial port:
#   1. starts CMD... in the background;
#   2. waits until it has the port ($VA_PORT) open (found in /proc/PID/fd: works for any
#      program, e.g. `node bin/virtagent.js guest`), prints "VA-E2E ready pid=N uptime=U";
#   3. if VA_IDLE_SECONDS > 0 (default 5): waits VA_SETTLE_SECONDS (default 1), then measures
#      the program's CPU for that long with guest-cpu.sh; the host must NOT be connected yet
#      (it waits for the next line);
#   4. prints "VA-E2E host-may-connect", waits for the program, prints "VA-E2E program-exit code=N".
# Usage: sh guest-run.sh CMD [ARGS...]
here="$(dirname "$0")"
say() { echo "VA-E2E $*"; }
port="${VA_PORT:-/dev/virtio-ports/org.qemu.virtagent}"
dev="$(readlink -f "$port")"
[ -c "$dev" ] || { say "fatal: port $port is not a character device"; exit 1; }

"$@" &
pid=$!
i=0
while :; do
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; say "program-exit code=$? (before opening the port)"; exit 1; }
	for fd in /proc/"$pid"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$dev" ] && break 2
	done
	i=$((i + 1))
	[ "$i" -ge 600 ] && { say "fatal: program $pid did not open $port within 60 s"; kill "$pid"; exit 1; }
	sleep 0.1
done
say "ready pid=$pid uptime=$(cut -d' ' -f1 /proc/uptime)"

if [ "${VA_IDLE_SECONDS:-5}" -gt 0 ]; then
	sleep "${VA_SETTLE_SECONDS:-1}"
	sh "$here/guest-cpu.sh" "$pid" "${VA_IDLE_SECONDS:-5}" idle-cpu
fi
say "host-may-connect"
wait "$pid"
rc=$?
say "program-exit code=$rc"
exit "$rc"
