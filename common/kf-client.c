/* kf-client.c: a user's session with the key manager, for the CLI and the GUI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfClient is the one object both front ends drive.  It owns the pinned
 * TLS channel (KfKmConnection) and walks the classic flow as a state
 * machine with a "state" property: connect and greet (step 1), `wait` or
 * `send` (steps 3-5), `conn` (step 6), then a session (kf-client-session.c:
 * key confirmation, peer link, offer, transfer, report, verdict; steps
 * 7-11) and back to idle, or `end` (step 12).
 *
 * Every long operation is an async/finish pair; nothing blocks the main
 * loop.  When the key manager goes away, a session in progress ends with a
 * failed outcome, ::disconnected is emitted, and the client reconnects on
 * its own with exponential backoff (1 s doubling to 30 s), resuming `wait`
 * and the live peer list if they were on.  It stops retrying only when the
 * server's certificate or admission changed, which needs a person.
 *
 * This file holds the object, the connection and the idle-state commands.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-client-private.h"
#include "kf-enums.h"

G_DEFINE_QUARK (kf-client-error-quark, kf_client_error)

G_DEFINE_FINAL_TYPE (KfClient, kf_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (KfClientState, kf_client_state,
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_RECONNECTING, "reconnecting"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_CONFIRMING, "confirming"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_LINKING, "linking"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_READY_TO_SEND, "ready-to-send"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_OFFERED, "offered"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_TRANSFERRING, "transferring"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_STATE_REPORTING, "reporting"))

G_DEFINE_ENUM_TYPE (KfClientRole, kf_client_role,
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_ROLE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_ROLE_SENDER, "sender"),
                    G_DEFINE_ENUM_VALUE (KF_CLIENT_ROLE_RECEIVER, "receiver"))

enum {
  PROP_0,
  PROP_STATE,
  PROP_CLIENT_ID,
  PROP_HOST,
  PROP_PORT,
  PROP_NAME,
  PROP_KNOWN_SERVERS,
  PROP_FINGERPRINT,
  PROP_ROLE,
  PROP_PEER_ID,
  PROP_PEER_NAME,
  PROP_MODE,
  PROP_LAST_ERROR,
  PROP_OFFER,
  PROP_WATCHING,
  PROP_PEERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/*
 * kf_client_new:
 * @host: the key manager's name, IPv4 or IPv6 address
 * @port: its port; 0 means %KF_CLIENT_DEFAULT_PORT
 * @name: our display name (1 to 64 characters)
 * @known_servers: (nullable): the pin store; %NULL for the default one
 *
 * Returns: (transfer full): a disconnected client.
 */
KfClient *
kf_client_new (const char     *host,
               guint16         port,
               const char     *name,
               KfKnownServers *known_servers)
{
  g_autoptr(KfKnownServers) default_store = NULL;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (known_servers == NULL)
    known_servers = default_store = kf_known_servers_new (NULL);

  return g_object_new (KF_TYPE_CLIENT,
                       "host", host,
                       "port", port != 0 ? port : KF_CLIENT_DEFAULT_PORT,
                       "name", name,
                       "known-servers", known_servers,
                       NULL);
}

KfClientState
kf_client_get_state (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), KF_CLIENT_STATE_DISCONNECTED);

  return self->state;
}

guint
kf_client_get_client_id (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), 0);

  return self->client_id;
}

const char *
kf_client_get_host (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->host;
}

guint16
kf_client_get_port (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), 0);

  return self->port;
}

const char *
kf_client_get_name (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->name;
}

/*
 * kf_client_get_fingerprint:
 *
 * Returns: (nullable): the canonical fingerprint of the certificate the
 * server presented last, also after %KF_CLIENT_ERROR_UNKNOWN_SERVER.
 */
const char *
kf_client_get_fingerprint (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->fingerprint;
}

KfClientRole
kf_client_get_role (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), KF_CLIENT_ROLE_NONE);

  return self->session != NULL ? self->session->role : KF_CLIENT_ROLE_NONE;
}

guint
kf_client_get_peer_id (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), 0);

  return self->session != NULL ? self->session->peer_id : 0;
}

const char *
kf_client_get_peer_name (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->session != NULL ? self->session->peer_name : NULL;
}

/*
 * kf_client_get_peer_identity:
 *
 * Returns: (nullable): the identity key the peer of the current session
 * proved on the peer link (KF_IDENTITY_PUBLIC_KEY_SIZE bytes), once the
 * link is up; %NULL before, and outside a session.
 */
const guint8 *
kf_client_get_peer_identity (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->session != NULL ? kf_session_get_peer_identity (self->session) : NULL;
}

/* The identity the key manager named for the session's peer, or %NULL
 * outside a session. */
const guint8 *
kf_client_get_peer_public_key (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->session != NULL ? self->session->peer_public_key : NULL;
}

KfCipherMode
kf_client_get_mode (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), KF_CIPHER_MODE_CBC);

  return self->session != NULL ? self->session->mode : KF_CIPHER_MODE_CBC;
}

/*
 * kf_client_get_last_error:
 *
 * Returns: (nullable): the last connection-level failure, as a sentence.
 */
const char *
kf_client_get_last_error (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->last_error;
}

/*
 * kf_client_get_offer:
 *
 * Returns: (transfer none) (nullable): the offer being shown (receiver,
 * from ::offer until the session ends).
 */
KfOffer *
kf_client_get_offer (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->session != NULL ? self->session->offer : NULL;
}

gboolean
kf_client_get_watching (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), FALSE);

  return self->watching;
}

/*
 * kf_client_is_connected:
 *
 * Returns: whether the key manager greeted us and the connection is up:
 * idle, waiting or in a session (not disconnected, connecting or
 * reconnecting).
 */
gboolean
kf_client_is_connected (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), FALSE);

  /* Named, not compared by order: a state added later must choose. */
  return self->state != KF_CLIENT_STATE_DISCONNECTED && self->state != KF_CLIENT_STATE_CONNECTING
         && self->state != KF_CLIENT_STATE_RECONNECTING;
}

/*
 * kf_client_is_in_session:
 *
 * Returns: whether a transfer session is under way: from
 * ::session-started until its ::finished (also while it is ending).
 */
gboolean
kf_client_is_in_session (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), FALSE);

  return self->session != NULL;
}

/*
 * kf_client_get_peers:
 *
 * Returns: (transfer none): the waiting peers (#KfPeer), as last listed,
 * and kept live while kf_client_set_watching() is on.
 */
GListModel *
kf_client_get_peers (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return G_LIST_MODEL (self->peers);
}

/*
 * _kf_client_task_fail:
 *
 * Fails the task in *@slot (if any) with @error, taking both; clears *@slot.
 */
void
_kf_client_task_fail (GTask  **slot,
                      GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (slot);

  if (task == NULL)
    {
      g_error_free (error);
      return;
    }
  g_task_return_error (task, error);
}

void
_kf_client_set_state (KfClient      *self,
                      KfClientState  state)
{
  if (self->state == state)
    return;

  g_debug ("Client %s: %s", self->name,
           g_enum_get_value (g_type_class_peek (KF_TYPE_CLIENT_STATE), state)->value_nick);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
_kf_client_set_last_error (KfClient   *self,
                           const char *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;

  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

void
_kf_client_set_fingerprint (KfClient   *self,
                            const char *fingerprint)
{
  if (fingerprint == NULL || g_strcmp0 (self->fingerprint, fingerprint) == 0)
    return;

  g_free (self->fingerprint);
  self->fingerprint = g_strdup (fingerprint);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINGERPRINT]);
}

void
_kf_client_set_client_id (KfClient *self,
                          guint     client_id)
{
  if (self->client_id == client_id)
    return;

  self->client_id = client_id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_ID]);
}

/* The session-derived properties changed together: a session began or ended. */
void
_kf_client_notify_session (KfClient *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFER]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_kf_client_emit_offer (KfClient *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFER]);
  g_signal_emit_by_name (self, "offer", self->session->offer);
}

void
_kf_client_notify_watching (KfClient *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WATCHING]);
}

static void
kf_client_dispose (GObject *object)
{
  KfClient *self = KF_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  _kf_client_session_close (self);
  _kf_client_task_fail (&self->conn_task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                              _("The client was closed")));
  _kf_client_drop_connection (self);
  g_clear_object (&self->known_servers);
  g_clear_object (&self->identity);
  g_clear_object (&self->contacts);

  G_OBJECT_CLASS (kf_client_parent_class)->dispose (object);
}

static void
kf_client_finalize (GObject *object)
{
  KfClient *self = KF_CLIENT (object);

  kf_client_set_passphrase (self, NULL);
  g_free (self->host);
  g_free (self->name);
  g_free (self->expected_fingerprint);
  g_free (self->fingerprint);
  g_free (self->last_error);
  g_clear_object (&self->peers);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kf_client_parent_class)->finalize (object);
}

static void
kf_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  KfClient *self = KF_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_CLIENT_ID:
      g_value_set_uint (value, self->client_id);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_KNOWN_SERVERS:
      g_value_set_object (value, self->known_servers);
      break;
    case PROP_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, kf_client_get_role (self));
      break;
    case PROP_PEER_ID:
      g_value_set_uint (value, kf_client_get_peer_id (self));
      break;
    case PROP_PEER_NAME:
      g_value_set_string (value, kf_client_get_peer_name (self));
      break;
    case PROP_MODE:
      g_value_set_enum (value, kf_client_get_mode (self));
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_OFFER:
      g_value_set_object (value, kf_client_get_offer (self));
      break;
    case PROP_WATCHING:
      g_value_set_boolean (value, self->watching);
      break;
    case PROP_PEERS:
      g_value_set_object (value, self->peers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  KfClient *self = KF_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = (guint16) g_value_get_uint (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_KNOWN_SERVERS:
      self->known_servers = g_value_dup_object (value);
      break;
    case PROP_WATCHING:
      kf_client_set_watching (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
install_properties (GObjectClass *object_class)
{
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, KF_TYPE_CLIENT_STATE,
                       KF_CLIENT_STATE_DISCONNECTED, ro);
  properties[PROP_CLIENT_ID] = g_param_spec_uint ("client-id", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, co);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 1, G_MAXUINT16, KF_CLIENT_DEFAULT_PORT, co);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, co);
  properties[PROP_KNOWN_SERVERS] =
    g_param_spec_object ("known-servers", NULL, NULL, KF_TYPE_KNOWN_SERVERS, co);
  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint", NULL, NULL, NULL, ro);
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, KF_TYPE_CLIENT_ROLE, KF_CLIENT_ROLE_NONE, ro);
  properties[PROP_PEER_ID] = g_param_spec_uint ("peer-id", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_PEER_NAME] = g_param_spec_string ("peer-name", NULL, NULL, NULL, ro);
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, KF_TYPE_CIPHER_MODE, KF_CIPHER_MODE_CBC, ro);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  properties[PROP_OFFER] = g_param_spec_object ("offer", NULL, NULL, KF_TYPE_OFFER, ro);
  properties[PROP_WATCHING] =
    g_param_spec_boolean ("watching", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEERS] = g_param_spec_object ("peers", NULL, NULL, G_TYPE_LIST_MODEL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kf_client_class_init (KfClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_client_dispose;
  object_class->finalize = kf_client_finalize;
  object_class->get_property = kf_client_get_property;
  object_class->set_property = kf_client_set_property;
  install_properties (object_class);

  _kf_client_install_signals (object_class);
}

static void
kf_client_init (KfClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->peers = g_list_store_new (KF_TYPE_PEER);
  self->state = KF_CLIENT_STATE_DISCONNECTED;
  self->idle_timeout = KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT;
}
