#!/bin/sh
# Guest-side wrapper (busybox sh) that runs the program under test on the virtio-serial port:
#   1. starts CMD... in the background;
#   2. waits until it has the port ($VA_PORT) open (found in /proc/PID/fd: works for any
#      program, e.g. `node bin/virtagent.js guest`), prints "VA-E2E ready pid=N uptime=U";
#   3. if VA_IDLE_SECONDS > 0 (default 5): waits for its start-up to settle (see below), then
#      measures the CPU of the program and its children for that long with guest-cpu.sh; the
#      host must NOT be connected yet (it waits for the next line);
#   4. prints "VA-E2E host-may-connect", waits for the program, prints "VA-E2E program-exit code=N".
# Each of these lines ends with " name=$VA_RUN_NAME" (default: the program's file name) so that
# the host can tell apart several programs run one after the other in the same boot.
# Usage: sh guest-run.sh CMD [ARGS...]
here="$(dirname "$0")"
say() { echo "VA-E2E $*"; }
port="${VA_PORT:-/dev/virtio-ports/org.qemu.virtagent}"
dev="$(readlink -f "$port")"
name="${VA_RUN_NAME:-${1##*/}}"
[ -c "$dev" ] || { say "fatal: port $port is not a character device"; exit 1; }

# The wait below runs beside the program's start-up on the guest's one vCPU, so it forks
# nothing: under emulation a fork costs milliseconds. Measured in the e2e guest, 50 looks 0.1 s
# apart: `ls -l /proc/PID/fd` and `sleep 0.1` (2 forks) took ~20 ms of CPU each, ~17% of the
# vCPU while the program started; shell builtins and a read with a timeout on a FIFO nobody
# writes to (the pause) ~0.3 ms each.
has_port() { # any descriptor of process $1 is the port (same device and inode)
	for fd in /proc/"$1"/fd/*; do
		[ "$fd" -ef "$dev" ] && return 0
	done
	return 1
}
tick="/tmp/va-e2e-tick.$$"
mkfifo "$tick" 2>/dev/null || tick=""
pause() { # 0.1 s
	if [ -n "$tick" ]; then read -r -t 0.1 _ <>"$tick"; else sleep 0.1; fi
}

"$@" &
pid=$!
i=0
while :; do
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; say "program-exit code=$? name=$name (before opening the port)"; exit 1; }
	has_port "$pid" && break
	i=$((i + 1))
	[ "$i" -ge 1200 ] && { say "fatal: program $pid did not open $port within 120 s"; kill "$pid"; exit 1; }
	pause
done
[ -n "$tick" ] && rm -f "$tick"
say "ready pid=$pid uptime=$(cut -d' ' -f1 /proc/uptime) name=$name"

if [ "${VA_IDLE_SECONDS:-5}" -gt 0 ]; then
	# Let start-up finish first (a Node program takes seconds to start under emulation):
	# 1 s windows until one uses at most VA_SETTLE_TICKS (default 2,
	# i.e. 2 %), at most VA_SETTLE_SECONDS (default 40); a program that spins never settles,
	# and is then measured anyway.
	# Not before VA_SETTLE_MIN_SECONDS (default 12): V8's memory reducer runs one full GC about
	# 8 s after start-up's allocations calm down. On the host that is ~50 ms once; under
	# emulation it is several hundred ms, which a 5 s window right after start-up would count as
	# idle CPU (measured: 4-5 ticks at 6-9 s after start on the host, none later or with
	# --no-memory-reducer). It is start-up work; the check is about a program that spins.
	sleep "${VA_SETTLE_MIN_SECONDS:-12}"
	waited="${VA_SETTLE_MIN_SECONDS:-12}"
	while [ "$waited" -lt "${VA_SETTLE_SECONDS:-40}" ]; do
		waited=$((waited + 1))
		ticks="$(sh "$here/guest-cpu.sh" "$pid" 1 settle | sed -n 's/.* ticks=\([0-9]*\) .*/\1/p')"
		[ -n "$ticks" ] && [ "$ticks" -le "${VA_SETTLE_TICKS:-2}" ] && break
	done
	say "settled pid=$pid after=${waited}s uptime=$(cut -d' ' -f1 /proc/uptime) name=$name"
	sh "$here/guest-cpu.sh" "$pid" "${VA_IDLE_SECONDS:-5}" idle-cpu
fi
say "host-may-connect name=$name"
wait "$pid"
rc=$?
say "program-exit code=$rc name=$name"
exit "$rc"
