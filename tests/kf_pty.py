# SPDX-License-Identifier: GPL-3.0-or-later
"""A program on a pseudo-terminal, for the tests of keyferry-cli's prompt.

Term starts @argv with a pty as its standard input, output and error, in a
session of its own, and reads what it prints with expect(), as a person
watching the terminal would.
"""
import os
import pty
import re
import select
import signal
import subprocess
import time


class Term:
    """A program on a pseudo-terminal, with expect-like reading."""

    def __init__(self, argv, cwd, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.buffer = ''   # printed, not yet matched
        self.seen = ''     # printed and matched

    def expect(self, pattern, timeout=30):
        """The match of @pattern in what the program printed since the last
        match, read for at most @timeout seconds (TimeoutError), or until
        it exits (EOFError)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer)
            if match:
                self.seen += self.buffer[:match.end()]
                self.buffer = self.buffer[match.end():]
                return match
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f'no {pattern!r} in: {self.buffer[-600:]!r}')
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b''
                if not data:
                    raise EOFError(f'exited before {pattern!r}: {self.buffer[-600:]!r}')
                self.buffer += data.decode('utf-8', 'replace')

    def send(self, line):
        """Types @line and Enter."""
        os.write(self.master, (line + '\n').encode())

    def keys(self, text, pause=0.2):
        """Types @text, then lets the terminal settle as a person would."""
        os.write(self.master, text.encode())
        time.sleep(pause)

    def wait(self, timeout=20):
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def close(self):
        self.kill()
        os.close(self.master)
