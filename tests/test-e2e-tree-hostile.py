#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile manifests against the real keyferry-cli receiver.  TAP.

A sender written from docs/PROTOCOL.md alone (tests/kf_peer.py) offers
trees that try to leave the chosen folder or break it: "..", absolute
paths, a "/" inside a name, two entries with one name, a file and a
folder with one name, 100,001 entries (several MANIFEST records), 65
levels of folders.  The receiver (`wait --accept`) must refuse each
before accepting: it answers DECLINE, exits 1, and nothing is created in
its folder or anywhere outside it.  A manifest of names that only need
renaming (a newline, a leading dot, a backslash, two names equal once
cleaned) is accepted: the files arrive renamed, and `wait` reports each
with the name offered; the key manager confirms the block counts the
sender computed by the protocol's per-file IVs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_peer  # noqa: E402
from kf_e2e import Env, KmClient, Tap  # noqa: E402

tap = Tap()


def snapshot(root):
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, dirs, files in os.walk(root) for n in dirs + files)


def vectors():
    """The protocol's own test vector for records (Part 2, section 11)."""
    key = bytes.fromhex('ec77168665271ac8b352cf8ed135b6a451d6da11f4ce7fd3caf3045faec03c2e')
    rec = kf_peer.record(key, 1, kf_peer.DATA, kf_peer.FINAL, b'abc')
    tap.check(rec.hex() == '04010000000000030000000000000001616263f8b598a474d8083d388bf13b74ec2ef1',
              'the test peer reproduces the record test vector', rec.hex())
    auth = bytes(range(32))
    iv_file = bytes.fromhex('4e1b8524a8d3a0b809a4d3b5d506df9e')
    tap.check(kf_peer.file_iv(auth, iv_file, 0).hex() == 'd5d022e7de50a707a77b57815138ea0b',
              'the test peer reproduces the file IV test vector')


def run_case(env, server, n, entries, expect_refused, contents=()):
    out = env.folder(f'out{n}')
    before_work = set(os.listdir(env.work))
    receiver = env.cli(server, f'rx{n}', ['wait', '--accept', '--output', out])
    if not receiver.wait_event('waiting', 20):
        return None, receiver
    km = KmClient(server.port, server.fp)
    km.join(f'evil{n}')
    session = kf_peer.Session(km, receiver.id)
    try:
        session.link()
        session.offer_manifest(kf_peer.manifest(entries))
        answer, _ = session.receive_record()
        result = None
        if answer == kf_peer.ACCEPT and not expect_refused:
            session.send_files(contents)
            done, _ = session.receive_record()
            result = session.report() if done == kf_peer.DONE else None
        else:
            if answer == kf_peer.ACCEPT:
                session.send_record(kf_peer.CANCEL, 0, b'the test stops here')
            km.send('cancel declined')
    finally:
        session.close()
    code = receiver.wait(30)
    km.close()
    after_work = {n for n in set(os.listdir(env.work)) - before_work if not n.endswith('.err')}
    return (answer, code, result, snapshot(out), after_work), receiver


def hostile(env, server):
    escape = f'/tmp/kf-evil-{os.getpid()}'
    deep = [('folder', d, b'd', 0) for d in range(65)]
    many = [('file', 0, f'f{i:06}'.encode(), 0) for i in range(100001)]
    cases = [
        ('".." as a folder', [('folder', 0, b'..', 0), ('file', 1, b'x', 0)]),
        ('an absolute path', [('file', 0, escape.encode(), 3)]),
        ('a "/" in a name', [('file', 0, b'a/../../x', 3)]),
        ('".." inside a folder', [('folder', 0, b'a', 0), ('file', 1, b'..', 3)]),
        ('two entries with one name', [('file', 0, b'x', 0), ('file', 0, b'x', 0)]),
        ('a file and a folder with one name', [('file', 0, b'x', 0), ('folder', 0, b'x', 0)]),
        ('100,001 entries', many),
        ('65 levels of folders', deep),
    ]
    for n, (what, entries) in enumerate(cases):
        got, receiver = run_case(env, server, n, entries, True)
        if got is None:
            tap.check(False, f'{what}: the receiver waits', receiver.err())
            continue
        answer, code, _, inside, outside = got
        tap.check(answer == kf_peer.DECLINE and code == 1,
                  f'{what}: refused before accepting (DECLINE, exit 1)',
                  f'answer {answer}, exit {code}\n{receiver.err()}')
        tap.check(inside == [] and not outside and not os.path.exists(escape),
                  f'{what}: nothing created, inside the folder or out',
                  f'{inside} {outside}')
        tap.check(receiver.last('offer') is None,
                  f'{what}: nothing was offered to the user', repr(receiver.last('offer')))


def renamed(env, server):
    entries = [('folder', 0, b'.hidden', 0), ('file', 1, b'a\nb', 3), ('file', 1, b'a_b', 4),
               ('file', 1, b'x\\y', 0), ('folder', 1, b'empty', 0)]
    contents = [b'one', b'four', b'']
    got, receiver = run_case(env, server, 99, entries, False, contents)
    if got is None:
        tap.check(False, 'renamed: the receiver waits', receiver.err())
        return
    answer, code, result, inside, _ = got
    tap.check(answer == kf_peer.ACCEPT and code == 0 and result and result[3] == 'ok',
              'names that only need renaming: accepted, and the key manager confirms',
              f'answer {answer}, exit {code}, result {result}\n{receiver.err()}')
    tap.check(inside == ['_.hidden', '_.hidden/a_b', '_.hidden/a_b (2)', '_.hidden/empty',
                         '_.hidden/x_y'],
              'the tree arrived under the cleaned names', repr(inside))
    out = os.path.join(env.work, 'out99', '_.hidden')
    tap.check(os.path.exists(os.path.join(out, 'a_b'))
              and open(os.path.join(out, 'a_b'), 'rb').read() == b'one'
              and open(os.path.join(out, 'a_b (2)'), 'rb').read() == b'four',
              'each file holds its own bytes (per-file IVs as the protocol says)')
    landed = {e['path']: e for e in receiver.events if e['event'] == 'file'}
    tap.check(landed.get('_.hidden/a_b (2)', {}).get('offered_path') == '.hidden/a_b'
              and all(e['status'] == 'renamed' for e in landed.values()),
              'wait reports each file renamed, with the name offered (cleaned)', repr(landed))


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        vectors()
        hostile(env, server)
        renamed(env, server)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
