#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`keyferry-cli contacts` and `contacts forget`, with the real binary.  TAP.

The contacts file ($XDG_DATA_HOME/keyferry/contacts) is written here as
keyferry-cli would write it, with the codes derived independently from the
public keys: the list shows each contact (latest first) with its code and
names, as text and as JSON; a name edited into the file with control and
bidi characters is shown cleaned; `forget` by name (any case) or by code
(as typed) removes exactly that contact, keeps the file private, and says
when no contact matches (exit 1); a wrong usage exits 2.
"""
import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import CLI, Tap  # noqa: E402

tap = Tap()


def code_for(key):
    digest = hashlib.sha256(b'keyferry identity v1' + key).digest()[:10]
    text = base64.b32encode(digest).decode()
    return '-'.join(text[i:i + 4] for i in range(0, 16, 4))


BOB = bytes(range(1, 33))
ANA = bytes(range(100, 132))
EVE = bytes(range(200, 232))


def run(env, *args):
    proc = subprocess.run([CLI] + list(args), env=env, capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    work = tempfile.mkdtemp(prefix='kf-contacts-')
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, 'data'), HOME=work,
               LANGUAGE='C', LC_ALL='C.UTF-8', TZ='UTC')
    path = os.path.join(work, 'data', 'keyferry', 'contacts')
    try:
        code, out, err = run(env, 'contacts')
        tap.check(code == 0 and 'No contacts yet' in out, 'no file: no contacts, exit 0',
                  f'{code}\n{out}{err}')

        os.makedirs(os.path.dirname(path), mode=0o700)
        with open(path, 'w') as f:
            f.write(f'[{code_for(BOB)}]\npublic-key={BOB.hex()}\nnames=Bob;bob;\n'
                    'first-exchange=2026-01-01T10:00:00Z\nlast-exchange=2026-02-01T10:00:00Z\n'
                    'exchanges=2\n\n'
                    f'[{code_for(ANA)}]\npublic-key={ANA.hex()}\nnames=ana;\n'
                    'first-exchange=2026-03-01T10:00:00Z\nlast-exchange=2026-03-01T10:00:00Z\n'
                    'exchanges=1\n\n'
                    f'[{code_for(EVE)}]\npublic-key={EVE.hex()}\n'
                    'names=ev\x1b[2Je\u202eexe.txt;\n'
                    'last-exchange=2025-01-01T10:00:00Z\nexchanges=1\n')
        os.chmod(path, 0o600)

        code, out, err = run(env, 'contacts')
        lines = out.splitlines()
        tap.check(code == 0 and len(lines) == 4 and code_for(ANA) in lines[1]
                  and code_for(BOB) in lines[2] and code_for(EVE) in lines[3],
                  'the list has every contact, the latest exchange first', out + err)
        tap.check('bob (also seen as Bob)' in lines[2] and '2026-02-01 10:00' in lines[2]
                  and '2 transfers' in lines[2] and '1 transfer' in lines[1],
                  'each line gives the name, the other names, the last exchange and the count',
                  out)
        tap.check('\x1b' not in out and '\u202e' not in out and 'ev' in lines[3],
                  'a name edited into the file is shown cleaned', repr(lines[3:]))

        code, out, err = run(env, '--json', 'contacts')
        try:
            event = json.loads(out)
        except ValueError:
            event = {}
        contacts = event.get('contacts', [])
        bob = [c for c in contacts if c['code'] == code_for(BOB)]
        tap.check(code == 0 and event.get('event') == 'contacts' and len(contacts) == 3
                  and bob and bob[0]['public_key'] == BOB.hex()
                  and bob[0]['names'] == ['Bob', 'bob'] and bob[0]['exchanges'] == 2
                  and bob[0]['last_exchange'].startswith('2026-02-01T10:00:00'),
                  '--json contacts: one event with every contact and its fields', out + err)

        code, out, err = run(env, 'contacts', 'forget', 'nobody')
        tap.check(code == 1 and 'nobody' in err, 'forgetting no one exits 1, naming it',
                  f'{code}\n{out}{err}')
        code, out, err = run(env, 'contacts', 'forget', 'BOB')
        tap.check(code == 0 and 'Forgot 1 contact' in out, 'forget by name, in any case (exit 0)',
                  f'{code}\n{out}{err}')
        typed = code_for(ANA).replace('-', ' ').lower()
        code, out, err = run(env, '--json', 'contacts', 'forget', typed)
        tap.check(code == 0 and json.loads(out.splitlines()[0]).get('count') == 1,
                  'forget by identity code as typed (lower case, spaces)', f'{code}\n{out}{err}')
        with open(path) as f:
            left = f.read()
        mode = stat.S_IMODE(os.stat(path).st_mode)
        tap.check(code_for(BOB) not in left and code_for(ANA) not in left
                  and code_for(EVE) in left and mode == 0o600,
                  'exactly those contacts are gone; the file stays 0600',
                  f'mode {oct(mode)}\n{left}')

        for args in (['contacts', 'forget'], ['contacts', 'list', 'x'], ['contacts', 'forget', '']):
            code, out, err = run(env, *args)
            tap.check(code == 2 and 'usage' in err, f'{" ".join(args)!r}: usage, exit 2',
                      f'{code}\n{out}{err}')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
