#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What keyferry-cli reads from its user, read as the app reads it.  TAP.

- --server goes through the parser the app uses (issue 13, item 2): blanks
  around it are ignored, and a host with a blank or a port out of range is
  a usage error (exit 2) that says what to write, not a failed connection;
- without --name the display name is the account's real name, which comes
  from a passwd file of the test's own (nss_wrapper), 70 characters long
  with a two-byte letter across the 64th: the real keyferry-cli must
  connect and wait under the first 64 characters of it, cut between
  characters, as the app does, not be refused by the key manager.
"""
import os
import pwd
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kf_e2e  # noqa: E402
from kf_e2e import Env, Tap  # noqa: E402

NSS_WRAPPER = '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so'
tap = Tap()


def waiting_names(server):
    """The names of the clients waiting at @server, as a sender sees them."""
    km = kf_e2e.KmClient(server.port, server.fp)
    try:
        km.join('looker')
        km.send('send')
        names = []
        while True:
            line = km.line()
            if not line or line.startswith('ok send'):
                return names
            if line.startswith('peer '):
                names.append(urllib.parse.unquote(line.split(' ')[2]))
    finally:
        km.close()


def long_real_name(env, server):
    if not os.path.exists(NSS_WRAPPER):
        tap.check(True, f'the default display name # SKIP {NSS_WRAPPER} is missing '
                  '(Debian package libnss-wrapper)')
        return
    real = 'Ana-Maria ' + 'x' * 53 + 'ă' + 'Popescu'       # the 64th character is 'ă'
    me = pwd.getpwuid(os.getuid())
    passwd = os.path.join(env.work, 'passwd')
    group = os.path.join(env.work, 'group')
    with open(passwd, 'w') as f:
        f.write(f'{me.pw_name}:x:{me.pw_uid}:{me.pw_gid}:{real}:{env.work}/home:/bin/sh\n')
    with open(group, 'w') as f:
        f.write(f'{me.pw_name}:x:{me.pw_gid}:\n')
    # RTLD_DEEPBIND, which nss_wrapper uses by default to load libc, is
    # refused by AddressSanitizer's runtime.
    extra = dict(LD_PRELOAD=NSS_WRAPPER, NSS_WRAPPER_PASSWD=passwd,
                 NSS_WRAPPER_GROUP=group, NSS_WRAPPER_DISABLE_DEEPBIND='1', LOGNAME=me.pw_name,
                 ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    cli = env.cli(server, None, ['wait'], extra_env=extra)
    waiting = cli.wait_event('waiting', 20)
    tap.check(waiting is not None,
              'with a 70-character real name and no --name, keyferry-cli connects and waits',
              cli.err())
    names = waiting_names(server) if waiting else []
    tap.check(names == [real[:64]] and len(names[0]) == 64 and names[0].endswith('ă'),
              'the key manager sees the real name cut to 64 characters, between characters',
              repr(names))
    cli.kill()


def server_option(env, server):
    argv = [kf_e2e.CLI, '--fingerprint', server.fp, '--name', 'blanks', '--json', 'wait']
    proc = subprocess.Popen(argv[:1] + ['--server', f' 127.0.0.1:{server.port} '] + argv[1:],
                            env=env.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    proc.kill()
    _, err = proc.communicate()
    tap.check('"connected"' in line, '--server with blanks around it connects', f'{line} {err}')
    for text, says in (('km.example:70000', '1 to 65535'), ('a b', 'HOST:PORT'),
                       ('[::1', '[IPv6]:PORT')):
        proc = subprocess.run(argv[:1] + ['--server', text] + argv[1:], env=env.env,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
        tap.check(proc.returncode == 2 and '--server' in proc.stderr and says in proc.stderr,
                  f'--server {text!r} is a usage error (exit 2) saying what to write',
                  f'exit {proc.returncode}: {proc.stderr}')


def main():
    env = Env()
    try:
        server = env.server()
        server.start()
        server_option(env, server)
        long_real_name(env, server)
    finally:
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
