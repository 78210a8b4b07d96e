#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app as a screen reader meets it.  TAP.

test-gui-a11y.py DRIVER: runs DRIVER (kf-gui-a11y-driver, the real app
against a real key manager) and, each time it stops on a page or a dialog,
walks the real accessibility tree over AT-SPI, as Orca would, and checks
that every control a person can reach has one meaningful name:

- it has a name at all (buttons, check boxes, entries, rows, progress bars);
- the name carries no mnemonic marker ("_Wait") and does not say the same
  words twice ("Wait Wait", "CBC CBC", "olga, number 9 olga");
- a row says everything it shows: every label inside it is in its name or
  its description (an info row that exposes "Size" but not "2.1 MB" fails);
- a progress bar says, in its description, the numbers shown beside it.

Runs under run-gui-test.sh (a session bus and Xvfb), which lets the
session bus start the accessibility bus (at-spi2-core).  Needs python3-gi
and gir1.2-atspi-2.0 (script/bootstrap installs them).
"""
import os
import re
import subprocess
import sys
import time

# The driver, our own code, runs with the suite's G_DEBUG=fatal-warnings.
# This walker only stands in for a screen reader: libatspi warns when it
# asks an application for its cache before the cache is on the bus (seen
# on a busy machine), and that must not kill the walker.  So GLib in this
# process, loaded by the import below, sees G_DEBUG without it.
DRIVER_ENV = dict(os.environ)
os.environ["G_DEBUG"] = ",".join(flag for flag in os.environ.get("G_DEBUG", "").split(",")
                                 if flag and flag != "fatal-warnings")

import gi  # noqa: E402

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

CONTROL_ROLES = {
    Atspi.Role.PUSH_BUTTON: "button",
    Atspi.Role.TOGGLE_BUTTON: "toggle button",
    Atspi.Role.CHECK_BOX: "check box",
    Atspi.Role.RADIO_BUTTON: "radio button",
    Atspi.Role.ENTRY: "entry",
    Atspi.Role.PASSWORD_TEXT: "password entry",
    Atspi.Role.SPIN_BUTTON: "spin button",
    Atspi.Role.COMBO_BOX: "combo box",
    Atspi.Role.LIST_ITEM: "row",
    Atspi.Role.PROGRESS_BAR: "progress bar",
    Atspi.Role.LINK: "link",
    Atspi.Role.SLIDER: "slider",
}
# GTK 4 has no ENTRY role for search entries in every version: match by name too.
EXTRA_ROLE_NAMES = {"search box": "search entry", "text box": "entry"}


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, details=()):
        self.n += 1
        print(("ok" if ok else "not ok") + f" {self.n} - {what}")
        for line in details:
            print(f"# {line}")
        if not ok:
            self.failed += 1
        sys.stdout.flush()

    def done(self):
        print(f"1..{self.n}")
        return 1 if self.failed else 0


def words(text):
    return re.findall(r"\w+", text.lower())


def says_twice(name):
    """True when the name begins and ends with the same words ("Wait Wait",
    "olga, number 9 olga")."""
    w = words(name.replace("_", ""))
    return any(w[:k] == w[-k:] for k in range(1, len(w) // 2 + 1))


def showing(node):
    try:
        states = node.get_state_set()
    except Exception:
        return False
    # GTK 4.8 sets "showing" on windows only: "visible" is what a screen
    # reader goes by inside them.
    return states.contains(Atspi.StateType.VISIBLE)


def children(node):
    try:
        count = node.get_child_count()
    except Exception:
        return []
    out = []
    for i in range(count):
        try:
            child = node.get_child_at_index(i)
        except Exception:
            continue
        if child is not None:
            out.append(child)
    return out


def walk(node, depth=0):
    """Yields every showing node under node (node included)."""
    if depth > 60 or not showing(node):
        return
    yield node
    for child in children(node):
        yield from walk(child, depth + 1)


def role_kind(node):
    role = node.get_role()
    if role in CONTROL_ROLES:
        return CONTROL_ROLES[role]
    return EXTRA_ROLE_NAMES.get(node.get_role_name())


def label_texts(node):
    """The texts of the labels a row shows, leaving out those of the
    controls inside it (a button in a row is named on its own)."""
    texts = []
    for child in children(node):
        if not showing(child) or role_kind(child) is not None:
            continue
        if child.get_role() == Atspi.Role.LABEL:
            text = (child.get_name() or "").strip()
            if text:
                texts.append(text)
        texts += label_texts(child)
    return texts


def check_control(node, kind):
    name = (node.get_name() or "").strip()
    description = (node.get_description() or "").strip()
    problems = []
    if not name:
        problems.append(f"{kind} without a name")
        return problems
    if re.search(r"(?<!\w)_(?=\w)", name):
        problems.append(f"{kind} “{name}” shows a mnemonic marker")
    if says_twice(name):
        problems.append(f"{kind} “{name}” says the same words twice")
    if kind == "progress bar" and not description:
        problems.append(f"progress bar “{name}” does not say how far the transfer is")
    if kind == "row":
        said = (name + " " + description).lower()
        for text in label_texts(node):
            if text.lower() not in said:
                problems.append(f"row “{name}” does not say “{text}” that it shows")
    return problems


def find_app(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desktop = Atspi.get_desktop(0)
        for app in children(desktop):
            try:
                if app.get_process_id() == pid:
                    return app
            except Exception:
                continue
        time.sleep(0.2)
    return None


def dump(node, depth=0):
    try:
        states = [s.value_nick for s in node.get_state_set().get_states()]
    except Exception:
        states = []
    print("# " + "  " * depth + f"{node.get_role_name()} “{node.get_name()}” "
          f"“{node.get_description()}” {','.join(states)}")
    for child in children(node):
        dump(child, depth + 1)


def check_state(tap, app, state):
    if os.environ.get("KF_A11Y_DUMP"):
        dump(app)
    problems = []
    controls = 0
    windows = [w for w in children(app) if showing(w)]
    for window in windows:
        for node in walk(window):
            kind = role_kind(node)
            if kind is None:
                continue
            controls += 1
            problems += check_control(node, kind)
    tap.check(controls > 0 and not problems,
              f"{state}: {controls} controls in {len(windows)} windows, each with one meaningful name",
              problems if controls > 0 else ["no controls found: is the accessibility bus up?"])


def main():
    tap = Tap()
    driver = sys.argv[1]
    env = dict(DRIVER_ENV)
    env["GTK_A11Y"] = "atspi"
    env.pop("NO_AT_BRIDGE", None)
    Atspi.init()
    proc = subprocess.Popen([driver], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                            text=True)
    app = None
    states = 0
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("KF-A11Y DONE"):
                break
            if not line.startswith("KF-A11Y STATE "):
                continue
            state = line.split(" ", 2)[2]
            if app is None:
                app = find_app(proc.pid)
                if app is None:
                    tap.check(False, "the app appears on the accessibility bus")
                    break
            check_state(tap, app, state)
            states += 1
            proc.stdin.write("next\n")
            proc.stdin.flush()
        proc.stdin.close()
        status = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    tap.check(status == 0 and states >= 10, f"the driver visited {states} states and exited {status}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
