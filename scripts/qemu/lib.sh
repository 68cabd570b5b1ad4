# Shared helpers for scripts/qemu/*.sh (sourced, not executed).
# shellcheck shell=bash

VA_QEMU_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VA_REPO_ROOT="$(cd "$VA_QEMU_DIR/../.." && pwd)"
# Cache for downloads and the extracted kernel (git-ignored).
VA_QEMU_CACHE="${VA_QEMU_CACHE:-$VA_REPO_ROOT/.qemu-cache}"

va_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
va_die() { va_log "ERROR: $*"; exit 1; }

# Milliseconds since the epoch (GNU date).
va_now_ms() { date +%s%3N; }

# The kernel that setup.sh prepared: prints the directory holding vmlinuz, modules/, modules.load.
va_kernel_dir() {
	local cur="$VA_QEMU_CACHE/kernel/current"
	[[ -f "$cur/vmlinuz" ]] || va_die "no prepared kernel in $cur (run scripts/qemu/setup.sh)"
	(cd "$cur" && pwd -P)
}

# Prints the last lines of a console file, framed, to stderr. The daemon's log lines of the
# benchmark's thousands of va.ping calls are left out (counted), so that the tail says something.
va_console_tail() {
	local file="$1" n="${2:-40}" pings
	{
		echo "----- tail of guest console ($file) -----"
		if [[ -s "$file" ]]; then
			pings="$(grep -c 'info: rpc "va.ping"' "$file" || true)"
			((pings == 0)) || echo "($pings log lines of va.ping calls left out)"
			grep -v 'info: rpc "va.ping"' "$file" | tail -n "$n"
		else
			echo "(empty or missing)"
		fi
		echo "----- end of console -----"
	} >&2
}

# va_wait_console FILE REGEX TIMEOUT_S [QEMU_PID]: waits until a line of the console matches
# (grep -E); fails (status 1) on timeout, 2 if QEMU exited, 3 if the guest printed "VA-E2E fatal".
va_wait_console() {
	local file="$1" re="$2" timeout_s="$3" pid="${4:-}"
	local deadline=$(( $(va_now_ms) + timeout_s * 1000 ))
	while :; do
		if [[ -f "$file" ]] && grep -qE -- "$re" "$file"; then return 0; fi
		if [[ -f "$file" ]] && grep -q '^VA-E2E fatal' "$file"; then return 3; fi
		if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
			# One last look: the line may have been written just before QEMU ended.
			[[ -f "$file" ]] && grep -qE -- "$re" "$file" && return 0
			return 2
		fi
		(( $(va_now_ms) < deadline )) || return 1
		sleep 0.05
	done
}

# va_wait_exit PID TIMEOUT_S: waits for a process (not necessarily our child) to end.
va_wait_exit() {
	local pid="$1" deadline=$(( $(va_now_ms) + $2 * 1000 ))
	while kill -0 "$pid" 2>/dev/null; do
		# A zombie child of ours counts as ended.
		[[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" == Z ]] && return 0
		(( $(va_now_ms) < deadline )) || return 1
		sleep 0.05
	done
}
