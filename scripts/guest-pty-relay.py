#!/usr/bin/env python3
# The port path for the code cache's warm-up (scripts/guest-warm-cache.mjs): a pseudo-terminal in
# raw mode stands in for a virtio-serial port, so that the daemon's warm-up runs its port code
# (open, poll, the pipe handle) and V8's cache holds it; its bytes are relayed to the warm-up's
# host over a UNIX socket. Node cannot open a pseudo-terminal itself.
#   python3 guest-pty-relay.py SOCKET   prints the terminal's path, connects to SOCKET, relays
#                                       both ways until either side ends (or 60 s of silence).
import os
import pty
import select
import socket
import sys
import tty

master, slave = pty.openpty()
tty.setraw(slave)  # 8 bits through, no echo, no line editing: a byte pipe like a port
print(os.ttyname(slave), flush=True)
host = socket.socket(socket.AF_UNIX)
host.connect(sys.argv[1])
while True:
    ready, _, _ = select.select([master, host], [], [], 60)
    if not ready:
        break
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the daemon closed the port
            data = b""
        if not data:
            break
        host.sendall(data)
    if host in ready:
        data = host.recv(65536)
        if not data:
            break
        os.write(master, data)
