#!/bin/sh
# check-po.sh SRCDIR FILE.po: fails unless FILE.po compiles cleanly and
# translates every message the desktop app (gui/ and data/ in POTFILES.in)
# has *now*: the messages are extracted afresh from the sources and merged
# with the catalogue, so a new string without a translation fails the test.
set -eu
srcdir=$1
po=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

msgfmt --check -o /dev/null "$po"
grep -E '^(gui|data)/' "$srcdir/po/POTFILES.in" > "$tmp/files"
(cd "$srcdir" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
   --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --add-comments=Translators \
   -f "$tmp/files" -o "$tmp/app.pot")
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/app.pot"
msgattrib --no-obsolete -o "$tmp/app.po" "$tmp/merged.po"
stats=$(msgfmt --check --statistics -o /dev/null "$tmp/app.po" 2>&1)
echo "$stats"
case "$stats" in
  *untranslated*|*fuzzy*) echo "check-po: $po does not translate every message of the desktop app" >&2; exit 1 ;;
  "0 translated"*) echo "check-po: no desktop app messages found in $po" >&2; exit 1 ;;
esac
