/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KF_TYPE_IDENTITY (kf_identity_get_type ())
G_DECLARE_FINAL_TYPE (KfIdentity, kf_identity, KF, IDENTITY, GObject)

#define KF_IDENTITY_ERROR (kf_identity_error_quark ())

typedef enum
{
  KF_IDENTITY_ERROR_IO,           /* the file or its folder cannot be read or written */
  KF_IDENTITY_ERROR_PERMISSIONS,  /* the file is open to other users, or not a regular file */
  KF_IDENTITY_ERROR_INVALID,      /* the file is not a Keyferry identity */
  KF_IDENTITY_ERROR_CODE,         /* a text is not an identity code */
} KfIdentityError;

/* Ed25519: a 32-byte seed (the private key of RFC 8032), a 32-byte public
 * key, 64-byte signatures. */
#define KF_IDENTITY_SEED_SIZE       32
#define KF_IDENTITY_PUBLIC_KEY_SIZE 32
#define KF_IDENTITY_SIGNATURE_SIZE  64
/* "ABCD-EFGH-IJKL-MNOP" */
#define KF_IDENTITY_CODE_LEN        19

GQuark        kf_identity_error_quark    (void);

char         *kf_identity_default_path   (void);
KfIdentity   *kf_identity_load_or_create (const char    *path,
                                          GError       **error);
KfIdentity   *kf_identity_new_from_seed  (const guint8   seed[KF_IDENTITY_SEED_SIZE]);
KfIdentity   *kf_identity_new_ephemeral  (void);

const char   *kf_identity_get_path       (KfIdentity    *self);
const guint8 *kf_identity_get_public_key (KfIdentity    *self);
const char   *kf_identity_get_code       (KfIdentity    *self);
void          kf_identity_sign           (KfIdentity    *self,
                                          const guint8  *msg,
                                          gsize          len,
                                          guint8         sig[KF_IDENTITY_SIGNATURE_SIZE]);

gboolean      kf_identity_verify         (const guint8   pub[KF_IDENTITY_PUBLIC_KEY_SIZE],
                                          const guint8  *msg,
                                          gsize          len,
                                          const guint8   sig[KF_IDENTITY_SIGNATURE_SIZE]);
char         *kf_identity_code_for_key   (const guint8   pub[KF_IDENTITY_PUBLIC_KEY_SIZE]);
char         *kf_identity_code_normalize (const char    *text,
                                          GError       **error);

G_END_DECLS
