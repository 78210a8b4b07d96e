#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exit statuses and pins of the real keyferry-cli.  TAP.

- send to a peer that is not waiting (an id no one has, a name no one
  uses) exits 8, not 7 ("key manager unreachable");
- with pin A stored for a key manager, --fingerprint B is refused (exit 7)
  even when the server presents B, the pin stays A, and the message names
  --forget-server; after --forget-server, --fingerprint B connects and B
  is pinned;
- a scripted `wait` whose key manager restarts says that it lost it and
  that it reconnected, with its new client id (stderr and --json), and
  waits again;
- a running keyferry-cli, which holds session keys, cannot leave a core
  file (its RLIMIT_CORE is 0 even when its parent allowed cores).
"""
import resource
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Tap  # noqa: E402

tap = Tap()


def run(env, args, timeout=30):
    """Runs keyferry-cli; a run still going after @timeout s is killed
    (exit status None)."""
    try:
        proc = subprocess.run([kf_e2e.CLI] + args, env=env.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or '', e.stderr or ''
    return proc.returncode, proc.stdout, proc.stderr


def not_waiting(env, server):
    common = ['--server', f'127.0.0.1:{server.port}', '--fingerprint', server.fp]
    src = env.random('small.bin', 100)
    for to, what in (('999', 'an id no one has'), ('nobody', 'a name no one uses')):
        code, _, err = run(env, common + ['--name', 'tx', 'send', '--to', to, '--mode', 'cbc', src])
        tap.check(code == 8, f'send to {what} exits 8', f'exit {code}: {err}')


def changed_pin(env, first):
    port = first.port
    second = kf_e2e.Server(os.path.join(env.work, 'second'))
    env.servers.append(second)
    tap.check(second.fp.replace(':', '').lower() != first.fp.replace(':', '').lower(),
              'the two key managers have different certificates')

    # Pin A: a first connection with --fingerprint A is remembered.
    cli = env.cli(first, 'pinner', ['wait'])
    tap.check(cli.wait_event('waiting', 20) is not None, 'with --fingerprint A, connected',
              cli.err())
    cli.kill()
    first.stop()
    second.port = port
    second.start()

    server = ['--server', f'127.0.0.1:{port}']
    code, _, err = run(env, server + ['--fingerprint', second.fp, '--name', 'x', 'wait'], 10)
    tap.check(code == 7 and '--forget-server' in err and 'DANGER' in err,
              'pin A stored, --fingerprint B while the server presents B: refused (exit 7), '
              'saying how to remove the old pin', f'exit {code}: {err}')
    code, _, err = run(env, server + ['--name', 'x', 'wait'], timeout=30)
    tap.check(code == 7 and 'DANGER' in err,
              'the pin is still A: without --fingerprint the new certificate is refused',
              f'exit {code}: {err}')

    code, out, err = run(env, server + ['--forget-server'])
    tap.check(code == 0 and 'Forgot' in out, '--forget-server removes the pin (exit 0)',
              f'exit {code}: {out} {err}')

    cli = env.cli(second, 'after', ['wait'])
    tap.check(cli.wait_event('waiting', 20) is not None,
              'after --forget-server, --fingerprint B connects', cli.err())
    cli.kill()
    proc = subprocess.Popen([kf_e2e.CLI] + server + ['--name', 'x', '--json', 'wait'],
                            env=env.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    proc.kill()
    _, err = proc.communicate()
    tap.check('"connected"' in line and second.fp.replace(':', '').lower() in line,
              'and B is pinned: a connection without --fingerprint is accepted',
              f'{line} {err}')


def no_core(env, server):
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    cli = env.cli(server, 'cores', ['wait'])
    waiting = cli.wait_event('waiting', 20)
    with open(f'/proc/{cli.proc.pid}/limits') as f:
        line = [x for x in f if x.startswith('Max core file size')]
    cli.kill()
    tap.check(waiting and line and line[0].split()[4:6] == ['0', '0'],
              'a running keyferry-cli has core dumps disabled', repr(line))


def restart_under_wait(env, server):
    cli = env.cli(server, 'patient', ['wait'])
    first = cli.wait_event('connected', 20)
    cli.wait_event('waiting', 20)
    server.stop()
    lost = cli.wait_event('disconnected', 20)
    server.start()
    back = cli.wait_event('reconnected', 30)
    # The JSON event comes first, the line for people right after it.
    said = back is not None and kf_e2e.wait_until(
        lambda: f"#{back['client_id']}" in cli.err().split('lost the key manager')[-1], 10)
    err = cli.err()
    tap.check(lost is not None and lost['reconnecting'] is True
              and 'lost the key manager' in err,
              'scripted wait: the restart is announced (stderr and --json)', err)
    tap.check(back is not None and first is not None and back['client_id'] != first['client_id']
              and said,
              'scripted wait: the reconnection is announced with the new client id', cli.err())
    km = kf_e2e.KmClient(server.port, server.fp)
    try:
        km.join('looker')
        km.send('send')
        peers = km.expect('ok send')
    finally:
        km.close()
    tap.check(peers[2] == '1', 'scripted wait: it waits again after the reconnection',
              repr(peers))
    cli.kill()


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        not_waiting(env, server)
        no_core(env, server)
        restart_under_wait(env, server)
        changed_pin(env, server)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
