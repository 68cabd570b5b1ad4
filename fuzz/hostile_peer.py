#!/usr/bin/env python3
"""An independent hostile peer for virtagent, written from docs/PROTOCOL.md only (Python 3
stdlib, no project code). It starts the real programs itself and tries cases beyond the list
of issue #10 against both: the guest daemon (this script plays the host) and the monitor (this
script plays the guest). After every case the program must still be alive and answer a good
request. Exit 0 when every case passed.

    python3 fuzz/hostile_peer.py [--target guest|monitor|both] [--only NAME,...] [--list]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, 'bin', 'virtagent.js')
REQUEST_LINE = b'POST /RPC2 HTTP/1.1'
RESPONSE_LINE = b'HTTP/1.1 200 OK'


# --- wire ------------------------------------------------------------------------------------

def frame(start, tag, body, extra_headers=(), sentinel=True, length=None):
    """One message as the spec writes it (section 2), with room to bend every part."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    lines = [start, b'Content-Type: text/xml',
             b'Content-Length: ' + str(len(body) if length is None else length).encode()]
    if tag is not None:
        lines.append(b'X-Virtagent-Client-Tag: ' + (tag if isinstance(tag, bytes) else tag.encode('latin-1')))
    lines.extend(extra_headers)
    return (b'\xff' if sentinel else b'') + b'\r\n'.join(lines) + b'\r\n\r\n' + body


def call(method, params=()):
    return xmlrpc.client.dumps(tuple(params), methodname=method, allow_none=True).encode('utf-8')


def reply(value):
    return xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True).encode('utf-8')


def request(tag, method, params=()):
    return frame(REQUEST_LINE, tag, call(method, params))


class Reader:
    """Frames the program sends: (kind, tag, body)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''
        self.closed = False

    def _parse(self):
        out = []
        while True:
            start = self.buf.find(b'\xff')
            if start < 0:
                self.buf = b''
                return out
            end = self.buf.find(b'\r\n\r\n', start)
            # A sentinel inside a header starts a new message (section 2): what came before it
            # was not a frame (the monitor's protocol detection sends qemu-ga sync lines first).
            restart = self.buf.find(b'\xff', start + 1)
            if restart >= 0 and (end < 0 or restart < end):
                self.buf = self.buf[restart:]
                continue
            if end < 0:
                self.buf = self.buf[start:]
                return out
            lines = self.buf[start + 1:end].split(b'\r\n')
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b':')
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b'content-length', b'0') or 0)
            if len(self.buf) < end + 4 + length:
                self.buf = self.buf[start:]
                return out
            body = self.buf[end + 4:end + 4 + length]
            kind = 'request' if lines[0].startswith(b'POST') else 'response'
            tag = headers.get(b'x-virtagent-client-tag')
            out.append((kind, tag.decode('latin-1') if tag is not None else None, body))
            self.buf = self.buf[end + 4 + length:]

    def read(self, timeout):
        """Frames that arrive within `timeout` seconds (returns early once some came)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return []
        except OSError:
            data = b''
        if not data:
            self.closed = True
            return []
        self.buf += data
        return self._parse()


def decode(body):
    """(value, fault) of a response body, by Python's own XML-RPC decoder."""
    try:
        return xmlrpc.client.loads(body)[0][0], None
    except xmlrpc.client.Fault as fault:
        return None, (fault.faultCode, fault.faultString)


def is_return_line(line):
    """A --json result line that succeeded: an object with a "return" member."""
    try:
        parsed = json.loads(line) if line is not None else None
    except ValueError:
        return False
    return isinstance(parsed, dict) and 'return' in parsed


# --- the guest daemon, with this script as its host ------------------------------------------

class ProgramUnderTest:
    """What both programs share: a child process, a UNIX socket, this script's connection."""

    name = 'program'

    def alive(self):
        return self.proc.poll() is None

    def wait_for_socket(self):
        deadline = time.time() + 15
        while not os.path.exists(self.sock_path):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError('the %s did not start listening' % self.name)
            time.sleep(0.05)

    def connect(self):
        for _ in range(50):
            try:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.connect(self.sock_path)
                self.conn, self.reader = conn, Reader(conn)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('cannot connect to the %s' % self.name)

    def send(self, data):
        try:
            self.conn.sendall(data)
        except OSError:
            pass

    def stop_process(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.stderr.close()


class GuestUnderTest(ProgramUnderTest):
    name = 'guest'

    def __init__(self, workdir):
        self.sock_path = os.path.join(workdir, 'guest.sock')
        self.stderr = open(os.path.join(workdir, 'guest.stderr'), 'wb')
        # 'true' as the shutdown command: nothing here may ever stop this machine.
        self.proc = subprocess.Popen(
            ['node', BIN, 'guest', '--channel', 'unix-listen', '--path', self.sock_path,
             '--shutdown-command', 'true', '--shutdown-delay', '0'],
            stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.wait_for_socket()
        self.conn = None
        self.reader = None
        self.counter = 0

    def fds(self):
        try:
            return len(os.listdir('/proc/%d/fd' % self.proc.pid))
        except OSError:
            return -1

    def disconnect(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def pump(self, timeout, want=lambda frames: False):
        """Read for up to `timeout` s, answering the guest's own requests (va.hello)."""
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline and not self.reader.closed:
            for kind, tag, body in self.reader.read(min(0.2, max(0.01, deadline - time.time()))):
                if kind == 'request':
                    self.send(frame(RESPONSE_LINE, tag or 'none', reply('dummy')))
                else:
                    seen.append((tag, body))
            if want(seen):
                break
        return seen

    def ask(self, method, params=(), tag=None, timeout=5.0):
        """One request; its answer (value, fault) or None."""
        self.counter += 1
        tag = tag or 'py%d' % self.counter
        self.send(request(tag, method, params))
        seen = self.pump(timeout, lambda s: any(t == tag for t, _ in s))
        for t, body in seen:
            if t == tag:
                return decode(body)
        return None

    def good(self):
        """A fresh connection if the old one is gone, then va.ping must be answered."""
        if self.conn is None or self.reader.closed:
            self.disconnect()
            time.sleep(0.2)
            self.connect()
        answer = self.ask('va.ping', timeout=8)
        if answer is None and self.alive():
            # The old connection may be the one that is wedged: the spec lets a new host in.
            self.disconnect()
            time.sleep(0.5)
            self.connect()
            answer = self.ask('va.ping', timeout=8)
        return answer is not None and answer[1] is None

    def stop(self):
        self.disconnect()
        self.stop_process()


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def g_split_everywhere(g):
    """A request delivered one byte at a time, then in every two-piece split."""
    data = request('split', 'va.ping', ['x'])
    for byte in data:
        g.send(bytes([byte]))
    expect(g.pump(5, lambda s: any(t == 'split' for t, _ in s)), 'a request sent byte by byte got no answer')
    for cut in range(1, len(data), 7):
        tag = 'cut%d' % cut
        piece = request(tag, 'va.ping', ['x'])
        g.send(piece[:cut])
        time.sleep(0.002)
        g.send(piece[cut:])
    seen = g.pump(10, lambda s: len(s) >= len(range(1, len(data), 7)))
    expect(len(seen) == len(range(1, len(data), 7)), 'split requests: %d of %d answered' % (len(seen), len(range(1, len(data), 7))))


def g_tag_64_echoed(g):
    """The longest legal tag (64 characters of the whole alphabet) comes back byte for byte."""
    tag = ('Az09._-' * 10)[:64]
    answer = g.ask('va.ping', tag=tag)
    expect(answer is not None, 'a 64-character tag was not answered')


def g_tag_65_dropped(g):
    """A 65-character tag breaks the grammar: no answer, and no crash (MALFORMED_HEADER)."""
    g.send(request('t' * 65, 'va.ping'))
    seen = g.pump(1.5)
    expect(not any(t == 't' * 65 for t, _ in seen), 'a 65-character tag was answered (should be a framing error)')


def g_prototype_methods(g):
    """Method names that are properties of every JavaScript object are just unknown methods."""
    for name in ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype']:
        answer = g.ask(name)
        expect(answer is not None, '%s: no answer' % name)
        expect(answer[1] is not None and answer[1][0] == -506, '%s: expected fault -506, got %r' % (name, answer))


def g_prototype_members(g):
    """Struct members named __proto__/constructor, and a duplicate member, in a parameter."""
    body = ('<?xml version="1.0"?><methodCall><methodName>va.ping</methodName><params><param><value><struct>'
            '<member><name>__proto__</name><value><struct><member><name>polluted</name><value><int>1</int></value></member></struct></value></member>'
            '<member><name>constructor</name><value><string>x</string></value></member>'
            '<member><name>a</name><value><int>1</int></value></member><member><name>a</name><value><int>2</int></value></member>'
            '</struct></value></param></params></methodCall>')
    g.send(frame(REQUEST_LINE, 'proto', body))
    expect(g.pump(5, lambda s: any(t == 'proto' for t, _ in s)), 'struct with __proto__ member: no answer')


def g_raw_ff_in_body(g):
    """A 0xFF byte inside a body is body, not a sentinel: the request is answered (a parse fault)."""
    body = call('va.ping', ['a']).replace(b'<string>a</string>', b'<string>a\xffb</string>')
    g.send(frame(REQUEST_LINE, 'ffbody', body))
    seen = g.pump(5, lambda s: any(t == 'ffbody' for t, _ in s))
    expect(any(t == 'ffbody' for t, _ in seen), 'a body holding 0xFF was not answered (framing lost the message)')


def g_same_tag_twice(g):
    """Two requests with the same tag back to back: neither may kill the daemon; both answered."""
    g.send(request('dup', 'va.ping') + request('dup', 'va.ping'))
    seen = g.pump(5, lambda s: sum(1 for t, _ in s if t == 'dup') >= 2)
    expect(sum(1 for t, _ in seen if t == 'dup') >= 1, 'duplicate tags: no answer at all')


def g_unsolicited_response(g):
    """Responses the guest never asked for (tagged, untagged, a fault) are dropped quietly."""
    g.send(frame(RESPONSE_LINE, 'never-asked', reply('x')))
    g.send(frame(RESPONSE_LINE, None, reply('x')))
    g.send(frame(RESPONSE_LINE, 'f', xmlrpc.client.dumps(xmlrpc.client.Fault(-500, 'boom'), methodresponse=True)))


def g_empty_body(g):
    """Content-Length: 0: an empty body is answered with a parse fault (-503), not dropped."""
    g.send(frame(REQUEST_LINE, 'empty', b''))
    seen = g.pump(5, lambda s: any(t == 'empty' for t, _ in s))
    expect(any(t == 'empty' for t, _ in seen), 'an empty body got no answer (expected fault -503)')


def g_leading_zeros(g):
    """Content-Length: 00000123 is a decimal length (section 2): the request is answered."""
    body = call('va.ping')
    g.send(frame(REQUEST_LINE, 'zeros', body, length='0000' + str(len(body))))
    seen = g.pump(3, lambda s: any(t == 'zeros' for t, _ in s))
    expect(any(t == 'zeros' for t, _ in seen), 'Content-Length with leading zeros: the request was dropped')


def g_folded_header(g):
    """An obsolete folded header line (leading space): any answer or a refusal, never a hang."""
    g.send(frame(REQUEST_LINE, 'folded', call('va.ping'), extra_headers=[b'X-Folded: a', b' continued']))
    g.pump(1)


def g_bad_params(g):
    """Wrong types and counts of parameters are faults -501, never crashes."""
    for method, params in [('va.getfile', []), ('va.getfile', [1]), ('va.getfile', ['a', 'b']),
                           ('va.getfile', [['x']]), ('va.getfile', ['']), ('va.getfile', ['/nonexistent\u0001']),
                           ('va.shutdown', []), ('va.shutdown', [None]), ('va.shutdown', ['HALT']),
                           ('va.shutdown', ['halt ']), ('va.getdmesg', ['extra']), ('system.listMethods', [1, 2, 3])]:
        answer = g.ask(method, params)
        expect(answer is not None, '%s%r: no answer' % (method, params))


def g_getfile_odd_paths(g):
    """Directories, /proc files whose stat size lies, and relative paths."""
    for path in ['/', '/proc/self/status', '/proc/self/maps', '/sys/kernel/mm', 'relative/path', '.', '/proc/self/mem']:
        answer = g.ask('va.getfile', [path], timeout=8)
        expect(answer is not None, 'va.getfile(%r): no answer' % path)


def g_connection_churn(g):
    """200 hosts that connect and vanish (some mid-frame) must not leak descriptors."""
    g.disconnect()
    time.sleep(0.3)
    before = g.fds()
    for i in range(200):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(g.sock_path)
            if i % 3 == 0:
                conn.sendall(request('churn%d' % i, 'va.ping')[:20])
        except OSError:
            pass
        conn.close()
    time.sleep(1.5)
    after = g.fds()
    expect(after <= before + 3, 'file descriptors grew from %d to %d after 200 short connections' % (before, after))


def g_half_close(g):
    """A host that sends a request then shuts its writing side: the daemon neither dies nor spins."""
    conn = g.conn
    conn.sendall(request('half', 'va.ping'))
    conn.shutdown(socket.SHUT_WR)
    g.pump(2)
    g.disconnect()


def g_many_tags_memory(g):
    """5,000 requests one after another, each a new tag: RSS must not climb with the tag count."""
    def rss():
        with open('/proc/%d/status' % g.proc.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) * 1024
        return 0
    for i in range(500):
        g.ask('va.ping', tag='warm%d' % i, timeout=5)
    start = rss()
    for i in range(5000):
        g.send(request('mt%d' % i, 'va.ping'))
        if i % 50 == 49:
            g.pump(5, lambda s, i=i: any(t == 'mt%d' % i for t, _ in s))
    g.pump(3)
    grown = rss() - start
    expect(grown < 40 * 1024 * 1024, 'RSS grew %.1f MB over 5,000 tags' % (grown / 1048576))


def g_encoding_declarations(g):
    """A BOM, a Latin-1 declaration, whitespace before the declaration, a comment, a PI."""
    base = call('va.ping', ['\u00e9'])
    variants = [b'\xef\xbb\xbf' + base,
                base.replace(b'<?xml version=\'1.0\'?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>'),
                b'  \r\n' + base,
                base.replace(b'<methodCall>', b'<!-- hi --><?pi x?><methodCall>')]
    for i, body in enumerate(variants):
        g.send(frame(REQUEST_LINE, 'enc%d' % i, body))
    seen = g.pump(5, lambda s: len(s) >= len(variants))
    expect(len(seen) == len(variants), 'encoding variants: %d of %d answered' % (len(seen), len(variants)))


GUEST_CASES = [g_split_everywhere, g_tag_64_echoed, g_tag_65_dropped, g_prototype_methods, g_prototype_members,
               g_raw_ff_in_body, g_same_tag_twice, g_unsolicited_response, g_empty_body, g_leading_zeros, g_folded_header,
               g_bad_params, g_getfile_odd_paths, g_encoding_declarations, g_half_close, g_connection_churn,
               g_many_tags_memory]


# --- the monitor, with this script as its guest ----------------------------------------------

METHODS = ['va.getfile', 'va.getdmesg', 'va.shutdown', 'va.ping', 'va.capabilities', 'system.listMethods']


class MonitorUnderTest(ProgramUnderTest):
    name = 'monitor'

    """`virtagent monitor --listen SOCK --json`, fed commands on stdin; this script connects."""

    def __init__(self, workdir):
        self.sock_path = os.path.join(workdir, 'monitor.sock')
        self.stderr = open(os.path.join(workdir, 'monitor.stderr'), 'wb')
        self.proc = subprocess.Popen(
            ['node', BIN, 'monitor', '--listen', self.sock_path, '--json', '--timeout', '2'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.out = b''
        self.wait_for_socket()
        self.conn = None
        self.reader = None
        # What the fake guest answers; a case may replace it. (method, tag) -> bytes or None.
        self.answer = self.polite

    def polite(self, method, tag):
        if method == 'system.listMethods':
            return frame(RESPONSE_LINE, tag, reply(METHODS))
        if method == 'va.capabilities':
            return frame(RESPONSE_LINE, tag, reply({'version': '1.0', 'methods': METHODS}))
        return frame(RESPONSE_LINE, tag, reply('dummy'))

    def lines(self):
        try:
            chunk = self.proc.stdout.read()
        except (BlockingIOError, ValueError):
            chunk = None
        if chunk:
            self.out += chunk
        return self.out.split(b'\n')[:-1]

    def pump(self, timeout, until=lambda: False):
        deadline = time.time() + timeout
        responses = []
        while time.time() < deadline:
            if self.conn is None or self.reader.closed:
                self.connect()
            for kind, tag, body in self.reader.read(0.05):
                if kind == 'request':
                    method = xmlrpc.client.loads(body)[1]
                    data = self.answer(method, tag or 'none')
                    if data:
                        self.send(data)
                else:
                    responses.append((tag, body))
            if until():
                break
        return responses

    def command(self, text, timeout=12):
        """Type a command; its one JSON line (bytes) or None."""
        before = len(self.lines())
        try:
            self.proc.stdin.write(text.encode() + b'\n')
            self.proc.stdin.flush()
        except OSError:
            return None
        self.pump(timeout, lambda: len(self.lines()) > before)
        lines = self.lines()
        return lines[before] if len(lines) > before else None

    def good(self):
        """With a polite guest again, agent_ping succeeds (after agent_capabilities reopens the
        gate that a garbled method list may have closed, section 5)."""
        self.answer = self.polite
        for _ in range(3):
            self.command('agent_capabilities', timeout=12)
            line = self.command('agent_ping', timeout=12)
            if is_return_line(line):
                return True
            self.last_failure = line
        return False

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.stop_process()


def m_capabilities_lies(m):
    """Capabilities with absurd limits, a non-list of methods, 100,000 method names."""
    for caps in [{'version': '1.0', 'methods': METHODS, 'limits': {'serverQueue': 10 ** 9, 'body': -1}},
                 {'version': '1.0', 'methods': METHODS, 'limits': {'serverQueue': 0, 'body': 0}},
                 {'version': '1.0', 'methods': METHODS, 'limits': {'serverQueue': 'many', 'body': 1.5}},
                 {'version': '\x1b]0;owned\x07', 'methods': 'va.ping'},
                 {'version': '1.0', 'methods': ['m%d' % i for i in range(100000)] + METHODS},
                 ['not', 'a', 'struct'], 42]:
        def answer(method, tag, caps=caps):
            if method in ('va.capabilities', 'system.listMethods'):
                return frame(RESPONSE_LINE, tag, reply(caps if method == 'va.capabilities' else METHODS))
            return m.polite(method, tag)
        m.answer = answer
        m.command('agent_capabilities')


def m_list_methods_wrong_type(m):
    """system.listMethods answered with a struct, an int, nested arrays, names with escapes."""
    for value in [{'a': 1}, 7, [['va.ping']], ['va.ping\nforged', '\x1b[2Jva.ping', ''], [1, 2, 3]]:
        def answer(method, tag, value=value):
            if method == 'system.listMethods':
                return frame(RESPONSE_LINE, tag, reply(value))
            return m.polite(method, tag)
        m.answer = answer
        line = m.command('agent_capabilities')
        expect(line is None or b'\x1b' not in line, 'a raw ESC from a method name reached stdout')


def m_wrong_tags(m):
    """The answer to a ping carries another tag, no tag, or comes twice."""
    for mode in ['other', 'none', 'twice', 'early']:
        def answer(method, tag, mode=mode):
            if method != 'va.ping':
                return m.polite(method, tag)
            if mode == 'other':
                return frame(RESPONSE_LINE, 'not-' + tag, reply('x'))
            if mode == 'none':
                return frame(RESPONSE_LINE, None, reply('dummy'))
            if mode == 'twice':
                return frame(RESPONSE_LINE, tag, reply('dummy')) * 2
            return frame(RESPONSE_LINE, tag + '0', reply('x')) + frame(RESPONSE_LINE, tag, reply('dummy'))
        m.answer = answer
        m.command('agent_ping')


def m_hello_storm(m):
    """500 va.hello calls in one write: each renegotiation must not pile up without bound."""
    m.send(b''.join(request('hello%d' % i, 'va.hello') for i in range(500)))
    responses = m.pump(15, lambda: False)
    tags = {t for t, _ in responses}
    expect(len([i for i in range(500) if 'hello%d' % i in tags]) == 500,
           'va.hello storm: %d of 500 answered' % len([i for i in range(500) if 'hello%d' % i in tags]))


def m_guest_calls_unknown(m):
    """The guest calls methods the host does not serve, with prototype names: fault -506."""
    names = ['va.getfile', '__proto__', 'constructor', 'toString', 'va.shutdown']
    got = {}
    for i, name in enumerate(names):
        # One at a time: the host's server queue holds one (section 4).
        m.send(request('u%d' % i, name))
        got.update({t: decode(b) for t, b in m.pump(3, lambda: False) if t is not None})
    for i, name in enumerate(names):
        expect('u%d' % i in got, '%s: the host did not answer' % name)
        expect(got['u%d' % i][1] is not None and got['u%d' % i][1][0] == -506,
               '%s: expected fault -506, got %r' % (name, got['u%d' % i]))


def m_fault_shapes(m):
    """Faults with a string code, a huge code, a missing string, an ESC-laden string, nested."""
    bodies = [
        xmlrpc.client.dumps(xmlrpc.client.Fault('x', 'y'), methodresponse=True),
        xmlrpc.client.dumps(xmlrpc.client.Fault(2 ** 31 - 1, '\x1b]52;c;cGF3bmVk\x07clipboard'), methodresponse=True),
        '<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>-500</int></value></member></struct></value></fault></methodResponse>',
        '<?xml version="1.0"?><methodResponse><fault><value><array><data/></array></value></fault></methodResponse>',
    ]
    for body in bodies:
        def answer(method, tag, body=body):
            if method == 'va.ping':
                return frame(RESPONSE_LINE, tag, body)
            return m.polite(method, tag)
        m.answer = answer
        line = m.command('agent_ping')
        expect(line is None or b'\x1b' not in line, 'a raw ESC from a fault string reached stdout')


def m_big_dmesg_escapes(m):
    """A 1 MB dmesg full of escape sequences and an encoded newline: printed escaped."""
    text = ('\x1b[31mred\x1b[0m \u202e rtl \r fake prompt\n' * 25000)[:1000000]
    def answer(method, tag):
        if method == 'va.getdmesg':
            return frame(RESPONSE_LINE, tag, reply(text))
        return m.polite(method, tag)
    m.answer = answer
    line = m.command('agent_viewdmesg', timeout=20)
    expect(line is not None, 'no output for a 1 MB dmesg')
    expect(b'\x1b' not in line and '\u202e'.encode() not in line, 'raw escapes reached stdout')


def m_reconnect_churn(m):
    """The guest connects and drops 100 times, sometimes mid-frame: the monitor stays usable."""
    for i in range(100):
        if m.conn is not None:
            if i % 2:
                m.send(frame(RESPONSE_LINE, 'x', reply('dummy'))[:30])
            m.conn.close()
        m.conn = None
        try:
            m.connect()
        except RuntimeError:
            pass


MONITOR_CASES = [m_capabilities_lies, m_list_methods_wrong_type, m_wrong_tags, m_hello_storm,
                 m_guest_calls_unknown, m_fault_shapes, m_big_dmesg_escapes, m_reconnect_churn]


# --- running ---------------------------------------------------------------------------------

def run(target, cases, only):
    failures = 0
    workdir = tempfile.mkdtemp(prefix='va-hostile-peer-')
    try:
        program = GuestUnderTest(workdir) if target == 'guest' else MonitorUnderTest(workdir)
        program.connect()
        for case in cases:
            if only and case.__name__ not in only:
                continue
            started = time.time()
            verdict, detail = 'PASS', ''
            try:
                case(program)
            except AssertionError as error:
                verdict, detail = 'FAIL', str(error)
            except Exception as error:  # the peer's own trouble is reported, not hidden
                verdict, detail = 'ERROR', '%s: %s' % (type(error).__name__, error)
            if not program.alive():
                verdict, detail = 'FAIL', ('%s; ' % detail if detail else '') + 'the %s died (exit %s)' % (target, program.proc.returncode)
            elif not program.good():
                last = getattr(program, 'last_failure', None)
                verdict, detail = 'FAIL', ('%s; ' % detail if detail else '') + 'a good request afterwards got no answer' + (' (last: %r)' % last[:200] if last else '')
            print('%-5s %s %s (%.1f s)%s' % (verdict, target, case.__name__, time.time() - started, ': ' + detail if detail else ''), flush=True)
            if verdict != 'PASS':
                failures += 1
                if not program.alive():
                    tail = open(program.stderr.name, 'rb').read()[-1500:].decode('utf-8', 'replace')
                    print('      stderr tail:\n      ' + tail.replace('\n', '\n      '), flush=True)
                    program.stop()
                    program = GuestUnderTest(workdir) if target == 'guest' else MonitorUnderTest(workdir)
                    program.connect()
        program.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--target', choices=['guest', 'monitor', 'both'], default='both')
    parser.add_argument('--only', default='', help='comma-separated case names')
    parser.add_argument('--list', action='store_true')
    args = parser.parse_args()
    if args.list:
        for case in GUEST_CASES + MONITOR_CASES:
            print('%-32s %s' % (case.__name__, case.__doc__.split('\n')[0]))
        return 0
    only = set(filter(None, args.only.split(',')))
    failures = 0
    if args.target in ('guest', 'both'):
        failures += run('guest', GUEST_CASES, only)
    if args.target in ('monitor', 'both'):
        failures += run('monitor', MONITOR_CASES, only)
    print('hostile peer: %d case(s) failed' % failures)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
