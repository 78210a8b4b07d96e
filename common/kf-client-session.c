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
 * Either way a receiver whose engine is saving the file waits for it to
 * stop, so that the outcome says truly whether the file is there: when the
 * whole file had arrived and passed every check of the peer link before the
 * end, it stays saved, and the outcome names it and says that only the key
 * manager's confirmation is missing (the sender's outcome says the same
 * once the receiver's DONE came in).
 *
 * In between: key confirmation (the challenge encrypted under the session
 * key with confirm_iv in the session's mode), then the receiver opens the
 * peer listener and sends `port`, the sender connects to the address the
 * key manager gives; the offer and the file go over the link
 * (kf-client-transfer.c); both report their block count and digest.
 *
 * Async work of a session carries a KfSessionCall: when it completes after
 * its session ended (or another began), it is dropped.
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-client-private.h"
#include "kf-transfer-error.h"

/*
 * kf_session_call_new:
 *
 * Returns: (transfer full): a token for async work of the current session;
 * it holds a reference to @self.
 */
KfSessionCall *
kf_session_call_new (KfClient *self)
{
  KfSessionCall *call = g_new0 (KfSessionCall, 1);

  g_assert (self->session != NULL);
  call->self = g_object_ref (self);
  call->serial = self->session->serial;

  return call;
}

/*
 * kf_session_call_get:
 *
 * Returns: (nullable): the session @call was made for, or %NULL when that
 * session is over (or ending: its `cancel` is on its way).
 */
KfClientSession *
kf_session_call_get (KfSessionCall *call)
{
  KfClientSession *session = call->self->session;

  if (session == NULL || session->serial != call->serial || session->ending)
    return NULL;

  return session;
}

void
kf_session_call_free (KfSessionCall *call)
{
  g_object_unref (call->self);
  g_free (call);
}

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
 * kf_client_session_watch_task:
 *
 * Makes cancelling @cancellable (the caller's, of conn or send_file)
 * cancel the session, as kf_client_cancel() does.
 */
void
kf_client_session_watch_task (KfClient     *self,
                              GCancellable *cancellable)
{
  KfClientSession *session = self->session;

  if (cancellable == NULL || session == NULL || cancellable == session->task_cancellable)
    return;

  if (session->task_cancel_id != 0)
    g_cancellable_disconnect (session->task_cancellable, session->task_cancel_id);
  g_clear_object (&session->task_cancellable);
  session->task_cancellable = g_object_ref (cancellable);
  session->task_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_task_cancelled),
                                                   self, NULL);
}

void
kf_client_session_free (KfClientSession *session)
{
  g_autoptr(GError) error = NULL;

  if (session->task_cancel_id != 0)
    g_cancellable_disconnect (session->task_cancellable, session->task_cancel_id);
  g_clear_object (&session->task_cancellable);
  g_cancellable_cancel (session->cancellable);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The session was closed"));
  kf_client_task_fail (&session->conn_task, g_error_copy (error));
  kf_client_task_fail (&session->send_task, g_error_copy (error));
  if (session->listener != NULL)
    kf_peer_listener_close (session->listener);
  g_clear_object (&session->listener);
  if (session->link != NULL && !session->link_busy)
    kf_peer_link_close (session->link);
  g_clear_object (&session->link);
  g_clear_object (&session->cancellable);
  g_clear_pointer (&session->keys, kf_session_keys_free);
  g_clear_pointer (&session->transfer_offer, kf_transfer_offer_free);
  g_clear_object (&session->offer);
  g_clear_object (&session->file);
  g_clear_error (&session->end_error);
  g_free (session->end_message);
  g_free (session->peer_name);
  g_free (session);
}

/* A name for the other side in messages: its display name. */
static const char *
peer_label (KfClientSession *session)
{
  return session->peer_name != NULL ? session->peer_name : _("The other side");
}

/*
 * finish:
 *
 * Ends the current session: back to idle, ::finished with @outcome, then
 * the pending conn/send_file calls complete (with the outcome, or @error).
 */
static void
finish (KfClient  *self,
        KfOutcome *outcome,
        GError    *error)
{
  KfClientSession *session = g_steal_pointer (&self->session);
  GTask *conn_task = g_steal_pointer (&session->conn_task);
  GTask *send_task = g_steal_pointer (&session->send_task);

  g_debug ("Session %s ended: %s", session->session_id,
           kf_outcome_status_to_string (kf_outcome_get_status (outcome)));
  kf_client_set_state (self, self->km != NULL ? KF_CLIENT_STATE_IDLE
                                              : KF_CLIENT_STATE_RECONNECTING);
  kf_client_notify_session (self);
  kf_client_sync_watch (self);
  kf_client_emit_finished (self, outcome);

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
  kf_client_session_free (session);
  g_clear_error (&error);
}

static KfOutcome *
new_outcome (KfClientSession *session,
             KfOutcomeStatus  status,
             gboolean         is_local,
             const char      *message,
             const GError    *error,
             guint64          sender_blocks,
             guint64          receiver_blocks)
{
  gboolean completed = status == KF_OUTCOME_CONFIRMED || status == KF_OUTCOME_MISMATCH
                       || status == KF_OUTCOME_DIGEST_MISMATCH;

  return g_object_new (KF_TYPE_OUTCOME,
                       "status", status,
                       "is-sender", session->role == KF_CLIENT_ROLE_SENDER,
                       "is-local", is_local,
                       "sender-blocks", sender_blocks,
                       "receiver-blocks", receiver_blocks,
                       "local-blocks", session->local_blocks,
                       "bytes", session->bytes,
                       "message", message,
                       "file", completed || session->delivered
                               || session->role == KF_CLIENT_ROLE_SENDER
                               ? session->file : NULL,
                       "mode", session->mode,
                       "error", error,
                       NULL);
}

/* What an outcome without a verdict adds when the file had arrived. */
static char *
delivered_note (KfClientSession *session)
{
  if (session->role == KF_CLIENT_ROLE_RECEIVER)
    return g_strdup_printf (_("The whole file had arrived and passed every check of the peer "
                              "link, and it is saved as %s; only the key manager’s "
                              "confirmation of the block counts is missing."),
                            session->file != NULL ? g_file_peek_path (session->file) : "");

  return g_strdup_printf (_("%s had received the whole file and checked it; only the key "
                            "manager’s confirmation of the block counts is missing."),
                          peer_label (session));
}

/* Ends the session now with what was recorded when it started ending. */
static void
finish_recorded (KfClient *self)
{
  KfClientSession *session = self->session;
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *message = NULL;

  if (session->delivered)
    {
      g_autofree char *note = delivered_note (session);

      message = g_strdup_printf ("%s%s %s", session->end_message,
                                 g_str_has_suffix (session->end_message, ".") ? "" : ".", note);
    }
  outcome = new_outcome (session, session->end_status, session->end_local,
                         message != NULL ? message : session->end_message,
                         session->end_error, 0, 0);
  finish (self, outcome, g_steal_pointer (&session->end_error));
}

/* Ends an ending session once nothing it waits for is left: the answer to
 * its `cancel`, and a receiving engine. */
static void
finish_when_ready (KfClient *self)
{
  KfClientSession *session = self->session;

  if (session->cancel_pending || session->receiving)
    return;

  finish_recorded (self);
}

/*
 * kf_client_session_restate:
 * @error: (transfer full): what the pending calls fail with; its message
 *   is the outcome's message
 *
 * Changes how an ending session will be reported, when a better account
 * of its end came in after it began ending.
 */
void
kf_client_session_restate (KfClient        *self,
                           KfOutcomeStatus  status,
                           gboolean         is_local,
                           GError          *error)
{
  KfClientSession *session = self->session;

  g_assert (session != NULL && session->ending);
  session->end_status = status;
  session->end_local = is_local;
  g_free (session->end_message);
  session->end_message = g_strdup (error->message);
  g_clear_error (&session->end_error);
  session->end_error = error;
}

/*
 * kf_client_session_engine_done:
 * @result: (nullable): what the engine achieved, when it did
 *
 * The transfer engine of a session that is ending returned: a receiver
 * that saved the whole file records it, and the session ends when it was
 * only waiting for that.
 */
void
kf_client_session_engine_done (KfClient               *self,
                               const KfTransferResult *result)
{
  KfClientSession *session = self->session;

  g_assert (session != NULL && session->ending);
  if (result != NULL)
    kf_client_session_record_result (self, result);
  session->receiving = FALSE;
  finish_when_ready (self);
}

static void
on_cancel_reply (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KfSessionCall) call = user_data;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  KfClient *self = call->self;

  /* Any answer will do: `ok`, or an error because the key manager had
   * already ended the session from the other side. */
  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (self->session != NULL && self->session->serial == call->serial)
    {
      self->session->cancel_pending = FALSE;
      finish_when_ready (self);
    }
}

/*
 * kf_client_session_fail:
 * @reason: (nullable): the word for `cancel <reason>` ("cancelled",
 *   "declined", ...); %NULL when the key manager already ended the session
 * @error: (transfer full): what the pending calls fail with; its message is
 *   the outcome's message
 *
 * Ends the current session early, once: stops the link and transfer work,
 * tells the key manager when @reason is given, and emits ::finished when
 * that is answered and a receiving engine has stopped.  Does nothing
 * without a session or when it is already ending.
 */
void
kf_client_session_fail (KfClient        *self,
                        KfOutcomeStatus  status,
                        gboolean         is_local,
                        const char      *reason,
                        GError          *error)
{
  KfClientSession *session = self->session;
  g_autoptr(KfProtocolMessage) cancel = NULL;

  if (session == NULL || session->ending)
    {
      g_clear_error (&error);
      return;
    }

  g_debug ("Session %s failing: %s", session->session_id, error->message);
  session->ending = TRUE;
  session->end_status = status;
  session->end_local = is_local;
  session->end_message = g_strdup (error->message);
  session->end_error = error;
  g_cancellable_cancel (session->cancellable);

  /* An idle link closes only once the key manager has our `cancel`: the
   * other side then hears the reason from it before it sees the link go. */
  if (reason == NULL || self->km == NULL || !kf_km_connection_is_open (self->km))
    {
      if (session->link != NULL && !session->link_busy)
        kf_peer_link_abort (session->link);
      finish_when_ready (self);
      return;
    }

  session->cancel_pending = TRUE;
  cancel = kf_protocol_message_new (KF_MSG_CANCEL);
  if (!kf_protocol_message_set_text (cancel, reason))
    kf_protocol_message_set_text (cancel, "failed");
  kf_km_connection_request_async (self->km, cancel, NULL, on_cancel_reply,
                                  kf_session_call_new (self));
}

/*
 * kf_client_session_lost:
 *
 * The key manager went away: the session (if any) fails at once.
 */
void
kf_client_session_lost (KfClient     *self,
                        const GError *error)
{
  if (self->session == NULL)
    return;
  if (self->session->ending)
    {
      /* Our `cancel` will not be answered now. */
      self->session->cancel_pending = FALSE;
      finish_when_ready (self);
      return;
    }

  kf_client_session_fail (self, KF_OUTCOME_FAILED, FALSE, NULL,
                          g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                                       self->session->delivered
                                       ? _("The key manager went away before its verdict (%s)")
                                       : _("The transfer stopped: the key manager went "
                                           "away (%s)"), error->message));
}

/* Whether a request of the session failed because the key manager went
 * away.  Then nothing is done with it: the connection's ::closed follows
 * at once, and kf_client_session_lost() ends the session, saying so. */
static gboolean
key_manager_gone (const GError *error)
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

  kf_client_session_fail (self, KF_OUTCOME_CANCELLED, TRUE, "cancelled",
                          g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               _("You cancelled the transfer")));
}

static void
on_confirm_reply (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KfSessionCall) call = user_data;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (reply != NULL || kf_session_call_get (call) == NULL || key_manager_gone (error))
    return;

  /* A refused confirmation cancels the session at the key manager too. */
  kf_client_session_fail (call->self, KF_OUTCOME_FAILED, TRUE, NULL,
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
  KfClientSession *session = self->session;
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
      kf_client_session_fail (self, KF_OUTCOME_FAILED, TRUE, "failed",
                              g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                                           _("Could not confirm the session key: %s"),
                                           error->message));
      return;
    }

  confirm->confirm_len = len + tail;
  kf_km_connection_request_async (self->km, confirm, NULL, on_confirm_reply,
                                  kf_session_call_new (self));
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
  KfClientSession *session;

  if (self->session != NULL)
    {
      g_warning ("The key manager started session %s during session %s; ignored",
                 msg->session_id, self->session->session_id);
      return;
    }

  session = g_new0 (KfClientSession, 1);
  session->serial = ++self->session_serial;
  g_strlcpy (session->session_id, msg->session_id, sizeof session->session_id);
  session->role = msg->role == KF_ROLE_SENDER ? KF_CLIENT_ROLE_SENDER : KF_CLIENT_ROLE_RECEIVER;
  session->peer_id = (guint) msg->id;
  session->peer_name = g_strdup (msg->name);
  session->mode = msg->mode;
  session->cancellable = g_cancellable_new ();
  session->keys = kf_session_keys_new (msg->session_id, msg->mode);
  if (session->keys != NULL)
    {
      memcpy (session->keys->key, msg->key, sizeof session->keys->key);
      memcpy (session->keys->iv, msg->iv, sizeof session->keys->iv);
      memcpy (session->keys->auth_key, msg->auth_key, sizeof session->keys->auth_key);
    }
  if (session->role == KF_CLIENT_ROLE_SENDER)
    session->conn_task = g_steal_pointer (&self->conn_task);
  if (session->conn_task != NULL)
    g_task_set_task_data (session->conn_task, GINT_TO_POINTER (TRUE), NULL);
  self->session = session;
  self->watch_active = FALSE;

  if (session->conn_task != NULL)
    kf_client_session_watch_task (self, g_task_get_cancellable (session->conn_task));
  kf_client_set_state (self, KF_CLIENT_STATE_CONFIRMING);
  kf_client_notify_session (self);
  kf_client_emit_session_started (self);

  if (session->keys == NULL)
    {
      kf_client_session_fail (self, KF_OUTCOME_FAILED, TRUE, "failed",
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

static void
on_link_accepted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KfSessionCall) call = user_data;
  g_autoptr(KfPeerLink) link = NULL;
  GError *error = NULL;
  KfClientSession *session;

  link = kf_peer_listener_accept_finish (KF_PEER_LISTENER (source), result, &error);
  session = kf_session_call_get (call);
  if (session == NULL)
    {
      g_clear_error (&error);
      return;
    }
  kf_peer_listener_close (session->listener);
  g_clear_object (&session->listener);
  if (link == NULL)
    {
      kf_client_transfer_failed (call->self, error);
      return;
    }

  session->link = g_steal_pointer (&link);
  kf_peer_link_set_idle_timeout (session->link, call->self->idle_timeout);
  kf_client_transfer_read_offer (call->self);
}

static void
on_port_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KfSessionCall) call = user_data;
  g_autoptr(KfProtocolMessage) reply = NULL;
  GError *error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (reply != NULL || kf_session_call_get (call) == NULL || key_manager_gone (error))
    {
      g_clear_error (&error);
      return;
    }

  kf_client_session_fail (call->self, KF_OUTCOME_FAILED, FALSE, "failed", error);
}

/* `ev listen`: the receiver opens its port, tells it, awaits the sender. */
static void
on_listen (KfClient *self)
{
  KfClientSession *session = self->session;
  g_autoptr(KfProtocolMessage) port = kf_protocol_message_new (KF_MSG_PORT);
  GError *error = NULL;

  if (session->role != KF_CLIENT_ROLE_RECEIVER)
    return;

  kf_client_set_state (self, KF_CLIENT_STATE_LINKING);
  session->listener = kf_peer_listener_new_in_range (session->keys, self->peer_port_first,
                                                     self->peer_port_last, &error);
  if (session->listener == NULL)
    {
      kf_client_session_fail (self, KF_OUTCOME_FAILED, TRUE, "failed", error);
      return;
    }

  port->port = kf_peer_listener_get_port (session->listener);
  kf_km_connection_request_async (self->km, port, NULL, on_port_reply,
                                  kf_session_call_new (self));
  kf_peer_listener_accept_async (session->listener, KF_PEER_LINK_DEFAULT_TIMEOUT_MS,
                                 session->cancellable, on_link_accepted,
                                 kf_session_call_new (self));
}

static void
on_link_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KfSessionCall) call = user_data;
  g_autoptr(KfPeerLink) link = NULL;
  GError *error = NULL;
  KfClientSession *session;

  link = kf_peer_link_connect_finish (result, &error);
  session = kf_session_call_get (call);
  if (session == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (link == NULL)
    {
      /* The link's message names the address; say whose it is. */
      if (error->domain == KF_TRANSFER_ERROR)
        g_prefix_error (&error, _("%s: "), peer_label (session));
      kf_client_transfer_failed (call->self, error);
      return;
    }

  session->link = g_steal_pointer (&link);
  kf_peer_link_set_idle_timeout (session->link, call->self->idle_timeout);
  kf_client_set_state (call->self, KF_CLIENT_STATE_READY_TO_SEND);
  if (session->conn_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&session->conn_task);
      g_task_return_boolean (task, TRUE);
    }
}

/* `ev connect`: the sender connects to the receiver and proves the key. */
static void
on_connect (KfClient                *self,
            const KfProtocolMessage *msg)
{
  KfClientSession *session = self->session;

  if (session->role != KF_CLIENT_ROLE_SENDER)
    return;

  kf_client_set_state (self, KF_CLIENT_STATE_LINKING);
  kf_peer_link_connect_async (session->keys, msg->address, msg->port,
                              KF_PEER_LINK_DEFAULT_TIMEOUT_MS, session->cancellable,
                              on_link_connected, kf_session_call_new (self));
}

/* `ev result`: the key manager's verdict on the block counts (step 11). */
static void
on_result (KfClient                *self,
           const KfProtocolMessage *msg)
{
  KfClientSession *session = self->session;
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *message = NULL;
  KfOutcomeStatus status;

  if (msg->verdict == KF_VERDICT_OK)
    {
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

  outcome = new_outcome (session, status, FALSE, message, NULL,
                         msg->sender_blocks, msg->receiver_blocks);
  finish (self, outcome, NULL);
}

/* What the key manager's `ev cancelled` means, as an outcome and error. */
static GError *
cancelled_error (KfClientSession         *session,
                 const KfProtocolMessage *msg,
                 KfOutcomeStatus         *status)
{
  const char *text = msg->text != NULL ? msg->text : "";

  *status = KF_OUTCOME_FAILED;
  switch (msg->cancel_reason)
    {
    case KF_CANCEL_PEER:
      if (g_str_equal (text, "declined"))
        {
          *status = KF_OUTCOME_DECLINED;
          return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED,
                              _("%s declined the file"), peer_label (session));
        }
      if (g_str_equal (text, "cancelled") || text[0] == '\0')
        {
          *status = KF_OUTCOME_CANCELLED;
          return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED,
                              _("%s cancelled the transfer"), peer_label (session));
        }
      return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED,
                          _("%s stopped the transfer (%s)"), peer_label (session), text);
    case KF_CANCEL_TIMEOUT:
      return g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                                  _("The key manager cancelled the session: a key confirmation "
                                    "did not arrive in time"));
    case KF_CANCEL_BAD_CONFIRM:
      return g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                                  _("The key manager cancelled the session: a key confirmation "
                                    "was wrong"));
    case KF_CANCEL_PEER_LEFT:
    default:
      return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                          _("%s left the key manager"), peer_label (session));
    }
}

/* `ev cancelled`: the key manager ended the session (the other side
 * cancelled or declined, it left, or a confirmation failed). */
static void
on_cancelled (KfClient                *self,
              const KfProtocolMessage *msg)
{
  KfClientSession *session = self->session;
  KfOutcomeStatus status;
  GError *error = cancelled_error (session, msg, &status);

  if (session->ending)
    {
      /* Both sides saw the end; the other side's account of a failure we
       * only noticed (a link gone) is the better one to show.  So is the
       * key manager's word that the peer left, when all we saw was its
       * connection ending, cleanly or in the middle of a record: a peer
       * killed while it wrote, not a tampered stream. */
      if (!session->end_local
          && (msg->cancel_reason == KF_CANCEL_PEER
              || (msg->cancel_reason == KF_CANCEL_PEER_LEFT
                  && (g_error_matches (session->end_error, KF_TRANSFER_ERROR,
                                       KF_TRANSFER_ERROR_PEER_GONE)
                      || g_error_matches (session->end_error, KF_TRANSFER_ERROR,
                                          KF_TRANSFER_ERROR_TRUNCATED)))))
        kf_client_session_restate (self, status, FALSE, g_steal_pointer (&error));
      g_clear_error (&error);
      return;
    }

  kf_client_session_fail (self, status, FALSE, NULL, error);
}

/*
 * kf_client_session_event:
 *
 * Routes the key manager's session events.  Events for another session id
 * than the current one (late, after a session this side already ended)
 * are ignored.
 */
void
kf_client_session_event (KfClient                *self,
                         const KfProtocolMessage *msg)
{
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

  if (msg->type == KF_MSG_EV_LISTEN && !self->session->ending)
    on_listen (self);
  else if (msg->type == KF_MSG_EV_CONNECT && !self->session->ending)
    on_connect (self, msg);
  else if (msg->type == KF_MSG_EV_RESULT)
    on_result (self, msg);
  else if (msg->type == KF_MSG_EV_CANCELLED)
    on_cancelled (self, msg);
}

static void
on_report_reply (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KfSessionCall) call = user_data;
  g_autoptr(KfProtocolMessage) reply = NULL;
  GError *error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (reply != NULL || kf_session_call_get (call) == NULL || key_manager_gone (error))
    {
      g_clear_error (&error);
      return;
    }

  kf_client_session_fail (call->self, KF_OUTCOME_FAILED, FALSE, "failed", error);
}

/*
 * kf_client_session_record_result:
 *
 * The engine finished: the receiver saved the whole file, the sender got
 * its DONE.  Records the counts and the saved file.
 */
void
kf_client_session_record_result (KfClient               *self,
                                 const KfTransferResult *result)
{
  KfClientSession *session = self->session;

  session->delivered = TRUE;
  session->local_blocks = result->blocks;
  session->bytes = result->plain_bytes;
  if (session->role == KF_CLIENT_ROLE_RECEIVER && result->path != NULL)
    {
      g_clear_object (&session->file);
      session->file = g_file_new_for_path (result->path);
    }
}

/*
 * kf_client_session_report:
 *
 * Step 10: the transfer is over on this side; reports the block count and
 * the transcript digest, then waits for the verdict.
 */
void
kf_client_session_report (KfClient               *self,
                          const KfTransferResult *result)
{
  g_autoptr(KfProtocolMessage) report = kf_protocol_message_new (KF_MSG_REPORT);

  kf_client_session_record_result (self, result);
  report->blocks = result->blocks;
  g_strlcpy (report->digest, result->digest, sizeof report->digest);
  kf_client_set_state (self, KF_CLIENT_STATE_REPORTING);
  kf_km_connection_request_async (self->km, report, NULL, on_report_reply,
                                  kf_session_call_new (self));
}
