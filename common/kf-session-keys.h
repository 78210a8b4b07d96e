/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-cipher.h"

G_BEGIN_DECLS

#define KF_SESSION_AUTH_KEY_SIZE 32
#define KF_SESSION_ID_MAX        32

/* What the key manager hands both peers of one transfer (flow step 7).
 * Always allocated in libgcrypt secure memory; never logged. */
typedef struct
{
  char         session_id[KF_SESSION_ID_MAX + 1];
  KfCipherMode mode;
  guint8       key[KF_CIPHER_KEY_SIZE];
  guint8       iv[KF_CIPHER_IV_SIZE];
  guint8       auth_key[KF_SESSION_AUTH_KEY_SIZE];
} KfSessionKeys;

KfSessionKeys *kf_session_keys_new  (const char          *session_id,
                                     KfCipherMode         mode);
KfSessionKeys *kf_session_keys_copy (const KfSessionKeys *keys);
void           kf_session_keys_free (KfSessionKeys       *keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfSessionKeys, kf_session_keys_free)

G_END_DECLS
