#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Identities on the real key manager (issue 14, items 2, 6 and 7).  TAP.

- the impersonation of the issue fails: while bob waits, another identity
  cannot take the name "bob", nor "BOB", a Cyrillic "Воb", "B0b" or a
  full-width "Ｂｏｂ" (`err name-owned`, and keyferry-cli says so and exits 7);
  the attacker is never welcomed, and alice's `send --to bob` reaches bob;
- a key manager restarted on its state directory still gives "bob" to bob
  only;
- with enrolment closed (keyferry-server enrolment close, while it runs)
  only known identities get in, and one the administrator adds by its code
  gets in too;
- a client of protocol version 1 (no ALPN keyferry/2) is told to update;
- `conn` is limited per identity (--conn-burst), whatever connection it
  comes from; another identity is not limited by it;
- `block`: a blocked identity's conn gets no-such-peer, from a new
  connection too; another identity's does not.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Identity, KmClient, Tap, escape, sha256_file  # noqa: E402

tap = Tap()
LOOK_ALIKES = ['bob', 'BOB', '\u0412\u043eb', 'B0b', '\uff22\uff4f\uff42']


def run(env, args, timeout=30):
    try:
        proc = subprocess.run(args, env=env.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return None, str(e.stdout or ''), str(e.stderr or '')
    return proc.returncode, proc.stdout, proc.stderr


def cli_args(server, name, identity):
    return [kf_e2e.CLI, '--server', f'127.0.0.1:{server.port}', '--fingerprint', server.fp,
            '--name', name, '--identity', identity]


def code_of(env, identity):
    code, out, err = run(env, [kf_e2e.CLI, '--identity', identity, '--json', 'identity'])
    for line in out.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if 'code' in event:
            return event['code']
    raise AssertionError(f'no identity code: exit {code}: {out} {err}')


def hello_answer(server, name, identity=None):
    """The key manager's answer to a hello as @name from @identity."""
    km = KmClient(server.port, server.fp, identity=identity)
    try:
        km.greeting()
        km.send(km.hello_line(escape(name)))
        return km.line() or ''
    finally:
        km.close()


def impersonation(env, server, ids):
    inbox = env.folder('bob-in')
    bob = env.cli(server, 'bob', ['--identity', ids['bob'], 'wait', '--accept', '--output',
                                  inbox])
    tap.check(bob.wait_event('waiting', 20), 'bob waits', bob.err())
    for name in LOOK_ALIKES:
        answer = hello_answer(server, name)
        tap.check(answer.startswith('err name-owned '),
                  f'another identity asking for {name!r} is refused with name-owned', answer)
    code, _, err = run(env, cli_args(server, 'BOB', ids['mallory']) + ['wait'])
    tap.check(code == 7 and 'belongs to another person' in err,
              'keyferry-cli as another identity named BOB exits 7 and says the name is taken',
              f'exit {code}: {err}')
    tap.check(hello_answer(server, 'mallory').startswith('welcome '),
              'the same attacker is welcomed under a name of its own')
    src = env.random('for-bob.bin', 200000)
    code, _, err = run(env, cli_args(server, 'alice', ids['alice'])
                       + ['send', '--to', 'bob', '--mode', 'cbc', src], timeout=60)
    bob.wait(20)
    got = os.path.join(inbox, 'for-bob.bin')
    tap.check(code == 0 and os.path.exists(got) and sha256_file(got) == sha256_file(src),
              "alice's send --to bob reaches bob", f'exit {code}: {err}\n{bob.err()}')


def restart_keeps_ownership(env, server, ids):
    server.stop()
    server.start()
    answer = hello_answer(server, 'Bob')
    tap.check(answer.startswith('err name-owned '),
              'after a restart, another identity still cannot take bob', answer)
    bob = env.cli(server, 'bob', ['--identity', ids['bob'], 'wait'])
    tap.check(bob.wait_event('waiting', 20), 'after a restart, bob is bob again', bob.err())
    bob.kill()


def admin(env, server, *args):
    return run(env, [kf_e2e.SERVER, '--state-dir', server.state] + list(args))


def enrolment(env, server, ids):
    code, out, err = admin(env, server, 'enrolment', 'close')
    tap.check(code == 0, 'keyferry-server enrolment close, while it runs', f'{out}{err}')
    newcomer = os.path.join(env.work, 'newcomer.id')
    code, _, err = run(env, cli_args(server, 'newcomer', newcomer) + ['wait'])
    tap.check(code == 7 and 'admits only' in err,
              'enrolment closed: an unknown identity is refused (exit 7)', f'exit {code}: {err}')
    known = env.cli(server, 'bob', ['--identity', ids['bob'], 'wait'])
    tap.check(known.wait_event('waiting', 20), 'enrolment closed: a known identity gets in',
              known.err())
    known.kill()
    newcomer_code = code_of(env, newcomer)
    code, out, err = admin(env, server, 'identities', 'add', newcomer_code.lower())
    tap.check(code == 0 and newcomer_code in out, 'identities add CODE', f'{out}{err}')
    for verb in ('add', 'remove'):
        code, out, err = admin(env, server, 'identities', verb, 'ABCD-EFGH')
        tap.check(code == 2 and out == '' and '“ABCD-EFGH” is neither an identity code' in err,
                  f'identities {verb} of neither a code nor a key: a usage error (exit 2)',
                  f'exit {code}: {out}{err}')
    cli = env.cli(server, 'newcomer', ['--identity', newcomer, 'wait'])
    tap.check(cli.wait_event('waiting', 20), 'the added identity gets in', cli.err())
    cli.kill()
    code, out, _ = admin(env, server, '--json', 'identities', 'list')
    listed = json.loads(out) if code == 0 else []
    tap.check(any(i['code'] == newcomer_code and i['added_by_admin'] and i['public_key']
                  for i in listed),
              'identities list shows it, added by the administrator, with its key now', out)
    code, out, _ = admin(env, server, 'names', 'list')
    tap.check(code == 0 and 'bob' in out and 'newcomer' in out, 'names list', out)
    code, out, err = admin(env, server, 'identities', 'remove', newcomer_code)
    tap.check(code == 0 and f'Removed the identity {newcomer_code}' in out,
              'identities remove CODE', f'{out}{err}')
    code, out, _ = admin(env, server, 'names', 'list')
    tap.check(code == 0 and 'newcomer' not in out, 'its names are released', out)
    admin(env, server, 'enrolment', 'open')


def version_one(server):
    km = KmClient(server.port, server.fp, alpn=False)
    line = km.line()
    end = km.line()
    km.close()
    tap.check(line and line.startswith('err version ') and 'update' in line.replace('%20', ' '),
              'a version 1 client (no ALPN) is told to update', line)
    tap.check(end == '', 'and the connection closes', end)


def rate_limit(env, server):
    sniper = Identity()
    receivers = []
    for i in range(2):
        rx = KmClient(server.port, server.fp)
        rx.join(f'rx{i}')
        rx.send('wait')
        rx.expect('ok wait')
        receivers.append(rx)
    answers = []
    for attempt in range(4):
        # A new connection for each: the limit is the identity's.
        km = KmClient(server.port, server.fp, identity=sniper)
        km.join(f'sniper{attempt}')
        km.send('send')
        peers = []
        while True:
            words = km.expect('')
            if words[0] == 'peer':
                peers.append(int(words[1]))
            elif words[0] == 'ok':
                break
        km.send(f'conn {peers[0]} cbc')
        answer = km.line()
        answers.append(answer)
        if answer.startswith('ok conn'):
            km.send('cancel')
            km.expect('ok cancel')
            for rx in receivers:
                rx.send('wait')
        km.close()
        time.sleep(0.2)
    tap.check([a.split(' ')[0] + ' ' + a.split(' ')[1] for a in answers]
              == ['ok conn', 'ok conn', 'ok conn', 'err rate-limited'],
              'the fourth conn of one identity within --conn-burst 3 is rate-limited',
              answers)
    other = KmClient(server.port, server.fp)
    other.join('bystander')
    other.send('conn 999999 cbc')
    answer = other.line()
    tap.check(answer.startswith('err no-such-peer'), 'another identity is not limited', answer)
    other.close()
    for rx in receivers:
        rx.close()


def blocking(server):
    pest = Identity()
    rx = KmClient(server.port, server.fp)
    rx.join('blocker')
    rx.send(f'block {pest.hex()}')
    tap.check(rx.line() == 'ok block', 'block <public_key> is answered ok block')
    rx.send('wait')
    rx.expect('ok wait')
    rx_id = None
    answers = []
    for attempt in range(2):
        # The blocked identity, from a new connection each time.
        km = KmClient(server.port, server.fp, identity=pest)
        km.join(f'pest{attempt}')
        km.send('send')
        while True:
            words = km.expect('')
            if words[0] == 'peer' and words[2] == 'blocker':
                rx_id = words[1]
            if words[0] == 'ok':
                break
        km.send(f'conn {rx_id} cbc')
        answers.append(km.line())
        km.close()
    tap.check(all(a.startswith('err no-such-peer') for a in answers),
              'a blocked identity cannot pair with the receiver, from any connection', answers)
    friend = KmClient(server.port, server.fp)
    friend.join('friend')
    friend.send(f'conn {rx_id} cbc')
    answer = friend.line()
    tap.check(answer.startswith('ok conn'), 'another identity still can', answer)
    friend.close()
    rx.close()


def main():
    env = Env()
    try:
        ids = {who: os.path.join(env.work, f'{who}.id') for who in ('alice', 'bob', 'mallory')}
        server = env.server(['--conn-burst', '3', '--conn-refill', '600'])
        server.start()
        impersonation(env, server, ids)
        restart_keeps_ownership(env, server, ids)
        enrolment(env, server, ids)
        version_one(server)
        rate_limit(env, server)
        blocking(server)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
