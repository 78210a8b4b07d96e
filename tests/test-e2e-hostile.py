#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile names, reasons and file names against the real keyferry-cli.  TAP.

A peer chooses what others read: its display name, the reason it gives
when it cancels (relayed by the key manager), the name of the file it
sends.  Here a peer speaking the key-manager protocol by hand uses names
with quotes, "#", backslashes and braces, and reasons with LF, CR, ESC
sequences (title change, screen clear), C1 controls, bidi overrides and
zero-width characters; a real sender sends a file whose name and folder
hold the same and invalid UTF-8, into a folder whose name is not UTF-8.

Every line keyferry-cli --json writes must parse on its own with a real
JSON parser and carry exactly the fields the event has (a name cannot
forge a field or a line); no ESC, CR or other control character reaches
stdout or stderr raw; the texts people read are the cleaned ones.
"""
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, KmClient, Tap  # noqa: E402

tap = Tap()

NAMES = ['#"ana","sender_id":1', 'bob\\",\\"x\\":\\"', '{"event":"result"}#\\u0000']
REASON = ('x\n{"event":"result","status":"confirmed"}\r\x1b]0;pwned\x07\x1b[2J'
          'Saved /home/you/.bash_profile\u202etxt.exe\u200b\u2028\x85\x9b2J"\\#')
FORBIDDEN = [b'\x1b', b'\r', b'\x07', b'\x9b', '\u202e'.encode(), '\u200b'.encode(),
             '\u2028'.encode(), b'\xc2\x85', b'\xc2\x9b']


class RawCli(kf_e2e.Cli):
    """A Cli that also keeps every raw stdout line, and the ones that are
    not one valid JSON object of UTF-8 text."""

    def _read(self):
        self.raw = []
        self.bad = []
        for raw in self.proc.stdout:
            self.raw.append(raw)
            try:
                event = json.loads(raw.decode('utf-8', errors='strict'))
                if not isinstance(event, dict) or 'event' not in event:
                    raise ValueError('not an event object')
            except ValueError as e:
                self.bad.append((raw, str(e)))
                continue
            event['t'] = time.monotonic()
            if event.get('event') in ('connected', 'reconnected'):
                self.id = event.get('client_id')
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        with self.cond:
            self.events.append({'event': 'eof', 't': time.monotonic()})
            self.cond.notify_all()

    def stdout_bytes(self):
        return b''.join(self.raw)

    def stderr_bytes(self):
        self.err_file.flush()
        with open(self.err_path, 'rb') as f:
            return f.read()


def esc(text):
    return urllib.parse.quote(text.encode(), safe='-._~')


def check_clean_output(cli, label):
    """Every stdout line parsed; nothing dangerous raw on stdout or stderr."""
    tap.check(cli.raw and not cli.bad, f'{label}: every --json line is one JSON object',
              repr(cli.bad))
    out, err = cli.stdout_bytes(), cli.stderr_bytes()
    found = [c for c in FORBIDDEN if c in out or c in err]
    tap.check(not found, f'{label}: no control, bidi or zero-width character raw on '
              'stdout or stderr', f'found {found!r}\nstdout {out!r}\nstderr {err!r}')


EVENT_KEYS = {
    'session': {'event', 'role', 'peer_id', 'peer_name', 'mode'},
    'result': {'event', 'status', 'role', 'is_tree', 'sender_blocks', 'receiver_blocks',
               'local_blocks', 'bytes', 'file', 'message', 'files'},
    'peers': {'event', 'peers'},
    'waiting-again': {'event', 'status', 'message'},
    'offer': {'event', 'sender_id', 'sender_name', 'file_name', 'plain_size',
              'encrypted_size', 'mode', 'is_tree', 'files', 'folders', 'top_level'},
}


def check_keys(cli, label):
    wrong = [e for e in cli.events
             if e['event'] in EVENT_KEYS and set(e) - {'t'} != EVENT_KEYS[e['event']]]
    tap.check(not wrong, f'{label}: no event carries a field it does not have', repr(wrong))


def hostile_sender(env, server, name, n):
    """A receiver waits; a sender by hand with @name pairs with it, then
    cancels with REASON."""
    label = f'sender named {name!r}'
    out = env.folder(f'in{n}')
    receiver = RawCli(env, server, f'rx{n}', ['wait', '--accept', '--output', out])
    if not receiver.wait_event('waiting', 20):
        tap.check(False, f'{label}: the receiver waits', receiver.err())
        return
    km = KmClient(server.port, server.fp)
    try:
        km.greeting()
        km.send(km.hello_line(esc(name)))
        my_id = int(km.expect('welcome ')[1])
        km.send('send')
        km.expect('ok send')
        km.send(f'conn {receiver.id} cbc')
        km.expect('ok conn')
        km.send(f'cancel {esc(REASON)}')
        km.expect('ok cancel')
        again = receiver.wait_event('waiting-again', 20)
    finally:
        km.close()
    # Cancelled before any offer: the receiver waits again (issue 14,
    # point 6) and says why, quoting the reason.
    receiver.signal(signal.SIGINT)
    code = receiver.wait(20)
    results = [e for e in receiver.events if e['event'] in ('result', 'waiting-again')]
    tap.check(code == 4 and again is not None and results == [again],
              f'{label}: it waits again (one "waiting-again", no result, none forged by the '
              'reason) until interrupted (exit 4)',
              f'exit {code}, results {results!r}\n{receiver.err()}')
    message = again['message'] if again else ''
    tap.check(message.startswith(name + ' ') and str(my_id) not in message.split(name)[0],
              f'{label}: the result names the sender as it is', repr(message))
    tap.check('Saved /home/you/.bash_profile' in message and '\n' not in message
              and '\x1b' not in message and '\u202e' not in message,
              f'{label}: the result quotes the reason, cleaned', repr(message))
    check_clean_output(receiver, label)
    check_keys(receiver, label)


def hostile_waiters(env, server):
    """Peers with hostile names wait; a sender at the prompt lists them."""
    label = 'waiting peers with hostile names'
    kms = []
    try:
        for name in NAMES:
            km = KmClient(server.port, server.fp)
            kms.append(km)
            km.join(name)
            km.send('wait')
            km.expect('ok wait')
        sender = RawCli(env, server, 'lister', [], stdin=True)
        sender.send('send')
        peers = sender.wait_event('peers', 20)
        sender.send('end')
        sender.wait(20)
    finally:
        for km in kms:
            km.close()
    names = [p.get('name') for p in peers['peers']] if peers else None
    tap.check(names == NAMES and all(set(p) == {'id', 'name', 'code', 'contact'}
                                     for p in peers['peers']),
              f'{label}: the list has exactly the names, each an id, a name, an identity code '
              'and what the contacts say',
              repr(peers))
    check_clean_output(sender, label)


def hostile_file(env, server):
    """A real sender sends a file with a hostile name from a folder that
    is not UTF-8, into a folder that is not UTF-8 either."""
    label = 'hostile file and folder names'
    base = os.fsencode(env.work)
    src_dir = base + b'/src-\xff"#\\'
    out_dir = base + b'/in-\xfe\n"x'
    os.makedirs(src_dir)
    os.makedirs(out_dir)
    file_name = '#"a\\b\n\x1b[2J\u202etxt.exe\u200b'.encode()
    src = src_dir + b'/' + file_name
    with open(src, 'wb') as f:
        f.write(b'hostile\n' * 100)
    receiver = RawCli(env, server, 'frx', ['wait', '--accept', '--output', os.fsdecode(out_dir)])
    if not receiver.wait_event('waiting', 20):
        tap.check(False, f'{label}: the receiver waits', receiver.err())
        return
    sender = RawCli(env, server, 'ftx', ['send', '--to', 'frx', '--mode', 'cfb', os.fsdecode(src)])
    s, r = sender.wait(30), receiver.wait(30)
    saved = os.listdir(out_dir)
    tap.check(s == 0 and r == 0 and len(saved) == 1,
              f'{label}: the transfer is confirmed', f'{s} {r} {saved!r}\n{sender.err()}\n'
              f'{receiver.err()}')
    offer = receiver.last('offer')
    tap.check(offer is not None and offer['file_name'] == os.fsdecode(saved[0] if saved else b'')
              and '\n' not in offer['file_name'] and '\x1b' not in offer['file_name'],
              f'{label}: the offer names the file as it was saved, cleaned', repr(offer))
    for cli, who in ((sender, 'sender'), (receiver, 'receiver')):
        result = cli.last('result')
        tap.check(result is not None and result['status'] == 'confirmed',
                  f'{label}: the {who} reports the result', repr(result))
        check_keys(cli, f'{label}, {who}')
    # The sender's own path is the local user's, shown as it is (escaped
    # in JSON); what the receiver shows came from the sender: cleaned.
    tap.check(sender.raw and not sender.bad, f'{label}: every sender --json line is one '
              'JSON object', repr(sender.bad))
    tap.check(sender.last('result') and sender.last('result')['file'] == os.fsdecode(src)
              .encode('utf-8', 'surrogateescape').decode('utf-8', 'replace'),
              f'{label}: the sender\'s result names its file, invalid UTF-8 replaced',
              repr(sender.last('result')))
    check_clean_output(receiver, f'{label}, receiver')


def unusable_name(env, server):
    """A name that cannot be used once made safe (a dot and 254 letters:
    256 bytes with the "_" before it) is declined, not dropped."""
    label = 'an unusable file name'
    src = os.path.join(env.work, '.' + 'a' * 254)
    with open(src, 'wb') as f:
        f.write(b'x' * 1000)
    out = env.folder('unusable')
    receiver = RawCli(env, server, 'urx', ['wait', '--accept', '--output', out])
    if not receiver.wait_event('waiting', 20):
        tap.check(False, f'{label}: the receiver waits', receiver.err())
        return
    sender = RawCli(env, server, 'utx', ['send', '--to', 'urx', '--mode', 'cbc', src])
    s, r = sender.wait(30), receiver.wait(30)
    sent, got = sender.last('result'), receiver.last('result')
    tap.check(s == 3 and sent is not None and sent['status'] == 'declined',
              f'{label}: the sender hears "declined" (exit 3)',
              f'exit {s}, {sent!r}\n{sender.err()}')
    tap.check(r == 1 and got is not None and 'declined' in got['message']
              and os.listdir(out) == [],
              f'{label}: the receiver declines, saves nothing and exits 1',
              f'exit {r}, {got!r}\n{receiver.err()}')


def stalled(env, server, victim):
    """A peer that stops in the middle of a transfer (SIGSTOP: its kernel
    still keeps the connection open) holds the other side no longer than
    its idle limit: the other side fails (exit 1) saying so, and the
    receiver keeps nothing."""
    label = f'a stalled {victim}'
    src = env.sparse(f'stall-{victim}.bin', 2 * 1024 * 1024 * 1024)
    out = env.folder(f'stall-{victim}')
    receiver = RawCli(env, server, f'srx{victim}', ['--idle-timeout', '2', 'wait', '--accept',
                                                     '--output', out])
    if not receiver.wait_event('waiting', 20):
        tap.check(False, f'{label}: the receiver waits', receiver.err())
        return
    sender = RawCli(env, server, f'stx{victim}', ['--idle-timeout', '2', 'send', '--to',
                                                  f'srx{victim}', '--mode', 'cfb', src])
    moving = receiver.wait_event('progress', 30)
    stopped, other = (sender, receiver) if victim == 'sender' else (receiver, sender)
    stopped.signal(signal.SIGSTOP)
    start = time.monotonic()
    code = other.wait(60)
    took = time.monotonic() - start
    stopped.signal(signal.SIGCONT)
    stopped.kill()
    result = other.last('result')
    tap.check(moving is not None and code == 1 and result is not None
              and '2 seconds' in result['message'],
              f'{label}: the other side gives up after its idle limit (exit 1)',
              f'exit {code} after {took:.1f} s: {result!r}\n{other.err()}')
    tap.note(f'{label}: the other side gave up {took:.1f} s after the stall (idle limit 2 s)')
    tap.check(victim == 'receiver' or os.listdir(out) == [],
              f'{label}: nothing is left in the receiver\'s folder', repr(os.listdir(out)))


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        for n, name in enumerate(NAMES):
            hostile_sender(env, server, name, n)
        hostile_waiters(env, server)
        hostile_file(env, server)
        unusable_name(env, server)
        stalled(env, server, 'sender')
        stalled(env, server, 'receiver')
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
