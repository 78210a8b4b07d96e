/* kf-known-servers.c: pinned key-manager fingerprints, like ssh's known_hosts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store is a text file, by default
 * $XDG_DATA_HOME/keyferry/known-servers, with one "host:port fingerprint"
 * line per server (an IPv6 host is written in brackets: "[::1]:7745").
 * Fingerprints are kept in the canonical form of kf-fingerprint: 64
 * lower-case hex digits.  Lines starting with '#' are comments.
 *
 * Reading is tolerant: a line that does not parse is skipped with a debug
 * message and never stops the rest from loading; it is kept verbatim and
 * written back, so a hand edit is never lost by a later save.  Every change
 * first re-reads the file (another client may have pinned a server since),
 * then replaces it atomically, mode 0600, in a directory made 0700.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-fingerprint.h"
#include "kf-known-servers.h"

typedef struct
{
  char    *host;         /* normalised, no brackets; NULL for a verbatim line */
  guint16  port;
  char    *fingerprint;  /* canonical */
  char    *raw;          /* the line as read, for comments and bad lines */
} KnownLine;

struct _KfKnownServers
{
  KfFileStore parent_instance;

  GPtrArray *lines;      /* KnownLine, in file order */
};

G_DEFINE_FINAL_TYPE (KfKnownServers, kf_known_servers, KF_TYPE_FILE_STORE)


static void
known_line_free (KnownLine *line)
{
  g_free (line->host);
  g_free (line->fingerprint);
  g_free (line->raw);
  g_free (line);
}

/* Lower-cases @host and drops the brackets around an IPv6 address. */
static char *
normalize_host (const char *host)
{
  gsize len = strlen (host);

  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    {
      g_autofree char *inner = g_strndup (host + 1, len - 2);
      return g_ascii_strdown (inner, -1);
    }

  return g_ascii_strdown (host, -1);
}

/* The "host:port" key of a line, with brackets around an IPv6 host. */
static char *
format_key (const char *host,
            guint16     port)
{
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);

  return g_strdup_printf ("%s:%u", host, port);
}

/*
 * parse_key:
 *
 * Splits "host:port" or "[v6]:port" into a normalised host and a port.
 * Returns %FALSE when @key has no valid port or an empty host.
 */
static gboolean
parse_key (const char  *key,
           char       **host,
           guint16     *port)
{
  const char *colon;
  guint64 value;
  g_autofree char *host_part = NULL;

  if (key[0] == '[')
    {
      const char *close = strstr (key, "]:");

      if (close == NULL)
        return FALSE;
      host_part = g_strndup (key + 1, close - key - 1);
      colon = close + 1;
    }
  else
    {
      colon = strrchr (key, ':');
      if (colon == NULL)
        return FALSE;
      host_part = g_strndup (key, colon - key);
      if (strchr (host_part, ':') != NULL)
        return FALSE;
    }

  if (host_part[0] == '\0'
      || !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, &value, NULL))
    return FALSE;

  *host = g_ascii_strdown (host_part, -1);
  *port = (guint16) value;
  return TRUE;
}

/*
 * parse_line:
 *
 * Returns: a new KnownLine for @text.  Comments, blank lines and lines that
 * do not parse come back as verbatim lines (host %NULL), the bad ones with a
 * debug message naming @number.
 */
static KnownLine *
parse_line (const char *text,
            guint       number)
{
  KnownLine *line = g_new0 (KnownLine, 1);
  g_auto(GStrv) words = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autoptr(GError) error = NULL;
  guint n_words = 0;

  line->raw = g_strdup (text);
  if (stripped[0] == '\0' || stripped[0] == '#')
    return line;

  words = g_strsplit_set (stripped, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      words[n_words++] = words[i];
    else
      g_free (words[i]);
  words[n_words] = NULL;

  if (n_words != 2 || !g_utf8_validate (stripped, -1, NULL)
      || !parse_key (words[0], &line->host, &line->port))
    {
      g_debug ("known-servers line %u ignored: expected “host:port fingerprint”", number);
      g_clear_pointer (&line->host, g_free);
      return line;
    }

  line->fingerprint = kf_fingerprint_normalize (words[1], &error);
  if (line->fingerprint == NULL)
    {
      g_debug ("known-servers line %u ignored: %s", number, error->message);
      g_clear_pointer (&line->host, g_free);
    }

  return line;
}

static KnownLine *
find_line (KfKnownServers *self,
           const char     *host,
           guint16         port)
{
  for (guint i = 0; i < self->lines->len; i++)
    {
      KnownLine *line = g_ptr_array_index (self->lines, i);

      if (line->host != NULL && line->port == port && g_str_equal (line->host, host))
        return line;
    }

  return NULL;
}

/*
 * kf_known_servers_default_path:
 *
 * Returns: (transfer full): $XDG_DATA_HOME/keyferry/known-servers.
 */
char *
kf_known_servers_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "keyferry", "known-servers", NULL);
}

/*
 * kf_known_servers_new:
 * @path: (nullable): the file to use; %NULL for the default path
 *
 * Returns: (transfer full): an empty store for @path.  Nothing is read
 * until kf_known_servers_load().
 */
KfKnownServers *
kf_known_servers_new (const char *path)
{
  g_autofree char *default_path = NULL;

  if (path == NULL)
    path = default_path = kf_known_servers_default_path ();

  return g_object_new (KF_TYPE_KNOWN_SERVERS, "path", path, NULL);
}

const char *
kf_known_servers_get_path (KfKnownServers *self)
{
  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), NULL);

  return kf_file_store_get_path (KF_FILE_STORE (self));
}

/*
 * kf_known_servers_load:
 *
 * Replaces what the store holds with the file's contents.  A missing file
 * is an empty store.  Returns %FALSE only when the file exists but cannot
 * be read; the store then keeps what it held.
 */
gboolean
kf_known_servers_load (KfKnownServers  *self,
                       GError         **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) texts = NULL;
  gsize len = 0;

  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), FALSE);

  if (!g_file_get_contents (kf_file_store_get_path (KF_FILE_STORE (self)), &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_ptr_array_set_size (self->lines, 0);
          return TRUE;
        }
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not read the known servers file: %s"), local_error->message);
      return FALSE;
    }

  g_ptr_array_set_size (self->lines, 0);
  texts = g_strsplit (contents, "\n", -1);
  for (guint i = 0; texts[i] != NULL; i++)
    {
      /* The empty string after the final newline is not a line. */
      if (texts[i + 1] == NULL && texts[i][0] == '\0')
        break;
      g_ptr_array_add (self->lines, parse_line (texts[i], i + 1));
    }

  return TRUE;
}

/* Writes every line back, atomically, mode 0600 in a 0700 directory. */
static gboolean
save (KfKnownServers  *self,
      GError         **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < self->lines->len; i++)
    {
      KnownLine *line = g_ptr_array_index (self->lines, i);

      if (line->host != NULL)
        {
          g_autofree char *key = format_key (line->host, line->port);
          g_string_append_printf (out, "%s %s\n", key, line->fingerprint);
        }
      else
        g_string_append_printf (out, "%s\n", line->raw);
    }

  /* Translators: what the file holds, in “Could not save %s” and
   * “Could not create the folder %s for %s”. */
  return kf_file_store_save (KF_FILE_STORE (self), out->str, out->len, _("the known servers"),
                             error);
}

/*
 * kf_known_servers_lookup:
 *
 * Returns: (nullable): the pinned canonical fingerprint of @host:@port
 * (host compared case-insensitively, IPv6 with or without brackets), or
 * %NULL when the server is not known.  Valid until the store next changes.
 */
const char *
kf_known_servers_lookup (KfKnownServers *self,
                         const char     *host,
                         guint16         port)
{
  g_autofree char *normal = NULL;
  KnownLine *line;

  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  normal = normalize_host (host);
  line = find_line (self, normal, port);

  return line != NULL ? line->fingerprint : NULL;
}

/*
 * kf_known_servers_dup_targets:
 *
 * Returns: (transfer full): every key manager pinned, as "host:port"
 * ("[v6]:port"), once each, in file order: keyferry-cli connects to the
 * only one without being told --server.
 */
GStrv
kf_known_servers_dup_targets (KfKnownServers *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), NULL);

  for (guint i = 0; i < self->lines->len; i++)
    {
      KnownLine *line = g_ptr_array_index (self->lines, i);
      char *target;

      if (line->host == NULL)
        continue;
      target = strchr (line->host, ':') != NULL
               ? g_strdup_printf ("[%s]:%u", line->host, line->port)
               : g_strdup_printf ("%s:%u", line->host, line->port);
      if (g_hash_table_add (seen, target))
        g_strv_builder_add (builder, target);
    }
  return g_strv_builder_end (builder);
}

/* Drops every entry for @host:@port; returns whether there was one. */
static gboolean
drop_entries (KfKnownServers *self,
              const char     *host,
              guint16         port)
{
  gboolean found = FALSE;

  for (guint i = self->lines->len; i > 0; i--)
    {
      KnownLine *line = g_ptr_array_index (self->lines, i - 1);

      if (line->host != NULL && line->port == port && g_str_equal (line->host, host))
        {
          g_ptr_array_remove_index (self->lines, i - 1);
          found = TRUE;
        }
    }

  return found;
}

/*
 * kf_known_servers_add:
 * @fingerprint: in any form kf_fingerprint_normalize() accepts
 *
 * Pins @fingerprint for @host:@port, replacing any earlier pin, and saves
 * the file atomically (after re-reading it, so pins added meanwhile by
 * another client survive).  Returns %FALSE with %G_IO_ERROR_INVALID_DATA
 * for a malformed fingerprint or host, or with the file error when the
 * file cannot be read or written; the store is then unchanged on disk.
 */
gboolean
kf_known_servers_add (KfKnownServers  *self,
                      const char      *host,
                      guint16          port,
                      const char      *fingerprint,
                      GError         **error)
{
  g_autofree char *canonical = NULL;
  g_autofree char *normal = NULL;
  KnownLine *line;

  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  normal = normalize_host (host);
  if (normal[0] == '\0' || port == 0 || strpbrk (normal, " \t\n\r#[]") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” port %u cannot be recorded as a known server"), host, port);
      return FALSE;
    }
  canonical = kf_fingerprint_normalize (fingerprint, error);
  if (canonical == NULL || !kf_known_servers_load (self, error))
    return FALSE;

  drop_entries (self, normal, port);
  line = g_new0 (KnownLine, 1);
  line->host = g_steal_pointer (&normal);
  line->port = port;
  line->fingerprint = g_steal_pointer (&canonical);
  g_ptr_array_add (self->lines, line);

  return save (self, error);
}

/*
 * kf_known_servers_remove:
 *
 * Forgets @host:@port and saves the file.  Forgetting a server that is not
 * known succeeds without touching the file.  Returns %FALSE with the file
 * error when the file cannot be read or written.
 */
gboolean
kf_known_servers_remove (KfKnownServers  *self,
                         const char      *host,
                         guint16          port,
                         GError         **error)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  normal = normalize_host (host);
  if (!kf_known_servers_load (self, error))
    return FALSE;
  if (!drop_entries (self, normal, port))
    return TRUE;

  return save (self, error);
}

/*
 * kf_known_servers_clear:
 *
 * Forgets every server (comments are kept) and saves the file.  Returns
 * %FALSE with the file error when it cannot be written.
 */
gboolean
kf_known_servers_clear (KfKnownServers  *self,
                        GError         **error)
{
  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (self), FALSE);

  if (!kf_known_servers_load (self, error))
    return FALSE;
  for (guint i = self->lines->len; i > 0; i--)
    {
      KnownLine *line = g_ptr_array_index (self->lines, i - 1);

      if (line->host != NULL)
        g_ptr_array_remove_index (self->lines, i - 1);
    }

  return save (self, error);
}

static void
kf_known_servers_finalize (GObject *object)
{
  KfKnownServers *self = KF_KNOWN_SERVERS (object);

  g_ptr_array_unref (self->lines);

  G_OBJECT_CLASS (kf_known_servers_parent_class)->finalize (object);
}

static void
kf_known_servers_class_init (KfKnownServersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kf_known_servers_finalize;
  KF_FILE_STORE_CLASS (klass)->default_path = kf_known_servers_default_path;
}

static void
kf_known_servers_init (KfKnownServers *self)
{
  self->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) known_line_free);
}
