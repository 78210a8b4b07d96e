#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The classic session at keyferry-cli's prompt, through pseudo-terminals.

A real keyferry-server on loopback and two interactive keyferry-cli
processes, each on its own pty, driven like a person would: steps 1-12 of
the flow, a transfer each way in the same sessions, then `end`.  TAP.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_pty import Term  # noqa: E402

CLI = os.environ['KF_CLI']
SERVER = os.environ['KF_SERVER']
results = []


def tap(ok, name, detail=''):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}")
    for line in detail.splitlines()[-15:]:
        print(f'# {line}')
    sys.stdout.flush()


def step(name, func):
    try:
        detail = func()
        tap(True, name)
        return detail
    except Exception as error:  # report and stop: later steps depend on this one
        tap(False, name, str(error))
        raise SystemExit(finish())


def finish():
    print(f'1..{len(results)}')
    return 0 if all(results) else 1


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    work = tempfile.mkdtemp()
    env = dict(os.environ, XDG_DATA_HOME=f'{work}/data', HOME=work, LANGUAGE='C', LC_ALL='C.UTF-8')
    state = f'{work}/server'
    fp = subprocess.run([SERVER, '--state-dir', state, '--print-fingerprint'], env=env,
                        capture_output=True, text=True, timeout=30).stdout
    fp = re.search(r'(?:[0-9A-F]{4} ){15}[0-9A-F]{4}|[0-9a-fA-F:]{64,}', fp).group(0)
    log = open(f'{work}/server.log', 'w+')
    server = subprocess.Popen([SERVER, '--listen', '127.0.0.1', '--port', '0',
                               '--state-dir', state], stderr=log, env=env)
    terms = []
    try:
        port = None
        for _ in range(100):
            log.seek(0)
            m = re.search(r'listening on \S+ port (\d+)', log.read())
            if m:
                port = m.group(1)
                break
            time.sleep(0.1)
        tap(port is not None, 'keyferry-server starts and says where it listens')
        if port is None:
            return finish()

        for name in ('alice', 'bob'):
            os.makedirs(f'{work}/{name}')
        base = [CLI, '--server', f'127.0.0.1:{port}', '--fingerprint', fp]
        alice = Term(base + ['--name', 'alice'], f'{work}/alice', env)
        bob = Term(base + ['--name', 'bob'], f'{work}/bob', env)
        terms += [alice, bob]

        ids = {}

        def greeted():
            for name, term in (('alice', alice), ('bob', bob)):
                ids[name] = term.expect(r'as #(\d+) \(' + name + r'\)').group(1)
                term.expect(r'keyferry> ')
        step('step 1: both are greeted with their client id', greeted)

        payload = os.urandom(100_003)
        with open(f'{work}/bob/notes.bin', 'wb') as f:
            f.write(payload)

        def wait_alice():
            alice.send('wait')
            alice.expect(r'Waiting for a sender')
        step('steps 3-4: alice waits', wait_alice)

        def bob_lists():
            bob.send('send')
            bob.expect(r'#' + ids['alice'] + r'\s+alice')
            bob.expect(r'keyferry> ')
        step('step 5: bob sees alice among the waiting peers', bob_lists)

        def bob_conn():
            bob.send(f"conn {ids['alice']} cbc")
            bob.expect(r'Paired with alice')
            bob.expect(r'File to send: ')
            bob.send('notes.bin')
        step('steps 6-8: conn pairs them, bob chooses the file', bob_conn)

        def alice_accepts():
            alice.expect(r'bob \(#' + ids['bob'] + r'\) wants to send you .notes\.bin.')
            alice.expect(r'encrypted, CBC')
            alice.expect(r'Accept\? \[y/n\] ')
            alice.send('y')
            alice.expect(r'Save as \[notes\.bin\]: ')
            alice.send('')
        step('step 9: alice sees the offer with its sizes, accepts, saves under the default name',
             alice_accepts)

        blocks = str(len(payload) // 16 + 1)

        def verdict_cbc():
            for term in (alice, bob):
                term.expect(r'encrypted by the sender: ' + blocks +
                            r'; blocks decrypted by the receiver: ' + blocks)
                term.expect(r'key manager confirmed the block counts')
                term.expect(r'keyferry> ')
            if sha256(f'{work}/alice/notes.bin') != hashlib.sha256(payload).hexdigest():
                raise AssertionError('the received file differs')
        step('steps 10-11: both see both block counts and the verdict; the file is identical',
             verdict_cbc)

        payload2 = os.urandom(4097)
        with open(f'{work}/alice/back.bin', 'wb') as f:
            f.write(payload2)

        def reverse():
            bob.send('wait')
            bob.expect(r'Waiting for a sender')
            alice.send(f"conn {ids['bob']} cfb")
            alice.expect(r'File to send: ')
            alice.send('back.bin')
            bob.expect(r'Accept\? \[y/n\] ')
            bob.send('y')
            bob.expect(r'Save as \[back\.bin\]: ')
            bob.send('renamed.bin')
            want = str((len(payload2) + 15) // 16)
            for term in (alice, bob):
                term.expect(r'encrypted by the sender: ' + want +
                            r'; blocks decrypted by the receiver: ' + want)
                term.expect(r'key manager confirmed the block counts')
                term.expect(r'keyferry> ')
            if sha256(f'{work}/bob/renamed.bin') != hashlib.sha256(payload2).hexdigest():
                raise AssertionError('the received file differs')
        step('step 12 then 3 again: a second transfer the other way, CFB, saved under a new name',
             reverse)

        def decline():
            alice.send('wait')
            alice.expect(r'Waiting for a sender')
            bob.send(f"conn {ids['alice']} cbc")
            bob.expect(r'File to send: ')
            bob.send('notes.bin')
            alice.expect(r'Accept\? \[y/n\] ')
            alice.send('n')
            alice.expect(r'keyferry> ')
            bob.expect(r'[Dd]eclined')
            bob.expect(r'keyferry> ')
        step('a declined offer ends cleanly on both sides', decline)

        def end():
            for term in (alice, bob):
                term.send('end')
                term.expect(r'Goodbye')
                status = term.wait()
                if status != 0:
                    raise AssertionError(f'exit status {status}')
        step('end: both say goodbye and exit 0', end)
    finally:
        for term in terms:
            term.kill()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == '__main__':
    sys.exit(main())
