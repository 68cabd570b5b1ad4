#!/usr/bin/env bash
# A Debian guest with systemd and udev, for installing the guest executable the way
# docs/guest.md tells an operator to (scripts/qemu/systemd-e2e.mjs): the busybox initramfs of the
# main e2e has no service manager, so the unit in contrib/ is only checked here.
#
# Usage: scripts/qemu/systemd-rootfs.sh OUT_INITRD EXECUTABLE [installed|cloud-init]
#   1. once (cached in .qemu-cache/debian-systemd/): debootstrap's minbase of Debian 12 with
#      systemd, udev, kmod, cloud-init (python3-cffi-backend named: debootstrap does not resolve
#      the virtual package python3-cryptography needs), curl and Debian's qemu-guest-agent
#      (started by its own udev rule and unit, the comparison for boot-to-hello; its
#      configuration blocks every command but guest-sync*, guest-ping and guest-info, as
#      docs/QGA.md asks), the virtio modules of the e2e kernel with their depmod tables (so
#      that udev loads them when it sees the devices, as in any Debian guest), docs and manuals
#      left out, as an uncompressed newc cpio (the kernel unpacks it; a gzip'd one costs seconds
#      of emulated decompression);
#   2. each run: a second cpio, appended, with
#      installed   EXECUTABLE installed and the unit enabled exactly as docs/guest.md and
#                  contrib/virt-customize.sh do it (install -m 755, install -m 644, `systemctl
#                  enable`, here offline with --root as in an image);
#      cloud-init  nothing installed: contrib/cloud-init.yaml as the NoCloud seed's user-data, its
#                  URL and SHA256 filled in as its comment tells the operator; the URL is
#                  file:///srv/virtagent-guest (curl reads it as it would an HTTP one; the guest
#                  has no network), where the executable waits.
# Needs root (debootstrap, chroot) and the kernel from setup.sh; installs debootstrap if missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: systemd-rootfs.sh OUT_INITRD EXECUTABLE [installed|cloud-init]"
out="${1:?$usage}"
exe="${2:?$usage}"
how="${3:-installed}"
[[ -x "$exe" ]] || va_die "$exe is not an executable (npm run build:guest)"
kernel_dir="$(va_kernel_dir)"
version="$(basename "$kernel_dir")"
cache="$VA_QEMU_CACHE/debian-systemd/$version"
base="$cache/rootfs.cpio"
busybox=/bin/busybox
[[ -x "$busybox" ]] || va_die "$busybox missing (run scripts/qemu/setup.sh)"

# debootstrap mounts /proc and /sys inside the tree while it works: never remove or archive a tree
# that still has anything mounted under it.
unmounted() { # DIR
	local mount
	for mount in $(awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
		umount "$mount" || umount -l "$mount"
	done
	! awk -v d="$1/" 'index($2, d) == 1 {found = 1} END {exit !found}' /proc/mounts || va_die "$1 still has mounts under it"
}

make_cpio() { # DIR OUT: the tree as a newc archive owned by root
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$2"
}

# The cached image is made again when this recipe changes.
packages=systemd,systemd-sysv,udev,kmod,qemu-guest-agent,cloud-init,python3-cffi-backend,curl
recipe="bookworm minbase $packages"
if [[ ! -s "$base" || "$(cat "$cache/recipe" 2>/dev/null)" != "$recipe" ]]; then
	command -v debootstrap >/dev/null || {
		va_log "installing debootstrap"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	rootfs="$cache/rootfs"
	mkdir -p "$cache" && unmounted "$rootfs" && rm -rf "$rootfs" "$base"
	va_log "debootstrap: Debian 12 minbase with systemd and udev into $rootfs (a few minutes, once)"
	debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; va_die "debootstrap failed (log: $cache/debootstrap.log)"; }
	modules="$rootfs/lib/modules/$version/kernel/e2e"
	mkdir -p "$modules"
	cp "$kernel_dir"/modules/*.ko "$modules/"
	unmounted "$rootfs"
	touch "$rootfs/lib/modules/$version/"{modules.order,modules.builtin,modules.builtin.modinfo}
	chroot "$rootfs" depmod "$version"
	allow='guest-sync guest-sync-delimited guest-ping guest-info'
	block="$(chroot "$rootfs" qemu-ga -b help | grep -vxF -f <(tr ' ' '\n' <<<"$allow") | paste -sd';')"
	mkdir -p "$rootfs/etc/qemu"
	printf '[general]\nblock-rpcs=%s\n' "$block" >"$rootfs/etc/qemu/qemu-ga.conf"
	chroot "$rootfs" qemu-ga -D | grep -q '^block-rpcs=.*guest-shutdown' || va_die "qemu-ga in the guest image did not take its block list"
	rm -rf "$rootfs"/usr/share/{doc,man,info,locale} "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/*
	# No login prompt on the console: its lines are the test's timeline.
	ln -sf /dev/null "$rootfs/etc/systemd/system/serial-getty@ttyS0.service"
	echo virtagent-e2e >"$rootfs/etc/hostname"
	# cloud-init looks only for a NoCloud seed (none on the installed boots: it then stays off).
	printf 'datasource_list: [NoCloud, None]\n' >"$rootfs/etc/cloud/cloud.cfg.d/90-virtagent-e2e.cfg"
	unmounted "$rootfs"
	make_cpio "$rootfs" "$base.tmp" && mv "$base.tmp" "$base"
	echo "$recipe" >"$cache/recipe"
	rm -rf "$rootfs"
	va_log "base $(du -h "$base" | cut -f1) in $base"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
case "$how" in
	installed)
		mkdir -p "$stage/usr/local/bin" "$stage/etc/systemd/system"
		# docs/guest.md "Copy it in and enable the unit", offline.
		install -m 755 "$exe" "$stage/usr/local/bin/virtagent-guest"
		install -m 644 "$VA_REPO_ROOT/contrib/virtagent-guest.service" "$stage/etc/systemd/system/virtagent-guest.service"
		systemctl --root="$stage" enable virtagent-guest.service 2>/dev/null
		;;
	cloud-init)
		seed="$stage/var/lib/cloud/seed/nocloud"
		mkdir -p "$stage/srv" "$seed"
		cp "$exe" "$stage/srv/virtagent-guest"
		sha="$(sha256sum "$exe" | cut -d' ' -f1)"
		grep -q '"URL"' "$VA_REPO_ROOT/contrib/cloud-init.yaml" && grep -q 'SHA256  ' "$VA_REPO_ROOT/contrib/cloud-init.yaml" ||
			va_die "contrib/cloud-init.yaml no longer has the URL and SHA256 placeholders this test fills in"
		sed -e 's#"URL"#"file:///srv/virtagent-guest"#' -e "s#SHA256  #$sha  #" "$VA_REPO_ROOT/contrib/cloud-init.yaml" >"$seed/user-data"
		printf 'instance-id: virtagent-e2e\nlocal-hostname: virtagent-e2e\n' >"$seed/meta-data"
		;;
	*) va_die "$usage" ;;
esac
# The executable's libraries come from the Debian guest itself (glibc 2.36): none from the host.
make_cpio "$stage" "$stage/overlay.cpio"
cat "$base" "$stage/overlay.cpio" >"$out.tmp" && mv "$out.tmp" "$out"
