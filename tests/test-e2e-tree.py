#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Folders and many files between two real keyferry-cli.  TAP.

- a tree with nested and empty folders, empty files, Unicode names,
  2,000 small files and a 300 MB file among them, plus a loose file, goes
  in one transfer (`send --to rx FOLDER FILE`); `diff -r` finds nothing
  between what was sent and what arrived; the receiver's `wait` reported
  every file as it landed, its --json result lists every file with its
  block count, and those counts add up to the blocks both sides reported
  to the key manager, which confirmed them;
- a symbolic link and a FIFO in the source are skipped and reported,
  never followed, and nothing of them arrives;
- a top-level folder that exists is kept and the tree arrives as
  "name (2)";
- a transfer cancelled in the middle (Ctrl-C) by the receiver, then by
  the sender, leaves only whole files (those the receiver reported) and
  no temporary one.
The seconds the big transfer took are printed, not asserted.
"""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Tap  # noqa: E402

tap = Tap()


def make_tree(root):
    """The source tree; returns the number of regular files in it."""
    rng = random.Random(15)
    n = 0
    for d in range(20):
        folder = os.path.join(root, 'proj', f'd{d:02}', 'sub' if d % 3 else '')
        os.makedirs(folder, exist_ok=True)
        for i in range(100):
            with open(os.path.join(folder, f'f{i:03}.txt'), 'wb') as f:
                f.write(rng.randbytes(rng.randrange(0, 6000)))
            n += 1
    unicode_dir = os.path.join(root, 'proj', 'été 日本', 'Ωmega')
    os.makedirs(unicode_dir)
    for name in ('naïve café.txt', '😀 smile', 'ñ'):
        with open(os.path.join(unicode_dir, name), 'wb') as f:
            f.write(name.encode() * 7)
        n += 1
    os.makedirs(os.path.join(root, 'proj', 'empty', 'emptier'))
    open(os.path.join(root, 'proj', 'zero-bytes'), 'wb').close()
    with open(os.path.join(root, 'proj', 'big.bin'), 'wb') as f:
        f.write(os.urandom(1 << 20))
        f.truncate(300 * 1000 * 1000)
        f.seek(150 * 1000 * 1000)
        f.write(os.urandom(1 << 20))
    return n + 2


def files_of(events, name):
    return [e for e in events if e['event'] == name]


def big_tree(env, server):
    src = env.folder('src')
    out = env.folder('out')
    n_files = make_tree(src)
    loose = os.path.join(src, 'loose.txt')
    with open(loose, 'w') as f:
        f.write('alone\n')
    skip = os.path.join(src, 'odd')
    os.makedirs(skip)
    os.symlink('/etc/passwd', os.path.join(skip, 'passwd-link'))
    os.mkfifo(os.path.join(skip, 'fifo'))
    with open(os.path.join(skip, 'real'), 'w') as f:
        f.write('real\n')

    receiver = env.cli(server, 'rx', ['wait', '--accept', '--output', out])
    if not receiver.wait_event('waiting', 20):
        tap.check(False, 'the receiver waits', receiver.err())
        return
    start = time.monotonic()
    sender = env.cli(server, 'tx', ['send', '--to', 'rx', '--mode', 'cbc',
                                    os.path.join(src, 'proj'), loose, skip])
    rx_code = receiver.wait(240)
    tx_code = sender.wait(60)
    seconds = time.monotonic() - start
    tap.note(f'{n_files + 2} files, {300 + 6} MB in about {seconds:.1f} s (loopback, loaded machine)')
    tap.check(rx_code == 0 and tx_code == 0, 'both sides exit 0 (confirmed)',
              f'rx {rx_code} tx {tx_code}\n{receiver.err()}\n{sender.err()}')

    offer = receiver.last('offer') or {}
    tap.check(offer.get('is_tree') and offer.get('files') == n_files + 2
              and offer.get('top_level') == ['proj', 'loose.txt', 'odd'],
              'the offer said how many files and the top-level names', repr(offer))
    diff = subprocess.run(['diff', '-r', os.path.join(src, 'proj'), os.path.join(out, 'proj')],
                          capture_output=True, text=True)
    tap.check(diff.returncode == 0, 'diff -r finds no difference in the tree', diff.stdout[-2000:])
    tap.check(os.path.isdir(os.path.join(out, 'proj', 'empty', 'emptier')),
              'empty folders arrived')
    tap.check(open(os.path.join(out, 'loose.txt')).read() == 'alone\n', 'the loose file arrived')
    odd = sorted(os.listdir(os.path.join(out, 'odd')))
    tap.check(odd == ['real'], 'the link and the FIFO were not sent', repr(odd))

    landed = files_of(receiver.events, 'file')
    tap.check(len(landed) == n_files + 2, 'wait reported each file as it landed',
              f'{len(landed)} of {n_files + 2}')
    result = receiver.last('result') or {}
    listed = [f for f in result.get('files', []) if f['kind'] == 'file']
    blocks = sum(f['blocks'] for f in listed)
    tap.check(len(listed) == n_files + 2 and blocks == result.get('receiver_blocks')
              and result.get('sender_blocks') == blocks,
              '--json lists every file; its block counts add up to both reports',
              f'{len(listed)} files, {blocks} blocks, result {result.get("receiver_blocks")}'
              f' / {result.get("sender_blocks")}')
    big = [f for f in listed if f['path'] == 'proj/big.bin']
    tap.check(big and big[0]['blocks'] == 300 * 1000 * 1000 // 16 + 1,
              'the big file has its own CBC block count', repr(big))
    sent = (sender.last('result') or {}).get('files', [])
    skipped = sorted(f['path'] for f in sent if f['status'] == 'skipped')
    tap.check(skipped == ['odd/fifo', 'odd/passwd-link'], 'the sender reports what it skipped',
              repr(skipped))
    return out


def existing(env, server):
    src = env.folder('src2')
    out = env.folder('out2')
    os.makedirs(os.path.join(src, 'album'))
    with open(os.path.join(src, 'album', 'a.txt'), 'w') as f:
        f.write('new\n')
    os.makedirs(os.path.join(out, 'album'))
    with open(os.path.join(out, 'album', 'a.txt'), 'w') as f:
        f.write('mine\n')
    receiver = env.cli(server, 'rx2', ['wait', '--accept', '--output', out])
    receiver.wait_event('waiting', 20)
    sender = env.cli(server, 'tx2', ['send', '--to', 'rx2', '--mode', 'cfb',
                                     os.path.join(src, 'album')])
    codes = (receiver.wait(60), sender.wait(60))
    kept = open(os.path.join(out, 'album', 'a.txt')).read()
    new = open(os.path.join(out, 'album (2)', 'a.txt')).read() \
        if os.path.exists(os.path.join(out, 'album (2)', 'a.txt')) else None
    tap.check(codes == (0, 0) and kept == 'mine\n' and new == 'new\n',
              'an existing folder is kept; the tree arrives as "album (2)"',
              f'{codes} {kept!r} {new!r}\n{receiver.err()}')
    landed = files_of(receiver.events, 'file')
    tap.check(landed and landed[0].get('status') == 'renamed'
              and landed[0].get('offered_path') == 'album/a.txt',
              'the file is reported renamed, with the path offered', repr(landed))


def no_half_files(root):
    """Regular files under @root, and any temporary one."""
    found, parts = [], []
    for folder, _, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), root)
            (parts if name.endswith('.part') else found).append(rel)
    return found, parts


def cancelled(env, server, who):
    src = env.folder(f'src-{who}')
    out = env.folder(f'out-{who}')
    os.makedirs(os.path.join(src, 'many'))
    for i in range(120):
        with open(os.path.join(src, 'many', f'f{i:03}'), 'wb') as f:
            f.write(os.urandom(1 << 20))
    receiver = env.cli(server, f'rx-{who}', ['wait', '--accept', '--output', out])
    receiver.wait_event('waiting', 20)
    sender = env.cli(server, f'tx-{who}', ['send', '--to', f'rx-{who}', '--mode', 'cbc',
                                           os.path.join(src, 'many')])
    first = receiver.wait_event('file', 60)
    (receiver if who == 'receiver' else sender).signal(signal.SIGINT)
    codes = (receiver.wait(60), sender.wait(60))
    found, parts = no_half_files(out)
    landed = sorted(e['path'] for e in files_of(receiver.events, 'file'))
    whole = all(open(os.path.join(out, p), 'rb').read() == open(os.path.join(src, p), 'rb').read()
                for p in found)
    tap.check(first is not None and codes == (4, 4), f'cancelled by the {who}: both exit 4',
              f'{codes}\n{receiver.err()}\n{sender.err()}')
    tap.check(not parts and sorted(found) == landed and whole and len(found) < 120,
              f'cancelled by the {who}: only the whole files reported are there, no part',
              f'{len(found)} found, {len(landed)} landed, parts {parts}')
    result = receiver.last('result') or {}
    incomplete = [f for f in result.get('files', []) if f['status'] == 'incomplete']
    tap.check(len(incomplete) == 120 - len(landed),
              f'cancelled by the {who}: the result lists what did not arrive',
              f'{len(incomplete)} incomplete, {len(landed)} landed')
    # The sender lists what it sent whole (the receiver's among them) and
    # the rest as incomplete, and says it was a tree.
    sent_result = sender.last('result') or {}
    sent = sorted(f['path'] for f in sent_result.get('files', [])
                  if f['status'] == 'sent' and f['kind'] == 'file')
    unsent = [f for f in sent_result.get('files', []) if f['status'] == 'incomplete']
    tap.check(sent_result.get('is_tree') is True and set(landed) <= set(sent)
              and len(sent) + len(unsent) == 120 and len(sent) < 120,
              f'cancelled by the {who}: the sender lists the files it sent whole',
              f'{len(sent)} sent, {len(unsent)} not, {len(landed)} landed')


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        big_tree(env, server)
        existing(env, server)
        cancelled(env, server, 'receiver')
        cancelled(env, server, 'sender')
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
