/* kf-server-session.c: one pairing of a sender and a receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session owns the transfer's key material (AES-256 key, IV and
 * authentication key, from gcry_randomize with GCRY_STRONG_RANDOM, in
 * secure memory through KfSessionKeys), one challenge and one confirmation
 * IV per peer, where each peer stands, and the block counts they report.
 * The confirmation IVs differ from each other and from the file IV, so no
 * (key, IV) pair is ever used twice.
 *
 * A session ends itself, in one of two ways: kf_server_session_finish()
 * (both peers reported: both get `ev result`) or kf_server_session_cancel()
 * (a peer cancelled, left, or failed the key confirmation, or the
 * confirmation timed out: the peers still there get `ev cancelled`).
 * Either way it writes its audit line and its log event, puts both peers
 * back to idle, wipes its keys and drops its peers, and then emits
 * ::ended, once, for whoever counts sessions (the server).  It watches
 * its peers: a peer whose connection closes cancels it.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gcrypt.h>

#include "kf-hex.h"
#include "kf-server-client.h"
#include "kf-server-log.h"
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
  KfServerClient *peers[2];
  KfPeerPhase    phase[2];
  KfSessionEnd   end;
  gboolean       hushed;         /* tells its peers nothing more */
  KfServerAudit *audit;          /* borrowed from the server */
  gboolean       reported[2];
  guint64        blocks[2];
  char           digest[2][KF_PROTOCOL_DIGEST_HEX_LEN + 1];
  KfServerTimers *timers;        /* while a timeout is armed */
  KfServerTimer  *timeout;
};

enum {
  SIGNAL_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

  /* The session ended (kf_server_session_get_end() says how): its peers
   * are idle again and its keys are wiped.  Emitted once. */
  signals[SIGNAL_ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
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
 * @audit: where the session writes its outcome; must outlive it, or its
 *   end (kf_server_session_wipe() ends a session without a word)
 *
 * Returns: (transfer full): a session with fresh key material for @mode,
 * or %NULL with %KF_PROTOCOL_ERROR_INTERNAL when secure memory is
 * exhausted.
 */
KfServerSession *
kf_server_session_new (KfCipherMode    mode,
                       KfServerAudit  *audit,
                       GError        **error)
{
  g_autoptr(KfServerSession) self = g_object_new (KF_TYPE_SERVER_SESSION, NULL);
  g_autofree char *id = NULL;
  guint8 nonce[8];

  gcry_create_nonce (nonce, sizeof nonce);
  id = kf_hex_encode (nonce, sizeof nonce);
  g_strlcpy (self->id, id, sizeof self->id);
  self->mode = mode;
  self->audit = audit;
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
 * kf_server_session_get_peer:
 *
 * The client playing @role, or %NULL once the session has ended.
 */
KfServerClient *
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

/* Stops listening to the peers and drops them. */
static void
drop_peers (KfServerSession *self)
{
  for (guint role = 0; role < 2; role++)
    {
      if (self->peers[role] != NULL)
        g_signal_handlers_disconnect_by_data (self->peers[role], self);
      g_clear_object (&self->peers[role]);
    }
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
 * Destroys the key material and drops both peers, without telling them,
 * auditing or emitting ::ended: for a server that goes away without a
 * shutdown.  Safe to call twice; the session is over afterwards.
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
  drop_peers (self);
}

static void
timeout_fired (gpointer user_data)
{
  KfServerSession *self = user_data;

  self->timeout = NULL;
  g_clear_object (&self->timers);
  kf_server_session_cancel (self, KF_CANCEL_TIMEOUT,
                            _("The key confirmation or the receiver's port did not arrive in time"),
                            NULL);
}

/* A peer's connection is going away: the other peer is told. */
static void
peer_closed (KfServerClient  *client,
             KfServerSession *self)
{
  kf_server_session_cancel (self, KF_CANCEL_PEER_LEFT, _("The other peer disconnected"), client);
}

/*
 * kf_server_session_start:
 * @timers: the server's deadline queue
 * @confirm_timeout_ms: how long both peers have to confirm the key and
 *   the receiver to send its port (kf_server_session_disarm_timeout())
 *
 * Pairs @sender with @receiver: both are in this session from now on,
 * and the session cancels itself when the time is up or a peer's
 * connection closes.
 */
void
kf_server_session_start (KfServerSession *self,
                         KfServerClient  *sender,
                         KfServerClient  *receiver,
                         KfServerTimers  *timers,
                         guint            confirm_timeout_ms)
{
  KfServerClient *peers[2] = { sender, receiver };

  g_return_if_fail (KF_IS_SERVER_SESSION (self));
  g_return_if_fail (self->peers[0] == NULL && self->keys != NULL);

  for (guint role = 0; role < 2; role++)
    {
      self->peers[role] = g_object_ref (peers[role]);
      kf_server_client_set_session (peers[role], self);
      kf_server_client_set_phase (peers[role], KF_CLIENT_SESSION);
      g_signal_connect (peers[role], "closed", G_CALLBACK (peer_closed), self);
    }
  self->timers = g_object_ref (timers);
  self->timeout = kf_server_timers_add (timers, confirm_timeout_ms, timeout_fired, self);
}

/* Writes the audit line. */
static void
audit (KfServerSession *self,
       const char      *outcome,
       const char      *reason)
{
  KfServerClient *sender = self->peers[KF_ROLE_SENDER];
  KfServerClient *receiver = self->peers[KF_ROLE_RECEIVER];
  KfServerAuditRecord record = {
    .session_id = self->id,
    .sender_id = sender ? kf_server_client_get_id (sender) : 0,
    .sender_name = sender ? kf_server_client_get_name (sender) : NULL,
    .receiver_id = receiver ? kf_server_client_get_id (receiver) : 0,
    .receiver_name = receiver ? kf_server_client_get_name (receiver) : NULL,
    .mode = kf_cipher_mode_to_string (self->mode),
    .outcome = outcome,
    .reason = reason,
  };

  for (guint role = 0; role < 2; role++)
    {
      record.reported[role] = self->reported[role];
      record.blocks[role] = self->blocks[role];
    }
  kf_server_audit_record (self->audit, &record);
}

/* The id of the peer in @role, 0 when there is none. */
static guint64
peer_id (KfServerSession *self,
         KfRole           role)
{
  return self->peers[role] != NULL ? kf_server_client_get_id (self->peers[role]) : 0;
}

/* The session is over as @end says: both peers are idle again, the keys
 * are wiped, and ::ended is emitted. */
static void
conclude (KfServerSession *self,
          KfSessionEnd     how)
{
  self->end = how;
  for (guint role = 0; role < 2; role++)
    {
      if (self->peers[role] == NULL)
        continue;
      kf_server_client_set_session (self->peers[role], NULL);
      kf_server_client_set_phase (self->peers[role], KF_CLIENT_IDLE);
    }
  kf_server_session_wipe (self);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

/* Whether the session is still running (not ended, not wiped). */
static gboolean
running (KfServerSession *self)
{
  return self->end == KF_SESSION_RUNNING && self->keys != NULL;
}

/*
 * kf_server_session_cancel:
 * @text: (nullable): the explanation the peers are sent
 * @quiet: (nullable): a peer not to send `ev cancelled` to (the one that
 *   cancelled, or left)
 *
 * Cancels the session: the peers are told why, it is audited and logged,
 * and it ends.  Nothing happens when it has already ended.
 */
void
kf_server_session_cancel (KfServerSession *self,
                          KfCancelReason   reason,
                          const char      *text,
                          KfServerClient  *quiet)
{
  g_autoptr(KfServerSession) hold = NULL;
  g_autoptr(KfProtocolMessage) msg = NULL;
  const char *why = kf_protocol_cancel_reason_to_string (reason);

  g_return_if_fail (KF_IS_SERVER_SESSION (self));

  if (!running (self))
    return;
  hold = g_object_ref (self);
  msg = kf_protocol_message_new (KF_MSG_EV_CANCELLED);
  g_strlcpy (msg->session_id, self->id, sizeof msg->session_id);
  msg->cancel_reason = reason;
  kf_protocol_message_set_text (msg, text);
  for (guint role = 0; role < 2 && !self->hushed; role++)
    {
      if (self->peers[role] != NULL && self->peers[role] != quiet)
        kf_server_client_send (self->peers[role], msg);
    }
  audit (self, "cancelled", why);
  kf_server_log_event (&(KfServerLogEvent) {
                         .message_id = KF_LOG_SESSION_CANCELLED,
                         .client_id = peer_id (self, KF_ROLE_SENDER),
                         .peer_id = peer_id (self, KF_ROLE_RECEIVER),
                         .session_id = self->id,
                         .outcome = why },
                       "Session %s cancelled (%s)", self->id, why);
  conclude (self, KF_SESSION_CANCELLED);
}

/*
 * kf_server_session_finish:
 *
 * Both peers reported: both get `ev result` with the verdict, it is
 * audited and logged, and the session ends.
 */
void
kf_server_session_finish (KfServerSession *self)
{
  g_autoptr(KfServerSession) hold = NULL;
  g_autoptr(KfProtocolMessage) msg = NULL;
  const char *verdict;

  g_return_if_fail (KF_IS_SERVER_SESSION (self));

  if (!running (self))
    return;
  hold = g_object_ref (self);
  msg = kf_protocol_message_new (KF_MSG_EV_RESULT);
  g_strlcpy (msg->session_id, self->id, sizeof msg->session_id);
  msg->verdict = kf_server_session_verdict (self);
  msg->sender_blocks = self->blocks[KF_ROLE_SENDER];
  msg->receiver_blocks = self->blocks[KF_ROLE_RECEIVER];
  for (guint role = 0; role < 2; role++)
    kf_server_client_send (self->peers[role], msg);
  verdict = kf_protocol_verdict_to_string (msg->verdict);
  audit (self, verdict, NULL);
  kf_server_log_event (&(KfServerLogEvent) {
                         .message_id = KF_LOG_SESSION_FINISHED,
                         .client_id = peer_id (self, KF_ROLE_SENDER),
                         .peer_id = peer_id (self, KF_ROLE_RECEIVER),
                         .session_id = self->id,
                         .outcome = verdict },
                       "Session %s finished: %s (%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " blocks)",
                       self->id, verdict, msg->sender_blocks, msg->receiver_blocks);
  conclude (self, KF_SESSION_FINISHED);
}

/*
 * kf_server_session_hush:
 *
 * From now on the session sends its peers nothing when it ends: the key
 * manager is shutting down and has told everyone `ev shutdown`.
 */
void
kf_server_session_hush (KfServerSession *self)
{
  g_return_if_fail (KF_IS_SERVER_SESSION (self));
  self->hushed = TRUE;
}

KfSessionEnd
kf_server_session_get_end (KfServerSession *self)
{
  g_return_val_if_fail (KF_IS_SERVER_SESSION (self), KF_SESSION_RUNNING);
  return self->end;
}
