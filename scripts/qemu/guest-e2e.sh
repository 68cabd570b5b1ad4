#!/bin/sh
# (guest) What e2e.sh's guest runs, by boot: va_phase= on the kernel command line picks it.
#   baseline  1. the stand-in line echo (echo-guest.mjs): the host connects at once, measures
#                boot-to-first-echo and the round trips, then makes it quit;
#             2. the guest daemon with no host connected, started by contrib/run-in-guest.sh
#                (no udev): its idle CPU (guest-run.sh), then the host stops QEMU.
#   echo      step 1 only (then the guest powers off).
#   daemon    the guest daemon from boot, host connected from the start (boot-to-hello), and
#             qemu-ga beside it on its own port (guest-qga.sh), for the comparison; the host's
#             check ends with va.shutdown powerdown, which runs the guest's real power-off.
# The daemon is the single executable /bin/virtagent-guest (build-initramfs.sh --exe): it uses
# nothing from the host's /usr nor from the repository.
# The daemon's shutdown command: busybox has no shutdown(8), so every mode maps to `poweroff -f`
# (the e2e asks for powerdown); VA_SHUTDOWN_DELAY (default 1 s) keeps the run short.
here="$(dirname "$0")"
# Where the host's node is (under the host's /usr, mounted at the same path): e2e.sh tells.
[ -n "$VA_NODE_DIR" ] && PATH="$VA_NODE_DIR:$PATH"
phase=""
for arg in $(cat /proc/cmdline); do
	case "$arg" in va_phase=*) phase="${arg#va_phase=}" ;; esac
done
# With qemu-ga beside it, qemu-ga's guest-shutdown is the real power-off (the last step of the
# host's check) and the daemon's command only marks the console, to show it ran after its delay.
daemon_cmd() {
	shutdown_cmd='poweroff -f'
	[ -x /usr/sbin/qemu-ga ] && shutdown_cmd="sh -c 'echo \"VA-E2E daemon-shutdown mode=\$0\" >/dev/console' {mode}"
	# TZ=UTC as the systemd unit in contrib/ gives it (the daemon sets it itself otherwise).
	TZ=UTC VA_RUN_NAME="$1" sh "$here/guest-run.sh" /bin/virtagent-guest \
		--shutdown-command "$shutdown_cmd" --shutdown-delay "${VA_SHUTDOWN_DELAY:-1}"
}
# The idle run starts the daemon the way contrib/ documents for guests without udev: the port
# found by name in sysfs, /dev/vportNpM passed with --path.
daemon_contrib_cmd() {
	VIRTAGENT_GUEST=/bin/virtagent-guest VA_RUN_NAME="$1" sh "$here/guest-run.sh" sh "$VA_REPO/contrib/run-in-guest.sh" \
		--shutdown-command 'poweroff -f' --shutdown-delay "${VA_SHUTDOWN_DELAY:-1}"
}
echo_cmd() {
	VA_IDLE_SECONDS=0 VA_RUN_NAME=echo sh "$here/guest-run.sh" node "$here/echo-guest.mjs"
}
case "$phase" in
	baseline) echo_cmd && daemon_contrib_cmd daemon-idle ;;
	echo) echo_cmd ;;
	# Both from the same moment, as a service manager starts them: boot-to-hello against
	# boot-to-qemu-ga-answering (qemu-ga's set-up, its block list, comes first: guest-qga.sh).
	daemon) sh "$here/guest-qga.sh" prepare && {
		read -r up _ </proc/uptime
		echo "VA-E2E launch qemu-ga and daemon uptime=$up"
		sh "$here/guest-qga.sh" start & VA_IDLE_SECONDS=0 daemon_cmd daemon
	} ;;
	*) echo "VA-E2E fatal: unknown va_phase='$phase'"; exit 1 ;;
esac
