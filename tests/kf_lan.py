# SPDX-License-Identifier: GPL-3.0-or-later
"""A LAN in a box: a few hosts in network namespaces, for tests and bench/run.

    lan = Lan()                       # raises Skip when namespaces cannot be made
    try:
        km = lan.host('km', avahi=True)
        ana = lan.host('ana')
        proc = km.popen([SERVER, ...])
    finally:
        lan.close()

Every host is a network namespace with its own `lo` (up) and one `eth0`,
a veth whose other end sits on a bridge.  The bridge lives in a namespace
of its own (the "switch"), so nothing in the namespace the test started
in is created, changed or removed: no interface, route, rule or mount.
Addresses come from 198.18.0.0/15, the range RFC 2544 sets aside for
test networks: host N is 198.18.0.N/24.  Names carry the process id so
that runs at the same time never meet.

A host made with avahi=True also gets a private D-Bus system bus (its own
dbus-daemon and config, its socket in the run's temporary folder) and an
`avahi-daemon` on it, with its own config, host name and a private /run
(a tmpfs mounted in a mount namespace of its own, for the daemon's pid
file): the machine's own bus and Avahi, if any, are never used.
Processes started with host.popen() get DBUS_SYSTEM_BUS_ADDRESS pointing
at that host's bus.

close() (also run on SIGTERM and at exit) kills every process started
here, by pid, and deletes the namespaces: deleting a namespace removes
its veth ends, and the switch's removal removes the bridge.
"""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time

SUBNET_PREFIX = '198.18.0.'
PREFIX_LEN = 24

DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONFIG = """[server]
host-name={host_name}
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes

[reflector]
enable-reflector=no
"""


class Skip(Exception):
    """Namespaces cannot be made here; the message says why."""


def _run(argv, check=True, timeout=20):
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


def _wait_for(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Host:
    """One namespace on the LAN: .ns, .addr, .env, popen(), run()."""

    def __init__(self, lan, name, index):
        self.lan = lan
        self.name = name
        self.ns = f'kf{lan.pid}-{name}'
        self.addr = f'{SUBNET_PREFIX}{index}'
        self.dir = os.path.join(lan.work, name)
        os.makedirs(self.dir)
        # Until start_bus(): a bus address where no bus is, so that nothing
        # here ever reaches the machine's own system bus.
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f'unix:path={self.dir}/no-bus')
        self.bus = None

    def argv(self, argv):
        return ['ip', 'netns', 'exec', self.ns] + list(argv)

    def popen(self, argv, env=None, **kw):
        """Starts @argv in this host's namespace; close() kills it."""
        proc = subprocess.Popen(self.argv(argv), env=env or self.env, **kw)
        self.lan.procs.append(proc)
        return proc

    def run(self, argv, check=True, timeout=20, env=None):
        return subprocess.run(self.argv(argv), capture_output=True, text=True, check=check,
                              timeout=timeout, env=env or self.env)

    def start_bus(self):
        """A private D-Bus system bus; sets DBUS_SYSTEM_BUS_ADDRESS in .env."""
        socket_path = os.path.join(self.dir, 'system_bus_socket')
        config = os.path.join(self.dir, 'dbus.conf')
        with open(config, 'w') as f:
            f.write(DBUS_CONFIG.format(socket=socket_path))
        log = open(os.path.join(self.dir, 'dbus.log'), 'w')
        self.popen(['dbus-daemon', '--nofork', '--nopidfile', '--config-file', config],
                   stdout=log, stderr=log)
        log.close()
        if not _wait_for(lambda: os.path.exists(socket_path), 10):
            raise RuntimeError(f'dbus-daemon of {self.name} did not start')
        self.bus = f'unix:path={socket_path}'
        self.env['DBUS_SYSTEM_BUS_ADDRESS'] = self.bus

    def start_avahi(self):
        """avahi-daemon on this host's bus, host name kf-NAME.local."""
        config = os.path.join(self.dir, 'avahi-daemon.conf')
        with open(config, 'w') as f:
            f.write(AVAHI_CONFIG.format(host_name=f'kf-{self.name}'))
        log = open(os.path.join(self.dir, 'avahi.log'), 'w')
        # A private /run in a mount namespace of its own: the daemon's pid
        # file and socket go there, never in the machine's /run.
        script = ('mount -t tmpfs kf-run /run && mkdir /run/avahi-daemon && '
                  'exec avahi-daemon --no-drop-root --no-chroot --no-rlimits '
                  '--no-proc-title -f "$0"')
        self.popen(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, config],
                   stdout=log, stderr=log)
        log.close()

        def ready():
            r = subprocess.run(['dbus-send', '--system', '--print-reply',
                                '--dest=org.freedesktop.Avahi', '/',
                                'org.freedesktop.Avahi.Server.GetState'],
                               capture_output=True, text=True, env=self.env, timeout=10)
            return r.returncode == 0 and 'int32 2' in r.stdout  # AVAHI_SERVER_RUNNING
        if not _wait_for(ready, 20, 0.1):
            raise RuntimeError(f'avahi-daemon of {self.name} did not start: ' + self.log('avahi'))

    def log(self, what):
        try:
            with open(os.path.join(self.dir, what + '.log'), errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def shape(self, rate=None, delay=None, loss=None):
        """Shapes this host's outgoing traffic on eth0: e.g. rate '1gbit',
        delay '1ms', loss '1%'.  With netem when the kernel has it; else
        the rate with tbf and the loss with iptables' statistic match,
        and no delay.  Returns what could not be applied, as words for a
        TAP note ([] when everything was)."""
        args = ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem']
        if delay:
            args += ['delay', delay]
        if loss:
            args += ['loss', loss]
        if rate:
            args += ['rate', rate]
        # netem holds packets: give it a queue as long as a second at rate.
        args += ['limit', '100000']
        if self.run(args, check=False).returncode == 0:
            return []
        if rate:
            # A bucket of 1 MB: far above what 1 Gbit/s sends in a tick.
            self.run(['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', rate,
                      'burst', '1mb', 'latency', '50ms'])
        if loss:
            probability = float(loss.rstrip('%')) / 100
            self.run(['iptables', '-A', 'OUTPUT', '-o', 'eth0', '-m', 'statistic', '--mode',
                      'random', '--probability', str(probability), '-j', 'DROP'])
        return [f'{delay} of delay (this kernel has no netem)'] if delay else []

    def drop_inbound_tcp(self, except_ports=()):
        """A firewall that silently drops every incoming TCP connection
        (SYN) but those to @except_ports: what a desktop firewall does."""
        for port in except_ports:
            self.run(['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', str(port),
                      '-j', 'ACCEPT'])
        self.run(['iptables', '-A', 'INPUT', '-p', 'tcp', '--syn', '-j', 'DROP'])


class Lan:
    """The switch namespace and its bridge; host() adds hosts."""

    def __init__(self):
        if os.geteuid() != 0:
            raise Skip('network namespaces need root')
        for tool in ('ip', 'unshare'):
            if shutil.which(tool) is None:
                raise Skip(f'{tool} is not installed')
        self.pid = os.getpid()
        self.work = tempfile.mkdtemp(prefix='kf-lan-')
        self.procs = []
        self.namespaces = []
        self.hosts = []
        self.closed = False
        self.switch = f'kf{self.pid}-sw'
        self._old_term = signal.signal(signal.SIGTERM, self._on_term)
        atexit.register(self.close)
        try:
            self._add_ns(self.switch)
        except (subprocess.CalledProcessError, OSError) as e:
            self.close()
            raise Skip(f'cannot make a network namespace: {getattr(e, "stderr", e)}'.strip())
        self._ns(self.switch, 'link', 'add', 'br0', 'type', 'bridge')
        self._ns(self.switch, 'link', 'set', 'br0', 'up')

    def _on_term(self, signum, frame):
        self.close()
        raise SystemExit(128 + signum)

    def _add_ns(self, name):
        _run(['ip', 'netns', 'add', name])
        self.namespaces.append(name)
        self._ns(name, 'link', 'set', 'lo', 'up')

    def _ns(self, ns, *args):
        return _run(['ip', '-n', ns] + list(args))

    def host(self, name, avahi=False):
        """A new host on the LAN; with @avahi, its own bus and avahi-daemon."""
        index = len(self.hosts) + 10
        host = Host(self, name, index)
        self._add_ns(host.ns)
        self.hosts.append(host)
        port = f'p{index}'
        self._ns(host.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port,
                 'netns', self.switch)
        self._ns(self.switch, 'link', 'set', port, 'master', 'br0', 'up')
        self._ns(host.ns, 'addr', 'add', f'{host.addr}/{PREFIX_LEN}', 'dev', 'eth0')
        self._ns(host.ns, 'link', 'set', 'eth0', 'multicast', 'on', 'up')
        if avahi:
            host.start_bus()
            host.start_avahi()
        return host

    def close(self):
        if self.closed:
            return
        self.closed = True
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for name in reversed(self.namespaces):
            subprocess.run(['ip', 'netns', 'delete', name], capture_output=True, timeout=20)
        shutil.rmtree(self.work, ignore_errors=True)
        signal.signal(signal.SIGTERM, self._old_term or signal.SIG_DFL)
