/* kf-fuzz-keys.c: the peer-link targets' fixed keys
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz-keys.h"

/*
 * kf_fuzz_record_key:
 *
 * Returns: (transfer none): the record key every peer-link target and
 * seed uses, made once.  Aborts if libgcrypt cannot make it, which would
 * be a broken installation rather than a finding.
 */
KfRecordKey *
kf_fuzz_record_key (void)
{
  static KfRecordKey *key;

  if (key == NULL)
    {
      g_autoptr(GError) error = NULL;

      key = kf_record_key_new ((const guint8 *) KF_FUZZ_RECORD_KEY, KF_RECORD_KEY_SIZE, &error);
      g_assert_no_error (error);
    }
  return key;
}

/*
 * kf_fuzz_session_keys:
 *
 * Returns: (transfer none): the session keys of the handshake target and
 * its seeds, made once: CBC, authentication key %KF_FUZZ_AUTH_BYTE
 * repeated.  Aborts when secure memory is exhausted.
 */
const KfSessionKeys *
kf_fuzz_session_keys (void)
{
  static KfSessionKeys *keys;

  if (keys == NULL)
    {
      keys = kf_session_keys_new ("fuzz-session", KF_CIPHER_MODE_CBC);
      g_assert (keys != NULL);
      memset (keys->auth_key, KF_FUZZ_AUTH_BYTE, sizeof keys->auth_key);
    }
  return keys;
}

/*
 * kf_fuzz_handshake:
 *
 * Returns: (transfer full): a fresh handshake of @role with the fixed
 * session keys, identity, nonce and X25519 secret of that side.
 */
KfPeerHandshake *
kf_fuzz_handshake (KfPeerRole role)
{
  static KfIdentity *identities[2];
  static const guint8 nonce_s[KF_PEER_NONCE_SIZE] = KF_FUZZ_NONCE_S;
  static const guint8 nonce_r[KF_PEER_NONCE_SIZE] = KF_FUZZ_NONCE_R;
  gboolean sender = role == KF_PEER_ROLE_SENDER;
  guint8 secret[32];

  if (identities[0] == NULL)
    {
      memset (secret, KF_FUZZ_SEED_S, sizeof secret);
      identities[0] = kf_identity_new_from_seed (secret);
      memset (secret, KF_FUZZ_SEED_R, sizeof secret);
      identities[1] = kf_identity_new_from_seed (secret);
    }
  memset (secret, sender ? KF_FUZZ_SEED_S + 0x10 : KF_FUZZ_SEED_R + 0x10, sizeof secret);

  return kf_peer_handshake_new_fixed (kf_fuzz_session_keys (), identities[sender ? 0 : 1], role,
                                      sender ? nonce_s : nonce_r, secret);
}

/*
 * kf_fuzz_handshake_messages:
 *
 * Writes the three messages the fixed sides exchange.
 */
void
kf_fuzz_handshake_messages (guint8 hello[KF_PEER_HELLO_SIZE],
                            guint8 challenge[KF_PEER_CHALLENGE_SIZE],
                            guint8 response[KF_PEER_RESPONSE_SIZE])
{
  g_autoptr(KfPeerHandshake) s = kf_fuzz_handshake (KF_PEER_ROLE_SENDER);
  g_autoptr(KfPeerHandshake) r = kf_fuzz_handshake (KF_PEER_ROLE_RECEIVER);

  kf_peer_handshake_write_hello (s, hello);
  if (!kf_peer_handshake_read_hello (r, hello, KF_PEER_HELLO_SIZE, NULL)
      || !kf_peer_handshake_write_challenge (r, challenge, NULL)
      || !kf_peer_handshake_read_challenge (s, challenge, KF_PEER_CHALLENGE_SIZE, NULL))
    g_error ("the fixed handshake fails");
  kf_peer_handshake_write_response (s, response);
}
