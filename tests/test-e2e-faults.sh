#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-e2e-faults.sh: what people do wrong and what goes wrong, with the
# real binaries on loopback: Ctrl-C and kill -9 on either side mid-transfer,
# a decline, a peer that is not there, a key manager whose certificate
# changed.  Each time: clear exit statuses, nothing under the final name,
# no temporary file left, and the key manager still serving.
set -u
. "$(dirname "$0")/e2e-lib.sh"

start_server
common=(--server "127.0.0.1:$port" --fingerprint "$fp")
truncate -s 1G "$work/big.bin"

# start_receiver NAME [options]: a scripted receiver in the background.
start_receiver () {
  local name=$1
  shift
  rm -rf "$work/out"
  mkdir -p "$work/out"
  # Emptied here, not by the background job's redirection, which may come
  # after the wait below has read the last receiver's "waiting".
  : > "$work/recv.json"
  timeout 60 "$cli" "${common[@]}" --name "$name" --json wait --output "$work/out" "$@" \
    > "$work/recv.json" 2> "$work/recv.err" &
  recv_pid=$!
  wait_until 60 waiting_in "$work/recv.json"
}

start_sender () {
  timeout 60 "$cli" "${common[@]}" --name sender --json send --to "$1" --mode "$2" "$3" \
    > "$work/send.json" 2> "$work/send.err" &
  send_pid=$!
}

# Waits until the receiver reports more than 4 MiB received.
wait_mid_transfer () {
  wait_until 60 past_4_mib
}

past_4_mib () {
  local done
  done=$(json_field "$work/recv.json" progress done)
  [ -n "$done" ] && [ "$done" -gt 4194304 ]
}

nothing_left () {
  [ -z "$(ls -A "$work/out")" ]
}

fault () {
  local what=$1 victim=$2 signal=$3 want_victim=$4 want_other=$5
  start_receiver "bob-$what" --accept
  start_sender "bob-$what" cbc "$work/big.bin"
  if ! wait_mid_transfer; then
    not_ok "$what: the transfer got under way" "$(cat "$work/send.err" "$work/recv.err")"
    kill "$send_pid" "$recv_pid" 2>/dev/null
    wait
    return
  fi
  local victim_pid other_pid
  if [ "$victim" = sender ]; then victim_pid=$send_pid other_pid=$recv_pid
  else victim_pid=$recv_pid other_pid=$send_pid; fi
  # timeout(1) passes SIGINT on to keyferry-cli; SIGKILL must hit the
  # client itself.
  if [ "$signal" = KILL ]; then pkill -KILL -P "$victim_pid"; fi
  kill "-$signal" "$victim_pid"
  local start=$SECONDS
  wait "$victim_pid"
  local victim_status=$?
  wait "$other_pid"
  local other_status=$?
  local took=$((SECONDS - start))
  if [ "$want_victim" != any ] && [ "$victim_status" -ne "$want_victim" ]; then
    not_ok "$what: the $victim exits $want_victim" "got $victim_status: $(cat "$work/send.err" "$work/recv.err")"
  else
    ok "$what: the $victim exits ${want_victim/any/at once}"
  fi
  if [ "$other_status" -eq "$want_other" ] && [ "$took" -le 10 ]; then
    ok "$what: the other side is told within seconds and exits $want_other"
  else
    not_ok "$what: the other side is told within seconds and exits $want_other" \
      "got $other_status after ${took}s: $(cat "$work/send.err" "$work/recv.err")"
  fi
  if nothing_left; then
    ok "$what: no file under the final name and no temporary file"
  else
    not_ok "$what: no file under the final name and no temporary file" "$(ls -la "$work/out")"
  fi
}

fault "receiver presses Ctrl-C" receiver INT 4 4
fault "sender presses Ctrl-C" sender INT 4 4
fault "sender killed" sender KILL any 1
fault "receiver killed" receiver KILL any 1

# The disk fills up while receiving (RLIMIT_FSIZE of 4 MiB; SIGXFSZ
# ignored so that write() fails with EFBIG as on a full disk): a clear
# error on the receiver, the sender told (without the receiver's paths),
# nothing left behind.  The sender hears the fixed phrase either from the
# key manager ("fred stopped the transfer (…)") or, when its own `cancel`
# reached the key manager first, from fred's CANCEL record ("…cancelled
# by the peer: …"); the receiver's own error is never replaced by the
# echo of its cancel.
head -c $((20 * 1024 * 1024)) /dev/urandom > "$work/medium.bin"
rm -rf "$work/out"; mkdir -p "$work/out"; : > "$work/recv.json"
(trap '' XFSZ; ulimit -f 4096
 exec timeout 60 "$cli" "${common[@]}" --name fred --json wait --accept --output "$work/out") \
  > "$work/recv.json" 2> "$work/recv.err" &
recv_pid=$!
wait_until 60 waiting_in "$work/recv.json"
timeout 60 "$cli" "${common[@]}" --name sender send --to fred --mode cbc "$work/medium.bin" \
  > "$work/send.err" 2>&1
send_status=$?
wait "$recv_pid"
recv_status=$?
if [ $recv_status -eq 1 ] && grep -q "File too large" "$work/recv.err" \
   && [ $send_status -ne 0 ] \
   && grep -Eq "(fred stopped the transfer \(|cancelled by the peer: )a local file could not be read or written" "$work/send.err" \
   && ! grep -q "$work/out" "$work/send.err" && nothing_left; then
  ok "the disk fills up: the receiver says so, the sender is told, nothing is left"
else
  not_ok "the disk fills up: the receiver says so, the sender is told, nothing is left" \
    "send $send_status recv $recv_status: $(cat "$work/send.err" "$work/recv.err"; ls -A "$work/out")"
fi

# A decline: the receiver answers n on standard input.
head -c 5000 /dev/urandom > "$work/small.bin"
rm -rf "$work/out"; mkdir -p "$work/out"; : > "$work/recv.json"
(sleep 0.5; echo n) | timeout 30 "$cli" "${common[@]}" --name dora --json wait --output "$work/out" \
  > "$work/recv.json" 2> "$work/recv.err" &
recv_pid=$!
wait_until 60 waiting_in "$work/recv.json"
timeout 30 "$cli" "${common[@]}" --name sender send --to dora --mode cfb "$work/small.bin" \
  > /dev/null 2> "$work/send.err"
send_status=$?
wait "$recv_pid"
recv_status=$?
if [ $send_status -eq 3 ] && [ $recv_status -eq 3 ] && nothing_left; then
  ok "a declined offer: both exit 3, nothing saved"
else
  not_ok "a declined offer: both exit 3, nothing saved" \
    "send $send_status recv $recv_status: $(cat "$work/send.err" "$work/recv.err")"
fi

# Nobody of that name is waiting.
timeout 30 "$cli" "${common[@]}" --name sender send --to nobody --mode cbc "$work/small.bin" \
  > /dev/null 2> "$work/send.err"
status=$?
if [ $status -eq 8 ] && grep -q "no waiting peer is called" "$work/send.err"; then
  ok "send to a peer who is not waiting: a clear error, exit 8"
else
  not_ok "send to a peer who is not waiting: a clear error, exit 8" "status $status: $(cat "$work/send.err")"
fi

# The key manager still serves a normal transfer after all that.
start_receiver erin --accept
timeout 60 "$cli" "${common[@]}" --name sender send --to erin --mode cfb "$work/small.bin" \
  > /dev/null 2> "$work/send.err"
send_status=$?
wait "$recv_pid"
if [ $send_status -eq 0 ] && [ $? -eq 0 ] && cmp -s "$work/small.bin" "$work/out/small.bin"; then
  ok "after every fault the key manager still serves a normal transfer"
else
  not_ok "after every fault the key manager still serves a normal transfer" "$(cat "$work/send.err")"
fi

# A changed certificate: trust this key manager, then meet another one
# answering on the same address.
timeout 20 "$cli" --server "127.0.0.1:$port" --accept-new-server --name frank send --to x \
  --mode cbc "$work/small.bin" > /dev/null 2>&1
kill "$server_pid"; wait "$server_pid" 2>/dev/null
rm -rf "$work/server"
# Emptied first: the old server's "listening on" must not pass for the new one's.
: > "$work/server.log"
"$server" --listen 127.0.0.1 --port "$port" --state-dir "$work/server2" 2> "$work/server.log" &
server_pid=$!
wait_until 60 grep -q "listening on" "$work/server.log"
timeout 20 "$cli" --server "127.0.0.1:$port" --accept-new-server --name frank wait \
  < /dev/null > /dev/null 2> "$work/err"
status=$?
if [ $status -eq 7 ] && grep -qi "different certificate" "$work/err"; then
  ok "a changed certificate is refused even with --accept-new-server"
else
  not_ok "a changed certificate is refused even with --accept-new-server" "status $status: $(cat "$work/err")"
fi

finish
