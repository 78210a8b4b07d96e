#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-cli-crypt.sh: `keyferry-cli encrypt|decrypt` against `openssl enc`,
# byte for byte, both modes, both directions, and its error cases.  TAP.
set -u

cli=${KF_CLI:?KF_CLI must name the keyferry-cli binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

key=603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4
iv=000102030405060708090a0b0c0d0e0f
n=0
failed=0

ok () {
  n=$((n + 1))
  echo "ok $n - $1"
}

not_ok () {
  n=$((n + 1))
  failed=$((failed + 1))
  echo "not ok $n - $1"
  [ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"
  return 0
}

check () {
  local name=$1
  shift
  if "$@"; then ok "$name"; else not_ok "$name"; fi
}

expected_blocks () {
  local mode=$1 size=$2
  if [ "$mode" = cbc ]; then echo $((size / 16 + 1)); else echo $(((size + 15) / 16)); fi
}

for size in 0 1 15 16 17 4096 1048577; do
  head -c "$size" /dev/urandom > plain
  for mode in cbc cfb; do
    openssl enc -aes-256-$mode -K $key -iv $iv -in plain -out ref.enc
    "$cli" encrypt --mode $mode --key $key --iv $iv plain ours.enc 2> err
    check "$mode encrypt $size bytes equals openssl" cmp -s ours.enc ref.enc
    want=$(expected_blocks $mode "$size")
    check "$mode encrypt $size bytes reports $want blocks" \
      grep -qx "$want blocks\? encrypted" err

    "$cli" decrypt --mode $mode --key $key --iv $iv < ref.enc > ours.dec 2> err
    check "$mode decrypt $size bytes of openssl output (stdin to stdout)" cmp -s ours.dec plain
    check "$mode decrypt $size bytes reports $want blocks" \
      grep -qx "$want blocks\? decrypted" err

    openssl enc -d -aes-256-$mode -K $key -iv $iv -in ours.enc -out ref.dec
    check "openssl decrypts our $mode output of $size bytes" cmp -s ref.dec plain
  done
done

# The key may come from a file, as hex or as raw bytes.
head -c 1000 /dev/urandom > plain
openssl enc -aes-256-cbc -K $key -iv $iv -in plain -out ref.enc
echo "$key" > key.hex
check "--key-file with hex digits" \
  bash -c "'$cli' encrypt --mode cbc --key-file key.hex --iv $iv plain - | cmp -s - ref.enc"
printf "$(printf '%s' "$key" | sed 's/../\\x&/g')" > key.raw
check "--key-file with 32 raw bytes" \
  bash -c "'$cli' encrypt --mode cbc --key-file key.raw --iv $iv plain - | cmp -s - ref.enc"

# Errors: one line, non-zero exit, no output file under the name asked for.
expect_error () {
  local name=$1 want_status=$2 pattern=$3
  shift 3
  rm -f out.bin
  "$@" > stdout 2> err
  local status=$?
  local lines
  lines=$(wc -l < err)
  if [ "$status" -eq "$want_status" ] && [ "$lines" -eq 1 ] && grep -q -- "$pattern" err \
     && [ ! -e out.bin ] && [ -z "$(ls -A | grep '\.part$')" ]; then
    ok "$name"
  else
    not_ok "$name" "status $status (want $want_status), $lines lines: $(cat err)"
  fi
}

expect_error "non-hex key" 2 "not hexadecimal" \
  "$cli" encrypt --mode cbc --key "zz${key:2}" --iv $iv plain out.bin
expect_error "short key" 2 "expected 64 hex digits" \
  "$cli" encrypt --mode cbc --key "${key:0:32}" --iv $iv plain out.bin
expect_error "short IV" 2 "expected 32 hex digits" \
  "$cli" encrypt --mode cfb --key $key --iv 0011 plain out.bin
expect_error "unknown mode" 2 "cbc or cfb" \
  "$cli" encrypt --mode ecb --key $key --iv $iv plain out.bin
expect_error "missing input file" 1 "cannot open" \
  "$cli" encrypt --mode cbc --key $key --iv $iv no-such-file out.bin
expect_error "unwritable output" 1 "cannot write" \
  "$cli" encrypt --mode cbc --key $key --iv $iv plain /nonexistent-dir/out.bin
head -c 100 /dev/urandom > garbage
expect_error "ciphertext ending mid-block" 1 "mid-block" \
  "$cli" decrypt --mode cbc --key $key --iv $iv garbage out.bin
head -c 96 /dev/urandom > garbage
expect_error "corrupt padding" 1 "bad CBC padding" \
  "$cli" decrypt --mode cbc --key $key --iv $iv garbage out.bin
expect_error "both --key and --key-file" 2 "exactly one" \
  "$cli" encrypt --mode cbc --key $key --key-file key.hex --iv $iv plain out.bin
expect_error "unknown command" 2 "unknown command" \
  "$cli" frobnicate

# A failed decryption must not clobber an existing file of that name.
echo "precious" > keep.txt
"$cli" decrypt --mode cbc --key $key --iv $iv garbage keep.txt 2>/dev/null
check "a failed run leaves an existing output file untouched" grep -qx precious keep.txt

echo "1..$n"
[ "$failed" -eq 0 ]
