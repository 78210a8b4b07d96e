# SPDX-License-Identifier: GPL-3.0-or-later
# e2e-lib.sh: shared by the end-to-end shell tests: a real keyferry-server
# on loopback with its own state directory, TAP helpers, cleanup.
# Source it; it defines $work, $port, $fp, start_server, ok, not_ok, check.

cli=${KF_CLI:?KF_CLI must name the keyferry-cli binary}
server=${KF_SERVER:?KF_SERVER must name the keyferry-server binary}
work=$(mktemp -d)
export XDG_DATA_HOME=$work/data XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
export HOME=$work/home
mkdir -p "$XDG_DATA_HOME" "$HOME"
server_pid=
n=0
failed=0

cleanup () {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  jobs -p | xargs -r kill 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ok () {
  n=$((n + 1))
  echo "ok $n - $1"
}

not_ok () {
  n=$((n + 1))
  failed=$((failed + 1))
  echo "not ok $n - $1"
  if [ -n "${2:-}" ]; then sed 's/^/# /' <<<"$2"; fi
  return 0
}

check () {
  local name=$1
  shift
  if "$@"; then ok "$name"; else not_ok "$name"; fi
}

finish () {
  echo "1..$n"
  [ "$failed" -eq 0 ]
}

# wait_until SECONDS COMMAND [ARGS...]: runs COMMAND every 50 ms until it
# succeeds or SECONDS have passed.  Bounded in time rather than in tries,
# so that a loaded machine gets as long as an idle one.  Returns 1 on time.
wait_until () {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# waiting_in FILE: the --json events in FILE include "waiting".
waiting_in () {
  grep -q '"event":"waiting"' "$1" 2>/dev/null
}

# server_port_known: sets $port from the server's "listening on" line.
server_port_known () {
  port=$(grep -m1 -oE 'listening on [^ ]+ port [0-9]+' "$work/server.log" | grep -oE '[0-9]+$')
  [ -n "$port" ]
}

# start_server [extra options]: starts keyferry-server on 127.0.0.1, an
# ephemeral port, and sets $port and $fp from what it prints.
start_server () {
  mkdir -p "$work/server"
  fp=$("$server" --state-dir "$work/server" --print-fingerprint 2>/dev/null | grep -oE '([0-9A-F]{4} ){15}[0-9A-F]{4}|[0-9a-fA-F:]{64,}' | head -n1)
  : > "$work/server.log"
  "$server" --listen 127.0.0.1 --port 0 --state-dir "$work/server" --conn-burst 1000 "$@" \
    2> "$work/server.log" &
  server_pid=$!
  port=
  wait_until 60 server_port_known
  if [ -z "$port" ] || [ -z "$fp" ]; then
    echo "Bail out! keyferry-server did not start: $(cat "$work/server.log")"
    exit 1
  fi
}

# expected_blocks MODE SIZE: the mode's block-count rule.
expected_blocks () {
  if [ "$1" = cbc ]; then echo $(($2 / 16 + 1)); else echo $((($2 + 15) / 16)); fi
}

# json_field FILE EVENT FIELD: a field of the last EVENT line of a --json log.
json_field () {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
value = None
for line in open(sys.argv[1], encoding='utf-8'):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get('event') == sys.argv[2]:
        value = ev.get(sys.argv[3])
print('' if value is None else value)
PY
}
