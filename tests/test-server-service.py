#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key manager as a service, with the real binary on loopback.  TAP.

- Structured logs: with --log-format json every lifecycle message is one
  JSON object on standard error with its MESSAGE_ID and the client,
  address and session fields (docs/LOGGING.md).
- Readiness: started with $NOTIFY_SOCKET (a path, and an abstract name)
  the server sends READY=1 once its port accepts connections, and
  STOPPING=1 on SIGTERM.
- Reload: SIGHUP sends RELOADING=1 and MONOTONIC_USEC, reads the
  passphrase file and the --config file again and sends READY=1; clients
  stay connected, the new passphrase and a lowered limit apply to new
  connections, a bad file keeps the settings in force, and an option on
  the command line wins over the file before and after a reload.
- Status: `keyferry-server --status` (and --json) shows the clients, the
  waiting peers, the sessions, a transfer in progress and the totals;
  another user cannot reach the socket, and when the file modes are
  opened the server still refuses it by its credentials.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import SERVER, Env, KmClient, Tap, wait_until  # noqa: E402

tap = Tap()

ID = {
    'started': '1f857c0251804303b9e1241ee127f3a9',
    'stopping': '54f25cb396124a0fb7de38e8227d4f6b',
    'stopped': 'de048bda3ed74291b995c4a714f1e121',
    'reloaded': '4074ace6bdf34cbfae5a9f81dbfc3514',
    'reload-failed': '8eb40262599b42bcb55b074011658b91',
    'joined': '7381bed1fa3740e69e044910989fe91a',
    'left': 'ef6c649d76da4f4ea4b22f8cf2dbe473',
    'session-started': '63e9b7c8cc2f4b028dea73e36b803073',
    'session-finished': 'c6c8272f08e34181b9f4b73d46ebc909',
    'session-cancelled': '2cb2fb69fc3044b99a85c403fd617c05',
    'admission-refused': '31b24053a8be48bcb5652167aeddd4c8',
    'auth-failed': '73f110138a8e4f7495af4b68ee1f6502',
    'status-refused': '090463dd57294cc587203f22f1937d55',
}


def records(server):
    """The JSON log records the server wrote so far."""
    out = []
    for line in server.log().splitlines():
        if line.startswith('{'):
            out.append(json.loads(line))
    return out


def find(server, kind, **fields):
    """The first record of @kind whose fields include @fields, or None."""
    for r in records(server):
        if r.get('MESSAGE_ID') == ID[kind] and all(r.get(k) == v for k, v in fields.items()):
            return r
    return None


def wait_record(server, kind, timeout=15, **fields):
    return wait_until(lambda: find(server, kind, **fields), timeout, 0.02)


def pair(server):
    """A receiver waiting and a sender that picked it: (receiver, its id,
    sender, its id, session id)."""
    receiver = KmClient(server.port, server.fp)
    rid = receiver.join('receiver')
    receiver.send('wait')
    receiver.expect('ok wait')
    sender = KmClient(server.port, server.fp)
    sid = sender.join('sender')
    sender.send(f'conn {rid} cbc')
    session = sender.expect('ok conn ')[2]
    return receiver, rid, sender, sid, session


def test_logs(env):
    server = env.server(['--log-format', 'json'])
    server.start()
    tap.check(wait_record(server, 'started'), 'start is logged with its MESSAGE_ID', server.log())
    receiver, rid, sender, sid, session = pair(server)
    joined = wait_record(server, 'joined', KF_CLIENT_ID=str(rid))
    tap.check(joined and joined.get('KF_CLIENT_NAME') == 'receiver'
              and joined.get('KF_ADDRESS', '').startswith('127.0.0.1')
              and joined.get('PRIORITY') == '5',
              'a client joining is logged with its id, name and address', joined)
    started = wait_record(server, 'session-started', KF_SESSION_ID=session)
    tap.check(started and started.get('KF_CLIENT_ID') == str(sid)
              and started.get('KF_PEER_ID') == str(rid),
              'a session starting is logged with its id, the sender and the receiver', started)
    receiver.close()
    cancelled = wait_record(server, 'session-cancelled', KF_SESSION_ID=session)
    tap.check(cancelled and cancelled.get('KF_OUTCOME') == 'peer-left'
              and cancelled.get('KF_CLIENT_ID') == str(sid)
              and cancelled.get('KF_PEER_ID') == str(rid),
              'a session ending is logged with its outcome', cancelled)
    tap.check(wait_record(server, 'left', KF_CLIENT_ID=str(rid)),
              'a client leaving is logged with its id', server.log())
    sender.close()
    server.stop()
    tap.check(find(server, 'stopping') and find(server, 'stopped'),
              'stopping and stopped are logged', server.log())

    secret = os.path.join(env.work, 'passphrase')
    write(secret, 'right horse\n')
    server = env.server(['--log-format', 'json', '--passphrase-file', secret])
    server.start()
    client = KmClient(server.port, server.fp)
    client.greeting()
    client.send('auth wrong')
    client.expect('err auth-failed', timeout=30)
    failed = wait_record(server, 'auth-failed')
    tap.check(failed and failed.get('KF_ADDRESS', '').startswith('127.0.0.1'),
              'a wrong passphrase is logged with the address', failed)
    client.close()
    server.stop()


class Notify:
    """A datagram socket standing in for systemd's notification socket."""

    def __init__(self, env, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f'kf-notify-{os.getpid()}-{time.monotonic_ns()}'
            self.sock.bind('\0' + name)
            self.name = '@' + name
        else:
            self.name = os.path.join(env.work, f'notify-{time.monotonic_ns()}.sock')
            self.sock.bind(self.name)

    def next(self, timeout=15):
        """The next message as a dict, or None after @timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except (socket.timeout, TimeoutError):
            return None
        return dict(line.split('=', 1) for line in data.split('\n') if '=' in line)

    def close(self):
        self.sock.close()


def start_notified(env, notify, extra=()):
    """A server started with $NOTIFY_SOCKET set to @notify's socket."""
    server = env.server(list(extra))
    os.environ['NOTIFY_SOCKET'] = notify.name
    try:
        server.start()
    finally:
        del os.environ['NOTIFY_SOCKET']
    return server


def accepts(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=5).close()
        return True
    except OSError:
        return False


def test_readiness(env, abstract):
    kind = 'an abstract socket' if abstract else 'a socket path'
    notify = Notify(env, abstract)
    server = start_notified(env, notify)
    ready = notify.next()
    tap.check(ready and ready.get('READY') == '1' and 'STATUS' in ready,
              f'READY=1 with a STATUS arrives on {kind}', ready)
    tap.check(accepts(server.port), 'the port accepts connections once READY=1 came')
    server.proc.send_signal(signal.SIGTERM)
    stopping = notify.next()
    tap.check(stopping and stopping.get('STOPPING') == '1', 'SIGTERM sends STOPPING=1',
              stopping)
    server.proc.wait(timeout=15)
    server.proc = None
    notify.close()


def write(path, text):
    """Writes @path private to its owner, as a passphrase file must be."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
        f.write(text)


def admitted(server, passphrase, source):
    """Whether a new client from @source gets in with @passphrase."""
    client = KmClient(server.port, server.fp, source=source)
    try:
        client.greeting()
        client.send(f'auth {passphrase}')
        line = client.line(timeout=60)
        if line != 'ok auth':
            return False
        client.send(client.hello_line(f'late-{source}'))
        return client.expect('welcome ') is not None
    finally:
        client.close()


def hup(server, notify):
    """SIGHUP; returns the RELOADING and the READY notifications."""
    server.proc.send_signal(signal.SIGHUP)
    return notify.next(), notify.next()


def test_reload(env):
    secret = os.path.join(env.work, 'reload-passphrase')
    conf = os.path.join(env.work, 'reload.conf')
    write(secret, 'one\n')
    write(conf, f'[keyferry-server]\nmax-clients=10\npassphrase-file={secret}\n')
    notify = Notify(env, abstract=False)
    # A failed reload is a warning: not fatal for this server.
    os.environ['G_DEBUG'] = 'gc-friendly'
    try:
        server = start_notified(env, notify, ['--config', conf, '--log-format', 'json'])
    finally:
        os.environ['G_DEBUG'] = 'gc-friendly,fatal-warnings'
    notify.next()
    clients = []
    for name in ('first', 'second'):
        client = KmClient(server.port, server.fp)
        client.greeting()
        client.send('auth one')
        client.expect('ok auth', timeout=60)
        client.send(client.hello_line(name))
        client.expect('welcome ')
        clients.append(client)

    write(secret, 'two\n')
    write(conf, f'[keyferry-server]\nmax-clients=2\npassphrase-file={secret}\n')
    reloading, ready = hup(server, notify)
    tap.check(reloading and reloading.get('RELOADING') == '1'
              and reloading.get('MONOTONIC_USEC', '').isdigit(),
              'SIGHUP sends RELOADING=1 with MONOTONIC_USEC', reloading)
    tap.check(ready and ready.get('READY') == '1', 'then READY=1', ready)
    tap.check(wait_record(server, 'reloaded'), 'the reload is logged', server.log())
    alive = True
    for client in clients:
        client.send('ping')
        alive = alive and client.expect('ok ping') is not None
    tap.check(alive, 'connected clients stay through a reload')
    late = KmClient(server.port, server.fp, source='127.0.0.2')
    late.greeting()
    full = late.line()
    late.close()
    tap.check(full and full.startswith('err full'),
              'a lowered --max-clients from the file applies to a new client', full)

    write(conf, f'[keyferry-server]\nmax-clients=10\npassphrase-file={secret}\n')
    hup(server, notify)
    tap.check(not admitted(server, 'one', '127.0.0.3'),
              'the old passphrase is refused after a reload')
    tap.check(admitted(server, 'two', '127.0.0.4'),
              'the new passphrase is accepted after a reload')

    write(conf, '[keyferry-server]\nmax-clients=zero\n')
    _, ready = hup(server, notify)
    failed = wait_record(server, 'reload-failed')
    tap.check(failed and 'max-clients' in failed.get('MESSAGE', '')
              and failed.get('PRIORITY') == '4',
              'a bad file on reload is logged as a warning saying why', failed)
    tap.check(ready and ready.get('READY') == '1' and 'max-clients' in ready.get('STATUS', ''),
              'READY=1 follows a failed reload too, with a STATUS saying why', ready)
    tap.check(admitted(server, 'two', '127.0.0.5'),
              'after a failed reload the settings in force stay')
    for client in clients:
        client.close()
    server.stop()
    notify.close()

    # A client greeted with "none" is not asked for a passphrase that a
    # reload turned on before its hello.
    write(conf, '[keyferry-server]\n')
    notify = Notify(env, abstract=False)
    server = start_notified(env, notify, ['--config', conf])
    notify.next()
    early = KmClient(server.port, server.fp)
    early.greeting()
    write(conf, f'[keyferry-server]\npassphrase-file={secret}\n')
    hup(server, notify)
    early.send(early.hello_line('early'))
    line = early.line()
    tap.check(line and line.startswith('welcome '),
              'a client told "none" before a reload that turned a passphrase on is welcomed',
              line)
    tap.check(not admitted(server, 'one', '127.0.0.6') and admitted(server, 'two', '127.0.0.7'),
              'a new client needs the passphrase the reload turned on')
    early.close()
    server.stop()
    notify.close()

    # The command line wins over the file, at start and after a reload.
    write(conf, '[keyferry-server]\nmax-clients=10\n')
    server = env.server(['--config', conf, '--max-clients', '1'])
    server.start()
    for attempt in ('at start', 'after a reload'):
        first = KmClient(server.port, server.fp)
        first.join('first')
        second = KmClient(server.port, server.fp)
        second.greeting()
        line = second.line()
        tap.check(line and line.startswith('err full'),
                  f'--max-clients on the command line wins over the file {attempt}', line)
        first.close()
        second.close()
        wait_until(lambda: 'left' in server.log(), 10, 0.02)
        server.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: 'Reloaded' in server.log(), 10, 0.02)
    server.stop()

    write(conf, '[keyferry-server]\nmax-clinets=10\n')
    out = subprocess.run([SERVER, '--config', conf, '--port', '0'], capture_output=True,
                         text=True, timeout=30)
    tap.check(out.returncode == 2 and 'max-clinets' in out.stderr,
              'an unknown key in the file stops the start with status 2', out.stderr)

    example = os.path.join(os.environ['G_TEST_SRCDIR'], '..', 'data',
                           'keyferry-server.conf.example')
    out = subprocess.run([SERVER, '--config', example, '--state-dir', server.state,
                          '--audit-log', server.audit, '--print-fingerprint'], capture_output=True, text=True, timeout=30)
    printed = out.stdout.replace(' ', '').replace(':', '').lower()
    tap.check(out.returncode == 0 and server.fp in printed,
              'data/keyferry-server.conf.example is a configuration file the server takes',
              out.stderr)


def status(server, *extra, user=None):
    argv = [SERVER, '--status', '--state-dir', server.state] + list(extra)
    if user is not None:
        argv = ['setpriv', f'--reuid={user}', f'--regid={user}', '--clear-groups'] + argv
    return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, LC_ALL='C.UTF-8', LANGUAGE='C'))


def test_status(env):
    server = env.server(['--log-format', 'json'])
    server.start()
    waiter = KmClient(server.port, server.fp)
    # The server refuses control, bidi and zero-width characters in names
    # (kf_untrusted_is_clean()); quotes, backslashes and non-ASCII remain.
    evil = 'ana "q" \\ ăî'
    wid = waiter.join(urllib.parse.quote(evil, safe=''))
    waiter.send('wait')
    waiter.expect('ok wait')
    receiver, rid, sender, sid, session = pair(server)

    out = status(server, '--json')
    tap.check(out.returncode == 0, '--status --json runs', out.stderr)
    snap = json.loads(out.stdout or '{}')
    clients = {c['id']: c for c in snap.get('clients', [])}
    tap.check(set(clients) == {wid, rid, sid}
              and clients[wid]['state'] == 'waiting' and clients[wid]['name'] == evil
              and clients[rid]['state'] == 'session' and clients[rid]['session'] == session
              and clients[sid]['name'] == 'sender'
              and clients[sid]['address'].startswith('127.0.0.1'),
              '--json lists every client with its id, name, address, state and session', snap)
    tap.check('"ana \\"q\\" \\\\ ăî"' in out.stdout,
              '--json escapes quotes and backslashes in a name', out.stdout)
    tap.check(snap.get('waiting') == [wid], '--json lists the waiting peers', snap)
    sessions = snap.get('sessions', [])
    tap.check(len(sessions) == 1 and sessions[0]['id'] == session
              and sessions[0]['mode'] == 'cbc'
              and sessions[0]['sender'] == {'id': sid, 'phase': 'confirming'}
              and sessions[0]['receiver'] == {'id': rid, 'phase': 'confirming'}
              and sessions[0]['transferring'] is False,
              '--json lists the session with its mode and both phases', sessions)
    totals = snap.get('totals', {})
    tap.check(totals.get('clients-served') == 3 and totals.get('sessions-started') == 1,
              '--json counts the clients served and sessions started', totals)

    out = status(server)
    text = out.stdout
    tap.check(out.returncode == 0 and 'Clients (3):' in text and 'Waiting peers (1):' in text
              and 'Sessions (1):' in text and session in text and 'sender' in text
              and 'clients served' in text,
              '--status prints the clients, waiting peers, sessions and totals', text)
    tap.check(evil in text, '--status shows a name as it is', text)
    receiver.close()
    sender.close()
    waiter.close()

    # A transfer in progress: the receiver is asked y/n and does not answer.
    source = env.random('status-file', 100000)
    out_dir = env.folder('status-out')
    rx = env.cli(server, 'rex', ['wait', '--output', out_dir], stdin=True)
    rx.wait_event('waiting', 20)
    tx = env.cli(server, 'sam', ['send', '--to', 'rex', '--mode', 'cfb', source])
    offered = rx.wait_event('offer', 30)
    snap = json.loads(status(server, '--json').stdout or '{}')
    moving = [x for x in snap.get('sessions', []) if x.get('transferring')]
    tap.check(offered and len(moving) == 1 and moving[0]['mode'] == 'cfb',
              'a transfer in progress is shown as such', snap)
    text = status(server).stdout
    tap.note(text)
    tap.check('Transfers in progress (1):' in text, '--status prints the transfer in progress',
              text)
    rx.send('y')
    rx.send('')  # Save as: the name offered
    done = tx.wait(30) == 0 and rx.wait(30) == 0
    if not done:
        tap.note(f'sender: {tx.err()}\nreceiver: {rx.err()}')
    snap = json.loads(status(server, '--json').stdout or '{}')
    totals = snap.get('totals', {})
    tap.check(done and totals.get('sessions-confirmed') == 1
              and totals.get('sessions-cancelled') == 1
              and totals.get('blocks-confirmed', 0) >= 100000 // 16,
              'the totals count confirmed and cancelled sessions and the blocks', totals)

    if os.geteuid() != 0 or not shutil.which('setpriv'):
        tap.check(True, '# SKIP another user: needs root and setpriv')
    else:
        out = status(server, user=65534)
        tap.check(out.returncode == 1 and 'Permission denied' in out.stderr,
                  'another user cannot reach the status socket', out.stderr)
        os.chmod(env.work, 0o711)
        os.chmod(server.state, 0o755)
        os.chmod(os.path.join(server.state, 'status.socket'), 0o666)
        out = status(server, user=65534)
        os.chmod(server.state, 0o700)
        os.chmod(env.work, 0o700)
        tap.check(out.returncode == 1 and 'refused' in out.stderr and out.stdout == '',
                  'with the modes opened the server still refuses another user', out.stderr)
        tap.check(wait_record(server, 'status-refused'), 'the refusal is logged', server.log())
    server.stop()
    tap.check(not os.path.exists(os.path.join(server.state, 'status.socket')),
              'the status socket is removed when the server stops')

    deep = os.path.join(env.work, 'd' * 120)
    out = subprocess.run([SERVER, '--state-dir', server.state, '--runtime-dir', deep,
                          '--port', '0', '--listen', '127.0.0.1'], capture_output=True,
                         text=True, timeout=30)
    tap.check(out.returncode == 1 and '--runtime-dir' in out.stderr
              and not any(n.startswith('ddd') for n in os.listdir(env.work)),
              'a runtime directory too deep for a socket path stops the start, leaving nothing',
              out.stderr)


def main():
    env = Env()
    try:
        test_logs(env)
        test_readiness(env, abstract=False)
        test_readiness(env, abstract=True)
        test_reload(env)
        test_status(env)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
