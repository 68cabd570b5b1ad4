#!/usr/bin/env bash
# End-to-end test in a real guest (QEMU, software emulation). `npm run e2e:qemu` runs it.
#
# Steps (each a function below, each with a time limit; the whole run is capped too):
#   setup      scripts/qemu/setup.sh: apt packages + Debian kernel + modules (idempotent)
#   initramfs  build-initramfs.sh with the GUEST COMMAND of the mode
#   boot       boot.sh: QEMU with the virtio-serial port on a UNIX socket
#   ready      wait for the guest program to open the port, and for its idle-CPU line
#   host-check the HOST CHECK of the mode, against the socket
#   shutdown   the guest powers off (expected) or QEMU is stopped over QMP; then the report
#
# Modes (VA_E2E_MODE):
#   echo    (default) guest: node scripts/qemu/echo-guest.mjs; host: scripts/qemu/host-echo.mjs
#           (verifies echo, measures boot-to-echo and round trips = the baseline)
#   daemon  guest: node bin/virtagent.js guest; host: test/e2e/qemu-daemon.mjs (to be written
#           with the monitor; same contract as host-echo.mjs, see there)
# Overrides: VA_E2E_GUEST_CMD (guest shell command; sees $VA_REPO, $VA_PORT, $VA_SEED,
#   $VA_SECRET_FILE), VA_E2E_HOST_CHECK (host command), VA_E2E_EXPECT_POWEROFF=0|1,
#   VA_E2E_IDLE_SECONDS (idle-CPU window, default 5; 0 = none, the host connects at once, which
#   gives the exact boot-to-first-echo time), VA_E2E_IDLE_MAX_PERCENT (fail above, default 5),
#   VA_E2E_TOTAL_TIMEOUT (s, default 540), VA_E2E_KEEP=1 (keep the run folder),
#   VA_E2E_RESULT_FILE (also write the summary JSON there), VA_E2E_BENCH (see host-echo.mjs).
# Output: progress on stderr, one summary JSON line on stdout. Exit non-zero on any failure,
# with the tail of the guest console.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The whole run under one time limit (the trap below still cleans up on SIGTERM).
if [[ -z "${VA_E2E_UNDER_TIMEOUT:-}" ]]; then
	export VA_E2E_UNDER_TIMEOUT=1
	exec timeout -k 15 "${VA_E2E_TOTAL_TIMEOUT:-540}" bash "$0" "$@"
fi

MODE="${VA_E2E_MODE:-echo}"
REPO="$VA_REPO_ROOT"
IDLE_SECONDS="${VA_E2E_IDLE_SECONDS:-5}"
IDLE_MAX="${VA_E2E_IDLE_MAX_PERCENT:-5}"
case "$MODE" in
	echo)
		GUEST_CMD='sh "$VA_REPO/scripts/qemu/guest-run.sh" node "$VA_REPO/scripts/qemu/echo-guest.mjs"'
		HOST_CHECK="node $VA_QEMU_DIR/host-echo.mjs"
		EXPECT_POWEROFF=1 ;;
	daemon)
		GUEST_CMD='sh "$VA_REPO/scripts/qemu/guest-run.sh" node "$VA_REPO/bin/virtagent.js" guest'
		HOST_CHECK="node $REPO/test/e2e/qemu-daemon.mjs"
		EXPECT_POWEROFF=0 ;;
	*) va_die "unknown VA_E2E_MODE=$MODE (echo or daemon)" ;;
esac
GUEST_CMD="${VA_E2E_GUEST_CMD:-$GUEST_CMD}"
HOST_CHECK="${VA_E2E_HOST_CHECK:-$HOST_CHECK}"
EXPECT_POWEROFF="${VA_E2E_EXPECT_POWEROFF:-$EXPECT_POWEROFF}"

RUN="$(mktemp -d /tmp/va-e2e.XXXXXX)"
SOCK="$RUN/va.sock" CONSOLE="$RUN/console.log" QMP="$RUN/qmp.sock" INITRD="$RUN/initrd.cpio.gz"
QEMU_PID="" CHILD="" STEP="start" SHUTDOWN="" T_START=$(va_now_ms)

stop_qemu() { # QMP quit, then SIGTERM, then SIGKILL: only the QEMU we started, by pid
	[[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null || return 0
	timeout 8 node "$VA_QEMU_DIR/qmp.mjs" "$QMP" quit --timeout-ms 5000 >/dev/null 2>&1 || true
	va_wait_exit "$QEMU_PID" 5 && { SHUTDOWN="${SHUTDOWN:-qmp-quit}"; return 0; }
	kill "$QEMU_PID" 2>/dev/null || true
	va_wait_exit "$QEMU_PID" 5 && { SHUTDOWN="${SHUTDOWN:-sigterm}"; return 0; }
	kill -9 "$QEMU_PID" 2>/dev/null || true
	SHUTDOWN="${SHUTDOWN:-sigkill}"
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ -n "$CHILD" ]] && kill "$CHILD" 2>/dev/null && va_wait_exit "$CHILD" 5
	stop_qemu
	if ((rc != 0)); then
		va_log "FAILED in step '$STEP' (exit $rc)"
		[[ -f "$CONSOLE" ]] && va_console_tail "$CONSOLE" 40
		[[ -s "$RUN/qemu.log" ]] && { echo "----- QEMU messages -----"; tail -n 10 "$RUN/qemu.log"; } >&2
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

step_setup() {
	STEP=setup
	local t0; t0=$(va_now_ms)
	run_limited 480 bash "$VA_QEMU_DIR/setup.sh" >"$RUN/kver" || fail "setup failed"
	KVER="$(tail -n 1 "$RUN/kver")"
	SETUP_MS=$(( $(va_now_ms) - t0 ))
}

step_initramfs() {
	STEP=initramfs
	run_limited 60 bash "$VA_QEMU_DIR/build-initramfs.sh" --out "$INITRD" --repo "$REPO" \
		--cmd "$GUEST_CMD" --after poweroff --env "VA_IDLE_SECONDS=$IDLE_SECONDS" \
		|| fail "initramfs build failed"
}

step_boot() {
	STEP=boot
	local out
	# --foreground: QEMU stays in this script's process group (a signal to the group reaches it).
	out="$(timeout --foreground -k 5 30 bash "$VA_QEMU_DIR/boot.sh" --initrd "$INITRD" --repo "$REPO" \
		--sock "$SOCK" --console "$CONSOLE" --qmp "$QMP" --log "$RUN/qemu.log" --pid-file "$RUN/qemu.pid")" \
		|| { QEMU_PID="$(cat "$RUN/qemu.pid" 2>/dev/null || true)"; fail "boot failed"; }
	QEMU_PID="$(sed -n 's/^QEMU_PID=//p' <<<"$out")"
	QEMU_START_MS="$(sed -n 's/^QEMU_START_MS=//p' <<<"$out")"
	SEED="$(sed -n 's/^VA_SEED=//p' <<<"$out")"
	[[ -n "$QEMU_PID" && -n "$SEED" ]] || fail "boot.sh gave no pid/seed"
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

step_ready() {
	STEP=ready
	wait_console '^VA-E2E ready pid=' 120 "the guest program to open the port"
	READY_MS=$(( $(va_now_ms) - QEMU_START_MS ))
	READY_UPTIME="$(sed -n 's/^VA-E2E ready pid=[0-9]* uptime=\([0-9.]*\).*/\1/p' "$CONSOLE" | head -n 1)"
	IDLE_LINE=""
	if ((IDLE_SECONDS > 0)); then
		wait_console '^VA-E2E (host-may-connect|idle-cpu error)' $((IDLE_SECONDS + 30)) "the idle-CPU measurement"
		IDLE_LINE="$(grep -m1 '^VA-E2E idle-cpu ' "$CONSOLE" | tr -d '\r' || true)"  # the serial console ends lines with CR LF
		[[ -n "$IDLE_LINE" ]] || fail "no idle-cpu line"
		local pct; pct="$(sed -n 's/.* cpu_percent=\([0-9.]*\).*/\1/p' <<<"$IDLE_LINE")"
		awk -v p="$pct" -v m="$IDLE_MAX" 'BEGIN { exit !(p <= m) }' \
			|| fail "guest program used ${pct}% CPU while idle (limit ${IDLE_MAX}%): $IDLE_LINE"
		va_log "idle: ${IDLE_LINE#VA-E2E }"
	fi
}

step_host_check() {
	STEP=host-check
	va_log "host check: $HOST_CHECK"
	VA_E2E_SOCKET="$SOCK" VA_E2E_CONSOLE="$CONSOLE" VA_E2E_SEED="$SEED" VA_E2E_T0_MS="$QEMU_START_MS" \
		VA_E2E_QEMU_PID="$QEMU_PID" VA_E2E_QMP="$QMP" VA_E2E_RUNDIR="$RUN" VA_E2E_RESULT="$RUN/host.json" \
		VA_REPO="$REPO" run_limited 240 $HOST_CHECK >/dev/null || fail "host check failed"
	[[ -s "$RUN/host.json" ]] || echo '{}' >"$RUN/host.json"
}

step_shutdown() {
	STEP=shutdown
	if ((EXPECT_POWEROFF)); then
		va_wait_exit "$QEMU_PID" 30 || fail "the guest did not power off within 30 s"
		SHUTDOWN=guest-poweroff
		grep -q '^VA-E2E cmd-exit code=0' "$CONSOLE" || fail "the guest command did not exit with 0"
	else
		va_wait_exit "$QEMU_PID" 2 && SHUTDOWN=guest-poweroff || stop_qemu
	fi
	wait "$QEMU_PID" 2>/dev/null || true
	QEMU_PID=""
}

step_report() {
	STEP=report
	local idle_json=null
	if [[ -n "$IDLE_LINE" ]]; then
		idle_json="$(awk '{ printf "{"; sep = ""; for (i = 3; i <= NF; i++) { split($i, kv, "="); v = kv[2];
			if (v !~ /^[0-9.]+$/) v = "\"" v "\""; printf "%s\"%s\":%s", sep, kv[1], v; sep = "," } print "}" }' <<<"$IDLE_LINE")"
	fi
	local summary
	summary="$(printf '{"mode":"%s","kernel":"%s","accel":"tcg","setupMs":%s,"bootToReadyMs":%s,"guestUptimeAtReady":%s,"idleCpu":%s,"host":%s,"shutdown":"%s","totalMs":%s,"hostLoadavg":"%s"}' \
		"$MODE" "$KVER" "$SETUP_MS" "$READY_MS" "${READY_UPTIME:-null}" "$idle_json" "$(cat "$RUN/host.json")" \
		"$SHUTDOWN" $(( $(va_now_ms) - T_START )) "$(cut -d' ' -f1-3 /proc/loadavg)")"
	[[ -n "${VA_E2E_RESULT_FILE:-}" ]] && echo "$summary" >"$VA_E2E_RESULT_FILE"
	echo "$summary"
}

if [[ "$MODE" == daemon && -z "${VA_E2E_HOST_CHECK:-}" && ! -f "$REPO/test/e2e/qemu-daemon.mjs" ]]; then
	fail "mode daemon: no host check test/e2e/qemu-daemon.mjs yet (or set VA_E2E_HOST_CHECK)"
fi
if [[ "$MODE" == daemon && ! -f "$REPO/dist/src/cli.js" ]]; then
	fail "mode daemon: dist/ is not built (npm run build)"
fi

step_setup
step_initramfs
step_boot
step_ready
step_host_check
step_shutdown
step_report
va_log "PASS ($MODE) in $(( $(va_now_ms) - T_START )) ms"
