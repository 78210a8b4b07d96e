/* kf-manifest-parse.c: the receiver's checks of a manifest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A manifest comes from the other computer: authentic (the sender holds
 * the session key) but not trusted.  Every entry is checked before the
 * user is asked (docs/PROTOCOL.md, part 2, §6 "Manifest checks"):
 *
 *   refused (KF_TRANSFER_ERROR_NAME, the offer is declined): a name that
 *   is empty, ".", "..", holds a "/" or a NUL, is not UTF-8 or is longer
 *   than 255 bytes; two entries with the same name in one folder (a file
 *   and a folder included); a tree deeper than KF_TRANSFER_MAX_DEPTH; more
 *   than KF_TRANSFER_MAX_ENTRIES entries;
 *   malformed (KF_TRANSFER_ERROR_PROTOCOL): lengths that do not add up, an
 *   unknown kind, an entry deeper than the folder before it allows, sizes
 *   whose sum is not the announced total;
 *   renamed: control, format and separator characters and "\\" become
 *   "_", a leading "." gets a "_" before it, and a name that then equals
 *   a sibling's gets " (2)", " (3)"….
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-file-name.h"
#include "kf-manifest.h"
#include "kf-untrusted.h"

typedef struct
{
  const guint8 *p;
  const guint8 *end;
  KfManifest   *manifest;
  guint         open[KF_TRANSFER_MAX_DEPTH];  /* the open folder at each depth */
  guint         height;                       /* how many folders are open */
  /* Per depth, the siblings' names as offered and as kept.  The keys are
   * the manifest's own strings, except the offered names of renamed
   * entries, which @renamed owns: a few bytes per entry, not a copy. */
  GHashTable   *raw[KF_TRANSFER_MAX_DEPTH];
  GHashTable   *taken[KF_TRANSFER_MAX_DEPTH];
  GPtrArray    *renamed;
} Parser;

static gboolean
take (Parser *ps,
      gsize   n,
      void   *out)
{
  if ((gsize) (ps->end - ps->p) < n)
    return FALSE;
  memcpy (out, ps->p, n);
  ps->p += n;
  return TRUE;
}

static gboolean
malformed (GError **error)
{
  g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                       _("The sender's list of files is malformed. It may run an incompatible version of Keyferry."));
  return FALSE;
}

static gboolean
refuse (GError    **error,
        const char *why,
        const char *raw,
        gsize       raw_len)
{
  g_autofree char *clean = kf_untrusted_clean (raw, (gssize) raw_len);

  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME,
               _("The sender's list of files cannot be used (%s: “%s”), so the offer was declined. "
                 "Nothing was written."),
               why, clean);
  return FALSE;
}

/* Replaces what must not reach a file name or a terminal with "_", and
 * hides nothing: a leading "." gets a "_" before it.  Cut to 255 bytes. */
static char *
clean_component (const char *raw)
{
  GString *out = g_string_new (raw[0] == '.' ? "_" : NULL);

  for (const char *p = raw; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\\' || kf_untrusted_is_unwanted (c))
        g_string_append_c (out, '_');
      else
        g_string_append_unichar (out, c);
    }
  while (out->len > KF_FILE_NAME_MAX)
    g_string_truncate (out, (gsize) (g_utf8_find_prev_char (out->str, out->str + out->len)
                                     - out->str));
  return g_string_free (out, FALSE);
}

/* Checks one offered name; on success returns it NUL-terminated. */
static char *
check_name (const char  *raw,
            gsize        len,
            GError     **error)
{
  if (len == 0 || len > KF_FILE_NAME_MAX || memchr (raw, '\0', len) != NULL
      || !g_utf8_validate_len (raw, len, NULL))
    return refuse (error, _("a name is empty, too long or not text"), raw, len), NULL;
  if (memchr (raw, '/', len) != NULL)
    return refuse (error, _("a name holds a “/”"), raw, len), NULL;
  if ((len == 1 && raw[0] == '.') || (len == 2 && raw[0] == '.' && raw[1] == '.'))
    return refuse (error, _("a name leaves its folder"), raw, len), NULL;
  return g_strndup (raw, len);
}

/* The kept name of a new entry: cleaned, and numbered if a sibling
 * already has it. */
static char *
unique_name (Parser     *ps,
             const char *clean,
             guint       depth)
{
  char *name = g_strdup (clean);

  for (guint n = 2; g_hash_table_contains (ps->taken[depth], name); n++)
    {
      g_free (name);
      name = kf_manifest_numbered_name (clean, n);
    }
  return name;
}

/* The sibling tables of @depth, emptied when a new folder opens there. */
static void
reset_level (Parser *ps,
             guint   depth)
{
  if (depth >= KF_TRANSFER_MAX_DEPTH)
    return;
  g_clear_pointer (&ps->raw[depth], g_hash_table_unref);
  g_clear_pointer (&ps->taken[depth], g_hash_table_unref);
  ps->raw[depth] = g_hash_table_new (g_str_hash, g_str_equal);
  ps->taken[depth] = g_hash_table_new (g_str_hash, g_str_equal);
}

/* Checks, cleans and appends the entry named @raw. */
static gboolean
add_entry (Parser          *ps,
           KfManifestKind   kind,
           guint            depth,
           char            *raw,
           guint64          size,
           GError         **error)
{
  g_autofree char *clean = NULL;
  g_autofree char *name = NULL;
  g_autofree char *offered = NULL;
  const char *kept;
  guint index = kf_manifest_get_n_entries (ps->manifest);

  if (g_hash_table_contains (ps->raw[depth], raw))
    {
      refuse (error, _("two entries have the same name"), raw, strlen (raw));
      g_free (raw);
      return FALSE;
    }
  clean = clean_component (raw);
  name = unique_name (ps, clean, depth);
  if (strcmp (name, raw) != 0)
    offered = kf_untrusted_clean (raw, -1);
  kept = _kf_manifest_append (ps->manifest, kind, depth,
                              depth > 0 ? ps->open[depth - 1] : G_MAXUINT, name, offered, size,
                              NULL);
  g_hash_table_add (ps->taken[depth], (gpointer) kept);
  if (offered != NULL)
    {
      g_ptr_array_add (ps->renamed, raw);
      g_hash_table_add (ps->raw[depth], raw);
    }
  else
    {
      g_hash_table_add (ps->raw[depth], (gpointer) kept);
      g_free (raw);
    }
  ps->height = depth;
  if (kind == KF_MANIFEST_FOLDER && depth + 1 < KF_TRANSFER_MAX_DEPTH)
    {
      ps->open[depth] = index;
      ps->height = depth + 1;
      reset_level (ps, depth + 1);
    }
  else if (kind == KF_MANIFEST_FOLDER)
    ps->height = KF_TRANSFER_MAX_DEPTH;
  return TRUE;
}

/* Reads and checks one entry. */
static gboolean
parse_entry (Parser  *ps,
             GError **error)
{
  guint8 head[2];
  guint16 len_be;
  guint64 size_be = 0;
  const char *raw;
  char *name;
  gsize len;

  if (!take (ps, 2, head) || !take (ps, 2, &len_be))
    return malformed (error);
  len = GUINT16_FROM_BE (len_be);
  raw = (const char *) ps->p;
  if ((gsize) (ps->end - ps->p) < len)
    return malformed (error);
  ps->p += len;
  if ((head[0] != KF_MANIFEST_FILE && head[0] != KF_MANIFEST_FOLDER)
      || (head[0] == KF_MANIFEST_FILE && !take (ps, 8, &size_be)))
    return malformed (error);
  if (head[1] >= KF_TRANSFER_MAX_DEPTH)
    return refuse (error, _("the folders are nested too deep"), raw, len);
  if (head[1] > ps->height)
    return malformed (error);
  name = check_name (raw, len, error);
  if (name == NULL)
    return FALSE;
  if (GUINT64_FROM_BE (size_be) > KF_TRANSFER_MAX_SIZE - kf_manifest_get_total (ps->manifest))
    {
      g_free (name);
      return malformed (error);
    }
  return add_entry (ps, head[0], head[1], name, GUINT64_FROM_BE (size_be), error);
}

static void
parser_clear (Parser *ps)
{
  for (guint i = 0; i < KF_TRANSFER_MAX_DEPTH; i++)
    {
      g_clear_pointer (&ps->raw[i], g_hash_table_unref);
      g_clear_pointer (&ps->taken[i], g_hash_table_unref);
    }
  g_clear_pointer (&ps->renamed, g_ptr_array_unref);
  g_clear_pointer (&ps->manifest, kf_manifest_unref);
}

/*
 * kf_manifest_parse:
 * @buf: the decrypted manifest, @len bytes
 *
 * Parses and checks a manifest (see the top of this file) and keeps, for
 * each entry, a safe name unique among its siblings.  A pure function of
 * its input.
 *
 * Returns: (transfer full): the manifest, or %NULL with
 * %KF_TRANSFER_ERROR_NAME (hostile: decline it) or
 * %KF_TRANSFER_ERROR_PROTOCOL (malformed).
 */
KfManifest *
kf_manifest_parse (const guint8  *buf,
                   gsize          len,
                   GError       **error)
{
  Parser ps = { buf, buf + len, NULL, { 0 }, 0, { NULL }, { NULL },
                g_ptr_array_new_with_free_func (g_free) };
  guint32 n_be = 0;
  guint64 total_be = 0;
  guint32 n;
  KfManifest *result = NULL;

  g_return_val_if_fail (buf != NULL || len == 0, NULL);

  reset_level (&ps, 0);
  if (!take (&ps, 4, &n_be) || !take (&ps, 8, &total_be))
    goto malformed;
  n = GUINT32_FROM_BE (n_be);
  if (n > KF_TRANSFER_MAX_ENTRIES)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME,
                   _("The sender offered %u files and folders, more than the %u one transfer may hold, so the offer was declined. "
                     "Ask the sender to send them in parts."),
                   n, KF_TRANSFER_MAX_ENTRIES);
      goto out;
    }
  ps.manifest = kf_manifest_new ();
  for (guint32 i = 0; i < n; i++)
    if (!parse_entry (&ps, error))
      goto out;
  if (n == 0 || ps.p != ps.end || GUINT64_FROM_BE (total_be) > KF_TRANSFER_MAX_SIZE
      || kf_manifest_get_total (ps.manifest) != GUINT64_FROM_BE (total_be))
    goto malformed;
  result = g_steal_pointer (&ps.manifest);
  goto out;

malformed:
  malformed (error);
out:
  parser_clear (&ps);
  return result;
}
