#!/bin/sh
# check-runtime.sh LOCALEDIR SERVER CLI: fails unless keyferry-server and
# keyferry-cli print the Romanian of the build's catalogue (LOCALEDIR holds
# ro/LC_MESSAGES/keyferry.mo) when the user asks for Romanian: a program that
# does not bind its text domain prints English whatever ro.po holds.
# LANGUAGE=ro over C.UTF-8 needs no generated ro_RO locale.
set -eu
localedir=$1
server=$2
cli=$3
status=0
echo "1..6"
export KEYFERRY_LOCALEDIR="$localedir" LANG=C.UTF-8 LANGUAGE=ro
unset LC_ALL LC_MESSAGES

# expect WHAT OUTPUT MSGID: OUTPUT holds the Romanian of MSGID.
expect () {
  ro=$(TEXTDOMAINDIR="$localedir" gettext -d keyferry -- "$3")
  if [ "$ro" = "$3" ]; then
    echo "not ok - $1: the catalogue does not translate “$3”"
    status=1
  elif printf '%s\n' "$2" | grep -qF -- "$ro"; then
    echo "ok - $1: “$ro”"
  else
    echo "not ok - $1: “$ro” is not in its output:"
    printf '%s\n' "$2" | sed 's/^/#   /'
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
expect "keyferry-cli --help (summary)" "$out" "[wait | send FILE | encrypt | decrypt] — Keyferry in a terminal"
out=$("$cli" encrypt --mode cbc --iv 00 </dev/null 2>&1 || true)
expect "keyferry-cli encrypt usage error" "$out" "give the key with exactly one of --key or --key-file"
exit $status
