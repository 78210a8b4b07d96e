#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The receiver's named ".part" fallback, where O_TMPFILE is missing.  TAP.

The receiving keyferry-cli runs with tests/kf-no-tmpfile.c preloaded: every
open() asking for O_TMPFILE fails with EOPNOTSUPP, as on a file system
without anonymous temporary files, so each file is written to a hidden
".keyferry-XXXXXXXX.part" and renamed once it verified
(docs/ARCHITECTURE.md, "The named .part fallback").  Through it:

- a tree with nested and empty folders arrives whole (`diff -r`) and no
  ".part" file is left;
- a tree cancelled in the middle (Ctrl-C) by the receiver, then by the
  sender, leaves only the whole files the receiver reported, and no
  ".part" file;
- a receiver killed with SIGKILL (the documented exception) leaves at
  most the one ".part" file it was writing, hidden, and no partial file
  under a real name;
- one file alone arrives through the fallback too, and nothing else.
The shim's log shows that the fallback really ran each time.
"""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import Env, Tap  # noqa: E402

tap = Tap()
PART = re.compile(r'^\.keyferry-[0-9a-f]{8}\.part$')


def receiver_env(env, tag):
    """The receiver's extra variables: the shim, and its log."""
    log = os.path.join(env.work, f'shim-{tag}.log')
    return {'LD_PRELOAD': os.environ['KF_NO_TMPFILE'], 'KF_NO_TMPFILE_LOG': log,
            'ASAN_OPTIONS': os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'}, log


def refusals(log):
    return open(log).read().count('refused') if os.path.exists(log) else 0


def scan(root):
    """Regular files under @root, and the temporary ones."""
    found, parts = [], []
    for folder, _, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), root)
            (parts if name.endswith('.part') else found).append(rel)
    return sorted(found), sorted(parts)


def transfer(env, server, tag, what, out):
    extra, log = receiver_env(env, tag)
    receiver = env.cli(server, f'rx-{tag}', ['wait', '--accept', '--output', out],
                       extra_env=extra)
    waiting = receiver.wait_event('waiting', 20)
    sender = env.cli(server, f'tx-{tag}', ['send', '--to', f'rx-{tag}', '--mode', 'cbc'] + what)
    return receiver, sender, log, waiting


def whole_tree(env, server):
    src = env.folder('src-tree')
    out = env.folder('out-tree')
    for d in range(3):
        folder = os.path.join(src, 'proj', f'd{d}', 'sub')
        os.makedirs(folder)
        for i in range(20):
            with open(os.path.join(folder, f'f{i:02}'), 'wb') as f:
                f.write(os.urandom(i * 700))
    os.makedirs(os.path.join(src, 'proj', 'empty', 'emptier'))
    open(os.path.join(src, 'proj', 'zero'), 'wb').close()
    receiver, sender, log, _ = transfer(env, server, 'tree', [os.path.join(src, 'proj')], out)
    codes = (receiver.wait(120), sender.wait(60))
    diff = subprocess.run(['diff', '-r', os.path.join(src, 'proj'), os.path.join(out, 'proj')],
                          capture_output=True, text=True)
    _, parts = scan(out)
    tap.check(codes == (0, 0) and diff.returncode == 0,
              'a tree arrives whole through the .part fallback (diff -r)',
              f'{codes}\n{diff.stdout[-1000:]}\n{receiver.err()}')
    tap.check(refusals(log) >= 61, 'each file went through the fallback (O_TMPFILE refused)',
              f'{refusals(log)} refusals')
    tap.check(not parts, 'no .part file is left', repr(parts))


def interrupted(env, server, who):
    src = env.folder(f'src-{who}')
    out = env.folder(f'out-{who}')
    os.makedirs(os.path.join(src, 'many'))
    for i in range(120):
        with open(os.path.join(src, 'many', f'f{i:03}'), 'wb') as f:
            f.write(os.urandom(1 << 20))
    receiver, sender, log, _ = transfer(env, server, who, [os.path.join(src, 'many')], out)
    first = receiver.wait_event('file', 60)
    stopped = receiver if who in ('receiver', 'kill') else sender
    stopped.signal(signal.SIGKILL if who == 'kill' else signal.SIGINT)
    codes = (receiver.wait(60), sender.wait(60))
    found, parts = scan(out)
    landed = sorted(e['path'] for e in receiver.events if e['event'] == 'file')
    whole = all(open(os.path.join(out, p), 'rb').read() == open(os.path.join(src, p), 'rb').read()
                for p in found)
    ran = refusals(log) > 0
    if who == 'kill':
        # The CLI writes its "file" lines in batches (at most 100 ms apart),
        # so a SIGKILL may take some that landed before they were printed:
        # what was reported is there, and all that is there is whole.
        tap.check(first is not None and ran and whole and len(found) < 120
                  and set(landed) <= set(found),
                  'killed with SIGKILL: every file under a real name is whole',
                  f'{len(found)} found, {len(landed)} reported, refusals {refusals(log)}')
        tap.check(len(parts) <= 1 and all(PART.match(os.path.basename(p)) for p in parts),
                  'killed with SIGKILL: at most the one hidden .part file it was writing',
                  repr(parts))
        return
    tap.check(first is not None and ran and codes == (4, 4),
              f'cancelled by the {who} through the fallback: both exit 4',
              f'{codes}, refusals {refusals(log)}\n{receiver.err()}\n{sender.err()}')
    tap.check(not parts and found == landed and whole and len(found) < 120,
              f'cancelled by the {who}: only the whole files reported are there, no .part',
              f'{len(found)} found, {len(landed)} landed, parts {parts}')


def one_file(env, server):
    out = env.folder('out-one')
    path = env.random('single.bin', 3 * 1000 * 1000 + 5)
    receiver, sender, log, _ = transfer(env, server, 'one', [path], out)
    codes = (receiver.wait(60), sender.wait(60))
    found, parts = scan(out)
    same = found == ['single.bin'] and \
        open(os.path.join(out, 'single.bin'), 'rb').read() == open(path, 'rb').read()
    tap.check(codes == (0, 0) and same and refusals(log) == 1,
              'one file alone arrives through the fallback', f'{codes} {found} '
              f'refusals {refusals(log)}\n{receiver.err()}')
    tap.check(not parts, 'one file: no .part file is left', repr(parts))


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        whole_tree(env, server)
        interrupted(env, server, 'receiver')
        interrupted(env, server, 'sender')
        interrupted(env, server, 'kill')
        one_file(env, server)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
