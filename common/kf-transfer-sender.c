/* kf-transfer-sender.c: sending a file over a KfPeerLink
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sender walks what it was given (kf-transfer-walk.c), sends the offer
 * (one file alone: its name and size; otherwise the manifest), waits for
 * the receiver's answer, then streams the files back to back, each its own
 * AES-256 chain cut into data records, the last one FINAL: no round trip
 * per file.  Four threads keep the serial encryption busy and everything
 * else out of its way:
 *
 *   reader   files → plain chunks, each file opened only as its turn comes;
 *            a chunk holds 256 KiB of one file, or several small files
 *            (kf-transfer-send-read.c)
 *   crypto   plain chunks → KfCipher → ciphertext records, one per piece
 *   writer   (the GTask thread) Poly1305-AES, one socket write per chunk's
 *            records, and each record's tag into the transcript digest
 *   control  reads the receiver's one record: DONE, or CANCEL mid-way
 *
 * A fixed set of buffers (KF_TRANSFER_QUEUE_DEPTH per stage, owned by the
 * job) circulates through the queues, so memory stays constant whatever
 * the file size and count.  Packing small files (at most
 * KF_CHUNK_MAX_PIECES to a chunk) makes the threads wake once per chunk,
 * not once per file; the records on the wire are the same.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-transfer-private.h"

/* What one record adds to its plaintext at most: header, tag, and the
 * blocks the cipher may add (CBC's padding). */
#define RECORD_OVERHEAD (KF_RECORD_HEADER_SIZE + 2 * KF_CIPHER_BLOCK_SIZE + KF_RECORD_TAG_SIZE)
/* A buffer of sealed records: every piece of a full plain chunk. */
#define RECORD_BUF_SIZE (KF_TRANSFER_CHUNK_SIZE + KF_CHUNK_MAX_PIECES * RECORD_OVERHEAD)

static void
send_job_free (KfSendJob *job)
{
  g_clear_pointer (&job->files, g_ptr_array_unref);
  g_clear_pointer (&job->manifest, kf_manifest_unref);
  g_clear_pointer (&job->skipped, g_ptr_array_unref);
  g_clear_pointer (&job->list, kf_transfer_files_unref);
  g_clear_pointer (&job->free_plain, g_async_queue_unref);
  g_clear_pointer (&job->full_plain, g_async_queue_unref);
  g_clear_pointer (&job->free_records, g_async_queue_unref);
  g_clear_pointer (&job->full_records, g_async_queue_unref);
  _kf_transfer_job_clear (&job->base);
  g_free (job);
}

/* Tells the caller what is offered, as the receiver will see it: a
 * single file or a tree, the manifest. */
static void
report_offer (KfSendJob *job)
{
  KfCipherMode mode = kf_peer_link_get_keys (job->base.link)->mode;
  g_autoptr(KfTransferOffer) offer = kf_transfer_offer_new_for_manifest (job->manifest, mode);

  offer->is_tree = job->is_tree;
  _kf_progress_post_offer (job->base.progress, offer);
}

/* Walks what is to be sent and sets up the transcript digest. */
static gboolean
open_source (KfSendJob  *job,
             GError    **error)
{
  job->manifest = _kf_transfer_walk ((GFile **) job->files->pdata, job->files->len,
                                     job->skipped, &job->is_tree, error);
  if (job->manifest == NULL)
    return FALSE;
  report_offer (job);
  job->size = kf_manifest_get_total (job->manifest);
  job->list = _kf_transfer_files_new (job->manifest, FALSE);
  _kf_progress_set_total (job->base.progress, job->size);
  _kf_progress_set_files (job->base.progress, 0, kf_manifest_get_n_files (job->manifest));
  job->base.transcript = _kf_transcript_new ();
  return TRUE;
}

/* Encrypts @plain under the connection's offer key, in one CBC chain. */
static guint8 *
seal_offer (KfSendJob     *job,
            const guint8  *plain,
            gsize          plain_len,
            gsize         *len,
            GError       **error)
{
  const guint8 *key = kf_peer_link_get_offer_key (job->base.link);
  const guint8 *iv = kf_peer_link_get_offer_iv (job->base.link);
  g_autoptr(KfCipher) cipher = NULL;
  g_autofree guint8 *out = g_malloc (plain_len + 2 * KF_CIPHER_BLOCK_SIZE);
  gsize n1 = 0;
  gsize n2 = 0;

  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, key, KF_CIPHER_KEY_SIZE,
                          iv, KF_CIPHER_IV_SIZE, error);
  if (cipher == NULL
      || !kf_cipher_update (cipher, plain, plain_len, out, plain_len + KF_CIPHER_BLOCK_SIZE,
                            &n1, error)
      || !kf_cipher_finish (cipher, out + n1, KF_CIPHER_BLOCK_SIZE, &n2, error))
    return NULL;
  *len = n1 + n2;
  return g_steal_pointer (&out);
}

/* Sends the offer: one file alone as an OFFER record (name and size),
 * anything else as the manifest in MANIFEST records, the last FINAL. */
static gboolean
send_offer (KfSendJob     *job,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree guint8 *plain = NULL;
  g_autofree guint8 *sealed = NULL;
  g_autofree guint8 *record = NULL;
  gsize plain_len;
  gsize len = 0;

  if (job->is_tree)
    plain = kf_manifest_encode (job->manifest, &plain_len);
  else
    plain = kf_transfer_offer_encode (kf_manifest_get_entry (job->manifest, 0)->name,
                                      job->size, &plain_len);
  sealed = seal_offer (job, plain, plain_len, &len, error);
  if (sealed == NULL)
    return FALSE;
  if (!job->is_tree)
    return kf_peer_link_send_copy (job->base.link, KF_RECORD_OFFER, 0, sealed, len,
                                   cancellable, error);

  record = g_malloc (KF_RECORD_HEADER_SIZE + MIN (len, KF_RECORD_MAX_PAYLOAD) + KF_RECORD_TAG_SIZE);
  for (gsize at = 0; at < len; at += KF_RECORD_MAX_PAYLOAD)
    {
      gsize n = MIN (len - at, KF_RECORD_MAX_PAYLOAD);

      memcpy (record + KF_RECORD_HEADER_SIZE, sealed + at, n);
      if (!kf_peer_link_send (job->base.link, KF_RECORD_MANIFEST,
                              at + n == len ? KF_RECORD_FLAG_FINAL : 0,
                              record, n, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* A receiver that cancels a tree's offer unanswered may be one that
 * cannot read the manifest (an older Keyferry): say so. */
static void
add_old_peer_hint (GError *error)
{
  char *message = g_strdup_printf ("%s %s", error->message,
                                   _("If the receiver runs an older Keyferry, it can receive only one file at a time: ask its user to update, or send one file."));

  g_free (error->message);
  error->message = message;
}

/* Waits for ACCEPT; DECLINE and CANCEL become errors. */
static gboolean
await_answer (KfSendJob     *job,
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
      if (job->is_tree)
        add_old_peer_hint (*error);
      return FALSE;
    default:
      g_propagate_error (error, _kf_transfer_unexpected (header.type));
      return FALSE;
    }
}

/* Encrypts one piece into the next record of @records; a file's last
 * piece gets the padding. */
static gboolean
encrypt_piece (KfSendJob      *job,
               const KfChunk  *chunk,
               const KfPiece  *piece,
               KfChunk        *records,
               GError        **error)
{
  gsize offset = records->len;
  guint8 *out = records->data + offset + KF_RECORD_HEADER_SIZE;
  gsize out_size = piece->len + 2 * KF_CIPHER_BLOCK_SIZE;
  gsize n = 0;
  gsize tail = 0;

  g_assert (records->size - offset >= RECORD_OVERHEAD + piece->len);
  if (piece->first
      && !_kf_transfer_job_start_file (&job->base, KF_CIPHER_ENCRYPT,
                                       job->is_tree ? (gint64) piece->file : -1, error))
    return FALSE;
  if (!kf_cipher_update (job->base.cipher, chunk->data + piece->offset, piece->len, out,
                         out_size, &n, error))
    return FALSE;
  if (piece->last
      && !kf_cipher_finish (job->base.cipher, out + n, out_size - n, &tail, error))
    return FALSE;

  if (piece->last)
    {
      _kf_transfer_files_set_blocks (job->list, piece->file,
                                     kf_cipher_get_blocks (job->base.cipher));
      job->blocks += kf_cipher_get_blocks (job->base.cipher);
    }
  records->pieces[records->n_pieces++] = (KfPiece) { offset, n + tail, piece->plain, piece->file,
                                                     piece->entry, piece->first, piece->last,
                                                     piece->end };
  records->len += KF_RECORD_HEADER_SIZE + n + tail + KF_RECORD_TAG_SIZE;
  return TRUE;
}

/* Crypto thread: the AES chain, and nothing else. */
static gpointer
crypto_main (gpointer data)
{
  KfSendJob *job = data;
  gboolean end = kf_manifest_get_n_files (job->manifest) == 0;

  while (!end)
    {
      KfChunk *chunk = _kf_job_pop (&job->base.state, job->full_plain);
      KfChunk *records = chunk != NULL ? _kf_job_pop (&job->base.state, job->free_records) : NULL;
      GError *error = NULL;

      if (records == NULL)
        return NULL;
      _kf_chunk_reset (records);
      for (guint i = 0; i < chunk->n_pieces; i++)
        if (!encrypt_piece (job, chunk, &chunk->pieces[i], records, &error))
          {
            _kf_job_fail (&job->base.state, error);
            return NULL;
          }
      end = chunk->pieces[chunk->n_pieces - 1].end;
      g_async_queue_push (job->free_plain, chunk);
      g_async_queue_push (job->full_records, records);
    }

  return NULL;
}

/* Whether the link still moves although the receiver said nothing for
 * the idle limit: while records go out, the writer's own writes are
 * what the limit bounds (a receiver that stops reading stops them); once
 * the final record went out, the receiver is still taking what was sent
 * as long as this side's send queue shrinks.  @unsent holds the queue's
 * length at the last call (G_MAXSSIZE before the first). */
static gboolean
link_still_moves (KfSendJob *job,
                  gssize    *unsent)
{
  gssize now;

  if (!g_atomic_int_get (&job->all_written))
    return TRUE;
  now = kf_peer_link_get_unsent (job->base.link);
  if (now < 0 || now >= *unsent)
    return FALSE;
  *unsent = now;
  return TRUE;
}

/* Control thread: the receiver says DONE after the final record, or
 * CANCEL at any time.  Its silence fails the transfer only once nothing
 * moves for the idle limit (link_still_moves()): a transfer may take
 * longer than the limit, and a receiver writing many small files to a
 * slow disk may still be taking the last records long after they went
 * out.  Each retry needs the writer at work, or the send queue shorter
 * than at the last one, so the loop ends. */
static gpointer
control_main (gpointer data)
{
  KfSendJob *job = data;
  GError *error = NULL;
  KfRecordHeader header;
  const guint8 *payload;
  gssize unsent = G_MAXSSIZE;

  while ((payload = kf_peer_link_receive (job->base.link, &header, NULL, &error)) == NULL
         && g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT)
         && link_still_moves (job, &unsent))
    g_clear_error (&error);
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
fill_queues (KfSendJob *job)
{
  job->free_plain = _kf_transfer_job_new_queue (&job->base, KF_TRANSFER_CHUNK_SIZE);
  job->full_plain = g_async_queue_new ();
  job->free_records = _kf_transfer_job_new_queue (&job->base, RECORD_BUF_SIZE);
  job->full_records = g_async_queue_new ();
}

/* Seals and writes every record of @records at once. */
static gboolean
send_records (KfSendJob     *job,
              KfChunk       *records,
              GCancellable  *cancellable,
              GError       **error)
{
  KfPeerLinkRecord specs[KF_CHUNK_MAX_PIECES];

  for (guint i = 0; i < records->n_pieces; i++)
    specs[i] = (KfPeerLinkRecord) { KF_RECORD_DATA,
                                    records->pieces[i].last ? KF_RECORD_FLAG_FINAL : 0,
                                    records->pieces[i].len };
  return kf_peer_link_send_batch (job->base.link, records->data, specs, records->n_pieces,
                                  cancellable, error);
}

/* Names the last file that @records starts as the current one. */
static void
set_current (KfSendJob     *job,
             const KfChunk *records)
{
  for (guint i = records->n_pieces; job->is_tree && i > 0; i--)
    if (records->pieces[i - 1].first)
      {
        g_autofree char *path = kf_manifest_path (job->manifest, records->pieces[i - 1].entry,
                                                  FALSE);

        _kf_progress_set_current (job->base.progress, path);
        return;
      }
}

/* Reports file number @file (entry @entry) sent whole, with the
 * progress: the receiver has every byte of it unless the link fails,
 * but has not said yet that it verified them. */
static void
report_sent (KfSendJob  *job,
             guint       file,
             guint       entry,
             guint64     done,
             gboolean    end)
{
  KfTransferFileResult sent = { NULL };

  sent.path = kf_manifest_path (job->manifest, entry, FALSE);
  sent.size = kf_manifest_get_entry (job->manifest, entry)->size;
  sent.blocks = _kf_transfer_files_get_blocks (job->list, file);
  sent.status = KF_TRANSFER_FILE_SENT;
  _kf_transfer_files_set_done (job->list, entry + 1);
  _kf_progress_post (job->base.progress, done, end, &sent);
  g_free (sent.path);
}

/* Writer loop, on the task's thread.  Returns whether the final record
 * went out. */
static gboolean
write_records (KfSendJob    *job,
               GCancellable *cancellable)
{
  guint64 done = 0;
  guint files_done = 0;
  gboolean end = kf_manifest_get_n_files (job->manifest) == 0;

  while (!end)
    {
      KfChunk *records = _kf_job_pop (&job->base.state, job->full_records);
      gboolean reported = FALSE;
      GError *error = NULL;

      if (records == NULL)
        return FALSE;
      set_current (job, records);
      if (!send_records (job, records, cancellable, &error))
        {
          _kf_job_fail (&job->base.state, error);
          return FALSE;
        }
      for (guint i = 0; i < records->n_pieces; i++)
        {
          const KfPiece *piece = &records->pieces[i];

          _kf_transcript_add (job->base.transcript,
                              records->data + piece->offset + KF_RECORD_HEADER_SIZE + piece->len);
          done += piece->plain;
          end = piece->end;
          reported = piece->last;
          if (!piece->last)
            continue;
          _kf_progress_set_files (job->base.progress, ++files_done,
                                  kf_manifest_get_n_files (job->manifest));
          report_sent (job, piece->file, piece->entry, done, end);
        }
      g_async_queue_push (job->free_records, records);
      if (end)
        g_atomic_int_set (&job->all_written, TRUE);
      /* A chunk that ends with a file's last piece was reported with it. */
      if (!reported)
        _kf_progress_update (job->base.progress, done, end);
    }

  return TRUE;
}

/* After the pipeline failed: tells the receiver why (unless the
 * connection is what failed), stops the control thread and returns the
 * error to report.  When the connection broke because the receiver
 * cancelled, its CANCEL (read by the control thread) is the better
 * explanation. */
static GError *
stop_control (KfSendJob *job,
              GThread   *control)
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
stream_file (KfSendJob     *job,
             GCancellable  *cancellable,
             GError       **error)
{
  GThread *control = g_thread_new ("kf-send-control", control_main, job);
  GThread *reader;
  GThread *crypto;
  gboolean sent;

  fill_queues (job);
  reader = g_thread_new ("kf-send-read", _kf_transfer_send_reader, job);
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

/* The sender's result, once the receiver said DONE: totals, and every
 * entry delivered, after the skipped ones: derived from the manifest
 * when asked for, not listed (kf-transfer-files.c). */
static KfTransferResult *
make_result (KfSendJob *job)
{
  KfTransferResult *result = _kf_transfer_result_new (job->list);

  result->blocks = job->blocks;
  result->plain_bytes = job->size;
  _kf_transfer_digest_hex (job->base.transcript, result->digest);
  result->path = g_file_get_parse_name (job->files->pdata[0]);
  _kf_transfer_files_set_delivered (job->list);
  return result;
}

static void
send_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KfSendJob *job = task_data;
  GError *error = NULL;

  if (!open_source (job, &error)
      || !send_offer (job, cancellable, &error)
      || !await_answer (job, cancellable, &error))
    {
      _kf_transfer_tell_cancel (job->base.link, error);
      kf_peer_link_abort (job->base.link);
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < job->skipped->len; i++)
    {
      _kf_transfer_files_add (job->list, kf_transfer_file_result_copy (job->skipped->pdata[i]));
      _kf_progress_post (job->base.progress, 0, FALSE, job->skipped->pdata[i]);
    }
  /* stream_file() has told the receiver and stopped the link itself. */
  if (!stream_file (job, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, make_result (job), (GDestroyNotify) kf_transfer_result_free);
}

/*
 * kf_transfer_send_async:
 * @link: a sender's link, fresh from kf_peer_link_connect_finish()
 * @files: (array length=n_files): local files and folders, any mix
 * @progress: (nullable): called on the caller's main context: once with
 *   what is offered, once the files are walked; then with the plaintext
 *   bytes and files sent so far and the current file, about ten times a
 *   second and at the end, and with each file as it has gone whole
 * @progress_notify: (nullable): frees @progress_data once no more progress
 *   can come, on the caller's main context
 *
 * Sends @files: the offer (one regular file alone: its name and size;
 * anything else: the manifest of the tree, see kf-transfer-walk.c), then,
 * when the receiver accepts, every file back to back, each its own
 * AES-256 chain in the session's mode, and waits for the receiver to
 * confirm it verified and saved everything.  Cancelling @cancellable tells
 * the receiver.  Use a link for one transfer.
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
  KfSendJob *job;

  g_return_if_fail (KF_IS_PEER_LINK (link));
  g_return_if_fail (kf_peer_link_get_role (link) == KF_PEER_ROLE_SENDER);
  g_return_if_fail (files != NULL && n_files > 0);

  job = g_new0 (KfSendJob, 1);
  _kf_transfer_job_init (&job->base, link,
                         _kf_progress_new (progress, progress_data, progress_notify, 0));
  job->files = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (job->files, g_object_ref (files[i]));
  job->skipped = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_transfer_file_result_free);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_transfer_send_async);
  g_task_set_task_data (task, job, (GDestroyNotify) send_job_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, send_thread);
}

/*
 * kf_transfer_send_finish:
 *
 * Returns: (transfer full): this side's block count (all files),
 * transcript digest, plaintext size and per-file list (skipped entries
 * first), or %NULL with a %KF_TRANSFER_ERROR (DECLINED,
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

/*
 * kf_transfer_send_get_files:
 * @result: the #GAsyncResult of kf_transfer_send_async(), once it
 *   completed
 *
 * Returns: (transfer full) (nullable): for a tree (or several files),
 * what went out, whether the transfer succeeded or failed: after a
 * failure the entries up to the last file sent whole, SENT (the receiver
 * verified them or not), the skipped ones once the receiver accepted,
 * and the other files INCOMPLETE; after success the result's list.
 * %NULL when the walk failed.
 */
KfTransferFiles *
kf_transfer_send_get_files (GAsyncResult *result)
{
  KfSendJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_transfer_send_async, NULL);

  job = g_task_get_task_data (G_TASK (result));
  return job->list != NULL ? kf_transfer_files_ref (job->list) : NULL;
}
