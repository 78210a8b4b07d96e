/* fuzz-offer.c: the sender's offer record, up to the name checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: byte 0 says what the rest is.
 *
 * - Bit 0 clear: a whole offer record as it comes off the wire.  It is
 *   opened (built with KF_FUZZING, any tag passes), decrypted under the
 *   offer key in CBC and unpadded, then parsed: what the receiver does in
 *   kf_transfer_receive_offer_async().
 * - Bit 0 set: the offer's plaintext.  It is encrypted and sealed by the
 *   real encoder first, so the fuzzer steers the bytes that reach
 *   kf_transfer_offer_parse() and kf_file_name_sanitize() rather than
 *   AES noise.
 *
 * Bit 1 picks the session's mode.  A name that survives must be a safe
 * basename (see check_name()).
 */

#include "config.h"

#include <string.h>

#include "kf-cipher.h"
#include "kf-file-name.h"
#include "kf-fuzz.h"
#include "kf-fuzz-keys.h"
#include "kf-record.h"
#include "kf-transfer.h"
#include "kf-untrusted.h"

/* Encrypts and seals @plain as an offer record (the sender's side). */
static guint8 *
seal_offer (const guint8 *plain,
            gsize         len,
            gsize        *record_len)
{
  g_autoptr(KfCipher) cipher = NULL;
  g_autofree guint8 *record = g_malloc (KF_RECORD_HEADER_SIZE + len + 2 * KF_CIPHER_BLOCK_SIZE
                                        + KF_RECORD_TAG_SIZE);
  guint8 *payload = record + KF_RECORD_HEADER_SIZE;
  gsize n = 0;
  gsize tail = 0;

  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT,
                          (const guint8 *) KF_FUZZ_CIPHER_KEY, KF_CIPHER_KEY_SIZE,
                          (const guint8 *) KF_FUZZ_CIPHER_IV, KF_CIPHER_IV_SIZE, NULL);
  kf_fuzz_check (cipher != NULL, "the cipher opens");
  kf_fuzz_check (kf_cipher_update (cipher, plain, len, payload, len + KF_CIPHER_BLOCK_SIZE, &n, NULL)
                 && kf_cipher_finish (cipher, payload + n, 2 * KF_CIPHER_BLOCK_SIZE, &tail, NULL),
                 "the sender encrypts any offer");
  kf_fuzz_check (kf_record_seal (kf_fuzz_record_key (), KF_RECORD_OFFER, 0, 0, record, n + tail, NULL),
                 "the sender seals any offer");
  *record_len = KF_RECORD_HEADER_SIZE + n + tail + KF_RECORD_TAG_SIZE;
  return g_steal_pointer (&record);
}

/* Opens and decrypts an offer record; the plaintext, or %NULL. */
static guint8 *
open_offer (const guint8 *record,
            gsize         record_len,
            gsize        *plain_len)
{
  g_autoptr(KfCipher) cipher = NULL;
  g_autofree guint8 *plain = NULL;
  KfRecordHeader header;
  gsize n = 0;
  gsize tail = 0;

  if (!kf_record_open (kf_fuzz_record_key (), record, record_len, 0, &header, NULL)
      || header.type != KF_RECORD_OFFER)
    return NULL;

  plain = g_malloc (header.length + 2 * KF_CIPHER_BLOCK_SIZE);
  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT,
                          (const guint8 *) KF_FUZZ_CIPHER_KEY, KF_CIPHER_KEY_SIZE,
                          (const guint8 *) KF_FUZZ_CIPHER_IV, KF_CIPHER_IV_SIZE, NULL);
  if (!kf_cipher_update (cipher, record + KF_RECORD_HEADER_SIZE, header.length, plain,
                         header.length + KF_CIPHER_BLOCK_SIZE, &n, NULL)
      || !kf_cipher_finish (cipher, plain + n, 2 * KF_CIPHER_BLOCK_SIZE, &tail, NULL))
    return NULL;

  *plain_len = n + tail;
  return g_steal_pointer (&plain);
}

/* What kf_file_name_sanitize() promises of any name it returns: one
 * path component, never "." or "..", no control characters, UTF-8. */
static void
check_name (const char *name)
{
  kf_fuzz_check (name[0] != '\0' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0,
                 "a saved name names a file");
  kf_fuzz_check (strchr (name, '/') == NULL && strchr (name, '\\') == NULL,
                 "a saved name has no directory");
  kf_fuzz_check (g_utf8_validate (name, -1, NULL), "a saved name is UTF-8");
  kf_fuzz_check (strlen (name) <= KF_FILE_NAME_MAX, "a saved name fits a file system");
  kf_fuzz_check (name[0] != '.', "a saved name is never hidden");
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    kf_fuzz_check (!kf_untrusted_is_unwanted (g_utf8_get_char (p)),
                   "a saved name has no control, bidi, zero-width or separator character");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree guint8 *sealed = NULL;
  g_autofree guint8 *plain = NULL;
  g_autoptr(KfTransferOffer) offer = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *record = data + 1;
  gsize record_len = size - 1;
  gsize plain_len = 0;
  KfCipherMode mode;

  if (size < 1 || size > 64 * 1024)
    return 0;

  mode = (data[0] & 2) ? KF_CIPHER_MODE_CFB : KF_CIPHER_MODE_CBC;
  if (data[0] & 1)
    {
      sealed = seal_offer (data + 1, size - 1, &record_len);
      record = sealed;
    }
  plain = open_offer (record, record_len, &plain_len);
  if (plain == NULL)
    return 0;
  if (data[0] & 1)
    kf_fuzz_check (plain_len == size - 1 && memcmp (plain, data + 1, plain_len) == 0,
                   "an offer decrypts to what was sealed");

  offer = kf_transfer_offer_parse (plain, plain_len, mode, &error);
  kf_fuzz_check ((offer == NULL) == (error != NULL), "a parse fails with an error and only then");
  if (offer == NULL)
    return 0;
  check_name (offer->name);
  kf_fuzz_check (offer->plain_size <= KF_TRANSFER_MAX_SIZE
                 && offer->encrypted_size >= offer->plain_size,
                 "an accepted size is bounded and its encrypted size covers it");

  /* The sanitiser is idempotent: a sanitised name is kept as it is. */
  {
    g_autofree char *again = kf_file_name_sanitize (offer->name, strlen (offer->name), NULL);

    kf_fuzz_check (g_strcmp0 (again, offer->name) == 0, "a sanitised name sanitises to itself");
  }

  return 0;
}
