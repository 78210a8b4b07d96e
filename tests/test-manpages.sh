#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-manpages.sh PAGE PROGRAM [PAGE PROGRAM...]: each manual page built by
# doc/meson.build renders with man(1) and groff without a single warning,
# and names every long option that PROGRAM --help-all lists (for
# keyferry-cli, those of encrypt --help too).  TAP.
set -u

n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  [ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"
  return 0
}

# The long options a GOption --help lists, one a line, without the dashes.
long_options () {
  "$@" 2>&1 | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}--\([[:alnum:]][[:alnum:]-]*\).*/\2/p' | sort -u
}

export LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat
while [ $# -ge 2 ]; do
  page=$1 program=$2
  shift 2
  name=$(basename "$page")

  warnings=$(man --warnings -l "$page" 2>&1 >/dev/null)
  text=$(man -l "$page" 2>/dev/null)
  if [ -z "$warnings" ] && [ "$(wc -l <<<"$text")" -gt 20 ]; then
    ok "$name renders with man --warnings without a warning"
  else
    not_ok "$name renders with man --warnings without a warning" "$warnings"
  fi

  warnings=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
  if [ -z "$warnings" ]; then ok "$name passes groff -ww"; else not_ok "$name passes groff -ww" "$warnings"; fi

  source=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")
  options=$(long_options "$program" --help-all)
  case "$program" in
    *keyferry-cli) options=$(printf '%s\n%s\n' "$options" "$(long_options "$program" encrypt --help)" | sort -u) ;;
  esac
  if [ -z "$options" ]; then
    not_ok "$name: $program --help-all lists options" "$("$program" --help-all 2>&1)"
    continue
  fi
  missing=
  for option in $options; do
    grep -q -- "--$option\\b" <<<"$source" || missing="$missing --$option"
  done
  if [ -z "$missing" ]; then
    ok "$name names all $(wc -w <<<"$options") options of $(basename "$program")"
  else
    not_ok "$name names all options of $(basename "$program")" "missing:$missing"
  fi
done

echo "1..$n"
[ "$failed" -eq 0 ]
