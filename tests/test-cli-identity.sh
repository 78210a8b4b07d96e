#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-cli-identity.sh: `keyferry-cli identity` and --identity FILE, as a
# user runs them: made on first use (0600 in a 0700 folder), the same code
# on every run, the code derived from the public key as PROTOCOL.md says
# (checked here in Python), another file another person, and a file open
# to other users refused by every command.
set -u
. "$(dirname "$0")/e2e-lib.sh"

own=$XDG_DATA_HOME/keyferry/identity

out=$("$cli" identity 2> "$work/err")
status=$?
code=$(sed -n 's/^Your identity code is \([A-Z2-7-]*\) (kept in .*)\.$/\1/p' <<<"$out")
if [ $status -eq 0 ] && [[ $code =~ ^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$ ]]; then
  ok "identity prints a code of four groups of four"
else
  not_ok "identity prints a code of four groups of four" "status $status: $out $(cat "$work/err")"
fi
check "the identity file is made 0600 in a 0700 folder" \
  test "$(stat -c %a "$own")" = 600 -a "$(stat -c %a "$(dirname "$own")")" = 700

again=$("$cli" identity 2>&1)
check "the same code on the next run" grep -qF "$code" <<<"$again"

"$cli" --json identity > "$work/id.json" 2> /dev/null
json_code=$(json_field "$work/id.json" identity code)
public_key=$(json_field "$work/id.json" identity public_key)
derived=$(python3 - "$public_key" <<'PY'
import base64, hashlib, sys
key = bytes.fromhex(sys.argv[1])
assert len(key) == 32
code = base64.b32encode(hashlib.sha256(b"keyferry identity v1" + key).digest()[:10]).decode()
print('-'.join(code[i:i + 4] for i in range(0, 16, 4)))
PY
)
if [ "$json_code" = "$code" ] && [ "$derived" = "$code" ] \
   && [ "$(json_field "$work/id.json" identity path)" = "$own" ]; then
  ok "--json: the code, the public key it is derived from, the file"
else
  not_ok "--json: the code, the public key it is derived from, the file" \
    "$(cat "$work/id.json"); derived $derived"
fi

# The vector of docs/PROTOCOL.md: seed 00 01 … 1f.
printf 'keyferry identity v1\ned25519-seed %s\n' \
  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > "$work/vector"
chmod 600 "$work/vector"
"$cli" --identity "$work/vector" --json identity > "$work/vector.json" 2> /dev/null
if [ "$(json_field "$work/vector.json" identity code)" = NPO5-5BDG-YT64-MQ6W ] \
   && [ "$(json_field "$work/vector.json" identity public_key)" = \
        03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8 ]; then
  ok "--identity FILE: the known seed gives the documented key and code"
else
  not_ok "--identity FILE: the known seed gives the documented key and code" "$(cat "$work/vector.json")"
fi

other=$("$cli" --identity "$work/other/id" identity 2>&1)
if [ -f "$work/other/id" ] && ! grep -qF "$code" <<<"$other"; then
  ok "--identity FILE makes another identity there"
else
  not_ok "--identity FILE makes another identity there" "$other"
fi

chmod 640 "$own"
before=$(cat "$own")
for command in identity wait; do
  "$cli" --server 127.0.0.1:1 $command > "$work/out" 2> "$work/err"
  status=$?
  if [ $status -eq 1 ] && grep -q "may be read or changed by other users (mode 0640).*chmod go=" "$work/err" \
     && [ "$(cat "$own")" = "$before" ]; then
    ok "$command: a group-readable identity is refused (exit 1, says what to do), not replaced"
  else
    not_ok "$command: a group-readable identity is refused (exit 1, says what to do), not replaced" \
      "status $status: $(cat "$work/err")"
  fi
done

finish
