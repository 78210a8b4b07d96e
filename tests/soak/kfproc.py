# SPDX-License-Identifier: GPL-3.0-or-later
"""What tests/soak/run and tests/test-server-memory.py add to tests/kf_e2e.py.

The key manager's memory and descriptors read from /proc by its process
id, and transfer(): one receiver and one sender keyferry-cli run against
the key manager and checked as a user would check them (both exit
statuses, the key manager's verdict in both --json logs, both block counts
against the mode's rule, the received bytes), with a watchdog, so that
hundreds can run side by side in threads.
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import kf_e2e

KIB = 1024
MIB = 1024 * KIB


def figures(pid):
    """VmRSS and VmHWM (KiB), open descriptors and threads of @pid, now."""
    out = {}
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM', 'Threads'):
                out[key] = int(value.split()[0])
    out['fds'] = len(os.listdir(f'/proc/{pid}/fd'))
    return out


def settle(pid, fds, seconds):
    """Waits up to @seconds for @pid's descriptors to fall to @fds (closing
    connections finish asynchronously); returns its figures then."""
    deadline = time.monotonic() + seconds
    while True:
        now = figures(pid)
        if now['fds'] <= fds or time.monotonic() >= deadline:
            return now
        time.sleep(0.1)


def reset_peak(pid):
    """Sets @pid's VmHWM back to its VmRSS (5 to clear_refs, Linux >= 4.0),
    so that a later VmHWM is the peak since now."""
    with open(f'/proc/{pid}/clear_refs', 'w', encoding='ascii') as f:
        f.write('5')


def cpu_seconds(pid):
    """User + system CPU time @pid has used so far."""
    with open(f'/proc/{pid}/stat', encoding='ascii') as f:
        fields = f.read().rpartition(')')[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def malloc_trim(pid):
    """Has gdb call malloc_trim(0) in @pid, which gives the free heap glibc
    keeps for reuse back to the kernel; returns VmRSS afterwards, or None
    without gdb or ptrace."""
    gdb = shutil.which('gdb')
    if gdb is None:
        return None
    done = subprocess.run([gdb, '-nx', '-batch', '-p', str(pid),
                           '-ex', 'call (int) malloc_trim(0)'],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    if done.returncode != 0 or b'$1 = ' not in done.stdout:
        return None
    return figures(pid)['VmRSS']


def expected_blocks(mode, size):
    """The AES blocks both sides count: CBC pads (always one more block),
    CFB-128 does not."""
    return size // 16 + 1 if mode == 'cbc' else (size + 15) // 16


def json_events(text):
    """The --json events of a keyferry-cli log, in order; other lines skipped."""
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and 'event' in event:
            events.append(event)
    return events


def _last(events, name):
    found = [e for e in events if e.get('event') == name]
    return found[-1] if found else None


class Transfer:
    """The outcome of one transfer: ok, the problems seen, both sides' logs
    and the client ids the key manager gave them."""

    def __init__(self):
        self.problems = []
        self.receiver = {'status': None, 'stdout': '', 'stderr': '', 'id': None}
        self.sender = {'status': None, 'stdout': '', 'stderr': '', 'id': None}
        self.seconds = 0.0
        self.times = {}  # seconds from the receiver's start to each step
        self.size = 0
        self.mode = None

    @property
    def ok(self):
        return not self.problems

    def describe(self):
        """Both sides' exit statuses and output, for a failure report."""
        parts = ['; '.join(self.problems)]
        for side in ('receiver', 'sender'):
            run = getattr(self, side)
            parts.append(f'{side}: exit status {run["status"]}')
            parts += [f'  {side} stdout: {line}' for line in run['stdout'].splitlines()]
            parts += [f'  {side} stderr: {line}' for line in run['stderr'].splitlines()]
        return '\n'.join(parts)


_live = set()
_live_lock = threading.Lock()
_closed = False


def _spawn(argv, env, stdout, stderr):
    """Starts a keyferry-cli in its own process group, registered for
    kill_all()."""
    if _closed:
        raise RuntimeError('kill_all() was called: no more keyferry-cli processes')
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            env=env, start_new_session=True)
    with _live_lock:
        _live.add(proc)
        closed = _closed
    if closed:  # kill_all() ran while it started
        _kill(proc)
    return proc


def _kill(proc):
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    with _live_lock:
        _live.discard(proc)


def kill_all():
    """Kills every keyferry-cli that transfer() started and that still runs,
    and starts no other."""
    global _closed
    with _live_lock:
        _closed = True
        procs = list(_live)
    for proc in procs:
        _kill(proc)


# How long a receiver may still run once its sender exited: the verdict
# reaches both at once, so only a fault takes longer.
RECEIVER_GRACE = 30


class _Watchdog:
    """Kills the processes of one transfer when its time is up."""

    def __init__(self):
        self.procs = {}
        self.reason = None
        self.timer = None

    def arm(self, seconds, reason):
        """(Re)starts the countdown: after @seconds, kill with @reason."""
        if self.timer is not None:
            self.timer.cancel()
        self.timer = threading.Timer(max(0.0, seconds), self._fire, (reason,))
        self.timer.start()

    def _fire(self, reason):
        self.reason = reason
        for proc in list(self.procs.values()):
            _kill(proc)

    def spawn(self, side, argv, env, stderr):
        proc = _spawn(argv, env, subprocess.PIPE, stderr)
        self.procs[side] = proc
        if self.reason is not None:  # it fired while this one started
            _kill(proc)
        return proc

    def stop(self):
        self.timer.cancel()
        for proc in self.procs.values():
            _kill(proc)
            proc.stdout.close()


def transfer(cli, server, slot_dir, name, source, digest, mode, timeout=120, env=None,
             think=0.0, gate=None):
    """Runs `keyferry-cli --json wait --accept --output DIR` against
    @server (a kf_e2e.Server) and, once it
    says it waits, @think seconds later and holding @gate (a semaphore, if
    any) until it exits, `keyferry-cli --json send --to ID --mode MODE
    SOURCE`; each in its own process group.  Both are killed after @timeout
    seconds, or RECEIVER_GRACE seconds after the sender exited.  @slot_dir
    holds the receiver's output directory and the stderr logs; the received
    file is removed once it was checked.  Returns a Transfer."""
    result = Transfer()
    result.size = os.path.getsize(source)
    result.mode = mode
    out_dir = os.path.join(slot_dir, 'out')
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    common = [cli, '--server', f'127.0.0.1:{server.port}', '--fingerprint', server.fp, '--json']
    errs = {side: open(os.path.join(slot_dir, f'{side}.err'), 'w+', encoding='utf-8')
            for side in ('receiver', 'sender')}
    dog = _Watchdog()
    start = time.monotonic()
    dog.arm(timeout, f'killed after {timeout:g} s without an outcome')
    try:
        receiver = dog.spawn('receiver', common + ['--name', f'{name}-r', 'wait', '--accept',
                                                   '--output', out_dir],
                             env, errs['receiver'])
        received = _read_until_waiting(receiver.stdout)
        result.times['waiting'] = time.monotonic() - start
        result.receiver['id'] = _connected_id(received)
        if result.receiver['id'] is None or not _has(received, 'waiting'):
            result.problems.append('the receiver never said it was waiting')
        else:
            time.sleep(think)
            with gate if gate is not None else contextlib.nullcontext():
                _send(dog, common + ['--name', f'{name}-s', 'send', '--to',
                                     str(result.receiver['id']), '--mode', mode, source],
                      env, errs['sender'], result, start)
            dog.arm(min(RECEIVER_GRACE, start + timeout - time.monotonic()),
                    f'the receiver still ran {RECEIVER_GRACE} s after the sender exited')
        for line in receiver.stdout:
            received += line.decode('utf-8', 'replace')
            if _has(line.decode('utf-8', 'replace'), 'result'):
                result.times['receiver result'] = time.monotonic() - start
        result.receiver['stdout'] = received
        result.receiver['status'] = receiver.wait()
    finally:
        dog.stop()
        result.seconds = time.monotonic() - start
        for side, f in errs.items():
            f.seek(0)
            getattr(result, side)['stderr'] = f.read()
            f.close()
    if dog.reason is not None:
        result.problems.append(dog.reason)
    if not result.problems:
        _check(result, out_dir, source, result.size, digest, mode)
    shutil.rmtree(out_dir, ignore_errors=True)
    return result


def _send(dog, argv, env, stderr, result, start):
    """Runs the sender to its end, unless the watchdog already fired."""
    if dog.reason is not None:
        return
    sender = dog.spawn('sender', argv, env, stderr)
    result.times['sender started'] = time.monotonic() - start
    result.sender['stdout'] = sender.stdout.read().decode('utf-8', 'replace')
    result.sender['status'] = sender.wait()
    result.times['sender exited'] = time.monotonic() - start
    result.sender['id'] = _connected_id(result.sender['stdout'])


def _read_until_waiting(stream):
    """Reads the receiver's --json lines until its "waiting" event or the
    end of its output; returns what it read."""
    text = ''
    while True:
        line = stream.readline().decode('utf-8', 'replace')
        text += line
        if not line or _has(line, 'waiting'):
            return text


def _has(text, name):
    return any(e.get('event') == name for e in json_events(text))


def _connected_id(text):
    connected = _last(json_events(text), 'connected')
    return connected.get('client_id') if connected else None


def _check(result, out_dir, source, size, digest, mode):
    """What a user would check after a transfer, added to result.problems."""
    problems = result.problems
    want = expected_blocks(mode, size)
    for side in ('sender', 'receiver'):
        run = getattr(result, side)
        if run['status'] != 0:
            problems.append(f'the {side} exited with status {run["status"]}')
        verdict = _last(json_events(run['stdout']), 'result')
        if verdict is None:
            problems.append(f'the {side} printed no result event')
            continue
        if verdict.get('status') != 'confirmed':
            problems.append(f'the {side} got the verdict {verdict.get("status")!r}, not confirmed')
        counts = (verdict.get('sender_blocks'), verdict.get('receiver_blocks'))
        if counts != (want, want):
            problems.append(f'the {side} reports block counts {counts}, {mode} wants {want}')
        if verdict.get('bytes') != size:
            problems.append(f'the {side} reports {verdict.get("bytes")} bytes, not {size}')
    received = os.path.join(out_dir, os.path.basename(source))
    entries = sorted(os.listdir(out_dir))
    if entries != [os.path.basename(source)]:
        problems.append(f'the output directory holds {entries}')
    elif os.path.getsize(received) != size or kf_e2e.sha256_file(received) != digest:
        problems.append('the received file differs from the one sent')
