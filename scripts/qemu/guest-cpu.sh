#!/bin/sh
# Guest-side helper (busybox sh): CPU used by one process AND its descendants (e.g. commands the
# daemon runs) over a time window, from /proc/PID/stat (utime + stime, in USER_HZ = 100
# ticks/s, all threads included), plus the whole guest's busy share from /proc/stat over the same
# window. Prints one console line:
#   VA-E2E LABEL pid=N comm=NAME procs=K seconds=S ticks=T cpu_percent=P system_busy_percent=Q
# Usage: sh guest-cpu.sh PID [SECONDS=5] [LABEL=idle-cpu]
# Used to check that a program waiting on the virtio-serial port with no host connected does
# not spin (read() returns 0 at once then: a program must back off).
pid="$1" seconds="${2:-5}" label="${3:-idle-cpu}"
[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || { echo "VA-E2E $label error: no process $pid"; exit 1; }

tree() { # "PROCS TICKS": the process and its descendants, utime + stime summed
	for f in /proc/[0-9]*/stat; do
		# Drop "(comm)" (it may hold spaces): then $1 pid, $3 ppid, $13 utime, $14 stime.
		sed 's/ (.*) / /' "$f" 2>/dev/null
	done | awk -v root="$1" '
		{ parent[$1] = $3; ticks[$1] = $13 + $14 }
		END {
			if (!(root in parent)) exit 1
			in_tree[root] = 1; grew = 1
			while (grew) { grew = 0; for (p in parent) if (!(p in in_tree) && (parent[p] in in_tree)) { in_tree[p] = 1; grew = 1 } }
			n = 0; t = 0; for (p in in_tree) { n++; t += ticks[p] }
			print n, t
		}'
}
sys() { # busy and total jiffies of the whole guest
	awk '/^cpu /{t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat
}
comm="$(cat "/proc/$pid/comm")"
a="$(tree "$pid")" || { echo "VA-E2E $label error: no process $pid"; exit 1; }
s1="$(sys)"
u1="$(cut -d' ' -f1 /proc/uptime)"
sleep "$seconds"
b="$(tree "$pid")" || { echo "VA-E2E $label error: process $pid ended"; exit 1; }
s2="$(sys)"
u2="$(cut -d' ' -f1 /proc/uptime)"
echo "$a $b $u1 $u2 $s1 $s2" | awk -v pid="$pid" -v comm="$comm" -v label="$label" '{
	wall = $6 - $5; t = $4 - $2; busy = $9 - $7; tot = $10 - $8
	printf "VA-E2E %s pid=%s comm=%s procs=%d seconds=%.2f ticks=%d cpu_percent=%.2f system_busy_percent=%.2f\n",
		label, pid, comm, $3, wall, t, (wall > 0 ? t / wall : 0), (tot > 0 ? 100 * busy / tot : 0)
}'
