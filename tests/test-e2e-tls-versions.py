#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Only TLS 1.3, or TLS 1.2 with ECDHE and AEAD, on both ends.  TAP.

The real keyferry-server is offered TLS 1.0/1.1 and TLS 1.2 with CBC
suites by Python's OpenSSL: the handshake must fail (no greeting after a
completed handshake); TLS 1.3 and TLS 1.2 ECDHE-GCM get the greeting.
Then keyferry-cli meets a key manager impostor holding the real
certificate (so the pin matches) that offers only the old versions or
suites: its handshake must fail and the CLI says so; one that offers
TLS 1.2 with ECDHE-GCM gets its handshake.  Loopback only.
"""
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import CLI, Env, Tap  # noqa: E402

warnings.simplefilter('ignore', DeprecationWarning)
tap = Tap()
V = ssl.TLSVersion
OLD = [('TLS 1.0', V.TLSv1, V.TLSv1, 'DEFAULT:@SECLEVEL=0'),
       ('TLS 1.1', V.TLSv1, V.TLSv1_1, 'DEFAULT:@SECLEVEL=0'),
       ('TLS 1.2 ECDHE-ECDSA-AES128-SHA', V.TLSv1_2, V.TLSv1_2,
        'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'),
       ('TLS 1.2 ECDHE-ECDSA-AES256-SHA384', V.TLSv1_2, V.TLSv1_2,
        'ECDHE-ECDSA-AES256-SHA384')]
GOOD = [('TLS 1.3', V.TLSv1_3, V.TLSv1_3, None),
        ('TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256', V.TLSv1_2, V.TLSv1_2,
         'ECDHE-ECDSA-AES128-GCM-SHA256')]


def context(side, low, high, ciphers):
    ctx = ssl.SSLContext(side)
    if side == ssl.PROTOCOL_TLS_CLIENT:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(['keyferry/2'])
    ctx.minimum_version = low
    ctx.maximum_version = high
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def greeting_over(port, low, high, ciphers):
    """What the key manager says after a handshake with these offers, or
    the handshake's error."""
    raw = socket.create_connection(('127.0.0.1', port), timeout=10)
    try:
        sock = context(ssl.PROTOCOL_TLS_CLIENT, low, high, ciphers).wrap_socket(raw)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        return None, str(e)
    try:
        return sock.recv(100), f'{sock.version()} {sock.cipher()[0]}'
    except (ssl.SSLError, OSError) as e:
        return b'', f'{sock.version()} {sock.cipher()[0]}, then {e}'
    finally:
        sock.close()


def impostor(state, low, high, ciphers):
    """A listener with the key manager's own certificate that offers only
    @low..@high and @ciphers; returns its port and the outcome list its
    one connection fills in."""
    ctx = context(ssl.PROTOCOL_TLS_SERVER, low, high, ciphers)
    ctx.load_cert_chain(f'{state}/server.crt', f'{state}/server.key')
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    listener.settimeout(20)
    outcome = []

    def serve():
        try:
            conn, _ = listener.accept()
        except OSError as e:
            outcome.append(('no connection', str(e)))
            return
        conn.settimeout(10)
        try:
            sock = ctx.wrap_socket(conn, server_side=True)
            outcome.append(('handshake', f'{sock.version()} {sock.cipher()[0]}'))
            sock.sendall(b'keyferry 2 none ' + b'07' * 32 + b'\n')  # never read
            sock.close()
        except (ssl.SSLError, OSError) as e:
            outcome.append(('refused', str(e)))
            conn.close()
        listener.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], outcome, thread


def cli_against(env, port, fp):
    argv = [CLI, '--server', f'127.0.0.1:{port}', '--fingerprint', fp, '--name', 'tls-probe',
            '--json', 'wait']
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env.env,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        return None, str(e.stdout) + str(e.stderr)


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        for name, low, high, ciphers in OLD:
            said, how = greeting_over(server.port, low, high, ciphers)
            tap.check(said is None, f'the key manager refuses a client offering only {name} '
                      'in the handshake', f'handshake completed: {how}; it said {said!r}')
        for name, low, high, ciphers in GOOD:
            said, how = greeting_over(server.port, low, high, ciphers)
            tap.check(re.fullmatch(rb'keyferry 2 none [0-9a-f]{64}\n', said or b''),
                      f'a client offering {name} is greeted',
                      f'{how}; it said {said!r}')
            tap.note(f'{name}: {how}')
        tap.check(server.proc.poll() is None, 'the key manager is still running', server.log())

        for name, low, high, ciphers in OLD + GOOD[1:]:
            port, outcome, thread = impostor(server.state, low, high, ciphers)
            status, said = cli_against(env, port, server.fp)
            thread.join(15)
            if (name, low, high, ciphers) in OLD:
                tap.check(outcome and outcome[0][0] == 'refused'
                          and status not in (0, None) and 'secure connection' in said,
                          f'keyferry-cli refuses a key manager offering only {name}',
                          f'{outcome}; exit {status}; {said}')
            else:
                tap.check(outcome and outcome[0][0] == 'handshake',
                          f'keyferry-cli completes a handshake with {name}',
                          f'{outcome}; exit {status}; {said}')
    finally:
        env.cleanup()
    return tap.finish()


sys.exit(main())
