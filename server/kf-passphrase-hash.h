/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A stored admission passphrase hash: Argon2id in the PHC string format,
 *
 *   $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
 *
 * salt and hash in standard base64 without padding, as written by the
 * reference `argon2` tool, libsodium and passlib.  Only values within these
 * bounds are accepted, so a hostile file cannot make the key manager
 * allocate or compute without limit. */
#define KF_PASSPHRASE_HASH_MIN_MEMORY_KIB  8u
#define KF_PASSPHRASE_HASH_MAX_MEMORY_KIB  (4u * 1024 * 1024)   /* 4 GiB */
#define KF_PASSPHRASE_HASH_MIN_PASSES      1u
#define KF_PASSPHRASE_HASH_MAX_PASSES      16u
#define KF_PASSPHRASE_HASH_MIN_LANES       1u
#define KF_PASSPHRASE_HASH_MAX_LANES       16u
#define KF_PASSPHRASE_HASH_MIN_SALT        8u
#define KF_PASSPHRASE_HASH_MAX_SALT        64u
#define KF_PASSPHRASE_HASH_MIN_TAG         16u
#define KF_PASSPHRASE_HASH_MAX_TAG         64u
/* What kf_passphrase_hash_new() makes. */
#define KF_PASSPHRASE_HASH_NEW_SALT        16u
#define KF_PASSPHRASE_HASH_NEW_TAG         32u
/* The longest file kf_passphrase_hash_load() reads. */
#define KF_PASSPHRASE_HASH_MAX_FILE        1024u

#define KF_PASSPHRASE_HASH_ERROR (kf_passphrase_hash_error_quark ())

typedef enum
{
  KF_PASSPHRASE_HASH_ERROR_INVALID,      /* not a PHC string we accept */
  KF_PASSPHRASE_HASH_ERROR_PERMISSIONS,  /* a file others could replace */
  KF_PASSPHRASE_HASH_ERROR_FAILED,       /* hashing or secure memory failed */
} KfPassphraseHashError;

typedef struct _KfPassphraseHash KfPassphraseHash;

GQuark            kf_passphrase_hash_error_quark (void);

KfPassphraseHash *kf_passphrase_hash_new         (const char              *passphrase,
                                                  guint                    passes,
                                                  guint                    memory_kib,
                                                  guint                    lanes,
                                                  GError                 **error);
KfPassphraseHash *kf_passphrase_hash_parse       (const char              *text,
                                                  gsize                    len,
                                                  GError                 **error);
KfPassphraseHash *kf_passphrase_hash_load        (const char              *path,
                                                  char                   **warning,
                                                  GError                 **error);
char             *kf_passphrase_hash_to_string   (const KfPassphraseHash  *self);
gboolean          kf_passphrase_hash_verify      (const KfPassphraseHash  *self,
                                                  const char              *passphrase,
                                                  gboolean                *matches,
                                                  GError                 **error);
guint             kf_passphrase_hash_get_passes  (const KfPassphraseHash  *self);
guint             kf_passphrase_hash_get_memory_kib (const KfPassphraseHash *self);
guint             kf_passphrase_hash_get_lanes   (const KfPassphraseHash  *self);
void              kf_passphrase_hash_free        (KfPassphraseHash        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfPassphraseHash, kf_passphrase_hash_free)

G_END_DECLS
