# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for keyferry-cli(1)

_keyferry_cli()
{
    local cur prev words cword split
    _init_completion -s || return

    local command= i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            wait | send | servers | identity | contacts | encrypt | decrypt)
                command=${words[i]}
                break
                ;;
        esac
    done

    case $prev in
        --server | -s | --name | -n | --fingerprint | --to | -t | --key | -k | --iv | -i | \
            --idle-timeout | --peer-ports)
            return
            ;;
        --mode | -m)
            COMPREPLY=($(compgen -W 'cbc cfb' -- "$cur"))
            return
            ;;
        --passphrase-file | --identity | --key-file | -f)
            _filedir
            return
            ;;
        --output | -o)
            _filedir -d
            return
            ;;
    esac
    $split && return

    local options
    case $command in
        encrypt | decrypt)
            options='--mode --key --key-file --iv --help'
            ;;
        wait)
            options='--server --name --fingerprint --accept-new-server --accept-new-identity
                --passphrase-file --identity --json --idle-timeout --peer-ports --accept
                --overwrite --output --help'
            ;;
        send)
            options='--server --name --fingerprint --accept-new-server --accept-new-identity
                --passphrase-file --identity --json --idle-timeout --to --mode --help'
            ;;
        servers | contacts)
            options='--json --help'
            ;;
        identity)
            options='--identity --json --help'
            ;;
        *)
            options='--server --name --fingerprint --accept-new-server --accept-new-identity
                --forget-server --passphrase-file --identity --json --idle-timeout
                --peer-ports --accept --overwrite --output --to --mode --help'
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi

    case $command in
        '')
            COMPREPLY=($(compgen -W 'wait send servers identity contacts encrypt decrypt' -- "$cur"))
            ;;
        contacts)
            [[ $prev == contacts ]] && COMPREPLY=($(compgen -W 'forget' -- "$cur"))
            ;;
        send | encrypt | decrypt)
            _filedir
            ;;
    esac
} &&
    complete -F _keyferry_cli keyferry-cli
