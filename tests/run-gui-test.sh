#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-gui-test.sh PROGRAM [ARGS...]: runs a GUI test with a session bus and,
# when there is no display, a virtual X server (xvfb-run -a).
set -eu
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${KF_IN_DBUS_SESSION:-}" ]; then
  KF_IN_DBUS_SESSION=1 exec dbus-run-session -- "$0" "$@"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
fi
exec "$@"
