#!/usr/bin/env bash
# Real libvirt domains (TCG) for the fleet's --libvirt: N transient domains booting the e2e
# kernel and an initramfs that runs qemu-ga (block-listed, scripts/qemu/guest-qga.sh) on the
# port org.qemu.guest_agent.0, which libvirt connects to. Then, for example:
#   virtagent monitor --libvirt qemu:///system -c '@all agent_ping; guests'
#   VA_LIBVIRT_URI=qemu:///system npx vitest run test/monitor/fleet/libvirt-real.test.ts
# Needs a running libvirtd (system mode) and virtlogd. On a bare Debian 12 container, as root:
#   apt-get install -y --no-install-recommends libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu
#   useradd -r -s /usr/sbin/nologin libvirt-qemu; getent group kvm || groupadd -r kvm
#   printf 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n' > /etc/libvirt/qemu.conf
#   virtlogd & libvirtd &
# Usage: scripts/qemu/libvirt-fleet.sh start [N] | stop   (domains are named fleetvm1..N)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

URI="${VA_LIBVIRT_URI:-qemu:///system}"
WORK="${VA_LIBVIRT_WORK:-/tmp/va-libvirt-fleet}"
case "${1:-}" in
	start)
		count="${2:-2}"
		mkdir -p "$WORK"
		bash "$VA_QEMU_DIR/build-initramfs.sh" --out "$WORK/initrd.cpio.gz" --repo "$VA_REPO_ROOT" --port-name org.qemu.guest_agent.0 \
			--cmd "sh $VA_REPO_ROOT/scripts/qemu/guest-qga.sh; while true; do sleep 3600; done" --after poweroff
		for n in $(seq 1 "$count"); do
			cat >"$WORK/fleetvm$n.xml" <<XML
<domain type='qemu'>
  <name>fleetvm$n</name>
  <memory unit='MiB'>320</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$(va_kernel_dir)/vmlinuz</kernel>
    <initrd>$WORK/initrd.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 va_seed=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n') va_after=poweroff</cmdline>
  </os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <serial type='file'><source path='$WORK/console-$n.log'/><target port='0'/></serial>
    <controller type='virtio-serial' index='0'/>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'><source dir='/usr'/><target dir='hostusr'/><readonly/></filesystem>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'><source dir='$VA_REPO_ROOT'/><target dir='hostrepo'/><readonly/></filesystem>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='none'/>
  </devices>
</domain>
XML
			virsh -c "$URI" create "$WORK/fleetvm$n.xml" >/dev/null
			va_log "fleetvm$n started (console: $WORK/console-$n.log)"
		done
		# qemu-ga answers once the guest has booted (~10 s under TCG).
		for n in $(seq 1 "$count"); do
			for _ in $(seq 1 120); do
				virsh -c "$URI" qemu-agent-command "fleetvm$n" '{"execute":"guest-ping"}' >/dev/null 2>&1 && break
				sleep 1
			done
		done
		virsh -c "$URI" list
		;;
	stop)
		for domain in $(virsh -c "$URI" list --name | grep '^fleetvm' || true); do
			virsh -c "$URI" destroy "$domain" >/dev/null
		done
		;;
	*) va_die "usage: $0 start [N] | stop" ;;
esac
