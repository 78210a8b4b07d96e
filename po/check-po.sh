#!/bin/sh
# check-po.sh SRCDIR FILE.po: fails unless
#  - every file of cli/, common/, server/, gui/ and data/ with translatable
#    strings is listed in po/POTFILES.in (a file left out never reaches the
#    template, so its messages could never be translated);
#  - xgettext extracts every listed file without a warning (a warning such as
#    "ends in the middle of a directive" means a msgid that gettext can never
#    match at run time: G_GSIZE_FORMAT and friends split it; use %zu, PRIu64);
#  - FILE.po compiles cleanly and translates every message of those files
#    *now*: the messages are extracted afresh from the sources and merged with
#    the catalogue, so a new string without a translation, or a changed one
#    whose translation went fuzzy, fails the test.
set -eu
srcdir=$1
po=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

msgfmt --check -o /dev/null "$po"

# The files that should be listed, and those that are.
(cd "$srcdir" && {
  grep -lE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext|g_dcgettext|g_dpgettext2|ngettext) ?\([^)]' \
    -r --include='*.c' --include='*.h' cli common server gui || true
  grep -l 'translatable="yes"' -r --include='*.ui' gui || true
  find data -name '*.desktop.in' -o -name '*.gschema.xml' -o -name '*.metainfo.xml.in'
}) | sort -u > "$tmp/marked"
grep -vE '^[[:space:]]*(#|$)' "$srcdir/po/POTFILES.in" | sort -u > "$tmp/files"

unlisted=$(comm -23 "$tmp/marked" "$tmp/files")
if [ -n "$unlisted" ]; then
  echo "check-po: these files have translatable strings but are missing from po/POTFILES.in:" >&2
  echo "$unlisted" | sed 's/^/  /' >&2
  status=1
fi
while read -r f; do
  if [ ! -f "$srcdir/$f" ]; then
    echo "check-po: po/POTFILES.in lists $f, which does not exist" >&2
    status=1
  fi
done < "$tmp/files"
[ $status -eq 0 ] || exit $status

# The same extraction as the build's keyferry-pot target (meson's glib preset
# plus po/meson.build's arguments).
(cd "$srcdir" && xgettext --from-code=UTF-8 --add-comments=Translators \
   --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
   --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
   --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
   --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
   --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
   --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
   --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
   --flag=g_print:1:c-format --flag=g_printerr:1:c-format --flag=g_printf:1:c-format \
   --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
   -f "$tmp/files" -o "$tmp/all.pot") 2> "$tmp/xgettext.err" || { cat "$tmp/xgettext.err" >&2; exit 1; }
if [ -s "$tmp/xgettext.err" ]; then
  echo "check-po: xgettext warns about the sources; these messages cannot be translated as written:" >&2
  cat "$tmp/xgettext.err" >&2
  exit 1
fi

msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/all.pot"
msgattrib --no-obsolete -o "$tmp/current.po" "$tmp/merged.po"
stats=$(msgfmt --check --statistics -o /dev/null "$tmp/current.po" 2>&1)
echo "$stats"
case "$stats" in
  *untranslated*|*fuzzy*)
    echo "check-po: $po does not translate every message of the sources in po/POTFILES.in:" >&2
    msgattrib --untranslated --no-obsolete "$tmp/current.po" | grep -E '^#: ' >&2 || true
    msgattrib --only-fuzzy --no-obsolete "$tmp/current.po" | grep -E '^#: ' >&2 || true
    exit 1 ;;
  "0 translated"*) echo "check-po: no messages found in $po" >&2; exit 1 ;;
esac
