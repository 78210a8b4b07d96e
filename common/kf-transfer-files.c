/* kf-transfer-files.c: the per-file list of a transfer's result
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A result lists every file and folder of a transfer with its path, size,
 * block count and status.  At 100,000 entries one KfTransferFileResult
 * and its path each cost about 80 bytes, kept whether or not anybody
 * reads them; so the list is not kept but derived, one entry at a time,
 * from what each side keeps anyway: the manifest (the entries in order,
 * their names, sizes and what the receiver renamed), one block count per
 * file, how many entries landed (they land in manifest order), and the
 * few local names that differ from the manifest's (a top-level name that
 * existed, a name taken while the file arrived).  What cannot be derived,
 * the entries the sender skipped or a single file, is kept as it is and
 * listed first.  kf_transfer_files_foreach() builds each entry on the
 * stack for its caller; kf_transfer_files_to_array() is for those who
 * want them all at once.
 *
 * The engine's threads fill a list while the transfer runs; callers read
 * it only once the engine returned, so nothing here is locked.
 */

#include "config.h"

#include <string.h>

#include "kf-transfer-private.h"

struct _KfTransferFiles
{
  gatomicrefcount  ref;
  GPtrArray       *given;       /* KfTransferFileResult listed first */
  KfManifest      *manifest;    /* NULL: only the given ones */
  gboolean         receiver;    /* local paths, renames reported */
  guint64         *blocks;      /* per file of the manifest */
  GHashTable      *names;       /* index → the local name it landed under, where
                                 * that is not the manifest's */
  guint            n_done;      /* entries that landed, from the first */
  KfTransferFileStatus done_status; /* theirs: ARRIVED, or SENT while a
                                 * sender has no DONE */
  guint            files_done;  /* files among them */
};

G_DEFINE_BOXED_TYPE (KfTransferFiles, kf_transfer_files,
                     kf_transfer_files_ref, kf_transfer_files_unref)

/*
 * _kf_transfer_files_new:
 * @manifest: (nullable): the transfer's entries; %NULL for a single file
 * @receiver: whether the entries land on this side (their paths are
 *   local, and a path other than the one offered is reported renamed)
 *
 * Returns: (transfer full): a list of no entries yet: those of @manifest
 * appear as they land (_kf_transfer_files_landed()), or on a sender as
 * they go whole (_kf_transfer_files_set_done(): SENT until
 * _kf_transfer_files_set_delivered()).
 */
KfTransferFiles *
_kf_transfer_files_new (KfManifest *manifest,
                        gboolean    receiver)
{
  KfTransferFiles *self = g_new0 (KfTransferFiles, 1);

  g_atomic_ref_count_init (&self->ref);
  self->given = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_transfer_file_result_free);
  self->receiver = receiver;
  self->done_status = receiver ? KF_TRANSFER_FILE_ARRIVED : KF_TRANSFER_FILE_SENT;
  if (manifest == NULL)
    return self;
  self->manifest = kf_manifest_ref (manifest);
  self->blocks = g_new0 (guint64, MAX (kf_manifest_get_n_files (manifest), 1));
  self->names = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return self;
}

KfTransferFiles *
kf_transfer_files_ref (KfTransferFiles *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
kf_transfer_files_unref (KfTransferFiles *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;

  g_ptr_array_unref (self->given);
  g_clear_pointer (&self->manifest, kf_manifest_unref);
  g_free (self->blocks);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_free (self);
}

/*
 * _kf_transfer_files_add:
 * @file: (transfer full): an entry that the manifest does not describe (a
 *   skipped one, or a single file)
 *
 * Lists @file before the manifest's entries.
 */
void
_kf_transfer_files_add (KfTransferFiles      *self,
                        KfTransferFileResult *file)
{
  g_ptr_array_add (self->given, file);
}

/*
 * _kf_transfer_files_set_blocks:
 * @file: the file's number among the manifest's files, from 0
 *
 * Records the AES blocks of that file's chain.
 */
void
_kf_transfer_files_set_blocks (KfTransferFiles *self,
                               guint            file,
                               guint64          blocks)
{
  g_assert (self->manifest != NULL && file < kf_manifest_get_n_files (self->manifest));

  self->blocks[file] = blocks;
}

guint64
_kf_transfer_files_get_blocks (KfTransferFiles *self,
                               guint            file)
{
  g_assert (self->manifest != NULL && file < kf_manifest_get_n_files (self->manifest));

  return self->blocks[file];
}

/*
 * _kf_transfer_files_set_done:
 *
 * The first @n_entries entries of the manifest landed (on a sender: went
 * whole); the files after them are listed as incomplete.
 */
void
_kf_transfer_files_set_done (KfTransferFiles *self,
                             guint            n_entries)
{
  g_assert (self->manifest != NULL && n_entries <= kf_manifest_get_n_entries (self->manifest));

  for (; self->n_done < n_entries; self->n_done++)
    if (kf_manifest_get_entry (self->manifest, self->n_done)->kind == KF_MANIFEST_FILE)
      self->files_done++;
}

/*
 * _kf_transfer_files_set_delivered:
 *
 * Sender: the receiver said it verified and saved everything; the
 * entries gone whole are ARRIVED, no longer only SENT.
 */
void
_kf_transfer_files_set_delivered (KfTransferFiles *self)
{
  g_assert (!self->receiver);

  self->done_status = KF_TRANSFER_FILE_ARRIVED;
}

/*
 * _kf_transfer_files_landed:
 * @index: the entry that landed, the one after the last that did
 * @name: the local name it got in its folder
 *
 * Records that entry @index landed under @name; only a name that is not
 * the manifest's is kept.
 */
void
_kf_transfer_files_landed (KfTransferFiles *self,
                           guint            index,
                           const char      *name)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (self->manifest, index);

  if (strcmp (name, entry->name) != 0)
    g_hash_table_insert (self->names, GUINT_TO_POINTER (index), g_strdup (name));
  _kf_transfer_files_set_done (self, index + 1);
}

/*
 * kf_transfer_files_get_length:
 *
 * Returns: how many entries kf_transfer_files_foreach() gives.
 */
guint
kf_transfer_files_get_length (KfTransferFiles *self)
{
  g_return_val_if_fail (self != NULL, 0);

  if (self->manifest == NULL)
    return self->given->len;
  return self->given->len + self->n_done
         + (kf_manifest_get_n_files (self->manifest) - self->files_done);
}

/* Sets @path to the local path of entry @index: its names, and those of
 * its folders, as they landed. */
static void
local_path (KfTransferFiles *self,
            guint            index,
            GString         *path)
{
  const char *parts[KF_TRANSFER_MAX_DEPTH];
  guint n = 0;

  for (guint i = index; i != G_MAXUINT && n < KF_TRANSFER_MAX_DEPTH; )
    {
      const KfManifestEntry *e = kf_manifest_get_entry (self->manifest, i);
      const char *name = g_hash_table_lookup (self->names, GUINT_TO_POINTER (i));

      parts[n++] = name != NULL ? name : e->name;
      i = e->parent;
    }
  g_string_truncate (path, 0);
  while (n > 0)
    {
      g_string_append (path, parts[--n]);
      if (n > 0)
        g_string_append_c (path, '/');
    }
}

/* Calls @func with entry @index, file number @file among the files. */
static gboolean
call_entry (KfTransferFiles     *self,
            guint                index,
            guint                file,
            GString             *path,
            KfTransferFilesFunc  func,
            gpointer             user_data)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (self->manifest, index);
  KfTransferFileResult result = { 0 };
  g_autofree char *offered = NULL;

  result.size = entry->size;
  result.is_folder = entry->kind == KF_MANIFEST_FOLDER;
  if (index >= self->n_done)
    {
      /* What never arrived goes by the name it was offered under. */
      offered = kf_manifest_path (self->manifest, index, TRUE);
      result.path = offered;
      result.status = KF_TRANSFER_FILE_INCOMPLETE;
      return func (&result, user_data);
    }
  local_path (self, index, path);
  result.path = path->str;
  result.blocks = result.is_folder ? 0 : self->blocks[file];
  result.status = self->done_status;
  if (self->receiver)
    offered = kf_manifest_path (self->manifest, index, TRUE);
  if (offered != NULL && strcmp (offered, path->str) != 0)
    {
      result.status = KF_TRANSFER_FILE_RENAMED;
      result.offered_path = offered;
    }
  return func (&result, user_data);
}

/*
 * kf_transfer_files_foreach:
 * @func: called with each entry, in the result's order: those given
 *   first (what the sender skipped), then every entry that landed (on a
 *   sender: was delivered), then each file that did not
 *
 * Builds the entries one at a time; each is valid only during its call.
 *
 * Returns: %FALSE when @func stopped the walk.
 */
gboolean
kf_transfer_files_foreach (KfTransferFiles     *self,
                           KfTransferFilesFunc  func,
                           gpointer             user_data)
{
  g_autoptr(GString) path = NULL;
  guint n;
  guint file = 0;

  g_return_val_if_fail (self != NULL && func != NULL, FALSE);

  for (guint i = 0; i < self->given->len; i++)
    if (!func (self->given->pdata[i], user_data))
      return FALSE;
  if (self->manifest == NULL)
    return TRUE;

  path = g_string_sized_new (256);
  n = kf_manifest_get_n_entries (self->manifest);
  for (guint i = 0; i < n; i++)
    {
      gboolean is_file = kf_manifest_get_entry (self->manifest, i)->kind == KF_MANIFEST_FILE;

      if ((i < self->n_done || is_file)
          && !call_entry (self, i, file, path, func, user_data))
        return FALSE;
      file += is_file ? 1 : 0;
    }
  return TRUE;
}

static gboolean
add_copy (const KfTransferFileResult *file,
          gpointer                    user_data)
{
  g_ptr_array_add (user_data, kf_transfer_file_result_copy (file));
  return TRUE;
}

/*
 * kf_transfer_files_to_array:
 *
 * Returns: (transfer full) (element-type KfTransferFileResult): every
 * entry of kf_transfer_files_foreach(), copied: for callers that show
 * them all.
 */
GPtrArray *
kf_transfer_files_to_array (KfTransferFiles *self)
{
  GPtrArray *files;

  g_return_val_if_fail (self != NULL, NULL);

  files = g_ptr_array_new_full (kf_transfer_files_get_length (self),
                                (GDestroyNotify) kf_transfer_file_result_free);
  kf_transfer_files_foreach (self, add_copy, files);
  return files;
}
