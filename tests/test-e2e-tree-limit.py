#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The largest tree a transfer may hold, between two real keyferry-cli.  TAP.

A folder of exactly 100,000 entries (KF_TRANSFER_MAX_ENTRIES,
docs/PROTOCOL.md part 2, §10): itself, 100 folders and 99,899 empty files
(each still its own CBC chain of one padding block), is offered and accepted end to end: both sides exit
0 (the key manager confirmed the block counts), the offer announced every
file, every file arrived under its name, and no temporary file is
left.  One entry more is refused by the receiver before accepting
(test-e2e-tree-hostile.py).  Neither side's peak RSS may pass
PEAK_RSS_MIB, nor be more than ABOVE_ONE_FILE_MIB above the larger
side's peak for one file sent alone, measured first in the same run
(docs/PERFORMANCE.md, "Memory with many files"): a side that keeps
something per entry beyond the manifest, such as a result for every
file that nobody asked for, fails it.  The seconds it took are printed,
not asserted.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Tap  # noqa: E402

tap = Tap()
FOLDERS = 100
# Peak RSS allowed for either side at 100,000 entries (issue 15, item 6),
# and above the larger side's peak for one file: 24 MiB and 7 MiB measured
# by this test (17 MiB for one file: meson sets MALLOC_PERTURB_, which
# touches what malloc hands out); 42 MiB and 25 MiB while every side kept
# a result per entry, 67 MiB before the manifest and the result lists
# were made compact.  Not checked under a sanitizer, whose own memory
# dwarfs it.
PEAK_RSS_MIB = 32
ABOVE_ONE_FILE_MIB = 10
TIME = '/usr/bin/time'
FILES = 100000 - 1 - FOLDERS


def measured_cli(env, server, name, args):
    """A keyferry-cli started by /usr/bin/time, which writes its peak RSS
    (KiB) to a file of its own: a process this script forks directly
    inherits the peak of this script's own memory."""
    real = kf_e2e.CLI
    if not os.access(TIME, os.X_OK):
        return env.cli(server, name, args)
    wrapper = os.path.join(env.work, 'measured-cli')
    with open(wrapper, 'w') as f:
        f.write(f'#!/bin/sh\nexec {TIME} -f %M -o "$KF_RSS_FILE" {real} "$@"\n')
    os.chmod(wrapper, 0o755)
    kf_e2e.CLI = wrapper
    try:
        return env.cli(server, name, args,
                       extra_env={'KF_RSS_FILE': os.path.join(env.work, f'{name}.rss')})
    finally:
        kf_e2e.CLI = real


def wait_peak(env, cli, timeout):
    """The exit status of @cli (None after @timeout seconds) and its peak
    RSS in KiB (0 when unknown)."""
    code = cli.wait(timeout)
    try:
        with open(os.path.join(env.work, f'{cli.name}.rss')) as f:
            return code, int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return code, 0


def make_tree(top):
    for d in range(FOLDERS):
        os.makedirs(os.path.join(top, f'd{d:03}'))
    for i in range(FILES):
        open(os.path.join(top, f'd{i % FOLDERS:03}', f'f{i:06}'), 'wb').close()


def arrived(top):
    """The number of files under @top, those misplaced or not empty, and
    any temporary file."""
    n, wrong, parts = 0, [], []
    for folder, _, names in os.walk(top):
        for name in names:
            if name.endswith('.part'):
                parts.append(name)
                continue
            n += 1
            path = os.path.join(folder, name)
            if name[0] != 'f' or os.path.basename(folder) != f'd{int(name[1:]) % FOLDERS:03}' \
                    or os.path.getsize(path) != 0:
                wrong.append(path)
    return n, wrong, parts


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        src = env.folder('src')
        out = env.folder('out')
        with open(os.path.join(src, 'one'), 'wb') as f:
            f.write(b'x' * 100)
        one_out = env.folder('one-out')
        receiver = measured_cli(env, server, 'rx1', ['wait', '--accept', '--output', one_out])
        if not receiver.wait_event('waiting', 30):
            tap.check(False, 'the receiver of one file waits', receiver.err())
            return tap.finish()
        sender = measured_cli(env, server, 'tx1', ['send', '--to', 'rx1', '--mode', 'cbc',
                                         os.path.join(src, 'one')])
        (rx_code, rx_peak), (tx_code, tx_peak) = wait_peak(env, receiver, 60), wait_peak(env, sender, 60)
        one_codes = (rx_code, tx_code)
        one_peak = max(rx_peak, tx_peak)
        tap.check(one_codes == (0, 0), 'one file alone: both sides exit 0', f'{one_codes}')
        start = time.monotonic()
        make_tree(os.path.join(src, 'tree'))
        made = time.monotonic() - start
        receiver = measured_cli(env, server, 'rx', ['wait', '--accept', '--output', out])
        if not receiver.wait_event('waiting', 30):
            tap.check(False, 'the receiver waits', receiver.err())
            return tap.finish()
        start = time.monotonic()
        sender = measured_cli(env, server, 'tx', ['send', '--to', 'rx', '--mode', 'cbc',
                                        os.path.join(src, 'tree')])
        (rx_code, rx_peak), (tx_code, tx_peak) = wait_peak(env, receiver, 600), wait_peak(env, sender, 120)
        codes = (rx_code, tx_code)
        seconds = time.monotonic() - start
        peak = max(rx_peak, tx_peak)
        tap.note(f'100,000 entries: tree made in {made:.1f} s, sent in {seconds:.1f} s '
                 f'(loopback, loaded machine); peak RSS: receiver {rx_peak // 1024} MiB, '
                 f'sender {tx_peak // 1024} MiB; for one file the larger side '
                 f'{one_peak // 1024} MiB')
        tap.check(codes == (0, 0), '100,000 entries: accepted, and both sides exit 0 (confirmed)',
                  f'{codes}\n{receiver.err()[-2000:]}\n{sender.err()[-2000:]}')
        # Not checked under a sanitizer, nor without /usr/bin/time (package time).
        sanitized = b'__asan_init' in open(kf_e2e.CLI, 'rb').read() \
            or not os.access(TIME, os.X_OK)
        tap.check(sanitized or 0 < peak < PEAK_RSS_MIB * 1024,
                  f'neither side took more than {PEAK_RSS_MIB} MiB'
                  + (' (not checked: sanitizer build or no /usr/bin/time)' if sanitized else ''),
                  f'{peak // 1024} MiB')
        tap.check(sanitized or peak - one_peak < ABOVE_ONE_FILE_MIB * 1024,
                  f'neither side took {ABOVE_ONE_FILE_MIB} MiB more than for one file: nothing '
                  'is kept per entry beyond the manifest'
                  + (' (not checked: sanitizer build or no /usr/bin/time)' if sanitized else ''),
                  f'{peak // 1024} MiB, one file: {one_peak // 1024} MiB')
        offer = receiver.last('offer') or {}
        tap.check(offer.get('files') == FILES and offer.get('top_level') == ['tree'],
                  'the offer announced every file', repr({k: offer.get(k) for k in
                                                          ('files', 'folders', 'top_level')}))
        n, wrong, parts = arrived(os.path.join(out, 'tree'))
        tap.check(n == FILES and not wrong,
                  'every file arrived, in its folder, empty', f'{n} files, wrong: {wrong[:5]}')
        tap.check(not parts, 'no temporary file is left', repr(parts[:5]))
        folders = len([d for d in os.listdir(os.path.join(out, 'tree'))
                       if os.path.isdir(os.path.join(out, 'tree', d))]) \
            if os.path.isdir(os.path.join(out, 'tree')) else 0
        tap.check(folders == FOLDERS, 'every folder arrived', f'{folders} folders')
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
