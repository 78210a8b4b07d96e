#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding the key manager and trusting it in one step, between hosts of a
LAN in a box (tests/kf_lan.py), each with its own D-Bus system bus and a
real avahi-daemon.  TAP.

- keyferry-server --site-name "Lab 3" announces _keyferry._tcp; on another
  host `keyferry-cli servers` lists it (human and --json): site name,
  address, port, the announced fingerprint, "unknown" trust.
- Without --server the client picks the only key manager on the network,
  but the announced fingerprint is no trust: with no terminal to ask, it
  stops and says the key manager is not known yet.
- A join link (keyferry://HOST:PORT/?fp=…) connects and trusts in one step;
  afterwards --server may be left out (the only trusted one); a link whose
  fingerprint is wrong fails hard and names both fingerprints.
- The key manager restarted with a new certificate: `servers` marks it
  "changed", connecting is the hard failure, a join link with the new
  fingerprint is refused too until the old pin is forgotten, then trusts it.
- A second key manager: `servers` lists both and a client without
  --server says there are several; --no-announce keeps one off the list.
- A key manager on a host without Avahi (no bus): one log line, and it
  serves clients all the same.

Skipped only where network namespaces cannot be made.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import CLI, SERVER, Tap, wait_until  # noqa: E402
import kf_lan  # noqa: E402

tap = Tap()


class KeyManager:
    def __init__(self, host, *extra):
        self.host = host
        self.log_path = os.path.join(host.dir, f'server-{len(extra)}.log')
        log = open(self.log_path, 'w')
        self.proc = host.popen([SERVER, '--port', '7745', '--state-dir',
                                os.path.join(host.dir, 'state')] + list(extra), stderr=log)
        log.close()
        # The join link carries the fingerprint as 64 hex digits.
        m = wait_until(lambda: re.search(r'link keyferry://\S*[?&]fp=([0-9a-f]{64})',
                                         self.log()), 20, 0.05)
        if not m:
            raise RuntimeError('keyferry-server did not start: ' + self.log())
        self.fp = m.group(1)

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(timeout=15)


def compact(text):
    """@text without the colons and spaces that fingerprints are shown with."""
    return text.replace(':', '').replace(' ', '')


def client_env(host):
    return dict(host.env, XDG_DATA_HOME=os.path.join(host.dir, 'data'),
                XDG_STATE_HOME=os.path.join(host.dir, 'state'),
                XDG_CONFIG_HOME=os.path.join(host.dir, 'config'), HOME=host.dir,
                LANGUAGE='C', LC_ALL='C.UTF-8')


def cli(host, args, timeout=30):
    """Runs keyferry-cli on @host to its end; returns (status, stdout, stderr)."""
    r = host.run([CLI] + args, check=False, timeout=timeout, env=client_env(host))
    return r.returncode, r.stdout, r.stderr


def connects(host, args):
    """Starts `keyferry-cli --json ARGS wait` on @host, returns its
    "connected" event (or None) and stops it."""
    proc = host.popen([CLI, '--json', '--name', 'probe'] + args + ['wait', '--output', host.dir],
                      env=client_env(host), stdin=subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    event = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        e = json.loads(line)
        if e['event'] == 'connected':
            event = e
            break
    proc.terminate()
    _, err = proc.communicate(timeout=15)
    return event, err


def servers(host):
    status, out, err = cli(host, ['--json', 'servers'])
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return status, [e for e in events if e['event'] == 'server'], err


def main():
    try:
        lan = kf_lan.Lan()
    except kf_lan.Skip as e:
        print(f'1..0 # SKIP {e}')
        return 0
    try:
        km = lan.host('km', avahi=True)
        ana = lan.host('ana', avahi=True)
        server = KeyManager(km, '--site-name', 'Lab 3')
        tap.check(f'keyferry-server: link keyferry://{km.addr}:7745/?fp={server.fp}'
                  in server.log(), 'the start-up lines give the join link', server.log())

        printed = km.run([SERVER, '--state-dir', os.path.join(km.dir, 'state'), '--print-link'],
                         check=False)
        tap.check(printed.returncode == 0
                  and printed.stdout == f'keyferry://{km.addr}:7745/?fp={server.fp}\n',
                  '--print-link prints the link alone, with the host\'s LAN address',
                  printed.stdout + printed.stderr)

        status, found = None, []
        for _ in range(10):
            status, found, err = servers(ana)
            if found:
                break
        tap.check(status == 0 and len(found) == 1, 'servers on another host finds one key manager',
                  f'{status} {found} {err}')
        s = found[0] if found else {}
        tap.check(s.get('site') == 'Lab 3' and s.get('name') == 'Lab 3'
                  and s.get('address') == km.addr and s.get('port') == 7745
                  and s.get('fingerprint') == server.fp and s.get('version') == 2
                  and s.get('trust') == 'unknown',
                  'it has the site name, address, port, fingerprint and version', s)
        status, out, err = cli(ana, ['servers'])
        tap.check(status == 0 and 'Lab 3' in out and f'{km.addr}:7745' in out
                  and 'not trusted yet' in out, 'servers without --json says the same in words',
                  out + err)

        status, out, err = cli(ana, ['--name', 'ana', 'wait'])
        tap.check(status == 7 and f'Using the key manager at {km.addr}:7745' in err
                  and 'not known yet' in err,
                  'without --server it picks the only one, but still asks before trusting it',
                  f'{status}\n{err}')

        wrong = 'SHA256:' + ':'.join(['AB'] * 32)
        status, out, err = cli(ana, ['--server', f'keyferry://{km.addr}:7745/?fp={wrong}', 'wait'])
        tap.check(status == 7 and server.fp[:8].upper() in compact(err)
                  and 'ABABABAB' in compact(err),
                  'a join link with another fingerprint fails, naming both', f'{status}\n{err}')

        link = f'keyferry://{km.addr}:7745/?fp={server.fp}'
        event, err = connects(ana, ['--server', link])
        tap.check(event is not None and event.get('fingerprint') == server.fp,
                  'a join link connects and trusts in one step', err)
        event, err = connects(ana, [])
        tap.check(event is not None and event.get('fingerprint') == server.fp,
                  'then --server may be left out: the only trusted key manager', err)

        # The key manager comes back with another certificate (a new state
        # directory): it announces the new fingerprint, but the pin holds.
        server.stop()
        server = KeyManager(km, '--site-name', 'Lab 3', '--state-dir', os.path.join(km.dir, 'new'))
        found = []
        for _ in range(10):
            status, found, err = servers(ana)
            if found and found[0].get('fingerprint') == server.fp:
                break
        tap.check(len(found) == 1 and found[0].get('trust') == 'changed',
                  'servers marks a key manager whose announced fingerprint differs from the pin',
                  found)
        status, out, err = cli(ana, ['--name', 'ana', 'wait'])
        tap.check(status == 7 and 'DANGER' in err and server.fp[:8].upper() in compact(err),
                  'and connecting to it is still the hard failure, announcement or not', err)
        status, out, err = cli(ana, ['--server', f'keyferry://{km.addr}:7745/?fp={server.fp}',
                                     'wait'])
        tap.check(status == 7 and 'forget-server' in err,
                  'a join link does not replace the old pin silently either', err)
        cli(ana, ['--server', f'{km.addr}:7745', '--forget-server'])
        event, err = connects(ana, ['--server', f'keyferry://{km.addr}:7745/?fp={server.fp}'])
        tap.check(event is not None and event.get('fingerprint') == server.fp,
                  'after --forget-server the administrator\'s new join link trusts it', err)

        bob = lan.host('bob', avahi=True)
        hidden = KeyManager(bob, '--no-announce')
        other = KeyManager(lan.host('lab4', avahi=True), '--site-name', 'Lab 4')
        names = []
        for _ in range(10):
            status, found, err = servers(bob)
            names = sorted(s.get('site') or '' for s in found)
            if names == ['Lab 3', 'Lab 4']:
                break
        tap.check(names == ['Lab 3', 'Lab 4'],
                  'servers lists both announced key managers, not the --no-announce one', found)
        status, out, err = cli(bob, ['wait'])
        tap.check(status == 2 and '2 key managers' in err and 'Lab 4' in err,
                  'without --server, with two on the network, the client says so', err)
        status = other.stop()
        tap.check(status == 0 and hidden.stop() == 0,
                  'key managers stop cleanly on SIGTERM, announced or not', other.log())
        for _ in range(10):
            status, found, err = servers(bob)
            names = sorted(s.get('site') or '' for s in found)
            if names == ['Lab 3']:
                break
        tap.check(names == ['Lab 3'], 'a stopped key manager leaves the list', found)

        lone = lan.host('lone')
        alone = KeyManager(lone, '--site-name', 'Lab 5')
        time.sleep(0.5)
        lines = [line for line in alone.log().splitlines() if 'not announced' in line]
        tap.check(len(lines) == 1, 'without Avahi the key manager logs one line', alone.log())
        event, err = connects(lone, ['--server', f'keyferry://{lone.addr}:7745/?fp={alone.fp}'])
        tap.check(event is not None, 'and serves clients all the same', err + alone.log())
        status, out, err = cli(lone, ['servers'])
        tap.check(status == 7 and 'avahi-daemon' in err,
                  'servers without Avahi fails and says that Avahi is needed', err)
    finally:
        lan.close()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
