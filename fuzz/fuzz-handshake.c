/* fuzz-handshake.c: the peer link's handshake messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: byte 0 picks the message (hello, challenge or response), the rest
 * is what arrived.  A message that parses must encode back to the same
 * bytes; a challenge's or response's proof is then checked against the
 * session key, as the link does, and a sender's nonce pair derives the
 * link keys.  A proof the fuzzer did not compute must never pass.
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz.h"
#include "kf-fuzz-keys.h"
#include "kf-peer-handshake.h"

static void
fuzz_hello (const guint8 *buf,
            gsize         len)
{
  guint8 nonce_s[KF_PEER_NONCE_SIZE];
  guint8 again[KF_PEER_HELLO_SIZE];
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPeerLinkKeys) link_keys = NULL;

  if (!kf_peer_handshake_parse_hello (buf, len, nonce_s, &error))
    {
      kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR, "a refused hello says why");
      return;
    }
  kf_fuzz_check (len == KF_PEER_HELLO_SIZE, "a hello has its size");
  kf_peer_handshake_encode_hello (nonce_s, again);
  kf_fuzz_check (memcmp (again, buf, len) == 0, "a hello encodes back to itself");
  link_keys = kf_peer_handshake_derive (kf_fuzz_session_keys (), nonce_s, nonce_s);
  kf_fuzz_check (link_keys != NULL, "any nonces derive link keys");
}

static void
fuzz_challenge (const guint8 *buf,
                gsize         len)
{
  guint8 nonce_r[KF_PEER_NONCE_SIZE];
  guint8 proof_r[KF_PEER_PROOF_SIZE];
  guint8 again[KF_PEER_CHALLENGE_SIZE];
  guint8 expected[KF_PEER_PROOF_SIZE];
  static const guint8 nonce_s[KF_PEER_NONCE_SIZE] = KF_FUZZ_NONCE_S;
  g_autoptr(GError) error = NULL;
  gboolean verified;

  if (!kf_peer_handshake_parse_challenge (buf, len, nonce_r, proof_r, &error))
    {
      kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR, "a refused challenge says why");
      return;
    }
  kf_fuzz_check (len == KF_PEER_CHALLENGE_SIZE, "a challenge has its size");
  kf_peer_handshake_encode_challenge (nonce_r, proof_r, again);
  kf_fuzz_check (memcmp (again, buf, len) == 0, "a challenge encodes back to itself");

  verified = kf_peer_handshake_verify (kf_fuzz_session_keys (), KF_PEER_ROLE_RECEIVER, nonce_s, nonce_r,
                                       proof_r, NULL);
  kf_peer_handshake_proof (kf_fuzz_session_keys (), KF_PEER_ROLE_RECEIVER, nonce_s, nonce_r, expected);
  kf_fuzz_check (verified == (memcmp (expected, proof_r, sizeof expected) == 0),
                 "a receiver's proof passes exactly when it is the right one");
}

static void
fuzz_response (const guint8 *buf,
               gsize         len)
{
  guint8 proof_s[KF_PEER_PROOF_SIZE];
  guint8 again[KF_PEER_RESPONSE_SIZE];
  guint8 expected[KF_PEER_PROOF_SIZE];
  static const guint8 nonce_s[KF_PEER_NONCE_SIZE] = KF_FUZZ_NONCE_S;
  static const guint8 nonce_r[KF_PEER_NONCE_SIZE] = KF_FUZZ_NONCE_R;
  g_autoptr(GError) error = NULL;
  gboolean verified;

  if (!kf_peer_handshake_parse_response (buf, len, proof_s, &error))
    {
      kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR, "a refused response says why");
      return;
    }
  kf_fuzz_check (len == KF_PEER_RESPONSE_SIZE, "a response has its size");
  kf_peer_handshake_encode_response (proof_s, again);
  kf_fuzz_check (memcmp (again, buf, len) == 0, "a response encodes back to itself");
  verified = kf_peer_handshake_verify (kf_fuzz_session_keys (), KF_PEER_ROLE_SENDER, nonce_s, nonce_r,
                                       proof_s, NULL);
  kf_peer_handshake_proof (kf_fuzz_session_keys (), KF_PEER_ROLE_SENDER, nonce_s, nonce_r, expected);
  kf_fuzz_check (verified == (memcmp (expected, proof_s, sizeof expected) == 0),
                 "a sender's proof passes exactly when it is the right one");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  if (size < 1)
    return 0;

  switch (data[0] % 3)
    {
    case 0:
      fuzz_hello (data + 1, size - 1);
      break;
    case 1:
      fuzz_challenge (data + 1, size - 1);
      break;
    default:
      fuzz_response (data + 1, size - 1);
      break;
    }

  return 0;
}
