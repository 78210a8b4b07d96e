#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sender or a receiver killed at the very start and the very end of a
transfer, with the real binaries on loopback.  TAP.

test-e2e-faults.sh covers the middle of a transfer; here the fault comes
right after the receiver accepted the offer (its "accepted" event) and
right after the victim's last data bytes (its final "progress" event).

Each time: the victim exits as the signal says, the other side says what
happened within seconds and exits with the right status, the key manager
writes the session's end to its audit log, nothing but the final name is
ever left in the receiver's folder, and both people, the victim restarted,
can transfer again at once.

At the end the kill can land before the receiver saved the file, after it
saved it but before the verdict, or after the verdict: which one it was is
read from the audit log and the folder, and each has one correct outcome:

- before: no file; the survivor fails (exit 1) naming the victim;
- after saving, before the verdict: the file is complete and identical
  (every record passed the peer link's MAC, the size and padding checks
  before it was given its name), so it is kept; the survivor fails (exit 1,
  no verdict), and a surviving receiver's result names the saved file and
  says only the confirmation is missing;
- after both reports: the key manager still confirms; the survivor exits 0.
"""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import Env, Tap, sha256_file  # noqa: E402

tap = Tap()
# How a survivor may say that the other side died.  A sender whose write
# meets the reset link can tell the key manager first, and then never
# hears that the receiver left: "the connection to the peer was lost" is
# then the whole truth it knows.
LEFT = r'(left the key manager|closed the connection|connection was lost|connection lost|connection to the peer was lost)'


def audit_for(server, receiver, timeout=5):
    """The audit line of the session whose receiver was @receiver."""
    pattern = re.compile(r' receiver=\d+/' + re.escape(receiver) + ' ')
    deadline = time.monotonic() + timeout
    while True:
        for line in server.audit_lines():
            if pattern.search(line):
                return line
        if time.monotonic() > deadline:
            return ''
        time.sleep(0.02)


def word(line, key):
    m = re.search(r'\b' + key + r'=(\S+)', line)
    return m.group(1) if m else None


def start_pair(env, server, rx, tx, source, out):
    receiver = env.cli(server, rx, ['wait', '--accept', '--output', out])
    if not receiver.wait_event('waiting', 20):
        raise RuntimeError(f'{rx} did not start waiting: {receiver.err()}')
    sender = env.cli(server, tx, ['send', '--to', rx, '--mode', 'cbc', source])
    return receiver, sender


def again(env, server, rx, tx, small, label):
    """Both people start again at once (the victim restarted) and a small
    file goes through, confirmed."""
    out = env.folder('again')
    receiver, sender = start_pair(env, server, rx, tx, small, out)
    s, r = sender.wait(30), receiver.wait(30)
    saved = os.path.join(out, os.path.basename(small))
    tap.check(s == 0 and r == 0 and os.path.exists(saved)
              and sha256_file(saved) == sha256_file(small),
              f'{label}: both start again at once and a transfer is confirmed',
              f'sender {s}: {sender.err()}\nreceiver {r}: {receiver.err()}')


def fault(env, server, n, victim, when, sig, source, small):
    rx, tx = f'rx{n}', f'tx{n}'
    signame = 'Ctrl-C' if sig == signal.SIGINT else 'kill -9'
    label = f'{victim} {signame} at the {when}'
    out = env.folder('out')
    receiver, sender = start_pair(env, server, rx, tx, source, out)
    hit, other = (receiver, sender) if victim == 'receiver' else (sender, receiver)

    if when == 'start':
        trigger = receiver.wait_event('accepted', 30)
    else:
        trigger = hit.wait_event(lambda e: e['event'] == 'progress' and e['done'] == e['total'], 60)
    if not trigger:
        tap.check(False, f'{label}: the transfer got to that point',
                  f'{sender.err()}\n{receiver.err()}')
        return
    hit.signal(sig)
    start = time.monotonic()
    hit_status = hit.wait(20)
    other_status = other.wait(20)
    took = time.monotonic() - start
    result = other.last('result') or {}
    message = result.get('message') or ''
    line = audit_for(server, rx)
    left = sorted(os.listdir(out))
    final = os.path.join(out, os.path.basename(source))
    saved = left == [os.path.basename(source)]
    detail = (f'{victim} exit {hit_status}, other exit {other_status} after {took:.2f} s\n'
              f'result: {result}\naudit: {line}\nfolder: {left}\n'
              f'sender: {sender.err()}\nreceiver: {receiver.err()}')

    want_hit = 4 if sig == signal.SIGINT else -signal.SIGKILL
    outcome = word(line, 'outcome')
    if when == 'end' and hit_status == 0 and outcome == 'ok':
        # On a busy machine the victim can hear the verdict and exit on
        # its own between its last progress event and the signal: then
        # it must have ended the one right way, confirmed.
        tap.note(f'{label}: the {victim} finished before the signal landed')
        tap.check(other_status == 0 and result.get('status') == 'confirmed',
                  f'{label}: the {victim} exits {want_hit}, or 0 when it had already finished '
                  'with a confirmed verdict', detail)
    else:
        tap.check(hit_status == want_hit, f'{label}: the {victim} exits {want_hit}, or 0 when '
                  'it had already finished with a confirmed verdict', detail)
    tap.check(left in ([], [os.path.basename(source)]),
              f'{label}: nothing but the final name in the folder, no temporary file', detail)
    tap.check(took < 5, f'{label}: the other side is told within seconds', detail)
    tap.note(f'{label}: the other side exited {took * 1000:.0f} ms after the signal')

    if when == 'start':
        if sig == signal.SIGINT:
            want, said = 4, re.escape(hit.name) + ' cancelled the transfer'
        else:
            want, said = 1, re.escape(hit.name) + ' ' + LEFT + '|' + LEFT
        tap.check(other_status == want and re.search(said, message) and not saved,
                  f'{label}: the other side exits {want} and says why; nothing is saved', detail)
        tap.check(outcome == 'cancelled', f'{label}: the key manager ends the session', detail)
    elif outcome == 'ok':
        tap.note(f'{label}: the kill came after both reports')
        tap.check(other_status == 0 and result.get('status') == 'confirmed' and saved
                  and sha256_file(final) == sha256_file(source),
                  f'{label}: after both reports the key manager still confirms the file', detail)
    else:
        delivered = 'only the key manager’s confirmation of the block counts is missing'
        if saved:
            tap.note(f'{label}: the kill came after the file was saved, before the verdict')
        else:
            tap.note(f'{label}: the kill came before the file was saved')
        ok = (outcome == 'cancelled' and other_status == 1 and result.get('status') == 'failed'
              and re.search(LEFT, message) is not None)
        if saved:
            ok = ok and sha256_file(final) == sha256_file(source)
        if other is receiver:
            # The receiver's outcome says whether its file is there.
            ok = ok and (result.get('file') == final) == saved
            ok = ok and (delivered in message and final in message) == saved
        else:
            # A sender that had the receiver's DONE (it reported) says the
            # file arrived; it never says so when it did not.
            ok = ok and (delivered not in message or saved)
            ok = ok and (word(line, 'sender_blocks') == '-' or delivered in message)
        tap.check(ok, f'{label}: the other side fails without a verdict, and says whether '
                  'the whole file was saved', detail)

    again(env, server, rx, tx, small, label)


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        long_file = env.sparse('long.bin', 256 << 20)
        end_file = env.sparse('end.bin', 32 << 20)
        small = env.random('small.bin', 70_001)
        cases = [
            ('receiver', 'start', signal.SIGINT, long_file),
            ('receiver', 'start', signal.SIGKILL, long_file),
            ('sender', 'start', signal.SIGINT, long_file),
            ('sender', 'start', signal.SIGKILL, long_file),
            ('receiver', 'end', signal.SIGKILL, end_file),
            ('sender', 'end', signal.SIGKILL, end_file),
        ]
        for n, (victim, when, sig, source) in enumerate(cases, 1):
            fault(env, server, n, victim, when, sig, source, small)
        tap.check(server.proc.poll() is None, 'the key manager is still running after all that',
                  server.log())
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
