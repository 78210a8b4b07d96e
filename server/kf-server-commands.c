/* kf-server-commands.c: what each client command does in each state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This file is the state × command table of docs/PROTOCOL.md in code.
 * _kf_server_handle_message() receives every parsed line; each handler
 * checks the state it is allowed in (answering `err bad-state` otherwise),
 * does the work and sends exactly one reply, plus whatever events the
 * other peer or the watchers get.  The greeting's own commands, `auth`
 * and `hello`, are in kf-server-greeting.c.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-hex.h"
#include "kf-server-log.h"
#include "kf-server-private.h"

static void
bad_state (KfServerClient *client,
           const char     *why)
{
  kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_STATE, why);
}

/* `wait`: idle → waiting; a watcher stops watching. */
static void
handle_wait (KfServer          *self,
             KfServerClient    *client,
             KfProtocolMessage *msg)
{
  KfServerRegistry *registry = _kf_server_get_registry (self);

  if (kf_server_client_get_phase (client) != KF_CLIENT_IDLE)
    {
      bad_state (client, _("Only an idle client can start waiting"));
      return;
    }

  kf_server_registry_set_watching (registry, client, FALSE);
  kf_server_client_set_phase (client, KF_CLIENT_WAITING);
  kf_server_client_send_ok (client, KF_MSG_WAIT);
  kf_server_registry_set_waiting (registry, client, TRUE);
}

/* `send [<after>]` and `watch [<after>]`: one page of the waiting list
 * as peer lines, by increasing id after @after, then the reply, which
 * says `more` when further pages follow. */
static void
send_list (KfServer       *self,
           KfServerClient *client,
           KfMsgType       reply_to,
           guint64         after)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(KfProtocolMessage) ok = kf_protocol_message_new_ok (reply_to);

  list = kf_server_registry_list_waiting_after (_kf_server_get_registry (self), client, after,
                                                KF_PROTOCOL_MAX_PEERS, &ok->more);
  for (guint i = 0; i < list->len; i++)
    {
      g_autoptr(KfProtocolMessage) peer = kf_protocol_message_new (KF_MSG_PEER);
      KfServerClient *waiting = g_ptr_array_index (list, i);

      peer->id = kf_server_client_get_id (waiting);
      kf_protocol_message_set_name (peer, kf_server_client_get_name (waiting));
      memcpy (peer->public_key, kf_server_client_get_public_key (waiting),
              sizeof peer->public_key);
      kf_server_client_send (client, peer);
    }
  ok->count = list->len;
  kf_server_client_send (client, ok);
}

static void
handle_send (KfServer          *self,
             KfServerClient    *client,
             KfProtocolMessage *msg)
{
  KfClientPhase phase = kf_server_client_get_phase (client);

  if (phase != KF_CLIENT_IDLE && phase != KF_CLIENT_WAITING)
    {
      bad_state (client, _("Finish or cancel the current transfer first"));
      return;
    }
  send_list (self, client, KF_MSG_SEND, msg->id);
}

static void
handle_watch (KfServer          *self,
              KfServerClient    *client,
              KfProtocolMessage *msg)
{
  if (kf_server_client_get_phase (client) != KF_CLIENT_IDLE)
    {
      bad_state (client, _("Only an idle client can watch the waiting list"));
      return;
    }
  send_list (self, client, KF_MSG_WATCH, msg->id);
  kf_server_registry_set_watching (_kf_server_get_registry (self), client, TRUE);
}

static void
handle_unwatch (KfServer          *self,
                KfServerClient    *client,
                KfProtocolMessage *msg)
{
  KfClientPhase phase = kf_server_client_get_phase (client);

  if (phase != KF_CLIENT_IDLE && phase != KF_CLIENT_WAITING)
    {
      bad_state (client, _("Not watching the waiting list"));
      return;
    }
  kf_server_registry_set_watching (_kf_server_get_registry (self), client, FALSE);
  kf_server_client_send_ok (client, KF_MSG_UNWATCH);
}

/* Sends each peer its `ev key`. */
static void
send_keys (KfServerSession *session)
{
  for (guint role = 0; role < 2; role++)
    {
      KfServerClient *peer = kf_server_session_get_peer (session, role);
      KfServerClient *other = kf_server_session_get_peer (session, 1 - role);
      g_autoptr(KfProtocolMessage) key = NULL;

      key = kf_server_session_key_message (session, role, kf_server_client_get_id (other),
                                           kf_server_client_get_name (other));
      if (key != NULL)
        memcpy (key->public_key, kf_server_client_get_public_key (other),
                sizeof key->public_key);
      kf_server_client_send (peer, key);
    }
}

/* The rate limit of `conn` (docs/PROTOCOL.md part 1 §5): one token of the
 * client's identity, shared by all its connections.  Answers
 * `err rate-limited` and returns %FALSE when it has none left. */
static gboolean
take_conn_token (KfServer       *self,
                 KfServerClient *client)
{
  g_autofree char *key = kf_hex_encode (kf_server_client_get_public_key (client),
                                        KF_PROTOCOL_PUBLIC_KEY_SIZE);
  g_autofree char *text = NULL;
  guint retry_after = 0;

  if (kf_server_rate_take (_kf_server_get_conn_rate (self), key, g_get_monotonic_time (),
                           &retry_after))
    return TRUE;
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Too many pairings in a short time; try again in %u second",
                                       "Too many pairings in a short time; try again in %u seconds",
                                       retry_after), retry_after);
  kf_server_client_send_error (client, KF_PROTOCOL_ERROR_RATE_LIMITED, text);
  return FALSE;
}

/* `block <public_key>`: this connection refuses that identity's conn from
 * now on (docs/PROTOCOL.md part 1 §5). */
static void
handle_block (KfServer          *self,
              KfServerClient    *client,
              KfProtocolMessage *msg)
{
  kf_server_client_block (client, msg->public_key);
  kf_server_client_send_ok (client, KF_MSG_BLOCK);
}

/* `conn <peer_id> <mode>`: pairs an idle sender with a waiting receiver. */
static void
handle_conn (KfServer          *self,
             KfServerClient    *client,
             KfProtocolMessage *msg)
{
  KfServerRegistry *registry = _kf_server_get_registry (self);
  g_autoptr(KfServerSession) session = NULL;
  g_autoptr(KfProtocolMessage) ok = kf_protocol_message_new_ok (KF_MSG_CONN);
  g_autoptr(GError) error = NULL;
  KfServerClient *receiver;

  if (kf_server_client_get_phase (client) != KF_CLIENT_IDLE)
    {
      bad_state (client, _("Only an idle client can connect; cancel waiting first"));
      return;
    }
  if (msg->id == kf_server_client_get_id (client))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_SELF,
                                            _("You cannot send to yourself"));
      return;
    }
  if (!take_conn_token (self, client))
    return;
  receiver = kf_server_registry_lookup (registry, msg->id);
  if (receiver == NULL || !kf_server_registry_is_waiting (registry, receiver)
      || kf_server_client_blocks (receiver, kf_server_client_get_public_key (client)))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_NO_SUCH_PEER,
                                            _("That client is not waiting (any more)"));
      return;
    }
  session = _kf_server_open_session (self, msg->mode, &error);
  if (session == NULL)
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_INTERNAL, error->message);
      return;
    }

  kf_server_registry_set_waiting (registry, receiver, FALSE);
  kf_server_registry_set_watching (registry, client, FALSE);
  kf_server_session_start (session, client, receiver, _kf_server_get_timers (self),
                           _kf_server_get_config (self)->confirm_timeout_ms);

  g_strlcpy (ok->session_id, kf_server_session_get_id (session), sizeof ok->session_id);
  kf_server_client_send (client, ok);
  send_keys (session);
  kf_server_log_event (&(KfServerLogEvent) {
                         .message_id = KF_LOG_SESSION_STARTED,
                         .client_id = kf_server_client_get_id (client),
                         .client_name = kf_server_client_get_name (client),
                         .address = kf_server_client_get_address (client),
                         .peer_id = msg->id,
                         .session_id = ok->session_id },
                       "Session %s: client %" G_GUINT64_FORMAT " sends to client %"
                       G_GUINT64_FORMAT " in %s", ok->session_id,
                       kf_server_client_get_id (client), msg->id,
                       kf_cipher_mode_to_string (msg->mode));
}

/* The role @client plays in its session; %FALSE when it has none. */
static gboolean
role_of (KfServerClient   *client,
         KfServerSession **session,
         KfRole           *role)
{
  *session = kf_server_client_get_session (client);
  if (*session == NULL)
    return FALSE;
  *role = kf_server_session_get_peer (*session, KF_ROLE_SENDER) == client
          ? KF_ROLE_SENDER : KF_ROLE_RECEIVER;
  return TRUE;
}

/* `confirm <hex>`: the key confirmation of flow step 7. */
static void
handle_confirm (KfServer          *self,
                KfServerClient    *client,
                KfProtocolMessage *msg)
{
  KfServerSession *session;
  KfServerClient *receiver;
  g_autoptr(KfProtocolMessage) listen = NULL;
  KfRole role;

  if (!role_of (client, &session, &role)
      || kf_server_session_get_phase (session, role) != KF_PEER_CONFIRMING)
    {
      bad_state (client, _("No key confirmation is expected now"));
      return;
    }
  if (!kf_server_session_check_confirm (session, role, msg->confirm, msg->confirm_len))
    {
      g_message ("Session %s: wrong key confirmation from the %s",
                 kf_server_session_get_id (session), kf_protocol_role_to_string (role));
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_CONFIRM,
                                   _("The key confirmation is wrong"));
      kf_server_session_cancel (session, KF_CANCEL_BAD_CONFIRM,
                                _("A peer failed the key confirmation"), NULL);
      return;
    }
  kf_server_session_set_phase (session, role, KF_PEER_CONFIRMED);
  kf_server_client_send_ok (client, KF_MSG_CONFIRM);
  if (kf_server_session_get_phase (session, 1 - role) != KF_PEER_CONFIRMED)
    return;

  receiver = kf_server_session_get_peer (session, KF_ROLE_RECEIVER);
  kf_server_session_set_phase (session, KF_ROLE_RECEIVER, KF_PEER_LISTENING);
  listen = kf_protocol_message_new (KF_MSG_EV_LISTEN);
  g_strlcpy (listen->session_id, kf_server_session_get_id (session), sizeof listen->session_id);
  kf_server_client_send (receiver, listen);
}

/* `port <n>`: the receiver listens; the sender is told where to go. */
static void
handle_port (KfServer          *self,
             KfServerClient    *client,
             KfProtocolMessage *msg)
{
  g_autoptr(KfProtocolMessage) connect = kf_protocol_message_new (KF_MSG_EV_CONNECT);
  KfServerSession *session;
  KfRole role;

  if (!role_of (client, &session, &role) || role != KF_ROLE_RECEIVER
      || kf_server_session_get_phase (session, role) != KF_PEER_LISTENING)
    {
      bad_state (client, _("Only the receiver sends its port, after ev listen"));
      return;
    }

  kf_server_session_disarm_timeout (session);
  kf_server_session_set_phase (session, KF_ROLE_RECEIVER, KF_PEER_TRANSFERRING);
  kf_server_session_set_phase (session, KF_ROLE_SENDER, KF_PEER_TRANSFERRING);
  kf_server_client_send_ok (client, KF_MSG_PORT);

  g_strlcpy (connect->session_id, kf_server_session_get_id (session), sizeof connect->session_id);
  kf_protocol_message_set_address (connect, kf_server_client_get_address (client));
  connect->port = msg->port;
  kf_server_client_send (kf_server_session_get_peer (session, KF_ROLE_SENDER), connect);
}

/* `report <blocks> <digest>`: the counts of flow step 10. */
static void
handle_report (KfServer          *self,
               KfServerClient    *client,
               KfProtocolMessage *msg)
{
  KfServerSession *session;
  KfRole role;

  if (!role_of (client, &session, &role)
      || kf_server_session_get_phase (session, role) != KF_PEER_TRANSFERRING)
    {
      bad_state (client, _("No transfer to report on"));
      return;
    }

  kf_server_session_set_report (session, role, msg->blocks, msg->digest);
  kf_server_session_set_phase (session, role, KF_PEER_REPORTED);
  kf_server_client_send_ok (client, KF_MSG_REPORT);
  if (kf_server_session_get_phase (session, 1 - role) == KF_PEER_REPORTED)
    kf_server_session_finish (session);
}

/* `cancel [reason]`: leaves the waiting list, or ends the session. */
static void
handle_cancel (KfServer          *self,
               KfServerClient    *client,
               KfProtocolMessage *msg)
{
  KfServerSession *session = kf_server_client_get_session (client);

  switch (kf_server_client_get_phase (client))
    {
    case KF_CLIENT_WAITING:
      kf_server_client_set_phase (client, KF_CLIENT_IDLE);
      kf_server_client_send_ok (client, KF_MSG_CANCEL);
      kf_server_registry_set_waiting (_kf_server_get_registry (self), client, FALSE);
      break;
    case KF_CLIENT_SESSION:
      kf_server_client_send_ok (client, KF_MSG_CANCEL);
      kf_server_session_cancel (session, KF_CANCEL_PEER, msg->text, client);
      break;
    case KF_CLIENT_HANDSHAKE:
    case KF_CLIENT_GREETING:
    case KF_CLIENT_IDLE:
    case KF_CLIENT_CLOSED:
    default:
      bad_state (client, _("Nothing to cancel"));
      break;
    }
}

/* `end`: goodbye (flow step 12); a session in progress is cancelled. */
static void
handle_end (KfServer          *self,
            KfServerClient    *client,
            KfProtocolMessage *msg)
{
  KfServerSession *session = kf_server_client_get_session (client);

  if (session != NULL)
    kf_server_session_cancel (session, KF_CANCEL_PEER_LEFT, _("The other peer ended"), client);
  kf_server_client_send_ok (client, KF_MSG_END);
  kf_server_client_close (client, TRUE);
}

typedef void (*Handler) (KfServer          *self,
                         KfServerClient    *client,
                         KfProtocolMessage *msg);

static void
handle_ping (KfServer          *self,
             KfServerClient    *client,
             KfProtocolMessage *msg)
{
  kf_server_client_send_ok (client, KF_MSG_PING);
}

static const struct
{
  KfMsgType type;
  Handler   handler;
  gboolean  before_hello;
} handlers[] = {
  { KF_MSG_AUTH, _kf_server_greeting_auth, TRUE },
  { KF_MSG_HELLO, _kf_server_greeting_hello, TRUE },
  { KF_MSG_PING, handle_ping, TRUE },
  { KF_MSG_END, handle_end, TRUE },
  { KF_MSG_WAIT, handle_wait, FALSE },
  { KF_MSG_SEND, handle_send, FALSE },
  { KF_MSG_CONN, handle_conn, FALSE },
  { KF_MSG_WATCH, handle_watch, FALSE },
  { KF_MSG_UNWATCH, handle_unwatch, FALSE },
  { KF_MSG_CONFIRM, handle_confirm, FALSE },
  { KF_MSG_PORT, handle_port, FALSE },
  { KF_MSG_REPORT, handle_report, FALSE },
  { KF_MSG_CANCEL, handle_cancel, FALSE },
  { KF_MSG_BLOCK, handle_block, FALSE },
};

/*
 * _kf_server_handle_message:
 *
 * Runs the command @msg from @client.  Before the greeting is complete
 * only auth, hello, ping and end are understood; anything else is
 * `auth-required` (fatal) when a passphrase is still owed, else
 * `bad-state`.
 */
void
_kf_server_handle_message (KfServer          *self,
                           KfServerClient    *client,
                           KfProtocolMessage *msg)
{
  gboolean greeted = kf_server_client_get_phase (client) >= KF_CLIENT_IDLE;

  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    {
      if (handlers[i].type != msg->type)
        continue;
      if (greeted || handlers[i].before_hello)
        handlers[i].handler (self, client, msg);
      else if (kf_server_admission_is_required (_kf_server_get_admission (self))
               && !kf_server_client_get_admitted (client))
        kf_server_client_send_error (client, KF_PROTOCOL_ERROR_AUTH_REQUIRED,
                                     _("This key manager needs a passphrase: send auth first"));
      else
        bad_state (client, _("Say hello first"));
      return;
    }
  kf_server_client_send_error (client, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND, _("Unknown command"));
}
