#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""keyferry-cli's prompt on a terminal: line editing, history, completion.

A real keyferry-server on loopback, two `keyferry-cli wait` peers, and the
interactive keyferry-cli on a pseudo-terminal, sent the bytes a terminal
sends for each key.  Every check is by the effect a person sees: the
command that ran, the file that arrived.  TAP.
"""
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kf_e2e import CLI, Env, Tap, sha256_file  # noqa: E402
from kf_pty import Term  # noqa: E402

HOME, END, LEFT, RIGHT, UP = '\x1b[H', '\x1b[4~', '\x1b[D', '\x1b[C', '\x1b[A'
DELETE, TAB, CTRL_U, CTRL_D = '\x1b[3~', '\t', '\x15', '\x04'
tap = Tap()


def check(name, func):
    try:
        func()
        return tap.check(True, name)
    except Exception as error:  # noqa: BLE001  (the detail is the report)
        return tap.check(False, name, error)


def main():
    env = Env()
    terms = []
    try:
        server = env.server()
        server.start()
        argv = [CLI, '--server', f'127.0.0.1:{server.port}', '--fingerprint', server.fp,
                '--name', 'carol']
        home = env.folder('carol')
        with open(os.path.join(home, 'notes-for-alice.bin'), 'wb') as f:
            f.write(os.urandom(70_001))
        inbox = env.folder('inbox')

        def start():
            term = Term(argv, home, dict(env.env, TERM='xterm', COLUMNS='80', LINES='24'))
            terms.append(term)
            term.expect(r'keyferry> ')
            return term

        term = start()

        def editing():
            # "xelp", Home, Delete, "h", Left Left Right Right, End: "help".
            term.keys('xelp' + HOME + DELETE + 'h' + LEFT + LEFT + RIGHT + RIGHT + END + '\r')
            term.expect(r'Commands:')
            term.expect(r'keyferry> ')
            if '[4~' in term.buffer or 'unknown command' in term.buffer:
                raise AssertionError(term.buffer)
        check('Home, End, Delete and the arrows edit the line at keyferry>', editing)

        def tab_command():
            term.keys('wa' + TAB + '\r')
            term.expect(r'Waiting for a sender')
            term.keys('can' + TAB + '\r')
            term.expect(r'Stopped waiting')
            term.expect(r'keyferry> ')
        check('Tab completes the commands: wa → wait, can → cancel', tab_command)

        alice = env.cli(server, 'alice', ['wait', '--accept', '--output', inbox])
        albert = env.cli(server, 'albert', ['wait'])
        for peer in (alice, albert):
            if peer.wait_event('waiting') is None:
                raise SystemExit(tap.check(False, 'two peers wait', peer.err()) or tap.finish())
        alice_id = str(alice.id).lstrip('#')
        term.keys('send\r')
        term.expect(r'alice')
        term.expect(r'keyferry> ')

        def list_peers():
            # "conn al" fits two peers: Tab twice lists them with their names.
            term.keys('co' + TAB + 'al' + TAB + TAB, pause=0.5)
            term.expect(r'\d+ \(al(ice|bert)\)\s+\d+ \(al(ice|bert)\)')
            term.keys(CTRL_U)
        check('Tab after conn lists the waiting peers as "id (name)"', list_peers)

        def conn_by_completion():
            # co → conn, ali → alice's id, c → cbc / cfb, b → cbc; then the
            # file: not → notes-for-alice.bin.
            term.keys('co' + TAB + 'ali' + TAB + 'c' + TAB + 'b' + TAB + '\r')
            term.expect(r'Paired with alice')
            term.expect(r'File to send: ')
            term.keys('not' + TAB + '\r')
            term.expect(r'key manager confirmed the block counts', timeout=60)
            term.expect(r'keyferry> ')
            if alice.wait(30) != 0:
                raise AssertionError(alice.err())
            got = os.path.join(inbox, 'notes-for-alice.bin')
            if sha256_file(got) != sha256_file(os.path.join(home, 'notes-for-alice.bin')):
                raise AssertionError('the received file differs')
        check('Tab completes conn, a peer id by its name, the mode and the file name',
              conn_by_completion)

        def leave():
            term.keys('end\r')
            term.expect(r'Goodbye')
            if term.proc.wait(20) != 0:
                raise AssertionError(f'exit status {term.proc.returncode}')
        check('end leaves with status 0', leave)

        history = os.path.join(env.work, 'state', 'keyferry', 'history')

        def history_file():
            mode = stat.S_IMODE(os.stat(history).st_mode)
            with open(history) as f:
                lines = f.read().splitlines()
            want = ['help', 'wait', 'cancel', 'send', f'conn {alice_id} cbc',
                    'notes-for-alice.bin', 'end']
            if mode != 0o600 or lines != want:
                raise AssertionError(f'{oct(mode)} {lines}, not {want}')
        check('the history is $XDG_STATE_HOME/keyferry/history, 0600, commands and files',
              history_file)

        def recall():
            again = start()
            # Up: "end", "notes-for-alice.bin", "conn …", "send".
            again.keys(UP + UP + UP + UP + '\r', pause=0.5)
            again.expect(r'albert')
            again.expect(r'keyferry> ')
            return again
        again = None

        def recall_and_keep():
            nonlocal again
            again = recall()
        check('the history is recalled with Up in the next run', recall_and_keep)

        def typing_through_events():
            # Half a command typed when the key manager goes away: the news
            # is printed above, the prompt and "hel" drawn again below.
            again.keys('hel')
            server.stop()
            again.expect(r'lost the key manager')
            again.expect(r'keyferry> hel')
            again.keys('p\r')
            again.expect(r'Commands:')
        if again is not None:
            check('a line half typed survives a message from the key manager', typing_through_events)
    finally:
        for term in terms:
            term.close()
        env.cleanup()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
