/* kf-server-log.c: the key manager's structured lifecycle messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lifecycle messages (start, stop, reload, clients joining and leaving,
 * sessions starting and ending, refusals) go through kf_server_log(),
 * which adds journald fields to the text: MESSAGE_ID (one stable 128-bit
 * id per kind, docs/LOGGING.md), KF_CLIENT_ID, KF_CLIENT_NAME,
 * KF_ADDRESS, KF_PEER_ID, KF_SESSION_ID and KF_OUTCOME.  Under systemd GLib's default
 * writer sends them to the journal; on a terminal only the text is shown.
 *
 * `--log-format json` installs kf_server_log_use_json(): every message,
 * lifecycle or not, is then one JSON object per line on standard error,
 * with all its fields, for log shippers without journald (and the tests).
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kf-server-log.h"
#include "kf-untrusted.h"

/* The syslog priority journald expects for @level, as GLib maps it. */
static const char *
priority_of (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

/*
 * kf_server_log_event:
 *
 * Logs the message made from @format with the fields of @event that are
 * set, in the log domain of the server.
 */
void
kf_server_log_event (const KfServerLogEvent *event,
                     const char             *format,
                     ...)
{
  GLogLevelFlags level = event->level != 0 ? event->level : G_LOG_LEVEL_MESSAGE;
  g_autofree char *message = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *peer_id = NULL;
  GLogField fields[10];
  gsize n = 0;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fields[n++] = (GLogField) { "MESSAGE", message, -1 };
  fields[n++] = (GLogField) { "PRIORITY", priority_of (level), -1 };
  fields[n++] = (GLogField) { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 };
  fields[n++] = (GLogField) { "MESSAGE_ID", event->message_id, -1 };
  if (event->client_id != 0)
    {
      client_id = g_strdup_printf ("%" G_GUINT64_FORMAT, event->client_id);
      fields[n++] = (GLogField) { "KF_CLIENT_ID", client_id, -1 };
    }
  if (event->client_name != NULL)
    fields[n++] = (GLogField) { "KF_CLIENT_NAME", event->client_name, -1 };
  if (event->address != NULL)
    fields[n++] = (GLogField) { "KF_ADDRESS", event->address, -1 };
  if (event->peer_id != 0)
    {
      peer_id = g_strdup_printf ("%" G_GUINT64_FORMAT, event->peer_id);
      fields[n++] = (GLogField) { "KF_PEER_ID", peer_id, -1 };
    }
  if (event->session_id != NULL)
    fields[n++] = (GLogField) { "KF_SESSION_ID", event->session_id, -1 };
  if (event->outcome != NULL)
    fields[n++] = (GLogField) { "KF_OUTCOME", event->outcome, -1 };
  g_assert (n <= G_N_ELEMENTS (fields));
  g_log_structured_array (level, fields, n);
}

/*
 * kf_server_log:
 * @client: (nullable): the client the message is about
 * @session_id: (nullable): the session it is about
 *
 * Logs a lifecycle message (G_LOG_LEVEL_MESSAGE) with @client's id, name
 * and address and @session_id as fields.
 */
void
kf_server_log (const char     *message_id,
               KfServerClient *client,
               const char     *session_id,
               const char     *format,
               ...)
{
  KfServerLogEvent event = { .message_id = message_id, .session_id = session_id };
  g_autofree char *message = NULL;
  va_list args;

  if (client != NULL)
    {
      event.client_id = kf_server_client_get_id (client);
      event.client_name = kf_server_client_get_name (client);
      event.address = kf_server_client_get_address (client);
    }
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  kf_server_log_event (&event, "%s", message);
}

/*
 * kf_server_append_json:
 *
 * Appends @text (@len bytes, or NUL-terminated when -1) to @out as a JSON
 * string: quotes and backslashes escaped, every character
 * kf_untrusted_is_unwanted() rejects (controls, bidi and zero-width
 * characters, line separators) as \uXXXX (a surrogate pair beyond the
 * BMP), invalid UTF-8 as U+FFFD.
 */
void
kf_server_append_json (GString    *out,
                       const char *text,
                       gssize      len)
{
  const char *p = text;
  const char *end;

  if (len < 0)
    len = (gssize) strlen (text);
  end = text + len;
  g_string_append_c (out, '"');
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (out, "\\ufffd");
          p++;
          continue;
        }
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", (char) c);
      else if (kf_untrusted_is_unwanted (c) && c > 0xffff)
        g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + ((c - 0x10000) >> 10),
                                0xdc00 + ((c - 0x10000) & 0x3ff));
      else if (kf_untrusted_is_unwanted (c))
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  g_string_append_c (out, '"');
}

/* Writes all of @line to standard error in one write when it can. */
static void
write_stderr (const GString *line)
{
  static GMutex lock;
  gsize done = 0;

  g_mutex_lock (&lock);
  while (done < line->len)
    {
      gssize n = write (STDERR_FILENO, line->str + done, line->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  g_mutex_unlock (&lock);
}

static GLogWriterOutput
json_writer (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  g_autoptr(GString) line = g_string_new ("{");
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
      domain = fields[i].value;
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_OLD_LOG_API") == 0)
        continue;
      if (line->len > 1)
        g_string_append_c (line, ',');
      kf_server_append_json (line, fields[i].key, -1);
      g_string_append_c (line, ':');
      kf_server_append_json (line, fields[i].value, fields[i].length);
    }
  g_string_append (line, "}\n");
  write_stderr (line);
  return G_LOG_WRITER_HANDLED;
}

/*
 * kf_server_log_use_json:
 *
 * From now on every message of the process is one JSON object per line
 * on standard error, its journald fields as string members.  Debug
 * messages are written only when enabled (G_MESSAGES_DEBUG, --verbose).
 */
void
kf_server_log_use_json (void)
{
  g_log_set_writer_func (json_writer, NULL, NULL);
}
