/* kf-transfer-tree.c: receiving several files and folders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Once the manifest is read and checked (kf-manifest-parse.c) and the user
 * chose a folder, the receiver accepts and creates the tree strictly inside
 * that folder.  Every folder is made with mkdirat() and opened with
 * O_NOFOLLOW relative to its parent's descriptor, so a symbolic link that
 * appears under a name mid-transfer is never followed; nothing is looked
 * up by path.  Top-level names that already exist get " (2)", " (3)"…
 * unless replacing was allowed.  Two threads, as for one file: the network
 * thread (the GTask's) reads and verifies the records and decrypts each
 * file's chain with its own IV; the disk thread walks the manifest in the
 * same order, makes the folders and writes each file to a temporary file
 * (anonymous, O_TMPFILE, or a hidden ".keyferry-XXXXXXXX.part") that gets
 * its name only after its FINAL record verified and its size matched.  An
 * interrupted transfer leaves the files completed before it, and no part
 * of any other.  The network thread (kf-transfer-tree-net.c) decrypts
 * record after record into one buffer, many small files to it, and hands
 * it on once it holds 256 KiB or before it would wait for the sender, so the
 * threads wake once per buffer rather than once per file.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "kf-transfer-private.h"

#define PLAIN_BUF_SIZE (KF_RECORD_MAX_PAYLOAD + 2 * KF_CIPHER_BLOCK_SIZE)

static void
tree_job_free (KfTreeJob *job)
{
  for (guint i = 0; i < KF_TRANSFER_MAX_DEPTH; i++)
    {
      if (job->dir_fds[i] >= 0)
        close (job->dir_fds[i]);
      g_free (job->dir_paths[i]);
    }
  if (job->root_fd >= 0)
    close (job->root_fd);
  g_clear_pointer (&job->offer, kf_transfer_offer_free);
  g_free (job->folder);
  g_clear_pointer (&job->top_names, g_hash_table_unref);
  g_clear_pointer (&job->list, kf_transfer_files_unref);
  g_free (job->temp_name);
  g_clear_pointer (&job->free_bufs, g_async_queue_unref);
  g_clear_pointer (&job->full_bufs, g_async_queue_unref);
  _kf_transfer_job_clear (&job->base);
  g_free (job);
}

/* A local failure about @rel (a path inside the folder), a full disk
 * made explicit. */
static GError *
local_error (const char *rel,
             int         errsv)
{
  g_autofree char *name = g_filename_display_name (rel);

  if (errsv == ENOSPC || errsv == EDQUOT)
    return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NO_SPACE,
                        _("The disk is full: “%s” could not be written. Free some space or choose another folder."),
                        name);
  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                      _("Could not write “%s”: %s"), name, g_strerror (errsv));
}

/* Whether @name exists in the folder @dir_fd, as anything (a dangling
 * link too). */
static gboolean
exists_at (int         dir_fd,
           const char *name)
{
  struct stat st;

  return fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Picks the local name of each top-level entry: its own, or the first
 * free "name (n)" when it exists and may not be replaced, never one that
 * another top-level entry uses. */
static void
choose_top_names (KfTreeJob *job)
{
  guint n = kf_manifest_get_n_entries (job->manifest);
  g_autoptr(GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);

  job->top_names = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  for (guint i = 0; i < n; i++)
    if (kf_manifest_get_entry (job->manifest, i)->depth == 0)
      g_hash_table_add (used, (gpointer) kf_manifest_get_entry (job->manifest, i)->name);
  for (guint i = 0; i < n; i++)
    {
      const KfManifestEntry *entry = kf_manifest_get_entry (job->manifest, i);
      char *name;
      guint k = 2;

      if (entry->depth != 0)
        continue;
      name = g_strdup (entry->name);
      while (!job->overwrite && exists_at (job->root_fd, name))
        do
          {
            g_free (name);
            name = kf_manifest_numbered_name (entry->name, k++);
          }
        while (g_hash_table_contains (used, name));
      if (strcmp (name, entry->name) == 0)
        {
          g_free (name);
          continue;
        }
      g_hash_table_add (used, name);
      g_hash_table_insert (job->top_names, GUINT_TO_POINTER (i), name);
    }
}

/* The name entry @index goes under in its folder, before any clash
 * while it arrives. */
static const char *
entry_name (KfTreeJob             *job,
            guint                  index,
            const KfManifestEntry *entry)
{
  const char *top = entry->depth == 0
                    ? g_hash_table_lookup (job->top_names, GUINT_TO_POINTER (index)) : NULL;

  return top != NULL ? top : entry->name;
}

/* Opens the chosen folder, picks the top-level names and checks the
 * room; sets up the transcript digest. */
static gboolean
prepare (KfTreeJob  *job,
         GError    **error)
{
  g_autoptr(GFile) folder = g_file_new_for_path (job->folder);

  job->root_fd = open (job->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (job->root_fd < 0)
    {
      g_autofree char *name = g_filename_display_name (job->folder);

      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                   _("Could not open the folder “%s”: %s. Choose another folder."),
                   name, g_strerror (errno));
      return FALSE;
    }
  if (!kf_transfer_check_space (folder, job->offer->plain_size, error))
    return FALSE;
  choose_top_names (job);
  job->base.transcript = _kf_transcript_new ();
  return TRUE;
}

/* The folder that entry @entry goes into, and its name there. */
static int
parent_fd (KfTreeJob             *job,
           const KfManifestEntry *entry)
{
  return entry->depth == 0 ? job->root_fd : job->dir_fds[entry->depth - 1];
}

/* The relative path of @name inside the folder of @entry. */
static char *
local_path (KfTreeJob             *job,
            const KfManifestEntry *entry,
            const char            *name)
{
  return entry->depth == 0 ? g_strdup (name)
                           : g_strconcat (job->dir_paths[entry->depth - 1], "/", name, NULL);
}

/* Records that entry @index landed, saved as @name, and tells the caller
 * of a file.  The result's list keeps only what it cannot derive from the
 * manifest (kf-transfer-files.c); the report is copied for the caller. */
static void
record_landed (KfTreeJob  *job,
               guint       index,
               const char *name,
               guint64     blocks)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (job->manifest, index);
  g_autofree char *offered = NULL;
  g_autofree char *path = NULL;
  KfTransferFileResult file = { 0 };

  _kf_transfer_files_landed (job->list, index, name);
  if (entry->kind == KF_MANIFEST_FOLDER)
    return;
  offered = kf_manifest_path (job->manifest, index, TRUE);
  path = local_path (job, entry, name);
  file.path = path;
  file.size = entry->size;
  file.blocks = blocks;
  file.status = KF_TRANSFER_FILE_ARRIVED;
  if (strcmp (offered, path) != 0)
    {
      file.status = KF_TRANSFER_FILE_RENAMED;
      file.offered_path = offered;
    }
  _kf_progress_set_files (job->base.progress, ++job->files_done, job->offer->n_files);
  _kf_progress_post (job->base.progress, job->written, FALSE, &file);
}

/* Makes the folder of entry @index (or, when replacing is allowed, opens
 * the existing one) and keeps it open for its entries.  Never follows a
 * link: O_NOFOLLOW. */
static gboolean
make_folder (KfTreeJob  *job,
             guint       index,
             GError    **error)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (job->manifest, index);
  int parent = parent_fd (job, entry);
  const char *base = entry_name (job, index, entry);
  g_autofree char *name = g_strdup (base);
  g_autofree char *rel = NULL;
  int fd;

  for (guint k = 2; mkdirat (parent, name, 0700) != 0; k++)
    {
      if (errno != EEXIST || job->overwrite || k > 10000)
        break;
      g_free (name);
      name = kf_manifest_numbered_name (base, k);
    }
  rel = local_path (job, entry, name);
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      *error = local_error (rel, errno);
      return FALSE;
    }
  if (job->dir_fds[entry->depth] >= 0)
    close (job->dir_fds[entry->depth]);
  job->dir_fds[entry->depth] = fd;
  g_free (job->dir_paths[entry->depth]);
  job->dir_paths[entry->depth] = g_steal_pointer (&rel);
  record_landed (job, index, name, 0);
  return TRUE;
}

/* Creates the temporary file in @dir_fd, private and exclusive:
 * anonymous where the file system supports O_TMPFILE, named otherwise. */
static gboolean
create_temp (KfTreeJob   *job,
             int          dir_fd,
             const char  *rel,
             GError     **error)
{
  job->temp_dir = dir_fd;
  job->temp_fd = openat (dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  for (guint attempt = 0; job->temp_fd < 0 && attempt < 8; attempt++)
    {
      g_free (job->temp_name);
      job->temp_name = g_strdup_printf (".keyferry-%08x.part", g_random_int ());
      job->temp_fd = openat (dir_fd, job->temp_name,
                             O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (job->temp_fd < 0 && errno != EEXIST)
        break;
    }
  if (job->temp_fd >= 0)
    return TRUE;
  *error = local_error (rel, errno);
  g_clear_pointer (&job->temp_name, g_free);
  return FALSE;
}

/* Closes and removes the temporary file, if any. */
static void
discard_temp (KfTreeJob *job)
{
  if (job->temp_fd >= 0)
    close (job->temp_fd);
  job->temp_fd = -1;
  if (job->temp_name != NULL)
    unlinkat (job->temp_dir, job->temp_name, 0);
  g_clear_pointer (&job->temp_name, g_free);
}

/* Gives the complete temporary file the name @name in @dir_fd, never
 * replacing anything unless allowed.  Returns 0 or -1 with errno. */
static int
link_temp (KfTreeJob  *job,
           int         dir_fd,
           const char *name)
{
  g_autofree char *proc = NULL;
  g_autofree char *temp = NULL;

  if (job->temp_name != NULL && job->overwrite)
    return renameat (dir_fd, job->temp_name, dir_fd, name);
  if (job->temp_name != NULL)
    {
      if (renameat2 (dir_fd, job->temp_name, dir_fd, name, RENAME_NOREPLACE) == 0)
        return 0;
      if (errno != EINVAL && errno != ENOSYS)
        return -1;
      if (linkat (dir_fd, job->temp_name, dir_fd, name, 0) != 0)
        return -1;
      return unlinkat (dir_fd, job->temp_name, 0);
    }

  proc = g_strdup_printf ("/proc/self/fd/%d", job->temp_fd);
  if (linkat (AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  if (errno != EEXIST || !job->overwrite)
    return -1;
  temp = g_strdup_printf (".keyferry-%08x.part", g_random_int ());
  if (linkat (AT_FDCWD, proc, dir_fd, temp, AT_SYMLINK_FOLLOW) != 0)
    return -1;
  if (renameat (dir_fd, temp, dir_fd, name) == 0)
    return 0;
  unlinkat (dir_fd, temp, 0);
  return -1;
}

/* Gives the verified temporary file of entry @index its name, or the
 * first free "name (n)" when something took the name meanwhile. */
static gboolean
commit_file (KfTreeJob  *job,
             guint       index,
             guint64     blocks,
             GError    **error)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (job->manifest, index);
  const char *base = entry_name (job, index, entry);
  int dir_fd = parent_fd (job, entry);
  g_autofree char *name = g_strdup (base);

  for (guint k = 2; link_temp (job, dir_fd, name) != 0; k++)
    {
      if (errno != EEXIST || job->overwrite || k > 10000)
        {
          g_autofree char *rel = local_path (job, entry, name);

          *error = local_error (rel, errno);
          return FALSE;
        }
      g_free (name);
      name = kf_manifest_numbered_name (base, k);
    }
  g_clear_pointer (&job->temp_name, g_free);
  if (close (job->temp_fd) != 0)
    {
      g_autofree char *rel = local_path (job, entry, name);

      job->temp_fd = -1;
      *error = local_error (rel, errno);
      unlinkat (dir_fd, name, 0);
      return FALSE;
    }
  job->temp_fd = -1;
  record_landed (job, index, name, blocks);
  return TRUE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* The next piece the network thread handed on, in order, from the
 * buffer being read (given back once read); %NULL once the job is
 * stopped. */
static const KfPiece *
next_piece (KfTreeJob *job)
{
  if (job->reading != NULL && job->next_piece == job->reading->n_pieces)
    g_async_queue_push (job->free_bufs, g_steal_pointer (&job->reading));
  if (job->reading == NULL)
    {
      job->reading = _kf_job_pop (&job->base.state, job->full_bufs);
      job->next_piece = 0;
      if (job->reading == NULL)
        return NULL;
    }
  return &job->reading->pieces[job->next_piece++];
}

/* Writes the pieces of entry @index to a temporary file and, once the
 * last one came (verified) and the size matches, commits it.  Returns
 * %FALSE with @error unset when the job was stopped. */
static gboolean
write_file (KfTreeJob  *job,
            guint       index,
            GError    **error)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (job->manifest, index);
  g_autofree char *rel = local_path (job, entry, entry_name (job, index, entry));
  guint64 got = 0;
  guint file = 0;
  gboolean last = FALSE;
  KfWriteback writeback;

  _kf_progress_set_current (job->base.progress, rel);
  if (!create_temp (job, parent_fd (job, entry), rel, error))
    return FALSE;
  _kf_writeback_init (&writeback, job->temp_fd);
  while (!last)
    {
      const KfPiece *piece = next_piece (job);
      gsize len;

      if (piece == NULL)
        return FALSE;
      len = piece->len;
      last = piece->last;
      file = piece->file;
      /* The file's next pieces in this buffer follow it: one write. */
      for (; !last && job->next_piece < job->reading->n_pieces; job->next_piece++)
        {
          len += job->reading->pieces[job->next_piece].len;
          last = job->reading->pieces[job->next_piece].last;
        }
      if (!write_all (job->temp_fd, job->reading->data + piece->offset, len)
          || !_kf_writeback_wrote (&writeback, len, NULL))
        {
          *error = local_error (rel, errno);
          return FALSE;
        }
      got += len;
      job->written += len;
      _kf_progress_update (job->base.progress, job->written, FALSE);
    }
  if (got != entry->size)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                   _("“%s” decrypted to %" PRIu64 " bytes, not the %" PRIu64 " the sender announced. It was not saved."),
                   rel, got, entry->size);
      return FALSE;
    }
  return commit_file (job, index, _kf_transfer_files_get_blocks (job->list, file), error);
}

/* Disk thread: the manifest in order, folders made, files written. */
static gpointer
disk_main (gpointer data)
{
  KfTreeJob *job = data;
  guint n = kf_manifest_get_n_entries (job->manifest);
  GError *error = NULL;

  for (guint i = 0; i < n && !g_cancellable_is_cancelled (job->base.state.stop); i++)
    {
      gboolean ok = kf_manifest_get_entry (job->manifest, i)->kind == KF_MANIFEST_FOLDER
                    ? make_folder (job, i, &error)
                    : write_file (job, i, &error);

      if (!ok)
        break;
    }
  discard_temp (job);
  if (error != NULL)
    _kf_job_fail (&job->base.state, error);
  _kf_progress_update (job->base.progress, job->written, TRUE);
  return NULL;
}

/* Accepts, and runs the network loop while the disk thread works. */
static gboolean
receive_tree (KfTreeJob     *job,
              GCancellable  *cancellable,
              GError       **error)
{
  GError *local = NULL;
  GThread *disk;

  if (!kf_peer_link_send_copy (job->base.link, KF_RECORD_ACCEPT, 0, NULL, 0, cancellable, error))
    return FALSE;
  kf_peer_link_arm_idle_timeout (job->base.link);
  job->free_bufs = _kf_transfer_job_new_queue (&job->base, PLAIN_BUF_SIZE);
  job->full_bufs = g_async_queue_new ();
  disk = g_thread_new ("kf-receive-disk", disk_main, job);
  if (!_kf_transfer_tree_receive_files (job, cancellable, &local) && local != NULL)
    _kf_job_fail (&job->base.state, local);
  g_thread_join (disk);
  *error = _kf_job_steal_error (&job->base.state);
  return *error == NULL;
}

static void
tree_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KfTreeJob *job = task_data;
  KfTransferResult *result;
  GError *error = NULL;

  /* A failed check has said nothing to the sender yet: the caller may
   * pick another folder, or decline. */
  if (!prepare (job, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!receive_tree (job, cancellable, &error))
    {
      _kf_transfer_tell_cancel (job->base.link, error);
      kf_peer_link_abort (job->base.link);
      g_task_return_error (task, error);
      return;
    }

  kf_peer_link_send_copy (job->base.link, KF_RECORD_DONE, 0, NULL, 0, NULL, NULL);
  result = _kf_transfer_result_new (job->list);
  result->blocks = job->blocks;
  result->plain_bytes = job->written;
  _kf_transfer_digest_hex (job->base.transcript, result->digest);
  result->path = g_strdup (job->folder);
  g_task_return_pointer (task, result, (GDestroyNotify) kf_transfer_result_free);
}

/*
 * _kf_transfer_receive_tree:
 * @task: the task of kf_transfer_receive_async(), which it completes
 * @folder: the folder to create the tree in
 *
 * Receives the tree of @offer into @folder (see the top of this file).
 */
void
_kf_transfer_receive_tree (GTask                 *task,
                           KfPeerLink            *link,
                           const KfTransferOffer *offer,
                           GFile                 *folder,
                           gboolean               overwrite,
                           KfProgress            *progress)
{
  KfTreeJob *job = g_new0 (KfTreeJob, 1);

  _kf_transfer_job_init (&job->base, link, progress);
  for (guint i = 0; i < KF_TRANSFER_MAX_DEPTH; i++)
    job->dir_fds[i] = -1;
  job->root_fd = -1;
  job->temp_fd = -1;
  job->offer = kf_transfer_offer_copy (offer);
  job->manifest = job->offer->manifest;
  job->folder = g_file_get_path (folder);
  job->overwrite = overwrite;
  job->list = _kf_transfer_files_new (job->manifest, TRUE);
  /* What landed before a failure: kf_transfer_receive_get_files(). */
  g_object_set_data_full (G_OBJECT (task), "kf-transfer-files",
                          kf_transfer_files_ref (job->list),
                          (GDestroyNotify) kf_transfer_files_unref);
  _kf_progress_set_files (progress, 0, offer->n_files);
  g_task_set_task_data (task, job, (GDestroyNotify) tree_job_free);
  g_task_run_in_thread (task, tree_thread);
}
