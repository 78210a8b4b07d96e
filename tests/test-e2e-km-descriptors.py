#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key manager out of file descriptors.  Real binary on loopback.  TAP.

keyferry-server runs with RLIMIT_NOFILE 200 (soft and hard), so it must
say at start that --max-clients 1000 cannot be honoured and serve fewer.
Then 150 clients try to be greeted from 127.0.0.1, one after the other:
those beyond what the descriptors allow must be refused.  A flood of bare
TCP connections from 127.0.0.2-51 and further clients follows.
It must not abort (GLib aborts when it cannot create a wakeup pipe), the
held clients must still be answered during and after the flood, and once
the flood is gone a new client is greeted again.

Then its soft limit is lowered under it while it runs (prlimit), so that
accept() itself fails with EMFILE: it must back off (not spin, not
abort), keep serving its clients, and accept again once the limit is
back up.

A second start with a soft limit of 200 under a hard one of 4096: the
key manager raises its soft limit and serves the defaults.
"""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import Env, KmClient, Tap, wait_until  # noqa: E402

tap = Tap()
TRIES = 150
HELD_MIN = 60
FLOOD = 300
SOURCES = [f'127.0.0.{i}' for i in range(2, 52)]


def limit(soft, hard):
    def preexec():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return preexec


def ping_all(clients):
    """How many of @clients answer `ping` with `ok ping`."""
    for c in clients:
        try:
            c.send('ping')
        except OSError:
            pass
    answered = 0
    for c in clients:
        try:
            c.expect('ok ping', timeout=10)
            answered += 1
        except (AssertionError, OSError):
            pass
    return answered


def try_join(server, name, source='127.0.0.1'):
    """A client greeted as @name, or None when refused or closed."""
    try:
        c = KmClient(server.port, server.fp, source=source, timeout=10)
    except OSError:
        return None
    try:
        c.join(name)
        return c
    except (AssertionError, OSError):
        c.close()
        return None


def main():
    env = Env()
    held, extra, flood = [], [], []
    try:
        server = env.server(['--max-clients-per-address', '1000'])
        server.preexec = limit(200, 200)
        server.start()
        log = server.log()
        tap.check('RLIMIT_NOFILE' in log and 'of --max-clients 1000' in log,
                  'at start the key manager says --max-clients cannot be honoured', log)

        # Greeted clients, one after the other, far more than 200
        # descriptors allow: the surplus must be refused, not crash it.
        refused = 0
        for i in range(TRIES):
            c = try_join(server, f'held-{i}')
            if c is not None:
                held.append(c)
            else:
                refused += 1
        tap.note(f'{len(held)} of {TRIES} clients greeted, {refused} refused')
        tap.check(server.proc.poll() is None and HELD_MIN <= len(held) < TRIES,
                  'the key manager greets what its descriptors allow and refuses the rest',
                  f'{len(held)} greeted\n' + server.log())

        start = time.monotonic()
        for i in range(FLOOD):
            try:
                flood.append(socket.create_connection(
                    ('127.0.0.1', server.port), timeout=5,
                    source_address=(SOURCES[i % len(SOURCES)], 0)))
            except OSError:
                pass
        for i in range(40):
            c = try_join(server, f'extra-{i}', SOURCES[i % len(SOURCES)])
            if c is not None:
                extra.append(c)
        tap.note(f'{len(flood)} bare connections and {len(extra)} more greeted clients '
                 f'in {time.monotonic() - start:.1f} s')
        answered = ping_all(held)
        tap.check(server.proc.poll() is None, 'the key manager survives the flood', server.log())
        tap.check(answered == len(held), 'every greeted client is answered during the flood',
                  f'{answered} of {len(held)}')

        for s in flood:
            s.close()
        for c in extra + held[:10]:
            c.close()
        flood, extra, held = [], [], held[10:]
        late = wait_until(lambda: try_join(server, 'late'), 20, 0.5)
        tap.check(late is not None, 'after the flood a new client is greeted again', server.log())
        if late is not None:
            late.close()
        answered = ping_all(held)
        tap.check(answered == len(held) and server.proc.poll() is None,
                  'the greeted clients are still served after the flood',
                  f'{answered} of {len(held)}')
        # accept() out of descriptors: lower the running server's soft
        # limit to its lowest free descriptor number, then knock.
        time.sleep(0.5)
        used = {int(fd) for fd in os.listdir(f'/proc/{server.proc.pid}/fd')}
        lowest_free = min(set(range(len(used) + 1)) - used)
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (lowest_free, 200))
        knocks = []
        for i in range(5):
            try:
                knocks.append(socket.create_connection(('127.0.0.1', server.port), timeout=5))
            except OSError:
                pass
        backed_off = wait_until(lambda: 'Cannot accept connections for now' in server.log(), 10)
        time.sleep(1)
        answered = ping_all(held)
        tap.check(backed_off and server.proc.poll() is None and answered == len(held),
                  'when accept() fails for want of descriptors it backs off and keeps serving',
                  f'{answered} of {len(held)}\n' + server.log()[-3000:])
        for s in knocks:
            s.close()
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (200, 200))
        for c in held[:5]:
            c.close()
        held = held[5:]
        again = wait_until(lambda: try_join(server, 'again'), 20, 0.5)
        tap.check(again is not None and 'Accepting connections again' in server.log(),
                  'with descriptors back it accepts again by itself', server.log()[-3000:])
        if again is not None:
            again.close()
        for c in held:
            c.close()
        held = []
        server.stop()

        roomy = env.server()
        roomy.preexec = limit(200, 4096)
        roomy.start()
        with open(f'/proc/{roomy.proc.pid}/limits') as f:
            limits = f.read()
        tap.check('RLIMIT_NOFILE' not in roomy.log().rsplit('--- start', 1)[-1]
                  and any(line.startswith('Max open files') and line.split()[3] == '4096'
                          for line in limits.splitlines()),
                  'a soft limit under the hard one is raised to it', roomy.log() + limits)
        roomy.stop()
    finally:
        for s in flood:
            s.close()
        for c in held + extra:
            c.close()
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
