/* kf-manifest.c: the list of files and folders a transfer offers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A transfer of several files or of folders starts with a manifest: every
 * entry (file or folder) in depth-first order, each a depth, one path
 * component and, for a file, its size (docs/PROTOCOL.md, part 2, §6).
 * This file holds the entries, their encoding, and the receiver's parser,
 * which is where a hostile sender is stopped: a name that could leave the
 * chosen folder, a duplicate, too many entries or too deep a tree refuses
 * the whole manifest; a name that merely cannot be shown or kept as is
 * (control characters, a leading dot, a clash after cleaning) is renamed
 * and the entry remembers what was offered.  A pure function of its
 * input, for the fuzzer.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-file-name.h"
#include "kf-manifest.h"
#include "kf-untrusted.h"

/* The entries are kept in blocks of BLOCK_SIZE (96 KiB), the last one
 * grown as needed: never more than one block of slack, and no copy of
 * the whole array as it grows (a GArray rounds its bytes up to a power
 * of two, 4 MiB for the 2.4 MB of 100,000 entries, and copies as it
 * doubles). */
#define BLOCK_SHIFT 12
#define BLOCK_SIZE  (1u << BLOCK_SHIFT)
#define N_BLOCKS    ((KF_TRANSFER_MAX_ENTRIES + BLOCK_SIZE - 1) / BLOCK_SIZE)

struct _KfManifest
{
  gatomicrefcount  ref;
  KfManifestEntry *blocks[N_BLOCKS];  /* 24 bytes an entry */
  guint            n_entries;
  guint            capacity;  /* of the last block */
  GStringChunk    *strings;   /* every name, back to back */
  GHashTable      *offered;   /* index → the name offered, where renamed */
  GHashTable      *sources;   /* index → the path or name on disk (sender) */
  guint            n_files;
  guint            n_folders;
  guint64          total;
};

/*
 * kf_manifest_new:
 *
 * Returns: (transfer full): an empty manifest.
 */
KfManifest *
kf_manifest_new (void)
{
  KfManifest *self = g_new0 (KfManifest, 1);

  g_atomic_ref_count_init (&self->ref);
  self->strings = g_string_chunk_new (64 * 1024);
  self->offered = g_hash_table_new (NULL, NULL);
  self->sources = g_hash_table_new (NULL, NULL);
  return self;
}

KfManifest *
kf_manifest_ref (KfManifest *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
kf_manifest_unref (KfManifest *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;

  for (guint i = 0; i < N_BLOCKS; i++)
    g_free (self->blocks[i]);
  g_string_chunk_free (self->strings);
  g_hash_table_unref (self->offered);
  g_hash_table_unref (self->sources);
  g_free (self);
}

/* The folder that entry @depth would go into: the last folder seen at
 * @depth - 1, or G_MAXUINT at the top level. */
static guint
find_parent (const KfManifest *self,
             guint             depth)
{
  for (guint i = self->n_entries; depth > 0 && i > 0; i--)
    {
      const KfManifestEntry *e = kf_manifest_get_entry (self, i - 1);

      if (e->kind == KF_MANIFEST_FOLDER && e->depth == depth - 1)
        return i - 1;
    }
  return G_MAXUINT;
}

const char *
_kf_manifest_append (KfManifest     *self,
                     KfManifestKind  kind,
                     guint           depth,
                     guint           parent,
                     const char     *name,
                     const char     *offered,
                     guint64         size,
                     const char     *source)
{
  KfManifestEntry entry = { g_string_chunk_insert (self->strings, name), size, parent,
                            (guint8) kind, (guint8) depth };
  gpointer index = GUINT_TO_POINTER (self->n_entries);
  guint block = self->n_entries >> BLOCK_SHIFT;
  guint used = self->n_entries & (BLOCK_SIZE - 1);

  g_assert (depth < KF_TRANSFER_MAX_DEPTH && self->n_entries < KF_TRANSFER_MAX_ENTRIES);
  if (used == 0)
    self->capacity = 0;
  if (used == self->capacity)
    {
      self->capacity = MIN (BLOCK_SIZE, MAX (16, 2 * self->capacity));
      self->blocks[block] = g_renew (KfManifestEntry, self->blocks[block], self->capacity);
    }
  self->blocks[block][used] = entry;
  self->n_entries++;
  if (offered != NULL)
    g_hash_table_insert (self->offered, index, g_string_chunk_insert (self->strings, offered));
  if (source != NULL)
    g_hash_table_insert (self->sources, index, g_string_chunk_insert (self->strings, source));
  if (kind == KF_MANIFEST_FILE)
    {
      self->n_files++;
      self->total += size;
    }
  else
    self->n_folders++;
  return entry.name;
}

/*
 * kf_manifest_add:
 * @depth: 0 for a top-level entry; at most one more than the depth of
 *   the last folder added (the entries are added depth first)
 * @name: one path component, UTF-8
 * @source: (nullable): where the sender reads it: for a top-level entry
 *   its local path, below it its own name on disk when that differs from
 *   @name (see kf_manifest_source_path())
 *
 * Appends an entry.  Returns %FALSE, adding nothing, when @name could not
 * be sent (empty, ".", "..", holds a "/", or longer than
 * %KF_FILE_NAME_MAX bytes), the tree is deeper than
 * %KF_TRANSFER_MAX_DEPTH, or the manifest is full.
 */
gboolean
kf_manifest_add (KfManifest     *self,
                 KfManifestKind  kind,
                 guint           depth,
                 const char     *name,
                 guint64         size,
                 const char     *source)
{
  gsize len = strlen (name);

  g_return_val_if_fail (self != NULL && name != NULL, FALSE);

  if (len == 0 || len > KF_FILE_NAME_MAX || strchr (name, '/') != NULL
      || strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || !g_utf8_validate (name, -1, NULL)
      || depth >= KF_TRANSFER_MAX_DEPTH || self->n_entries >= KF_TRANSFER_MAX_ENTRIES
      || size > KF_TRANSFER_MAX_SIZE || self->total + size > KF_TRANSFER_MAX_SIZE)
    return FALSE;

  _kf_manifest_append (self, kind, depth, find_parent (self, depth), name, NULL,
                       kind == KF_MANIFEST_FILE ? size : 0, source);
  return TRUE;
}

guint
kf_manifest_get_n_entries (const KfManifest *self)
{
  return self->n_entries;
}

const KfManifestEntry *
kf_manifest_get_entry (const KfManifest *self,
                       guint             index)
{
  g_return_val_if_fail (index < self->n_entries, NULL);

  return &self->blocks[index >> BLOCK_SHIFT][index & (BLOCK_SIZE - 1)];
}

/*
 * kf_manifest_get_offered:
 *
 * Returns: (nullable): the name entry @index was offered under, cleaned,
 * when the receiver renamed it; %NULL when it kept it.
 */
const char *
kf_manifest_get_offered (const KfManifest *self,
                         guint             index)
{
  return g_hash_table_lookup (self->offered, GUINT_TO_POINTER (index));
}

/*
 * kf_manifest_source_path:
 *
 * Returns: (transfer full) (nullable): the local path the sender reads
 * entry @index from: its top-level entry's path, then the name on disk
 * of each folder down to it; %NULL when the top-level entry has none.
 */
char *
kf_manifest_source_path (const KfManifest *self,
                         guint             index)
{
  const char *parts[KF_TRANSFER_MAX_DEPTH + 2];
  guint n = KF_TRANSFER_MAX_DEPTH + 1;

  parts[KF_TRANSFER_MAX_DEPTH + 1] = NULL;
  for (guint i = index; i != G_MAXUINT && n > 0; )
    {
      const char *source = g_hash_table_lookup (self->sources, GUINT_TO_POINTER (i));
      const KfManifestEntry *e = kf_manifest_get_entry (self, i);

      if (e->depth == 0 && source == NULL)
        return NULL;
      parts[--n] = source != NULL ? source : e->name;
      i = e->parent;
    }
  return g_build_filenamev ((char **) parts + n);
}

guint
kf_manifest_get_n_files (const KfManifest *self)
{
  return self->n_files;
}

guint
kf_manifest_get_n_folders (const KfManifest *self)
{
  return self->n_folders;
}

guint64
kf_manifest_get_total (const KfManifest *self)
{
  return self->total;
}

/*
 * kf_manifest_path:
 * @offered: use the names as offered (where an entry was renamed)
 *
 * Returns: (transfer full): the relative path of entry @index, its
 * components joined with "/".
 */
char *
kf_manifest_path (const KfManifest *self,
                  guint             index,
                  gboolean          offered)
{
  const char *parts[KF_TRANSFER_MAX_DEPTH + 2];
  guint n = KF_TRANSFER_MAX_DEPTH + 1;

  parts[KF_TRANSFER_MAX_DEPTH + 1] = NULL;
  for (guint i = index; i != G_MAXUINT && n > 0; )
    {
      const char *renamed = offered ? kf_manifest_get_offered (self, i) : NULL;
      const KfManifestEntry *e = kf_manifest_get_entry (self, i);

      parts[--n] = renamed != NULL ? renamed : e->name;
      i = e->parent;
    }
  /* Exactly as long as it needs to be: one per file in a result list. */
  return g_strjoinv ("/", (char **) parts + n);
}

/*
 * kf_manifest_encode:
 * @len: (out): the length of the returned buffer
 *
 * Returns: (transfer full): the manifest's plaintext
 * (docs/PROTOCOL.md, part 2, §6): entry count (u32), total size (u64),
 * then per entry kind (u8), depth (u8), name length (u16), name and, for a
 * file, its size (u64), all big-endian.  The caller encrypts it.
 */
guint8 *
kf_manifest_encode (const KfManifest *self,
                    gsize            *len)
{
  gsize total = KF_MANIFEST_HEADER_SIZE;
  guint32 n_be = GUINT32_TO_BE (self->n_entries);
  guint64 total_be = GUINT64_TO_BE (self->total);
  guint8 *out;
  guint8 *p;

  /* Sized exactly first: at 100,000 entries a growing buffer would
   * double to twice the manifest while the sender holds the manifest,
   * its encoding and its ciphertext at once. */
  for (guint i = 0; i < self->n_entries; i++)
    {
      const KfManifestEntry *e = kf_manifest_get_entry (self, i);

      total += 4 + strlen (e->name) + (e->kind == KF_MANIFEST_FILE ? 8 : 0);
    }
  out = p = g_malloc (total);
  memcpy (p, &n_be, 4);
  memcpy (p + 4, &total_be, 8);
  p += KF_MANIFEST_HEADER_SIZE;
  for (guint i = 0; i < self->n_entries; i++)
    {
      const KfManifestEntry *e = kf_manifest_get_entry (self, i);
      gsize name_len = strlen (e->name);
      guint16 name_len_be = GUINT16_TO_BE ((guint16) name_len);
      guint64 size_be = GUINT64_TO_BE (e->size);

      *p++ = (guint8) e->kind;
      *p++ = (guint8) e->depth;
      memcpy (p, &name_len_be, 2);
      memcpy (p + 2, e->name, name_len);
      p += 2 + name_len;
      if (e->kind == KF_MANIFEST_FILE)
        {
          memcpy (p, &size_be, 8);
          p += 8;
        }
    }
  g_assert ((gsize) (p - out) == total);
  *len = total;
  return out;
}

/*
 * kf_manifest_numbered_name:
 *
 * Returns: (transfer full): "@name (@n)", the number before the
 * extension ("a.txt" → "a (2).txt"); never over %KF_FILE_NAME_MAX bytes.
 */
char *
kf_manifest_numbered_name (const char *name,
                           guint       n)
{
  const char *dot = strrchr (name, '.');
  const char *ext = (dot != NULL && dot != name) ? dot : name + strlen (name);
  g_autofree char *suffix = g_strdup_printf (" (%u)%s", n, ext);
  gsize stem_len = (gsize) (ext - name);

  if (strlen (suffix) > KF_FILE_NAME_MAX / 2)
    {
      g_free (suffix);
      suffix = g_strdup_printf (" (%u)", n);
      stem_len = strlen (name);
    }
  while (stem_len + strlen (suffix) > KF_FILE_NAME_MAX)
    stem_len = (gsize) (g_utf8_find_prev_char (name, name + stem_len) - name);
  return g_strdup_printf ("%.*s%s", (int) stem_len, name, suffix);
}
