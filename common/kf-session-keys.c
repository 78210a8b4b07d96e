/* kf-session-keys.c: one transfer's key material, in secure memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>

#include "kf-session-keys.h"

/*
 * kf_session_keys_new:
 * @session_id: the key manager's id for the session, at most
 *   %KF_SESSION_ID_MAX bytes
 *
 * Returns: (transfer full): zeroed key material in secure memory, or %NULL
 * when @session_id is too long or secure memory is exhausted.  The caller
 * fills in the key, IV and authentication key.
 */
KfSessionKeys *
kf_session_keys_new (const char   *session_id,
                     KfCipherMode  mode)
{
  KfSessionKeys *keys;

  g_return_val_if_fail (session_id != NULL, NULL);
  g_return_val_if_fail (strlen (session_id) <= KF_SESSION_ID_MAX, NULL);

  keys = gcry_calloc_secure (1, sizeof *keys);
  if (keys == NULL)
    return NULL;
  g_strlcpy (keys->session_id, session_id, sizeof keys->session_id);
  keys->mode = mode;

  return keys;
}

/*
 * kf_session_keys_copy:
 *
 * Returns: (transfer full): a copy in secure memory, or %NULL when secure
 * memory is exhausted.
 */
KfSessionKeys *
kf_session_keys_copy (const KfSessionKeys *keys)
{
  KfSessionKeys *copy;

  g_return_val_if_fail (keys != NULL, NULL);

  copy = gcry_malloc_secure (sizeof *copy);
  if (copy != NULL)
    memcpy (copy, keys, sizeof *copy);

  return copy;
}

/*
 * kf_session_keys_free:
 *
 * Wipes and frees @keys.  %NULL is allowed.
 */
void
kf_session_keys_free (KfSessionKeys *keys)
{
  if (keys == NULL)
    return;

  explicit_bzero (keys, sizeof *keys);
  gcry_free (keys);
}
