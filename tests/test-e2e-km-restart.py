#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key manager restarted under its clients: during a key confirmation,
during a transfer, and after a transfer's bytes but before its verdict;
each with kill -TERM and with kill -9.  Real binaries on loopback.  TAP.

What must hold (docs/PROTOCOL.md, "When the key manager goes away"):

- the clients say the key manager went away, at once, and the session
  fails (exit statuses and messages asserted);
- a transfer under way stops on both sides and the receiver keeps
  nothing; one whose bytes had all arrived keeps the whole, verified file
  and says that only the verdict is missing;
- the clients reconnect by themselves, with a growing pause between
  attempts, to the restarted key manager (same port, same state
  directory): the certificate still matches the pin;
- the new key manager knows nothing of the old session: its commands are
  refused with `bad-state`;
- the two people can pair and transfer again.
"""
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import Env, KmClient, Tap, sha256_file, wait_until  # noqa: E402

tap = Tap()
GONE = 'key manager went away'
DELIVERED = 'only the key manager’s confirmation of the block counts is missing'


def signame(sig):
    return 'kill -9' if sig == signal.SIGKILL else 'kill -TERM'


def interactive(env, server, name):
    """An interactive keyferry-cli; its id follows its (re)connections."""
    folder = env.folder(name)
    cli = env.cli(server, name, [], cwd=folder, stdin=True)
    if not cli.wait_event('connected', 20):
        raise RuntimeError(f'{name} did not connect: {cli.err()}')
    cli.folder = folder
    return cli


def reconnected(cli, since, timeout=15):
    """@cli's "reconnected" event after event index @since, or None."""
    return cli.wait_event('reconnected', timeout, start=since)


def offer_to(ana, bob, path, mode):
    """Ana waits and Bob sends her @path in @mode, up to her seeing the
    offer.  Returns (mark_a, mark_b, waiting, offered): the event marks
    from before it all, and whether she waited and saw the offer."""
    mark_a, mark_b = ana.count(), bob.count()
    ana.send('wait')
    waiting = ana.wait_event('waiting', 10, start=mark_a)
    bob.send(f'conn {ana.id} {mode}')
    bob.send(path)
    offered = ana.wait_event('offer', 15, start=mark_a) if waiting else None
    return mark_a, mark_b, waiting, offered


def pair_again(env, server, ana, bob, label):
    """Ana waits, Bob sends her a small file: confirmed on both sides."""
    payload = env.random('again.bin', 50_000)
    mark_a, mark_b, waiting, offered = offer_to(ana, bob, payload, 'cfb')
    if not waiting:
        tap.check(False, f'{label}: they pair and transfer again', ana.err())
        return
    if offered:
        ana.send('y')
        ana.send('')
    ra = ana.wait_event('result', 20, start=mark_a) or {}
    rb = bob.wait_event('result', 20, start=mark_b) or {}
    saved = os.path.join(ana.folder, 'again.bin')
    tap.check(ra.get('status') == 'confirmed' and rb.get('status') == 'confirmed'
              and os.path.exists(saved) and sha256_file(saved) == sha256_file(payload),
              f'{label}: they pair and transfer again, confirmed',
              f'ana: {ra}\n{ana.err()}\nbob: {rb}\n{bob.err()}')
    os.unlink(saved)


def stale_session_refused(server, label, key_line):
    """A client of the old key manager comes back and replays its session's
    commands: the new key manager has no such session."""
    client = KmClient(server.port, server.fp)
    client.join('stale')
    words = key_line.split(' ')
    answers = []
    for command in (f'confirm {"00" * 48}', 'port 40123', f'report 9 {"0" * 64}',
                    f'cancel {words[2]}'):
        client.send(command)
        answers.append(client.line())
    client.send('ping')
    answers.append(client.line())
    client.close()
    tap.check(all(a and a.split(' ')[:2] == ['err', 'bad-state'] for a in answers[:4])
              and answers[4] == 'ok ping',
              f'{label}: the pin matches the restarted key manager and the old session’s '
              'commands are refused (bad-state)', f'{answers}')


class AttemptCounter:
    """Stands in for the key manager on its port while it is down: accepts
    each reconnection attempt, notes when, and hangs up."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.times = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            self.times.append(time.monotonic())
            conn.close()

    def stop(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


def during_confirmation(env, server, sig, name):
    """@name waits; a sender pairs with them and never confirms, so the
    session stays in key confirmation; the key manager goes."""
    label = f'{signame(sig)} during key confirmation'
    ana = interactive(env, server, name)
    ana.send('wait')
    ana.wait_event('waiting', 10)
    stub = KmClient(server.port, server.fp)
    stub.join('stub')
    stub.send(f'conn {ana.id} cbc')
    stub.expect('ok conn')
    key_line = ' '.join(stub.expect('ev key'))
    session = ana.wait_event('session', 10)
    mark = ana.count()

    lost = time.monotonic()
    server.stop(sig)
    result = ana.wait_event('result', 10, start=mark) or {}
    said = ana.wait_event('disconnected', 10, start=mark) or {}
    took = time.monotonic() - lost
    tap.check(session and result.get('status') == 'failed' and GONE in result.get('message', '')
              and said.get('reconnecting') is True and took < 5,
              f'{label}: the client says the key manager went away and that it reconnects',
              f'{result}\n{said}\n{ana.err()}')
    stub_end = stub.line(5)
    tap.check(stub_end == '' or (sig == signal.SIGTERM and stub_end.startswith('ev shutdown')),
              f'{label}: the other peer’s connection ends too', repr(stub_end))
    stub.close()

    counter = None
    if sig == signal.SIGKILL:
        # Reconnection attempts while the key manager is down: the first
        # about a second after the loss, the next one later than that.
        counter = AttemptCounter(server.port)
        wait_until(lambda: counter.times, 5, 0.02)
        time.sleep(0.2)
        counter.stop()
    server.start()
    back = reconnected(ana, mark)
    waited = time.monotonic() - lost
    tap.check(back and back['fingerprint'] == server.fp.replace(':', '').lower(),
              f'{label}: the client reconnects by itself; the certificate still matches the pin',
              f'{back}\n{ana.err()}')
    tap.note(f'{label}: the client said so {took * 1000:.0f} ms after the signal and was '
             f'back {waited:.1f} s after it')
    if counter is not None:
        first = counter.times[0] - lost if counter.times else None
        tap.check(first is not None and 0.5 < first < 3 and waited - first > 1.5,
                  f'{label}: reconnection attempts back off (first after about 1 s, '
                  'the next about 2 s later)',
                  f'attempts at {[round(t - lost, 2) for t in counter.times]}, back at {waited:.2f}')
        if first is not None:
            tap.note(f'{label}: attempts at {first:.2f} s (refused) and {waited:.2f} s (greeted)')
    stale_session_refused(server, label, key_line)
    return ana


def during_transfer(env, server, sig, ana, bob, big):
    """Bob sends Ana a big file; on Ana's first progress the key manager
    goes: both stop, Ana keeps nothing, both reconnect and pair again."""
    label = f'{signame(sig)} during a transfer'
    if not (ana.wait_connected() and bob.wait_connected()):
        tap.check(False, f'{label}: both clients are connected', f'{ana.err()}\n{bob.err()}')
        return
    mark_a, mark_b, _, offered = offer_to(ana, bob, big, 'cbc')
    if offered:
        ana.send('y')
        ana.send('')
    if not ana.wait_event('progress', 20, start=mark_a):
        tap.check(False, f'{label}: the transfer got under way', f'{ana.err()}\n{bob.err()}')
        return

    lost = time.monotonic()
    server.stop(sig)
    ra = ana.wait_event('result', 10, start=mark_a) or {}
    rb = bob.wait_event('result', 10, start=mark_b) or {}
    took = time.monotonic() - lost
    # A side may hear it first from its peer's CANCEL ("cancelled by the
    # peer: the key manager went away"), before it sees its own connection
    # to the key manager end: then its outcome is a cancel, for that reason.
    stopped = ('failed', 'cancelled')
    tap.check(ra.get('status') in stopped and rb.get('status') in stopped
              and GONE in ra.get('message', '') and GONE in rb.get('message', '')
              and DELIVERED not in ra.get('message', '') and ra.get('file') is None
              and took < 5,
              f'{label}: both stop at once and say the key manager went away',
              f'ana: {ra}\nbob: {rb}\n{ana.err()}\n{bob.err()}')
    tap.note(f'{label}: both sides had stopped {took * 1000:.0f} ms after the signal')
    tap.check(os.listdir(ana.folder) == [],
              f'{label}: the receiver keeps nothing, not even a temporary file',
              f'{os.listdir(ana.folder)}')

    server.start()
    back_a = reconnected(ana, mark_a)
    back_b = reconnected(bob, mark_b)
    tap.check(back_a and back_b and back_a['fingerprint'] == back_b['fingerprint']
              == server.fp.replace(':', '').lower(),
              f'{label}: both reconnect by themselves to the same, pinned key manager',
              f'{back_a} {back_b}\n{ana.err()}\n{bob.err()}')
    pair_again(env, server, ana, bob, label)


def scripted_transfer(env, server, big):
    """`keyferry-cli wait` and `send` lose the key manager mid-transfer:
    both exit 7 (unreachable) saying why, and nothing is saved."""
    label = 'kill -9 during a scripted transfer'
    out = env.folder('scripted')
    receiver = env.cli(server, 'rex', ['wait', '--accept', '--output', out])
    receiver.wait_event('waiting', 20)
    sender = env.cli(server, 'sam', ['send', '--to', 'rex', '--mode', 'cfb', big])
    if not receiver.wait_event('progress', 30):
        tap.check(False, f'{label}: the transfer got under way', f'{sender.err()}\n{receiver.err()}')
        return
    server.stop(signal.SIGKILL)
    s, r = sender.wait(10), receiver.wait(10)
    tap.check(s == 7 and r == 7 and GONE in sender.err() and GONE in receiver.err()
              and os.listdir(out) == [],
              f'{label}: both exit 7 saying the key manager went away; nothing is saved',
              f'sender {s}: {sender.err()}\nreceiver {r}: {receiver.err()}\n{os.listdir(out)}')
    server.start()


def unread_at_key_manager(port):
    """How many established connections to @port hold bytes that the key
    manager has not read yet (from /proc/net/tcp)."""
    count = 0
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                next(f)
                for row in f:
                    cols = row.split()
                    local_port = int(cols[1].rsplit(':', 1)[1], 16)
                    rx_queue = int(cols[4].split(':')[1], 16)
                    if local_port == port and cols[3] == '01' and rx_queue > 0:
                        count += 1
        except OSError:
            continue
    return count


def after_the_bytes(env, server, sig, ana, bob, source):
    """The key manager freezes as the transfer starts (SIGSTOP): the bytes
    all go over the peer link, both report into the frozen key manager,
    and only then does it die.  No verdict can come: both say so, and the
    whole, verified file stays saved."""
    label = f'{signame(sig)} after the bytes, before the verdict'
    if not (ana.wait_connected() and bob.wait_connected()):
        tap.check(False, f'{label}: both clients are connected', f'{ana.err()}\n{bob.err()}')
        return
    mark_a, mark_b, _, offered = offer_to(ana, bob, source, 'cbc')
    if offered:
        server.proc.send_signal(signal.SIGSTOP)
        ana.send('y')
        ana.send('')
    saved = os.path.join(ana.folder, os.path.basename(source))
    both_reported = wait_until(lambda: unread_at_key_manager(server.port) >= 2, 30, 0.02)
    server.stop(sig)
    ra = ana.wait_event('result', 10, start=mark_a) or {}
    rb = bob.wait_event('result', 10, start=mark_b) or {}
    detail = (f'both reported: {both_reported}\nana: {ra}\nbob: {rb}\n'
              f'{ana.err()}\n{bob.err()}\nfolder: {os.listdir(ana.folder)}')
    tap.check(both_reported and ra.get('status') == 'failed' and rb.get('status') == 'failed'
              and GONE in ra.get('message', '') and GONE in rb.get('message', ''),
              f'{label}: no verdict, and both say the key manager went away', detail)
    tap.check(os.listdir(ana.folder) == [os.path.basename(source)]
              and sha256_file(saved) == sha256_file(source)
              and ra.get('file') == saved and DELIVERED in ra.get('message', '')
              and saved in ra.get('message', '') and DELIVERED in rb.get('message', ''),
              f'{label}: the whole file stays saved, and both are told that only the '
              'confirmation is missing', detail)
    os.unlink(saved)
    server.start()
    back_a = reconnected(ana, mark_a)
    back_b = reconnected(bob, mark_b)
    tap.check(back_a and back_b, f'{label}: both reconnect', f'{ana.err()}\n{bob.err()}')


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        big = env.sparse('big.bin', 1 << 30)
        medium = env.sparse('medium.bin', 24 << 20)
        ana = during_confirmation(env, server, signal.SIGTERM, 'ana')
        bob = during_confirmation(env, server, signal.SIGKILL, 'bob')
        for sig in (signal.SIGTERM, signal.SIGKILL):
            during_transfer(env, server, sig, ana, bob, big)
        scripted_transfer(env, server, big)
        # Only kill -9 here: a key manager told to stop that still holds
        # both reports may well give its verdict on the way out.
        after_the_bytes(env, server, signal.SIGKILL, ana, bob, medium)
        for cli in (ana, bob):
            cli.send('end')
        tap.check(ana.wait(10) == 0 and bob.wait(10) == 0, 'both leave with `end`, exit 0',
                  f'{ana.err()}\n{bob.err()}')
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
