/* kf-client-session.c: one transfer session as KfClient lives it (steps 6-11)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session begins with `ev key` (both sides at once, after a sender's
 * `conn`) and ends exactly once, with ::finished and a KfOutcome, in one of
 * two ways:
 *
 * - the key manager already considers it over (`ev result`, `ev cancelled`,
 *   a refused confirmation, or the key manager itself gone): it ends now;
 * - this side saw the end first (the user cancelled or declined, the peer
 *   link failed): the key manager is told with `cancel <reason>` and the
 *   session ends when that is answered, so the next command never meets a
 *   key manager still in the old session.
 *
 * Either way a session whose engine is saving or sending the files waits
 * for it to stop, so that the outcome says truly whether the file is
 * there: when the whole file had arrived and passed every check of the
 * peer link before the end, it stays saved, and the outcome names it and
 * says that only the key manager's confirmation is missing (the sender's
 * outcome says the same once the receiver's DONE came in); a sender's
 * outcome lists exactly the files that went whole.
 *
 * In between: key confirmation (the challenge encrypted under the session
 * key with confirm_iv in the session's mode), then the receiver opens the
 * peer listener and sends `port`, the sender connects to the address the
 * key manager gives (kf-client-session-link.c); the offer and the file go
 * over the link (kf-client-transfer.c); both report their block count and
 * digest (kf-client-session-link.c).
 *
 * The session itself is a KfSession (kf-session.c), which decides why it
 * ended and builds the outcome.  Async work of a session holds a
 * reference to it: when it completes after its session ended (or another
 * began), _kf_session_ref_client() says so and the work is dropped.
 */

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "kf-client-private.h"

static gboolean
cancel_in_idle (gpointer user_data)
{
  kf_client_cancel (KF_CLIENT (user_data));

  return G_SOURCE_REMOVE;
}

static void
on_task_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  /* May run in any thread: defer to the client's main context. */
  g_idle_add_full (G_PRIORITY_DEFAULT, cancel_in_idle, g_object_ref (user_data),
                   g_object_unref);
}

/*
 * _kf_client_session_watch_task:
 *
 * Makes cancelling @cancellable (the caller's, of conn or send_file)
 * cancel the session, as kf_client_cancel() does.
 */
void
_kf_client_session_watch_task (KfClient     *self,
                               GCancellable *cancellable)
{
  KfSession *session = self->session;

  if (cancellable == NULL || session == NULL || cancellable == session->task_cancellable)
    return;

  if (session->task_cancel_id != 0)
    g_cancellable_disconnect (session->task_cancellable, session->task_cancel_id);
  g_clear_object (&session->task_cancellable);
  session->task_cancellable = g_object_ref (cancellable);
  session->task_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_task_cancelled),
                                                   self, NULL);
}

/*
 * _kf_client_session_close:
 *
 * The client goes: its session (if any) is closed without an outcome, its
 * pending calls failing as cancelled.
 */
void
_kf_client_session_close (KfClient *self)
{
  g_autoptr(KfSession) session = g_steal_pointer (&self->session);

  if (session != NULL)
    _kf_session_close (session);
}

static void
on_wait_again_reply (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(KfClient) self = user_data;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  /* A key manager gone is handled by ::closed: waiting resumes once
   * reconnected. */
  if (reply != NULL || g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_message ("Could not wait again after a pairing fell through: %s", error->message);
  _kf_client_set_last_error (self, error->message);
  if (self->session == NULL && self->state == KF_CLIENT_STATE_WAITING)
    _kf_client_set_state (self, KF_CLIENT_STATE_IDLE);
}

/*
 * back_to_rest:
 *
 * The state after a session: idle; or, for a receiver whose pairing fell
 * through before an offer (kf_outcome_get_waits_again()), waiting again,
 * with `wait` sent at once (the key manager reads it before anything this
 * side sends later), or once reconnected when the key manager is gone.
 */
static void
back_to_rest (KfClient  *self,
              KfOutcome *outcome)
{
  g_autoptr(KfProtocolMessage) wait = NULL;

  if (self->km == NULL)
    {
      self->resume_waiting = self->resume_waiting || kf_outcome_get_waits_again (outcome);
      _kf_client_set_state (self, KF_CLIENT_STATE_RECONNECTING);
      return;
    }
  if (!kf_outcome_get_waits_again (outcome))
    {
      _kf_client_set_state (self, KF_CLIENT_STATE_IDLE);
      return;
    }

  g_message ("A pairing ended before an offer; waiting again");
  wait = kf_protocol_message_new (KF_MSG_WAIT);
  self->watch_active = FALSE;
  _kf_client_set_state (self, KF_CLIENT_STATE_WAITING);
  kf_km_connection_request_async (self->km, wait, self->cancellable, on_wait_again_reply,
                                  g_object_ref (self));
}

/*
 * on_session_ended:
 *
 * KfSession::ended, the one place where the client lives a session's end:
 * back to idle (or waiting, kf_outcome_get_waits_again()), ::finished
 * with @outcome, then the pending conn/send_file calls complete (with the
 * outcome, or with the session's account of its end when it has one: no
 * verdict came), and the session lets go of what it holds.
 */
static void
on_session_ended (KfSession *session,
                  KfOutcome *outcome,
                  KfClient  *self)
{
  g_autoptr(KfSession) held = g_steal_pointer (&self->session);
  GTask *conn_task = g_steal_pointer (&session->conn_task);
  GTask *send_task = g_steal_pointer (&session->send_task);
  GError *error = session->end_error;

  g_assert (held == session);
  back_to_rest (self, outcome);
  _kf_client_notify_session (self);
  _kf_client_sync_watch (self);
  _kf_client_emit_finished (self, outcome);

  if (conn_task != NULL)
    g_task_return_error (conn_task, error != NULL
                                    ? g_error_copy (error)
                                    : g_error_new_literal (KF_CLIENT_ERROR,
                                                           KF_CLIENT_ERROR_PROTOCOL,
                                                           kf_outcome_get_message (outcome)));
  if (send_task != NULL && error != NULL)
    g_task_return_error (send_task, g_error_copy (error));
  else if (send_task != NULL)
    g_task_return_pointer (send_task, g_object_ref (outcome), g_object_unref);
  g_clear_object (&conn_task);
  g_clear_object (&send_task);
  _kf_session_close (session);
}

/* Ends the current session with @outcome; its ::ended does the rest.
 * @verdict: whether the key manager gave its verdict (the outcome says all;
 * an account of the end recorded while ending no longer applies). */
static void
finish (KfClient  *self,
        KfOutcome *outcome,
        gboolean   verdict)
{
  if (verdict)
    g_clear_error (&self->session->end_error);
  _kf_session_end (self->session, outcome);
}

/* Ends an ending session once nothing it waits for is left: the answer to
 * its `cancel`, and an engine receiving or sending. */
static void
finish_when_ready (KfClient *self)
{
  KfSession *session = self->session;
  g_autoptr(KfOutcome) outcome = NULL;

  if ((session->cancel_sent_to != NULL && session->cancel_sent_to == self->km)
      || session->link_use == KF_SESSION_LINK_RECEIVING
      || session->link_use == KF_SESSION_LINK_SENDING
      || session->link_use == KF_SESSION_LINK_DECLINING)
    return;

  outcome = _kf_session_recorded_outcome (session);
  finish (self, outcome, FALSE);
}

/*
 * _kf_client_session_engine_done:
 * @result: (nullable): what the engine achieved, when it did
 *
 * The transfer engine of a session that is ending returned: a receiver
 * that saved the whole file records it, and the session ends when it was
 * only waiting for that.
 */
void
_kf_client_session_engine_done (KfClient               *self,
                                const KfTransferResult *result)
{
  KfSession *session = self->session;

  g_assert (session != NULL && session->phase == KF_SESSION_PHASE_ENDING);
  if (result != NULL)
    _kf_session_record_result (session, result);
  finish_when_ready (self);
}

/*
 * _kf_client_session_declined:
 *
 * The DECLINE record went out (or could not): a session that is ending
 * was perhaps only waiting for that, so that the program does not quit
 * and close the link before the sender heard it.
 */
void
_kf_client_session_declined (KfClient *self)
{
  KfSession *session = self->session;

  if (session->link_use == KF_SESSION_LINK_DECLINING)
    session->link_use = KF_SESSION_LINK_IDLE;
  if (session->phase == KF_SESSION_PHASE_ENDING)
    finish_when_ready (self);
}

static void
on_cancel_reply (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = _kf_session_ref_client (session, KF_SESSION_PHASE_ENDING, NULL);
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* Any answer will do: `ok`, or an error because the key manager had
   * already ended the session from the other side. */
  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (self != NULL)
    {
      g_clear_object (&session->cancel_sent_to);
      finish_when_ready (self);
    }
}

/*
 * _kf_client_session_fail:
 * @witness: who gives this account of the end
 * @reason: (nullable): the word for `cancel <reason>` ("cancelled",
 *   "declined", ...); %NULL when the key manager already ended the session
 * @error: (transfer full): what the pending calls fail with; its message is
 *   the outcome's message
 *
 * Ends the current session early, once: stops the link and transfer work,
 * tells the key manager when @reason is given, and emits ::finished when
 * that is answered and an engine receiving or sending has stopped.  Does nothing
 * without a session.  When the session is already ending, @error may
 * only replace the recorded account of its end (_kf_session_explain_end()).
 */
void
_kf_client_session_fail (KfClient         *self,
                         KfSessionWitness  witness,
                         KfOutcomeStatus   status,
                         const char       *reason,
                         GError           *error)
{
  KfSession *session = self->session;
  g_autoptr(KfProtocolMessage) cancel = NULL;

  if (session == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (!_kf_session_explain_end (session, witness, status, error))
    return;

  g_cancellable_cancel (session->cancellable);

  /* An idle link closes only once the key manager has our `cancel`: the
   * other side then hears the reason from it before it sees the link go. */
  if (reason == NULL || self->km == NULL || !kf_km_connection_is_open (self->km))
    {
      if (session->link != NULL && session->link_use == KF_SESSION_LINK_IDLE)
        kf_peer_link_abort (session->link);
      finish_when_ready (self);
      return;
    }

  g_set_object (&session->cancel_sent_to, self->km);
  cancel = kf_protocol_message_new (KF_MSG_CANCEL);
  if (!kf_protocol_message_set_text (cancel, reason))
    kf_protocol_message_set_text (cancel, "failed");
  kf_km_connection_request_async (self->km, cancel, NULL, on_cancel_reply,
                                  g_object_ref (session));
}

/*
 * _kf_client_session_lost:
 *
 * The key manager went away: the session (if any) fails at once.
 */
void
_kf_client_session_lost (KfClient     *self,
                         const GError *error)
{
  if (self->session == NULL)
    return;
  if (self->session->phase == KF_SESSION_PHASE_ENDING)
    {
      /* Our `cancel` will not be answered now: its connection is gone. */
      finish_when_ready (self);
      return;
    }

  /* The peer hears why from our CANCEL, which may reach it before its own
   * connection to the key manager is seen to be gone. */
  if (self->session->link != NULL)
    kf_peer_link_set_cancel_reason (self->session->link, "the key manager went away");
  _kf_client_session_fail (self, KF_SESSION_WITNESS_OBSERVED, KF_OUTCOME_FAILED, NULL,
                           g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                                        _kf_session_is_delivered (self->session)
                                        ? _("The key manager went away before its verdict (%s)")
                                        : _("The transfer stopped: the key manager went "
                                            "away (%s)"), error->message));
}

/* Whether a request of the session failed because the key manager went
 * away.  Then nothing is done with it: the connection's ::closed follows
 * at once, and _kf_client_session_lost() ends the session, saying so. */
gboolean
_kf_client_session_key_manager_gone (const GError *error)
{
  return g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED);
}

/*
 * kf_client_cancel:
 *
 * Cancels the session in progress, at any step, from either side: the key
 * manager and the peer are told, and ::finished is emitted with a
 * cancelled outcome.  A `conn` not yet answered is cancelled as soon as its
 * session starts.  Without a session, does nothing.
 */
void
kf_client_cancel (KfClient *self)
{
  g_return_if_fail (KF_IS_CLIENT (self));

  if (self->session == NULL)
    {
      if (self->conn_task != NULL)
        self->cancel_requested = TRUE;
      return;
    }

  _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_CANCELLED, "cancelled",
                           g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                _("You cancelled the transfer")));
}

static void
on_confirm_reply (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = NULL;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  self = _kf_session_ref_client (session, KF_SESSION_PHASE_ACTIVE, NULL);
  if (reply != NULL || self == NULL || _kf_client_session_key_manager_gone (error))
    return;

  /* A refused confirmation cancels the session at the key manager too. */
  _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_FAILED, NULL,
                           g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                                        _("Key confirmation failed: %s"), error->message));
}

/*
 * send_confirmation:
 *
 * Step 7: encrypts the key manager's challenge under the session key with
 * @confirm_iv in the session's mode and sends it as `confirm`.  A local
 * cipher failure fails the session.
 */
static void
send_confirmation (KfClient                *self,
                   const KfProtocolMessage *key_msg)
{
  KfSession *session = self->session;
  g_autoptr(KfCipher) cipher = NULL;
  g_autoptr(KfProtocolMessage) confirm = kf_protocol_message_new (KF_MSG_CONFIRM);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  gsize tail = 0;

  cipher = kf_cipher_new (session->mode, KF_CIPHER_ENCRYPT,
                          session->keys->key, sizeof session->keys->key,
                          key_msg->confirm_iv, sizeof key_msg->confirm_iv, &error);
  if (cipher == NULL
      || !kf_cipher_update (cipher, key_msg->challenge, sizeof key_msg->challenge,
                            confirm->confirm, sizeof confirm->confirm, &len, &error)
      || !kf_cipher_finish (cipher, confirm->confirm + len, sizeof confirm->confirm - len,
                            &tail, &error))
    {
      _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_FAILED, "failed",
                               g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                                            _("Could not confirm the session key: %s"),
                                            error->message));
      return;
    }

  confirm->confirm_len = len + tail;
  kf_km_connection_request_async (self->km, confirm, NULL, on_confirm_reply,
                                  g_object_ref (session));
}

/*
 * start_session:
 *
 * `ev key`: a session begins (step 7), on the receiver unannounced, on the
 * sender after its `conn`.  Takes the key material into secure memory,
 * emits ::session-started and sends the key confirmation.
 */
static void
start_session (KfClient                *self,
               const KfProtocolMessage *msg)
{
  g_autoptr(KfSession) session = NULL;

  if (self->session != NULL)
    {
      g_warning ("The key manager started session %s during session %s; ignored",
                 msg->session_id, self->session->session_id);
      return;
    }

  session = _kf_session_new (self, msg);
  if (session->role == KF_CLIENT_ROLE_SENDER)
    session->conn_task = g_steal_pointer (&self->conn_task);
  if (session->conn_task != NULL)
    g_task_set_task_data (session->conn_task, GINT_TO_POINTER (TRUE), NULL);
  self->session = g_object_ref (session);
  g_signal_connect_object (session, "ended", G_CALLBACK (on_session_ended), self, 0);
  self->watch_active = FALSE;

  if (session->conn_task != NULL)
    _kf_client_session_watch_task (self, g_task_get_cancellable (session->conn_task));
  _kf_client_set_state (self, KF_CLIENT_STATE_CONFIRMING);
  _kf_client_notify_session (self);
  _kf_client_emit_session_started (self);

  if (session->keys == NULL)
    {
      _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_FAILED, "failed",
                               g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                                                    _("Out of secure memory for the session "
                                                      "keys")));
      return;
    }
  if (self->cancel_requested)
    {
      self->cancel_requested = FALSE;
      kf_client_cancel (self);
      return;
    }
  if (self->session == session)
    send_confirmation (self, msg);
}

/* A transfer the key manager confirmed: the peer's identity, as the peer
 * proved it on the link, becomes (or stays) a contact under its name. */
static void
remember_peer (KfClient  *self,
               KfSession *session)
{
  const guint8 *identity = kf_session_get_peer_identity (session);
  g_autoptr(GError) error = NULL;

  if (self->contacts == NULL || identity == NULL || session->peer_name == NULL)
    return;
  if (!kf_contacts_remember (self->contacts, session->peer_name, identity, &error))
    g_warning ("Could not remember %s as a contact: %s", session->peer_name, error->message);
}

/* `ev result`: the key manager's verdict on the block counts (step 11). */
static void
on_result (KfClient                *self,
           const KfProtocolMessage *msg)
{
  KfSession *session = self->session;
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *message = NULL;
  KfOutcomeStatus status;

  if (msg->verdict == KF_VERDICT_OK)
    {
      remember_peer (self, session);
      status = KF_OUTCOME_CONFIRMED;
      message = g_strdup_printf (_("The key manager confirmed the transfer: both sides counted "
                                   "%" PRIu64 " blocks"), msg->sender_blocks);
    }
  else if (msg->verdict == KF_VERDICT_MISMATCH)
    {
      status = KF_OUTCOME_MISMATCH;
      message = g_strdup_printf (_("The transfer is not confirmed: the block counts differ "
                                   "(sender %" PRIu64 ", receiver %" PRIu64 ")"),
                                 msg->sender_blocks, msg->receiver_blocks);
    }
  else
    {
      status = KF_OUTCOME_DIGEST_MISMATCH;
      message = g_strdup (_("The transfer is not confirmed: the block counts match but the "
                            "transfer digests differ"));
    }

  outcome = _kf_session_new_outcome (session, status, FALSE, message, NULL,
                                     msg->sender_blocks, msg->receiver_blocks);
  finish (self, outcome, TRUE);
}

/* `ev cancelled`: the key manager ended the session (the other side
 * cancelled or declined, it left, or a confirmation failed).  When this
 * side already saw the end, its account may be the better one. */
static void
on_cancelled (KfClient                *self,
              const KfProtocolMessage *msg)
{
  KfOutcomeStatus status;
  KfSessionWitness witness;
  GError *error = _kf_session_explain_cancelled (self->session, msg, &status, &witness);

  _kf_client_session_fail (self, witness, status, NULL, error);
}

/*
 * _kf_client_session_event:
 *
 * Routes the key manager's session events.  Events for another session id
 * than the current one (late, after a session this side already ended)
 * are ignored.
 */
void
_kf_client_session_event (KfClient                *self,
                          const KfProtocolMessage *msg)
{
  gboolean active;

  if (msg->type == KF_MSG_EV_KEY)
    {
      start_session (self, msg);
      return;
    }
  if (self->session == NULL || !g_str_equal (self->session->session_id, msg->session_id))
    {
      g_debug ("Ignored an event for session %s", msg->session_id);
      return;
    }

  active = self->session->phase == KF_SESSION_PHASE_ACTIVE;
  if (msg->type == KF_MSG_EV_LISTEN && active)
    _kf_client_session_listen (self);
  else if (msg->type == KF_MSG_EV_CONNECT && active)
    _kf_client_session_connect (self, msg);
  else if (msg->type == KF_MSG_EV_RESULT)
    on_result (self, msg);
  else if (msg->type == KF_MSG_EV_CANCELLED)
    on_cancelled (self, msg);
}
