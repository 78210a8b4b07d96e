#!/bin/sh
# check-runtime.sh LOCALEDIR SERVER CLI: fails unless keyferry-server and
# keyferry-cli print the Romanian of the build's catalogue (LOCALEDIR holds
# ro/LC_MESSAGES/keyferry.mo) when the user asks for Romanian: a program that
# does not bind its text domain prints English whatever ro.po holds.  Then,
# against a key manager on 127.0.0.1, keyferry-cli must take the Romanian
# answers its prompts ask for: "Da" or "nu" to [d/n].
# LANGUAGE=ro over C.UTF-8 needs no generated ro_RO locale.
set -eu
localedir=$1
server=$2
cli=$3
status=0
echo "1..9"
work=$(mktemp -d)
server_pid=
trap '[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
export KEYFERRY_LOCALEDIR="$localedir" LANG=C.UTF-8 LANGUAGE=ro
export HOME="$work" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state"
unset LC_ALL LC_MESSAGES

# expect WHAT OUTPUT MSGID [ARG...]: OUTPUT holds the Romanian of MSGID,
# formatted with the ARGs.
expect () {
  what=$1 output=$2 msgid=$3
  shift 3
  ro=$(TEXTDOMAINDIR="$localedir" gettext -d keyferry -- "$msgid")
  # shellcheck disable=SC2059
  [ $# -eq 0 ] || ro=$(printf "$ro" "$@")
  if [ "$ro" = "$msgid" ]; then
    echo "not ok - $what: the catalogue does not translate “$msgid”"
    status=1
  elif printf '%s\n' "$output" | grep -qF -- "$ro"; then
    echo "ok - $what: “$ro”"
  else
    echo "not ok - $what: “$ro” is not in its output:"
    printf '%s\n' "$output" | sed 's/^/#   /'
    status=1
  fi
}

out=$("$server" --help 2>&1)
expect "keyferry-server --help (option table)" "$out" "Print the version and exit"
expect "keyferry-server --help (summary)" "$out" \
  "The Keyferry key manager: pairs senders with receivers and hands both a fresh AES key over TLS."
out=$("$server" stray-argument 2>&1 || true)
expect "keyferry-server usage error" "$out" "unexpected argument"

out=$("$cli" --help 2>&1)
expect "keyferry-cli --help (option table)" "$out" "Print machine-readable events, one JSON object per line"
expect "keyferry-cli --help (summary)" "$out" "[wait | send FILE|FOLDER… | servers | identity | contacts | encrypt | decrypt] — Keyferry in a terminal"
out=$("$cli" encrypt --mode cbc --iv 00 </dev/null 2>&1 || true)
expect "keyferry-cli encrypt usage error" "$out" "give the key with exactly one of --key or --key-file"
# A key manager on loopback, as tests/e2e-lib.sh starts one.
fp=$("$server" --state-dir "$work/server" --print-fingerprint 2>/dev/null | tail -n1)
"$server" --listen 127.0.0.1 --port 0 --state-dir "$work/server" 2> "$work/server.log" &
server_pid=$!
port=
for _ in $(seq 300); do
  port=$(grep -m1 -oE 'listening on [^ ]+ port [0-9]+' "$work/server.log" | grep -oE '[0-9]+$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "Bail out! keyferry-server did not start: $(cat "$work/server.log")"
  exit 1
fi

# offer ANSWERS: Ana waits, typing ANSWERS at her prompts, while Bogdan sends
# her this script; prints what Ana's keyferry-cli printed.
offer () {
  rm -rf "$work/in" && mkdir "$work/in"
  printf "$1" | timeout 120 "$cli" --server "127.0.0.1:$port" --fingerprint "$fp" --name Ana \
    wait --output "$work/in" > "$work/wait.out" 2>&1 &
  wait_pid=$!
  # Ana must be waiting before Bogdan looks; a loaded machine may take long.
  for _ in $(seq 600); do
    grep -qF -- "$waiting" "$work/wait.out" && break
    kill -0 "$wait_pid" 2>/dev/null || break
    sleep 0.1
  done
  timeout 120 "$cli" --server "127.0.0.1:$port" --fingerprint "$fp" --name Bogdan \
    send --to Ana --mode cbc "$0" > "$work/send.out" 2>&1 || true
  wait "$wait_pid" || true
  cat "$work/wait.out"
}
waiting=$(TEXTDOMAINDIR="$localedir" gettext -d keyferry -- "Waiting for a sender…")
again=$(TEXTDOMAINDIR="$localedir" gettext -d keyferry -- "Please answer y or n: ")

# "Da", then the offered name: the file is saved.
out=$(offer 'Da\n\n')
expect "keyferry-cli accepts the offer on “Da”" "$out" "Saved %s." "$work/in/$(basename "$0")"

# "nu": no second question, the offer is declined.
out=$(offer 'nu\n')
expect "keyferry-cli declines the offer on “nu”" "$out" "Declined."
if printf '%s\n' "$out" | grep -qF -- "$again"; then
  echo "not ok - keyferry-cli takes “nu” as an answer: it asked again “$again”"
  status=1
else
  echo "ok - keyferry-cli takes “nu” as an answer"
fi
exit $status
