/* kf-transfer-job.c: what a sender's and a receiver's job share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both pipelines are a job run by a GTask's thread plus helper threads:
 * the peer link, the progress relay, the file's cipher and transcript
 * digest, the first error and the cancellable that stops every thread,
 * and a fixed set of buffers circulating through queues.  KfTransferJob
 * holds those, set up and torn down here once for both.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <gio/gio.h>

#include "kf-transfer-private.h"

/*
 * _kf_transfer_job_init:
 * @progress: (transfer full) (nullable): the job's progress relay
 *
 * Starts @job for @link.
 */
void
_kf_transfer_job_init (KfTransferJob *job,
                       KfPeerLink    *link,
                       KfProgress    *progress)
{
  job->link = g_object_ref (link);
  job->progress = progress;
  _kf_job_state_init (&job->state);
}

/*
 * _kf_transfer_job_clear:
 *
 * Frees what @job holds; the queues that borrowed its buffers must be
 * gone or no longer used.
 */
void
_kf_transfer_job_clear (KfTransferJob *job)
{
  g_clear_object (&job->link);
  g_clear_pointer (&job->progress, _kf_progress_free);
  g_clear_pointer (&job->cipher, kf_cipher_free);
  g_clear_pointer (&job->transcript, gcry_md_close);
  g_clear_pointer (&job->iv_mac, gcry_mac_close);
  g_clear_pointer (&job->buffers, g_ptr_array_unref);
  _kf_job_state_clear (&job->state);
}

/*
 * _kf_transfer_job_start_cipher:
 *
 * Sets up the file's cipher under the link's session keys for
 * @direction, and the transcript digest.  Returns %FALSE with a
 * %KF_CIPHER_ERROR when the keys are unusable.
 */
gboolean
_kf_transfer_job_start_cipher (KfTransferJob      *job,
                               KfCipherDirection   direction,
                               GError            **error)
{
  const KfSessionKeys *keys = kf_peer_link_get_keys (job->link);

  job->cipher = kf_cipher_new (keys->mode, direction, keys->key, sizeof keys->key,
                               keys->iv, sizeof keys->iv, error);
  if (job->cipher == NULL)
    return FALSE;
  job->transcript = _kf_transcript_new ();
  return TRUE;
}

/* An HMAC-SHA256 handle keyed with the session's auth_key, for
 * file_iv(): opened once per job, since opening one costs libgcrypt's
 * random poll (two system calls) on top of the hashing. */
static gcry_mac_hd_t
open_iv_mac (const KfSessionKeys *keys)
{
  gcry_mac_hd_t hd = NULL;

  if (gcry_mac_open (&hd, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE, NULL) != 0
      || gcry_mac_setkey (hd, keys->auth_key, sizeof keys->auth_key) != 0)
    g_error ("libgcrypt cannot compute HMAC-SHA256");
  return hd;
}

/* The derivation of _kf_transfer_file_iv() on @hd, from open_iv_mac(). */
static void
file_iv (gcry_mac_hd_t        hd,
         const KfSessionKeys *keys,
         guint64              index,
         guint8               iv[KF_CIPHER_IV_SIZE])
{
  static const char label[] = "keyferry peer-link v2 tree file iv";
  guint64 index_be = GUINT64_TO_BE (index);
  guint8 mac[32];
  gsize mac_len = sizeof mac;

  if (gcry_mac_reset (hd) != 0
      || gcry_mac_write (hd, label, sizeof label - 1) != 0
      || gcry_mac_write (hd, keys->iv, sizeof keys->iv) != 0
      || gcry_mac_write (hd, &index_be, sizeof index_be) != 0
      || gcry_mac_read (hd, mac, &mac_len) != 0)
    g_error ("libgcrypt cannot compute HMAC-SHA256");
  memcpy (iv, mac, KF_CIPHER_IV_SIZE);
  explicit_bzero (mac, sizeof mac);
}

/*
 * _kf_transfer_file_iv:
 * @keys: the session material the link hands the transfer
 * @index: the file's number among the manifest's files, from 0
 * @iv: (out): its IV
 *
 * The one place a file's IV in a transfer of several files is derived
 * (docs/PROTOCOL.md, part 2, §3): the first 16 bytes of
 * HMAC-SHA256(auth_key, "keyferry peer-link v2 tree file iv" ‖ iv ‖ u64(index)),
 * where iv is the file IV the link hands the transfer (IV_file).
 * Every file is its own chain under the session key, and no two files of
 * a session share an IV.
 */
void
_kf_transfer_file_iv (const KfSessionKeys *keys,
                      guint64              index,
                      guint8               iv[KF_CIPHER_IV_SIZE])
{
  gcry_mac_hd_t hd = open_iv_mac (keys);

  file_iv (hd, keys, index, iv);
  gcry_mac_close (hd);
}

/*
 * _kf_transfer_job_start_file:
 * @index: the file's number among the manifest's files, or -1 for a
 *   single file offered alone, whose chain uses the session's IV
 *
 * Starts the chain of one file on the job's cipher, created on first use.
 * Returns %FALSE with a %KF_CIPHER_ERROR when the keys are unusable.
 */
gboolean
_kf_transfer_job_start_file (KfTransferJob      *job,
                             KfCipherDirection   direction,
                             gint64              index,
                             GError            **error)
{
  const KfSessionKeys *keys = kf_peer_link_get_keys (job->link);
  guint8 iv[KF_CIPHER_IV_SIZE];
  gboolean ok;

  if (index < 0)
    memcpy (iv, keys->iv, sizeof iv);
  else
    {
      if (job->iv_mac == NULL)
        job->iv_mac = open_iv_mac (keys);
      file_iv (job->iv_mac, keys, (guint64) index, iv);
    }
  if (job->cipher == NULL)
    {
      job->cipher = kf_cipher_new (keys->mode, direction, keys->key, sizeof keys->key,
                                   iv, sizeof iv, error);
      ok = job->cipher != NULL;
    }
  else
    ok = kf_cipher_restart (job->cipher, iv, sizeof iv, error);
  explicit_bzero (iv, sizeof iv);
  return ok;
}

/*
 * _kf_transfer_job_new_queue:
 *
 * Returns: (transfer full): a queue holding %KF_TRANSFER_QUEUE_DEPTH new
 * buffers of @size bytes.  The job owns the buffers and the queue only
 * borrows them, so an abort with buffers anywhere leaks nothing.
 */
GAsyncQueue *
_kf_transfer_job_new_queue (KfTransferJob *job,
                            gsize          size)
{
  GAsyncQueue *queue = g_async_queue_new ();

  if (job->buffers == NULL)
    job->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) _kf_chunk_free);
  for (guint i = 0; i < KF_TRANSFER_QUEUE_DEPTH; i++)
    {
      KfChunk *chunk = _kf_chunk_new (size);

      g_ptr_array_add (job->buffers, chunk);
      g_async_queue_push (queue, chunk);
    }
  return queue;
}

/*
 * _kf_chunk_new:
 *
 * Returns: (transfer full): a pipeline buffer of @size bytes.
 */
KfChunk *
_kf_chunk_new (gsize size)
{
  KfChunk *chunk = g_new0 (KfChunk, 1);

  chunk->data = g_malloc (size);
  chunk->size = size;
  return chunk;
}

/*
 * _kf_chunk_reset:
 *
 * Empties @chunk for its next trip.
 */
void
_kf_chunk_reset (KfChunk *chunk)
{
  chunk->len = 0;
  chunk->n_pieces = 0;
}

/*
 * _kf_chunk_has_room:
 *
 * Returns: whether @chunk can take one more piece of @len bytes.
 */
gboolean
_kf_chunk_has_room (const KfChunk *chunk,
                    gsize          len)
{
  return chunk->n_pieces < KF_CHUNK_MAX_PIECES && len <= chunk->size - chunk->len;
}

/*
 * _kf_chunk_add:
 * @len: the bytes the piece takes, which _kf_chunk_has_room() allowed
 *
 * Returns: (transfer none): a new piece at the end of @chunk, at its
 * offset, @len bytes long; the caller fills in the rest.
 */
KfPiece *
_kf_chunk_add (KfChunk *chunk,
               gsize    len)
{
  KfPiece *piece;

  g_assert (_kf_chunk_has_room (chunk, len));
  if (chunk->n_pieces == 0)
    chunk->started = g_get_monotonic_time ();
  piece = &chunk->pieces[chunk->n_pieces++];
  *piece = (KfPiece) { .offset = chunk->len, .len = len };
  chunk->len += len;
  return piece;
}

/*
 * _kf_chunk_free:
 *
 * Frees @chunk.  %NULL is allowed.
 */
void
_kf_chunk_free (KfChunk *chunk)
{
  if (chunk == NULL)
    return;

  g_free (chunk->data);
  g_free (chunk);
}

/*
 * _kf_transcript_new:
 *
 * Returns: a SHA-256 context for the tags of one transfer's data records,
 * to close with gcry_md_close().
 */
gcry_md_hd_t
_kf_transcript_new (void)
{
  gcry_md_hd_t transcript = NULL;

  if (gcry_md_open (&transcript, GCRY_MD_SHA256, 0) != 0)
    g_error ("libgcrypt cannot open SHA-256");
  return transcript;
}

/*
 * _kf_transcript_add:
 * @tag: the %KF_RECORD_TAG_SIZE-byte tag of the next data record, as
 *   sealed (sender) or as verified (receiver)
 *
 * Adds one record to the transcript.  Both sides see the same tags exactly
 * when they saw the same authenticated stream, at 16 bytes of hashing per
 * record instead of a pass over the whole file.
 */
void
_kf_transcript_add (gcry_md_hd_t  transcript,
                    const guint8 *tag)
{
  gcry_md_write (transcript, tag, KF_RECORD_TAG_SIZE);
}

/*
 * _kf_writeback_init:
 * @fd: the descriptor of the file being received, or -1
 *
 * Starts @wb for a file written from offset 0 on.
 */
void
_kf_writeback_init (KfWriteback *wb,
                    int          fd)
{
  wb->fd = fd;
  wb->written = 0;
  wb->started = 0;
  wb->dropped = 0;
}

/*
 * _kf_writeback_wrote:
 * @len: bytes just appended to the file
 *
 * Keeps the file's page cache to about three windows: each full window is
 * handed to writeback at once (SYNC_FILE_RANGE_WRITE), and the window two
 * behind it is waited for and dropped (POSIX_FADV_DONTNEED), so the pages
 * it held are reused for the next ones.  Left alone, a 1 GiB file takes
 * 1 GiB of fresh pages and leaves a GiB of dirty data behind: on a virtual
 * machine whose host reclaims free guest memory (free page reporting),
 * first touching those pages cost 1.5-3.7 s of system time per GiB, and
 * the writeback of one transfer fell into the next.  A file system that
 * cannot (EINVAL, ENOSYS, ESPIPE) only loses the hint.
 *
 * Returns: %FALSE with a %G_IO_ERROR, and errno set, when writing back
 * failed (a failing disk, a full one): the file would not be whole.
 */
gboolean
_kf_writeback_wrote (KfWriteback  *wb,
                     gsize         len,
                     GError      **error)
{
  const guint64 window = KF_WRITEBACK_WINDOW;
  const unsigned int wait = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE
                            | SYNC_FILE_RANGE_WAIT_AFTER;
  int code;

  wb->written += len;
  while (wb->fd >= 0 && wb->written - wb->started >= window)
    {
      if (sync_file_range (wb->fd, wb->started, window, SYNC_FILE_RANGE_WRITE) != 0)
        goto failed;
      wb->started += window;
      if (wb->started - wb->dropped < 2 * window)
        continue;
      if (sync_file_range (wb->fd, wb->dropped, window, wait) != 0)
        goto failed;
      posix_fadvise (wb->fd, wb->dropped, window, POSIX_FADV_DONTNEED);
      wb->dropped += window;
    }
  return TRUE;

failed:
  code = errno;
  if (code == EINVAL || code == ENOSYS || code == ESPIPE)
    {
      wb->fd = -1;
      return TRUE;
    }
  g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (code), g_strerror (code));
  errno = code;
  return FALSE;
}

void
_kf_job_state_init (KfJobState *state)
{
  g_mutex_init (&state->lock);
  state->error = NULL;
  state->stop = g_cancellable_new ();
}

void
_kf_job_state_clear (KfJobState *state)
{
  g_mutex_clear (&state->lock);
  g_clear_error (&state->error);
  g_clear_object (&state->stop);
}

/*
 * _kf_job_fail:
 *
 * Records @error (taking it) unless an earlier one is recorded (a cancel
 * from the peer replaces a lost connection), and tells every thread of the
 * job to stop.  Thread-safe.
 */
void
_kf_job_fail (KfJobState *state,
              GError     *error)
{
  g_mutex_lock (&state->lock);
  /* The peer's cancel explains a lost connection that was noticed first. */
  if (state->error != NULL
      && g_error_matches (state->error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE)
      && g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED))
    g_clear_error (&state->error);
  if (state->error == NULL)
    state->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&state->lock);
  g_cancellable_cancel (state->stop);
}

/*
 * _kf_job_steal_error:
 *
 * Returns: (transfer full) (nullable): the first recorded error.
 */
GError *
_kf_job_steal_error (KfJobState *state)
{
  GError *error;

  g_mutex_lock (&state->lock);
  error = g_steal_pointer (&state->error);
  g_mutex_unlock (&state->lock);
  return error;
}

/*
 * _kf_job_pop:
 *
 * Returns: the next item of @queue, or %NULL once the job is told to stop.
 */
gpointer
_kf_job_pop (KfJobState  *state,
             GAsyncQueue *queue)
{
  while (!g_cancellable_is_cancelled (state->stop))
    {
      gpointer item = g_async_queue_timeout_pop (queue, 20000);

      if (item != NULL)
        return item;
    }

  return NULL;
}
