/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-identity.h"
#include "kf-peer-message.h"
#include "kf-session-keys.h"
#include "kf-transfer-error.h"

G_BEGIN_DECLS

typedef enum
{
  KF_PEER_ROLE_SENDER,
  KF_PEER_ROLE_RECEIVER,
} KfPeerRole;

/* What one authenticated connection derives.  Lives in secure memory. */
typedef struct
{
  guint8 sender_mac[32];    /* Poly1305-AES key, sender → receiver records */
  guint8 receiver_mac[32];  /* Poly1305-AES key, receiver → sender records */
  guint8 offer_key[32];     /* AES-256 key of the offer record */
  guint8 offer_iv[32];      /* its IV: the first 16 bytes */
} KfPeerLinkKeys;

/* One side's state through the handshake, in secure memory. */
typedef struct _KfPeerHandshake KfPeerHandshake;

KfPeerHandshake *kf_peer_handshake_new                (const KfSessionKeys  *keys,
                                                       KfIdentity           *identity,
                                                       KfPeerRole            role);
KfPeerHandshake *kf_peer_handshake_new_fixed          (const KfSessionKeys  *keys,
                                                       KfIdentity           *identity,
                                                       KfPeerRole            role,
                                                       const guint8          nonce[KF_PEER_NONCE_SIZE],
                                                       const guint8          ephemeral_secret[32]);
void             kf_peer_handshake_free               (KfPeerHandshake      *hs);

void             kf_peer_handshake_write_hello        (KfPeerHandshake      *hs,
                                                       guint8                out[KF_PEER_HELLO_SIZE]);
gboolean         kf_peer_handshake_read_hello         (KfPeerHandshake      *hs,
                                                       const guint8         *buf,
                                                       gsize                 len,
                                                       GError              **error);
gboolean         kf_peer_handshake_write_challenge    (KfPeerHandshake      *hs,
                                                       guint8                out[KF_PEER_CHALLENGE_SIZE],
                                                       GError              **error);
gboolean         kf_peer_handshake_read_challenge     (KfPeerHandshake      *hs,
                                                       const guint8         *buf,
                                                       gsize                 len,
                                                       GError              **error);
void             kf_peer_handshake_write_response     (KfPeerHandshake      *hs,
                                                       guint8                out[KF_PEER_RESPONSE_SIZE]);
gboolean         kf_peer_handshake_read_response      (KfPeerHandshake      *hs,
                                                       const guint8         *buf,
                                                       gsize                 len,
                                                       GError              **error);

KfPeerRole       kf_peer_handshake_get_role           (KfPeerHandshake      *hs);
const guint8    *kf_peer_handshake_get_peer_identity  (KfPeerHandshake      *hs);
const guint8    *kf_peer_handshake_get_transcript_hash (KfPeerHandshake     *hs);
KfPeerLinkKeys  *kf_peer_handshake_derive             (KfPeerHandshake      *hs);
KfSessionKeys   *kf_peer_handshake_derive_file_keys   (KfPeerHandshake      *hs);
void             kf_peer_link_keys_free               (KfPeerLinkKeys       *link_keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfPeerLinkKeys, kf_peer_link_keys_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfPeerHandshake, kf_peer_handshake_free)

G_END_DECLS
