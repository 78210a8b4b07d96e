/* kf-cipher.c: streaming AES-256-CBC (PKCS#7) and AES-256-CFB over libgcrypt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfCipher turns a stream of any chunk sizes into exactly the bytes that
 * one-shot processing would give.  CBC needs whole blocks, so up to one block
 * of input waits in the context between calls: a partial block when
 * encrypting, and when decrypting always the last block seen, since only
 * kf_cipher_finish() knows that it carries the padding.  CFB-128 is a stream
 * mode and libgcrypt keeps the keystream position between calls itself, so
 * its bytes pass straight through.
 *
 * The context counts the AES blocks it processes as it goes: the number the
 * peers report to the key manager.  CBC counts every block handed to
 * libgcrypt, the padding block included; CFB counts every keystream block it
 * starts, so a final partial block counts as one.
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-cipher.h"
#include "kf-gcrypt.h"

G_DEFINE_QUARK (kf-cipher-error-quark, kf_cipher_error)

struct _KfCipher
{
  gcry_cipher_hd_t   hd;
  KfCipherMode       mode;
  KfCipherDirection  direction;
  gboolean           finished;
  guint64            bytes_in;
  guint64            blocks;
  gsize              pending_len;
  guint8             pending[KF_CIPHER_BLOCK_SIZE];
};

/*
 * kf_cipher_mode_to_string:
 *
 * Returns: "cbc" or "cfb", the words the protocol and the command line use.
 */
const char *
kf_cipher_mode_to_string (KfCipherMode mode)
{
  switch (mode)
    {
    case KF_CIPHER_MODE_CBC:
      return "cbc";
    case KF_CIPHER_MODE_CFB:
      return "cfb";
    default:
      g_return_val_if_reached (NULL);
    }
}

/*
 * kf_cipher_mode_from_string:
 *
 * Parses "cbc" or "cfb" (any case) into @mode.  Returns %FALSE, leaving @mode
 * untouched, for anything else.
 */
gboolean
kf_cipher_mode_from_string (const char   *str,
                            KfCipherMode *mode)
{
  g_return_val_if_fail (mode != NULL, FALSE);

  if (str == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (str, "cbc") == 0)
    *mode = KF_CIPHER_MODE_CBC;
  else if (g_ascii_strcasecmp (str, "cfb") == 0)
    *mode = KF_CIPHER_MODE_CFB;
  else
    return FALSE;

  return TRUE;
}

/*
 * kf_cipher_encrypted_size:
 *
 * Returns: how many bytes encrypting @plain_size bytes in @mode produces:
 * the next whole block above it for CBC (PKCS#7 always adds 1 to 16 bytes),
 * the same size for CFB.  This is what a receiver is shown before it
 * accepts a file; the block counts themselves come from the cipher at work.
 */
guint64
kf_cipher_encrypted_size (KfCipherMode mode,
                          guint64      plain_size)
{
  if (mode == KF_CIPHER_MODE_CBC)
    return (plain_size / KF_CIPHER_BLOCK_SIZE + 1) * KF_CIPHER_BLOCK_SIZE;

  return plain_size;
}

static gboolean
set_gcry_error (GError       **error,
                gcry_error_t   err,
                const char    *what)
{
  g_set_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_FAILED,
               "libgcrypt could not %s: %s", what, gcry_strerror (err));
  return FALSE;
}

/*
 * kf_cipher_new:
 * @key: the AES-256 key, @key_len must be %KF_CIPHER_KEY_SIZE
 * @iv: the IV, @iv_len must be %KF_CIPHER_IV_SIZE
 *
 * Creates a streaming context.  The key schedule and IV live in libgcrypt's
 * secure memory and the context itself in secure memory too (it holds up to
 * a block of plaintext); kf_cipher_free() wipes all of it.  The caller's
 * copies of @key and @iv are not kept.
 *
 * Returns: (transfer full): the context, or %NULL with @error set to
 * %KF_CIPHER_ERROR_KEY_LENGTH or %KF_CIPHER_ERROR_IV_LENGTH for wrong sizes.
 */
KfCipher *
kf_cipher_new (KfCipherMode        mode,
               KfCipherDirection   direction,
               const guint8       *key,
               gsize               key_len,
               const guint8       *iv,
               gsize               iv_len,
               GError            **error)
{
  KfCipher *self;
  gcry_error_t err;
  int algo_mode;

  g_return_val_if_fail (kf_gcrypt_is_ready (), NULL);
  g_return_val_if_fail (mode == KF_CIPHER_MODE_CBC || mode == KF_CIPHER_MODE_CFB, NULL);
  g_return_val_if_fail (direction == KF_CIPHER_ENCRYPT || direction == KF_CIPHER_DECRYPT, NULL);

  if (key == NULL || key_len != KF_CIPHER_KEY_SIZE)
    {
      g_set_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_KEY_LENGTH,
                   "AES-256 needs a key of %d bytes (%d hex digits), not %" G_GSIZE_FORMAT,
                   KF_CIPHER_KEY_SIZE, KF_CIPHER_KEY_SIZE * 2, key ? key_len : 0);
      return NULL;
    }
  if (iv == NULL || iv_len != KF_CIPHER_IV_SIZE)
    {
      g_set_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_IV_LENGTH,
                   "the IV must be %d bytes (%d hex digits), not %" G_GSIZE_FORMAT,
                   KF_CIPHER_IV_SIZE, KF_CIPHER_IV_SIZE * 2, iv ? iv_len : 0);
      return NULL;
    }

  self = gcry_calloc_secure (1, sizeof *self);
  if (self == NULL)
    {
      g_set_error_literal (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_FAILED,
                           _("out of secure memory for a cipher context"));
      return NULL;
    }
  self->mode = mode;
  self->direction = direction;

  algo_mode = mode == KF_CIPHER_MODE_CBC ? GCRY_CIPHER_MODE_CBC : GCRY_CIPHER_MODE_CFB;
  err = gcry_cipher_open (&self->hd, GCRY_CIPHER_AES256, algo_mode, GCRY_CIPHER_SECURE);
  if (err == 0)
    err = gcry_cipher_setkey (self->hd, key, key_len);
  if (err == 0)
    err = gcry_cipher_setiv (self->hd, iv, iv_len);
  if (err != 0)
    {
      set_gcry_error (error, err, "set up AES-256");
      kf_cipher_free (self);
      return NULL;
    }

  return self;
}

/*
 * kf_cipher_restart:
 *
 * Starts a new chain under the same key and direction with @iv: the
 * pending bytes, the finished state and the counts start again from
 * zero.  Cheaper than a new context (no key schedule), for one chain per
 * file.  Returns %FALSE with a %KF_CIPHER_ERROR when @iv is unusable.
 */
gboolean
kf_cipher_restart (KfCipher      *self,
                   const guint8  *iv,
                   gsize          iv_len,
                   GError       **error)
{
  gcry_error_t err;

  g_return_val_if_fail (self != NULL, FALSE);

  if (iv == NULL || iv_len != KF_CIPHER_IV_SIZE)
    {
      g_set_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_IV_LENGTH,
                   "the IV must be %d bytes, not %" G_GSIZE_FORMAT,
                   KF_CIPHER_IV_SIZE, iv ? iv_len : 0);
      return FALSE;
    }
  gcry_cipher_reset (self->hd);
  err = gcry_cipher_setiv (self->hd, iv, iv_len);
  if (err != 0)
    {
      set_gcry_error (error, err, "set the IV");
      return FALSE;
    }
  self->finished = FALSE;
  self->bytes_in = 0;
  self->blocks = 0;
  self->pending_len = 0;
  explicit_bzero (self->pending, sizeof self->pending);
  return TRUE;
}

/*
 * kf_cipher_free:
 *
 * Wipes and frees the context.  %NULL is allowed.
 */
void
kf_cipher_free (KfCipher *self)
{
  if (self == NULL)
    return;

  if (self->hd != NULL)
    gcry_cipher_close (self->hd);
  explicit_bzero (self, sizeof *self);
  gcry_free (self);
}

static gboolean
process (KfCipher      *self,
         guint8        *out,
         const guint8  *in,
         gsize          len,
         GError       **error)
{
  gcry_error_t err;

  if (self->direction == KF_CIPHER_ENCRYPT)
    err = gcry_cipher_encrypt (self->hd, out, len, in, len);
  else
    err = gcry_cipher_decrypt (self->hd, out, len, in, len);

  if (err != 0)
    return set_gcry_error (error, err,
                           self->direction == KF_CIPHER_ENCRYPT ? "encrypt" : "decrypt");
  return TRUE;
}

/* CFB: libgcrypt carries the keystream position across calls.  Count a
 * block each time a new keystream block is started. */
static gboolean
update_cfb (KfCipher      *self,
            const guint8  *in,
            gsize          in_len,
            guint8        *out,
            gsize         *out_len,
            GError       **error)
{
  gsize offset = self->bytes_in % KF_CIPHER_BLOCK_SIZE;
  gsize fresh = in_len;

  if (!process (self, out, in, in_len, error))
    return FALSE;

  if (offset != 0)
    fresh -= MIN (in_len, KF_CIPHER_BLOCK_SIZE - offset);
  self->blocks += (fresh + KF_CIPHER_BLOCK_SIZE - 1) / KF_CIPHER_BLOCK_SIZE;
  *out_len = in_len;

  return TRUE;
}

/* CBC: process every whole block of pending + input except the last @keep
 * bytes, which wait in self->pending for the next call or for finish. */
static gboolean
update_cbc (KfCipher      *self,
            const guint8  *in,
            gsize          in_len,
            guint8        *out,
            gsize         *out_len,
            GError       **error)
{
  gsize total = self->pending_len + in_len;
  gsize keep = total % KF_CIPHER_BLOCK_SIZE;
  gsize bulk;
  gsize written = 0;

  /* A decryptor holds back the last whole block: it may carry the padding. */
  if (self->direction == KF_CIPHER_DECRYPT && keep == 0 && total > 0)
    keep = KF_CIPHER_BLOCK_SIZE;

  if (total - keep > 0 && self->pending_len > 0)
    {
      gsize fill = KF_CIPHER_BLOCK_SIZE - self->pending_len;

      memcpy (self->pending + self->pending_len, in, fill);
      if (!process (self, out, self->pending, KF_CIPHER_BLOCK_SIZE, error))
        return FALSE;
      self->blocks++;
      self->pending_len = 0;
      in += fill;
      in_len -= fill;
      written = KF_CIPHER_BLOCK_SIZE;
    }

  /* Whole blocks of fresh input that need not wait (0 when all waits). */
  bulk = self->pending_len + in_len - keep;
  if (bulk > 0)
    {
      if (!process (self, out + written, in, bulk, error))
        return FALSE;
      self->blocks += bulk / KF_CIPHER_BLOCK_SIZE;
      in += bulk;
      in_len -= bulk;
      written += bulk;
    }

  memcpy (self->pending + self->pending_len, in, in_len);
  self->pending_len += in_len;
  *out_len = written;

  return TRUE;
}

/*
 * kf_cipher_update:
 * @in: input bytes, must not overlap @out
 * @out: output buffer of @out_size bytes; @in_len + %KF_CIPHER_BLOCK_SIZE
 *   is always enough
 * @out_len: (out): how many bytes were written to @out
 *
 * Feeds @in_len bytes.  Output may lag input by up to one block in CBC.
 *
 * Returns: %FALSE with @error set when libgcrypt fails or the context was
 * already finished (%KF_CIPHER_ERROR_FINISHED).
 */
gboolean
kf_cipher_update (KfCipher      *self,
                  const guint8  *in,
                  gsize          in_len,
                  guint8        *out,
                  gsize          out_size,
                  gsize         *out_len,
                  GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (in != NULL || in_len == 0, FALSE);
  g_return_val_if_fail (out_len != NULL, FALSE);
  g_return_val_if_fail (out_size >= in_len + KF_CIPHER_BLOCK_SIZE
                        || (self->mode == KF_CIPHER_MODE_CFB && out_size >= in_len), FALSE);

  *out_len = 0;
  if (self->finished)
    {
      g_set_error_literal (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_FINISHED,
                           "the cipher stream is already finished");
      return FALSE;
    }
  if (in_len == 0)
    return TRUE;

  if (self->mode == KF_CIPHER_MODE_CFB)
    ok = update_cfb (self, in, in_len, out, out_len, error);
  else
    ok = update_cbc (self, in, in_len, out, out_len, error);

  if (ok)
    self->bytes_in += in_len;
  return ok;
}

/* Checks PKCS#7 padding without branching on secret bytes.  Returns the
 * padding length, or 0 when it is malformed. */
static gsize
pkcs7_padding_length (const guint8 block[KF_CIPHER_BLOCK_SIZE])
{
  guint pad = block[KF_CIPHER_BLOCK_SIZE - 1];
  guint bad = (pad == 0) | (pad > KF_CIPHER_BLOCK_SIZE);

  for (guint i = 0; i < KF_CIPHER_BLOCK_SIZE; i++)
    {
      guint in_pad = (guint) (KF_CIPHER_BLOCK_SIZE - i) <= pad;

      bad |= in_pad & (block[i] != pad);
    }

  return bad ? 0 : pad;
}

static gboolean
finish_cbc_decrypt (KfCipher  *self,
                    guint8    *out,
                    gsize     *out_len,
                    GError   **error)
{
  guint8 block[KF_CIPHER_BLOCK_SIZE];
  gsize pad;

  if (self->pending_len != KF_CIPHER_BLOCK_SIZE)
    {
      g_set_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_TRUNCATED,
                   self->bytes_in == 0
                   ? "the CBC ciphertext is empty: it must hold at least one %d-byte block"
                   : "the CBC ciphertext ends mid-block: its length is not a multiple of %d",
                   KF_CIPHER_BLOCK_SIZE);
      return FALSE;
    }

  if (!process (self, block, self->pending, KF_CIPHER_BLOCK_SIZE, error))
    return FALSE;
  self->blocks++;
  self->pending_len = 0;

  pad = pkcs7_padding_length (block);
  if (pad == 0)
    {
      explicit_bzero (block, sizeof block);
      g_set_error_literal (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_BAD_PADDING,
                           _("bad CBC padding: wrong key or IV, or the data is corrupt"));
      return FALSE;
    }

  memcpy (out, block, KF_CIPHER_BLOCK_SIZE - pad);
  *out_len = KF_CIPHER_BLOCK_SIZE - pad;
  explicit_bzero (block, sizeof block);

  return TRUE;
}

static gboolean
finish_cbc_encrypt (KfCipher  *self,
                    guint8    *out,
                    gsize     *out_len,
                    GError   **error)
{
  guint8 pad = (guint8) (KF_CIPHER_BLOCK_SIZE - self->pending_len);

  memset (self->pending + self->pending_len, pad, pad);
  if (!process (self, out, self->pending, KF_CIPHER_BLOCK_SIZE, error))
    return FALSE;
  self->blocks++;
  self->pending_len = 0;
  *out_len = KF_CIPHER_BLOCK_SIZE;

  return TRUE;
}

/*
 * kf_cipher_finish:
 * @out: at least %KF_CIPHER_BLOCK_SIZE bytes
 * @out_len: (out): bytes written: the padded last block when encrypting
 *   CBC, the last plaintext bytes when decrypting CBC, 0 for CFB
 *
 * Ends the stream.  The context accepts no more input afterwards, but its
 * block count stays readable.
 *
 * Returns: %FALSE with %KF_CIPHER_ERROR_TRUNCATED when CBC ciphertext ended
 * mid-block (or was empty), %KF_CIPHER_ERROR_BAD_PADDING when the padding
 * does not check out; no plaintext of the bad block is written then.
 */
gboolean
kf_cipher_finish (KfCipher  *self,
                  guint8    *out,
                  gsize      out_size,
                  gsize     *out_len,
                  GError   **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL && out_size >= KF_CIPHER_BLOCK_SIZE, FALSE);
  g_return_val_if_fail (out_len != NULL, FALSE);

  *out_len = 0;
  if (self->finished)
    {
      g_set_error_literal (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_FINISHED,
                           "the cipher stream is already finished");
      return FALSE;
    }
  self->finished = TRUE;

  if (self->mode == KF_CIPHER_MODE_CBC && self->direction == KF_CIPHER_ENCRYPT)
    ok = finish_cbc_encrypt (self, out, out_len, error);
  else if (self->mode == KF_CIPHER_MODE_CBC)
    ok = finish_cbc_decrypt (self, out, out_len, error);

  explicit_bzero (self->pending, sizeof self->pending);
  return ok;
}

/*
 * kf_cipher_get_blocks:
 *
 * Returns: the AES blocks encrypted or decrypted so far.
 */
guint64
kf_cipher_get_blocks (KfCipher *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->blocks;
}

/*
 * kf_cipher_get_bytes_in:
 *
 * Returns: the bytes fed to kf_cipher_update() so far.
 */
guint64
kf_cipher_get_bytes_in (KfCipher *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->bytes_in;
}

KfCipherMode
kf_cipher_get_mode (KfCipher *self)
{
  g_return_val_if_fail (self != NULL, KF_CIPHER_MODE_CBC);

  return self->mode;
}
