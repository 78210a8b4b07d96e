#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyferry between hosts of a LAN in a box (tests/kf_lan.py).  TAP.

Three hosts on one bridge: the key manager, a receiver and a sender, each
a real binary in its own network namespace, 198.18.0.0/15 addresses.

- A file goes from the sender's host to the receiver's host: the receiver
  keeps the same bytes, the key manager confirms the block counts.
- The same over links shaped with netem: 1 Gbit/s with 1 ms of delay, and
  1 % loss (both directions): the file arrives whole.  Where the kernel
  has no netem, the rate is shaped with tbf and the loss made with
  iptables, and the delay is left out (said in a TAP note).
- The receiver's host drops incoming TCP connections (a desktop firewall
  that silently drops SYNs): the sender fails within a few seconds (not
  the 30-second handshake deadline, not a hang) with a message that names
  the receiver and its address and says that its firewall must let the
  connection in; both clients exit with a failure status.
- Behind the same firewall opened for two ports, a receiver told to use
  them (--peer-ports 7800-7801) gets the file.

Skipped (TAP SKIP with the reason) only where network namespaces cannot be
made, e.g. without root.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import CLI, SERVER, Tap, sha256_file, wait_until  # noqa: E402
import kf_lan  # noqa: E402

tap = Tap()
# Bound for "fails fast": far below the 30-second handshake deadline the
# old code hit, far above a loaded machine's connect timeout.
FAST_S = 15


def start_server(km):
    log_path = os.path.join(km.dir, 'server.log')
    log = open(log_path, 'w')
    km.popen([SERVER, '--listen', km.addr, '--port', '7745', '--state-dir',
              os.path.join(km.dir, 'state')], stderr=log)
    log.close()

    def started():
        with open(log_path) as f:
            text = f.read()
        # The join link carries the fingerprint as 64 hex digits.
        m = re.search(r'link keyferry://\S*[?&]fp=([0-9a-f]{64})', text)
        return m and m.group(1)
    fp = wait_until(started, 20, 0.05)
    if not fp:
        with open(log_path) as f:
            raise RuntimeError('keyferry-server did not start: ' + f.read())
    return fp


def client_env(host):
    env = dict(host.env, XDG_STATE_HOME=os.path.join(host.dir, 'state'),
               XDG_CONFIG_HOME=os.path.join(host.dir, 'config'), HOME=host.dir,
               LANGUAGE='C', LC_ALL='C.UTF-8')
    return env


def cli(host, km, fp, name, args):
    err = open(os.path.join(host.dir, f'{name}.err'), 'w')
    out = open(os.path.join(host.dir, f'{name}.out'), 'w')
    proc = host.popen([CLI, '--server', f'{km.addr}:7745', '--fingerprint', fp, '--name', name]
                      + args, env=client_env(host), stdin=subprocess.DEVNULL, stdout=out,
                      stderr=err)
    err.close()
    out.close()
    proc.host = host
    proc.label = name
    return proc


def text_of(proc, what):
    with open(os.path.join(proc.host.dir, f'{proc.label}.{what}'), errors='replace') as f:
        return f.read()


def waiting(receiver):
    return 'waiting' in text_of(receiver, 'out') + text_of(receiver, 'err')


def transfer(lan, km, fp, receiver_host, sender_host, name, receiver_args=()):
    """Receiver waits, sender sends @name's file; returns the two procs,
    the file's path and the time the sender took."""
    out_dir = os.path.join(receiver_host.dir, 'in-' + name)
    os.makedirs(out_dir)
    receiver = cli(receiver_host, km, fp, name, ['--json'] + list(receiver_args)
                   + ['wait', '--accept', '--output', out_dir])
    if not wait_until(lambda: waiting(receiver), 20, 0.05):
        raise RuntimeError('the receiver is not waiting: ' + text_of(receiver, 'err'))
    path = os.path.join(sender_host.dir, name + '.bin')
    with open(path, 'wb') as f:
        f.write(os.urandom(3 * 1024 * 1024 + 17))
    start = time.monotonic()
    sender = cli(sender_host, km, fp, 'from-' + name,
                 ['--json', 'send', '--to', name, '--mode', 'cbc', path])
    try:
        sender.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pass
    took = time.monotonic() - start
    try:
        receiver.wait(timeout=FAST_S)
    except subprocess.TimeoutExpired:
        pass
    return receiver, sender, path, out_dir, took


def main():
    try:
        lan = kf_lan.Lan()
    except kf_lan.Skip as e:
        print(f'1..0 # SKIP {e}')
        return 0
    try:
        km = lan.host('km')
        ana = lan.host('ana')
        bob = lan.host('bob')
        fp = start_server(km)

        receiver, sender, path, out_dir, _ = transfer(lan, km, fp, ana, bob, 'ana')
        got = os.path.join(out_dir, os.path.basename(path))
        tap.check(sender.returncode == 0 and receiver.returncode == 0,
                  'a transfer between two hosts ends with status 0 on both',
                  text_of(sender, 'err') + text_of(receiver, 'err'))
        tap.check(os.path.exists(got) and sha256_file(got) == sha256_file(path),
                  'the receiver on its own host keeps the same bytes')
        tap.check('"confirmed"' in text_of(sender, 'out') or 'confirm' in text_of(sender, 'out'),
                  'the key manager confirmed the block counts', text_of(sender, 'out'))

        for label, shaping in (('1 Gbit/s with 1 ms of delay', dict(rate='1gbit', delay='1ms')),
                               ('1 % loss', dict(loss='1%'))):
            carol = lan.host(f'c{len(lan.hosts)}')
            dave = lan.host(f'd{len(lan.hosts)}')
            missing = carol.shape(**shaping) + dave.shape(**shaping)
            if missing:
                tap.note(f'{label}: not applied: {missing[0]}')
            receiver, sender, path, out_dir, took = transfer(lan, km, fp, carol, dave,
                                                             'shaped' + carol.name)
            got = os.path.join(out_dir, os.path.basename(path))
            tap.note(f'{label}: 3 MiB in {took:.2f} s')
            tap.check(sender.returncode == 0 and receiver.returncode == 0
                      and os.path.exists(got) and sha256_file(got) == sha256_file(path),
                      f'a transfer over a link shaped to {label} arrives whole',
                      text_of(sender, 'err') + text_of(receiver, 'err'))

        ana.drop_inbound_tcp()
        receiver, sender, path, out_dir, took = transfer(lan, km, fp, ana, bob, 'walled')
        err = text_of(sender, 'err') + text_of(sender, 'out')
        tap.note(f'the sender gave up after {took:.1f} s:\n{text_of(sender, "err")}')
        tap.check(sender.returncode not in (0, None) and took < FAST_S,
                  f'behind a dropping firewall the sender fails within {FAST_S} s',
                  f'status {sender.returncode}, {took:.1f} s\n{err}')
        tap.check(f'{ana.addr}:' in err and 'walled' in err,
                  'the message names the receiver and its address', err)
        tap.check('firewall' in err and 'incoming TCP' in err,
                  'the message says the receiver’s firewall must let the connection in', err)
        # No offer ever came: the receiver keeps nothing and, since the
        # pairing fell through before an offer, waits on (issue 14, point 6).
        tap.check(receiver.returncode != 0 and not os.listdir(out_dir)
                  and 'waiting for a sender again' in text_of(receiver, 'err'),
                  'the receiver keeps nothing and waits again', text_of(receiver, 'err'))

        # The same firewall letting in only the ports the receiver is told
        # to use: the transfer goes through.
        erin = lan.host('erin')
        erin.drop_inbound_tcp(except_ports=(7800, 7801))
        receiver, sender, path, out_dir, took = transfer(lan, km, fp, erin, bob, 'erin',
                                                         ['--peer-ports', '7800-7801'])
        got = os.path.join(out_dir, os.path.basename(path))
        tap.check(sender.returncode == 0 and receiver.returncode == 0
                  and os.path.exists(got) and sha256_file(got) == sha256_file(path),
                  'a receiver given --peer-ports 7800-7801 behind a firewall that lets only '
                  'those in gets the file', text_of(sender, 'err') + text_of(receiver, 'err'))
    finally:
        lan.close()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
