/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* keyferry-cli's exit statuses: scripts tell outcomes apart by them.
 * docs and `keyferry-cli --help` list them; keep the numbers stable. */
typedef enum
{
  KF_CLI_EXIT_OK          = 0,  /* done; a transfer completed and was confirmed */
  KF_CLI_EXIT_FAILED      = 1,  /* any other failure */
  KF_CLI_EXIT_USAGE       = 2,  /* bad command line */
  KF_CLI_EXIT_DECLINED    = 3,  /* the receiver declined */
  KF_CLI_EXIT_CANCELLED   = 4,  /* cancelled by this side or the peer */
  KF_CLI_EXIT_VERIFY      = 5,  /* the data failed verification (tampered, truncated) */
  KF_CLI_EXIT_MISMATCH    = 6,  /* the key manager found the block counts or digests differ */
  KF_CLI_EXIT_CONNECTION  = 7,  /* key manager unreachable, untrusted, changed, refused */
  KF_CLI_EXIT_NO_PEER     = 8,  /* send: the chosen peer is not waiting (left, taken, no such) */
  KF_CLI_EXIT_IDENTITY    = 9,  /* the peer is not the identity your contacts know by that name */
} KfCliExit;
