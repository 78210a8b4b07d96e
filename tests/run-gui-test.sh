#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-gui-test.sh PROGRAM [ARGS...]: runs a GUI test with a session bus and,
# when there is no display, a virtual X server (xvfb-run -a), in a runtime
# folder (XDG_RUNTIME_DIR) of its own: the accessibility bus's socket goes
# there (else ~/.cache/at-spi/bus, one path for every test on the machine,
# which the end of another test's bus removes).
set -eu
if [ -z "${KF_GUI_RUNTIME_DIR:-}" ]; then
  KF_GUI_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kf-gui-runtime-XXXXXX")
  XDG_RUNTIME_DIR=$KF_GUI_RUNTIME_DIR
  export KF_GUI_RUNTIME_DIR XDG_RUNTIME_DIR
  status=0
  "$0" "$@" || status=$?
  rm -rf "$KF_GUI_RUNTIME_DIR"
  exit $status
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${KF_IN_DBUS_SESSION:-}" ]; then
  KF_IN_DBUS_SESSION=1 exec dbus-run-session -- "$0" "$@"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
fi
exec "$@"
