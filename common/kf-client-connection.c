/* kf-client-connection.c: KfClient's link to the key manager: connect,
 * reconnect, end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connecting opens a KfKmConnection (TLS, pin, greeting).  Its events are
 * routed here: the waiting-list events to the peers model, the session
 * events to kf-client-session.c.  When the key manager goes away (a
 * restart, a crash, the network), a session in progress fails, ::disconnected
 * is emitted and the client tries again after 1 s, doubling to at most
 * BACKOFF_MAX_SECONDS, resuming `wait` and the watch; only a changed
 * certificate or a refused admission stops it, since those need a person.
 * `end` says goodbye and stays disconnected.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kf-client-private.h"

#define BACKOFF_MAX_SECONDS   30
/* The key manager drops clients that say nothing for its idle timeout
 * (15 minutes by default); a ping now and then keeps a waiting client
 * listed, with the same id. */
#define KEEPALIVE_SECONDS     60

static void schedule_reconnect (KfClient *self);

static void
on_km_event (KfKmConnection    *km,
             KfProtocolMessage *msg,
             gpointer           user_data)
{
  KfClient *self = user_data;

  if (km != self->km)
    return;

  if (msg->type == KF_MSG_EV_WAITING || msg->type == KF_MSG_EV_UNWAITING)
    _kf_client_on_watch_event (self, msg);
  else if (msg->type == KF_MSG_EV_SHUTDOWN)
    g_message ("The key manager is shutting down: %s", msg->text != NULL ? msg->text : "");
  else
    _kf_client_session_event (self, msg);
}

void
_kf_client_drop_connection (KfClient *self)
{
  if (self->km == NULL)
    return;

  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->km, self);
  kf_km_connection_close (self->km);
  g_clear_object (&self->km);
  self->watch_active = FALSE;
}

/* Hard failures need a person; anything else is worth another try. */
static gboolean
is_retryable (const GError *error)
{
  return !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_UNKNOWN_SERVER)
         && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED)
         && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED)
         && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_FAILED)
         && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_NAME_OWNED)
         && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_NOT_ENROLLED);
}

/* The key manager went away (or broke the protocol) under us. */
static void
on_km_closed (KfKmConnection *km,
              const GError   *error,
              gpointer        user_data)
{
  KfClient *self = user_data;
  g_autoptr(KfClient) keep = g_object_ref (self);

  if (km != self->km)
    return;

  _kf_client_drop_connection (self);
  if (self->saying_goodbye)
    {
      _kf_client_set_state (self, KF_CLIENT_STATE_DISCONNECTED);
      return;
    }

  g_message ("Lost the key manager: %s", error->message);
  self->resume_waiting = self->state == KF_CLIENT_STATE_WAITING;
  _kf_client_session_lost (self, error);
  _kf_client_task_fail (&self->conn_task, g_error_copy (error));
  g_list_store_remove_all (self->peers);
  _kf_client_set_last_error (self, error->message);
  _kf_client_set_state (self, KF_CLIENT_STATE_RECONNECTING);
  _kf_client_emit_disconnected (self, error);

  self->backoff = 1;
  schedule_reconnect (self);
}

static void
on_ping_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (reply == NULL && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED))
    g_debug ("ping: %s", error->message);
}

static gboolean
on_keepalive (gpointer user_data)
{
  KfClient *self = user_data;
  g_autoptr(KfProtocolMessage) ping = kf_protocol_message_new (KF_MSG_PING);

  if (self->km != NULL && kf_km_connection_is_open (self->km)
      && (self->state == KF_CLIENT_STATE_IDLE || self->state == KF_CLIENT_STATE_WAITING))
    kf_km_connection_request_async (self->km, ping, NULL, on_ping_reply, NULL);

  return G_SOURCE_CONTINUE;
}

/* Starts opening a fresh connection; @callback gets the KfKmConnection. */
static void
open_connection (KfClient            *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  _kf_client_drop_connection (self);
  self->km = kf_km_connection_new (self->host, self->port);
  g_signal_connect (self->km, "event", G_CALLBACK (on_km_event), self);
  g_signal_connect (self->km, "closed", G_CALLBACK (on_km_closed), self);
  kf_km_connection_open_async (self->km, self->known_servers, self->expected_fingerprint,
                               self->passphrase, self->name, kf_client_get_identity (self),
                               cancellable, callback, user_data);
}

/*
 * finish_open:
 *
 * Common end of a connect or reconnect attempt on @km: records the
 * fingerprint seen, and either moves to idle or drops the connection.
 * Returns %FALSE with the error when the attempt failed or is stale.
 */
static gboolean
finish_open (KfClient        *self,
             KfKmConnection  *km,
             GAsyncResult    *result,
             GError         **error)
{
  if (!kf_km_connection_open_finish (km, result, error))
    {
      if (km == self->km)
        {
          _kf_client_set_fingerprint (self, kf_km_connection_get_fingerprint (km));
          _kf_client_drop_connection (self);
        }
      return FALSE;
    }
  if (km != self->km)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("The connection attempt was superseded"));
      return FALSE;
    }

  _kf_client_set_fingerprint (self, kf_km_connection_get_fingerprint (km));
  _kf_client_set_client_id (self, kf_km_connection_get_client_id (km));
  self->keepalive_id = g_timeout_add_seconds (KEEPALIVE_SECONDS, on_keepalive, self);
  self->backoff = 0;
  _kf_client_set_last_error (self, NULL);
  _kf_client_set_state (self, KF_CLIENT_STATE_IDLE);
  g_message ("Connected to the key manager at %s port %u as client %u",
             self->host, self->port, self->client_id);

  return TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KfClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!finish_open (self, KF_KM_CONNECTION (source), result, &error))
    {
      if (KF_KM_CONNECTION (source) == self->km || self->km == NULL)
        {
          _kf_client_set_last_error (self, error->message);
          _kf_client_set_state (self, KF_CLIENT_STATE_DISCONNECTED);
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  _kf_client_sync_watch (self);
  g_task_return_boolean (task, TRUE);
}

/*
 * kf_client_connect_async:
 *
 * Connects, checks the pin and greets the key manager (step 1).  Allowed
 * when disconnected, or while reconnecting (the attempt is made at once).
 * See kf_client_connect_finish().
 */
void
kf_client_connect_async (KfClient            *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KF_IS_CLIENT (self));

  task = _kf_client_new_task (self, kf_client_connect_async, cancellable, callback, user_data);
  if (self->state != KF_CLIENT_STATE_DISCONNECTED && self->state != KF_CLIENT_STATE_RECONNECTING)
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                               _("Already connected to the key manager"));
      return;
    }

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->saying_goodbye = FALSE;
  _kf_client_set_state (self, KF_CLIENT_STATE_CONNECTING);
  open_connection (self, cancellable, on_connected, g_steal_pointer (&task));
}

/*
 * kf_client_connect_finish:
 *
 * Returns: %TRUE when greeted (state idle).  On
 * %KF_CLIENT_ERROR_UNKNOWN_SERVER, kf_client_get_fingerprint() holds the
 * server's fingerprint: show it, and after the user agrees call
 * kf_client_trust_fingerprint() and connect again.  Other errors:
 * %KF_CLIENT_ERROR_SERVER_CHANGED, %KF_CLIENT_ERROR_CONNECT,
 * %KF_CLIENT_ERROR_AUTH_REQUIRED, %KF_CLIENT_ERROR_AUTH_FAILED,
 * %KF_CLIENT_ERROR_PROTOCOL, %KF_CLIENT_ERROR_REFUSED.
 */
gboolean
kf_client_connect_finish (KfClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _kf_client_finish_boolean (self, result, kf_client_connect_async, error);
}

/*
 * kf_client_trust_fingerprint:
 *
 * Records the user's consent: pins @fingerprint for this client's host and
 * port in the known-servers store.  Returns %FALSE with
 * %G_IO_ERROR_INVALID_DATA for a malformed fingerprint, or the file error
 * when the store cannot be saved.
 */
gboolean
kf_client_trust_fingerprint (KfClient    *self,
                             const char  *fingerprint,
                             GError     **error)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  return kf_known_servers_add (self->known_servers, self->host, self->port, fingerprint, error);
}

static void
on_resumed_wait (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!kf_client_wait_finish (KF_CLIENT (source), result, &error))
    g_message ("Could not resume waiting after reconnecting: %s", error->message);
}

static void
on_reconnected (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KfClient) self = user_data;
  g_autoptr(GError) error = NULL;

  if (finish_open (self, KF_KM_CONNECTION (source), result, &error))
    {
      if (self->resume_waiting)
        kf_client_wait_async (self, self->cancellable, on_resumed_wait, NULL);
      else
        _kf_client_sync_watch (self);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->km != NULL)
    return;

  _kf_client_set_last_error (self, error->message);
  if (!is_retryable (error))
    {
      _kf_client_set_state (self, KF_CLIENT_STATE_DISCONNECTED);
      _kf_client_emit_disconnected (self, error);
      return;
    }

  self->backoff = MIN (self->backoff * 2, BACKOFF_MAX_SECONDS);
  schedule_reconnect (self);
}

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  KfClient *self = user_data;

  self->reconnect_id = 0;
  open_connection (self, self->cancellable, on_reconnected, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (KfClient *self)
{
  g_debug ("Reconnecting to the key manager in %u s", self->backoff);
  _kf_client_set_state (self, KF_CLIENT_STATE_RECONNECTING);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->reconnect_id = g_timeout_add_seconds (MAX (self->backoff, 1), on_reconnect_timeout, self);
}

static void
on_end_reply (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KfClient *self = g_task_get_source_object (task);
  g_autoptr(KfProtocolMessage) reply = NULL;
  GError *error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (reply == NULL && !g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED))
    {
      self->saying_goodbye = FALSE;
      g_task_return_error (task, error);
      return;
    }

  g_clear_error (&error);
  if (KF_KM_CONNECTION (source) == self->km)
    _kf_client_drop_connection (self);
  _kf_client_set_state (self, KF_CLIENT_STATE_DISCONNECTED);
  g_task_return_boolean (task, TRUE);
}

/*
 * kf_client_end_async:
 *
 * `end`: says goodbye and closes (step 12); no reconnection follows.
 * While disconnected or reconnecting it just stops trying.  Fails with
 * %KF_CLIENT_ERROR_BAD_STATE during a session (cancel it first).
 */
void
kf_client_end_async (KfClient            *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KF_IS_CLIENT (self));

  task = _kf_client_new_task (self, kf_client_end_async, cancellable, callback, user_data);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->km == NULL || self->state == KF_CLIENT_STATE_CONNECTING
      || self->state == KF_CLIENT_STATE_RECONNECTING)
    {
      _kf_client_drop_connection (self);
      _kf_client_set_state (self, KF_CLIENT_STATE_DISCONNECTED);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!_kf_client_check_state (self, task, KF_CLIENT_STATE_IDLE, KF_CLIENT_STATE_WAITING))
    return;

  self->saying_goodbye = TRUE;
  _kf_client_request (self, kf_protocol_message_new (KF_MSG_END), g_steal_pointer (&task),
                      on_end_reply);
}

gboolean
kf_client_end_finish (KfClient      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  return _kf_client_finish_boolean (self, result, kf_client_end_async, error);
}
