# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for keyferry-server(8)

_keyferry_server()
{
    local cur prev words cword split
    _init_completion -s || return

    case $prev in
        --listen | -l)
            COMPREPLY=($(compgen -W '0.0.0.0 :: 127.0.0.1 ::1' -- "$cur"))
            return
            ;;
        --port | -p | --max-clients | --max-clients-per-address | --max-pending | \
            --max-pending-per-address | \
            --handshake-timeout | --idle-timeout | --confirm-timeout | --site-name | \
            --conn-burst | --conn-refill)
            return
            ;;
        --log-format)
            COMPREPLY=($(compgen -W 'text json' -- "$cur"))
            return
            ;;
        --state-dir | -s | --runtime-dir)
            _filedir -d
            return
            ;;
        --passphrase-file | --passphrase-hash-file | --audit-log | --config | -c)
            _filedir
            return
            ;;
    esac
    $split && return

    # The administrator's commands: identities, names, enrolment.
    local i command=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            identities | names | enrolment) command=${words[i]} ;;
        esac
    done
    if [[ $cur != -* ]]; then
        case $command in
            "") COMPREPLY=($(compgen -W 'identities names enrolment' -- "$cur")) ;;
            identities) [[ $prev == identities ]] && COMPREPLY=($(compgen -W 'list add remove' -- "$cur")) ;;
            names) [[ $prev == names ]] && COMPREPLY=($(compgen -W 'list release' -- "$cur")) ;;
            enrolment) [[ $prev == enrolment ]] && COMPREPLY=($(compgen -W 'open close status' -- "$cur")) ;;
        esac
        return
    fi

    COMPREPLY=($(compgen -W '--config --listen --port --state-dir --passphrase-file
        --passphrase-hash-file --max-clients --max-clients-per-address --max-pending
        --max-pending-per-address --handshake-timeout --idle-timeout
        --confirm-timeout --conn-burst --conn-refill --audit-log --site-name --no-announce
        --print-link
        --log-format --runtime-dir --status --json --verbose --print-fingerprint
        --hash-passphrase --version --help' -- "$cur"))
} &&
    complete -F _keyferry_server keyferry-server
