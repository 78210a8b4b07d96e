# SPDX-License-Identifier: GPL-3.0-or-later
# fish completion for keyferry-cli(1)

set -l commands wait send servers identity contacts encrypt decrypt
set -l crypt '__fish_seen_subcommand_from encrypt decrypt'
set -l not_crypt 'not __fish_seen_subcommand_from encrypt decrypt'

complete -c keyferry-cli -f
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a wait -d 'Receive one file, then quit'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a send -d 'Send one file, then quit'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a servers -d 'List the key managers on the network'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a contacts -d 'The people you exchanged files with'
complete -c keyferry-cli -n '__fish_seen_subcommand_from contacts; and not __fish_seen_subcommand_from forget' -a forget -d 'Forget a contact by name or identity code'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a identity -d 'Print your identity code'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a encrypt -d 'AES-256 like openssl enc'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -a decrypt -d 'AES-256 like openssl enc -d'
complete -c keyferry-cli -n '__fish_seen_subcommand_from send encrypt decrypt' -F

complete -c keyferry-cli -s h -l help -d 'Show the options'
complete -c keyferry-cli -n $not_crypt -s s -l server -x -d 'The key manager, HOST[:PORT]'
complete -c keyferry-cli -n $not_crypt -s n -l name -x -d 'The name others see'
complete -c keyferry-cli -n $not_crypt -l fingerprint -x -d 'Trust the key manager with this SHA-256'
complete -c keyferry-cli -n $not_crypt -l accept-new-server -d 'Trust a new key manager without asking'
complete -c keyferry-cli -n $not_crypt -l accept-new-identity -d 'Go ahead with a changed peer identity'
complete -c keyferry-cli -n "not __fish_seen_subcommand_from $commands" -l forget-server -d 'Forget the pinned fingerprint, then quit'
complete -c keyferry-cli -n $not_crypt -l passphrase-file -r -F -d 'The admission passphrase, from FILE'
complete -c keyferry-cli -n $not_crypt -l identity -r -F -d 'Use the identity kept in FILE'
complete -c keyferry-cli -n $not_crypt -l json -d 'Machine-readable events'
complete -c keyferry-cli -n $not_crypt -l idle-timeout -x -d 'Stop a stalled transfer after SECONDS'
complete -c keyferry-cli -n $not_crypt -l peer-ports -x -d 'Receive on a port from FIRST-LAST'
complete -c keyferry-cli -n 'not __fish_seen_subcommand_from send encrypt decrypt' -s y -l accept -d 'wait: accept without asking'
complete -c keyferry-cli -n 'not __fish_seen_subcommand_from send encrypt decrypt' -l overwrite -d 'wait: replace a file of the same name'
complete -c keyferry-cli -n 'not __fish_seen_subcommand_from send encrypt decrypt' -s o -l output -x -a '(__fish_complete_directories)' -d 'wait: save into DIR'
complete -c keyferry-cli -n 'not __fish_seen_subcommand_from wait encrypt decrypt' -s t -l to -x -d 'send: the waiting peer'
complete -c keyferry-cli -s m -l mode -x -a 'cbc cfb' -d 'The mode of operation'
complete -c keyferry-cli -n $crypt -s k -l key -x -d 'AES-256 key, 64 hex digits'
complete -c keyferry-cli -n $crypt -s f -l key-file -r -F -d 'The key, from FILE'
complete -c keyferry-cli -n $crypt -s i -l iv -x -d 'IV, 32 hex digits'
