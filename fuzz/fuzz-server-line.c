/* fuzz-server-line.c: the client's parser of what the key manager sends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: what a (hostile) key manager sends, split at LF into lines.  Each
 * line goes through kf_protocol_parse_server_line(), as the client's
 * connection does; a line that parses must format and parse back to the
 * same line, and an `err` line must turn into a GError.
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz.h"
#include "kf-protocol.h"

static void
check_round_trip (const KfProtocolMessage *msg)
{
  g_autoptr(KfProtocolMessage) again = NULL;
  g_autofree char *line = NULL;
  g_autofree char *line_again = NULL;

  line = kf_protocol_message_format (msg, NULL);
  kf_fuzz_check (line != NULL, "a parsed server line formats");
  again = kf_protocol_parse_server_line (line, NULL);
  kf_fuzz_check (again != NULL, "a formatted server line parses");
  kf_fuzz_check (again->type == msg->type, "the round trip keeps the verb");
  line_again = kf_protocol_message_format (again, NULL);
  kf_fuzz_check (line_again != NULL && strcmp (line, line_again) == 0,
                 "the round trip keeps the line");
}

static void
parse_one (const char *line)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  msg = kf_protocol_parse_server_line (line, &error);
  kf_fuzz_check ((msg == NULL) == (error != NULL), "a parse fails with an error and only then");
  if (msg == NULL)
    return;
  check_round_trip (msg);
  if (msg->type == KF_MSG_ERR)
    {
      g_autoptr(GError) as_error = kf_protocol_message_to_error (msg);

      kf_fuzz_check (as_error != NULL && as_error->message != NULL, "an err line is an error");
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = NULL;

  /* g_strndup() stops at a NUL: the reader refuses such lines anyway. */
  lines = g_strsplit (text, "\n", 64);
  for (guint i = 0; lines[i] != NULL; i++)
    parse_one (lines[i]);

  return 0;
}
