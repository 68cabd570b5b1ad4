#!/bin/sh
# (guest) qemu-ga (the host's, from /usr over 9p) on the port org.qemu.guest_agent.0, in the
# background, for the speed comparison and the monitor's qemu-ga steps in the same guest. It
# runs with a block list (docs/QGA.md) that leaves the read-only file commands and, in this
# throwaway guest only, guest-shutdown: the host's check ends by powering the guest off with it.
#   sh guest-qga.sh prepare   finds the port, makes the block list and the shutdown stand-in
#                             (what a real install has ready before boot: a udev link, a config
#                             file), written to /run/qga/start.sh;
#   sh guest-qga.sh start     starts qemu-ga at once, prints "VA-E2E qga-start pid=N port=DEV".
# Two steps so that qemu-ga and the daemon are started at the same moment, as a service manager
# would start both at boot: run all at once, the block list (qemu-ga -b help and three more
# processes) delayed qemu-ga by ~0.4 s on the guest's one vCPU, and took that from the daemon too.
if [ "$1" = start ]; then
	exec sh /run/qga/start.sh
fi
name=org.qemu.guest_agent.0
qga=/usr/sbin/qemu-ga
allow="guest-sync guest-sync-delimited guest-ping guest-info guest-file-open guest-file-read guest-file-seek guest-file-close guest-shutdown"
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
# qemu-ga's guest-shutdown runs /sbin/shutdown -h -P +0 and waits for it to succeed; busybox has
# no shutdown(8) (/sbin is the initramfs' own /bin, in RAM), so a stand-in answers at once and
# powers off a moment later, as a real shutdown(8) would schedule it.
if [ ! -e /sbin/shutdown ]; then
	printf '#!/bin/sh\n(sleep 0.3; echo "VA-E2E qga-shutdown $*" >/dev/console; poweroff -f) </dev/null >/dev/null 2>&1 &\nexit 0\n' >/sbin/shutdown
	chmod +x /sbin/shutdown
fi
block="$("$qga" -b help | grep -vxF "$(echo "$allow" | tr ' ' '\n')" | paste -sd, -)"
mkdir -p /run/qga
cat >/run/qga/start.sh <<EOF
"$qga" -m virtio-serial -p "$port" -t /run/qga -f /run/qga/qga.pid -b "$block" </dev/null &
echo "VA-E2E qga-start pid=\$! port=$port uptime=\$(cut -d' ' -f1 /proc/uptime)"
EOF
