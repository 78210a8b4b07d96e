/* kf-fuzz-keys.c: the peer-link targets' fixed keys
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz-keys.h"

/*
 * kf_fuzz_record_key:
 *
 * Returns: (transfer none): the record key every peer-link target and
 * seed uses, made once.  Aborts if libgcrypt cannot make it, which would
 * be a broken installation rather than a finding.
 */
KfRecordKey *
kf_fuzz_record_key (void)
{
  static KfRecordKey *key;

  if (key == NULL)
    {
      g_autoptr(GError) error = NULL;

      key = kf_record_key_new ((const guint8 *) KF_FUZZ_RECORD_KEY, KF_RECORD_KEY_SIZE, &error);
      g_assert_no_error (error);
    }
  return key;
}

/*
 * kf_fuzz_session_keys:
 *
 * Returns: (transfer none): the session keys of the handshake target and
 * its seeds, made once: CBC, authentication key %KF_FUZZ_AUTH_BYTE
 * repeated.  Aborts when secure memory is exhausted.
 */
const KfSessionKeys *
kf_fuzz_session_keys (void)
{
  static KfSessionKeys *keys;

  if (keys == NULL)
    {
      keys = kf_session_keys_new ("fuzz-session", KF_CIPHER_MODE_CBC);
      g_assert (keys != NULL);
      memset (keys->auth_key, KF_FUZZ_AUTH_BYTE, sizeof keys->auth_key);
    }
  return keys;
}
