/* kf-peer-handshake.c: the peer link's challenge-response, as pure functions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each side proves it holds the session's authentication key by an
 * HMAC-SHA256 over a transcript of both fresh nonces, the protocol
 * version, the mode and the session id, under a handshake key derived
 * from the authentication key, with a different label per role so that a
 * proof can never be reflected back.  The receiver proves first (it has
 * both nonces first); the sender checks it before it reveals its own proof.
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-gcrypt.h"
#include "kf-peer-handshake.h"
#include "kf-record.h"

#define MAGIC      "KFPL"
#define MAGIC_SIZE 4

enum
{
  MSG_HELLO = 1,
  MSG_CHALLENGE = 2,
  MSG_RESPONSE = 3,
};

static void
encode_prefix (guint8 type,
               guint8 out[6])
{
  memcpy (out, MAGIC, MAGIC_SIZE);
  out[4] = KF_PEER_VERSION;
  out[5] = type;
}

/* Checks magic, version, type and exact length of a handshake message. */
static gboolean
check_prefix (const guint8  *buf,
              gsize          len,
              guint8         type,
              gsize          expected_len,
              GError       **error)
{
  if (len != expected_len || buf == NULL || memcmp (buf, MAGIC, MAGIC_SIZE) != 0)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           _("The peer does not speak the Keyferry peer protocol."));
      return FALSE;
    }
  if (buf[4] != KF_PEER_VERSION)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The peer speaks version %u of the Keyferry peer protocol, this program version %u. Update both to the same release."),
                   buf[4], KF_PEER_VERSION);
      return FALSE;
    }
  if (buf[5] != type)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The peer sent handshake message %u where %u was expected."),
                   buf[5], type);
      return FALSE;
    }

  return TRUE;
}

/*
 * kf_peer_handshake_encode_hello:
 *
 * Writes the sender's HELLO carrying its fresh nonce.
 */
void
kf_peer_handshake_encode_hello (const guint8 nonce_s[KF_PEER_NONCE_SIZE],
                                guint8       out[KF_PEER_HELLO_SIZE])
{
  encode_prefix (MSG_HELLO, out);
  memcpy (out + 6, nonce_s, KF_PEER_NONCE_SIZE);
}

/*
 * kf_peer_handshake_parse_hello:
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE unless @buf is exactly
 * one HELLO of this version; the nonce goes to @nonce_s.
 */
gboolean
kf_peer_handshake_parse_hello (const guint8  *buf,
                               gsize          len,
                               guint8         nonce_s[KF_PEER_NONCE_SIZE],
                               GError       **error)
{
  if (!check_prefix (buf, len, MSG_HELLO, KF_PEER_HELLO_SIZE, error))
    return FALSE;
  memcpy (nonce_s, buf + 6, KF_PEER_NONCE_SIZE);
  return TRUE;
}

/*
 * kf_peer_handshake_encode_challenge:
 *
 * Writes the receiver's CHALLENGE: its nonce and its proof.
 */
void
kf_peer_handshake_encode_challenge (const guint8 nonce_r[KF_PEER_NONCE_SIZE],
                                    const guint8 proof_r[KF_PEER_PROOF_SIZE],
                                    guint8       out[KF_PEER_CHALLENGE_SIZE])
{
  encode_prefix (MSG_CHALLENGE, out);
  memcpy (out + 6, nonce_r, KF_PEER_NONCE_SIZE);
  memcpy (out + 6 + KF_PEER_NONCE_SIZE, proof_r, KF_PEER_PROOF_SIZE);
}

/*
 * kf_peer_handshake_parse_challenge:
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE unless @buf is exactly
 * one CHALLENGE of this version.  The proof is not checked here.
 */
gboolean
kf_peer_handshake_parse_challenge (const guint8  *buf,
                                   gsize          len,
                                   guint8         nonce_r[KF_PEER_NONCE_SIZE],
                                   guint8         proof_r[KF_PEER_PROOF_SIZE],
                                   GError       **error)
{
  if (!check_prefix (buf, len, MSG_CHALLENGE, KF_PEER_CHALLENGE_SIZE, error))
    return FALSE;
  memcpy (nonce_r, buf + 6, KF_PEER_NONCE_SIZE);
  memcpy (proof_r, buf + 6 + KF_PEER_NONCE_SIZE, KF_PEER_PROOF_SIZE);
  return TRUE;
}

/*
 * kf_peer_handshake_encode_response:
 *
 * Writes the sender's RESPONSE carrying its proof.
 */
void
kf_peer_handshake_encode_response (const guint8 proof_s[KF_PEER_PROOF_SIZE],
                                   guint8       out[KF_PEER_RESPONSE_SIZE])
{
  encode_prefix (MSG_RESPONSE, out);
  memcpy (out + 6, proof_s, KF_PEER_PROOF_SIZE);
}

/*
 * kf_peer_handshake_parse_response:
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE unless @buf is exactly
 * one RESPONSE of this version.  The proof is not checked here.
 */
gboolean
kf_peer_handshake_parse_response (const guint8  *buf,
                                  gsize          len,
                                  guint8         proof_s[KF_PEER_PROOF_SIZE],
                                  GError       **error)
{
  if (!check_prefix (buf, len, MSG_RESPONSE, KF_PEER_RESPONSE_SIZE, error))
    return FALSE;
  memcpy (proof_s, buf + 6, KF_PEER_PROOF_SIZE);
  return TRUE;
}

/* Opens an HMAC-SHA256 under the handshake key and feeds it the prover's
 * label and the transcript; the caller reads or verifies the tag. */
static gcry_mac_hd_t
open_transcript (const KfSessionKeys *keys,
                 KfPeerRole           prover,
                 const guint8        *nonce_s,
                 const guint8        *nonce_r)
{
  const char *label = prover == KF_PEER_ROLE_SENDER
                      ? "keyferry peer-link v1 sender proof"
                      : "keyferry peer-link v1 receiver proof";
  guint8 *hs_key = gcry_malloc_secure (32);
  guint8 head[3];
  gcry_mac_hd_t hd;
  gsize sid_len = strlen (keys->session_id);

  if (hs_key == NULL
      || gcry_mac_open (&hd, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE, NULL) != 0)
    g_error ("libgcrypt cannot open HMAC-SHA256 in secure memory");
  kf_record_derive_key (keys->auth_key, sizeof keys->auth_key,
                        "keyferry peer-link v1 handshake", NULL, 0, hs_key);
  gcry_mac_setkey (hd, hs_key, 32);
  gcry_free (hs_key);

  head[0] = KF_PEER_VERSION;
  head[1] = keys->mode == KF_CIPHER_MODE_CBC ? 1 : 2;
  head[2] = (guint8) sid_len;
  gcry_mac_write (hd, label, strlen (label));
  gcry_mac_write (hd, head, sizeof head);
  gcry_mac_write (hd, keys->session_id, sid_len);
  gcry_mac_write (hd, nonce_s, KF_PEER_NONCE_SIZE);
  gcry_mac_write (hd, nonce_r, KF_PEER_NONCE_SIZE);

  return hd;
}

/*
 * kf_peer_handshake_proof:
 * @prover: whose proof to compute
 *
 * Writes HMAC-SHA256(K_hs, label(@prover) || version || mode ||
 * len(session id) || session id || @nonce_s || @nonce_r) into @out.
 */
void
kf_peer_handshake_proof (const KfSessionKeys *keys,
                         KfPeerRole           prover,
                         const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                         const guint8         nonce_r[KF_PEER_NONCE_SIZE],
                         guint8               out[KF_PEER_PROOF_SIZE])
{
  gcry_mac_hd_t hd = open_transcript (keys, prover, nonce_s, nonce_r);
  gsize len = KF_PEER_PROOF_SIZE;

  gcry_mac_read (hd, out, &len);
  gcry_mac_close (hd);
}

/*
 * kf_peer_handshake_verify:
 *
 * Checks @proof against the expected one over its full 32 bytes, in
 * constant time.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE when it does not match:
 * the peer does not hold this session's key (or another session's
 * connection reached us).
 */
gboolean
kf_peer_handshake_verify (const KfSessionKeys *keys,
                          KfPeerRole           prover,
                          const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                          const guint8         nonce_r[KF_PEER_NONCE_SIZE],
                          const guint8         proof[KF_PEER_PROOF_SIZE],
                          GError             **error)
{
  gcry_mac_hd_t hd = open_transcript (keys, prover, nonce_s, nonce_r);
  gcry_error_t err = gcry_mac_verify (hd, proof, KF_PEER_PROOF_SIZE);

  gcry_mac_close (hd);
  if (err != 0)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           prover == KF_PEER_ROLE_RECEIVER
                           ? _("The receiver could not prove it holds this transfer's key: it is not the peer the key manager paired you with.")
                           : _("The sender could not prove it holds this transfer's key."));
      return FALSE;
    }

  return TRUE;
}

/*
 * kf_peer_handshake_derive:
 *
 * Derives the connection's record and offer keys: HMAC-SHA256(auth key,
 * label || @nonce_s || @nonce_r) per label, so no two connections share a
 * record key even within one session.
 *
 * Returns: (transfer full): the keys in secure memory, or %NULL when
 * secure memory is exhausted.
 */
KfPeerLinkKeys *
kf_peer_handshake_derive (const KfSessionKeys *keys,
                          const guint8         nonce_s[KF_PEER_NONCE_SIZE],
                          const guint8         nonce_r[KF_PEER_NONCE_SIZE])
{
  KfPeerLinkKeys *lk = gcry_calloc_secure (1, sizeof *lk);
  guint8 context[2 * KF_PEER_NONCE_SIZE];

  if (lk == NULL)
    return NULL;
  memcpy (context, nonce_s, KF_PEER_NONCE_SIZE);
  memcpy (context + KF_PEER_NONCE_SIZE, nonce_r, KF_PEER_NONCE_SIZE);

#define DERIVE(label, out) \
  kf_record_derive_key (keys->auth_key, sizeof keys->auth_key, \
                        label, context, sizeof context, out)
  DERIVE ("keyferry peer-link v1 sender-to-receiver mac", lk->sender_mac);
  DERIVE ("keyferry peer-link v1 receiver-to-sender mac", lk->receiver_mac);
  DERIVE ("keyferry peer-link v1 offer key", lk->offer_key);
  DERIVE ("keyferry peer-link v1 offer iv", lk->offer_iv);
#undef DERIVE

  return lk;
}

/*
 * kf_peer_link_keys_free:
 *
 * Wipes and frees.  %NULL is allowed.
 */
void
kf_peer_link_keys_free (KfPeerLinkKeys *link_keys)
{
  if (link_keys == NULL)
    return;

  explicit_bzero (link_keys, sizeof *link_keys);
  gcry_free (link_keys);
}
