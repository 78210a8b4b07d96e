# SPDX-License-Identifier: GPL-3.0-or-later
# fish completion for keyferry-server(8)

complete -c keyferry-server -f
complete -c keyferry-server -s h -l help -d 'Show the options'
complete -c keyferry-server -s l -l listen -x -a '0.0.0.0 :: 127.0.0.1 ::1' -d 'Listen on this address only'
complete -c keyferry-server -s p -l port -x -d 'TCP port (default 7745)'
complete -c keyferry-server -s s -l state-dir -x -a '(__fish_complete_directories)' -d 'Certificate and key folder'
complete -c keyferry-server -l passphrase-file -r -F -d 'Require the passphrase in this file'
complete -c keyferry-server -l passphrase-hash-file -r -F -d 'Require the passphrase hashed in this file'
complete -c keyferry-server -l max-clients -x -d 'Most connections at once'
complete -c keyferry-server -l max-clients-per-address -x -d 'Most greeted clients per source address'
complete -c keyferry-server -l max-pending -x -d 'Most connections in their handshake'
complete -c keyferry-server -l max-pending-per-address -x -d 'The same, per source address'
complete -c keyferry-server -l handshake-timeout -x -d 'Seconds to finish the greeting'
complete -c keyferry-server -l idle-timeout -x -d 'Seconds a client may stay silent'
complete -c keyferry-server -l confirm-timeout -x -d 'Seconds from conn to confirmation'
complete -c keyferry-server -l audit-log -r -F -d 'Append session outcomes to this file'
complete -c keyferry-server -s v -l verbose -d 'Log debug messages too'
complete -c keyferry-server -l print-fingerprint -d 'Print the fingerprint and exit'
complete -c keyferry-server -l hash-passphrase -d 'Print a passphrase hash and exit'
complete -c keyferry-server -l version -d 'Print the version and exit'
