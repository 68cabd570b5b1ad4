#!/bin/sh
# Guest-side helper (busybox sh): CPU used by one process over a time window, from
# /proc/PID/stat (utime + stime, in USER_HZ = 100 ticks/s, all threads included), plus the
# whole guest's busy share from /proc/stat over the same window. Prints one console line:
#   VA-E2E idle-cpu pid=N comm=NAME seconds=S ticks=T cpu_percent=P system_busy_percent=Q
# Usage: sh guest-cpu.sh PID [SECONDS=5] [LABEL=idle-cpu]
# Used to check that a program waiting on the virtio-serial port with no host connected does
# not spin (read() returns 0 at once then: a program must back off).
pid="$1" seconds="${2:-5}" label="${3:-idle-cpu}"
[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || { echo "VA-E2E $label error: no process $pid"; exit 1; }

ticks() { # utime + stime: fields 14 and 15, counted after the "(comm)" field that may hold spaces
	sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
sys() { # busy and total jiffies of the whole guest
	awk '/^cpu /{t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat
}
comm="$(cat "/proc/$pid/comm")"
a="$(ticks "$pid")" || exit 1
s1="$(sys)"
u1="$(cut -d' ' -f1 /proc/uptime)"
sleep "$seconds"
b="$(ticks "$pid")" || { echo "VA-E2E $label error: process $pid ended"; exit 1; }
s2="$(sys)"
u2="$(cut -d' ' -f1 /proc/uptime)"
echo "$a $b $u1 $u2 $s1 $s2" | awk -v pid="$pid" -v comm="$comm" -v label="$label" '{
	wall = $4 - $3; t = $2 - $1; busy = $7 - $5; tot = $8 - $6
	printf "VA-E2E %s pid=%s comm=%s seconds=%.2f ticks=%d cpu_percent=%.2f system_busy_percent=%.2f\n",
		label, pid, comm, wall, t, (wall > 0 ? t / wall : 0), (tot > 0 ? 100 * busy / tot : 0)
}'
