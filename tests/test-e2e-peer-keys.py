#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key manager's key material does not decrypt a transfer.  TAP.

Issue 14, item 5.  Two real keyferry-cli processes, each with its own
identity, send a file through the real key manager run by
tests/kf-test-km.c, which records the key and IV it hands out in `ev key`
and the digests the peers report, and relays and keeps every byte of the
peer link.  For CBC and CFB:

- the transfer succeeds: both exit 0, the received file is identical;
- the capture is the transfer: a version-2 handshake carrying both
  peers' identity keys, then records whose DATA tags hash to the
  transcript digest both peers reported to the key manager, and whose
  DATA payloads are exactly as long as the file's ciphertext;
- the key manager's key and IV do not decrypt those DATA payloads (the
  openssl-compatible `keyferry-cli decrypt` fails or gives other bytes),
  and they are not the file encrypted under that key and IV (which is
  what peer protocol version 1 sent).
"""
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Tap  # noqa: E402

KM = os.environ['KF_TEST_KM']
tap = Tap()


class TestKm:
    """kf-test-km in a directory of its own; has what Cli needs of a server."""

    def __init__(self, work):
        self.dir = os.path.join(work, 'km')
        os.makedirs(self.dir)
        self.proc = subprocess.Popen([KM, self.dir], stdout=subprocess.PIPE, text=True)
        words = self.proc.stdout.readline().split()
        if len(words) != 4 or words[0] != 'port':
            raise RuntimeError(f'kf-test-km did not start: {words}')
        self.port = int(words[1])
        self.fp = words[3]

    def lines(self, name):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [line.split() for line in f if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(env, args, timeout=120):
    proc = subprocess.run([kf_e2e.CLI] + args, env=env.env, capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors='replace')


def public_key(env, identity):
    code, out, err = run(env, ['--identity', identity, '--json', 'identity'])
    assert code == 0, err
    for line in out.decode().splitlines():
        if '"identity"' in line:
            return bytes.fromhex(json.loads(line)['public_key'])
    raise AssertionError(out)


def parse_link(data):
    """The sender's side of a captured link: (HELLO, RESPONSE, records,
    what is left), each record (type, flags, seq, payload, tag).  Version 1
    links (38-byte HELLO and RESPONSE) parse too, so that this test shows
    what it catches when run against that version."""
    size = 38 if data[4:5] == b'\x01' else 102
    hello, response, rest = data[:size], data[size:2 * size], data[2 * size:]
    records = []
    while len(rest) >= 16:
        rtype, flags, _, length, seq = struct.unpack('>BBHIQ', rest[:16])
        payload = rest[16:16 + length]
        tag = rest[16 + length:32 + length]
        records.append((rtype, flags, seq, payload, tag))
        rest = rest[32 + length:]
    return hello, response, records, rest


def transfer(env, km, mode, size, sender_id, receiver_id):
    src = env.random(f'secret-{mode}.bin', size)
    out = env.folder(f'out-{mode}')
    name = f'bob-{mode}'
    receiver = env.cli(km, name, ['--identity', receiver_id, 'wait', '--accept', '--output', out])
    if not tap.check(receiver.wait_event('waiting', 30) is not None, f'{mode}: the receiver waits',
                     receiver.err()):
        return
    reports_before = len(km.lines('km-reports'))
    code, _, err = run(env, ['--server', f'127.0.0.1:{km.port}', '--fingerprint', km.fp,
                             '--name', 'alice', '--identity', sender_id,
                             'send', '--to', name, '--mode', mode, src])
    recv_code = receiver.wait(60)
    received = os.path.join(out, os.path.basename(src))
    same = os.path.exists(received) and open(received, 'rb').read() == open(src, 'rb').read()
    tap.check(code == 0 and recv_code == 0 and same,
              f'{mode}: both peers exit 0 and the received file is identical (cmp)',
              f'sender {code}: {err}\nreceiver {recv_code}: {receiver.err()}')

    keys = km.lines('km-keys')[-2:]
    tap.check(len(keys) == 2 and keys[0][0] == keys[1][0] and keys[0][3:] == keys[1][3:]
              and {keys[0][1], keys[1][1]} == {'sender', 'receiver'} and keys[0][2] == mode,
              f'{mode}: the key manager handed both peers one key and IV', keys)
    session, key, iv = keys[0][0], keys[0][3], keys[0][4]
    with open(os.path.join(km.dir, f'{session}.s2r'), 'rb') as f:
        s2r = f.read()
    with open(os.path.join(km.dir, f'{session}.r2s'), 'rb') as f:
        r2s = f.read()

    hello, response, records, rest = parse_link(s2r)
    tap.check(hello[:6] == b'KFPL\x02\x01' and response[:6] == b'KFPL\x02\x03'
              and r2s[:6] == b'KFPL\x02\x02'
              and hello[38:70] == public_key(env, sender_id)
              and r2s[38:70] == public_key(env, receiver_id),
              f'{mode}: the link is peer protocol 2, carrying both peers\' identity keys',
              f'{hello[:6]!r} {response[:6]!r} {r2s[:6]!r}')

    data = [r for r in records if r[0] == 4]
    ciphertext = b''.join(r[3] for r in data)
    digest = hashlib.sha256(b''.join(r[4] for r in data)).hexdigest()
    reports = [line[1] for line in km.lines('km-reports')[reports_before:]]
    expected_size = 16 * (size // 16 + 1) if mode == 'cbc' else size
    tap.check(rest == b'' and records[0][0] == 1 and data and data[-1][1] & 1
              and len(ciphertext) == expected_size
              and len(reports) == 2 and reports[0] == reports[1] == digest,
              f'{mode}: the capture is the transfer: {len(data)} DATA records, '
              f'{len(ciphertext)} bytes of ciphertext, their tags hash to the digest both '
              'peers reported',
              f'reports {reports}, captured {digest}, {len(ciphertext)} bytes, '
              f'{len(rest)} left over')

    cipher_path = os.path.join(env.work, f'captured-{mode}.bin')
    plain_path = os.path.join(env.work, f'decrypted-{mode}.bin')
    with open(cipher_path, 'wb') as f:
        f.write(ciphertext)
    code, _, err = run(env, ['decrypt', '--mode', mode, '--key', key, '--iv', iv,
                             cipher_path, plain_path])
    decrypted = open(plain_path, 'rb').read() if os.path.exists(plain_path) else b''
    tap.check(len(ciphertext) == expected_size and decrypted != open(src, 'rb').read(),
              f'{mode}: the key manager\'s key and IV do not decrypt the captured data '
              f'(decrypt exit {code})', err)

    code, encrypted, err = run(env, ['encrypt', '--mode', mode, '--key', key, '--iv', iv, src])
    tap.check(code == 0 and len(encrypted) == len(ciphertext) and encrypted != ciphertext,
              f'{mode}: the link did not carry the file under the key manager\'s key and IV',
              err)


def main():
    env = Env()
    km = None
    try:
        km = TestKm(env.work)
        sender_id = os.path.join(env.work, 'alice.identity')
        receiver_id = os.path.join(env.work, 'bob.identity')
        transfer(env, km, 'cbc', 300 * 1024 + 7, sender_id, receiver_id)
        transfer(env, km, 'cfb', 300 * 1024 + 7, sender_id, receiver_id)
    finally:
        if km is not None:
            km.stop()
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
