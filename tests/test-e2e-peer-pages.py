#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every waiting peer, however many: the paged `send`/`watch` lists.  TAP.

120 squatters from 127.0.0.2-5 wait at the real key manager before the
real receiver does.  At the protocol level `send` gives the first 100 by
id and `ok send 100 more`, `send <last id>` the rest and `ok send N`; the
same for `watch`.  Then `keyferry-cli send --to rose`, whose receiver is
beyond the first page, must find it and deliver the file.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import Env, KmClient, Tap, sha256_file  # noqa: E402

tap = Tap()
SQUATTERS = 120


def page(client, verb, after=None):
    """The peer lines and the reply of one `send`/`watch` page."""
    client.send(verb if after is None else f'{verb} {after}')
    peers = []
    while True:
        line = client.line()
        if not line or line.startswith('ok ') or line.startswith('err '):
            return peers, line
        if line.startswith('peer '):
            peers.append(int(line.split(' ')[1]))


def main():
    env = Env()
    squatters = []
    try:
        server = env.server()
        server.start()
        for i in range(SQUATTERS):
            c = KmClient(server.port, server.fp, source=f'127.0.0.{2 + i % 4}')
            c.join(f'squatter-{i}')
            c.send('wait')
            c.expect('ok wait')
            squatters.append(c)
        out = env.folder('out')
        payload = env.random('payload.bin', 64 * 1024)
        receiver = env.cli(server, 'rose', ['wait', '--accept', '--output', out])
        tap.check(receiver.wait_event('waiting', 20), 'the real receiver waits after '
                  f'{SQUATTERS} squatters', receiver.err())
        rose = receiver.id

        probe = KmClient(server.port, server.fp)
        probe.join('probe')
        first, reply = page(probe, 'send')
        tap.check(len(first) == 100 and reply == 'ok send 100 more' and first == sorted(first),
                  '`send` lists the first 100 by id and says `more`', f'{len(first)} {reply!r}')
        rest, reply = page(probe, 'send', first[-1])
        tap.check(reply == f'ok send {len(rest)}' and len(rest) == SQUATTERS + 1 - 100
                  and rose in rest and min(rest) > first[-1],
                  '`send <last id>` lists the rest, the real receiver among them',
                  f'{len(rest)} {reply!r}')
        wfirst, reply = page(probe, 'watch')
        wrest, reply2 = page(probe, 'watch', wfirst[-1])
        tap.check(reply == 'ok watch 100 more' and reply2 == f'ok watch {len(wrest)}'
                  and sorted(wfirst + wrest) == sorted(first + rest),
                  '`watch` pages the same way', f'{reply!r} {reply2!r}')
        probe.close()

        sender = env.cli(server, 'sid', ['send', '--to', 'rose', '--mode', 'cbc', payload])
        s, r = sender.wait(30), receiver.wait(30)
        saved = os.path.join(out, 'payload.bin')
        tap.check(s == 0 and r == 0 and os.path.exists(saved)
                  and sha256_file(saved) == sha256_file(payload),
                  'keyferry-cli send --to finds a receiver beyond the first page',
                  f'sender {s}: {sender.err()}\nreceiver {r}: {receiver.err()}')
    finally:
        for c in squatters:
            c.close()
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
