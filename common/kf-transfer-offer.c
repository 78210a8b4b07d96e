/* kf-transfer-offer.c: the offer, reading it and declining it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sender's first record is the offer: one file's name and size, or
 * the first of the MANIFEST records that carry the list of a tree
 * (kf-manifest.c), encrypted under the connection's offer key.  This file
 * holds the single file's plaintext format (a pure encoder and parser,
 * for fuzzing) and the receiver's side before it accepts: reading the
 * offer and declining it.
 * Accepting is kf_transfer_receive_async() in kf-transfer-receiver.c.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-file-name.h"
#include "kf-transfer-private.h"

#define OFFER_HEADER_SIZE 10

G_DEFINE_BOXED_TYPE (KfTransferOffer, kf_transfer_offer,
                     kf_transfer_offer_copy, kf_transfer_offer_free)

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
  copy->top_level = g_strdupv (offer->top_level);
  if (offer->top_entries != NULL)
    copy->top_entries = g_memdup2 (offer->top_entries,
                                   g_strv_length (offer->top_level) * sizeof *offer->top_entries);
  if (offer->manifest != NULL)
    copy->manifest = kf_manifest_ref (offer->manifest);
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
  g_strfreev (offer->top_level);
  g_free (offer->top_entries);
  g_clear_pointer (&offer->manifest, kf_manifest_unref);
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
  offer->n_files = 1;
  offer->n_top_level = 1;
  offer->top_level = g_new0 (char *, 2);
  offer->top_level[0] = g_strdup (offer->name);
  offer->top_entries = g_new0 (KfTransferTopEntry, 1);
  offer->top_entries[0].size = offer->plain_size;
  return g_steal_pointer (&offer);

malformed:
  g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                       _("The sender's offer is malformed. It may run an incompatible version of Keyferry."));
  return NULL;
}

/* Decrypts the offer record under the connection's offer key. */
static KfTransferOffer *
open_offer (KfPeerLink    *link,
            const guint8  *payload,
            gsize          len,
            GError       **error)
{
  const KfSessionKeys *keys = kf_peer_link_get_keys (link);
  g_autoptr(KfCipher) cipher = NULL;
  g_autofree guint8 *plain = g_malloc (len + 2 * KF_CIPHER_BLOCK_SIZE);
  g_autoptr(GError) local_error = NULL;
  gsize n = 0;
  gsize tail = 0;

  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT,
                          kf_peer_link_get_offer_key (link), KF_CIPHER_KEY_SIZE,
                          kf_peer_link_get_offer_iv (link), KF_CIPHER_IV_SIZE, error);
  if (cipher == NULL)
    return NULL;
  if (!kf_cipher_update (cipher, payload, len, plain, len + KF_CIPHER_BLOCK_SIZE, &n, &local_error)
      || !kf_cipher_finish (cipher, plain + n, 2 * KF_CIPHER_BLOCK_SIZE, &tail, &local_error))
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                           _("The sender's offer could not be decrypted. It may run an incompatible version of Keyferry."));
      return NULL;
    }

  return kf_transfer_offer_parse (plain, n + tail, keys->mode, error);
}

/*
 * kf_transfer_offer_new_for_manifest:
 * @manifest: a manifest from kf_manifest_parse()
 *
 * Returns: (transfer full): the offer of a tree: totals, counts and the
 * first top-level names of @manifest, each a folder (with the size of
 * all the files in it) or a file (with its size).
 */
KfTransferOffer *
kf_transfer_offer_new_for_manifest (KfManifest   *manifest,
                                    KfCipherMode  mode)
{
  KfTransferOffer *offer = g_new0 (KfTransferOffer, 1);
  GPtrArray *top = g_ptr_array_new ();
  guint n = kf_manifest_get_n_entries (manifest);

  offer->top_entries = g_new0 (KfTransferTopEntry, MIN (n, KF_TRANSFER_MAX_SHOWN));
  for (guint i = 0; i < n; i++)
    {
      const KfManifestEntry *entry = kf_manifest_get_entry (manifest, i);

      if (entry->kind == KF_MANIFEST_FILE)
        offer->encrypted_size += kf_cipher_encrypted_size (mode, entry->size);
      if (entry->depth == 0 && offer->n_top_level++ < KF_TRANSFER_MAX_SHOWN)
        {
          offer->top_entries[top->len].is_folder = entry->kind == KF_MANIFEST_FOLDER;
          g_ptr_array_add (top, g_strdup (entry->name));
        }
      /* Depth first: the entry belongs to the last top-level one. */
      if (entry->kind == KF_MANIFEST_FILE && top->len > 0
          && offer->n_top_level <= KF_TRANSFER_MAX_SHOWN)
        offer->top_entries[top->len - 1].size += entry->size;
    }
  g_ptr_array_add (top, NULL);
  offer->top_level = (char **) g_ptr_array_free (top, FALSE);
  offer->name = g_strdup (offer->top_level[0]);
  offer->plain_size = kf_manifest_get_total (manifest);
  offer->mode = mode;
  offer->n_files = kf_manifest_get_n_files (manifest);
  offer->n_folders = kf_manifest_get_n_folders (manifest);
  offer->is_tree = TRUE;
  offer->manifest = kf_manifest_ref (manifest);
  return offer;
}

/* Decrypts one MANIFEST record's payload into @plain, continuing the
 * chain; the FINAL one is checked for its padding. */
static gboolean
open_manifest_record (KfCipher      *cipher,
                      const guint8  *payload,
                      gsize          len,
                      gboolean       final,
                      GByteArray    *plain,
                      GError       **error)
{
  gsize at = plain->len;
  gsize n = 0;
  gsize tail = 0;

  if (at + len > KF_MANIFEST_MAX_BYTES + KF_CIPHER_BLOCK_SIZE)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME,
                   _("The sender's list of files is larger than %u MiB, so the offer was declined. "
                     "Ask the sender to send the files in parts."),
                   KF_MANIFEST_MAX_BYTES / (1024 * 1024));
      return FALSE;
    }
  g_byte_array_set_size (plain, at + len + 2 * KF_CIPHER_BLOCK_SIZE);
  if (!kf_cipher_update (cipher, payload, len, plain->data + at, len + KF_CIPHER_BLOCK_SIZE,
                         &n, NULL)
      || (final && !kf_cipher_finish (cipher, plain->data + at + n, KF_CIPHER_BLOCK_SIZE,
                                      &tail, NULL)))
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                           _("The sender's list of files could not be decrypted. It may run an incompatible version of Keyferry."));
      return FALSE;
    }
  g_byte_array_set_size (plain, at + n + tail);
  return TRUE;
}

/* Reads the MANIFEST records that begin with (@header, @payload), up to
 * the FINAL one, and parses the manifest. */
static KfTransferOffer *
read_manifest (KfPeerLink            *link,
               KfRecordHeader         header,
               const guint8          *payload,
               GCancellable          *cancellable,
               GError               **error)
{
  const KfSessionKeys *keys = kf_peer_link_get_keys (link);
  g_autoptr(KfCipher) cipher = NULL;
  g_autoptr(GByteArray) plain = g_byte_array_new ();
  g_autoptr(KfManifest) manifest = NULL;

  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT,
                          kf_peer_link_get_offer_key (link), KF_CIPHER_KEY_SIZE,
                          kf_peer_link_get_offer_iv (link), KF_CIPHER_IV_SIZE, error);
  while (cipher != NULL)
    {
      gboolean final = (header.flags & KF_RECORD_FLAG_FINAL) != 0;

      if (header.type != KF_RECORD_MANIFEST)
        {
          g_propagate_error (error, header.type == KF_RECORD_CANCEL
                                    ? _kf_transfer_peer_cancelled (payload, header.length)
                                    : _kf_transfer_unexpected (header.type));
          return NULL;
        }
      if (!open_manifest_record (cipher, payload, header.length, final, plain, error))
        return NULL;
      if (final)
        break;
      payload = kf_peer_link_receive (link, &header, cancellable, error);
      if (payload == NULL)
        return NULL;
    }
  if (cipher == NULL)
    return NULL;
  manifest = kf_manifest_parse (plain->data, plain->len, error);
  return manifest != NULL ? kf_transfer_offer_new_for_manifest (manifest, keys->mode) : NULL;
}

static void
receive_offer_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  KfPeerLink *link = task_data;
  KfTransferOffer *offer = NULL;
  GError *error = NULL;
  KfRecordHeader header;
  const guint8 *payload;

  payload = kf_peer_link_receive (link, &header, cancellable, &error);
  if (payload != NULL && header.type == KF_RECORD_OFFER)
    offer = open_offer (link, payload, header.length, &error);
  else if (payload != NULL && header.type == KF_RECORD_MANIFEST)
    offer = read_manifest (link, header, payload, cancellable, &error);
  else if (payload != NULL && header.type == KF_RECORD_CANCEL)
    error = _kf_transfer_peer_cancelled (payload, header.length);
  else if (payload != NULL)
    error = _kf_transfer_unexpected (header.type);

  if (offer != NULL)
    {
      g_task_return_pointer (task, offer, (GDestroyNotify) kf_transfer_offer_free);
      return;
    }
  if (!g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME))
    {
      _kf_transfer_tell_cancel (link, error);
      kf_peer_link_abort (link);
    }
  g_task_return_error (task, error);
}

/* Runs @thread_func on a worker thread with @link as the task data. */
static void
run_on_link (KfPeerLink          *link,
             gpointer             source_tag,
             GTaskThreadFunc      thread_func,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_object_ref (link), g_object_unref);
  g_task_run_in_thread (task, thread_func);
}

/*
 * kf_transfer_receive_offer_async:
 * @link: a receiver's link, fresh from kf_peer_listener_accept_finish()
 *
 * Reads the sender's offer: the file's name (sanitised), plain size and
 * encrypted size.  Then call kf_transfer_receive_async() or
 * kf_transfer_decline_async().
 */
void
kf_transfer_receive_offer_async (KfPeerLink          *link,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (KF_IS_PEER_LINK (link));
  g_return_if_fail (kf_peer_link_get_role (link) == KF_PEER_ROLE_RECEIVER);

  run_on_link (link, kf_transfer_receive_offer_async, receive_offer_thread,
               cancellable, callback, user_data);
}

/*
 * kf_transfer_receive_offer_finish:
 *
 * Returns: (transfer full): the offer, or %NULL with
 * %KF_TRANSFER_ERROR_NAME (no usable name: decline it),
 * %KF_TRANSFER_ERROR_CANCELLED (the sender cancelled), PEER_GONE, BAD_MAC,
 * ORDER, PROTOCOL, or G_IO_ERROR_CANCELLED.
 */
KfTransferOffer *
kf_transfer_receive_offer_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_transfer_receive_offer_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
decline_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  KfPeerLink *link = task_data;
  GError *error = NULL;

  if (!kf_peer_link_send_copy (link, KF_RECORD_DECLINE, 0, NULL, 0, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/*
 * kf_transfer_decline_async:
 * @link: a receiver's link whose offer was read
 *
 * Tells the sender that the file is declined; its kf_transfer_send_finish()
 * then fails with %KF_TRANSFER_ERROR_DECLINED.  The link is done after it.
 */
void
kf_transfer_decline_async (KfPeerLink          *link,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (KF_IS_PEER_LINK (link));
  g_return_if_fail (kf_peer_link_get_role (link) == KF_PEER_ROLE_RECEIVER);

  run_on_link (link, kf_transfer_decline_async, decline_thread,
               cancellable, callback, user_data);
}

/*
 * kf_transfer_decline_finish:
 *
 * Returns: %TRUE once the decline was sent, or %FALSE with
 * %KF_TRANSFER_ERROR_PEER_GONE or G_IO_ERROR_CANCELLED.
 */
gboolean
kf_transfer_decline_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_transfer_decline_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
