#!/usr/bin/env bash
# Prepares everything the QEMU e2e harness needs; idempotent (a second run does nothing).
#   - apt packages: qemu-system-x86 (qemu-system-x86_64), busybox-static (/bin/busybox, static)
#   - a Debian kernel: `apt-get download linux-image-<version>-amd64`, `dpkg -x` into the cache,
#     keeping vmlinuz plus the virtio / 9p modules (plain .ko, in load order).
#   - vmlinux: the uncompressed kernel taken out of vmlinuz (xz), booted through its PVH entry:
#     under software emulation that skips ~5 s of firmware and decompression (boot.sh uses it
#     when present; VA_QEMU_PVH=0 there boots vmlinuz the classic way).
# Result: $VA_QEMU_CACHE/kernel/current -> <version>/ with vmlinuz, [vmlinux], modules/*.ko,
# modules.load (file names in load order)
#
# Environment:
#   VA_QEMU_CACHE    cache folder (default <repo>/.qemu-cache)
#   VA_KERNEL_PKG    kernel package to use (default: the one linux-image-amd64 depends on)
#   VA_KERNEL_MODULES modules wanted (their dependencies are added; default below)
#   VA_SETUP_NO_APT=1 never call apt-get install (fail instead)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# virtio_rng: without an entropy source the guest waits ~1.5 s for its RNG before Node can start.
MODULES_WANTED="${VA_KERNEL_MODULES:-virtio_pci virtio_console 9pnet_virtio 9p virtio_rng}"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -y -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
apt_updated=0

apt_update_once() {
	((apt_updated)) && return 0
	va_log "apt-get update"
	timeout 300 apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null || va_die "apt-get update failed"
	apt_updated=1
}

has_candidate() { # package -> true if apt knows a version to install
	local c
	c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
	[[ -n "$c" && "$c" != "(none)" ]]
}

apt_install() { # packages...
	[[ "${VA_SETUP_NO_APT:-0}" == 1 ]] && va_die "missing packages: $* (VA_SETUP_NO_APT=1)"
	[[ "$(id -u)" == 0 ]] || va_die "need root to apt-get install $*"
	local p
	for p in "$@"; do has_candidate "$p" || apt_update_once; done
	va_log "apt-get install $*"
	local t0; t0=$(va_now_ms)
	timeout 480 apt-get install "${APT_OPTS[@]}" --no-install-recommends "$@" >"$VA_QEMU_CACHE/apt-install.log" 2>&1 \
		|| { tail -n 20 "$VA_QEMU_CACHE/apt-install.log" >&2; va_die "apt-get install $* failed"; }
	va_log "apt-get install took $(( $(va_now_ms) - t0 )) ms"
}

mkdir -p "$VA_QEMU_CACHE"

# 1. Packages. busybox-static conflicts with (and replaces) the dynamic busybox package.
missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
	missing+=(busybox-static)
fi
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
[[ -x /bin/busybox ]] || va_die "/bin/busybox missing after install"

# 2. The kernel package.
if [[ -n "${VA_KERNEL_PKG:-}" ]]; then
	kpkg="$VA_KERNEL_PKG"
else
	has_candidate linux-image-amd64 || apt_update_once
	kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
	[[ -n "$kpkg" ]] || va_die "cannot find the kernel package linux-image-amd64 depends on"
fi
kver="${kpkg#linux-image-}"
kdir="$VA_QEMU_CACHE/kernel/$kver"
stamp="$kdir/.done"
want_stamp="v2|$kpkg|$MODULES_WANTED"  # bump v2 when the layout changes

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" && -f "$kdir/vmlinuz" ]]; then
	va_log "kernel $kver already prepared in $kdir"
else
	debdir="$VA_QEMU_CACHE/debs"
	mkdir -p "$debdir"
	deb="$(ls "$debdir/${kpkg}_"*.deb 2>/dev/null | head -n 1 || true)"
	if [[ -z "$deb" ]]; then
		has_candidate "$kpkg" || apt_update_once
		va_log "apt-get download $kpkg"
		# apt's sandbox user cannot write to most folders: download in a temp dir it can use.
		dl="$(mktemp -d)"; chmod 777 "$dl"
		(cd "$dl" && timeout 300 apt-get download -q "$kpkg" >/dev/null 2>"$dl/err") \
			|| { cat "$dl/err" >&2; rm -rf "$dl"; va_die "apt-get download $kpkg failed"; }
		mv "$dl"/*.deb "$debdir/"
		rm -rf "$dl"
		deb="$(ls "$debdir/${kpkg}_"*.deb | head -n 1)"
	fi

	va_log "extracting $(basename "$deb")"
	x="$VA_QEMU_CACHE/kernel/.extract-$kver"
	rm -rf "$x" "$kdir"
	mkdir -p "$x" "$kdir/modules"
	dpkg -x "$deb" "$x"
	cp "$x/boot/vmlinuz-$kver" "$kdir/vmlinuz"
	cp "$x/boot/config-$kver" "$kdir/config" 2>/dev/null || true
	mroot="$x/lib/modules/$kver"
	[[ -d "$mroot" ]] || mroot="$x/usr/lib/modules/$kver"
	[[ -d "$mroot" ]] || va_die "no modules folder for $kver in the package"
	# The package has no modules.dep (depmod runs at install time): make one.
	if [[ ! -f "$mroot/modules.dep" ]]; then
		mbase="${mroot%/lib/modules/$kver}"
		busybox depmod -b "$mbase" "$kver" 2>/dev/null || true
		if [[ ! -f "$mroot/modules.dep" ]] && command -v depmod >/dev/null; then
			depmod -b "$mbase" "$kver"
		fi
	fi
	[[ -f "$mroot/modules.dep" ]] || va_die "could not build modules.dep"

	# Dependency order from modules.dep ("path: dep dep ..."; deps first). Names are normalised
	# (dash == underscore; .ko, .ko.xz, .ko.zst, .ko.gz).
	builtin="$mroot/modules.builtin"; [[ -f "$builtin" ]] || builtin=/dev/null
	order="$(awk -v want="$MODULES_WANTED" -v bfile="$builtin" '
		function norm(p,   n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n); return n }
		function visit(n,   i, k, d) {
			if (n in done) return
			done[n] = 1
			if (!(n in path)) { if (!(n in builtin)) missing = missing " " n; return }
			k = split(deps[n], d, " ")
			for (i = 1; i <= k; i++) visit(d[i])
			print path[n]
		}
		BEGIN { while ((getline l < bfile) > 0) builtin[norm(l)] = 1 }
		{
			p = $1; sub(/:$/, "", p); n = norm(p); path[n] = p; s = ""
			for (i = 2; i <= NF; i++) s = s " " norm($i)
			deps[n] = s
		}
		END {
			k = split(want, w, " ")
			for (i = 1; i <= k; i++) { x = w[i]; gsub(/-/, "_", x); visit(x) }
			if (missing != "") { print "modules not found:" missing > "/dev/stderr"; exit 3 }
		}' "$mroot/modules.dep")" || va_die "module resolution failed for: $MODULES_WANTED"
	: >"$kdir/modules.load"
	while IFS= read -r rel; do
		[[ -n "$rel" ]] || continue
		src="$mroot/$rel"
		base="$(basename "$rel")"
		case "$base" in
			*.ko) cp "$src" "$kdir/modules/$base" ;;
			*.ko.xz) xz -dc "$src" >"$kdir/modules/${base%.xz}" ;;
			*.ko.zst) command -v zstd >/dev/null || va_die "zstd needed for $base"; zstd -qdc "$src" >"$kdir/modules/${base%.zst}" ;;
			*.ko.gz) gzip -dc "$src" >"$kdir/modules/${base%.gz}" ;;
			*) va_die "unknown module file $rel" ;;
		esac
		base="${base%.xz}"; base="${base%.zst}"; base="${base%.gz}"
		echo "$base" >>"$kdir/modules.load"
	done <<<"$order"
	rm -rf "$x"
	# The uncompressed ELF for a PVH boot (needs CONFIG_PVH=y; Debian 12 compresses with xz).
	if grep -q '^CONFIG_PVH=y' "$kdir/config" 2>/dev/null; then
		off="$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kdir/vmlinuz" | head -n 1 | cut -d: -f1 || true)"
		if [[ -n "$off" ]]; then
			# xz reports the bytes after the stream as corrupt data: judge by the result instead.
			tail -c "+$((off + 1))" "$kdir/vmlinuz" | xz -dc >"$kdir/vmlinux.tmp" 2>/dev/null || true
			if [[ "$(head -c 4 "$kdir/vmlinux.tmp" | od -An -c | tr -d ' ')" == '177ELF' ]] \
				&& (( $(stat -c %s "$kdir/vmlinux.tmp") > 4000000 )); then
				mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
			else
				rm -f "$kdir/vmlinux.tmp"; va_log "could not extract vmlinux; booting vmlinuz"
			fi
		fi
	fi
	echo "$want_stamp" >"$stamp"
	va_log "kernel $kver ready: $(tr '\n' ' ' <"$kdir/modules.load")"
fi
ln -sfn "$kver" "$VA_QEMU_CACHE/kernel/current"
echo "$kver"
