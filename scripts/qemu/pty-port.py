#!/usr/bin/env python3
# A stand-in for a virtio-serial port on the host (scripts/qemu/instructions.mjs start): a
# pseudo-terminal in raw mode, so that the daemon runs its port path (open, poll, write) as in a
# VM. Node cannot open a pseudo-terminal itself.
#   python3 pty-port.py   prints the terminal's path, then "bytes N" once the first bytes written
#                         to it arrive (or "timeout" after 300 s), then exits.
import os
import pty
import select
import tty

master, slave = pty.openpty()
tty.setraw(slave)  # 8 bits through, no echo, no line editing: a byte pipe like a port
print(os.ttyname(slave), flush=True)
# The slave stays open here too: with no process holding it, reads on the master fail (EIO).
ready, _, _ = select.select([master], [], [], 300)
print(f"bytes {len(os.read(master, 65536))}" if ready else "timeout", flush=True)
