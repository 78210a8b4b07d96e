/* kf-client-commands.c: KfClient's commands outside a session (steps 3-6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `wait`, `cancel` while waiting, `send` (the list of waiting peers),
 * `conn` (the session then starts with `ev key`, kf-client-session.c), and
 * `watch`/`unwatch`, which keep the peers model live for the GUI: the key
 * manager sends the current list, then `ev waiting`/`ev unwaiting` as
 * clients come and go, until we leave idle.  KfClient asks again for the
 * watch each time it is idle again, so the model stays live across
 * sessions.
 *
 * The key manager lists at most 100 peers per reply, by increasing id,
 * and says `more` when others follow; KfClient then asks for the next page
 * after the last id, until it has them all, so the front ends always get
 * every waiting peer.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kf-client-private.h"

/* Fails @task with %KF_CLIENT_ERROR_BAD_STATE unless the state is one of
 * the two given; returns whether it may go on. */
gboolean
_kf_client_check_state (KfClient      *self,
                        GTask         *task,
                        KfClientState  allowed,
                        KfClientState  also_allowed)
{
  if (self->state == allowed || self->state == also_allowed)
    return TRUE;

  if (self->state == KF_CLIENT_STATE_DISCONNECTED || self->state == KF_CLIENT_STATE_CONNECTING
      || self->state == KF_CLIENT_STATE_RECONNECTING)
    g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                             _("Not connected to the key manager"));
  else
    g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                             _("Not possible while a transfer session is in progress"));

  return FALSE;
}

/* Sends @msg (taking it); the reply goes to @callback with @task (taking
 * it) as user data. */
void
_kf_client_request (KfClient            *self,
                    KfProtocolMessage   *msg,
                    GTask               *task,
                    GAsyncReadyCallback  callback)
{
  kf_km_connection_request_async (self->km, msg, g_task_get_cancellable (task),
                                  callback, task);
  kf_protocol_message_free (msg);
}

/*
 * _kf_client_new_task:
 * @source_tag: the public _async function the task is for
 *
 * Returns: (transfer full): the task of a public async call, tagged so
 * that its _finish can check the result it is given.
 */
GTask *
_kf_client_new_task (KfClient            *self,
                     gpointer             source_tag,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

/* Whether @result is the result of @self's public call @source_tag: what
 * every _finish checks first. */
gboolean
_kf_client_is_result (KfClient     *self,
                      GAsyncResult *result,
                      gpointer      source_tag)
{
  return g_task_is_valid (result, self) && g_task_get_source_tag (G_TASK (result)) == source_tag;
}

/*
 * _kf_client_finish_boolean:
 * @source_tag: the public _async function @result must come from
 *
 * The _finish of a public async call that completes with a boolean.
 * Returns: %TRUE on success, or %FALSE with the call's error.
 */
gboolean
_kf_client_finish_boolean (KfClient      *self,
                           GAsyncResult  *result,
                           gpointer       source_tag,
                           GError       **error)
{
  g_return_val_if_fail (_kf_client_is_result (self, result, source_tag), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/*
 * _kf_client_command:
 * @task: (transfer full): the public call's task; @callback's user data
 *
 * Sends the command @type when the state is @allowed or @also_allowed;
 * otherwise fails @task with %KF_CLIENT_ERROR_BAD_STATE, saying why.
 */
void
_kf_client_command (KfClient            *self,
                    KfMsgType            type,
                    GTask               *task,
                    KfClientState        allowed,
                    KfClientState        also_allowed,
                    GAsyncReadyCallback  callback)
{
  if (!_kf_client_check_state (self, task, allowed, also_allowed))
    {
      g_object_unref (task);
      return;
    }

  _kf_client_request (self, kf_protocol_message_new (type), task, callback);
}

/*
 * _kf_client_reply_or_fail:
 * @lines: (out) (optional): the reply's peer lines
 *
 * The key manager's answer to a command sent for @task.
 *
 * Returns: (transfer full) (nullable): the reply, or %NULL after failing
 * @task with the error (an `err` line, or the key manager gone).
 */
KfProtocolMessage *
_kf_client_reply_or_fail (GObject       *source,
                          GAsyncResult  *result,
                          GTask         *task,
                          GPtrArray    **lines)
{
  GError *error = NULL;
  KfProtocolMessage *reply;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, lines, &error);
  if (reply == NULL)
    g_task_return_error (task, error);

  return reply;
}

/* Fills the peers model from the `peer` lines of a `send` or `watch`. */
static GPtrArray *
replace_peers (KfClient  *self,
               GPtrArray *lines)
{
  GPtrArray *peers = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; lines != NULL && i < lines->len; i++)
    {
      const KfProtocolMessage *line = g_ptr_array_index (lines, i);
      KfPeer *peer = kf_peer_new ((guint) line->id, line->name);

      kf_peer_set_public_key (peer, line->public_key);
      g_ptr_array_add (peers, peer);
    }
  g_list_store_splice (self->peers, 0, g_list_model_get_n_items (G_LIST_MODEL (self->peers)),
                       peers->pdata, peers->len);

  return peers;
}

/* A `send` or `watch` request for the page after @after (0: the first). */
static KfProtocolMessage *
page_request (KfMsgType type,
              guint64   after)
{
  KfProtocolMessage *msg = kf_protocol_message_new (type);

  msg->id = after;
  return msg;
}

/* The id the next page starts after: the last peer line's. */
static guint64
last_id (GPtrArray *lines)
{
  return lines != NULL && lines->len > 0
         ? ((const KfProtocolMessage *) g_ptr_array_index (lines, lines->len - 1))->id : 0;
}

/* Whether another page should be asked for after @reply and its @lines. */
static gboolean
wants_next_page (const KfProtocolMessage *reply,
                 GPtrArray               *lines)
{
  return reply->more && last_id (lines) != 0;
}

/* Adds the peers of a further `watch` page to the live model, but not
 * those an `ev waiting` already put there. */
static void
append_peers (KfClient  *self,
              GPtrArray *lines)
{
  for (guint i = 0; lines != NULL && i < lines->len; i++)
    {
      const KfProtocolMessage *line = g_ptr_array_index (lines, i);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));
      gboolean known = FALSE;

      for (guint j = 0; j < n && !known; j++)
        {
          g_autoptr(KfPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), j);

          known = kf_peer_get_id (peer) == line->id;
        }
      if (!known)
        {
          g_autoptr(KfPeer) peer = kf_peer_new ((guint) line->id, line->name);

          kf_peer_set_public_key (peer, line->public_key);

          g_list_store_append (self->peers, peer);
        }
    }
}

static void
remove_peer (KfClient *self,
             guint     id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KfPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

      if (kf_peer_get_id (peer) == id)
        {
          g_list_store_remove (self->peers, i);
          return;
        }
    }
}

static void
on_watch_reply (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KfClient) self = user_data;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(KfProtocolMessage) next = NULL;
  g_autoptr(GError) error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, &lines, &error);
  if (source != (GObject *) self->km)
    return;
  if (reply == NULL)
    {
      g_debug ("watch/unwatch failed: %s", error->message);
      self->watch_active = FALSE;
      return;
    }
  if (reply->reply_to != KF_MSG_WATCH || !self->watch_active)
    return;
  /* The first page replaces the model; later ones (asked after the last
   * id) add to it, while `ev waiting`/`ev unwaiting` keep it live. */
  if (self->watch_paging)
    append_peers (self, lines);
  else
    peers = replace_peers (self, lines);
  self->watch_paging = wants_next_page (reply, lines);
  if (!self->watch_paging || self->state != KF_CLIENT_STATE_IDLE)
    {
      self->watch_paging = FALSE;
      return;
    }
  next = page_request (KF_MSG_WATCH, last_id (lines));
  kf_km_connection_request_async (self->km, next, self->cancellable,
                                  on_watch_reply, g_object_ref (self));
}

/*
 * _kf_client_sync_watch:
 *
 * Makes the key manager's watch match what the user asked for.  Watching
 * is only possible while idle; the key manager stops it by itself when we
 * leave idle, so this runs again each time we come back.
 */
void
_kf_client_sync_watch (KfClient *self)
{
  g_autoptr(KfProtocolMessage) msg = NULL;

  if (self->state != KF_CLIENT_STATE_IDLE || self->watching == self->watch_active)
    return;

  self->watch_active = self->watching;
  self->watch_paging = FALSE;
  msg = kf_protocol_message_new (self->watching ? KF_MSG_WATCH : KF_MSG_UNWATCH);
  kf_km_connection_request_async (self->km, msg, self->cancellable,
                                  on_watch_reply, g_object_ref (self));
}

/*
 * kf_client_set_watching:
 *
 * Keeps the peers model live (the GUI's list): the current waiting list,
 * then every client that starts or stops waiting.  Takes effect while idle.
 */
void
kf_client_set_watching (KfClient *self,
                        gboolean  watching)
{
  g_return_if_fail (KF_IS_CLIENT (self));

  watching = !!watching;
  if (self->watching == watching)
    return;

  self->watching = watching;
  _kf_client_notify_watching (self);
  _kf_client_sync_watch (self);
}

/* `ev waiting` and `ev unwaiting` keep the model live while watching. */
void
_kf_client_on_watch_event (KfClient                *self,
                           const KfProtocolMessage *msg)
{
  g_autoptr(KfPeer) peer = NULL;

  if (!self->watch_active || msg->id == self->client_id)
    return;

  remove_peer (self, (guint) msg->id);
  if (msg->type == KF_MSG_EV_WAITING)
    {
      peer = kf_peer_new ((guint) msg->id, msg->name);
      kf_peer_set_public_key (peer, msg->public_key);
      g_list_store_append (self->peers, peer);
    }
}

static void
on_wait_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KfClient *self = g_task_get_source_object (task);
  g_autoptr(KfProtocolMessage) reply = _kf_client_reply_or_fail (source, result, task, NULL);

  if (reply == NULL)
    return;

  self->watch_active = FALSE;
  if (self->state == KF_CLIENT_STATE_IDLE)
    _kf_client_set_state (self, KF_CLIENT_STATE_WAITING);
  g_task_return_boolean (task, TRUE);
}

/*
 * kf_client_wait_async:
 *
 * `wait`: idle → waiting, listed for senders (steps 3-4).  Fails with
 * %KF_CLIENT_ERROR_BAD_STATE when not idle.
 */
void
kf_client_wait_async (KfClient            *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (KF_IS_CLIENT (self));

  _kf_client_command (self, KF_MSG_WAIT,
                      _kf_client_new_task (self, kf_client_wait_async,
                                           cancellable, callback, user_data),
                      KF_CLIENT_STATE_IDLE, KF_CLIENT_STATE_IDLE, on_wait_reply);
}

gboolean
kf_client_wait_finish (KfClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return _kf_client_finish_boolean (self, result, kf_client_wait_async, error);
}

static void
on_stop_waiting_reply (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KfClient *self = g_task_get_source_object (task);
  g_autoptr(KfProtocolMessage) reply = _kf_client_reply_or_fail (source, result, task, NULL);

  if (reply == NULL)
    return;

  /* A sender may have picked us just before the key manager read `cancel`:
   * it then cancelled that session, so it ends here too. */
  if (self->session != NULL)
    _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_CANCELLED, NULL,
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("You stopped waiting")));
  else if (self->state == KF_CLIENT_STATE_WAITING)
    _kf_client_set_state (self, KF_CLIENT_STATE_IDLE);
  _kf_client_sync_watch (self);
  g_task_return_boolean (task, TRUE);
}

/*
 * kf_client_stop_waiting_async:
 *
 * `cancel` while waiting: waiting → idle.  Fails with
 * %KF_CLIENT_ERROR_BAD_STATE when not waiting.
 */
void
kf_client_stop_waiting_async (KfClient            *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KF_IS_CLIENT (self));

  task = _kf_client_new_task (self, kf_client_stop_waiting_async,
                              cancellable, callback, user_data);
  if (self->state != KF_CLIENT_STATE_WAITING)
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                               _("Not waiting"));
      return;
    }

  _kf_client_request (self, kf_protocol_message_new (KF_MSG_CANCEL), g_steal_pointer (&task),
                      on_stop_waiting_reply);
}

gboolean
kf_client_stop_waiting_finish (KfClient      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return _kf_client_finish_boolean (self, result, kf_client_stop_waiting_async, error);
}

static void
on_list_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KfClient *self = g_task_get_source_object (task);
  GPtrArray *pages = g_task_get_task_data (task);
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  guint64 after;

  reply = _kf_client_reply_or_fail (source, result, task, &lines);
  if (reply == NULL)
    return;
  after = wants_next_page (reply, lines) ? last_id (lines) : 0;
  if (lines != NULL)
    g_ptr_array_extend_and_steal (pages, g_steal_pointer (&lines));
  if (after != 0)
    {
      _kf_client_request (self, page_request (KF_MSG_SEND, after), g_steal_pointer (&task),
                          on_list_reply);
      return;
    }

  g_task_return_pointer (task, replace_peers (self, pages), (GDestroyNotify) g_ptr_array_unref);
}

/*
 * kf_client_list_peers_async:
 *
 * `send`: asks for the clients waiting now (step 5), and refreshes the
 * peers model.  Allowed while idle or waiting.
 */
void
kf_client_list_peers_async (KfClient            *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KF_IS_CLIENT (self));

  task = _kf_client_new_task (self, kf_client_list_peers_async, cancellable, callback, user_data);
  /* Every page's peer lines, until the last page has come. */
  g_task_set_task_data (task, g_ptr_array_new_with_free_func ((GDestroyNotify) kf_protocol_message_free),
                        (GDestroyNotify) g_ptr_array_unref);
  _kf_client_command (self, KF_MSG_SEND, g_steal_pointer (&task),
                      KF_CLIENT_STATE_IDLE, KF_CLIENT_STATE_WAITING, on_list_reply);
}

/*
 * kf_client_list_peers_finish:
 *
 * Returns: (transfer container) (element-type KfPeer): every waiting
 * peer, by increasing id (the key manager's pages, put together),
 * possibly none; %NULL with the error.
 */
GPtrArray *
kf_client_list_peers_finish (KfClient      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (_kf_client_is_result (self, result, kf_client_list_peers_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_conn_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KfClient) self = user_data;
  g_autoptr(KfProtocolMessage) reply = NULL;
  GError *error = NULL;

  reply = kf_km_connection_request_finish (KF_KM_CONNECTION (source), result, NULL, &error);
  if (reply != NULL)
    return;

  self->cancel_requested = FALSE;
  _kf_client_task_fail (&self->conn_task, error);
}

/*
 * kf_client_conn_async:
 *
 * `conn <peer_id> <mode>` (step 6): pairs with a waiting peer, confirms the
 * key and connects the peer link.  Completes in state READY_TO_SEND; then
 * call kf_client_send_file_async().  Fails with
 * %KF_CLIENT_ERROR_NO_SUCH_PEER when the peer is no longer waiting,
 * %KF_CLIENT_ERROR_BAD_STATE when not idle, or with the session's error
 * (::finished is then emitted too) when it ends before the link is up.
 * Cancelling @cancellable cancels the session.  See
 * kf_client_conn_finish() for telling these failures apart.
 */
void
kf_client_conn_async (KfClient            *self,
                      guint                peer_id,
                      KfCipherMode         mode,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(KfProtocolMessage) conn = NULL;

  g_return_if_fail (KF_IS_CLIENT (self));

  task = _kf_client_new_task (self, kf_client_conn_async, cancellable, callback, user_data);
  g_task_set_check_cancellable (task, FALSE);
  if (self->state != KF_CLIENT_STATE_IDLE || self->conn_task != NULL)
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                               self->state == KF_CLIENT_STATE_WAITING
                               ? _("Stop waiting before sending a file")
                               : _("Connect to the key manager and finish the current "
                                   "session first"));
      return;
    }

  conn = kf_protocol_message_new (KF_MSG_CONN);
  conn->id = peer_id;
  conn->mode = mode;
  self->conn_task = g_steal_pointer (&task);
  self->cancel_requested = FALSE;
  kf_km_connection_request_async (self->km, conn, NULL, on_conn_reply, g_object_ref (self));
}

/*
 * kf_client_conn_finish:
 * @session_started: (out) (optional): whether a session started (`ev key`)
 *
 * Returns: %TRUE when the peer link is up (state READY_TO_SEND; a session
 * started).  On failure, *@session_started says who tells the user: when
 * %TRUE the session started and ended, and its ::finished (already
 * emitted) carries the outcome; when %FALSE no session started (the key
 * manager refused `conn`, the connection went away first) and only @error
 * explains it.
 */
gboolean
kf_client_conn_finish (KfClient      *self,
                       GAsyncResult  *result,
                       gboolean      *session_started,
                       GError       **error)
{
  g_return_val_if_fail (_kf_client_is_result (self, result, kf_client_conn_async), FALSE);

  if (session_started != NULL)
    *session_started = GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));

  return _kf_client_finish_boolean (self, result, kf_client_conn_async, error);
}

static void
on_block_reply (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(KfProtocolMessage) reply = _kf_client_reply_or_fail (source, result, task, NULL);

  if (reply != NULL)
    g_task_return_boolean (task, TRUE);
}

/*
 * kf_client_block_async:
 * @public_key: the identity to block, KF_IDENTITY_PUBLIC_KEY_SIZE bytes
 *
 * `block`: for as long as this connection lasts, the key manager refuses
 * every `conn` to this client from that identity (from any of its
 * connections).  Allowed in every connected state, in a session too: a
 * receiver blocks a sender whose offer it declines.  Fails with
 * %KF_CLIENT_ERROR_BAD_STATE when not connected.
 */
void
kf_client_block_async (KfClient            *self,
                       const guint8        *public_key,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KfProtocolMessage *msg;

  g_return_if_fail (KF_IS_CLIENT (self));
  g_return_if_fail (public_key != NULL);

  task = _kf_client_new_task (self, kf_client_block_async, cancellable, callback, user_data);
  if (self->km == NULL || !kf_client_is_connected (self))
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                               _("Not connected to the key manager"));
      return;
    }
  msg = kf_protocol_message_new (KF_MSG_BLOCK);
  memcpy (msg->public_key, public_key, sizeof msg->public_key);
  _kf_client_request (self, msg, g_steal_pointer (&task), on_block_reply);
}

gboolean
kf_client_block_finish (KfClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return _kf_client_finish_boolean (self, result, kf_client_block_async, error);
}
