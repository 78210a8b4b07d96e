#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Endless lines and unread replies against the real keyferry-server.

A line is at most 4096 bytes (docs/PROTOCOL.md, part 1, section 3), so the
key manager must answer `err bad-line` to a client that sends more without
a newline, close that connection, and hold no more than the 4 KiB line
buffer for it however much the client sends.  This test starts the real
binary on 127.0.0.1, greets one client that pings it every 50 ms
throughout, and sends:

  1. one 1 MiB line, before `hello`;
  2. one 100 MiB line before `hello` and one after;
  3. three rounds of 8 clients sending 100 MiB and 8 sending 1 MiB at
     once (half of them after `hello`), each from its own loopback address,
     127.0.0.2-17, so that the limit of 8 connections per address in their
     greeting does not drop them first; in each round two keyferry-cli
     processes transfer a file through the key manager at the same time;
  4. then up to 32 MiB of `ping` lines from a client that never reads:
     the key manager may queue 256 KiB of replies for it, then drops it
     (docs/PROTOCOL.md, section 8), and must not hold much more meanwhile.

A flooding client writes until the key manager closes the connection, then
reads what it was told.  The key manager's VmRSS, VmHWM and descriptors
come from /proc; the baseline is taken before any client connects, and the
peak (VmHWM) is reset to it then.

The bounds: holding a 1 MiB line for each of the 16 clients of a round would
cost 16 MiB, holding a 100 MiB line 100 MiB; legitimately each connection
costs its TLS session and the 4 KiB line buffer (~35 KiB,
docs/PERFORMANCE.md) and the first ones start GIO's worker threads (about
2-3 MiB measured).  So the peak may be at most 8 MiB above the baseline, the
memory left after the rounds at most 6 MiB, and each round may leave at most
2 MiB more than the one before (0.05-0.6 MiB measured, the allocator
settling); descriptors must return to the baseline.  The slow reader's
256 KiB of replies are ~32,000 queued `ok ping` lines, about 80 bytes each
with their GBytes: it may add at most 8 MiB (3-4 MiB measured; 135 MiB while
every queued line held 4 KiB of libgcrypt's secure memory, which is never
given back).  In an AddressSanitizer build the memory bounds are skipped
(its quarantine keeps freed memory) and LeakSanitizer checks the exit
instead.  TAP, with the measured figures as diagnostics.
"""
import os
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'soak'))
import kfproc  # noqa: E402
from kf_e2e import CLI, SERVER, Env, KmClient, Tap, sha256_file  # noqa: E402

MIB = kfproc.MIB
PEAK_BOUND_KIB = 8 * 1024
LEFT_BOUND_KIB = 6 * 1024
ROUND_GROWTH_KIB = 2048
ROUNDS = 3
SLOW_LIMIT = 32 * MIB  # bytes of `ping` lines; the kernel's buffers hold a few MiB of replies
SLOW_BOUND_KIB = 8 * 1024
CHUNK = 16 * 1024  # one TLS record: the count of bytes written is exact to a record
tap = Tap()


def sanitized(binary):
    """True for an AddressSanitizer build (script/test --sanitize): its
    quarantine keeps freed memory on purpose, so RSS says nothing there;
    LeakSanitizer checks the key manager's exit instead."""
    with open(binary, 'rb') as f:
        return b'__asan_init' in f.read()


def request(client, line, timeout=10):
    client.send(line)
    return client.line(timeout)


def flood(server, source, size, hello, out):
    """Sends @size bytes of 'a' without a newline until the key manager
    closes the connection; stores what happened in @out."""
    out.update(written=0, closed=False, reply=None, error=None, seconds=0.0)
    try:
        client = KmClient(server.port, server.fp, source)
        if hello:
            client.join(f'flood-{source}')
        else:
            client.greeting()
    except Exception as error:  # the flood never started: reported by the caller
        out['error'] = f'connecting: {error!r}'
        return
    chunk = b'a' * CHUNK
    start = time.monotonic()
    client.sock.settimeout(10)
    try:
        while out['written'] < size:
            out['written'] += client.sock.send(chunk[:min(CHUNK, size - out['written'])])
    except TimeoutError:  # neither read nor closed for 10 s
        out['error'] = f'the key manager stopped reading after {out["written"]} bytes'
        client.close()
        return
    except (OSError, ssl.SSLError):  # the key manager closed: expected
        pass
    # line(): '' at the end of the stream or a reset, None after the timeout.
    out['reply'] = client.line(10)
    out['closed'] = out['reply'] == '' or (out['reply'] is not None and client.line(10) == '')
    if out['reply'] is None:
        out['error'] = 'no answer and no close within 10 s'
    out['seconds'] = time.monotonic() - start
    client.close()


class Pinger(threading.Thread):
    """A greeted client that sends `ping` every 50 ms and times each reply."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client = client
        self.stopping = threading.Event()
        self.count = 0
        self.worst = 0.0
        self.failure = None

    def run(self):
        while not self.stopping.wait(0.05):
            start = time.monotonic()
            reply = request(self.client, 'ping', timeout=5)
            if reply != 'ok ping':
                self.failure = f'ping answered {reply!r}'
                return
            self.count += 1
            self.worst = max(self.worst, time.monotonic() - start)

    def stop(self):
        self.stopping.set()
        self.join()


def cli_transfer(env, server, tag, source, digest):
    slot = env.folder(tag)
    client_env = dict(env.env, HOME=slot, XDG_DATA_HOME=os.path.join(slot, 'data'))
    return kfproc.transfer(CLI, server, slot, tag, source, digest, 'cbc', timeout=60,
                           env=client_env)


def check_flood(name, outs):
    """Every flooding client was told `err bad-line` and cut off before it
    finished.  The answer is sent before the close, so the client reads it
    even after the kernel reset the connection."""
    bad = []
    for source, size, out in outs:
        if out.get('error'):
            bad.append(f'{source}: {out["error"]}')
        elif not out['reply']:
            bad.append(f'{source}: closed without `err bad-line`')
        elif not out['reply'].startswith('err bad-line '):
            bad.append(f'{source}: answered {out["reply"]!r}')
        elif not out['closed']:
            bad.append(f'{source}: the connection stayed open')
        elif size > MIB and out['written'] >= size:
            bad.append(f'{source}: all {size} bytes were taken')
    tap.check(not bad, name, '\n'.join(bad))
    written = [out['written'] for _, size, out in outs if size > MIB]
    if written:
        tap.note(f'the 100 MiB clients could write {min(written) / MIB:.2f}-'
                 f'{max(written) / MIB:.2f} MiB before the key manager closed them (into the '
                 'kernel\'s socket buffers, where the key manager left them unread)')
    tap.note(f'the slowest was closed {max(o["seconds"] for _, _, o in outs) * 1000:.0f} ms '
             'after its first byte')


def run_round(env, server, number, source, digest):
    """8 x 100 MiB and 8 x 1 MiB at once, from 127.0.0.2-17, with a
    keyferry-cli transfer under way."""
    outs = []
    threads = []
    for i in range(16):
        size = 100 * MIB if i < 8 else MIB
        out = {}
        outs.append((f'127.0.0.{i + 2}', size, out))
        threads.append(threading.Thread(target=flood, args=(server, f'127.0.0.{i + 2}', size,
                                                             i % 2 == 1, out)))
    done = {}
    threads.append(threading.Thread(target=lambda: done.update(
        t=cli_transfer(env, server, f'round{number}', source, digest))))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check_flood(f'round {number}: 16 clients at once, 8 x 100 MiB and 8 x 1 MiB: '
                'err bad-line and cut off', outs)
    t = done['t']
    tap.check(t.ok, f'round {number}: a keyferry-cli transfer during the flood is confirmed '
              'and identical', t.describe())


def slow_reader(server, pid):
    """A greeted client sends `ping` and never reads a reply.  The key
    manager may queue 256 KiB of unread replies (docs/PROTOCOL.md, section
    8), then drops it.  Returns what went wrong with the drop (None if
    nothing) and how far VmHWM rose above VmRSS before, in KiB."""
    before = kfproc.figures(pid)
    client = KmClient(server.port, server.fp, '127.0.0.18')
    client.join('slow')
    chunk = b'ping\n' * 65536
    sent = 0
    start = time.monotonic()
    client.sock.settimeout(10)
    problem = None
    try:
        while sent < SLOW_LIMIT:
            client.sock.sendall(chunk)
            sent += len(chunk)
        problem = f'still connected after {sent // 5} unread pings'
    except TimeoutError:
        problem = f'the key manager stopped reading after {sent // 5} pings but kept the client'
    except (OSError, ssl.SSLError):  # dropped: expected
        pass
    seconds = time.monotonic() - start
    client.close()
    after = kfproc.settle(pid, before['fds'], 5)
    peak = after['VmHWM'] - before['VmRSS']
    tap.note(f'the slow reader was dropped after about {sent // 5} pings, {seconds:.1f} s; '
             f'VmHWM meanwhile {after["VmHWM"]} KiB = before + {peak} KiB, '
             f'VmRSS after it left {after["VmRSS"]} KiB')
    return problem, peak


def warm_up(env, server, source, digest):
    """What every connection uses (TLS, GIO's worker threads, the
    allocator's arenas) before any flood: a transfer and 16 clients greeted
    at once."""
    warm = cli_transfer(env, server, 'warm', source, digest)
    tap.check(warm.ok, 'a keyferry-cli transfer before the flood is confirmed and identical',
              warm.describe())
    greeted = [KmClient(server.port, server.fp, f'127.0.0.{i + 2}') for i in range(16)]
    for i, client in enumerate(greeted):
        client.join(f'warm{i}')
        request(client, 'end')
        client.close()


def floods(env, server, pid, alone, source, digest):
    """The single clients, then the rounds.  Returns VmRSS after each round."""
    out = {}
    flood(server, '127.0.0.1', MIB, False, out)
    check_flood('1 MiB without a newline, before hello: err bad-line, then closed',
                [('127.0.0.1', MIB, out)])
    outs = []
    for hello in (False, True):
        out = {}
        flood(server, '127.0.0.1', 100 * MIB, hello, out)
        outs.append(('127.0.0.1', 100 * MIB, out))
    check_flood('100 MiB without a newline, before and after hello: err bad-line, cut off',
                outs)
    tap.note(f'after the single clients: VmHWM {kfproc.figures(pid)["VmHWM"]} KiB')
    left = []
    for number in range(1, ROUNDS + 1):
        run_round(env, server, number, source, digest)
        now = kfproc.settle(pid, alone['fds'] + 1, 5)
        left.append(now['VmRSS'])
        tap.note(f'after round {number}: VmRSS {now["VmRSS"]} KiB, VmHWM {now["VmHWM"]} KiB, '
                 f'{now["fds"]} descriptors')
    return left


def asan_skip():
    """The TAP directive for a memory bound in a sanitizer build, or ''."""
    if sanitized(SERVER):
        return ' # SKIP AddressSanitizer keeps freed memory in its quarantine'
    return ''


def check_memory(pid, alone, left):
    end = kfproc.settle(pid, alone['fds'] + 1, 5)
    skip = asan_skip()
    peak = end['VmHWM'] - alone['VmRSS']
    tap.check(peak <= PEAK_BOUND_KIB or skip,
              f'peak memory at most {PEAK_BOUND_KIB // 1024} MiB above the baseline{skip}',
              f'VmHWM {end["VmHWM"]} KiB')
    tap.note(f'peak: VmHWM {end["VmHWM"]} KiB = baseline + {peak} KiB')
    grown = end['VmRSS'] - alone['VmRSS']
    tap.check(grown <= LEFT_BOUND_KIB or skip,
              f'memory left after the flood at most {LEFT_BOUND_KIB // 1024} MiB above the '
              f'baseline{skip}', f'VmRSS {end["VmRSS"]} KiB')
    tap.note(f'left: VmRSS {end["VmRSS"]} KiB = baseline + {grown} KiB, 1 client still connected')
    steps = [b - a for a, b in zip(left, left[1:])]
    tap.check(all(s <= ROUND_GROWTH_KIB for s in steps) or skip,
              f'no round leaves more than {ROUND_GROWTH_KIB} KiB more than the one before{skip}',
              f'steps {steps}')
    tap.note('VmRSS after each round: ' + ', '.join(f'{v} KiB' for v in left))


def main():
    env = Env()
    server = env.server()
    pinger = None
    try:
        server.start()
        pid = server.proc.pid
        source = env.random('file.bin', MIB + 17)
        digest = sha256_file(source)
        alone = kfproc.figures(pid)
        kfproc.reset_peak(pid)
        tap.note(f'baseline, no client yet: VmRSS {alone["VmRSS"]} KiB, {alone["fds"]} '
                 f'descriptors, {alone["Threads"]} threads')
        legit = KmClient(server.port, server.fp)
        legit_id = legit.join('legit')
        warm_up(env, server, source, digest)
        request(legit, 'ping')
        ready = kfproc.settle(pid, alone['fds'] + 1, 5)
        tap.note(f'before the flood, 1 client connected: VmRSS {ready["VmRSS"]} KiB, VmHWM '
                 f'{ready["VmHWM"]} KiB, {ready["fds"]} descriptors, {ready["Threads"]} threads')

        pinger = Pinger(legit)
        pinger.start()
        left = floods(env, server, pid, alone, source, digest)
        pinger.stop()
        tap.check(pinger.failure is None and pinger.count > 0,
                  'the greeted client was answered every ping during the flood', pinger.failure)
        tap.check(pinger.worst < 2.0, 'no ping waited 2 s or more')
        tap.note(f'{pinger.count} pings, slowest {pinger.worst * 1000:.1f} ms')
        listed = request(legit, 'send')
        tap.check(listed == 'ok send 0', 'the greeted client is still idle and sees no flooding '
                  'client listed', f'send answered {listed!r} to client {legit_id}')

        check_memory(pid, alone, left)
        pinger = Pinger(legit)
        pinger.start()
        problem, peak = slow_reader(server, pid)
        pinger.stop()
        tap.check(problem is None, 'a client that never reads its replies is dropped', problem)
        tap.check(peak <= SLOW_BOUND_KIB or asan_skip(), f'meanwhile the key manager grows by '
                  f'at most {SLOW_BOUND_KIB // 1024} MiB, not 4 KiB per queued line'
                  + asan_skip(), f'VmHWM rose by {peak} KiB')
        tap.check(pinger.failure is None and pinger.worst < 2.0, 'meanwhile the greeted client '
                  'was answered every ping within 2 s', pinger.failure)
        tap.note(f'{pinger.count} pings, slowest {pinger.worst * 1000:.1f} ms')
        request(legit, 'end')
        legit.close()
        gone = kfproc.settle(pid, alone['fds'], 5)
        tap.check(gone['fds'] == alone['fds'], 'descriptors back to the baseline once all left',
                  f'{gone["fds"]} now, {alone["fds"]} before any client')
        proc = server.proc
        server.stop()
        tap.check(proc.returncode == 0, 'the key manager stops cleanly on SIGTERM (and, in a '
                  'sanitizer build, without a leak)', f'exit status {proc.returncode}')
    except Exception as error:
        tap.check(False, 'the test ran to its end', f'{error!r}\n{server.log()[-3000:]}')
    finally:
        if pinger is not None and pinger.is_alive():
            pinger.stop()
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
