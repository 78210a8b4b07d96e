/* kf-peer-handshake.c: the peer link's authenticated key agreement
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Version 2 of the handshake (docs/PROTOCOL.md part 2, sections 3 and 4).
 * Each side sends a fresh nonce, its Ed25519 identity key and an X25519
 * key made for this connection.  Both compute the X25519 secret Z and the
 * hash H of the transcript (both nonces, identity keys and X25519 keys,
 * the version, the mode and the session id), then prove two things:
 *
 *   - that they hold the session's auth_key, which only the two peers the
 *     key manager paired (and the key manager) have: an HMAC of H under a
 *     key derived from auth_key and Z;
 *   - who they are: an Ed25519 signature of H by their identity.
 *
 * The receiver proves first (it has both halves first); the sender checks
 * it before it reveals anything of its own.  Role labels differ, so
 * nothing can be reflected.  The record keys, the offer key and the file's
 * key and IV are then derived from the session's material together with Z
 * and H: the key manager, which knows auth_key, key and iv but not Z, can
 * no longer read or forge the link (PROTOCOL.md part 2, section 3).
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-gcrypt.h"
#include "kf-peer-handshake.h"
#include "kf-record.h"

#define TRANSCRIPT_LABEL "keyferry peer-link v2"

struct _KfPeerHandshake
{
  KfSessionKeys *keys;
  KfIdentity    *identity;
  KfPeerRole     role;
  gboolean       verified;          /* the peer proved both things */
  gboolean       have_ephemeral;    /* own->ephemeral computed */
  guint8         ephemeral_secret[32];
  KfPeerMessage  sender;            /* what the sender sent (or will send) */
  KfPeerMessage  receiver;          /* likewise the receiver */
  guint8         shared[32];        /* Z */
  guint8         hash[32];          /* H */
  guint8         hs_key[32];        /* K_hs */
};

static KfPeerMessage *
own_message (KfPeerHandshake *hs)
{
  return hs->role == KF_PEER_ROLE_SENDER ? &hs->sender : &hs->receiver;
}

static KfPeerMessage *
peer_message (KfPeerHandshake *hs)
{
  return hs->role == KF_PEER_ROLE_SENDER ? &hs->receiver : &hs->sender;
}

/*
 * kf_peer_handshake_new_fixed:
 * @keys: the session's material from the key manager (copied)
 * @identity: this side's identity
 * @nonce: this side's nonce
 * @ephemeral_secret: this side's X25519 secret for this connection
 *
 * For test vectors: a handshake whose random values are given.  Anything
 * else uses kf_peer_handshake_new().
 *
 * Returns: (transfer full): the handshake state, in secure memory.
 */
KfPeerHandshake *
kf_peer_handshake_new_fixed (const KfSessionKeys *keys,
                             KfIdentity          *identity,
                             KfPeerRole           role,
                             const guint8         nonce[KF_PEER_NONCE_SIZE],
                             const guint8         ephemeral_secret[32])
{
  KfPeerHandshake *hs;
  KfPeerMessage *own;

  g_return_val_if_fail (kf_gcrypt_is_ready (), NULL);
  g_return_val_if_fail (keys != NULL && KF_IS_IDENTITY (identity), NULL);

  hs = gcry_xcalloc_secure (1, sizeof *hs);
  hs->keys = kf_session_keys_copy (keys);
  if (hs->keys == NULL)
    g_error ("out of secure memory for a peer handshake");
  hs->identity = g_object_ref (identity);
  hs->role = role;
  memcpy (hs->ephemeral_secret, ephemeral_secret, sizeof hs->ephemeral_secret);

  own = own_message (hs);
  memcpy (own->nonce, nonce, sizeof own->nonce);
  memcpy (own->identity, kf_identity_get_public_key (identity), sizeof own->identity);

  return hs;
}

/* This side's X25519 public key, computed when first needed: for a
 * receiver that is in the step that answers a HELLO, in a worker thread,
 * so that connections that never send one cost the main loop nothing. */
static void
ensure_ephemeral (KfPeerHandshake *hs)
{
  if (hs->have_ephemeral)
    return;
  if (gcry_ecc_mul_point (GCRY_ECC_CURVE25519, own_message (hs)->ephemeral,
                          hs->ephemeral_secret, NULL) != 0)
    g_error ("libgcrypt cannot compute an X25519 public key");
  hs->have_ephemeral = TRUE;
}

/*
 * kf_peer_handshake_new:
 * @keys: the session's material from the key manager (copied)
 * @identity: this side's identity
 *
 * Starts one side of one connection's handshake, with a fresh nonce and a
 * fresh X25519 key pair.
 *
 * Returns: (transfer full): the handshake state, in secure memory.
 */
KfPeerHandshake *
kf_peer_handshake_new (const KfSessionKeys *keys,
                       KfIdentity          *identity,
                       KfPeerRole           role)
{
  guint8 *random = gcry_xmalloc_secure (KF_PEER_NONCE_SIZE + 32);
  KfPeerHandshake *hs;

  gcry_randomize (random, KF_PEER_NONCE_SIZE + 32, GCRY_STRONG_RANDOM);
  hs = kf_peer_handshake_new_fixed (keys, identity, role, random, random + KF_PEER_NONCE_SIZE);
  explicit_bzero (random, KF_PEER_NONCE_SIZE + 32);
  gcry_free (random);

  return hs;
}

/*
 * kf_peer_handshake_free:
 *
 * Wipes and frees.  %NULL is allowed.
 */
void
kf_peer_handshake_free (KfPeerHandshake *hs)
{
  if (hs == NULL)
    return;

  kf_session_keys_free (hs->keys);
  g_clear_object (&hs->identity);
  explicit_bzero (hs, sizeof *hs);
  gcry_free (hs);
}

/* Z = X25519(own secret, peer's key), refused when it is all zeros (the
 * peer sent a point of small order, which would make Z known to anyone);
 * then H, the transcript's hash, and K_hs. */
static gboolean
compute_secrets (KfPeerHandshake  *hs,
                 GError          **error)
{
  static const guint8 version = KF_PEER_VERSION;
  guint8 head[3];
  guint8 any = 0;
  gcry_md_hd_t md;
  gsize sid_len = strlen (hs->keys->session_id);

  ensure_ephemeral (hs);
  if (gcry_ecc_mul_point (GCRY_ECC_CURVE25519, hs->shared, hs->ephemeral_secret,
                          peer_message (hs)->ephemeral) != 0)
    memset (hs->shared, 0, sizeof hs->shared);
  for (guint i = 0; i < sizeof hs->shared; i++)
    any |= hs->shared[i];
  if (any == 0)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           _("The peer sent an unusable key exchange value: it is not a "
                             "Keyferry peer, or someone tampers with the connection."));
      return FALSE;
    }

  head[0] = version;
  head[1] = hs->keys->mode == KF_CIPHER_MODE_CBC ? 1 : 2;
  head[2] = (guint8) sid_len;
  if (gcry_md_open (&md, GCRY_MD_SHA256, 0) != 0)
    g_error ("libgcrypt cannot open SHA-256");
  gcry_md_write (md, TRANSCRIPT_LABEL, strlen (TRANSCRIPT_LABEL));
  gcry_md_write (md, head, sizeof head);
  gcry_md_write (md, hs->keys->session_id, sid_len);
  for (guint i = 0; i < 2; i++)
    {
      const KfPeerMessage *m = i == 0 ? &hs->sender : &hs->receiver;

      gcry_md_write (md, m->nonce, sizeof m->nonce);
      gcry_md_write (md, m->identity, sizeof m->identity);
      gcry_md_write (md, m->ephemeral, sizeof m->ephemeral);
    }
  memcpy (hs->hash, gcry_md_read (md, GCRY_MD_SHA256), sizeof hs->hash);
  gcry_md_close (md);

  kf_record_derive_key (hs->keys->auth_key, sizeof hs->keys->auth_key,
                        "keyferry peer-link v2 handshake", hs->shared, sizeof hs->shared,
                        hs->hs_key);
  return TRUE;
}

static const char *
proof_label (KfPeerRole prover)
{
  return prover == KF_PEER_ROLE_SENDER ? "keyferry peer-link v2 sender proof"
                                       : "keyferry peer-link v2 receiver proof";
}

static const char *
signature_label (KfPeerRole signer)
{
  return signer == KF_PEER_ROLE_SENDER ? "keyferry peer-link v2 sender signature"
                                       : "keyferry peer-link v2 receiver signature";
}

/* label || H, what a side signs. */
static GBytes *
signed_text (KfPeerHandshake *hs,
             KfPeerRole       signer)
{
  const char *label = signature_label (signer);
  gsize label_len = strlen (label);
  guint8 *text = g_malloc (label_len + sizeof hs->hash);

  memcpy (text, label, label_len);
  memcpy (text + label_len, hs->hash, sizeof hs->hash);
  return g_bytes_new_take (text, label_len + sizeof hs->hash);
}

/* This side's signature and proof, into its own message. */
static void
sign_and_prove (KfPeerHandshake *hs)
{
  KfPeerMessage *own = own_message (hs);
  g_autoptr(GBytes) text = signed_text (hs, hs->role);

  kf_identity_sign (hs->identity, g_bytes_get_data (text, NULL), g_bytes_get_size (text),
                    own->signature);
  kf_record_derive_key (hs->hs_key, sizeof hs->hs_key, proof_label (hs->role),
                        hs->hash, sizeof hs->hash, own->proof);
}

/* Checks the peer's proof (full 32 bytes, constant time), then its
 * signature; each failure says which. */
static gboolean
check_peer (KfPeerHandshake  *hs,
            GError          **error)
{
  KfPeerRole peer_role = hs->role == KF_PEER_ROLE_SENDER ? KF_PEER_ROLE_RECEIVER
                                                          : KF_PEER_ROLE_SENDER;
  const KfPeerMessage *peer = peer_message (hs);
  const char *label = proof_label (peer_role);
  g_autoptr(GBytes) text = NULL;
  gcry_mac_hd_t mac;
  gcry_error_t err;

  if (gcry_mac_open (&mac, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE, NULL) != 0)
    g_error ("libgcrypt cannot open HMAC-SHA256 in secure memory");
  gcry_mac_setkey (mac, hs->hs_key, sizeof hs->hs_key);
  gcry_mac_write (mac, label, strlen (label));
  gcry_mac_write (mac, hs->hash, sizeof hs->hash);
  err = gcry_mac_verify (mac, peer->proof, KF_PEER_PROOF_SIZE);
  gcry_mac_close (mac);
  if (err != 0)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           peer_role == KF_PEER_ROLE_RECEIVER
                           ? _("The receiver could not prove it holds this transfer's key: it is not the peer the key manager paired you with.")
                           : _("The sender could not prove it holds this transfer's key."));
      return FALSE;
    }

  text = signed_text (hs, peer_role);
  if (!kf_identity_verify (peer->identity, g_bytes_get_data (text, NULL), g_bytes_get_size (text),
                           peer->signature))
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           peer_role == KF_PEER_ROLE_RECEIVER
                           ? _("The receiver's identity signature is not valid: it is not who it claims to be.")
                           : _("The sender's identity signature is not valid: it is not who it claims to be."));
      return FALSE;
    }

  hs->verified = TRUE;
  return TRUE;
}

/*
 * kf_peer_handshake_write_hello:
 *
 * The sender's first message.
 */
void
kf_peer_handshake_write_hello (KfPeerHandshake *hs,
                               guint8           out[KF_PEER_HELLO_SIZE])
{
  g_return_if_fail (hs != NULL && hs->role == KF_PEER_ROLE_SENDER);

  ensure_ephemeral (hs);
  kf_peer_message_encode_hello (&hs->sender, out);
}

/*
 * kf_peer_handshake_read_hello:
 *
 * The receiver takes the sender's HELLO.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE when it is not one.
 */
gboolean
kf_peer_handshake_read_hello (KfPeerHandshake  *hs,
                              const guint8     *buf,
                              gsize             len,
                              GError          **error)
{
  g_return_val_if_fail (hs != NULL && hs->role == KF_PEER_ROLE_RECEIVER, FALSE);

  return kf_peer_message_parse_hello (buf, len, &hs->sender, error);
}

/*
 * kf_peer_handshake_write_challenge:
 *
 * The receiver's answer to a HELLO: its own values, its signature and its
 * proof.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE when the sender's
 * X25519 key is unusable.
 */
gboolean
kf_peer_handshake_write_challenge (KfPeerHandshake  *hs,
                                   guint8            out[KF_PEER_CHALLENGE_SIZE],
                                   GError          **error)
{
  g_return_val_if_fail (hs != NULL && hs->role == KF_PEER_ROLE_RECEIVER, FALSE);

  if (!compute_secrets (hs, error))
    return FALSE;
  sign_and_prove (hs);
  kf_peer_message_encode_challenge (&hs->receiver, out);
  return TRUE;
}

/*
 * kf_peer_handshake_read_challenge:
 *
 * The sender takes the receiver's CHALLENGE and checks it: the proof of
 * the session key first, then the identity's signature.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE when the message, the
 * key exchange, the proof or the signature is wrong; the sender must then
 * send nothing more.
 */
gboolean
kf_peer_handshake_read_challenge (KfPeerHandshake  *hs,
                                  const guint8     *buf,
                                  gsize             len,
                                  GError          **error)
{
  g_return_val_if_fail (hs != NULL && hs->role == KF_PEER_ROLE_SENDER, FALSE);

  return kf_peer_message_parse_challenge (buf, len, &hs->receiver, error)
         && compute_secrets (hs, error)
         && check_peer (hs, error);
}

/*
 * kf_peer_handshake_write_response:
 *
 * The sender's signature and proof, once the CHALLENGE checked out.
 */
void
kf_peer_handshake_write_response (KfPeerHandshake *hs,
                                  guint8           out[KF_PEER_RESPONSE_SIZE])
{
  g_return_if_fail (hs != NULL && hs->role == KF_PEER_ROLE_SENDER && hs->verified);

  sign_and_prove (hs);
  kf_peer_message_encode_response (&hs->sender, out);
}

/*
 * kf_peer_handshake_read_response:
 *
 * The receiver takes the sender's RESPONSE and checks its proof, then its
 * signature.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE when either is wrong.
 */
gboolean
kf_peer_handshake_read_response (KfPeerHandshake  *hs,
                                 const guint8     *buf,
                                 gsize             len,
                                 GError          **error)
{
  g_return_val_if_fail (hs != NULL && hs->role == KF_PEER_ROLE_RECEIVER, FALSE);

  return kf_peer_message_parse_response (buf, len, &hs->sender, error)
         && check_peer (hs, error);
}

KfPeerRole
kf_peer_handshake_get_role (KfPeerHandshake *hs)
{
  g_return_val_if_fail (hs != NULL, KF_PEER_ROLE_SENDER);

  return hs->role;
}

/*
 * kf_peer_handshake_get_peer_identity:
 *
 * Returns: the other side's Ed25519 identity key: proven once the
 * handshake succeeded, only claimed before.
 */
const guint8 *
kf_peer_handshake_get_peer_identity (KfPeerHandshake *hs)
{
  g_return_val_if_fail (hs != NULL, NULL);

  return peer_message (hs)->identity;
}

/*
 * kf_peer_handshake_get_transcript_hash:
 *
 * Returns: H, once the shared secret was computed (for tests and vectors).
 */
const guint8 *
kf_peer_handshake_get_transcript_hash (KfPeerHandshake *hs)
{
  g_return_val_if_fail (hs != NULL, NULL);

  return hs->hash;
}

/* Z || H, the context of every key derived from the link. */
static void
link_context (KfPeerHandshake *hs,
              guint8           context[64])
{
  memcpy (context, hs->shared, 32);
  memcpy (context + 32, hs->hash, 32);
}

/*
 * kf_peer_handshake_derive:
 *
 * Once the peer is verified, derives the connection's record and offer
 * keys from K_link = HMAC(auth_key, "keyferry peer-link v2 link secret"
 * || Z || H), one HMAC per label.
 *
 * Returns: (transfer full): the keys in secure memory.
 */
KfPeerLinkKeys *
kf_peer_handshake_derive (KfPeerHandshake *hs)
{
  KfPeerLinkKeys *lk;
  guint8 *link_secret;
  guint8 context[64];

  g_return_val_if_fail (hs != NULL && hs->verified, NULL);

  lk = gcry_xcalloc_secure (1, sizeof *lk);
  link_secret = gcry_xmalloc_secure (32);
  link_context (hs, context);
  kf_record_derive_key (hs->keys->auth_key, sizeof hs->keys->auth_key,
                        "keyferry peer-link v2 link secret", context, sizeof context, link_secret);
  explicit_bzero (context, sizeof context);

#define DERIVE(label, out) kf_record_derive_key (link_secret, 32, label, NULL, 0, out)
  DERIVE ("keyferry peer-link v2 sender-to-receiver mac", lk->sender_mac);
  DERIVE ("keyferry peer-link v2 receiver-to-sender mac", lk->receiver_mac);
  DERIVE ("keyferry peer-link v2 offer key", lk->offer_key);
  DERIVE ("keyferry peer-link v2 offer iv", lk->offer_iv);
#undef DERIVE

  explicit_bzero (link_secret, 32);
  gcry_free (link_secret);
  return lk;
}

/*
 * kf_peer_handshake_derive_file_keys:
 *
 * Once the peer is verified, the key and IV the file is encrypted with:
 * the session's material with
 *   key = HMAC(key_KM, "keyferry peer-link v2 file key" || Z || H)
 *   iv  = HMAC(iv_KM, "keyferry peer-link v2 file iv" || Z || H)[0..16)
 * in place of the key manager's key and IV (session id, mode and auth_key
 * stay).  The key manager's material alone cannot give these.
 *
 * Returns: (transfer full): the keys in secure memory.
 */
KfSessionKeys *
kf_peer_handshake_derive_file_keys (KfPeerHandshake *hs)
{
  KfSessionKeys *file_keys;
  guint8 context[64];
  guint8 *iv;

  g_return_val_if_fail (hs != NULL && hs->verified, NULL);

  iv = gcry_xmalloc_secure (32);
  file_keys = kf_session_keys_copy (hs->keys);
  if (file_keys == NULL)
    g_error ("out of secure memory for a transfer's keys");
  link_context (hs, context);
  kf_record_derive_key (hs->keys->key, sizeof hs->keys->key, "keyferry peer-link v2 file key",
                        context, sizeof context, file_keys->key);
  kf_record_derive_key (hs->keys->iv, sizeof hs->keys->iv, "keyferry peer-link v2 file iv",
                        context, sizeof context, iv);
  memcpy (file_keys->iv, iv, sizeof file_keys->iv);
  explicit_bzero (iv, 32);
  explicit_bzero (context, sizeof context);
  gcry_free (iv);

  return file_keys;
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
