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
/* The nonces the handshake target checks proofs against. */
#define KF_FUZZ_NONCE_S      { 1, 2, 3 }
#define KF_FUZZ_NONCE_R      { 4, 5, 6 }

KfRecordKey         *kf_fuzz_record_key   (void);
const KfSessionKeys *kf_fuzz_session_keys (void);

G_END_DECLS
