#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-e2e-cli.sh: real keyferry-server and two real keyferry-cli processes
# on loopback: files of many sizes in both modes arrive byte-identical, both
# block counts follow the mode's rule and the key manager confirms them.
set -u
. "$(dirname "$0")/e2e-lib.sh"

start_server
common=(--server "127.0.0.1:$port" --fingerprint "$fp")

transfer () {
  local mode=$1 size=$2 name="file-$1-$2.bin"
  local out="$work/out-$mode-$size"
  mkdir -p "$out"
  head -c "$size" /dev/urandom > "$work/$name"

  # Emptied here, not by the background job's redirection, which may come
  # after the wait below has read the last receiver's "waiting".
  : > "$work/recv.json"
  timeout 120 "$cli" "${common[@]}" --name "bob-$mode-$size" --json \
    wait --accept --output "$out" > "$work/recv.json" 2> "$work/recv.err" &
  local recv_pid=$!
  # The receiver must be waiting before the sender looks.
  wait_until 60 waiting_in "$work/recv.json"
  timeout 120 "$cli" "${common[@]}" --name alice --json \
    send --to "bob-$mode-$size" --mode "$mode" "$work/$name" > "$work/send.json" 2> "$work/send.err"
  local send_status=$?
  wait "$recv_pid"
  local recv_status=$?
  local want
  want=$(expected_blocks "$mode" "$size")

  if [ $send_status -eq 0 ] && [ $recv_status -eq 0 ] && cmp -s "$work/$name" "$out/$name"; then
    ok "$mode $size bytes: received file identical, both exit 0"
  else
    not_ok "$mode $size bytes: received file identical, both exit 0" \
      "send $send_status: $(cat "$work/send.err")
recv $recv_status: $(cat "$work/recv.err")"
  fi
  local s r v
  s=$(json_field "$work/send.json" result sender_blocks)
  r=$(json_field "$work/recv.json" result receiver_blocks)
  v=$(json_field "$work/recv.json" result status)
  if [ "$s" = "$want" ] && [ "$r" = "$want" ] && [ "$v" = confirmed ]; then
    ok "$mode $size bytes: $want blocks on both sides, confirmed"
  else
    not_ok "$mode $size bytes: $want blocks on both sides, confirmed" "sender $s receiver $r verdict $v"
  fi
  rm -f "$work/$name" "$out/$name"
}

for mode in cbc cfb; do
  for size in 0 1 15 16 17 4096 1048577; do
    transfer "$mode" "$size"
  done
done
transfer cbc $((64 * 1024 * 1024))
transfer cfb $((64 * 1024 * 1024))

# The known-servers store: first contact refused without consent.
XDG_DATA_HOME=$work/fresh timeout 20 "$cli" --server "127.0.0.1:$port" --name carol wait \
  < /dev/null > /dev/null 2> "$work/err"
status=$?
if [ $status -eq 7 ] && grep -q -- "--fingerprint" "$work/err"; then
  ok "first contact without consent is refused, with the fingerprint to compare"
else
  not_ok "first contact without consent is refused, with the fingerprint to compare" \
    "status $status: $(cat "$work/err")"
fi

finish
