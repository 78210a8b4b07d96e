/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-session-keys.h"
#include "kf-transfer-error.h"

G_BEGIN_DECLS

/* The peer link's handshake messages (docs/PROTOCOL.md part 2, "Handshake"),
 * as pure functions on byte buffers:
 *
 *   S→R  HELLO     "KFPL" | 1 | 1 | nonce_s (32)                  38 bytes
 *   R→S  CHALLENGE "KFPL" | 1 | 2 | nonce_r (32) | proof_r (32)   70 bytes
 *   S→R  RESPONSE  "KFPL" | 1 | 3 | proof_s (32)                  38 bytes
 */

#define KF_PEER_VERSION         1
#define KF_PEER_NONCE_SIZE      32
#define KF_PEER_PROOF_SIZE      32
#define KF_PEER_HELLO_SIZE      38
#define KF_PEER_CHALLENGE_SIZE  70
#define KF_PEER_RESPONSE_SIZE   38

typedef enum
{
  KF_PEER_ROLE_SENDER,
  KF_PEER_ROLE_RECEIVER,
} KfPeerRole;

/* What one authenticated connection derives from the session's
 * authentication key and both nonces.  Lives in secure memory. */
typedef struct
{
  guint8 sender_mac[32];    /* Poly1305-AES key, sender → receiver records */
  guint8 receiver_mac[32];  /* Poly1305-AES key, receiver → sender records */
  guint8 offer_key[32];     /* AES-256 key of the offer record */
  guint8 offer_iv[32];      /* its IV: the first 16 bytes */
} KfPeerLinkKeys;

void            kf_peer_handshake_encode_hello     (const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                                                    guint8               out[KF_PEER_HELLO_SIZE]);
gboolean        kf_peer_handshake_parse_hello      (const guint8        *buf,
                                                    gsize                len,
                                                    guint8               nonce_s[KF_PEER_NONCE_SIZE],
                                                    GError             **error);
void            kf_peer_handshake_encode_challenge (const guint8         nonce_r[KF_PEER_NONCE_SIZE],
                                                    const guint8         proof_r[KF_PEER_PROOF_SIZE],
                                                    guint8               out[KF_PEER_CHALLENGE_SIZE]);
gboolean        kf_peer_handshake_parse_challenge  (const guint8        *buf,
                                                    gsize                len,
                                                    guint8               nonce_r[KF_PEER_NONCE_SIZE],
                                                    guint8               proof_r[KF_PEER_PROOF_SIZE],
                                                    GError             **error);
void            kf_peer_handshake_encode_response  (const guint8         proof_s[KF_PEER_PROOF_SIZE],
                                                    guint8               out[KF_PEER_RESPONSE_SIZE]);
gboolean        kf_peer_handshake_parse_response   (const guint8        *buf,
                                                    gsize                len,
                                                    guint8               proof_s[KF_PEER_PROOF_SIZE],
                                                    GError             **error);

void            kf_peer_handshake_proof            (const KfSessionKeys *keys,
                                                    KfPeerRole           prover,
                                                    const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                                                    const guint8         nonce_r[KF_PEER_NONCE_SIZE],
                                                    guint8               out[KF_PEER_PROOF_SIZE]);
gboolean        kf_peer_handshake_verify           (const KfSessionKeys *keys,
                                                    KfPeerRole           prover,
                                                    const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                                                    const guint8         nonce_r[KF_PEER_NONCE_SIZE],
                                                    const guint8         proof[KF_PEER_PROOF_SIZE],
                                                    GError             **error);
KfPeerLinkKeys *kf_peer_handshake_derive           (const KfSessionKeys *keys,
                                                    const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                                                    const guint8         nonce_r[KF_PEER_NONCE_SIZE]);
void            kf_peer_link_keys_free             (KfPeerLinkKeys      *link_keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfPeerLinkKeys, kf_peer_link_keys_free)

G_END_DECLS
