/* kf-transfer-receiver.c: receiving a file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Once the offer is read and its caller decided (kf-transfer-offer.c),
 * the receiver accepts into a temporary file beside the destination.  Two threads: the network
 * thread (the GTask's) reads records, which kf_record_open() authenticates
 * before anything is decrypted, adds each tag to the transcript digest
 * and decrypts them; each plaintext buffer then goes to the disk thread.
 * Only after the final record verified, the sizes match and the CBC
 * padding checked out is the temporary file given the destination's name;
 * on any failure it is deleted.
 *
 * Where the file system allows it the temporary file is anonymous
 * (O_TMPFILE) and linked into place at the end, so not even a receiver
 * killed with SIGKILL leaves a partial file behind; elsewhere it is a
 * hidden ".keyferry-XXXXXXXX.part" beside the destination, renamed.
 */

#include "config.h"

#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixoutputstream.h>
#include <gio/gfiledescriptorbased.h>

#include "kf-transfer-private.h"

#define PLAIN_BUF_SIZE (KF_RECORD_MAX_PAYLOAD + 2 * KF_CIPHER_BLOCK_SIZE)

typedef struct
{
  KfTransferJob     base;
  KfTransferOffer  *offer;
  GFile            *destination;
  gboolean          overwrite;
  char             *path;
  char             *temp_path;      /* NULL for an anonymous temporary file */
  int               anon_fd;        /* the anonymous file's descriptor, or -1 */
  GOutputStream    *out;
  KfWriteback       writeback;
  GAsyncQueue      *free_bufs;
  GAsyncQueue      *full_bufs;
  guint64           written;
} ReceiveJob;

static void
receive_job_free (ReceiveJob *job)
{
  g_clear_object (&job->destination);
  g_clear_object (&job->out);
  g_clear_pointer (&job->offer, kf_transfer_offer_free);
  g_clear_pointer (&job->path, g_free);
  g_clear_pointer (&job->temp_path, g_free);
  g_clear_pointer (&job->free_bufs, g_async_queue_unref);
  g_clear_pointer (&job->full_bufs, g_async_queue_unref);
  _kf_transfer_job_clear (&job->base);
  g_free (job);
}

/* A local write failure, with a full disk made explicit. */
static GError *
write_error (const char   *path,
             const GError *cause)
{
  g_autofree char *name = g_filename_display_name (path);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NO_SPACE,
                        _("The disk is full: “%s” could not be written. Free some space or choose another folder."),
                        name);
  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                      _("Could not write “%s”: %s"), name, cause->message);
}

static gboolean
exists_error (GError     **error,
              const char  *path)
{
  g_autofree char *name = g_filename_display_name (path);

  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_EXISTS,
               _("“%s” already exists. Choose another name, or allow replacing it."), name);
  return FALSE;
}

/* The name to show for the file being written. */
static const char *
temp_display_path (ReceiveJob *job)
{
  return job->temp_path != NULL ? job->temp_path : job->path;
}

/* Creates the temporary file, private and exclusive, beside @job->path:
 * anonymous where the file system supports O_TMPFILE, named otherwise. */
static gboolean
create_temp (ReceiveJob    *job,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree char *folder = g_path_get_dirname (job->path);
  int fd;

  fd = open (folder, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      job->anon_fd = fd;
      job->out = g_unix_output_stream_new (fd, TRUE);
      return TRUE;
    }

  for (guint attempt = 0; attempt < 8; attempt++)
    {
      g_autofree char *name = g_strdup_printf (".keyferry-%08x.part", g_random_int ());
      g_autoptr(GFile) temp = NULL;
      g_autoptr(GError) local_error = NULL;

      g_free (job->temp_path);
      job->temp_path = g_build_filename (folder, name, NULL);
      temp = g_file_new_for_path (job->temp_path);
      job->out = G_OUTPUT_STREAM (g_file_create (temp, G_FILE_CREATE_PRIVATE,
                                                 cancellable, &local_error));
      if (job->out != NULL)
        return TRUE;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          *error = write_error (job->temp_path, local_error);
          g_clear_pointer (&job->temp_path, g_free);
          return FALSE;
        }
    }

  g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                       _("Could not create a temporary file in the destination folder."));
  g_clear_pointer (&job->temp_path, g_free);
  return FALSE;
}

/* Checks the destination (local, absent unless overwriting, room enough)
 * and prepares the temporary file, cipher and transcript digest. */
static gboolean
prepare (ReceiveJob    *job,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autoptr(GFile) folder = g_file_get_parent (job->destination);

  job->path = g_file_get_path (job->destination);
  if (job->path == NULL || folder == NULL)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                           _("Files can only be received into a local folder."));
      return FALSE;
    }
  if (!job->overwrite && g_file_test (job->path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    return exists_error (error, job->path);
  if (!kf_transfer_check_space (folder, job->offer->plain_size, error)
      || !create_temp (job, cancellable, error))
    return FALSE;
  _kf_writeback_init (&job->writeback, G_IS_FILE_DESCRIPTOR_BASED (job->out)
                      ? g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (job->out)) : -1);

  return _kf_transfer_job_start_cipher (&job->base, KF_CIPHER_DECRYPT, error);
}

/* Disk thread: writes the plaintext, reports progress. */
static gpointer
disk_main (gpointer data)
{
  ReceiveJob *job = data;
  gboolean last;

  do
    {
      KfChunk *buf = _kf_job_pop (&job->base.state, job->full_bufs);
      g_autoptr(GError) error = NULL;

      if (buf == NULL)
        return NULL;
      if (!g_output_stream_write_all (job->out, buf->data, buf->len, NULL,
                                      job->base.state.stop, &error)
          || !_kf_writeback_wrote (&job->writeback, buf->len, &error))
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            _kf_job_fail (&job->base.state, write_error (temp_display_path (job), error));
          return NULL;
        }
      job->written += buf->len;
      last = buf->pieces[0].last;
      g_async_queue_push (job->free_bufs, buf);
      _kf_progress_update (job->base.progress, job->written, last);
    }
  while (!last);

  return NULL;
}

/* Checks a data record's place in the chain against the offer. */
static gboolean
check_data (ReceiveJob            *job,
            const KfRecordHeader  *header,
            guint64               *cipher_bytes,
            GError               **error)
{
  guint64 expected = job->offer->encrypted_size;

  if (header->type != KF_RECORD_DATA)
    {
      g_propagate_error (error, _kf_transfer_unexpected (header->type));
      return FALSE;
    }
  *cipher_bytes += header->length;
  if (*cipher_bytes > expected)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                           _("The sender sent more data than it announced. Nothing was saved."));
      return FALSE;
    }
  if ((header->flags & KF_RECORD_FLAG_FINAL) && *cipher_bytes != expected)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED,
                   _("The sender ended the file after %" PRIu64 " of %" PRIu64 " bytes. Nothing was saved."),
                   *cipher_bytes, expected);
      return FALSE;
    }

  return TRUE;
}

/* Decrypts one authenticated record into @buf; the final one is checked
 * for its padding. */
static gboolean
decrypt_record (ReceiveJob    *job,
                const guint8  *payload,
                gsize          len,
                gboolean       final,
                KfChunk       *buf,
                GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize n = 0;
  gsize tail = 0;

  if (!kf_cipher_update (job->base.cipher, payload, len, buf->data, PLAIN_BUF_SIZE, &n, &local_error)
      || (final && !kf_cipher_finish (job->base.cipher, buf->data + n, PLAIN_BUF_SIZE - n,
                                      &tail, &local_error)))
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                   _("The file could not be decrypted (%s). Nothing was saved."),
                   local_error->message);
      return FALSE;
    }

  buf->len = n + tail;
  buf->n_pieces = 1;
  buf->pieces[0] = (KfPiece) { .len = buf->len, .last = final, .end = final };
  return TRUE;
}

/* Network loop: authenticated records in, plaintext to the disk thread. */
static gboolean
receive_records (ReceiveJob    *job,
                 GCancellable  *cancellable,
                 GError       **error)
{
  guint64 cipher_bytes = 0;
  gboolean final = FALSE;

  while (!final)
    {
      KfRecordHeader header;
      const guint8 *payload = kf_peer_link_receive (job->base.link, &header, cancellable, error);
      KfChunk *buf;

      if (payload == NULL)
        return FALSE;
      if (header.type == KF_RECORD_CANCEL)
        {
          g_propagate_error (error, _kf_transfer_peer_cancelled (payload, header.length));
          return FALSE;
        }
      if (!check_data (job, &header, &cipher_bytes, error))
        return FALSE;
      final = (header.flags & KF_RECORD_FLAG_FINAL) != 0;
      _kf_transcript_add (job->base.transcript, payload + header.length);
      buf = _kf_job_pop (&job->base.state, job->free_bufs);
      if (buf == NULL)
        return FALSE;
      if (!decrypt_record (job, payload, header.length, final, buf, error))
        {
          g_async_queue_push (job->free_bufs, buf);
          return FALSE;
        }
      g_async_queue_push (job->full_bufs, buf);
    }

  return TRUE;
}

/* Gives the anonymous temporary file a name: @job->path itself (linkat
 * never replaces), or, to replace, a fresh hidden name then renamed over.
 * Returns 0 or -1 with errno set. */
static int
link_anonymous (ReceiveJob *job)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", job->anon_fd);
  g_autofree char *folder = NULL;

  if (!job->overwrite)
    return linkat (AT_FDCWD, proc, AT_FDCWD, job->path, AT_SYMLINK_FOLLOW);

  folder = g_path_get_dirname (job->path);
  for (guint attempt = 0; attempt < 8; attempt++)
    {
      g_autofree char *name = g_strdup_printf (".keyferry-%08x.part", g_random_int ());
      g_autofree char *temp = g_build_filename (folder, name, NULL);

      if (linkat (AT_FDCWD, proc, AT_FDCWD, temp, AT_SYMLINK_FOLLOW) != 0)
        {
          if (errno == EEXIST)
            continue;
          return -1;
        }
      if (rename (temp, job->path) == 0)
        return 0;
      g_unlink (temp);
      return -1;
    }

  errno = EEXIST;
  return -1;
}

/* Moves the complete temporary file to its final name, never replacing
 * an existing file unless told to. */
static gboolean
commit (ReceiveJob  *job,
        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  int rc;

  if (job->anon_fd >= 0)
    {
      rc = link_anonymous (job);
      if (rc != 0 && errno == EEXIST)
        return exists_error (error, job->path);
      if (rc != 0)
        {
          g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                       _("Could not move the received file into place: %s"),
                       g_strerror (errno));
          return FALSE;
        }
      if (!g_output_stream_close (job->out, NULL, &local_error))
        {
          g_unlink (job->path);
          *error = write_error (job->path, local_error);
          return FALSE;
        }
      return TRUE;
    }

  if (!g_output_stream_close (job->out, NULL, &local_error))
    {
      *error = write_error (job->temp_path, local_error);
      return FALSE;
    }

  if (job->overwrite)
    rc = rename (job->temp_path, job->path);
  else
    {
      rc = renameat2 (AT_FDCWD, job->temp_path, AT_FDCWD, job->path, RENAME_NOREPLACE);
      if (rc != 0 && (errno == EINVAL || errno == ENOSYS))
        rc = link (job->temp_path, job->path) == 0 ? unlink (job->temp_path) : -1;
    }
  if (rc == 0)
    return TRUE;
  if (errno == EEXIST)
    return exists_error (error, job->path);

  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
               _("Could not move the received file into place: %s"), g_strerror (errno));
  return FALSE;
}

/* Stops the disk thread's work, and removes the temporary file. */
static void
discard (ReceiveJob *job)
{
  if (job->out != NULL)
    g_output_stream_close (job->out, NULL, NULL);
  if (job->temp_path != NULL)
    g_unlink (job->temp_path);
}

/* Accepts, streams, verifies and commits; the disk thread runs meanwhile. */
static gboolean
receive_file (ReceiveJob    *job,
              GCancellable  *cancellable,
              GError       **error)
{
  GError *local_error = NULL;
  GThread *disk;
  gboolean ok;

  if (!kf_peer_link_send_copy (job->base.link, KF_RECORD_ACCEPT, 0, NULL, 0, cancellable, error))
    return FALSE;
  kf_peer_link_arm_idle_timeout (job->base.link);

  job->free_bufs = _kf_transfer_job_new_queue (&job->base, PLAIN_BUF_SIZE);
  job->full_bufs = g_async_queue_new ();

  disk = g_thread_new ("kf-receive-disk", disk_main, job);
  if (!receive_records (job, cancellable, &local_error) && local_error != NULL)
    _kf_job_fail (&job->base.state, local_error);
  g_thread_join (disk);
  *error = _kf_job_steal_error (&job->base.state);
  ok = *error == NULL;
  if (ok && job->written != job->offer->plain_size)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                   _("The file decrypted to %" PRIu64 " bytes, not the %" PRIu64 " the sender announced. Nothing was saved."),
                   job->written, job->offer->plain_size);
      ok = FALSE;
    }

  return ok;
}

/* The one file's line of the result: its name where it was saved. */
static KfTransferFileResult *
single_file_result (ReceiveJob             *job,
                    const KfTransferResult *result)
{
  KfTransferFileResult *file = g_new0 (KfTransferFileResult, 1);
  g_autofree char *base = g_path_get_basename (result->path);

  file->path = g_filename_display_name (base);
  file->size = result->plain_bytes;
  file->blocks = result->blocks;
  file->status = KF_TRANSFER_FILE_ARRIVED;
  return file;
}

static void
receive_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ReceiveJob *job = task_data;
  KfTransferResult *result;
  GError *error = NULL;

  if (!prepare (job, cancellable, &error))
    {
      /* Nothing was said to the sender yet: the caller may pick another
       * destination, or decline. */
      discard (job);
      g_task_return_error (task, error);
      return;
    }
  if (!receive_file (job, cancellable, &error) || !commit (job, &error))
    {
      discard (job);
      _kf_transfer_tell_cancel (job->base.link, error);
      kf_peer_link_abort (job->base.link);
      g_task_return_error (task, error);
      return;
    }

  kf_peer_link_send_copy (job->base.link, KF_RECORD_DONE, 0, NULL, 0, NULL, NULL);
  result = _kf_transfer_result_new (NULL);
  result->blocks = kf_cipher_get_blocks (job->base.cipher);
  result->plain_bytes = job->written;
  _kf_transfer_digest_hex (job->base.transcript, result->digest);
  result->path = g_steal_pointer (&job->path);
  _kf_transfer_files_add (result->files, single_file_result (job, result));
  g_task_return_pointer (task, result, (GDestroyNotify) kf_transfer_result_free);
}

/*
 * kf_transfer_receive_async:
 * @link: a receiver's link, whose offer was read with
 *   kf_transfer_receive_offer_async()
 * @offer: that offer
 * @destination: for a single file (@offer->is_tree %FALSE) where to save
 *   it (a local path; its folder must exist), usually the folder the user
 *   chose + @offer->name; for a tree, the existing folder to create it in
 *   (kf-transfer-tree.c)
 * @overwrite: whether an existing @destination may be replaced
 * @progress: (nullable): called on the caller's main context with the
 *   plaintext bytes saved so far, about ten times a second and at the end
 * @progress_notify: (nullable): frees @progress_data once no more progress
 *   can come, on the caller's main context
 *
 * Checks the destination and the free space, then accepts the offer and
 * receives the file into a temporary file beside @destination, renamed to
 * it only once everything verified.  When the check fails
 * (KF_TRANSFER_ERROR_EXISTS, _NO_SPACE, _IO before anything was accepted)
 * the sender is still waiting: call this again with another destination,
 * or kf_transfer_decline_async().  Cancelling @cancellable tells the sender.
 */
void
kf_transfer_receive_async (KfPeerLink             *link,
                           const KfTransferOffer  *offer,
                           GFile                  *destination,
                           gboolean                overwrite,
                           KfTransferProgressFunc  progress,
                           gpointer                progress_data,
                           GDestroyNotify          progress_notify,
                           GCancellable           *cancellable,
                           GAsyncReadyCallback     callback,
                           gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  ReceiveJob *job;

  g_return_if_fail (KF_IS_PEER_LINK (link));
  g_return_if_fail (kf_peer_link_get_role (link) == KF_PEER_ROLE_RECEIVER);
  g_return_if_fail (offer != NULL && G_IS_FILE (destination));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_transfer_receive_async);
  /* A cancel that comes after the files were saved must not hide them. */
  g_task_set_check_cancellable (task, FALSE);
  if (offer->is_tree)
    {
      _kf_transfer_receive_tree (task, link, offer, destination, overwrite,
                                 _kf_progress_new (progress, progress_data, progress_notify,
                                                   offer->plain_size));
      return;
    }

  job = g_new0 (ReceiveJob, 1);
  _kf_transfer_job_init (&job->base, link,
                         _kf_progress_new (progress, progress_data, progress_notify,
                                           offer->plain_size));
  job->anon_fd = -1;
  job->offer = kf_transfer_offer_copy (offer);
  job->destination = g_object_ref (destination);
  job->overwrite = overwrite;
  g_task_set_task_data (task, job, (GDestroyNotify) receive_job_free);
  g_task_run_in_thread (task, receive_thread);
}

/*
 * kf_transfer_receive_finish:
 *
 * Returns: (transfer full): this side's block count, the plaintext's
 * SHA-256 and size and the final path, or %NULL with a %KF_TRANSFER_ERROR
 * (EXISTS, NO_SPACE, IO, CANCELLED by the peer, PEER_GONE, BAD_MAC,
 * TRUNCATED, ORDER, PROTOCOL) or G_IO_ERROR_CANCELLED; then no file is
 * left under the destination's name, nor a temporary one.  A cancel that
 * comes once the whole file is saved does not undo it: the result is
 * returned, so the caller always knows whether the file is there.
 */
KfTransferResult *
kf_transfer_receive_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_transfer_receive_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/*
 * kf_transfer_receive_get_files:
 * @result: the #GAsyncResult of kf_transfer_receive_async(), once it
 *   completed
 *
 * Returns: (transfer full) (nullable): for a tree, what landed and what
 * did not, whether the transfer succeeded or failed (the result's list
 * when it succeeded); %NULL for a single file, or a tree whose receiving
 * never started.
 */
KfTransferFiles *
kf_transfer_receive_get_files (GAsyncResult *result)
{
  KfTransferFiles *files;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_transfer_receive_async, NULL);

  files = g_object_get_data (G_OBJECT (result), "kf-transfer-files");
  return files != NULL ? kf_transfer_files_ref (files) : NULL;
}
