/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-identity.h"
#include "kf-transfer-error.h"

G_BEGIN_DECLS

/* The peer link's handshake, version 2 (docs/PROTOCOL.md part 2, "Handshake"):
 *
 *   S→R  HELLO     "KFPL" | 2 | 1 | nonce_s | id_s | eph_s                    102 bytes
 *   R→S  CHALLENGE "KFPL" | 2 | 2 | nonce_r | id_r | eph_r | sig_r | proof_r  198 bytes
 *   S→R  RESPONSE  "KFPL" | 2 | 3 | sig_s | proof_s                           102 bytes
 *
 * id: the Ed25519 identity key, eph: an X25519 key made for this one
 * connection, sig: the identity's signature of the transcript, proof: an
 * HMAC of the transcript under a key from the session's auth_key and the
 * X25519 secret.
 */

#define KF_PEER_VERSION         2
#define KF_PEER_PREFIX_SIZE     6
#define KF_PEER_NONCE_SIZE      32
#define KF_PEER_EPHEMERAL_SIZE  32
#define KF_PEER_PROOF_SIZE      32
#define KF_PEER_HELLO_SIZE      102
#define KF_PEER_CHALLENGE_SIZE  198
#define KF_PEER_RESPONSE_SIZE   102

typedef enum
{
  KF_PEER_MSG_HELLO = 1,
  KF_PEER_MSG_CHALLENGE = 2,
  KF_PEER_MSG_RESPONSE = 3,
} KfPeerMessageType;

/* The fields of one handshake message; each message uses some of them. */
typedef struct
{
  guint8 nonce[KF_PEER_NONCE_SIZE];
  guint8 identity[KF_IDENTITY_PUBLIC_KEY_SIZE];
  guint8 ephemeral[KF_PEER_EPHEMERAL_SIZE];
  guint8 signature[KF_IDENTITY_SIGNATURE_SIZE];
  guint8 proof[KF_PEER_PROOF_SIZE];
} KfPeerMessage;

gboolean kf_peer_message_check_prefix     (const guint8         *buf,
                                           gsize                 len,
                                           guint8                type,
                                           GError              **error);
void     kf_peer_message_encode_hello     (const KfPeerMessage  *msg,
                                           guint8                out[KF_PEER_HELLO_SIZE]);
gboolean kf_peer_message_parse_hello      (const guint8         *buf,
                                           gsize                 len,
                                           KfPeerMessage        *msg,
                                           GError              **error);
void     kf_peer_message_encode_challenge (const KfPeerMessage  *msg,
                                           guint8                out[KF_PEER_CHALLENGE_SIZE]);
gboolean kf_peer_message_parse_challenge  (const guint8         *buf,
                                           gsize                 len,
                                           KfPeerMessage        *msg,
                                           GError              **error);
void     kf_peer_message_encode_response  (const KfPeerMessage  *msg,
                                           guint8                out[KF_PEER_RESPONSE_SIZE]);
gboolean kf_peer_message_parse_response   (const guint8         *buf,
                                           gsize                 len,
                                           KfPeerMessage        *msg,
                                           GError              **error);

G_END_DECLS
