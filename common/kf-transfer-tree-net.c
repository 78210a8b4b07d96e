/* kf-transfer-tree-net.c: the tree receiver's network thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The half of receiving a tree (kf-transfer-tree.c) that faces the
 * sender, on the GTask's thread: every file of the manifest in order, its
 * own chain under its own IV, its DATA records up to the FINAL one checked
 * against its announced size, each tag added to the transcript digest and
 * each record decrypted into the buffer being filled (the check and the
 * decryption both receivers share, kf-transfer-job.c), many small files to
 * a buffer.  The buffer goes to the disk thread once it holds 256 KiB
 * (buffer_for()), at the end, or before the thread would wait for the sender
 * (kf_peer_link_receive_nowait()), so no file that came waits for the
 * next one and the threads wake once per buffer rather than once per file.
 */

#include "config.h"

#include "kf-transfer-private.h"

/* Hands the buffer being filled to the disk thread. */
static void
push_filling (KfTreeJob *job)
{
  if (job->filling != NULL)
    g_async_queue_push (job->full_bufs, g_steal_pointer (&job->filling));
}

/* Reads the next record; what the buffer being filled holds goes to the
 * disk thread first when the record is not here yet, so no file waits
 * for the peer's next one. */
static const guint8 *
receive_record (KfTreeJob       *job,
                KfRecordHeader  *header,
                GCancellable    *cancellable,
                GError         **error)
{
  GError *local = NULL;
  const guint8 *payload;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  payload = kf_peer_link_receive_nowait (job->base.link, header, &local);
  if (payload != NULL || !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      if (local != NULL)
        g_propagate_error (error, local);
      return payload;
    }
  g_error_free (local);
  push_filling (job);
  return kf_peer_link_receive (job->base.link, header, cancellable, error);
}

/* The buffer to decrypt a record of @len bytes into: the one being
 * filled while it has room and holds less than KF_TRANSFER_CHUNK_SIZE,
 * else an empty one (%NULL once the job is stopped).  Each buffer can
 * take a record of the largest size; handing them on at 256 KiB, as the
 * single-file receiver's records of the reference sender come, keeps
 * the pages a tree of small files touches to those of one file (all four
 * buffers filled to 1 MiB were 4 MiB more, bench/run's memory row). */
static KfChunk *
buffer_for (KfTreeJob *job,
            gsize      len)
{
  gsize room = len + 2 * KF_CIPHER_BLOCK_SIZE;

  if (job->filling != NULL
      && (!_kf_chunk_has_room (job->filling, room) || job->filling->len >= KF_TRANSFER_CHUNK_SIZE))
    push_filling (job);
  if (job->filling == NULL)
    {
      job->filling = _kf_job_pop (&job->base.state, job->free_bufs);
      if (job->filling != NULL)
        _kf_chunk_reset (job->filling);
    }
  return job->filling;
}

/* Reads the next DATA record of a file whose chain should carry
 * @expected bytes, @cipher_bytes of which came already. */
static const guint8 *
next_data (KfTreeJob       *job,
           KfRecordHeader  *header,
           guint64          expected,
           guint64         *cipher_bytes,
           GCancellable    *cancellable,
           GError         **error)
{
  const guint8 *payload = receive_record (job, header, cancellable, error);

  if (payload == NULL
      || !_kf_transfer_check_data_record (header, payload, expected, cipher_bytes,
                                          KF_RECORD_SCOPE_TREE, error))
    return NULL;
  return payload;
}

/* Decrypts one verified record of file number @file (entry @index) into a
 * new piece of @buf; the FINAL one is checked for its padding. */
static gboolean
decrypt_into (KfTreeJob     *job,
              const guint8  *payload,
              gsize          len,
              gboolean       final,
              KfChunk       *buf,
              guint          file,
              guint          index,
              GError       **error)
{
  KfPiece *piece = _kf_transfer_decrypt_record (job->base.cipher, payload, len, final, buf,
                                                KF_RECORD_SCOPE_TREE, error);

  if (piece == NULL)
    return FALSE;
  piece->plain = piece->len;
  piece->file = file;
  piece->entry = index;
  piece->last = final;
  return TRUE;
}

/* Receives file number @file (entry @index): its own chain, its records
 * up to the FINAL one, to the disk thread. */
static gboolean
receive_one (KfTreeJob     *job,
             guint          file,
             guint          index,
             GCancellable  *cancellable,
             GError       **error)
{
  guint64 expected = kf_cipher_encrypted_size (job->offer->mode,
                                               kf_manifest_get_entry (job->manifest, index)->size);
  guint64 cipher_bytes = 0;
  gboolean final = FALSE;

  if (!_kf_transfer_job_start_file (&job->base, KF_CIPHER_DECRYPT, file, error))
    return FALSE;
  while (!final)
    {
      KfRecordHeader header;
      const guint8 *payload = next_data (job, &header, expected, &cipher_bytes, cancellable, error);
      KfChunk *buf = payload != NULL ? buffer_for (job, header.length) : NULL;

      if (buf == NULL)
        return FALSE;
      final = (header.flags & KF_RECORD_FLAG_FINAL) != 0;
      _kf_transcript_add (job->base.transcript, payload + header.length);
      if (!decrypt_into (job, payload, header.length, final, buf, file, index, error))
        return FALSE;
      /* Set before the buffer goes on: the file's commit reads it. */
      if (final)
        {
          _kf_transfer_files_set_blocks (job->list, file, kf_cipher_get_blocks (job->base.cipher));
          job->blocks += kf_cipher_get_blocks (job->base.cipher);
        }
    }
  return TRUE;
}

/*
 * _kf_transfer_tree_receive_files:
 * @job: a tree's job, accepted, its queues made and its disk thread
 *   started
 *
 * The network loop, on the task's thread: every file of the manifest in
 * order, each record verified, its tag added to the transcript and
 * decrypted into the buffer being filled, which goes to the disk thread
 * once it holds 256 KiB, before the loop would wait for the sender, and at the
 * end.  Returns %FALSE with @error set on a failure of its own, or with
 * @error unset when the job was stopped.
 */
gboolean
_kf_transfer_tree_receive_files (KfTreeJob     *job,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  guint n = kf_manifest_get_n_entries (job->manifest);
  guint file = 0;

  for (guint i = 0; i < n; i++)
    {
      if (kf_manifest_get_entry (job->manifest, i)->kind != KF_MANIFEST_FILE)
        continue;
      if (!receive_one (job, file++, i, cancellable, error))
        return FALSE;
    }
  push_filling (job);
  return TRUE;
}
