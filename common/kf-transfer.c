/* kf-transfer.c: results and what sender and receiver share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine itself is in kf-transfer-sender.c and kf-transfer-receiver.c;
 * the offer is kf-transfer-offer.c, what both jobs share
 * kf-transfer-job.c, the progress relay kf-transfer-progress.c.  This file
 * holds the boxed result type, the free-space check and the cancel and
 * error helpers both pipelines use.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-transfer-private.h"
#include "kf-untrusted.h"

G_DEFINE_BOXED_TYPE (KfTransferResult, kf_transfer_result,
                     kf_transfer_result_copy, kf_transfer_result_free)
G_DEFINE_BOXED_TYPE (KfTransferFileResult, kf_transfer_file_result,
                     kf_transfer_file_result_copy, kf_transfer_file_result_free)

/*
 * kf_transfer_file_result_copy:
 *
 * Returns: (transfer full): a deep copy of @file.
 */
KfTransferFileResult *
kf_transfer_file_result_copy (const KfTransferFileResult *file)
{
  KfTransferFileResult *copy;

  g_return_val_if_fail (file != NULL, NULL);

  copy = g_memdup2 (file, sizeof *file);
  copy->path = g_strdup (file->path);
  copy->offered_path = g_strdup (file->offered_path);
  return copy;
}

/*
 * kf_transfer_file_result_free:
 *
 * Frees @file.  %NULL is allowed.
 */
void
kf_transfer_file_result_free (KfTransferFileResult *file)
{
  if (file == NULL)
    return;

  g_free (file->path);
  g_free (file->offered_path);
  g_free (file);
}

/*
 * kf_transfer_file_status_to_string:
 *
 * Returns: the word `--json` and logs use for @status ("arrived",
 * "renamed", "skipped", "incomplete", "sent").
 */
const char *
kf_transfer_file_status_to_string (KfTransferFileStatus status)
{
  switch (status)
    {
    case KF_TRANSFER_FILE_ARRIVED:
      return "arrived";
    case KF_TRANSFER_FILE_RENAMED:
      return "renamed";
    case KF_TRANSFER_FILE_SKIPPED:
      return "skipped";
    case KF_TRANSFER_FILE_SENT:
      return "sent";
    case KF_TRANSFER_FILE_INCOMPLETE:
    default:
      return "incomplete";
    }
}

/*
 * _kf_transfer_result_new:
 * @files: (nullable): the transfer's per-file list (a reference is taken)
 *
 * Returns: (transfer full): an empty result with @files, or with an
 * empty file list.
 */
KfTransferResult *
_kf_transfer_result_new (KfTransferFiles *files)
{
  KfTransferResult *result = g_new0 (KfTransferResult, 1);

  result->files = files != NULL ? kf_transfer_files_ref (files)
                                : _kf_transfer_files_new (NULL, FALSE);
  return result;
}

/*
 * kf_transfer_result_copy:
 *
 * Returns: (transfer full): a copy of @result, sharing its per-file list
 * (which never changes once the engine returned it).
 */
KfTransferResult *
kf_transfer_result_copy (const KfTransferResult *result)
{
  KfTransferResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = g_memdup2 (result, sizeof *result);
  copy->path = g_strdup (result->path);
  if (result->files != NULL)
    copy->files = kf_transfer_files_ref (result->files);
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
  g_clear_pointer (&result->files, kf_transfer_files_unref);
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

/* The reason a CANCEL carries for @why.  Messages about local files name
 * local paths, which are none of the peer's business: those get a fixed
 * wording.  The wire text is English; the peer shows it inside its own
 * translated sentence. */
static const char *
cancel_reason (KfPeerLink   *link,
               const GError *why)
{
  if (g_error_matches (why, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *reason = kf_peer_link_get_cancel_reason (link);

      return reason != NULL ? reason : "cancelled by the user";
    }
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
 * _kf_transfer_tell_cancel:
 * @why: the error that ends the transfer on this side
 *
 * Sends the peer a CANCEL record saying why (see cancel_reason(), and
 * kf_peer_link_set_cancel_reason() for a cancelled engine), unless
 * @why came from the peer itself (its cancel, decline, or a lost
 * connection).  Best effort: a failure to send is ignored.
 */
void
_kf_transfer_tell_cancel (KfPeerLink   *link,
                          const GError *why)
{
  const char *reason;
  gsize len;

  if (g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED)
      || g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE)
      || g_error_matches (why, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED))
    return;

  reason = cancel_reason (link, why);
  len = strlen (reason);
  while (len > 512)
    len = g_utf8_find_prev_char (reason, reason + len) - reason;
  kf_peer_link_send_copy (link, KF_RECORD_CANCEL, 0, (const guint8 *) reason, len, NULL, NULL);
}

/*
 * _kf_transfer_peer_cancelled:
 * @reason: the peer's CANCEL payload, untrusted text
 *
 * Returns: (transfer full): %KF_TRANSFER_ERROR_CANCELLED quoting @reason
 * cleaned by kf_untrusted_clean() and cut at 200 characters.
 */
GError *
_kf_transfer_peer_cancelled (const guint8 *reason,
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
 * _kf_transfer_unexpected:
 *
 * Returns: (transfer full): %KF_TRANSFER_ERROR_PROTOCOL for an authentic
 * record of @type that has no business at this point.
 */
GError *
_kf_transfer_unexpected (guint8 type)
{
  return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                      _("The peer sent record type %u out of turn. It may run an incompatible version of Keyferry."),
                      type);
}

/*
 * _kf_transfer_digest_hex:
 *
 * Writes the SHA-256 of @md as 64 lower-case hex digits and a NUL.
 */
void
_kf_transfer_digest_hex (gcry_md_hd_t md,
                         char         out[65])
{
  const guint8 *digest = gcry_md_read (md, GCRY_MD_SHA256);

  for (guint i = 0; i < 32; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
}
