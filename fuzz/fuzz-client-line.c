/* fuzz-client-line.c: the key manager's line reader and request parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: byte 0 picks the reader's line limit, byte 1 how many bytes each
 * read of the connection returns; the rest is what a client sends.  Every
 * line the bounded reader hands out goes through the same checks the key
 * manager makes (kf_protocol_validate_line, kf_protocol_parse_client_line);
 * a request that parses is formatted again and must parse back to the same
 * line (the formatter promises that what we send is what we accept).
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz.h"
#include "kf-fuzz-stream.h"
#include "kf-line-reader.h"
#include "kf-protocol.h"
#include "kf-secure.h"

typedef struct
{
  gboolean  done;
  char     *line;
  gsize     len;
  GError   *error;
} Read;

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Read *read = user_data;

  read->line = kf_line_reader_read_line_finish (KF_LINE_READER (source), result,
                                                &read->len, &read->error);
  read->done = TRUE;
}

/* Formats @msg, parses the line back and checks both lines are equal. */
static void
check_round_trip (const KfProtocolMessage *msg)
{
  g_autoptr(KfProtocolMessage) again = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) bytes_again = NULL;
  g_autofree char *line = NULL;
  gsize len = 0;
  const char *data;

  bytes = kf_protocol_message_to_bytes (msg, NULL);
  kf_fuzz_check (bytes != NULL, "a parsed request formats");
  data = g_bytes_get_data (bytes, &len);
  kf_fuzz_check (len > 0 && data[len - 1] == '\n', "a formatted line ends in LF");
  line = g_strndup (data, len - 1);
  again = kf_protocol_parse_client_line (line, NULL);
  kf_fuzz_check (again != NULL, "a formatted request parses");
  kf_fuzz_check (again->type == msg->type, "the round trip keeps the verb");
  bytes_again = kf_protocol_message_to_bytes (again, NULL);
  kf_fuzz_check (bytes_again != NULL && g_bytes_equal (bytes, bytes_again),
                 "the round trip keeps the line");
}

/* Gives one line to the parser the way the key manager does. */
static void
parse_one (const char *line,
           gsize       len)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  if (!kf_protocol_validate_line (line, len, NULL))
    return;
  msg = kf_protocol_parse_client_line (line, &error);
  kf_fuzz_check ((msg == NULL) == (error != NULL), "a parse fails with an error and only then");
  /* A confirmation too long to be right parses (the server answers
   * bad-confirm) but is nothing a client would send, so it has no line. */
  if (msg != NULL && !(msg->type == KF_MSG_CONFIRM && msg->confirm_len > KF_PROTOCOL_CONFIRM_MAX))
    check_round_trip (msg);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(KfLineReader) reader = NULL;
  gsize max_line;

  if (size < 2)
    return 0;

  /* From 2 bytes to the protocol's limit, so both small and real limits
   * meet lines that do not fit. */
  max_line = data[0] == 0 ? KF_PROTOCOL_MAX_LINE : 2 + data[0] % 128;
  stream = kf_fuzz_stream_new (data + 2, size - 2, 1 + data[1] % 64);
  reader = kf_line_reader_new (stream, max_line);

  for (;;)
    {
      Read read = { 0 };

      kf_line_reader_read_line_async (reader, NULL, read_cb, &read);
      while (!read.done)
        g_main_context_iteration (NULL, TRUE);
      if (read.line == NULL)
        {
          g_clear_error (&read.error);
          break;
        }
      kf_fuzz_check (read.len < max_line && strlen (read.line) == read.len,
                     "the reader's line fits its limit and holds no NUL");
      parse_one (read.line, read.len);
      kf_secure_strfree (read.line);
    }

  return 0;
}
