/* kf-transfer-sender.c: sending a file over a KfPeerLink
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sender sends the offer, waits for the receiver's answer, then streams
 * the file as one AES-256 chain cut into data records.  Four threads keep
 * the serial encryption busy and everything else out of its way:
 *
 *   reader   file → plain chunks
 *   crypto   plain chunks → KfCipher → ciphertext records
 *   writer   (the GTask thread) Poly1305-AES, socket write, and each
 *            record's tag into the transcript digest
 *   control  reads the receiver's one record: DONE, or CANCEL mid-way
 *
 * A fixed set of buffers (KF_TRANSFER_QUEUE_DEPTH per stage, owned by the
 * job) circulates through the queues, so memory stays constant whatever
 * the file size.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-transfer-private.h"

#define RECORD_BUF_SIZE (KF_RECORD_HEADER_SIZE + KF_TRANSFER_CHUNK_SIZE \
                         + 2 * KF_CIPHER_BLOCK_SIZE + KF_RECORD_TAG_SIZE)

typedef struct
{
  KfTransferJob     base;
  GFile            *file;
  GInputStream     *in;
  char             *name;
  guint64           size;
  GAsyncQueue      *free_plain;
  GAsyncQueue      *full_plain;
  GAsyncQueue      *free_records;
  GAsyncQueue      *full_records;
  gboolean          done;
} SendJob;

static void
send_job_free (SendJob *job)
{
  g_clear_object (&job->file);
  g_clear_object (&job->in);
  g_clear_pointer (&job->name, g_free);
  g_clear_pointer (&job->free_plain, g_async_queue_unref);
  g_clear_pointer (&job->full_plain, g_async_queue_unref);
  g_clear_pointer (&job->free_records, g_async_queue_unref);
  g_clear_pointer (&job->full_records, g_async_queue_unref);
  _kf_transfer_job_clear (&job->base);
  g_free (job);
}

static GError *
io_error (GFile        *file,
          const GError *cause)
{
  g_autofree char *name = g_file_get_parse_name (file);

  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                      _("Could not read “%s”: %s"), name, cause->message);
}

/* Opens the file, learns its size and name, and sets up the cipher and
 * the transcript digest. */
static gboolean
open_source (SendJob       *job,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *basename = NULL;

  job->in = G_INPUT_STREAM (g_file_read (job->file, cancellable, &local_error));
  if (job->in != NULL)
    info = g_file_input_stream_query_info (G_FILE_INPUT_STREAM (job->in),
                                           G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                           cancellable, &local_error);
  if (info == NULL)
    {
      *error = io_error (job->file, local_error);
      return FALSE;
    }
  job->size = (guint64) g_file_info_get_size (info);
  basename = g_file_get_basename (job->file);
  job->name = g_filename_display_name (basename);
  _kf_progress_set_total (job->base.progress, job->size);
  if (strlen (job->name) > KF_TRANSFER_MAX_NAME)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME,
                   _("The file name is longer than %d bytes. Rename the file and send it again."),
                   KF_TRANSFER_MAX_NAME);
      return FALSE;
    }

  return _kf_transfer_job_start_cipher (&job->base, KF_CIPHER_ENCRYPT, error);
}

/* Encrypts the offer under the connection's offer key and sends it. */
static gboolean
send_offer (SendJob       *job,
            GCancellable  *cancellable,
            GError       **error)
{
  const guint8 *key = kf_peer_link_get_offer_key (job->base.link);
  const guint8 *iv = kf_peer_link_get_offer_iv (job->base.link);
  g_autoptr(KfCipher) cipher = NULL;
  g_autofree guint8 *plain = NULL;
  g_autofree guint8 *record = NULL;
  gsize plain_len;
  gsize n1 = 0;
  gsize n2 = 0;

  plain = kf_transfer_offer_encode (job->name, job->size, &plain_len);
  record = g_malloc (KF_RECORD_HEADER_SIZE + plain_len + 2 * KF_CIPHER_BLOCK_SIZE
                     + KF_RECORD_TAG_SIZE);
  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, key, KF_CIPHER_KEY_SIZE,
                          iv, KF_CIPHER_IV_SIZE, error);
  if (cipher == NULL
      || !kf_cipher_update (cipher, plain, plain_len, record + KF_RECORD_HEADER_SIZE,
                            plain_len + KF_CIPHER_BLOCK_SIZE, &n1, error)
      || !kf_cipher_finish (cipher, record + KF_RECORD_HEADER_SIZE + n1,
                            KF_CIPHER_BLOCK_SIZE, &n2, error))
    return FALSE;

  return kf_peer_link_send (job->base.link, KF_RECORD_OFFER, 0, record, n1 + n2,
                            cancellable, error);
}

/* Waits for ACCEPT; DECLINE and CANCEL become errors. */
static gboolean
await_answer (SendJob       *job,
              GCancellable  *cancellable,
              GError       **error)
{
  KfRecordHeader header;
  const guint8 *payload;

  payload = kf_peer_link_receive (job->base.link, &header, cancellable, error);
  if (payload == NULL)
    return FALSE;

  switch (header.type)
    {
    case KF_RECORD_ACCEPT:
      kf_peer_link_arm_idle_timeout (job->base.link);
      return TRUE;
    case KF_RECORD_DECLINE:
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED,
                           _("The receiver declined the file."));
      return FALSE;
    case KF_RECORD_CANCEL:
      g_propagate_error (error, _kf_transfer_peer_cancelled (payload, header.length));
      return FALSE;
    default:
      g_propagate_error (error, _kf_transfer_unexpected (header.type));
      return FALSE;
    }
}

/* Reader thread: exactly the announced size, in chunks, to the crypto
 * stage. */
static gpointer
reader_main (gpointer data)
{
  SendJob *job = data;
  guint64 remaining = job->size;
  gboolean last;

  do
    {
      KfChunk *chunk = _kf_job_pop (&job->base.state, job->free_plain);
      gsize want = (gsize) MIN (remaining, KF_TRANSFER_CHUNK_SIZE);
      g_autoptr(GError) error = NULL;
      gsize got = 0;

      if (chunk == NULL)
        return NULL;
      if (!g_input_stream_read_all (job->in, chunk->data, want, &got, job->base.state.stop, &error))
        {
          g_async_queue_push (job->free_plain, chunk);
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            _kf_job_fail (&job->base.state, io_error (job->file, error));
          return NULL;
        }
      if (got < want)
        {
          g_async_queue_push (job->free_plain, chunk);
          _kf_job_fail (&job->base.state,
                        g_error_new_literal (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                                            _("The file became shorter while it was being sent. Send it again once nothing changes it.")));
          return NULL;
        }
      remaining -= got;
      chunk->len = got;
      chunk->plain = got;
      chunk->last = last = remaining == 0;
      g_async_queue_push (job->full_plain, chunk);
    }
  while (!last);

  return NULL;
}

/* Encrypts one chunk into a record buffer; the last one gets the padding. */
static gboolean
encrypt_chunk (SendJob  *job,
               KfChunk  *chunk,
               KfChunk  *record,
               GError  **error)
{
  guint8 *out = record->data + KF_RECORD_HEADER_SIZE;
  gsize out_size = RECORD_BUF_SIZE - KF_RECORD_HEADER_SIZE - KF_RECORD_TAG_SIZE;
  gsize n = 0;
  gsize tail = 0;

  if (!kf_cipher_update (job->base.cipher, chunk->data, chunk->len, out, out_size, &n, error))
    return FALSE;
  if (chunk->last
      && !kf_cipher_finish (job->base.cipher, out + n, out_size - n, &tail, error))
    return FALSE;

  record->len = n + tail;
  record->plain = chunk->plain;
  record->last = chunk->last;
  return TRUE;
}

/* Crypto thread: the AES chain, and nothing else. */
static gpointer
crypto_main (gpointer data)
{
  SendJob *job = data;
  gboolean last = FALSE;

  while (!last)
    {
      KfChunk *chunk = _kf_job_pop (&job->base.state, job->full_plain);
      KfChunk *record = chunk != NULL ? _kf_job_pop (&job->base.state, job->free_records) : NULL;
      GError *error = NULL;

      if (record == NULL)
        return NULL;
      if (!encrypt_chunk (job, chunk, record, &error))
        {
          _kf_job_fail (&job->base.state, error);
          return NULL;
        }
      last = chunk->last;
      g_async_queue_push (job->free_plain, chunk);
      g_async_queue_push (job->full_records, record);
    }

  return NULL;
}

/* Control thread: the receiver says DONE after the final record, or
 * CANCEL at any time. */
static gpointer
control_main (gpointer data)
{
  SendJob *job = data;
  GError *error = NULL;
  KfRecordHeader header;
  const guint8 *payload;

  payload = kf_peer_link_receive (job->base.link, &header, NULL, &error);
  if (payload == NULL)
    _kf_job_fail (&job->base.state, error);
  else if (header.type == KF_RECORD_DONE)
    job->done = TRUE;
  else if (header.type == KF_RECORD_CANCEL)
    _kf_job_fail (&job->base.state, _kf_transfer_peer_cancelled (payload, header.length));
  else
    _kf_job_fail (&job->base.state, _kf_transfer_unexpected (header.type));

  if (!job->done)
    kf_peer_link_abort (job->base.link);
  return NULL;
}

/* Creates the job's buffers and the queues they circulate through. */
static void
fill_queues (SendJob *job)
{
  job->free_plain = _kf_transfer_job_new_queue (&job->base, KF_TRANSFER_CHUNK_SIZE);
  job->full_plain = g_async_queue_new ();
  job->free_records = _kf_transfer_job_new_queue (&job->base, RECORD_BUF_SIZE);
  job->full_records = g_async_queue_new ();
}

/* Writer loop, on the task's thread.  Returns whether the final record
 * went out. */
static gboolean
write_records (SendJob      *job,
               GCancellable *cancellable)
{
  guint64 done = 0;
  gboolean last = FALSE;

  while (!last)
    {
      KfChunk *record = _kf_job_pop (&job->base.state, job->full_records);
      GError *error = NULL;

      if (record == NULL)
        return FALSE;
      last = record->last;
      if (!kf_peer_link_send (job->base.link, KF_RECORD_DATA, last ? KF_RECORD_FLAG_FINAL : 0,
                              record->data, record->len, cancellable, &error))
        {
          _kf_job_fail (&job->base.state, error);
          return FALSE;
        }
      _kf_transcript_add (job->base.transcript, record->data + KF_RECORD_HEADER_SIZE + record->len);
      done += record->plain;
      g_async_queue_push (job->free_records, record);
      _kf_progress_update (job->base.progress, done, last);
    }

  return TRUE;
}

/* After the pipeline failed: tells the receiver why (unless the
 * connection is what failed), stops the control thread and returns the
 * error to report.  When the connection broke because the receiver
 * cancelled, its CANCEL (read by the control thread) is the better
 * explanation. */
static GError *
stop_control (SendJob *job,
              GThread *control)
{
  GError *why = _kf_job_steal_error (&job->base.state);
  gboolean link_broke = g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE);
  GError *later;

  if (!link_broke)
    {
      _kf_transfer_tell_cancel (job->base.link, why);
      kf_peer_link_abort (job->base.link);
    }
  g_thread_join (control);
  later = _kf_job_steal_error (&job->base.state);
  if (link_broke && g_error_matches (later, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED))
    {
      g_error_free (why);
      return later;
    }
  g_clear_error (&later);
  return why;
}

/* Runs the pipeline and waits for the receiver's DONE. */
static gboolean
stream_file (SendJob       *job,
             GCancellable  *cancellable,
             GError       **error)
{
  GThread *control = g_thread_new ("kf-send-control", control_main, job);
  GThread *reader;
  GThread *crypto;
  gboolean sent;

  fill_queues (job);
  reader = g_thread_new ("kf-send-read", reader_main, job);
  crypto = g_thread_new ("kf-send-crypt", crypto_main, job);
  sent = write_records (job, cancellable);
  if (!sent)
    g_cancellable_cancel (job->base.state.stop);
  g_thread_join (reader);
  g_thread_join (crypto);

  if (!sent)
    {
      *error = stop_control (job, control);
      return FALSE;
    }

  g_thread_join (control);
  *error = _kf_job_steal_error (&job->base.state);
  return *error == NULL && job->done;
}

static void
send_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SendJob *job = task_data;
  KfTransferResult *result;
  GError *error = NULL;

  if (!open_source (job, cancellable, &error)
      || !send_offer (job, cancellable, &error)
      || !await_answer (job, cancellable, &error))
    {
      _kf_transfer_tell_cancel (job->base.link, error);
      kf_peer_link_abort (job->base.link);
      g_task_return_error (task, error);
      return;
    }
  /* stream_file() has told the receiver and stopped the link itself. */
  if (!stream_file (job, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  result = _kf_transfer_result_new ();
  result->blocks = kf_cipher_get_blocks (job->base.cipher);
  result->plain_bytes = job->size;
  _kf_transfer_digest_hex (job->base.transcript, result->digest);
  result->path = g_file_get_parse_name (job->file);
  g_task_return_pointer (task, result, (GDestroyNotify) kf_transfer_result_free);
}

/*
 * kf_transfer_send_async:
 * @link: a sender's link, fresh from kf_peer_link_connect_finish()
 * @file: the file to send
 * @progress: (nullable): called on the caller's main context with the
 *   plaintext bytes sent so far, about ten times a second and at the end
 * @progress_notify: (nullable): frees @progress_data once no more progress
 *   can come, on the caller's main context
 *
 * Sends @file: the offer (name and size, encrypted), then, when the
 * receiver accepts, the file as one AES-256 chain in the session's mode,
 * and waits for the receiver to confirm it verified and saved everything.
 * Cancelling @cancellable tells the receiver.  Use a link for one transfer.
 */
void
kf_transfer_send_async (KfPeerLink             *link,
                        GFile                 **files,
                        guint                   n_files,
                        KfTransferProgressFunc  progress,
                        gpointer                progress_data,
                        GDestroyNotify          progress_notify,
                        GCancellable           *cancellable,
                        GAsyncReadyCallback     callback,
                        gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  SendJob *job;

  g_return_if_fail (KF_IS_PEER_LINK (link));
  g_return_if_fail (kf_peer_link_get_role (link) == KF_PEER_ROLE_SENDER);
  g_return_if_fail (files != NULL && n_files == 1 && G_IS_FILE (files[0]));

  job = g_new0 (SendJob, 1);
  _kf_transfer_job_init (&job->base, link,
                         _kf_progress_new (progress, progress_data, progress_notify, 0));
  job->file = g_object_ref (files[0]);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_transfer_send_async);
  g_task_set_task_data (task, job, (GDestroyNotify) send_job_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, send_thread);
}

/*
 * kf_transfer_send_finish:
 *
 * Returns: (transfer full): this side's block count, transcript digest
 * and plaintext size, or %NULL with a %KF_TRANSFER_ERROR (DECLINED,
 * CANCELLED by the peer, PEER_GONE, IO, NAME, PROTOCOL...) or
 * G_IO_ERROR_CANCELLED when the caller cancelled.
 */
KfTransferResult *
kf_transfer_send_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_transfer_send_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
