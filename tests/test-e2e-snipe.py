#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A pairing that falls through before an offer does not end a wait
(issue 14, point 6), with the real binaries on loopback.  TAP.

A scripted `keyferry-cli wait` is waiting; a sniper speaking the key
manager's protocol by hand pairs with it (`conn`) and then:

- cancels at once, three times in a row;
- drops its connection to the key manager;
- stays silent until the key manager gives up on the key confirmation
  (a key manager with --confirm-timeout 2).

Each time the waiting client says so on standard error and with a
"waiting-again" event, never a "result", and keeps waiting (it is
listed for senders again); then a real sender's file arrives, whole,
and the wait ends with exit status 0.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, KmClient, Tap, sha256_file, wait_until  # noqa: E402

tap = Tap()


def snipe(server, victim_id, how):
    """The sniper pairs with @victim_id and then does @how."""
    km = KmClient(server.port, server.fp)
    try:
        km.join('mallory')
        km.send(f'conn {victim_id} cbc')
        km.expect('ok conn')
        if how == 'cancel':
            km.send('cancel')
            km.expect('ok cancel')
        elif how == 'silent':
            km.expect('ev cancelled', timeout=20)
    finally:
        km.close()


def listed(server, victim_id):
    """Whether `send` lists @victim_id as waiting."""
    km = KmClient(server.port, server.fp)
    try:
        km.join('lister')
        km.send('send')
        lines = []
        while True:
            line = km.line()
            if not line or line.startswith('ok send') or line.startswith('err'):
                break
            lines.append(line)
        return any(line.split(' ')[1:2] == [str(victim_id)] for line in lines)
    finally:
        km.close()


def survives(env, server, receiver, how, label):
    """@receiver is waiting; a snipe by @how must leave it waiting."""
    mark = receiver.count()
    before = receiver.err().count('waiting for a sender again')
    snipe(server, receiver.id, how)
    again = receiver.wait_event('waiting-again', 30, start=mark)
    results = [e for e in receiver.events[mark:] if e['event'] == 'result']
    tap.check(again is not None and not results and receiver.proc.poll() is None,
              f'{label}: the wait goes on (a "waiting-again" event, no result, still running)',
              f'events {receiver.events[mark:]!r}\nexit {receiver.proc.poll()}\n{receiver.err()}')
    said = wait_until(lambda: receiver.err().count('waiting for a sender again') > before, 10)
    tap.check(said,
              f'{label}: the receiver says so on standard error', receiver.err())
    tap.check(listed(server, receiver.id), f'{label}: the receiver is listed for senders again')


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        out = env.folder('in')
        bob = env.cli(server, 'bob', ['wait', '--accept', '--output', out])
        if not tap.check(bob.wait_event('waiting', 20) is not None, 'bob waits', bob.err()):
            return tap.finish()

        for i in range(3):
            survives(env, server, bob, 'cancel', f'sniper pairs and cancels at once ({i + 1})')
        survives(env, server, bob, 'leave', 'sniper pairs and leaves the key manager')

        src = env.random('file.bin', 300 * 1000 + 7)
        alice = env.cli(server, 'alice', ['send', '--to', 'bob', '--mode', 'cfb', src])
        sent, received = alice.wait(60), bob.wait(60)
        saved = os.path.join(out, 'file.bin')
        tap.check(sent == 0 and received == 0 and os.path.exists(saved)
                  and sha256_file(saved) == sha256_file(src),
                  'then a real sender’s file arrives whole, and both exit 0',
                  f'sender exit {sent}, receiver exit {received}\n{alice.err()}\n{bob.err()}')

        server.stop()
        slow = kf_e2e.Server(os.path.join(env.work, 'slow'), ['--confirm-timeout', '2'])
        env.servers.append(slow)
        slow.start()
        cleo = env.cli(slow, 'cleo', ['wait', '--accept', '--output', env.folder('in2')])
        if tap.check(cleo.wait_event('waiting', 20) is not None, 'cleo waits', cleo.err()):
            survives(env, slow, cleo, 'silent',
                     'sniper pairs and never confirms (the key manager gives up)')
        cleo.kill()
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
