#!/usr/bin/env python3
"""Drive `virtagent monitor` through a closed loop of commands, for bench case 5.

usage: pty-drive.py --mode pty|pipe --count N --log FIFO [--command agent_ping] [--ready TEXT] -- MONITOR ARGV...

The monitor must be started with `-l FIFO` among its arguments: each finished command appends
its record there, which is how this driver knows to send the next one (the same signal in both
modes). `pty` runs the monitor on a pseudo-terminal (100x30, CI=false: Ink draws live frames)
and counts the frames Ink writes (typing starts once TEXT is on the terminal: the screen's keys
hint by default, `(virtagent)` for `--plain`); `pipe` runs it in scripted mode with stdin a pipe.
Prints one JSON line: seconds, calls, frames, bytes of terminal output, the monitor's CPU
seconds in the window (user + system, every thread), the driver's own, errors.
"""
import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time

# Ink's log-update erases the previous frame with ansi-escapes' eraseLines, which ends with
# "erase line, cursor to column 1": one per redraw of the live region.
FRAME_MARK = b'\x1b[2K\x1b[G'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--mode', choices=['pty', 'pipe'], required=True)
    parser.add_argument('--count', type=int, required=True)
    parser.add_argument('--log', required=True)
    parser.add_argument('--command', default='agent_ping')
    parser.add_argument('--ready', default='Tab completes', help='what the monitor shows when it takes input (pty mode)')
    parser.add_argument('--ready-timeout', type=float, default=15.0)
    parser.add_argument('--dump', help='also write the raw terminal output here (for checking the frame count)')
    parser.add_argument('argv', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ['--'] else args.argv

    os.mkfifo(args.log)
    # Our own writer keeps the FIFO open between the monitor's appends (no EOF busy loop).
    log_fd = os.open(args.log, os.O_RDONLY | os.O_NONBLOCK)
    keep_open = os.open(args.log, os.O_WRONLY | os.O_NONBLOCK)

    env = dict(os.environ, CI='false', TERM='xterm-256color', FORCE_COLOR='1')
    if args.mode == 'pty':
        pid, out_fd = pty.fork()
        if pid == 0:
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(out_fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
        send_fd = out_fd
        newline = b'\r'
    else:
        env['CI'] = 'true'
        child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
        pid, out_fd, send_fd = child.pid, None, child.stdin.fileno()
        newline = b'\n'

    dump = open(args.dump, 'wb') if args.dump else None
    state = {'frames': 0, 'bytes': 0, 'tail': b'', 'results': [], 'partial': b'', 'head': b''}

    def pump(timeout):
        """Read whatever is ready (terminal output, log records) for up to `timeout` seconds."""
        fds = [log_fd] + ([out_fd] if out_fd is not None else [])
        ready, _, _ = select.select(fds, [], [], timeout)
        if out_fd in ready:
            try:
                data = os.read(out_fd, 65536)
            except OSError:
                data = b''
            if not data:
                raise SystemExit(report_exit(pid, 'the monitor closed its terminal'))
            state['bytes'] += len(data)
            if dump is not None:
                dump.write(data)
            if len(state['head']) < 65536:
                state['head'] += data
            joined = state['tail'] + data
            state['frames'] += joined.count(FRAME_MARK)
            state['tail'] = joined[-(len(FRAME_MARK) - 1):]
        if log_fd in ready:
            data = os.read(log_fd, 65536)
            lines = (state['partial'] + data).split(b'\n')
            state['partial'] = lines.pop()
            for line in lines:
                # A record is "<ISO time> > <command>" and then its result line(s).
                if b' > ' in line[:40] and line[:2] == b'20':
                    continue
                state['results'].append(line.decode('utf-8', 'replace'))

    def run_one():
        before = len(state['results'])
        os.write(send_fd, args.command.encode() + newline)
        while len(state['results']) == before:
            pump(5.0)
            check_alive(pid)
        return state['results'][-1]

    deadline = time.monotonic() + args.ready_timeout
    if args.mode == 'pty':
        # Type only once the monitor shows it takes input (Ink: its prompt drawn, the terminal in raw mode).
        while args.ready.encode() not in state['head']:
            if time.monotonic() > deadline:
                raise SystemExit(report_exit(pid, 'the screen never drew its prompt'))
            pump(0.2)
            check_alive(pid)

    # Warm up until the guest is negotiated (interactive mode does not wait for it).
    while run_one() != 'ok':
        if time.monotonic() > deadline:
            raise SystemExit(report_exit(pid, 'no ok before the ready timeout: ' + state['results'][-1]))
        pump(0.05)
    # Warm the JIT before measuring: a fresh process draws its first frames 3-8x slower.
    for _ in range(200):
        run_one()

    frames_before, bytes_before, results_before = state['frames'], state['bytes'], len(state['results'])
    cpu_before, own_before = cpu_seconds(pid), time.process_time()
    start = time.monotonic()
    for _ in range(args.count):
        run_one()
    seconds = time.monotonic() - start
    cpu, own = cpu_seconds(pid) - cpu_before, time.process_time() - own_before
    # Let the screen settle so the frames of this window are counted; the frame rate is then
    # taken over the window plus the settle time (the frames were drawn in both).
    settle = time.monotonic() + 0.1
    while time.monotonic() < settle:
        pump(settle - time.monotonic())
    frame_seconds = time.monotonic() - start
    results = state['results'][results_before:]
    errors = [r for r in results if r != 'ok']

    if args.mode == 'pty':
        os.write(send_fd, b'quit\r')
    else:
        child.stdin.close()
    end = time.monotonic() + 5
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        try:
            pump(0.05)
        except SystemExit:
            break
    else:
        os.kill(pid, signal.SIGTERM)

    print(json.dumps({'seconds': seconds, 'frameSeconds': frame_seconds, 'calls': len(results), 'frames': state['frames'] - frames_before,
                      'bytes': state['bytes'] - bytes_before, 'cpuSeconds': cpu, 'driverCpuSeconds': own, 'errors': len(errors), 'firstError': errors[0] if errors else None}))


def cpu_seconds(pid):
    """The monitor's CPU time so far (user + system), from /proc; 0 where there is none."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def check_alive(pid):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        raise SystemExit('monitor exited early (status %d)' % status)


def report_exit(pid, why):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    return 'pty-drive: ' + why


if __name__ == '__main__':
    main()
