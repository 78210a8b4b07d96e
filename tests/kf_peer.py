# SPDX-License-Identifier: GPL-3.0-or-later
"""A sender of the peer link written from docs/PROTOCOL.md alone, for
tests that need a peer the reference code would never be: one that
sends hostile manifests.

It plays the key-manager side by hand (kf_e2e.KmClient): `send`, `conn`,
the key confirmation, `ev connect`; then the version-2 handshake (X25519,
Ed25519 under an identity of its own), records sealed with Poly1305-AES,
the manifest encrypted under the offer key, files under their own IVs,
and `report`.  Needs python3-cryptography.
"""
import hashlib
import hmac
import os
import socket

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.poly1305 import Poly1305

OFFER, ACCEPT, DECLINE, DATA, CANCEL, DONE, MANIFEST = 1, 2, 3, 4, 5, 6, 7
FINAL = 1
MAX_PAYLOAD = 1 << 20


def mac(key, *parts):
    return hmac.new(key, b''.join(parts), hashlib.sha256).digest()


def cbc(key, iv, plain):
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def poly1305_aes(key, seq, message):
    """Poly1305-AES (Bernstein): key = k (AES-128) | r; nonce = u64(seq) | 0^8."""
    enc = Cipher(algorithms.AES(key[:16]), modes.ECB()).encryptor()
    s = enc.update(seq.to_bytes(8, 'big') + bytes(8)) + enc.finalize()
    return Poly1305.generate_tag(key[16:] + s, message)


def record(key, seq, rtype, flags, payload):
    header = bytes([rtype, flags, 0, 0]) + len(payload).to_bytes(4, 'big') + seq.to_bytes(8, 'big')
    return header + payload + poly1305_aes(key, seq, header + payload)


def file_iv(auth_key, iv, index):
    """IV_tree(index): @iv is the link's IV_file."""
    return mac(auth_key, b'keyferry peer-link v2 tree file iv', iv, index.to_bytes(8, 'big'))[:16]


def manifest(entries):
    """@entries: (kind 'file'|'folder', depth, name bytes, size)."""
    total = sum(e[3] for e in entries if e[0] == 'file')
    out = [len(entries).to_bytes(4, 'big'), total.to_bytes(8, 'big')]
    for kind, depth, name, size in entries:
        out.append(bytes([1 if kind == 'file' else 2, depth]) + len(name).to_bytes(2, 'big') + name)
        if kind == 'file':
            out.append(size.to_bytes(8, 'big'))
    return b''.join(out)


class Session:
    """A session as the sender, from `conn` to the peer link."""

    def __init__(self, km, receiver_id, mode='cbc'):
        self.km = km
        km.send('send')
        km.expect('ok send')
        km.send(f'conn {receiver_id} {mode}')
        words = km.expect('ev key ')
        self.session_id = words[2]
        self.mode = mode
        self.key, self.iv, self.auth_key, challenge, confirm_iv = (
            bytes.fromhex(w) for w in words[8:13])
        confirm = cbc(self.key, confirm_iv, challenge) if mode == 'cbc' else None
        km.send(f'confirm {confirm.hex()}')
        km.expect('ok confirm')
        words = km.expect('ev connect ')
        self.address, self.port = words[3], int(words[4])
        self.send_seq = 0
        self.recv_seq = 0
        self.tags = []
        self.blocks = 0

    def link(self):
        """Connects and runs the sender's handshake (Part 2, section 4, version 2)
        under the identity its key-manager connection proved, as a real
        client does (the receiver checks the two are the one `ev key`
        named), or a fresh one when it proved none."""
        self.sock = socket.create_connection((self.address, self.port), timeout=20)
        proved = getattr(self.km, 'identity', None)
        identity = proved.key if proved is not None else Ed25519PrivateKey.generate()
        ephemeral = X25519PrivateKey.generate()
        nonce_s = os.urandom(32)
        id_s = identity.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        eph_s = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.sock.sendall(b'KFPL\x02\x01' + nonce_s + id_s + eph_s)
        challenge = self.read(198)
        if challenge[:6] != b'KFPL\x02\x02':
            raise AssertionError(f'not a version-2 CHALLENGE: {challenge[:6]!r}')
        nonce_r, id_r, eph_r = challenge[6:38], challenge[38:70], challenge[70:102]
        sig_r, proof_r = challenge[102:166], challenge[166:198]
        z = ephemeral.exchange(X25519PublicKey.from_public_bytes(eph_r))
        sid = self.session_id.encode()
        h = hashlib.sha256(b'keyferry peer-link v2\x02' + (b'\x01' if self.mode == 'cbc' else b'\x02')
                           + bytes([len(sid)]) + sid + nonce_s + id_s + eph_s
                           + nonce_r + id_r + eph_r).digest()
        k_hs = mac(self.auth_key, b'keyferry peer-link v2 handshake', z)
        if proof_r != mac(k_hs, b'keyferry peer-link v2 receiver proof', h):
            raise AssertionError('the receiver\'s proof is wrong')
        Ed25519PublicKey.from_public_bytes(id_r).verify(
            sig_r, b'keyferry peer-link v2 receiver signature' + h)
        sig_s = identity.sign(b'keyferry peer-link v2 sender signature' + h)
        self.sock.sendall(b'KFPL\x02\x03' + sig_s
                          + mac(k_hs, b'keyferry peer-link v2 sender proof', h))
        k_link = mac(self.auth_key, b'keyferry peer-link v2 link secret', z, h)
        self.k_s2r = mac(k_link, b'keyferry peer-link v2 sender-to-receiver mac')
        self.k_r2s = mac(k_link, b'keyferry peer-link v2 receiver-to-sender mac')
        self.k_offer = mac(k_link, b'keyferry peer-link v2 offer key')
        self.iv_offer = mac(k_link, b'keyferry peer-link v2 offer iv')[:16]
        self.k_file = mac(self.key, b'keyferry peer-link v2 file key', z, h)
        self.iv_file = mac(self.iv, b'keyferry peer-link v2 file iv', z, h)[:16]

    def read(self, n):
        data = b''
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError(f'the receiver closed after {len(data)} of {n} bytes')
            data += chunk
        return data

    def send_record(self, rtype, flags, payload):
        rec = record(self.k_s2r, self.send_seq, rtype, flags, payload)
        self.send_seq += 1
        self.sock.sendall(rec)
        return rec[-16:]

    def receive_record(self):
        """(type, payload) of the receiver's next record, its tag verified."""
        header = self.read(16)
        length = int.from_bytes(header[4:8], 'big')
        rest = self.read(length + 16)
        payload, tag = rest[:length], rest[length:]
        if poly1305_aes(self.k_r2s, self.recv_seq, header + payload) != tag:
            raise AssertionError('a record from the receiver has a bad tag')
        self.recv_seq += 1
        return header[0], payload

    def offer_manifest(self, plain):
        sealed = cbc(self.k_offer, self.iv_offer, plain)
        for at in range(0, len(sealed), MAX_PAYLOAD):
            part = sealed[at:at + MAX_PAYLOAD]
            self.send_record(MANIFEST, FINAL if at + len(part) == len(sealed) else 0, part)

    def send_files(self, contents):
        """Each of @contents (bytes) as its own CBC chain, one FINAL record."""
        for i, plain in enumerate(contents):
            sealed = cbc(self.k_file, file_iv(self.auth_key, self.iv_file, i), plain)
            self.blocks += len(sealed) // 16
            self.tags.append(self.send_record(DATA, FINAL, sealed))

    def report(self):
        digest = hashlib.sha256(b''.join(self.tags)).hexdigest()
        self.km.send(f'report {self.blocks} {digest}')
        self.km.expect('ok report')
        return self.km.expect('ev result ')

    def close(self):
        try:
            self.sock.close()
        except (OSError, AttributeError):
            pass
