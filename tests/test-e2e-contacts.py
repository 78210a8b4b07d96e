#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contacts with the real binaries: a changed identity is refused.  TAP.

Alice, Bob and Mallory each have their own identity and contacts (their
own $XDG_DATA_HOME).  Key managers run on loopback: on the first Bob is
Bob; on the second, Mallory took the name "bob" first; on the third,
"alice".

- After Alice sends Bob a file (confirmed), each is the other's contact,
  under the identity code `keyferry-cli identity` prints.
- `send --to bob` on the second key manager reaches Mallory's identity:
  Alice refuses to send (exit 9), saying both codes and how to accept the
  new one; Mallory receives nothing and goes on waiting.
- With --accept-new-identity Alice sends; "bob" then stands for Mallory's
  identity, so the real Bob is now the changed one and is refused.
- The receiving side too: Mallory, as "alice" on the second key manager,
  offers Bob a file; Bob's `wait --accept` declines it (exit 9) and keeps
  nothing.
- `send --to CODE` reaches the identity with that code (typed in lower
  case, without dashes), and the peer list marks contacts with their code.
- `block` at the prompt while an offer is pending declines it and keeps
  that identity from pairing again: its next `send` finds no such peer
  (exit 8), while someone else's file still comes through.
- A key manager that names another identity in `ev key` than the one the
  peer proves on the peer link (tests/kf-test-km.c --name-other-identities)
  gets nothing through: both sides stop, saying so, before any offer.
"""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Tap, sha256_file  # noqa: E402

tap = Tap()


class Person:
    """One user: an $XDG_DATA_HOME of their own (identity, contacts, pins)."""

    def __init__(self, env, name):
        self.name = name
        self.work = env.work
        self.clis = env.clis
        home = os.path.join(env.work, name)
        os.makedirs(os.path.join(home, 'data'))
        self.env = dict(env.env, XDG_DATA_HOME=os.path.join(home, 'data'),
                        XDG_STATE_HOME=os.path.join(home, 'state'),
                        XDG_CONFIG_HOME=os.path.join(home, 'config'), HOME=home)

    def cli(self, server, args, name=None, **kw):
        return kf_e2e.Cli(self, server, name or self.name, args, **kw)

    def run(self, *args):
        proc = subprocess.run([kf_e2e.CLI, '--json'] + list(args), env=self.env,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
        events = []
        for line in proc.stdout.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        return proc.returncode, events, proc.stderr

    def code(self):
        _, events, err = self.run('identity')
        return next((e['code'] for e in events if e.get('event') == 'identity'), None)

    def contacts(self):
        _, events, _ = self.run('contacts')
        found = next((e for e in events if e.get('event') == 'contacts'), {})
        return {c['code']: c['names'] for c in found.get('contacts', [])}


class LyingKm:
    """kf-test-km naming other identities than the peers'; what Cli needs."""

    def __init__(self, work):
        self.dir = os.path.join(work, 'lying-km')
        os.makedirs(self.dir)
        self.proc = subprocess.Popen([os.environ['KF_TEST_KM'], self.dir,
                                      '--name-other-identities'],
                                     stdout=subprocess.PIPE, text=True)
        words = self.proc.stdout.readline().split()
        self.port, self.fp = int(words[1]), words[3]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)


def transfer(env, sender, receiver, server, to, extra=(), receiver_name=None, sender_name=None):
    """@receiver waits with --accept; @sender sends to @to.  Returns both
    exit statuses, both clis and the source file."""
    out = env.folder(f'in-{receiver.name}-{len(env.clis)}')
    rx = receiver.cli(server, ['wait', '--accept', '--output', out], name=receiver_name)
    if not rx.wait_event('waiting', 20):
        return None, None, rx, None, None
    src = env.random(f'file-{len(env.clis)}.bin', 5000)
    tx = sender.cli(server, ['send', '--to', to, '--mode', 'cbc'] + list(extra) + [src],
                    name=sender_name)
    return tx.wait(30), rx, tx, src, out


def main():
    env = Env()
    try:
        km1 = env.server()
        km1.start()
        km2 = kf_e2e.Server(os.path.join(env.work, 'km2'))
        env.servers.append(km2)
        km2.start()
        alice, bob, mallory = Person(env, 'alice'), Person(env, 'bob'), Person(env, 'mallory')
        carol = Person(env, 'carol')

        # Alice sends Bob a file: each becomes the other's contact.
        sent, rx, tx, src, out = transfer(env, alice, bob, km1, 'bob')
        received = rx.wait(30)
        tap.check(sent == 0 and received == 0
                  and sha256_file(os.path.join(out, os.path.basename(src))) == sha256_file(src),
                  'a first transfer from alice to bob is confirmed', f'{tx.err()}\n{rx.err()}')
        codes = {p.name: p.code() for p in (alice, bob, mallory)}
        tap.check(all(codes.values()) and len(set(codes.values())) == 3,
                  'three people, three identity codes', repr(codes))
        tap.check(alice.contacts().get(codes['bob']) == ['bob'],
                  'alice now knows bob by his identity code', repr(alice.contacts()))
        tap.check(bob.contacts().get(codes['alice']) == ['alice'],
                  'bob now knows alice by hers', repr(bob.contacts()))

        # On the second key manager Mallory waits as "bob".
        sent, rx, tx, src, out = transfer(env, alice, mallory, km2, 'bob', receiver_name='bob')
        err = tx.err()
        tap.check(sent == 9, 'send --to bob reaching another identity is refused (exit 9)',
                  f'exit {sent}\n{err}')
        tap.check(codes['bob'] in err and codes['mallory'] in err
                  and '--accept-new-identity' in err and 'contacts forget bob' in err,
                  'the refusal names both codes and how to accept the new identity', err)
        said = tx.last('peer-identity') or {}
        tap.check(said.get('contact') == 'changed' and said.get('code') == codes['mallory']
                  and said.get('known_code') == codes['bob'],
                  '--json says it too ("peer-identity", changed, both codes)', repr(said))
        # Refused from the waiting list's word, before `conn`: Mallory is
        # never even paired.
        tap.check(not os.listdir(out) and rx.last('session') is None and rx.proc.poll() is None,
                  'mallory receives nothing, is never paired, and is left waiting',
                  f'{os.listdir(out)}\n{rx.err()}')
        rx.kill()
        tap.check(alice.contacts().get(codes['bob']) == ['bob']
                  and codes['mallory'] not in alice.contacts(),
                  'alice’s contacts are unchanged', repr(alice.contacts()))

        # Accepting the new identity on purpose: it then stands for "bob".
        sent, rx, tx, src, out = transfer(env, alice, mallory, km2, 'bob',
                                          extra=['--accept-new-identity'], receiver_name='bob')
        received = rx.wait(30)
        tap.check(sent == 0 and received == 0,
                  'with --accept-new-identity the file goes (exit 0)', f'{tx.err()}\n{rx.err()}')
        contacts = alice.contacts()
        tap.check(contacts.get(codes['mallory']) == ['bob'] and contacts.get(codes['bob']) == [],
                  '"bob" now stands for the accepted identity', repr(contacts))
        sent, rx, tx, src, out = transfer(env, alice, bob, km1, 'bob')
        tap.check(sent == 9 and not os.listdir(out),
                  'so the first bob is now the changed one, and refused', f'exit {sent}\n{tx.err()}')
        rx.kill()

        # The receiving side: on a third key manager Mallory, as "alice",
        # offers Bob a file.
        km3 = kf_e2e.Server(os.path.join(env.work, 'km3'))
        env.servers.append(km3)
        km3.start()
        sent, rx, tx, src, out = transfer(env, mallory, bob, km3, 'bob', sender_name='alice')
        received = rx.wait(30)
        err = rx.err()
        tap.check(received == 9 and sent == 3 and not os.listdir(out),
                  'wait --accept declines a file from a changed identity (exit 9; the sender '
                  'hears "declined", exit 3) and keeps nothing',
                  f'receiver exit {received}, sender exit {sent}\n{err}\n{tx.err()}')

        # --to CODE, and the peer list's marks, on a fresh key manager.
        km4 = kf_e2e.Server(os.path.join(env.work, 'km4'))
        env.servers.append(km4)
        km4.start()
        mallory.run('contacts', 'forget', 'alice')
        typed = codes['alice'].replace('-', '').lower()
        sent, rx, tx, src, out = transfer(env, mallory, alice, km4, typed)
        received = rx.wait(30)
        tap.check(sent == 0 and received == 0 and os.listdir(out),
                  '--to an identity code (lower case, no dashes) reaches that identity',
                  f'{tx.err()}\n{rx.err()}')
        lister = alice.cli(km4, ['--accept', '--output', env.folder('unused'), 'wait'])
        lister.wait_event('waiting', 20)
        peers = mallory.cli(km4, [], stdin=True)
        peers.send('send')
        listed = peers.wait_event('peers', 20) or {}
        peers.send('end')
        peers.wait(20)
        entry = next((p for p in listed.get('peers', []) if p['name'] == 'alice'), {})
        tap.check(entry.get('code') == codes['alice'] and entry.get('contact') == 'known',
                  'the peer list gives each peer\'s code and marks a contact', repr(listed))
        lister.kill()

        # `block` at the prompt while an offer is pending.
        bob_prompt = bob.cli(km4, [], stdin=True)
        bob_prompt.send('wait')
        bob_prompt.wait_event('waiting', 20)
        src = env.random('unwanted.bin', 1000)
        pest = mallory.cli(km4, ['send', '--to', 'bob', '--mode', 'cbc', src], name='mallory')
        offered = bob_prompt.wait_event('offer', 20)
        bob_prompt.send('block')
        first = pest.wait(30)
        blocked = bob_prompt.wait_event('blocked', 20)
        tap.check(offered is not None and first == 3 and blocked is not None
                  and blocked.get('code') == codes['mallory'],
                  '"block" at the offer declines it (the sender hears it: exit 3)',
                  f'exit {first}\n{bob_prompt.err()}')
        mark = bob_prompt.count()
        bob_prompt.send('wait')
        bob_prompt.wait_event('waiting', 20, start=mark)
        again = mallory.cli(km4, ['send', '--to', 'bob', '--mode', 'cbc', src], name='mallory')
        tap.check(again.wait(30) == 8, 'the blocked identity cannot pair again (exit 8)',
                  again.err())
        wanted = env.random('wanted.bin', 1000)
        os.makedirs(os.path.join(env.work, 'bob-prompt'))
        good = carol.cli(km4, ['send', '--to', 'bob', '--mode', 'cbc', wanted])
        offered = bob_prompt.wait_event('offer', 20, start=mark)
        bob_prompt.send('y')
        bob_prompt.send(os.path.join(env.work, 'bob-prompt', 'wanted.bin'))
        tap.check(offered is not None and offered.get('sender_name') == 'carol'
                  and good.wait(30) == 0,
                  'someone else still can', f'{good.err()}\n{bob_prompt.err()}')
        bob_prompt.send('end')
        bob_prompt.wait(20)

        # A key manager that names someone else than who proves it.
        liar = LyingKm(env.work)
        try:
            sent, rx, tx, src, out = transfer(env, carol, bob, liar, 'bob')
            received = rx.wait(5)   # None: still waiting, as it should be
        finally:
            liar.stop()
        said = tx.err()
        # The receiver either saw it too (and stopped) or heard the sender
        # cancel before any offer (and waited on): never an offer.
        tap.check(sent == 9 and received != 0 and not os.listdir(out)
                  and rx.last('offer') is None,
                  'a key manager naming another identity than the link proves: the sender '
                  'stops before any offer (exit 9), and nothing arrives',
                  f'sender exit {sent}, receiver exit {received}\n{said}\n{rx.err()}')
        tap.check('but the key manager named bob as' in said,
                  'the sender says the key manager named another identity', said)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
