/* kf-client-session-link.c: a session's peer link and report (steps 8-10)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * After key confirmation, kf-client-session.c routes `ev listen` and
 * `ev connect` here: the receiver opens the peer listener and sends
 * `port`, the sender connects to the address the key manager gives; the
 * link, once up, carries the offer and the file (kf-client-transfer.c).
 * When the transfer is over on this side, its block count and digest go
 * to the key manager as `report`.  A failure of any of these ends the
 * session (_kf_client_session_fail()).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kf-client-private.h"
#include "kf-transfer-error.h"

/* Makes @link (taken) the session's link, with the client's idle
 * timeout.  Returns %FALSE when the session cannot take it: the session
 * then failed. */
static gboolean
take_link (KfClient   *self,
           KfSession  *session,
           KfPeerLink *link)
{
  GError *error = NULL;

  if (!_kf_session_take_link (session, link, &error))
    {
      _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_FAILED, "failed", error);
      return FALSE;
    }
  kf_peer_link_set_idle_timeout (session->link, self->idle_timeout);
  return TRUE;
}

static void
on_link_accepted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = NULL;
  g_autoptr(KfPeerLink) link = NULL;
  GError *error = NULL;

  link = kf_peer_listener_accept_finish (KF_PEER_LISTENER (source), result, &error);
  self = _kf_session_ref_client (session, KF_SESSION_PHASE_ACTIVE, &error);
  if (self == NULL)
    return;
  kf_peer_listener_close (session->listener);
  g_clear_object (&session->listener);
  if (link == NULL)
    {
      _kf_client_transfer_failed (self, error);
      return;
    }

  if (!take_link (self, session, g_steal_pointer (&link)))
    return;
  _kf_client_transfer_read_offer (self);
}

/* The reply to a step's request (`port`, `report`): `ok` needs nothing
 * done; an error the key manager gave fails the active session. */
static void
on_step_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = NULL;
  g_autoptr(KfProtocolMessage) reply = NULL;
  GError *error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  self = _kf_session_ref_client (session, KF_SESSION_PHASE_ACTIVE, NULL);
  if (reply != NULL || self == NULL || _kf_client_session_key_manager_gone (error))
    {
      g_clear_error (&error);
      return;
    }

  _kf_client_session_fail (self, KF_SESSION_WITNESS_OBSERVED, KF_OUTCOME_FAILED, "failed", error);
}

/* `ev listen`: the receiver opens its port, tells it, awaits the sender. */
void
_kf_client_session_listen (KfClient *self)
{
  KfSession *session = self->session;
  g_autoptr(KfProtocolMessage) port = kf_protocol_message_new (KF_MSG_PORT);
  GError *error = NULL;

  if (session->role != KF_CLIENT_ROLE_RECEIVER)
    return;

  _kf_client_set_state (self, KF_CLIENT_STATE_LINKING);
  session->listener = kf_peer_listener_new_in_range (session->keys, kf_client_get_identity (self),
                                                     self->peer_port_first,
                                                     self->peer_port_last, &error);
  if (session->listener == NULL)
    {
      _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_FAILED, "failed", error);
      return;
    }

  port->port = kf_peer_listener_get_port (session->listener);
  kf_km_connection_request_async (self->km, port, NULL, on_step_reply, g_object_ref (session));
  kf_peer_listener_accept_async (session->listener, KF_PEER_LINK_DEFAULT_TIMEOUT_MS,
                                 session->cancellable, on_link_accepted, g_object_ref (session));
}

static void
on_link_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = NULL;
  g_autoptr(KfPeerLink) link = NULL;
  GError *error = NULL;

  link = kf_peer_link_connect_finish (result, &error);
  self = _kf_session_ref_client (session, KF_SESSION_PHASE_ACTIVE, &error);
  if (self == NULL)
    return;
  if (link == NULL)
    {
      /* The link's message names the address; say whose it is. */
      if (error->domain == KF_TRANSFER_ERROR)
        g_prefix_error (&error, _("%s: "), _kf_session_peer_label (session));
      _kf_client_transfer_failed (self, error);
      return;
    }

  if (!take_link (self, session, g_steal_pointer (&link)))
    return;
  _kf_client_set_state (self, KF_CLIENT_STATE_READY_TO_SEND);
  if (session->conn_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&session->conn_task);
      g_task_return_boolean (task, TRUE);
    }
}

/* `ev connect`: the sender connects to the receiver and proves the key. */
void
_kf_client_session_connect (KfClient                *self,
                            const KfProtocolMessage *msg)
{
  KfSession *session = self->session;

  if (session->role != KF_CLIENT_ROLE_SENDER)
    return;

  _kf_client_set_state (self, KF_CLIENT_STATE_LINKING);
  kf_peer_link_connect_async (session->keys, kf_client_get_identity (self),
                              msg->address, msg->port,
                              KF_PEER_LINK_DEFAULT_TIMEOUT_MS, session->cancellable,
                              on_link_connected, g_object_ref (session));
}

/*
 * _kf_client_session_report:
 *
 * Step 10: the transfer is over on this side; reports the block count and
 * the transcript digest, then waits for the verdict.
 */
void
_kf_client_session_report (KfClient               *self,
                           const KfTransferResult *result)
{
  g_autoptr(KfProtocolMessage) report = kf_protocol_message_new (KF_MSG_REPORT);

  _kf_session_record_result (self->session, result);
  report->blocks = result->blocks;
  g_strlcpy (report->digest, result->digest, sizeof report->digest);
  _kf_client_set_state (self, KF_CLIENT_STATE_REPORTING);
  kf_km_connection_request_async (self->km, report, NULL, on_step_reply,
                                  g_object_ref (self->session));
}
