#!/bin/sh
# Put the guest executable and its systemd unit into a disk image, offline, with virt-customize
# (libguestfs): the daemon then starts at the guest's next boot.
#
#   contrib/virt-customize.sh IMAGE [EXECUTABLE]    (EXECUTABLE default: dist/virtagent-guest)
#
# The image must be x86_64 with glibc 2.28 or newer (docs/guest.md "Supported targets").
set -eu
image="${1:?usage: contrib/virt-customize.sh IMAGE [EXECUTABLE]}"
here="$(cd "$(dirname "$0")" && pwd)"
exe="${2:-$here/../dist/virtagent-guest}"
[ -x "$exe" ] || { echo "virt-customize.sh: $exe missing (npm run build:guest)" >&2; exit 1; }
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# --copy-in keeps the file's name: stage both under the names they get in the guest.
cp "$exe" "$stage/virtagent-guest"
cp "$here/virtagent-guest.service" "$stage/virtagent-guest.service"
virt-customize -a "$image" \
	--copy-in "$stage/virtagent-guest:/usr/local/bin" \
	--chmod 0755:/usr/local/bin/virtagent-guest \
	--copy-in "$stage/virtagent-guest.service:/etc/systemd/system" \
	--chmod 0644:/etc/systemd/system/virtagent-guest.service \
	--run-command 'systemctl enable virtagent-guest.service'
