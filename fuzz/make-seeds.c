/* make-seeds.c: writes the fuzz seeds only the real encoders can make
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: fuzz-make-seeds CORPUS-DIR
 *
 * Writes sealed records (fuzz/corpus/record), offers
 * (fuzz/corpus/offer) and handshake messages (fuzz/corpus/handshake)
 * with the same fixed keys the targets use (fuzz/kf-fuzz-keys.h), each
 * prefixed by the selector byte its target reads first.  The text seeds
 * (key-manager lines, known-servers files) are written by hand.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kf-cipher.h"
#include "kf-fuzz-keys.h"
#include "kf-gcrypt.h"
#include "kf-peer-handshake.h"
#include "kf-record.h"
#include "kf-transfer.h"

static void
write_seed (const char   *corpus,
            const char   *target,
            const char   *name,
            GByteArray   *bytes)
{
  g_autofree char *dir = g_build_filename (corpus, target, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0755);
  if (!g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error))
    g_error ("%s", error->message);
}

/* Appends to @out one record of @type carrying @plain, encrypted by
 * @cipher (finished when @flags is final) or as it is when @cipher is
 * %NULL, sealed as number @seq. */
static void
append_record (GByteArray   *out,
               KfCipher     *cipher,
               KfRecordType  type,
               guint8        flags,
               guint64       seq,
               const void   *plain,
               gsize         len)
{
  gsize size = KF_RECORD_HEADER_SIZE + len + 2 * KF_CIPHER_BLOCK_SIZE + KF_RECORD_TAG_SIZE;
  g_autofree guint8 *record = g_malloc0 (size);
  gsize n = len;
  gsize tail = 0;

  if (cipher == NULL)
    memcpy (record + KF_RECORD_HEADER_SIZE, plain, len);
  else if (!kf_cipher_update (cipher, plain, len, record + KF_RECORD_HEADER_SIZE,
                              len + KF_CIPHER_BLOCK_SIZE, &n, NULL)
           || ((flags & KF_RECORD_FLAG_FINAL)
               && !kf_cipher_finish (cipher, record + KF_RECORD_HEADER_SIZE + n,
                                     2 * KF_CIPHER_BLOCK_SIZE, &tail, NULL)))
    g_error ("cannot encrypt a seed");
  if (!kf_record_seal (kf_fuzz_record_key (), type, flags, seq, record, n + tail, NULL))
    g_error ("cannot seal a seed");
  g_byte_array_append (out, record, KF_RECORD_HEADER_SIZE + n + tail + KF_RECORD_TAG_SIZE);
}

static KfCipher *
encryptor (KfCipherMode mode)
{
  return kf_cipher_new (mode, KF_CIPHER_ENCRYPT,
                        (const guint8 *) KF_FUZZ_CIPHER_KEY, KF_CIPHER_KEY_SIZE,
                        (const guint8 *) KF_FUZZ_CIPHER_IV, KF_CIPHER_IV_SIZE, NULL);
}

/* A stream of @n_data data records in @mode starting at @seq. */
static void
record_stream (const char   *corpus,
               const char   *name,
               KfCipherMode  mode,
               guint64       seq,
               guint         n_data,
               gboolean      cancel)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(KfCipher) cipher = encryptor (mode);
  guint8 selector = (mode == KF_CIPHER_MODE_CFB ? 1 : 0) | (guint8) (seq << 1);
  static const char text[] = "The quick brown fox jumps over the lazy dog, twice over.";

  g_byte_array_append (out, &selector, 1);
  for (guint i = 0; i < n_data; i++)
    append_record (out, cipher, KF_RECORD_DATA, i + 1 == n_data && !cancel ? KF_RECORD_FLAG_FINAL : 0,
                   seq + i, text, sizeof text - 1 - i * 7);
  if (cancel)
    append_record (out, NULL, KF_RECORD_CANCEL, 0, seq + n_data, "disk full", 9);
  write_seed (corpus, "record", name, out);
}

static void
offer_seeds (const char *corpus)
{
  static const char *names[] = {
    "report.pdf", "../../etc/passwd", "C:\\Users\\me\\notes.txt", "a\nb.txt",
    "\303\234n\303\257c\303\270d\303\251 \342\234\223.txt", "invoice\342\200\256txt.exe",
    "..", ".hidden",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GByteArray) sealed = g_byte_array_new ();
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(KfCipher) cipher = encryptor (KF_CIPHER_MODE_CBC);
      g_autofree char *name_sealed = g_strdup_printf ("sealed-%u", i);
      g_autofree char *name_plain = g_strdup_printf ("plain-%u", i);
      g_autofree guint8 *offer = NULL;
      guint8 selector = (i % 2) ? 2 : 0;
      gsize len = 0;

      offer = kf_transfer_offer_encode (names[i], 1000 * i + 12345, &len);
      g_byte_array_append (sealed, &selector, 1);
      append_record (sealed, cipher, KF_RECORD_OFFER, KF_RECORD_FLAG_FINAL, 0, offer, len);
      write_seed (corpus, "offer", name_sealed, sealed);

      selector |= 1;
      g_byte_array_append (plain, &selector, 1);
      g_byte_array_append (plain, offer, len);
      write_seed (corpus, "offer", name_plain, plain);
    }
}

static void
handshake_seeds (const char *corpus)
{
  guint8 hello[KF_PEER_HELLO_SIZE];
  guint8 challenge[KF_PEER_CHALLENGE_SIZE];
  guint8 response[KF_PEER_RESPONSE_SIZE];
  guint8 selector;
  g_autoptr(GByteArray) out = g_byte_array_new ();

  kf_fuzz_handshake_messages (hello, challenge, response);

  selector = 0;
  g_byte_array_append (out, &selector, 1);
  g_byte_array_append (out, hello, sizeof hello);
  write_seed (corpus, "handshake", "hello", out);

  selector = 1;
  g_byte_array_set_size (out, 0);
  g_byte_array_append (out, &selector, 1);
  g_byte_array_append (out, challenge, sizeof challenge);
  write_seed (corpus, "handshake", "challenge", out);

  selector = 2;
  g_byte_array_set_size (out, 0);
  g_byte_array_append (out, &selector, 1);
  g_byte_array_append (out, response, sizeof response);
  write_seed (corpus, "handshake", "response", out);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s CORPUS-DIR\n", argv[0]);
      return 1;
    }

  record_stream (argv[1], "cbc-one", KF_CIPHER_MODE_CBC, 0, 1, FALSE);
  record_stream (argv[1], "cbc-three", KF_CIPHER_MODE_CBC, 0, 3, FALSE);
  record_stream (argv[1], "cfb-two-from-2", KF_CIPHER_MODE_CFB, 2, 2, FALSE);
  record_stream (argv[1], "cbc-cancelled", KF_CIPHER_MODE_CBC, 1, 1, TRUE);
  offer_seeds (argv[1]);
  handshake_seeds (argv[1]);
  return 0;
}
