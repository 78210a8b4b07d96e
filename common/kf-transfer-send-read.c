/* kf-transfer-send-read.c: the sender's reader thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first stage of the sender's pipeline (kf-transfer-sender.c): it
 * opens each file of the manifest only as its turn comes, never following
 * a link, and reads it into plain chunks for the crypto thread, exactly
 * its announced size.  A chunk holds 256 KiB of one file, or several small
 * files (at most KF_CHUNK_MAX_PIECES); one that waits over
 * CHUNK_MAX_DELAY_US for more goes on anyway, so a slow disk still
 * streams.  A large file is cut every KF_TRANSFER_CHUNK_SIZE bytes, so
 * the records are those of one file at a time.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "kf-transfer-private.h"

/* The small files read into a chunk wait at most this long for it to
 * fill before it goes on (a slow disk still streams). */
#define CHUNK_MAX_DELAY_US 50000

static GError *
io_error (const char *path,
          const char *message)
{
  g_autofree char *name = g_filename_display_name (path);

  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                      _("Could not read “%s”: %s"), name, message);
}

/* Opens the file at @source, which must still be a regular file (never
 * a link: O_NOFOLLOW; never a FIFO that would block: O_NONBLOCK). */
static int
open_entry (const char  *source,
            GError     **error)
{
  struct stat st;
  int fd = open (source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    {
      *error = io_error (source, g_strerror (errno));
      return -1;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      *error = io_error (source, _("it is no longer a regular file"));
      return -1;
    }
  return fd;
}

/* Reads up to @want bytes; a short count only at the end of the file. */
static gboolean
read_full (int            fd,
           guint8        *buf,
           gsize          want,
           gsize         *got,
           GError       **error)
{
  *got = 0;
  while (*got < want)
    {
      ssize_t n = read (fd, buf + *got, want - *got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (errno), g_strerror (errno));
          return FALSE;
        }
      if (n == 0)
        break;
      *got += (gsize) n;
    }
  return TRUE;
}

/* Hands the chunk being filled to the crypto stage. */
static void
push_filling (KfSendJob *job)
{
  if (job->filling != NULL)
    g_async_queue_push (job->full_plain, g_steal_pointer (&job->filling));
}

/* The chunk to read the next @want bytes of a file into: the one being
 * filled while it has room and is fresh, else an empty one (%NULL once
 * the job is stopped).  A file's pieces are cut exactly as one file's
 * chunks were: at every KF_TRANSFER_CHUNK_SIZE bytes. */
static KfChunk *
chunk_for (KfSendJob *job,
           gsize      want)
{
  if (job->filling != NULL
      && (!_kf_chunk_has_room (job->filling, want)
          || g_get_monotonic_time () - job->filling->started > CHUNK_MAX_DELAY_US))
    push_filling (job);
  if (job->filling == NULL)
    {
      job->filling = _kf_job_pop (&job->base.state, job->free_plain);
      if (job->filling != NULL)
        _kf_chunk_reset (job->filling);
    }
  return job->filling;
}

/* Reads file number @file (entry @entry) into pieces, exactly its
 * announced size, the last piece marked; several small files share a
 * chunk. */
static gboolean
read_file (KfSendJob *job,
           guint      file,
           guint      entry_index,
           gboolean   end)
{
  const KfManifestEntry *entry = kf_manifest_get_entry (job->manifest, entry_index);
  g_autofree char *source = kf_manifest_source_path (job->manifest, entry_index);
  guint64 remaining = entry->size;
  GError *error = NULL;
  int fd = open_entry (source, &error);
  gboolean first = TRUE;

  while (fd >= 0)
    {
      gsize want = (gsize) MIN (remaining, KF_TRANSFER_CHUNK_SIZE);
      KfChunk *chunk = chunk_for (job, want);
      gsize got = 0;
      KfPiece *piece;

      if (chunk == NULL)
        break;
      if (!read_full (fd, chunk->data + chunk->len, want, &got, &error) || got < want)
        {
          if (error == NULL)
            error = io_error (source, _("it became shorter while it was being sent; send it again once nothing changes it"));
          break;
        }
      remaining -= got;
      piece = _kf_chunk_add (chunk, got);
      piece->plain = got;
      piece->file = file;
      piece->entry = entry_index;
      piece->first = first;
      piece->last = remaining == 0;
      piece->end = end && remaining == 0;
      first = FALSE;
      if (remaining == 0)
        {
          close (fd);
          return TRUE;
        }
    }
  if (fd >= 0)
    close (fd);
  if (error != NULL)
    _kf_job_fail (&job->base.state, error);
  return FALSE;
}

/*
 * _kf_transfer_send_reader:
 * @data: the #KfSendJob
 *
 * The reader thread: every file of the manifest in order, to the crypto
 * stage (the job's full_plain queue), in chunks from its free_plain one.
 * A failure is the job's error (_kf_job_fail()); a stopped job ends it.
 */
gpointer
_kf_transfer_send_reader (gpointer data)
{
  KfSendJob *job = data;
  guint n_entries = kf_manifest_get_n_entries (job->manifest);
  guint n_files = kf_manifest_get_n_files (job->manifest);
  guint file = 0;

  for (guint i = 0; i < n_entries && file < n_files; i++)
    {
      if (kf_manifest_get_entry (job->manifest, i)->kind != KF_MANIFEST_FILE)
        continue;
      if (!read_file (job, file, i, file + 1 == n_files))
        return NULL;
      file++;
    }
  push_filling (job);
  return NULL;
}
