#!/bin/sh
# (guest) Cold against warm starts of the guest executable in ONE boot (scripts/qemu/cold-warm.mjs
# drives it and answers the hellos): under TCG, QEMU translates each guest code page the first
# time it runs, and those translations stay valid for the next process that runs the same page
# (the executable is in the initramfs, in RAM), so run 1 pays the first-execution cost, the next
# ones do not. va_order= on the kernel command line: a comma list of steps, each
#   version   `virtagent-guest --version` under `time` (wall, CPU, page faults)
#   daemon    the daemon on the port until the host has its hello (the host prints the time), then
#             its CPU ticks and page faults from /proc/PID/stat, then SIGTERM
exe=/bin/virtagent-guest
order="version,version,daemon,daemon,daemon"
for arg in $(cat /proc/cmdline); do
	case "$arg" in va_order=*) order="${arg#va_order=}" ;; esac
done
say() { echo "VA-COLD $*"; }
n=0
for step in $(echo "$order" | tr ',' ' '); do
	n=$((n + 1))
	case "$step" in
		version)
			say "launch $n version"
			time -f "VA-COLD done $n version wall=%e user=%U sys=%S minflt=%R majflt=%F" "$exe" --version >/dev/null
			;;
		daemon)
			say "launch $n daemon"
			"$exe" --shutdown-command true --block-rpcs va.shutdown 2>/tmp/daemon-$n.err &
			pid=$!
			sleep "${VA_COLD_WAIT:-4}"
			if [ ! -d "/proc/$pid" ]; then
				# It could not start (132: an illegal instruction; a missing library says so): say why.
				wait "$pid"
				say "exited $n daemon status=$?"
				cat "/tmp/daemon-$n.err"
				continue
			fi
			set -- $(cut -d' ' -f10,12,14,15 /proc/$pid/stat)
			say "done $n daemon minflt=$1 majflt=$2 utime=$3 stime=$4 (ticks)"
			kill "$pid"; wait "$pid"
			;;
	esac
done
say "end"
