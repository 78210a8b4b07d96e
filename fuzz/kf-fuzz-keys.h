/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-peer-handshake.h"
#include "kf-record.h"

G_BEGIN_DECLS

/* Fixed keys for the peer-link targets: fuzzing is deterministic, and the
 * seed corpora were sealed with exactly these (fuzz/make-seeds.c). */

#define KF_FUZZ_RECORD_KEY   "fuzz-record-key-0123456789abcdef"  /* 32 bytes */
#define KF_FUZZ_CIPHER_KEY   "fuzz-cipher-key-0123456789abcdef"  /* 32 bytes */
#define KF_FUZZ_CIPHER_IV    "fuzz-cipher-iv-0"                  /* 16 bytes */

/* The handshake target's session authentication key is 32 bytes of this. */
#define KF_FUZZ_AUTH_BYTE    0x5a
/* The handshake target's two sides: their nonces, and bytes repeated for
 * their identity seeds and X25519 secrets. */
#define KF_FUZZ_NONCE_S      { 1, 2, 3 }
#define KF_FUZZ_NONCE_R      { 4, 5, 6 }
#define KF_FUZZ_SEED_S       0x61
#define KF_FUZZ_SEED_R       0x62

KfRecordKey         *kf_fuzz_record_key   (void);
const KfSessionKeys *kf_fuzz_session_keys (void);
KfPeerHandshake     *kf_fuzz_handshake    (KfPeerRole role);
void                 kf_fuzz_handshake_messages (guint8 hello[KF_PEER_HELLO_SIZE],
                                                 guint8 challenge[KF_PEER_CHALLENGE_SIZE],
                                                 guint8 response[KF_PEER_RESPONSE_SIZE]);

G_END_DECLS
