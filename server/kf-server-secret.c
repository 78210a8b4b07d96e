/* kf-server-secret.c: what an admission passphrase is checked against
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The operator either gives a stored Argon2id hash (a PHC string from
 * `keyferry-server --hash-passphrase`, kf-passphrase-hash.c), or the
 * passphrase itself, which is hashed once at start with Argon2id and a
 * random salt (PBKDF2-SHA256 when libgcrypt runs in FIPS mode).  Only the
 * salt, the parameters and the tag are kept, the tag in secure memory.  A
 * client's passphrase is hashed the same way in a worker thread and the
 * tags compared in constant time, over the stored tag's full length.
 * Argon2id is not used in FIPS mode, so a stored hash is refused there.
 *
 * A KfServerSecret does not change once made, so checks may run in any
 * number of threads at once; KfServerAdmission decides when they run.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gcrypt.h>

#include "kf-passphrase-hash.h"
#include "kf-protocol.h"
#include "kf-server-secret.h"

#define TAG_SIZE          32
#define SALT_SIZE         16
#define PBKDF2_ITERATIONS 600000

struct _KfServerSecret
{
  KfPassphraseHash *hash;           /* Argon2id: stored, or made at start */
  guint8            salt[SALT_SIZE];
  guint8           *tag;            /* PBKDF2 (FIPS mode): TAG_SIZE bytes of secure memory */
};

/* FIPS mode: hashes @passphrase with PBKDF2-SHA256 into @out (TAG_SIZE
 * bytes).  Runs in any thread. */
static gboolean
derive_pbkdf2 (const KfServerSecret     *self,
               const char               *passphrase,
               guint8                   *out,
               GError                  **error)
{
  gcry_error_t err;

  err = gcry_kdf_derive (passphrase, strlen (passphrase), GCRY_KDF_PBKDF2, GCRY_MD_SHA256,
                         self->salt, SALT_SIZE, PBKDF2_ITERATIONS, TAG_SIZE, out);
  if (err != 0)
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                   _("Could not hash the passphrase: %s"), gcry_strerror (err));
      return FALSE;
    }
  return TRUE;
}

/* Checks @passphrase against the PBKDF2 tag; sets *@matches. */
static gboolean
verify_pbkdf2 (const KfServerSecret     *self,
               const char               *passphrase,
               gboolean                 *matches,
               GError                  **error)
{
  guint8 *tag = gcry_calloc_secure (1, TAG_SIZE);
  guint diff = 0;
  gboolean ok;

  if (tag == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory"));
      return FALSE;
    }
  ok = derive_pbkdf2 (self, passphrase, tag, error);
  for (gsize i = 0; ok && i < TAG_SIZE; i++)
    diff |= tag[i] ^ self->tag[i];
  *matches = ok && diff == 0;
  explicit_bzero (tag, TAG_SIZE);
  gcry_free (tag);
  return ok;
}

/* Sets up @self->hash from the stored PHC string @text. */
static gboolean
use_stored_hash (KfServerSecret     *self,
                 const char         *text,
                 GError            **error)
{
  if (gcry_fips_mode_active ())
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("libgcrypt runs in FIPS mode, where the key manager does not use "
                             "Argon2id: give the passphrase itself instead of a stored hash"));
      return FALSE;
    }
  self->hash = kf_passphrase_hash_parse (text, strlen (text), error);
  if (self->hash == NULL)
    return FALSE;
  g_message ("Admission by a stored Argon2id hash (m=%u KiB, t=%u, p=%u)",
             kf_passphrase_hash_get_memory_kib (self->hash),
             kf_passphrase_hash_get_passes (self->hash),
             kf_passphrase_hash_get_lanes (self->hash));
  return TRUE;
}

/* Hashes the operator's @passphrase: Argon2id, or PBKDF2 in FIPS mode. */
static gboolean
hash_passphrase (KfServerSecret        *self,
                 const char            *passphrase,
                 const KfServerConfig  *config,
                 GError               **error)
{
  if (!gcry_fips_mode_active ())
    {
      self->hash = kf_passphrase_hash_new (passphrase, config->kdf_iterations,
                                           config->kdf_memory_kib, config->kdf_parallelism,
                                           error);
      return self->hash != NULL;
    }
  gcry_randomize (self->salt, SALT_SIZE, GCRY_STRONG_RANDOM);
  self->tag = gcry_calloc_secure (1, TAG_SIZE);
  if (self->tag == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory for the passphrase hash"));
      return FALSE;
    }
  return derive_pbkdf2 (self, passphrase, self->tag, error);
}

/*
 * kf_server_secret_new:
 * @passphrase: the admission passphrase; when @config->passphrase_is_hash,
 *   a stored Argon2id PHC string instead
 *
 * Returns: (transfer full): the secret, or %NULL with @error when the
 * stored hash is malformed (or unusable in FIPS mode), secure memory is
 * exhausted or hashing fails.  @passphrase is not kept.
 */
KfServerSecret *
kf_server_secret_new (const char            *passphrase,
                      const KfServerConfig  *config,
                      GError               **error)
{
  g_autoptr(KfServerSecret) self = g_new0 (KfServerSecret, 1);

  g_return_val_if_fail (passphrase != NULL && config != NULL, NULL);

  if (config->passphrase_is_hash ? !use_stored_hash (self, passphrase, error)
                                 : !hash_passphrase (self, passphrase, config, error))
    return NULL;
  return g_steal_pointer (&self);
}

/*
 * kf_server_secret_verify:
 * @matches: (out): whether @passphrase is the one
 *
 * Hashes @passphrase as the secret was made and compares the tags in
 * constant time.  Slow by design (Argon2id): call it in a worker thread.
 * Returns %FALSE with @error when hashing fails (secure memory).
 */
gboolean
kf_server_secret_verify (const KfServerSecret  *self,
                         const char            *passphrase,
                         gboolean              *matches,
                         GError               **error)
{
  *matches = FALSE;
  if (self->hash != NULL)
    return kf_passphrase_hash_verify (self->hash, passphrase, matches, error);
  return verify_pbkdf2 (self, passphrase, matches, error);
}

void
kf_server_secret_free (KfServerSecret *self)
{
  if (self == NULL)
    return;
  if (self->tag != NULL)
    {
      explicit_bzero (self->tag, TAG_SIZE);
      gcry_free (self->tag);
    }
  g_clear_pointer (&self->hash, kf_passphrase_hash_free);
  g_free (self);
}
