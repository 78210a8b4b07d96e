# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the end-to-end Python tests of the real binaries.

A real keyferry-server on loopback that can be stopped and started again
on the same port and state directory; keyferry-cli processes whose --json
events are collected as they come; a small key-manager protocol client
(TLS, pinned by fingerprint) for stalling a session or replaying commands;
TAP output.  Nothing here listens anywhere but 127.0.0.0/8.
"""
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.parse
import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

CLI = os.environ['KF_CLI']
SERVER = os.environ['KF_SERVER']

ALPN = 'keyferry/2'
HELLO_LABEL = b'keyferry km v2 hello'


def tls_exporter(sock):
    """RFC 9266's tls-exporter of an ssl.SSLSocket (32 bytes).

    Python's ssl module has no exporter, so this calls OpenSSL's
    SSL_export_keying_material on the SSL* that CPython keeps right after
    the object header and the socket pointer of its _ssl._SSLSocket.  The
    key manager (GnuTLS) computes the same value, which the signature of a
    hello checks: a wrong pointer fails loudly, never silently."""
    libssl = ctypes.CDLL(ctypes.util.find_library('ssl'))
    export = libssl.SSL_export_keying_material
    export.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                       ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    word = ctypes.sizeof(ctypes.c_void_p)
    ssl_ptr = ctypes.c_void_p.from_address(id(sock._sslobj) + 3 * word).value
    out = ctypes.create_string_buffer(32)
    label = b'EXPORTER-Channel-Binding'
    if export(ssl_ptr, out, 32, label, len(label), None, 0, 0) != 1:
        raise AssertionError('SSL_export_keying_material failed')
    return out.raw


def escape(text):
    """Free text as one protocol word (docs/PROTOCOL.md part 1 §3)."""
    return urllib.parse.quote(text, safe='-._~')


class Identity:
    """An Ed25519 identity, as keyferry-cli keeps one."""

    def __init__(self, seed=None):
        self.key = (Ed25519PrivateKey.from_private_bytes(seed) if seed
                    else Ed25519PrivateKey.generate())
        self.public = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def for_name(cls, name):
        """The identity of the person called @name in these tests: the same
        for every connection under that name, as one person's app and
        keyferry-cli share one, so a name a test joins twice stays its own."""
        return cls(hashlib.sha256(name.encode()).digest())

    def hex(self):
        return self.public.hex()

    def hello(self, challenge, exporter, name):
        """The signature of docs/PROTOCOL.md part 1 §4.2, hex."""
        raw = name.encode()
        signed = HELLO_LABEL + challenge + exporter + len(raw).to_bytes(2, 'big') + raw
        return self.key.sign(signed).hex()


class Tap:
    """TAP lines, numbered as they are printed; the plan comes last."""

    def __init__(self):
        self.results = []

    def check(self, ok, name, detail=''):
        self.results.append(bool(ok))
        print(f"{'ok' if ok else 'not ok'} {len(self.results)} - {name}")
        if not ok:
            for line in str(detail).splitlines()[-25:]:
                print(f'# {line}')
        sys.stdout.flush()
        return bool(ok)

    def note(self, text):
        for line in str(text).splitlines():
            print(f'# {line}')
        sys.stdout.flush()

    def finish(self):
        print(f'1..{len(self.results)}')
        sys.stdout.flush()
        return 0 if all(self.results) else 1


def wait_until(predicate, timeout, interval=0.005):
    """Polls @predicate until it is true or @timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


class Server:
    """keyferry-server on 127.0.0.1 with its own state directory."""

    def __init__(self, work, extra=()):
        self.work = work
        self.state = os.path.join(work, 'server')
        self.audit = os.path.join(work, 'audit.log')
        self.log_path = os.path.join(work, 'server.log')
        self.extra = list(extra)
        self.preexec = None     # run in the child before exec (set limits)
        self.proc = None
        self.port = 0
        self.starts = 0
        out = subprocess.run([SERVER, '--state-dir', self.state, '--print-fingerprint'],
                             capture_output=True, text=True, timeout=30).stdout
        # Printed as 16 groups of four for people; kept as the 64 hex digits.
        printed = re.search(r'(?:[0-9A-F]{4} ){15}[0-9A-F]{4}|[0-9a-fA-F:]{64,}', out).group(0)
        self.fp = re.sub(r'[:\s]', '', printed).lower()

    def start(self):
        """Starts it, on the port it had before if it ran already."""
        self.starts += 1
        log = open(self.log_path, 'a')
        log.write(f'--- start {self.starts}\n')
        log.flush()
        offset = log.tell()
        # Every keyferry-cli of a test shares one identity (one XDG data
        # folder) and pairs many times: no rate limit but where a test sets one.
        self.proc = subprocess.Popen([SERVER, '--listen', '127.0.0.1', '--port', str(self.port),
                                      '--state-dir', self.state, '--audit-log', self.audit,
                                      '--conn-burst', '1000']
                                     + self.extra, stderr=log, preexec_fn=self.preexec)
        log.close()

        def listening():
            with open(self.log_path) as f:
                f.seek(offset)
                m = re.search(r'listening on \S+ port (\d+)', f.read())
                return m and int(m.group(1))
        port = wait_until(listening, 15, 0.02)
        if not port:
            raise RuntimeError('keyferry-server did not start: ' + self.log())
        self.port = port

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        self.proc = None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def audit_lines(self):
        try:
            with open(self.audit) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []


class Cli:
    """A keyferry-cli process with --json; its events are read as they come.

    stdin is a pipe (for the prompt's commands and answers), stderr goes
    to a file that err() returns.
    """

    def __init__(self, env, server, name, args, cwd=None, stdin=False, extra_env=None):
        """@name: its --name, or None for none (the default display name);
        @extra_env: variables added to @env's for this process."""
        self.name = name
        self.err_path = os.path.join(env.work, f'{name or "noname"}-{len(env.clis)}.err')
        self.events = []
        self.id = None
        self.connected = False
        self.cond = threading.Condition()
        self.err_file = open(self.err_path, 'w')
        argv = ([CLI, '--server', f'127.0.0.1:{server.port}', '--fingerprint', server.fp]
                + (['--name', name] if name is not None else []) + ['--json'] + list(args))
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.err_file,
                                     cwd=cwd or env.work, env=dict(env.env, **(extra_env or {})))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        env.clis.append(self)

    def _read(self):
        for raw in self.proc.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            event['t'] = time.monotonic()
            if event.get('event') in ('connected', 'reconnected'):
                self.id = event.get('client_id')
                self.connected = True
            elif event.get('event') == 'disconnected':
                self.connected = False
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        with self.cond:
            self.events.append({'event': 'eof', 't': time.monotonic()})
            self.cond.notify_all()

    def wait_event(self, predicate, timeout=20, start=0):
        """The first event from index @start on that @predicate accepts
        (a name: that event), or None after @timeout seconds."""
        if isinstance(predicate, str):
            name = predicate
            predicate = lambda e: e['event'] == name  # noqa: E731
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.events):
                    if predicate(self.events[i]):
                        return self.events[i]
                    if self.events[i]['event'] == 'eof':
                        return None
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def wait_connected(self, timeout=20):
        """Whether the client is (back) in touch with the key manager
        within @timeout seconds, by its last (re)connected or
        disconnected event."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.connected:
                left = deadline - time.monotonic()
                if left <= 0 or (self.events and self.events[-1]['event'] == 'eof'):
                    return False
                self.cond.wait(left)
            return True

    def count(self):
        with self.cond:
            return len(self.events)

    def last(self, name):
        with self.cond:
            for event in reversed(self.events):
                if event['event'] == name:
                    return event
        return None

    def send(self, line):
        self.proc.stdin.write((line + '\n').encode())
        self.proc.stdin.flush()

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=20):
        """The exit status, or None after @timeout seconds.  Once the
        process is gone, its last lines are read too: the reader thread
        reaches the end of its output before this returns."""
        deadline = time.monotonic() + timeout
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.reader.join(max(1.0, deadline - time.monotonic()))
        return code

    def err(self):
        self.err_file.flush()
        with open(self.err_path, errors='replace') as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Env:
    """A work directory, the environment for the clients, cleanup."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix='kf-e2e-')
        self.env = dict(os.environ, XDG_DATA_HOME=f'{self.work}/data',
                        XDG_STATE_HOME=f'{self.work}/state',
                        XDG_CONFIG_HOME=f'{self.work}/config', HOME=f'{self.work}/home',
                        LANGUAGE='C', LC_ALL='C.UTF-8')
        for d in ('data', 'home'):
            os.makedirs(f'{self.work}/{d}')
        self.clis = []
        self.servers = []

    def server(self, extra=()):
        server = Server(self.work, extra)
        self.servers.append(server)
        return server

    def cli(self, server, name, args, **kw):
        return Cli(self, server, name, args, **kw)

    def folder(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def sparse(self, name, size):
        path = os.path.join(self.work, name)
        with open(path, 'wb') as f:
            f.truncate(size)
        return path

    def random(self, name, size):
        path = os.path.join(self.work, name)
        with open(path, 'wb') as f:
            f.write(os.urandom(size))
        return path

    def cleanup(self):
        for cli in self.clis:
            cli.kill()
        for server in self.servers:
            server.stop(signal.SIGKILL)
        shutil.rmtree(self.work, ignore_errors=True)


class KmClient:
    """The key-manager protocol by hand, over TLS pinned by fingerprint."""

    def __init__(self, port, fp, source='127.0.0.1', timeout=10, alpn=True, identity=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if alpn:
            ctx.set_alpn_protocols([ALPN])
        self.identity = identity   # None: the one of the name it joins as
        self.challenge = None
        raw = socket.create_connection(('127.0.0.1', port), timeout=timeout,
                                       source_address=(source, 0))
        self.sock = ctx.wrap_socket(raw)
        der = self.sock.getpeercert(binary_form=True)
        self.fingerprint = hashlib.sha256(der).hexdigest()
        if self.fingerprint != re.sub(r'[:\s]', '', fp).lower():
            self.sock.close()
            raise AssertionError(f'certificate {self.fingerprint} does not match the pin {fp}')
        self.buf = b''

    def line(self, timeout=10):
        """The next line, '' at the end of the stream, None after @timeout."""
        self.sock.settimeout(timeout)
        while b'\n' not in self.buf:
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except (ssl.SSLError, OSError):
                data = b''
            if not data:
                return ''
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode()

    def send(self, line):
        self.sock.sendall(line.encode() + b'\n')

    def expect(self, prefix, timeout=10):
        """Reads lines until one starts with @prefix; returns its words."""
        seen = []
        while True:
            line = self.line(timeout)
            if not line:
                raise AssertionError(f'no {prefix!r} line; got {seen!r} then {line!r}')
            if line.startswith(prefix):
                return line.split(' ')
            seen.append(line)

    def greeting(self):
        """Reads the greeting; returns its words and keeps its challenge."""
        words = self.expect('keyferry 2 ')
        self.challenge = bytes.fromhex(words[3])
        return words

    def hello_line(self, name):
        """`hello 2 NAME KEY SIGNATURE`, signed; @name is the word on the
        wire (escaped, see escape()), the signature covers it unescaped."""
        plain = urllib.parse.unquote(name, errors='strict')
        if self.identity is None:
            self.identity = Identity.for_name(plain)
        signature = self.identity.hello(self.challenge, tls_exporter(self.sock), plain)
        return f'hello 2 {name} {self.identity.hex()} {signature}'

    def join(self, name):
        self.greeting()
        self.send(self.hello_line(name))
        return int(self.expect('welcome ')[1])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

