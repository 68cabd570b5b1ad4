#!/usr/bin/env bash
# Boots the e2e guest under QEMU (software emulation) in the background and returns.
#
# Usage: scripts/qemu/boot.sh --sock PATH --console FILE (--initrd FILE | --cmd 'GUEST CMD')
#          [--repo PATH] [--seed HEX] [--after poweroff|stay] [--qmp PATH] [--log FILE]
#          [--pid-file FILE] [--kernel FILE] [--mem MB] [--accel tcg] [--append 'EXTRA']
#          [--wait-for REGEX] [--wait-timeout S] [--qga-sock PATH] [--exe FILE]
#   --sock PATH      UNIX socket QEMU listens on: the host end of port org.qemu.virtagent
#   --qga-sock PATH  a second port, org.qemu.guest_agent.0 (qemu-ga's), with its host end there
#   --exe FILE       with --cmd: the guest executable to put in the initramfs (build-initramfs.sh)
#   --console FILE   the guest's serial console (ttyS0) is written there
#   --initrd FILE    an initramfs from build-initramfs.sh; or --cmd to build one next to the
#                    console file with that guest command (and --repo/--after)
#   --repo PATH      host folder shared read-only at the same path (default: this repository)
#   --seed HEX       seed of the guest-only secret file (va_seed=); default: random
#   --qmp PATH       QMP socket (default: <console>.qmp) for `node scripts/qemu/qmp.mjs PATH quit`
#   --wait-for RE    after starting, wait until a console line matches RE (grep -E)
# Environment: VA_QEMU_PVH=0 boots vmlinuz instead of vmlinux; VA_QEMU_EXTRA='more qemu args';
# VA_QEMU_ACCEL (default tcg).
# Prints (stdout) QEMU_PID=, QEMU_START_MS=, VA_SEED= lines, usable with `eval`. On failure
# prints QEMU's messages and the tail of the console and exits non-zero (QEMU is killed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sock="" qga_sock="" exe="" console="" initrd="" cmd="" repo="$VA_REPO_ROOT" seed="" after="" qmp="" log=""
pidfile="" kernel="" mem=512 accel="${VA_QEMU_ACCEL:-tcg}" extra="" wait_for="" wait_timeout=120
while (($#)); do
	case "$1" in
		--sock) sock="$2"; shift 2 ;;
		--qga-sock) qga_sock="$2"; shift 2 ;;
		--exe) exe="$2"; shift 2 ;;
		--console) console="$2"; shift 2 ;;
		--initrd) initrd="$2"; shift 2 ;;
		--cmd) cmd="$2"; shift 2 ;;
		--repo) repo="$2"; shift 2 ;;
		--seed) seed="$2"; shift 2 ;;
		--after) after="$2"; shift 2 ;;
		--qmp) qmp="$2"; shift 2 ;;
		--log) log="$2"; shift 2 ;;
		--pid-file) pidfile="$2"; shift 2 ;;
		--kernel) kernel="$2"; shift 2 ;;
		--mem) mem="$2"; shift 2 ;;
		--accel) accel="$2"; shift 2 ;;
		--append) extra="$2"; shift 2 ;;
		--wait-for) wait_for="$2"; shift 2 ;;
		--wait-timeout) wait_timeout="$2"; shift 2 ;;
		-h|--help) sed -n '2,23p' "$0"; exit 0 ;;
		*) va_die "unknown argument: $1" ;;
	esac
done
[[ -n "$sock" && -n "$console" ]] || va_die "--sock and --console are required"
(( ${#sock} < 100 )) || va_die "socket path too long for a UNIX socket: $sock"
command -v qemu-system-x86_64 >/dev/null || va_die "qemu-system-x86_64 missing (run scripts/qemu/setup.sh)"
repo="$(cd "$repo" && pwd -P)"
if [[ -z "$kernel" ]]; then
	# The PVH entry of the uncompressed kernel boots ~5 s faster under TCG than vmlinuz.
	kernel="$(va_kernel_dir)/vmlinux"
	[[ -f "$kernel" && "${VA_QEMU_PVH:-1}" != 0 ]] || kernel="$(va_kernel_dir)/vmlinuz"
fi
[[ -n "$qmp" ]] || qmp="$console.qmp"
[[ -n "$log" ]] || log="$console.qemu.log"
[[ -n "$seed" ]] || seed="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
[[ "$seed" =~ ^[0-9a-fA-F]+$ ]] || va_die "--seed must be hex"
if [[ -z "$initrd" ]]; then
	[[ -n "$cmd" ]] || va_die "give --initrd FILE or --cmd 'GUEST COMMAND'"
	initrd="$console.initrd.cpio.gz"
	bash "$VA_QEMU_DIR/build-initramfs.sh" --out "$initrd" --repo "$repo" --cmd "$cmd" --after "${after:-poweroff}" ${exe:+--exe "$exe"}
fi
[[ -f "$initrd" ]] || va_die "no initramfs at $initrd"
append="console=ttyS0 quiet panic=-1 va_seed=$seed"
[[ -n "$after" ]] && append+=" va_after=$after"
[[ -n "$extra" ]] && append+=" $extra"

rm -f "$sock" "$qmp" "$console" ${qga_sock:+"$qga_sock"}
: >"$log"
args=(
	-machine q35 -accel "$accel" -m "$mem" -smp 1 -nodefaults -display none -no-reboot -nic none
	-serial "file:$console"
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-device virtio-rng-pci
	-device virtio-serial-pci
	-chardev "socket,id=va0,path=$sock,server=on,wait=off"
	-device virtserialport,chardev=va0,name=org.qemu.virtagent
	-virtfs local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$repo,mount_tag=hostrepo,security_model=none,readonly=on,multidevs=remap"
	-qmp "unix:$qmp,server=on,wait=off"
)
[[ -n "$qga_sock" ]] && args+=(
	-chardev "socket,id=qga0,path=$qga_sock,server=on,wait=off"
	-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0
)
# Extra QEMU arguments (word-split), e.g. VA_QEMU_EXTRA='-device virtio-rng-pci'.
# shellcheck disable=SC2206
[[ -n "${VA_QEMU_EXTRA:-}" ]] && args+=($VA_QEMU_EXTRA)
echo "qemu-system-x86_64 ${args[*]}" >>"$log"
start_ms=$(va_now_ms)
qemu-system-x86_64 "${args[@]}" </dev/null >>"$log" 2>&1 &
pid=$!
[[ -n "$pidfile" ]] && echo "$pid" >"$pidfile"

fail() {
	va_log "boot failed: $*"
	{ echo "----- QEMU messages ($log) -----"; tail -n 20 "$log"; } >&2
	va_console_tail "$console"
	kill "$pid" 2>/dev/null && va_wait_exit "$pid" 5 || kill -9 "$pid" 2>/dev/null || true
	exit 1
}

# The socket exists as soon as QEMU has set its devices up.
deadline=$(( start_ms + 15000 ))
until [[ -S "$sock" ]]; do
	kill -0 "$pid" 2>/dev/null || fail "QEMU exited at once"
	(( $(va_now_ms) < deadline )) || fail "no socket $sock after 15 s"
	sleep 0.05
done
echo "QEMU_PID=$pid"
echo "QEMU_START_MS=$start_ms"
echo "VA_SEED=$seed"
va_log "QEMU pid $pid, socket $sock, console $console, qmp $qmp"

if [[ -n "$wait_for" ]]; then
	rc=0; va_wait_console "$console" "$wait_for" "$wait_timeout" "$pid" || rc=$?
	case $rc in
		0) va_log "console matched /$wait_for/ after $(( $(va_now_ms) - start_ms )) ms" ;;
		1) fail "timeout (${wait_timeout}s) waiting for /$wait_for/ on the console" ;;
		2) fail "QEMU ended before /$wait_for/ appeared on the console" ;;
		3) fail "the guest reported a fatal error" ;;
	esac
fi
