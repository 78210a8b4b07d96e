/* kf-transfer.c: offers, results and what sender and receiver share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine itself is in kf-transfer-sender.c and kf-transfer-receiver.c;
 * this file holds the offer record's format (a pure parser, for fuzzing),
 * the boxed result types, decline, the progress relay to the caller's main
 * context and the small pieces both pipelines use.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-file-name.h"
#include "kf-transfer-private.h"
#include "kf-untrusted.h"

#define OFFER_HEADER_SIZE 10

G_DEFINE_BOXED_TYPE (KfTransferOffer, kf_transfer_offer,
                     kf_transfer_offer_copy, kf_transfer_offer_free)
G_DEFINE_BOXED_TYPE (KfTransferResult, kf_transfer_result,
                     kf_transfer_result_copy, kf_transfer_result_free)

/*
 * kf_transfer_offer_copy:
 *
 * Returns: (transfer full): a deep copy of @offer.
 */
KfTransferOffer *
kf_transfer_offer_copy (const KfTransferOffer *offer)
{
  KfTransferOffer *copy;

  g_return_val_if_fail (offer != NULL, NULL);

  copy = g_memdup2 (offer, sizeof *offer);
  copy->name = g_strdup (offer->name);
  return copy;
}

/*
 * kf_transfer_offer_free:
 *
 * Frees @offer.  %NULL is allowed.
 */
void
kf_transfer_offer_free (KfTransferOffer *offer)
{
  if (offer == NULL)
    return;

  g_free (offer->name);
  g_free (offer);
}

/*
 * kf_transfer_offer_encode:
 * @name: the file's name (UTF-8, 1 to %KF_TRANSFER_MAX_NAME bytes)
 * @len: (out): the length of the returned buffer
 *
 * Returns: (transfer full): the offer plaintext: plain size (8 bytes, big
 * endian), name length (2 bytes, big endian), name.  The caller encrypts it.
 */
guint8 *
kf_transfer_offer_encode (const char *name,
                          guint64     plain_size,
                          gsize      *len)
{
  gsize name_len = strlen (name);
  guint64 size_be = GUINT64_TO_BE (plain_size);
  guint16 name_len_be = GUINT16_TO_BE ((guint16) name_len);
  guint8 *buf;

  g_return_val_if_fail (name_len > 0 && name_len <= KF_TRANSFER_MAX_NAME, NULL);

  *len = OFFER_HEADER_SIZE + name_len;
  buf = g_malloc (*len);
  memcpy (buf, &size_be, 8);
  memcpy (buf + 8, &name_len_be, 2);
  memcpy (buf + OFFER_HEADER_SIZE, name, name_len);
  return buf;
}

/*
 * kf_transfer_offer_parse:
 * @buf: the decrypted offer, @len bytes
 * @mode: the session's mode, for the encrypted size
 *
 * Parses and checks an offer and sanitises its name with
 * kf_file_name_sanitize().  A pure function of its input.
 *
 * Returns: (transfer full): the offer, or %NULL with
 * %KF_TRANSFER_ERROR_PROTOCOL (malformed, or a size above
 * %KF_TRANSFER_MAX_SIZE) or %KF_TRANSFER_ERROR_NAME (no usable name).
 */
KfTransferOffer *
kf_transfer_offer_parse (const guint8  *buf,
                         gsize          len,
                         KfCipherMode   mode,
                         GError       **error)
{
  g_autoptr(KfTransferOffer) offer = g_new0 (KfTransferOffer, 1);
  guint64 size_be;
  guint16 name_len_be;
  gsize name_len;

  g_return_val_if_fail (buf != NULL || len == 0, NULL);

  if (len < OFFER_HEADER_SIZE)
    goto malformed;
  memcpy (&size_be, buf, 8);
  memcpy (&name_len_be, buf + 8, 2);
  name_len = GUINT16_FROM_BE (name_len_be);
  offer->plain_size = GUINT64_FROM_BE (size_be);
  if (name_len == 0 || name_len > KF_TRANSFER_MAX_NAME || len != OFFER_HEADER_SIZE + name_len
      || offer->plain_size > KF_TRANSFER_MAX_SIZE)
    goto malformed;

  offer->name = kf_file_name_sanitize ((const char *) buf + OFFER_HEADER_SIZE, name_len, error);
  if (offer->name == NULL)
    return NULL;
  offer->mode = mode;
  offer->encrypted_size = kf_cipher_encrypted_size (mode, offer->plain_size);
  return g_steal_pointer (&offer);

malformed:
  g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                       _("The sender's offer is malformed. It may run an incompatible version of Keyferry."));
  return NULL;
}

/*
 * kf_transfer_result_copy:
 *
 * Returns: (transfer full): a deep copy of @result.
 */
KfTransferResult *
kf_transfer_result_copy (const KfTransferResult *result)
{
  KfTransferResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = g_memdup2 (result, sizeof *result);
  copy->path = g_strdup (result->path);
  return copy;
}

/*
 * kf_transfer_result_free:
 *
 * Frees @result.  %NULL is allowed.
 */
void
kf_transfer_result_free (KfTransferResult *result)
{
  if (result == NULL)
    return;

  g_free (result->path);
  g_free (result);
}

/*
 * kf_transfer_check_space:
 * @folder: where the file would be saved
 *
 * Checks that the file system of @folder has @size bytes free and still
 * keeps its safety margin free after them (kf_transfer_space_margin()), so
 * that a transfer never fills a disk to zero (blocking but quick).  When
 * the file system does not say, assumes it has.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_NO_SPACE, saying how much is
 * needed and how much is free.
 */
gboolean
kf_transfer_check_space (GFile    *folder,
                         guint64   size,
                         GError  **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *need = NULL;
  g_autofree char *have = NULL;
  g_autofree char *keep = NULL;
  guint64 free_bytes;
  guint64 margin;

  g_return_val_if_fail (G_IS_FILE (folder), FALSE);

  info = g_file_query_filesystem_info (folder, G_FILE_ATTRIBUTE_FILESYSTEM_FREE ","
                                       G_FILE_ATTRIBUTE_FILESYSTEM_SIZE, NULL, NULL);
  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;

  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  margin = kf_transfer_space_margin (g_file_info_get_attribute_uint64 (info,
                                                                      G_FILE_ATTRIBUTE_FILESYSTEM_SIZE));
  if (free_bytes >= margin && free_bytes - margin >= size)
    return TRUE;

  need = g_format_size (size);
  have = g_format_size (free_bytes);
  keep = g_format_size (margin);
  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NO_SPACE,
               _("Not enough free space: the file needs %s, %s must stay free, and only %s is "
                 "free there. Free some space or choose another folder."),
               need, keep, have);
  return FALSE;
}

/*
 * kf_transfer_space_margin:
 * @fs_size: the size of the file system in bytes (0 when unknown)
 *
 * Returns: how much must stay free after a received file:
 * %KF_TRANSFER_SPACE_MARGIN, or 5 % of a smaller file system.
 */
guint64
kf_transfer_space_margin (guint64 fs_size)
{
  if (fs_size > 0 && fs_size / 20 < KF_TRANSFER_SPACE_MARGIN)
    return fs_size / 20;
  return KF_TRANSFER_SPACE_MARGIN;
}

struct _KfProgress
{
  gatomicrefcount         ref;
  GMainContext           *context;
  KfTransferProgressFunc  func;
  gpointer                data;
  GDestroyNotify          notify;
  guint64                 total;
  gint64                  started;
  gint64                  last;
};

typedef struct
{
  KfProgress *progress;
  guint64     done;
  double      rate;
} ProgressItem;

/*
 * kf_progress_new:
 *
 * Returns: (transfer full): a relay that calls @func on the thread-default
 * main context of the caller, whatever thread reports progress.
 */
KfProgress *
kf_progress_new (KfTransferProgressFunc func,
                 gpointer               data,
                 GDestroyNotify         notify,
                 guint64                total)
{
  KfProgress *self = g_new0 (KfProgress, 1);

  g_atomic_ref_count_init (&self->ref);
  self->context = g_main_context_ref_thread_default ();
  self->func = func;
  self->data = data;
  self->notify = notify;
  self->total = total;
  self->started = g_get_monotonic_time ();
  return self;
}

/*
 * kf_progress_set_total:
 *
 * Sets the total that reports carry, once the worker knows it.
 */
void
kf_progress_set_total (KfProgress *self,
                       guint64     total)
{
  self->total = total;
}

/* Queues @func on @context.  Never g_main_context_invoke(): when no thread
 * is iterating the context, it runs the callback at once on the calling
 * worker thread, where the caller's data may already be gone. */
static void
post_to_context (GMainContext   *context,
                 GSourceFunc     func,
                 gpointer        data,
                 GDestroyNotify  destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[keyferry] transfer progress");
  g_source_attach (source, context);
  g_source_unref (source);
}

static gboolean
notify_cb (gpointer user_data)
{
  KfProgress *self = user_data;

  self->notify (self->data);
  g_main_context_unref (self->context);
  g_free (self);
  return G_SOURCE_REMOVE;
}

static void
progress_unref (KfProgress *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;

  if (self->notify != NULL)
    {
      post_to_context (self->context, notify_cb, self, NULL);
      return;
    }
  g_main_context_unref (self->context);
  g_free (self);
}

static gboolean
progress_item_cb (gpointer user_data)
{
  ProgressItem *item = user_data;
  KfProgress *self = item->progress;

  self->func (item->done, self->total, item->rate, self->data);
  return G_SOURCE_REMOVE;
}

static void
progress_item_free (gpointer user_data)
{
  ProgressItem *item = user_data;

  progress_unref (item->progress);
  g_free (item);
}

/*
 * kf_progress_update:
 * @force: report even when the last report is under 100 ms old
 *
 * Posts @done to the caller's main context, at most ten times a second
 * unless @force.  Called from one worker thread at a time.
 */
void
kf_progress_update (KfProgress *self,
                    guint64     done,
                    gboolean    force)
{
  gint64 now = g_get_monotonic_time ();
  ProgressItem *item;
  double seconds;

  if (self == NULL || self->func == NULL || (!force && now - self->last < 100000))
    return;

  self->last = now;
  seconds = (double) (now - self->started) / G_USEC_PER_SEC;
  item = g_new0 (ProgressItem, 1);
  g_atomic_ref_count_inc (&self->ref);
  item->progress = self;
  item->done = done;
  item->rate = seconds > 0 ? (double) done / seconds : 0;
  post_to_context (self->context, progress_item_cb, item, progress_item_free);
}

/*
 * kf_progress_free:
 *
 * Drops the worker's hold on the relay; the caller's notify runs on its
 * main context once every posted report has been delivered.  %NULL is
 * allowed.
 */
void
kf_progress_free (KfProgress *self)
{
  if (self != NULL)
    progress_unref (self);
}

/*
 * kf_chunk_new:
 *
 * Returns: (transfer full): a pipeline buffer of @size bytes.
 */
KfChunk *
kf_chunk_new (gsize size)
{
  KfChunk *chunk = g_new0 (KfChunk, 1);

  chunk->data = g_malloc (size);
  return chunk;
}

/*
 * kf_chunk_free:
 *
 * Frees @chunk.  %NULL is allowed.
 */
void
kf_chunk_free (KfChunk *chunk)
{
  if (chunk == NULL)
    return;

  g_free (chunk->data);
  g_free (chunk);
}

/*
 * kf_transcript_new:
 *
 * Returns: a SHA-256 context for the tags of one transfer's data records,
 * to close with gcry_md_close().
 */
gcry_md_hd_t
kf_transcript_new (void)
{
  gcry_md_hd_t transcript = NULL;

  if (gcry_md_open (&transcript, GCRY_MD_SHA256, 0) != 0)
    g_error ("libgcrypt cannot open SHA-256");
  return transcript;
}

/*
 * kf_transcript_add:
 * @tag: the %KF_RECORD_TAG_SIZE-byte tag of the next data record, as
 *   sealed (sender) or as verified (receiver)
 *
 * Adds one record to the transcript.  Both sides see the same tags exactly
 * when they saw the same authenticated stream, at 16 bytes of hashing per
 * record instead of a pass over the whole file.
 */
void
kf_transcript_add (gcry_md_hd_t  transcript,
                   const guint8 *tag)
{
  gcry_md_write (transcript, tag, KF_RECORD_TAG_SIZE);
}

void
kf_job_state_init (KfJobState *state)
{
  g_mutex_init (&state->lock);
  state->error = NULL;
  state->stop = g_cancellable_new ();
}

void
kf_job_state_clear (KfJobState *state)
{
  g_mutex_clear (&state->lock);
  g_clear_error (&state->error);
  g_clear_object (&state->stop);
}

/*
 * kf_job_fail:
 *
 * Records @error (taking it) unless an earlier one is recorded (a cancel
 * from the peer replaces a lost connection), and tells every thread of the
 * job to stop.  Thread-safe.
 */
void
kf_job_fail (KfJobState *state,
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
 * kf_job_steal_error:
 *
 * Returns: (transfer full) (nullable): the first recorded error.
 */
GError *
kf_job_steal_error (KfJobState *state)
{
  GError *error;

  g_mutex_lock (&state->lock);
  error = g_steal_pointer (&state->error);
  g_mutex_unlock (&state->lock);
  return error;
}

/*
 * kf_job_pop:
 *
 * Returns: the next item of @queue, or %NULL once the job is told to stop.
 */
gpointer
kf_job_pop (KfJobState  *state,
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

/* The reason a CANCEL carries for @why.  Messages about local files name
 * local paths, which are none of the peer's business: those get a fixed
 * wording.  The wire text is English; the peer shows it inside its own
 * translated sentence. */
static const char *
cancel_reason (const GError *why)
{
  if (g_error_matches (why, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled by the user";
  if (why->domain != KF_TRANSFER_ERROR)
    return "the transfer failed";

  switch ((KfTransferError) why->code)
    {
    case KF_TRANSFER_ERROR_IO:
      return "a local file could not be read or written";
    case KF_TRANSFER_ERROR_NO_SPACE:
      return "not enough free disk space";
    case KF_TRANSFER_ERROR_EXISTS:
      return "the file already exists";
    case KF_TRANSFER_ERROR_BAD_MAC:
    case KF_TRANSFER_ERROR_TRUNCATED:
    case KF_TRANSFER_ERROR_ORDER:
    case KF_TRANSFER_ERROR_NAME:
    case KF_TRANSFER_ERROR_PROTOCOL:
    case KF_TRANSFER_ERROR_HANDSHAKE:
    case KF_TRANSFER_ERROR_TIMEOUT:
    case KF_TRANSFER_ERROR_DECLINED:
    case KF_TRANSFER_ERROR_CANCELLED:
    case KF_TRANSFER_ERROR_PEER_GONE:
    default:
      return why->message;
    }
}

/*
 * kf_transfer_tell_cancel:
 * @why: the error that ends the transfer on this side
 *
 * Sends the peer a CANCEL record saying why (see cancel_reason()), unless
 * @why came from the peer itself (its cancel, decline, or a lost
 * connection).  Best effort: a failure to send is ignored.
 */
void
kf_transfer_tell_cancel (KfPeerLink   *link,
                         const GError *why)
{
  const char *reason;
  gsize len;

  if (g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED)
      || g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE)
      || g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED))
    return;

  reason = cancel_reason (why);
  len = strlen (reason);
  while (len > 512)
    len = g_utf8_find_prev_char (reason, reason + len) - reason;
  kf_peer_link_send_copy (link, KF_RECORD_CANCEL, 0, (const guint8 *) reason, len, NULL, NULL);
}

/*
 * kf_transfer_peer_cancelled:
 * @reason: the peer's CANCEL payload, untrusted text
 *
 * Returns: (transfer full): %KF_TRANSFER_ERROR_CANCELLED quoting @reason
 * cleaned by kf_untrusted_clean() and cut at 200 characters.
 */
GError *
kf_transfer_peer_cancelled (const guint8 *reason,
                            gsize         len)
{
  g_autofree char *clean = kf_untrusted_clean ((const char *) reason, (gssize) len);

  if (g_utf8_strlen (clean, -1) > 200)
    *g_utf8_offset_to_pointer (clean, 200) = '\0';
  if (clean[0] == '\0')
    return g_error_new_literal (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED,
                                _("The transfer was cancelled by the peer."));
  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED,
                      _("The transfer was cancelled by the peer: %s"), clean);
}

/*
 * kf_transfer_unexpected:
 *
 * Returns: (transfer full): %KF_TRANSFER_ERROR_PROTOCOL for an authentic
 * record of @type that has no business at this point.
 */
GError *
kf_transfer_unexpected (guint8 type)
{
  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                      _("The peer sent record type %u out of turn. It may run an incompatible version of Keyferry."),
                      type);
}

/*
 * kf_transfer_digest_hex:
 *
 * Writes the SHA-256 of @md as 64 lower-case hex digits and a NUL.
 */
void
kf_transfer_digest_hex (gcry_md_hd_t md,
                        char         out[65])
{
  const guint8 *digest = gcry_md_read (md, GCRY_MD_SHA256);

  for (guint i = 0; i < 32; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
}
