#!/usr/bin/env bash
# End-to-end test in a real guest (QEMU, software emulation). `npm run e2e:qemu` runs it.
#
# Modes (VA_E2E_MODE):
#   full (default)  two boots of the same guest, one after the other:
#     baseline  the stand-in line echo (echo-guest.mjs) on the port: scripts/qemu/host-echo.mjs
#               measures boot-to-first-echo and round trips (THE BASELINE); then the guest daemon
#               starts with no host connected and the guest measures its idle CPU (guest-run.sh,
#               the daemon and any children); QEMU is then stopped over QMP.
#     daemon    the guest daemon from boot, the host connected from the start:
#               test/e2e/qemu-daemon.mjs drives the monitor (hello, capabilities, ping, a file
#               only in the guest, the guest's dmesg, the monitor killed and restarted, the
#               va.ping round trips, va.shutdown powerdown -> the guest powers itself off).
#   echo    the echo part of the baseline boot only;  daemon  the daemon boot only.
# Each step has a time limit and the whole run too. Environment: VA_E2E_IDLE_SECONDS (idle-CPU
# window, default 5), VA_E2E_IDLE_MAX_PERCENT (fail above, default 5), VA_E2E_BENCH (echo runs,
# "COUNTxSIZE,...", default "3000x64,3000x200"), VA_E2E_PING_COUNT (default 3000),
# VA_E2E_SHUTDOWN_DELAY (s, default 1), VA_E2E_TOTAL_TIMEOUT (s, default 540), VA_E2E_KEEP=1
# (keep the run folder), VA_E2E_RESULT_FILE (also write the summary JSON there),
# VA_E2E_BENCH_FILE (figures for the benchmark; default bench/results/e2e-qemu.json).
# Output: progress on stderr, one summary JSON line on stdout. Exit non-zero on any failure,
# with the tail of the guest console.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The whole run under one time limit (the trap below still cleans up on SIGTERM).
if [[ -z "${VA_E2E_UNDER_TIMEOUT:-}" ]]; then
	export VA_E2E_UNDER_TIMEOUT=1
	exec timeout -k 15 "${VA_E2E_TOTAL_TIMEOUT:-540}" bash "$0" "$@"
fi

MODE="${VA_E2E_MODE:-full}"
REPO="$VA_REPO_ROOT"
IDLE_SECONDS="${VA_E2E_IDLE_SECONDS:-5}"
IDLE_MAX="${VA_E2E_IDLE_MAX_PERCENT:-5}"
SHUTDOWN_DELAY="${VA_E2E_SHUTDOWN_DELAY:-1}"
export VA_E2E_BENCH="${VA_E2E_BENCH:-3000x64,3000x200}"
BENCH_FILE="${VA_E2E_BENCH_FILE:-$REPO/bench/results/e2e-qemu.json}"
case "$MODE" in
	full) BOOTS=(baseline daemon) ;;
	echo) BOOTS=(echo) ;;
	daemon) BOOTS=(daemon) ;;
	*) va_die "unknown VA_E2E_MODE=$MODE (full, echo or daemon)" ;;
esac

RUN="$(mktemp -d /tmp/va-e2e.XXXXXX)"
INITRD="$RUN/initrd.cpio.gz"
QEMU_PID="" QMP="" CONSOLE="" CHILD="" STEP="start" T_START=$(va_now_ms)

stop_qemu() { # QMP quit, then SIGTERM, then SIGKILL: only the QEMU we started, by pid
	[[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null || { QEMU_PID=""; return 0; }
	timeout 8 node "$VA_QEMU_DIR/qmp.mjs" "$QMP" quit --timeout-ms 5000 >/dev/null 2>&1 || true
	va_wait_exit "$QEMU_PID" 5 && { STOPPED_BY=qmp-quit; QEMU_PID=""; return 0; }
	kill "$QEMU_PID" 2>/dev/null || true
	va_wait_exit "$QEMU_PID" 5 && { STOPPED_BY=sigterm; QEMU_PID=""; return 0; }
	kill -9 "$QEMU_PID" 2>/dev/null || true
	STOPPED_BY=sigkill QEMU_PID=""
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ -n "$CHILD" ]] && kill "$CHILD" 2>/dev/null && va_wait_exit "$CHILD" 5
	stop_qemu
	if ((rc != 0)); then
		va_log "FAILED in step '$STEP' (exit $rc)"
		[[ -n "$CONSOLE" && -f "$CONSOLE" ]] && va_console_tail "$CONSOLE" 40
		[[ -s "${CONSOLE%/*}/qemu.log" ]] && { echo "----- QEMU messages -----"; tail -n 10 "${CONSOLE%/*}/qemu.log"; } >&2
	fi
	if [[ "${VA_E2E_KEEP:-0}" == 1 ]]; then va_log "run folder kept: $RUN"; else rm -rf "$RUN"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { va_log "$*"; exit 1; }

# run_limited SECONDS CMD...: runs CMD under `timeout` in the background and waits for it, so
# that a signal to this script (the overall limit, Ctrl-C) is handled at once by the trap.
run_limited() {
	local limit="$1" rc=0; shift
	timeout -k 5 "$limit" "$@" &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=""
	((rc != 124)) || va_log "time limit (${limit}s) reached: $*"
	return "$rc"
}

wait_console() { # REGEX TIMEOUT_S WHAT
	local rc=0
	va_wait_console "$CONSOLE" "$1" "$2" "$QEMU_PID" || rc=$?
	case $rc in
		0) ;;
		1) fail "timeout (${2}s) waiting for $3" ;;
		2) fail "QEMU ended while waiting for $3" ;;
		3) fail "the guest reported a fatal error while waiting for $3" ;;
	esac
}

# console_line REGEX: the first console line matching, without the serial console's CR.
console_line() { grep -m1 -E -- "$1" "$CONSOLE" | tr -d '\r' || true; }

step_setup() {
	STEP=setup
	local t0; t0=$(va_now_ms)
	run_limited 480 bash "$VA_QEMU_DIR/setup.sh" >"$RUN/kver" || fail "setup failed"
	KVER="$(tail -n 1 "$RUN/kver")"
	SETUP_MS=$(( $(va_now_ms) - t0 ))
}

step_initramfs() {
	STEP=initramfs
	# One initramfs for every boot: guest-e2e.sh reads va_phase= from the kernel command line.
	run_limited 60 bash "$VA_QEMU_DIR/build-initramfs.sh" --out "$INITRD" --repo "$REPO" \
		--cmd 'sh "$VA_REPO/scripts/qemu/guest-e2e.sh"' --after poweroff \
		--env "VA_IDLE_SECONDS=$IDLE_SECONDS" --env "VA_SHUTDOWN_DELAY=$SHUTDOWN_DELAY" \
		--env "VA_NODE_DIR=${NODE_BIN%/*}" --exe "$GUEST_EXE" \
		|| fail "initramfs build failed"
}

boot() { # PHASE: starts QEMU for that boot; sets QEMU_PID, QEMU_START_MS, SEED, SOCK, QGA_SOCK, CONSOLE, QMP
	local phase="$1" dir="$RUN/$1" out
	STEP="$phase: boot"
	mkdir -p "$dir"
	SOCK="$dir/va.sock" QGA_SOCK="$dir/qga.sock" CONSOLE="$dir/console.log" QMP="$dir/qmp.sock"
	# --foreground: QEMU stays in this script's process group (a signal to the group reaches it).
	out="$(timeout --foreground -k 5 30 bash "$VA_QEMU_DIR/boot.sh" --initrd "$INITRD" --repo "$REPO" \
		--sock "$SOCK" --qga-sock "$QGA_SOCK" --console "$CONSOLE" --qmp "$QMP" --log "$dir/qemu.log" --pid-file "$dir/qemu.pid" \
		--append "va_phase=$phase")" \
		|| { QEMU_PID="$(cat "$dir/qemu.pid" 2>/dev/null || true)"; fail "boot failed"; }
	QEMU_PID="$(sed -n 's/^QEMU_PID=//p' <<<"$out")"
	QEMU_START_MS="$(sed -n 's/^QEMU_START_MS=//p' <<<"$out")"
	SEED="$(sed -n 's/^VA_SEED=//p' <<<"$out")"
	[[ -n "$QEMU_PID" && -n "$SEED" ]] || fail "boot.sh gave no pid/seed"
}

host_check() { # NAME RESULT_FILE LIMIT_S CMD...: a host check with the contract of host-echo.mjs
	local name="$1" result="$2" limit="$3"; shift 3
	STEP="$PHASE: $name"
	va_log "$PHASE: $name: $*"
	VA_E2E_SOCKET="$SOCK" VA_E2E_QGA_SOCKET="$QGA_SOCK" VA_E2E_IDLE_SECONDS="$IDLE_SECONDS" VA_E2E_CONSOLE="$CONSOLE" VA_E2E_SEED="$SEED" VA_E2E_T0_MS="$QEMU_START_MS" \
		VA_E2E_QEMU_PID="$QEMU_PID" VA_E2E_QMP="$QMP" VA_E2E_RESULT="$result" VA_E2E_KERNEL="$KVER" \
		VA_E2E_SHUTDOWN_DELAY="$SHUTDOWN_DELAY" VA_REPO="$REPO" \
		run_limited "$limit" "$@" >/dev/null || fail "$name failed"
	[[ -s "$result" ]] || fail "$name wrote no result"
}

# The echo program: ready at once (no idle window), the host check, the quit.
run_echo() {
	STEP="$PHASE: echo ready"
	wait_console '^VA-E2E ready pid=[0-9]+ uptime=[0-9.]+ name=echo' 120 "the echo program to open the port"
	host_check host-echo "$RUN/echo.json" 120 node "$VA_QEMU_DIR/host-echo.mjs"
}

# The daemon with no host connected: the guest measures its CPU (and its children's).
run_daemon_idle() {
	STEP="$PHASE: daemon idle"
	wait_console '^VA-E2E host-may-connect name=daemon-idle' $((IDLE_SECONDS + 180)) "the daemon's idle-CPU measurement"
	local pid line pct settle
	pid="$(console_line '^VA-E2E ready pid=[0-9]+ .*name=daemon-idle' | sed -n 's/^VA-E2E ready pid=\([0-9]*\) .*/\1/p')"
	line="$(console_line "^VA-E2E idle-cpu pid=$pid ")"
	[[ -n "$pid" && -n "$line" ]] || fail "no idle-cpu line for the daemon (pid '$pid')"
	# Started by contrib/run-in-guest.sh: it must have found the port by name, without udev.
	local found
	found="$(console_line '^run-in-guest: org\.qemu\.virtagent is /dev/vport[0-9]+p[0-9]+')"
	[[ -n "$found" ]] || fail "contrib/run-in-guest.sh did not report the port it found"
	settle="$(console_line "^VA-E2E settled pid=$pid " | sed -n 's/.* after=\([0-9]*\)s.*/\1/p')"
	pct="$(sed -n 's/.* cpu_percent=\([0-9.]*\).*/\1/p' <<<"$line")"
	echo "$line settle_seconds=${settle:-0}" >"$RUN/idle.txt"
	awk -v p="$pct" -v m="$IDLE_MAX" 'BEGIN { exit !(p <= m) }' \
		|| fail "the guest daemon used ${pct}% CPU while idle (limit ${IDLE_MAX}%): $line"
	va_log "$PHASE: daemon idle with no host: ${line#VA-E2E } (${found})"
}

phase_baseline() {
	boot baseline
	run_echo
	run_daemon_idle
	STEP="baseline: stop"
	stop_qemu
}

phase_echo() {
	boot echo
	run_echo
	STEP="echo: poweroff"
	va_wait_exit "$QEMU_PID" 30 || fail "the guest did not power off within 30 s"
	grep -q '^VA-E2E cmd-exit code=0' "$CONSOLE" || fail "the guest command did not exit with 0"
	QEMU_PID=""
}

phase_daemon() {
	boot daemon
	# At once: the monitor connects while the guest boots, so it sees the first hello.
	local baseline=()
	[[ -s "$RUN/echo.json" ]] && baseline=(--baseline "$RUN/echo.json")
	host_check qemu-daemon "$RUN/daemon.json" 300 node "$REPO/test/e2e/qemu-daemon.mjs" "${baseline[@]}"
	STEP="daemon: poweroff"
	# The check saw QEMU end after va.shutdown; make sure, and that nothing else ended the guest.
	va_wait_exit "$QEMU_PID" 5 || fail "QEMU still runs after the check"
	QEMU_PID=""
	! grep -q '^VA-E2E \(cmd-exit\|program-exit\)' "$CONSOLE" || fail "the guest daemon exited before the power-off"
}

step_report() {
	STEP=report
	local args=(--mode "$MODE" --kernel "$KVER" --setup-ms "$SETUP_MS" --start-ms "$T_START" --bench-file "$BENCH_FILE")
	[[ -s "$RUN/echo.json" ]] && args+=(--echo "$RUN/echo.json")
	[[ -s "$RUN/idle.txt" ]] && args+=(--idle "$RUN/idle.txt")
	[[ -s "$RUN/daemon.json" ]] && args+=(--daemon "$RUN/daemon.json")
	local summary
	summary="$(node "$VA_QEMU_DIR/report.mjs" "${args[@]}")" || fail "report failed"
	[[ -n "${VA_E2E_RESULT_FILE:-}" ]] && echo "$summary" >"$VA_E2E_RESULT_FILE"
	echo "$summary"
}

[[ -f "$REPO/dist/src/cli.js" ]] || fail "dist/ is not built (npm run build)"
# The daemon in the guest is the single executable, with only the libraries it needs.
GUEST_EXE="${VA_E2E_GUEST_EXE:-$REPO/dist/virtagent-guest}"
[[ -x "$GUEST_EXE" ]] || fail "$GUEST_EXE is not built (npm run build:guest)"
# The echo baseline runs the host's Node from the host's /usr, shared over 9p at the same path.
NODE_BIN="$(readlink -f "$(command -v node)")"
[[ "$NODE_BIN" == /usr/* ]] || fail "node is $NODE_BIN: the guest sees only the host's /usr (install Node under /usr)"

step_setup
step_initramfs
for PHASE in "${BOOTS[@]}"; do
	"phase_$PHASE"
done
step_report
va_log "PASS ($MODE) in $(( $(va_now_ms) - T_START )) ms"
