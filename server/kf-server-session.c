/* kf-server-session.c: one pairing of a sender and a receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session owns the transfer's key material (AES-256 key, IV and
 * authentication key, from gcry_randomize with GCRY_STRONG_RANDOM, in
 * secure memory through KfSessionKeys), one challenge and one confirmation
 * IV per peer, where each peer stands, and the block counts they report.
 * The confirmation IVs differ from each other and from the file IV, so no
 * (key, IV) pair is ever used twice.  kf_server_session_wipe() destroys the
 * secrets and drops the peers the moment the session ends, whatever else
 * still holds a reference to the object.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gcrypt.h>

#include "kf-hex.h"
#include "kf-server-session.h"

typedef struct
{
  guint8 challenge[2][KF_PROTOCOL_CHALLENGE_SIZE];
  guint8 confirm_iv[2][KF_CIPHER_IV_SIZE];
} Secrets;

struct _KfServerSession
{
  GObject        parent_instance;

  char           id[KF_SESSION_ID_MAX + 1];
  KfCipherMode   mode;
  KfSessionKeys *keys;
  Secrets       *secrets;
  GObject       *peers[2];
  KfPeerPhase    phase[2];
  gboolean       reported[2];
  guint64        blocks[2];
  char           digest[2][KF_PROTOCOL_DIGEST_HEX_LEN + 1];
  KfServerTimers *timers;        /* while a timeout is armed */
  KfServerTimer  *timeout;
  KfServerSessionExpired expired;
  gpointer       expired_data;
};

G_DEFINE_FINAL_TYPE (KfServerSession, kf_server_session, G_TYPE_OBJECT)

static void
kf_server_session_dispose (GObject *object)
{
  kf_server_session_wipe (KF_SERVER_SESSION (object));

  G_OBJECT_CLASS (kf_server_session_parent_class)->dispose (object);
}

static void
kf_server_session_class_init (KfServerSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kf_server_session_dispose;
}

static void
kf_server_session_init (KfServerSession *self)
{
}

/* Draws an IV that equals none of the @n_avoid IVs in @avoid. */
static void
fresh_iv (guint8        *iv,
          const guint8 **avoid,
          guint          n_avoid)
{
  gboolean clash;

  do
    {
      clash = FALSE;
      gcry_randomize (iv, KF_CIPHER_IV_SIZE, GCRY_STRONG_RANDOM);
      for (guint i = 0; i < n_avoid; i++)
        clash |= memcmp (iv, avoid[i], KF_CIPHER_IV_SIZE) == 0;
    }
  while (clash);
}

/*
 * kf_server_session_new:
 *
 * Returns: (transfer full): a session with fresh key material for @mode,
 * or %NULL with %KF_PROTOCOL_ERROR_INTERNAL when secure memory is
 * exhausted.
 */
KfServerSession *
kf_server_session_new (KfCipherMode   mode,
                       GError       **error)
{
  g_autoptr(KfServerSession) self = g_object_new (KF_TYPE_SERVER_SESSION, NULL);
  g_autofree char *id = NULL;
  guint8 nonce[8];

  gcry_create_nonce (nonce, sizeof nonce);
  id = kf_hex_encode (nonce, sizeof nonce);
  g_strlcpy (self->id, id, sizeof self->id);
  self->mode = mode;
  self->keys = kf_session_keys_new (self->id, mode);
  self->secrets = gcry_calloc_secure (1, sizeof *self->secrets);
  if (self->keys == NULL || self->secrets == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory for session keys"));
      return NULL;
    }

  gcry_randomize (self->keys->key, sizeof self->keys->key, GCRY_STRONG_RANDOM);
  gcry_randomize (self->keys->iv, sizeof self->keys->iv, GCRY_STRONG_RANDOM);
  gcry_randomize (self->keys->auth_key, sizeof self->keys->auth_key, GCRY_STRONG_RANDOM);
  for (guint role = 0; role < 2; role++)
    {
      const guint8 *avoid[] = { self->keys->iv, self->secrets->confirm_iv[0] };

      gcry_randomize (self->secrets->challenge[role], KF_PROTOCOL_CHALLENGE_SIZE,
                      GCRY_STRONG_RANDOM);
      fresh_iv (self->secrets->confirm_iv[role], avoid, role + 1);
    }

  return g_steal_pointer (&self);
}

const char *
kf_server_session_get_id (KfServerSession *self)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), NULL);
  return self->id;
}

KfCipherMode
kf_server_session_get_mode (KfServerSession *self)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), KF_CIPHER_MODE_CBC);
  return self->mode;
}

KfPeerPhase
kf_server_session_get_phase (KfServerSession *self,
                             KfRole           role)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), KF_PEER_CONFIRMING);
  return self->phase[role];
}

void
kf_server_session_set_phase (KfServerSession *self,
                             KfRole           role,
                             KfPeerPhase      phase)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));
  self->phase[role] = phase;
}

/*
 * kf_server_session_set_peer, kf_server_session_get_peer:
 *
 * The client object playing @role (a strong reference, dropped by
 * kf_server_session_wipe()).
 */
void
kf_server_session_set_peer (KfServerSession *self,
                            KfRole           role,
                            gpointer         client)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));
  g_set_object (&self->peers[role], client);
}

gpointer
kf_server_session_get_peer (KfServerSession *self,
                            KfRole           role)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), NULL);
  return self->peers[role];
}

/*
 * kf_server_session_key_message:
 *
 * Returns: (transfer full): the `ev key` event for the peer playing @role,
 * naming its partner, or %NULL when the session was wiped or secure memory
 * is exhausted.
 */
KfProtocolMessage *
kf_server_session_key_message (KfServerSession *self,
                               KfRole           role,
                               guint64          peer_id,
                               const char      *peer_name)
{
  KfProtocolMessage *msg;

  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), NULL);

  if (self->keys == NULL || (msg = kf_protocol_message_new (KF_MSG_EV_KEY)) == NULL)
    return NULL;
  g_strlcpy (msg->session_id, self->id, sizeof msg->session_id);
  msg->role = role;
  msg->id = peer_id;
  kf_protocol_message_set_name (msg, peer_name);
  msg->mode = self->mode;
  memcpy (msg->key, self->keys->key, sizeof msg->key);
  memcpy (msg->iv, self->keys->iv, sizeof msg->iv);
  memcpy (msg->auth_key, self->keys->auth_key, sizeof msg->auth_key);
  memcpy (msg->challenge, self->secrets->challenge[role], sizeof msg->challenge);
  memcpy (msg->confirm_iv, self->secrets->confirm_iv[role], sizeof msg->confirm_iv);

  return msg;
}

/* Encrypts the challenge of @role as a peer must, into @out. */
static gboolean
expected_confirm (KfServerSession *self,
                  KfRole           role,
                  guint8          *out,
                  gsize           *out_len)
{
  g_autoptr(KfCipher) cipher = NULL;
  gsize n = 0, tail = 0;

  cipher = kf_cipher_new (self->mode, KF_CIPHER_ENCRYPT, self->keys->key, KF_CIPHER_KEY_SIZE,
                          self->secrets->confirm_iv[role], KF_CIPHER_IV_SIZE, NULL);
  if (cipher == NULL
      || !kf_cipher_update (cipher, self->secrets->challenge[role], KF_PROTOCOL_CHALLENGE_SIZE,
                            out, KF_PROTOCOL_CONFIRM_MAX, &n, NULL)
      || !kf_cipher_finish (cipher, out + n, KF_PROTOCOL_CONFIRM_MAX - n, &tail, NULL))
    return FALSE;
  *out_len = n + tail;

  return TRUE;
}

/*
 * kf_server_session_check_confirm:
 *
 * Returns: %TRUE when @data is the challenge of @role encrypted under the
 * session key with that peer's confirmation IV in the session mode.  The
 * comparison is constant-time over the whole expected length; a different
 * length is simply wrong.
 */
gboolean
kf_server_session_check_confirm (KfServerSession *self,
                                 KfRole           role,
                                 const guint8    *data,
                                 gsize            len)
{
  guint8 *expected;
  gsize expected_len = 0;
  guint diff = 0;

  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), FALSE);

  if (self->keys == NULL || (expected = gcry_malloc_secure (KF_PROTOCOL_CONFIRM_MAX)) == NULL)
    return FALSE;
  if (!expected_confirm (self, role, expected, &expected_len))
    diff = 1;
  for (gsize i = 0; i < expected_len; i++)
    diff |= expected[i] ^ (i < len ? data[i] : 0);
  explicit_bzero (expected, KF_PROTOCOL_CONFIRM_MAX);
  gcry_free (expected);

  return diff == 0 && len == expected_len;
}

/*
 * kf_server_session_set_report, kf_server_session_has_report:
 *
 * What the peer playing @role counted; @digest is "" when it sent none.
 */
void
kf_server_session_set_report (KfServerSession *self,
                              KfRole           role,
                              guint64          blocks,
                              const char      *digest)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));

  self->reported[role] = TRUE;
  self->blocks[role] = blocks;
  g_strlcpy (self->digest[role], digest != NULL ? digest : "", sizeof self->digest[role]);
}

gboolean
kf_server_session_has_report (KfServerSession *self,
                              KfRole           role,
                              guint64         *blocks)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), FALSE);

  if (blocks != NULL)
    *blocks = self->blocks[role];
  return self->reported[role];
}

/*
 * kf_server_session_verdict:
 *
 * Returns: %KF_VERDICT_OK when both block counts match (and, when both
 * peers sent a digest, the digests too); %KF_VERDICT_MISMATCH when the
 * counts differ; %KF_VERDICT_DIGEST_MISMATCH when they match but the
 * digests do not.
 */
KfVerdict
kf_server_session_verdict (KfServerSession *self)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), KF_VERDICT_MISMATCH);

  if (self->blocks[KF_ROLE_SENDER] != self->blocks[KF_ROLE_RECEIVER])
    return KF_VERDICT_MISMATCH;
  if (self->digest[0][0] != '\0' && self->digest[1][0] != '\0'
      && !g_str_equal (self->digest[0], self->digest[1]))
    return KF_VERDICT_DIGEST_MISMATCH;

  return KF_VERDICT_OK;
}

static void
timeout_fired (gpointer user_data)
{
  KfServerSession *self = user_data;
  g_autoptr(KfServerSession) hold = g_object_ref (self);

  self->timeout = NULL;
  g_clear_object (&self->timers);
  self->expired (self, self->expired_data);
}

/*
 * kf_server_session_arm_timeout:
 * @timers: the server's deadline queue
 *
 * Calls @expired once after @timeout_ms, unless the timeout is disarmed
 * or the session wiped first.  Replaces an armed timeout.
 */
void
kf_server_session_arm_timeout (KfServerSession        *self,
                               KfServerTimers         *timers,
                               guint                   timeout_ms,
                               KfServerSessionExpired  expired,
                               gpointer                user_data)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));
  g_return_if_fail (KF_IS_SERVER_TIMERS (timers));

  kf_server_session_disarm_timeout (self);
  self->timers = g_object_ref (timers);
  self->expired = expired;
  self->expired_data = user_data;
  self->timeout = kf_server_timers_add (timers, timeout_ms, timeout_fired, self);
}

void
kf_server_session_disarm_timeout (KfServerSession *self)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));

  if (self->timeout != NULL)
    kf_server_timers_remove (self->timers, g_steal_pointer (&self->timeout));
  g_clear_object (&self->timers);
}

/*
 * kf_server_session_wipe:
 *
 * Destroys the key material and drops both peers.  Safe to call twice.
 */
void
kf_server_session_wipe (KfServerSession *self)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));

  kf_server_session_disarm_timeout (self);
  g_clear_pointer (&self->keys, kf_session_keys_free);
  if (self->secrets != NULL)
    {
      explicit_bzero (self->secrets, sizeof *self->secrets);
      g_clear_pointer (&self->secrets, gcry_free);
    }
  g_clear_object (&self->peers[0]);
  g_clear_object (&self->peers[1]);
}
