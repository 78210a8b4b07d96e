/* fuzz-record.c: the peer link's record layer, as a receiver meets it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: byte 0 picks the session's cipher mode (bit 0) and the first
 * sequence number expected (bits 1-2); the rest is the byte stream a peer
 * sends.  Records are read with kf_record_read() one after the other, as
 * kf_peer_link_receive() does, and their payloads handled as the receiver
 * handles them: data records decrypted in one chain, the final one
 * unpadded; cancel records turned into the error a user sees.
 *
 * Built with KF_FUZZING (fuzz/meson.build), kf_record_open() accepts any
 * tag, so mutated records get past the MAC to everything behind it.
 */

#include "config.h"

#include <string.h>

#include "kf-cipher.h"
#include "kf-fuzz.h"
#include "kf-fuzz-keys.h"
#include "kf-record.h"
#include "kf-transfer-private.h"

#define MAX_RECORDS 64
#define PLAIN_SIZE  (KF_RECORD_MAX_PAYLOAD + 2 * KF_CIPHER_BLOCK_SIZE)

/* Decrypts one data record into @plain; TRUE when the chain goes on. */
static gboolean
decrypt_data (KfCipher             *cipher,
              const KfRecordHeader *header,
              const guint8         *payload,
              guint8               *plain)
{
  g_autoptr(GError) error = NULL;
  gboolean final = (header->flags & KF_RECORD_FLAG_FINAL) != 0;
  gsize n = 0;
  gsize tail = 0;

  if (!kf_cipher_update (cipher, payload, header->length, plain, PLAIN_SIZE, &n, &error))
    return FALSE;
  kf_fuzz_check (n <= header->length + KF_CIPHER_BLOCK_SIZE, "decryption stays in its buffer");
  if (final && !kf_cipher_finish (cipher, plain + n, PLAIN_SIZE - n, &tail, &error))
    return FALSE;
  return !final;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static guint8 *buf;
  static guint8 *plain;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(KfCipher) cipher = NULL;
  KfCipherMode mode;
  guint64 seq;

  if (size < 1)
    return 0;
  if (buf == NULL)
    {
      buf = g_malloc (KF_RECORD_MAX_SIZE);
      plain = g_malloc (PLAIN_SIZE);
    }

  mode = (data[0] & 1) ? KF_CIPHER_MODE_CFB : KF_CIPHER_MODE_CBC;
  seq = (data[0] >> 1) & 3;
  cipher = kf_cipher_new (mode, KF_CIPHER_DECRYPT,
                          (const guint8 *) KF_FUZZ_CIPHER_KEY, KF_CIPHER_KEY_SIZE,
                          (const guint8 *) KF_FUZZ_CIPHER_IV, KF_CIPHER_IV_SIZE, NULL);
  kf_fuzz_check (cipher != NULL, "the cipher opens");
  stream = g_memory_input_stream_new_from_data (data + 1, (gssize) size - 1, NULL);

  for (guint i = 0; i < MAX_RECORDS; i++, seq++)
    {
      g_autoptr(GError) error = NULL;
      KfRecordHeader header;
      const guint8 *payload = buf + KF_RECORD_HEADER_SIZE;

      if (!kf_record_read (stream, kf_fuzz_record_key (), seq, buf, KF_RECORD_MAX_SIZE,
                           &header, NULL, &error))
        {
          kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR,
                         "a refused record says why, as a transfer error");
          break;
        }
      kf_fuzz_check (header.seq == seq && header.length <= KF_RECORD_MAX_PAYLOAD,
                     "an opened record is the expected one and fits");
      if (header.type == KF_RECORD_CANCEL)
        {
          g_autoptr(GError) cancelled = _kf_transfer_peer_cancelled (payload, header.length);

          kf_fuzz_check (g_utf8_validate (cancelled->message, -1, NULL),
                         "a peer's cancel reason becomes valid UTF-8");
          break;
        }
      if (header.type != KF_RECORD_DATA)
        {
          GError *unexpected = _kf_transfer_unexpected (header.type);

          kf_fuzz_check (unexpected != NULL, "a record out of place is an error");
          g_error_free (unexpected);
          continue;
        }
      if (!decrypt_data (cipher, &header, payload, plain))
        break;
    }

  return 0;
}
