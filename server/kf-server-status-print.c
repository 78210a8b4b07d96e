/* kf-server-status-print.c: `keyferry-server --status`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connects to a running key manager's status socket (kf-server-status.c),
 * reads its snapshot and prints it: a table for people, or with --json
 * one JSON object for scripts:
 *
 *   {"started":<unix s>,"uptime":<s>,
 *    "clients":[{"id":N,"name":S,"address":S,"state":S,"session":S|null}],
 *    "waiting":[<ids>],
 *    "sessions":[{"id":S,"mode":S,"sender":{"id":N,"phase":S},
 *                 "receiver":{"id":N,"phase":S},"transferring":B}],
 *    "totals":{"clients-served":N,...}}
 *
 * Every string from the server is escaped, though the server refuses such
 * names now: in the table every character kf_untrusted_is_unwanted()
 * rejects (control, bidi, zero-width, line separators) shows as
 * \u{XXXX}; in JSON as \uXXXX.
 */

#include "config.h"

#include <string.h>
#include <sys/un.h>
#include <glib/gi18n.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "kf-server-log.h"
#include "kf-untrusted.h"
#include "kf-server-status.h"
#include "kf-server-status-print.h"

#define MAX_ANSWER (64 * 1024 * 1024)
#define TIMEOUT_S  10

/* Reads the whole answer from @dir's socket.  Returns %NULL with @error. */
static GBytes *
fetch (const char  *dir,
       GError     **error)
{
  g_autofree char *path = g_build_filename (dir, KF_SERVER_STATUS_SOCKET, NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GByteArray) answer = g_byte_array_new ();
  g_autoptr(GError) local = NULL;
  guint8 buffer[65536];
  GInputStream *in;
  gssize n;

  if (strlen (path) >= sizeof ((struct sockaddr_un *) NULL)->sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   _("The status socket's path %s is longer than a Unix socket's path may "
                     "be: give a shorter --runtime-dir"), path);
      return NULL;
    }
  g_socket_client_set_timeout (client, TIMEOUT_S);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &local);
  if (connection == NULL)
    {
      g_set_error (error, G_IO_ERROR, local->code,
                   _("Cannot reach the key manager's status socket %s: %s. Is it running, "
                     "and are you root or its user? Give --runtime-dir or --state-dir when it "
                     "uses other ones"), path, local->message);
      return NULL;
    }
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, error)) > 0)
    {
      if (answer->len + (gsize) n > MAX_ANSWER)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _("The key manager's status is larger than %d MiB"), MAX_ANSWER >> 20);
          return NULL;
        }
      g_byte_array_append (answer, buffer, (guint) n);
    }
  if (n < 0)
    return NULL;
  if (answer->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           _("The key manager refused to give its status: only root and the "
                             "user it runs as may ask"));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&answer));
}

/* The snapshot in @answer, checked.  Returns %NULL with @error. */
static GVariant *
parse (GBytes  *answer,
       GError **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (answer, &len);
  gsize magic = strlen (KF_SERVER_STATUS_MAGIC);
  g_autoptr(GBytes) body = NULL;

  if (len < magic || memcmp (data, KF_SERVER_STATUS_MAGIC, magic) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The status socket answered something else than a key manager's "
                             "status (another version of keyferry-server?)"));
      return NULL;
    }
  body = g_bytes_new_from_bytes (answer, magic, len - magic);
  /* Untrusted: GVariant checks as it reads, and the normal form is safe. */
  return g_variant_take_ref (g_variant_new_from_bytes (G_VARIANT_TYPE (KF_SERVER_STATUS_TYPE),
                                                       body, FALSE));
}

/* @text with every unwanted character as \u{XXXX} and every byte of
 * invalid UTF-8 as \xXX, for a terminal. */
static char *
clean (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *end = text + strlen (text);

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02X", (guint8) *p++);
          continue;
        }
      if (kf_untrusted_is_unwanted (c))
        g_string_append_printf (out, "\\u{%04X}", c);
      else
        g_string_append_unichar (out, c);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

/* A table printed with its columns aligned: rows of cleaned cells. */
typedef struct
{
  GPtrArray *rows;   /* GStrv */
  guint      columns;
} Table;

static void
table_add (Table      *table,
           const char *first,
           ...)
{
  GPtrArray *cells = g_ptr_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *cell = first; cell != NULL; cell = va_arg (args, const char *))
    g_ptr_array_add (cells, clean (cell));
  va_end (args);
  table->columns = MAX (table->columns, cells->len);
  g_ptr_array_add (cells, NULL);
  g_ptr_array_add (table->rows, g_ptr_array_free (cells, FALSE));
}

/* Prints and frees @table's rows, indented by two spaces; its first row
 * is its header, and a table without other rows is not printed. */
static void
table_print (Table *table)
{
  g_autofree glong *widths = g_new0 (glong, table->columns);

  g_ptr_array_set_free_func (table->rows, (GDestroyNotify) g_strfreev);
  if (table->rows->len <= 1)
    g_ptr_array_set_size (table->rows, 0);

  for (guint r = 0; r < table->rows->len; r++)
    {
      char **cells = g_ptr_array_index (table->rows, r);

      for (guint c = 0; cells[c] != NULL; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (cells[c], -1));
    }
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **cells = g_ptr_array_index (table->rows, r);
      g_autoptr(GString) line = g_string_new ("  ");

      for (guint c = 0; cells[c] != NULL; c++)
        {
          g_string_append (line, cells[c]);
          if (cells[c + 1] != NULL)
            for (glong pad = g_utf8_strlen (cells[c], -1); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      g_print ("%s\n", line->str);
    }
  g_ptr_array_unref (table->rows);
}

#define TABLE_INIT { g_ptr_array_new (), 0 }

static gboolean
is_transferring (const char *sender_phase,
                 const char *receiver_phase)
{
  return (strcmp (sender_phase, "transferring") == 0 || strcmp (sender_phase, "reported") == 0)
         && (strcmp (receiver_phase, "transferring") == 0
             || strcmp (receiver_phase, "reported") == 0);
}

static char *
format_id (guint64 id)
{
  return id == 0 ? g_strdup ("-") : g_strdup_printf ("%" G_GUINT64_FORMAT, id);
}

static void
print_clients (GVariant *clients)
{
  Table table = TABLE_INIT;
  Table waiting = TABLE_INIT;
  GVariantIter iter;
  const char *name, *address, *state, *session;
  guint64 id;

  g_print (_("Clients (%zu):\n"), g_variant_n_children (clients));
  table_add (&table, _("ID"), _("NAME"), _("ADDRESS"), _("STATE"), _("SESSION"), NULL);
  table_add (&waiting, _("ID"), _("NAME"), NULL);
  g_variant_iter_init (&iter, clients);
  while (g_variant_iter_next (&iter, "(t&s&s&s&s)", &id, &name, &address, &state, &session))
    {
      g_autofree char *id_text = format_id (id);

      table_add (&table, id_text, name, address, state, session, NULL);
      if (strcmp (state, "waiting") == 0)
        table_add (&waiting, id_text, name, NULL);
    }
  table_print (&table);
  g_print (_("Waiting peers (%u):\n"), waiting.rows->len - 1);
  table_print (&waiting);
}

static void
print_sessions (GVariant *sessions)
{
  Table table = TABLE_INIT;
  Table transfers = TABLE_INIT;
  GVariantIter iter;
  const char *id, *mode, *sender_phase, *receiver_phase;
  guint64 sender, receiver;

  g_print (_("Sessions (%zu):\n"), g_variant_n_children (sessions));
  table_add (&table, _("SESSION"), _("MODE"), _("SENDER"), _("PHASE"), _("RECEIVER"),
             _("PHASE"), NULL);
  table_add (&transfers, _("SESSION"), _("MODE"), _("SENDER"), _("RECEIVER"), NULL);
  g_variant_iter_init (&iter, sessions);
  while (g_variant_iter_next (&iter, "(&s&s(t&s)(t&s))", &id, &mode, &sender, &sender_phase,
                              &receiver, &receiver_phase))
    {
      g_autofree char *sender_text = format_id (sender);
      g_autofree char *receiver_text = format_id (receiver);

      table_add (&table, id, mode, sender_text, sender_phase, receiver_text, receiver_phase,
                 NULL);
      if (is_transferring (sender_phase, receiver_phase))
        table_add (&transfers, id, mode, sender_text, receiver_text, NULL);
    }
  table_print (&table);
  g_print (_("Transfers in progress (%u):\n"), transfers.rows->len - 1);
  table_print (&transfers);
}

/* The totals' names, as people read them. */
static const char *
total_label (const char *key)
{
  static const struct { const char *key; const char *label; } labels[] = {
    { "clients-served", N_("clients served") },
    { "sessions-started", N_("sessions started") },
    { "sessions-confirmed", N_("sessions confirmed") },
    { "sessions-failed", N_("sessions failed (counts differed)") },
    { "sessions-cancelled", N_("sessions cancelled") },
    { "blocks-confirmed", N_("AES blocks in confirmed transfers") },
    { "connections-refused", N_("connections refused by a limit") },
    { "wrong-passphrases", N_("wrong passphrases") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (strcmp (key, labels[i].key) == 0)
      return _(labels[i].label);
  return key;
}

static void
print_table (GVariant *snapshot)
{
  g_autoptr(GVariant) clients = g_variant_get_child_value (snapshot, 3);
  g_autoptr(GVariant) sessions = g_variant_get_child_value (snapshot, 4);
  g_autoptr(GVariant) totals = g_variant_get_child_value (snapshot, 5);
  g_autoptr(GDateTime) started = NULL;
  g_autofree char *when = NULL;
  g_autofree char *uptime = NULL;
  Table table = TABLE_INIT;
  GVariantIter iter;
  const char *key;
  guint64 count;
  gint64 start_us, now_us;

  g_variant_get_child (snapshot, 1, "x", &start_us);
  g_variant_get_child (snapshot, 2, "x", &now_us);
  started = g_date_time_new_from_unix_local (start_us / G_USEC_PER_SEC);
  when = started ? g_date_time_format (started, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
  uptime = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (now_us - start_us, 0) / G_USEC_PER_SEC);
  g_print (_("Key manager running since %s (%s s)\n"), when, uptime);
  print_clients (clients);
  print_sessions (sessions);
  g_print (_("Totals since start:\n"));
  table_add (&table, _("WHAT"), _("COUNT"), NULL);
  g_variant_iter_init (&iter, totals);
  while (g_variant_iter_next (&iter, "{&st}", &key, &count))
    {
      g_autofree char *number = g_strdup_printf ("%" G_GUINT64_FORMAT, count);

      table_add (&table, total_label (key), number, NULL);
    }
  table_print (&table);
}

static void
json_clients (GString  *out,
              GVariant *clients)
{
  g_autoptr(GString) waiting = g_string_new ("[");
  GVariantIter iter;
  const char *name, *address, *state, *session;
  guint64 id;
  gboolean first = TRUE;

  g_string_append (out, "\"clients\":[");
  g_variant_iter_init (&iter, clients);
  while (g_variant_iter_next (&iter, "(t&s&s&s&s)", &id, &name, &address, &state, &session))
    {
      g_string_append_printf (out, "%s{\"id\":%" G_GUINT64_FORMAT ",\"name\":",
                              first ? "" : ",", id);
      kf_server_append_json (out, name, -1);
      g_string_append (out, ",\"address\":");
      kf_server_append_json (out, address, -1);
      g_string_append (out, ",\"state\":");
      kf_server_append_json (out, state, -1);
      g_string_append (out, ",\"session\":");
      if (session[0] != '\0')
        kf_server_append_json (out, session, -1);
      else
        g_string_append (out, "null");
      g_string_append_c (out, '}');
      if (strcmp (state, "waiting") == 0)
        g_string_append_printf (waiting, "%s%" G_GUINT64_FORMAT,
                                waiting->len > 1 ? "," : "", id);
      first = FALSE;
    }
  g_string_append_printf (out, "],\"waiting\":%s]", waiting->str);
}

static void
json_sessions (GString  *out,
               GVariant *sessions)
{
  GVariantIter iter;
  const char *id, *mode, *sender_phase, *receiver_phase;
  guint64 sender, receiver;
  gboolean first = TRUE;

  g_string_append (out, "\"sessions\":[");
  g_variant_iter_init (&iter, sessions);
  while (g_variant_iter_next (&iter, "(&s&s(t&s)(t&s))", &id, &mode, &sender, &sender_phase,
                              &receiver, &receiver_phase))
    {
      g_string_append (out, first ? "{\"id\":" : ",{\"id\":");
      kf_server_append_json (out, id, -1);
      g_string_append (out, ",\"mode\":");
      kf_server_append_json (out, mode, -1);
      g_string_append_printf (out, ",\"sender\":{\"id\":%" G_GUINT64_FORMAT ",\"phase\":", sender);
      kf_server_append_json (out, sender_phase, -1);
      g_string_append_printf (out, "},\"receiver\":{\"id\":%" G_GUINT64_FORMAT ",\"phase\":",
                              receiver);
      kf_server_append_json (out, receiver_phase, -1);
      g_string_append_printf (out, "},\"transferring\":%s}",
                              is_transferring (sender_phase, receiver_phase) ? "true" : "false");
      first = FALSE;
    }
  g_string_append_c (out, ']');
}

static void
print_json (GVariant *snapshot)
{
  g_autoptr(GVariant) clients = g_variant_get_child_value (snapshot, 3);
  g_autoptr(GVariant) sessions = g_variant_get_child_value (snapshot, 4);
  g_autoptr(GVariant) totals = g_variant_get_child_value (snapshot, 5);
  g_autoptr(GString) out = g_string_new ("{");
  GVariantIter iter;
  const char *key;
  guint64 count;
  gint64 start_us, now_us;
  gboolean first = TRUE;

  g_variant_get_child (snapshot, 1, "x", &start_us);
  g_variant_get_child (snapshot, 2, "x", &now_us);
  g_string_append_printf (out, "\"started\":%" G_GINT64_FORMAT ",\"uptime\":%" G_GINT64_FORMAT ",",
                          start_us / G_USEC_PER_SEC, MAX (now_us - start_us, 0) / G_USEC_PER_SEC);
  json_clients (out, clients);
  g_string_append_c (out, ',');
  json_sessions (out, sessions);
  g_string_append (out, ",\"totals\":{");
  g_variant_iter_init (&iter, totals);
  while (g_variant_iter_next (&iter, "{&st}", &key, &count))
    {
      if (!first)
        g_string_append_c (out, ',');
      kf_server_append_json (out, key, -1);
      g_string_append_printf (out, ":%" G_GUINT64_FORMAT, count);
      first = FALSE;
    }
  g_string_append (out, "}}");
  g_print ("%s\n", out->str);
}

/*
 * kf_server_status_print:
 * @dir: the runtime directory of the key manager to ask
 * @json: print one JSON object instead of a table
 *
 * Returns: the exit status: 0 when printed, 1 (with a line on stderr)
 * when the key manager cannot be reached, refuses, or answers nonsense.
 */
int
kf_server_status_print (const char *dir,
                        gboolean    json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = fetch (dir, &error);
  g_autoptr(GVariant) snapshot = NULL;
  guint32 version = 0;

  if (answer != NULL && (snapshot = parse (answer, &error)) != NULL)
    {
      g_variant_get_child (snapshot, 0, "u", &version);
      if (version != 1)
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     _("The key manager's status is of version %u; this keyferry-server "
                       "reads version 1"), version);
    }
  if (error != NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (json)
    print_json (snapshot);
  else
    print_table (snapshot);
  return EXIT_SUCCESS;
}
