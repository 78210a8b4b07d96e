/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KF_CIPHER_KEY_SIZE   32
#define KF_CIPHER_IV_SIZE    16
#define KF_CIPHER_BLOCK_SIZE 16

#define KF_CIPHER_ERROR (kf_cipher_error_quark ())

typedef enum
{
  KF_CIPHER_ERROR_KEY_LENGTH,
  KF_CIPHER_ERROR_IV_LENGTH,
  KF_CIPHER_ERROR_BAD_PADDING,
  KF_CIPHER_ERROR_TRUNCATED,
  KF_CIPHER_ERROR_FINISHED,
  KF_CIPHER_ERROR_FAILED,
} KfCipherError;

typedef enum
{
  KF_CIPHER_MODE_CBC,
  KF_CIPHER_MODE_CFB,
} KfCipherMode;

typedef enum
{
  KF_CIPHER_ENCRYPT,
  KF_CIPHER_DECRYPT,
} KfCipherDirection;

typedef struct _KfCipher KfCipher;

GQuark        kf_cipher_error_quark      (void);

const char   *kf_cipher_mode_to_string   (KfCipherMode       mode);
gboolean      kf_cipher_mode_from_string (const char        *str,
                                          KfCipherMode      *mode);
guint64       kf_cipher_encrypted_size   (KfCipherMode       mode,
                                          guint64            plain_size);

KfCipher     *kf_cipher_new              (KfCipherMode       mode,
                                          KfCipherDirection  direction,
                                          const guint8      *key,
                                          gsize              key_len,
                                          const guint8      *iv,
                                          gsize              iv_len,
                                          GError           **error);
gboolean      kf_cipher_restart          (KfCipher          *self,
                                          const guint8      *iv,
                                          gsize              iv_len,
                                          GError           **error);
void          kf_cipher_free             (KfCipher          *self);
gboolean      kf_cipher_update           (KfCipher          *self,
                                          const guint8      *in,
                                          gsize              in_len,
                                          guint8            *out,
                                          gsize              out_size,
                                          gsize             *out_len,
                                          GError           **error);
gboolean      kf_cipher_finish           (KfCipher          *self,
                                          guint8            *out,
                                          gsize              out_size,
                                          gsize             *out_len,
                                          GError           **error);
guint64       kf_cipher_get_blocks       (KfCipher          *self);
guint64       kf_cipher_get_bytes_in     (KfCipher          *self);
KfCipherMode  kf_cipher_get_mode         (KfCipher          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfCipher, kf_cipher_free)

G_END_DECLS
