#!/bin/sh
# check-po.sh MSGGREP MSGFMT FILE.po: fails unless msgfmt --check accepts the
# messages of FILE.po that come from the desktop app (gui/ and data/) and its
# statistics report none of them untranslated or fuzzy.
set -eu
msggrep=$1
msgfmt=$2
po=$3
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$msgfmt" --check -o /dev/null "$po"
"$msggrep" -N 'gui/*' -N 'gui/gtk/*' -N 'data/*' -o "$tmp" "$po"
stats=$("$msgfmt" --check --statistics -o /dev/null "$tmp" 2>&1)
echo "$stats"
case "$stats" in
  *untranslated*|*fuzzy*) echo "check-po: $po is not complete for the desktop app" >&2; exit 1 ;;
  "0 translated"*) echo "check-po: no desktop app messages found in $po" >&2; exit 1 ;;
esac
