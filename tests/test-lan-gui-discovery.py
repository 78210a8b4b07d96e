#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app's connect page on a LAN in a box (tests/kf_lan.py): real
avahi-daemons, a real key manager on another host.  TAP.

test-lan-gui-discovery.py RUN_GUI DRIVER: keyferry-server --site-name
"Lab 3" announces itself on one host; on another, DRIVER
(kf-gui-lan-driver, the real app window under Xvfb, through RUN_GUI)
waits until the connect page lists "Lab 3" at its address, new, chooses
it, and connects through the trust dialog: the announced fingerprint is
never trusted by itself.  The key manager then has the app as a client.

Skipped only where network namespaces cannot be made.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import SERVER, Tap, wait_until  # noqa: E402
import kf_lan  # noqa: E402


def main():
    run_gui, driver = sys.argv[1], sys.argv[2]
    tap = Tap()
    try:
        lan = kf_lan.Lan()
    except kf_lan.Skip as e:
        print(f'1..0 # SKIP {e}')
        return 0
    try:
        km = lan.host('km', avahi=True)
        ana = lan.host('ana', avahi=True)
        log_path = os.path.join(km.dir, 'server.log')
        with open(log_path, 'w') as log:
            km.popen([SERVER, '--port', '7745', '--state-dir', os.path.join(km.dir, 'state'),
                      '--site-name', 'Lab 3'], stderr=log)

        def server_log():
            with open(log_path, errors='replace') as f:
                return f.read()
        started = wait_until(lambda: 'link keyferry://' in server_log(), 20, 0.05)
        tap.check(started, 'the key manager starts and announces itself', server_log())

        env = dict(ana.env, KF_LAN_SITE='Lab 3', KF_LAN_TARGET=f'{km.addr}:7745',
                   HOME=ana.dir)
        env.pop('DISPLAY', None)
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        r = ana.run([run_gui, driver, '--tap'], check=False, timeout=90, env=env)
        tap.check(r.returncode == 0 and re.search(r'^ok 1 ', r.stdout, re.M),
                  'the app lists "Lab 3" on another host, new, and connects through the '
                  'trust dialog', r.stdout + r.stderr)
        joined = wait_until(lambda: re.search(r'Client \d+ \(Lan\) joined from '
                                              + re.escape(ana.addr), server_log()), 10, 0.05)
        tap.check(joined, 'the key manager greeted the app from the other host', server_log())
    finally:
        lan.close()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
