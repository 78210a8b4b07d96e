#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench/lan-shaped.py BUILD_DIR [MIB [RUNS [LATENCY_RUNS]]]: Keyferry over a
link shaped to 1 Gbit/s with 1 ms of delay, between hosts of a LAN in a box
(tests/kf_lan.py: network namespaces, 198.18.0.0/15; nothing outside them
is touched).  bench/run calls it; it can run alone.

Hosts: the key manager, a sender and a receiver; the sender's and the
receiver's eth0 are shaped (netem rate 1gbit delay 1ms; where the kernel
has no netem: tbf rate 1gbit and no delay, said in the table).  Measured in
the same run, each RUNS times, median (min-max):

  - the link's own limit: a plain TCP copy of MIB MiB (socat, file to
    /dev/null);
  - keyferry-cli send of the same file, CBC, from the sender's start to
    both processes' end (the file written and the key manager's verdict);
  - scp -c aes256-ctr of the same file to an sshd on the receiver's host;
  - the time from starting `keyferry-cli send` to the receiver seeing the
    offer (the first record on the peer link), LATENCY_RUNS times with a
    64 KiB file: median and p99.

Prints one tab-separated line per figure: figure, value, reference,
reference value, ratio, target, verdict (bench/run's table rows).
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'tests'))
import kf_lan  # noqa: E402

build = sys.argv[1]
mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
latency_runs = int(sys.argv[4]) if len(sys.argv) > 4 else 50
CLI = os.path.join(build, 'cli', 'keyferry-cli')
SERVER = os.path.join(build, 'server', 'keyferry-server')
MB = mib * 1048576 / 1e6


def log(text):
    print(f'bench/lan-shaped: {text}', file=sys.stderr, flush=True)


def fmt3(values, digits=1):
    med = statistics.median_low(values)
    return f'{med:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})', med


def row(*cells):
    print('\t'.join(str(c) for c in cells), flush=True)


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def listening(host, port):
    out = host.run(['ss', '-ltn', f'sport = :{port}'], check=False).stdout
    return 'LISTEN' in out


def tcp_copy(sender, receiver, src, port):
    sink = receiver.popen(['socat', '-u', f'TCP-LISTEN:{port},reuseaddr', 'OPEN:/dev/null'])
    wait_for(lambda: listening(receiver, port), 10)
    t0 = time.monotonic()
    sender.run(['socat', '-u', f'OPEN:{src}', f'TCP:{receiver.addr}:{port}'], timeout=600)
    sink.wait(timeout=60)
    return time.monotonic() - t0


class Keyferry:
    def __init__(self, km, sender, receiver, work):
        self.km, self.sender, self.receiver, self.work = km, sender, receiver, work
        log_path = os.path.join(work, 'km.log')
        with open(log_path, 'w') as log_file:
            km.popen([SERVER, '--listen', km.addr, '--port', '7745', '--no-announce',
                      '--state-dir', os.path.join(work, 'km')], stderr=log_file)
        text = wait_for(lambda: re.search(r'link keyferry://\S*[?&]fp=([0-9a-f]{64})',
                                          open(log_path).read()), 20)
        if not text:
            raise RuntimeError('keyferry-server did not start')
        self.fp = text.group(1)
        self.n = 0

    def argv(self, name):
        return [CLI, '--server', f'{self.km.addr}:7745', '--fingerprint', self.fp,
                '--name', name, '--json']

    def once(self, src):
        """One transfer; returns (total seconds, seconds to the receiver's
        offer event)."""
        self.n += 1
        name = f'r{self.n}'
        out = os.path.join(self.work, 'in-' + name)
        os.makedirs(out)
        env = dict(os.environ, HOME=self.work, XDG_DATA_HOME=os.path.join(self.work, 'data'))
        recv = self.receiver.popen(self.argv(name) + ['wait', '--accept', '--output', out],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, text=True)
        marks = {}
        waiting = threading.Event()

        def read():
            for line in recv.stdout:
                if '"waiting"' in line:
                    waiting.set()
                elif '"offer"' in line and 'offer' not in marks:
                    marks['offer'] = time.monotonic()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if not waiting.wait(20):
            raise RuntimeError('the receiver did not wait')
        t0 = time.monotonic()
        send = self.sender.run(self.argv('s' + name) + ['send', '--to', name, '--mode', 'cbc',
                                                         src], check=False, timeout=600, env=env)
        recv.wait(timeout=60)
        t1 = time.monotonic()
        reader.join(10)
        got = os.path.join(out, os.path.basename(src))
        ok = send.returncode == 0 and recv.returncode == 0 and os.path.getsize(got) == os.path.getsize(src)
        shutil.rmtree(out, ignore_errors=True)
        if not ok:
            raise RuntimeError(f'transfer failed: {send.stderr}')
        return t1 - t0, marks.get('offer', t1) - t0


def start_sshd(host, work):
    d = os.path.join(work, 'ssh')
    os.makedirs(d)
    for key in ('host_key', 'client_key'):
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', os.path.join(d, key)],
                       check=True)
    shutil.copy(os.path.join(d, 'client_key.pub'), os.path.join(d, 'authorized_keys'))
    with open(os.path.join(d, 'sshd_config'), 'w') as f:
        f.write(f"""Port 22
ListenAddress {host.addr}
HostKey {d}/host_key
AuthorizedKeysFile {d}/authorized_keys
PidFile {d}/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
""")
    # sshd wants /run/sshd: a private /run in its own mount namespace.
    host.popen(['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                'mount -t tmpfs kf-run /run && mkdir /run/sshd && exec /usr/sbin/sshd -D -e -f "$0"',
                os.path.join(d, 'sshd_config')], stderr=open(os.path.join(d, 'log'), 'w'))
    if not wait_for(lambda: listening(host, 22), 10):
        raise RuntimeError('sshd did not start')
    return d


def scp_once(sender, receiver, ssh_dir, src, work):
    t0 = time.monotonic()
    r = sender.run(['scp', '-q', '-c', 'aes256-ctr', '-i', os.path.join(ssh_dir, 'client_key'),
                '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
                '-o', f'UserKnownHostsFile={ssh_dir}/known_hosts', src,
                f'root@{receiver.addr}:{work}/scp.out'], timeout=600, check=False)
    if r.returncode != 0:
        raise RuntimeError(f'scp failed: {r.stderr.strip()}')
    took = time.monotonic() - t0
    os.unlink(os.path.join(work, 'scp.out'))
    return took


def main():
    work = tempfile.mkdtemp(prefix='kf-bench-lan-', dir='/var/tmp')
    try:
        lan = kf_lan.Lan()
    except kf_lan.Skip as e:
        row('shaped 1 Gbit/s link', 'not measured', str(e), '-', '-', '-', '-')
        return 0
    try:
        km, sender, receiver = lan.host('km'), lan.host('snd'), lan.host('rcv')
        missing = sender.shape(rate='1gbit', delay='1ms') + receiver.shape(rate='1gbit', delay='1ms')
        link = '1 Gbit/s + 1 ms' if not missing else '1 Gbit/s (tbf; no netem here: no delay)'
        src = os.path.join(work, 'src.bin')
        small = os.path.join(work, 'small.bin')
        with open(src, 'wb') as f:
            for _ in range(mib):
                f.write(os.urandom(1048576))
        with open(small, 'wb') as f:
            f.write(os.urandom(65536))
        os.sync()
        kf = Keyferry(km, sender, receiver, work)
        ssh_dir = None
        if shutil.which('scp') and os.path.exists('/usr/sbin/sshd'):
            ssh_dir = start_sshd(receiver, work)
        tcp, kfr, scp = [], [], []
        for r in range(runs):
            log(f'run {r + 1}/{runs}: TCP copy, keyferry, scp of {mib} MiB over {link}')
            tcp.append(MB / tcp_copy(sender, receiver, src, 5000 + r))
            kfr.append(MB / kf.once(src)[0])
            if ssh_dir:
                scp.append(MB / scp_once(sender, receiver, ssh_dir, src, work))
        log(f'{latency_runs} sends of 64 KiB for the time to the first record')
        first = sorted(kf.once(small)[1] * 1000 for _ in range(latency_runs))

        tcp_s, tcp_med = fmt3(tcp)
        kf_s, kf_med = fmt3(kfr)
        ratio = kf_med / tcp_med
        row(f'keyferry {mib} MiB CBC over {link} (MB/s)', kf_s, 'plain TCP copy, same link (socat)',
            tcp_s, f'{ratio:.2f}', '>= 0.95', 'met' if ratio >= 0.95 else 'MISSED')
        if scp:
            scp_s, scp_med = fmt3(scp)
            row(f'keyferry {mib} MiB CBC over {link} (MB/s)', kf_s, 'scp -c aes256-ctr, same link',
                scp_s, f'{kf_med / scp_med:.2f}', 'report', '-')
        p99 = first[min(len(first) - 1, int(round(0.99 * (len(first) - 1))))]
        row(f'keyferry-cli send start -> receiver sees the offer, {link} (ms)',
            f'median {statistics.median_low(first):.1f}, p99 {p99:.1f} (n = {len(first)})',
            '-', '-', '-', 'report', '-')
    finally:
        lan.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
