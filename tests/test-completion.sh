#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-completion.sh: bash's completion of keyferry-cli and keyferry-server,
# run as bash runs it: the completion file is sourced after bash-completion,
# COMP_WORDS/COMP_CWORD are set for a command line, the function that
# `complete -p` names is called and COMPREPLY is compared with what a user
# must see.  Also: every long option --help lists is offered.  The same
# for fish's completion (`complete -C`) when fish is installed.  TAP.
set -u

srcdir=${G_TEST_SRCDIR:?}/../data/completion
cli=${KF_CLI:?} server=${KF_SERVER:?}
bash_completion=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  [ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"
  return 0
}

if [ ! -r "$bash_completion" ]; then
  echo "1..0 # SKIP bash-completion is not installed ($bash_completion)"
  exit 0
fi
# bash_completion returns early in a shell that is not interactive unless
# told otherwise; its helpers are what the files use.
BASH_COMPLETION_VERSINFO=() 2>/dev/null
source "$bash_completion"
source "$srcdir/keyferry-cli.bash"
source "$srcdir/keyferry-server.bash"

# complete LINE: what Tab offers at the end of LINE (a trailing space means
# a new, empty word), sorted, one a line.
complete_line () {
  local line=$1 function
  read -r -a COMP_WORDS <<<"$line"
  [[ $line == *' ' ]] && COMP_WORDS+=('')
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  function=$(complete -p "${COMP_WORDS[0]}" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
  "$function" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

expect () {
  local name=$1 line=$2 want=$3 got
  got=$(complete_line "$line")
  if [ "$got" = "$(printf '%s\n' $want | sort)" ]; then ok "$name"; else
    not_ok "$name" "line: “$line”
want: $(echo $want)
got:  $(echo $got)"; fi
}

long_options () {
  "$@" 2>&1 | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]][[:alnum:]-]*\).*/\2/p' | sort -u
}

# Every option --help lists is offered, and nothing else.
expect "keyferry-cli -- offers every option of --help" "keyferry-cli --" "$(long_options "$cli" --help)"
expect "keyferry-cli encrypt -- offers every option of encrypt --help" \
  "keyferry-cli encrypt --" "$(long_options "$cli" encrypt --help)"
expect "keyferry-server -- offers every option of --help" "keyferry-server --" "$(long_options "$server" --help)"

expect "keyferry-cli completes its commands" "keyferry-cli " "wait send servers identity contacts encrypt decrypt"
expect "keyferry-cli contacts offers forget" "keyferry-cli contacts " "forget"
expect "keyferry-cli w completes wait" "keyferry-cli w" "wait"
expect "keyferry-server --log-format completes its formats" "keyferry-server --log-format " "text json"
expect "keyferry-server completes the administrator's commands" "keyferry-server " \
  "enrolment identities names"
expect "keyferry-server identities completes its verbs" "keyferry-server identities " "add list remove"
expect "keyferry-server enrolment completes its verbs" "keyferry-server --state-dir d enrolment c" "close"
expect "keyferry-cli --mode completes the modes" "keyferry-cli send --mode " "cbc cfb"
expect "keyferry-cli -m c completes the modes" "keyferry-cli encrypt -m c" "cbc cfb"
expect "keyferry-cli --mode= completes the modes" "keyferry-cli send --mode=cf" "cfb"
expect "keyferry-cli wait --ov completes --overwrite" "keyferry-cli wait --ov" "--overwrite"
expect "keyferry-cli send offers no wait option" "keyferry-cli send --acc" "--accept-new-server --accept-new-identity"
expect "keyferry-cli --server completes nothing" "keyferry-cli --server " ""
expect "keyferry-server --pa completes both passphrase options" \
  "keyferry-server --pa" "--passphrase-file --passphrase-hash-file"
expect "keyferry-server --listen completes addresses" "keyferry-server --listen 127" "127.0.0.1"

# File names after send, and folders only after --output.
mkdir -p "$work/dir/sub-dir"
touch "$work/dir/report.pdf"
cd "$work/dir"
expect "keyferry-cli send completes file names" "keyferry-cli send --to 3 --mode cbc r" "report.pdf"
expect "keyferry-cli --output completes folders only" "keyferry-cli wait --output " "sub-dir"
expect "keyferry-server --state-dir completes folders only" "keyferry-server --state-dir s" "sub-dir"

# fish: the same questions through `complete -C`, the words it offers.
if command -v fish >/dev/null; then
  fish_expect () {
    local name=$1 line=$2 want=$3 got
    got=$(fish --no-config -c "source '$srcdir/keyferry-cli.fish'; source '$srcdir/keyferry-server.fish'
                               complete -C '$line'" | cut -f1 | sort)
    if [ "$got" = "$(printf '%s\n' $want | sort)" ]; then ok "fish: $name"; else
      not_ok "fish: $name" "line: “$line”
want: $(echo $want)
got:  $(echo $got)"; fi
  }
  fish_expect "keyferry-cli -- offers every option of --help" "keyferry-cli --" "$(long_options "$cli" --help)"
  fish_expect "keyferry-cli encrypt -- offers every option of encrypt --help" \
    "keyferry-cli encrypt --" "$(long_options "$cli" encrypt --help)"
  fish_expect "keyferry-server -- offers every option of --help" "keyferry-server --" \
    "$(long_options "$server" --help)"
  fish_expect "keyferry-cli completes its commands" "keyferry-cli " "wait send servers identity contacts encrypt decrypt"
  fish_expect "keyferry-cli --mode completes the modes" "keyferry-cli send --mode " "cbc cfb"
  fish_expect "keyferry-cli send completes file names" "keyferry-cli send --to 3 --mode cbc r" "report.pdf"
  fish_expect "keyferry-cli --output completes folders only" "keyferry-cli wait --output " "sub-dir/"
else
  echo "# fish is not installed: its completion is not checked"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
