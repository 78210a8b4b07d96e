/* kf-server.c: the key manager, a GSocketService
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfServer accepts connections, turns each into a KfServerClient once
 * its admission (kf-server-admission.c) lets it in, hands it to its
 * greeting (kf-server-greeting.c) when its TLS handshake is done, and
 * forgets it when it goes; it counts the sessions and forgets each when it emits
 * ::ended (a session ends itself, kf-server-session.c).  What each
 * command does is in kf-server-commands.c.
 *
 * Everything runs on the main context that was thread-default when the
 * server was created and started listening; nothing blocks it.  The
 * clients' sockets wait in one epoll set (KfServerPoller) and their
 * deadlines in one queue (KfServerTimers), so that an iteration of that
 * main context costs what the active clients need, however many idle ones
 * are connected.
 *
 * Connections are accepted by KfServerAcceptor (kf-server-acceptor.c), a
 * loop on the listener that backs off when accept() fails, rather than by
 * GSocketService's own.
 *
 * A reload (kf-server-reload.c) hands the server new limits and a new
 * admission through _kf_server_apply_reload().
 *
 * The server tells KfServerTrim (kf-server-trim.c) of every client object
 * made and freed, which decides when to hand freed memory back.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-fingerprint.h"
#include "kf-server-cert.h"
#include "kf-server-log.h"
#include "kf-server-acceptor.h"
#include "kf-server-private.h"
#include "kf-server-rate.h"
#include "kf-server-tls-transport.h"
#include "kf-server-trim.h"
#include "kf-tls.h"

struct _KfServer
{
  GSocketService     parent_instance;

  KfServerConfig     config;
  GTlsCertificate   *certificate;
  char              *fingerprint;
  KfServerRegistry  *registry;
  KfServerAdmission *admission;
  KfServerState     *state;          /* identities, owned names, enrolment */
  KfServerRate      *conn_rate;      /* `conn` per identity */
  KfServerAudit     *audit;
  KfServerPoller    *poller;
  KfServerTimers    *timers;
  KfServerHandshakes *handshakes;
  guint16            port;
  guint64            next_id;

  GHashTable        *connections;    /* every live KfServerClient (owned) */
  GHashTable        *sessions;       /* every running KfServerSession (owned) */
  gboolean           shutting_down;
  GTask             *shutdown_task;
  GSource           *shutdown_timer;
  GHashTable        *alive;          /* set: client objects not finalized yet */
  KfServerTrim      *trim;
  KfServerAcceptor  *acceptor;       /* while listening */
  KfServerTotals     totals;
};

/* TLS handshakes running at once: each holds a thread of GTask's pool,
 * which has 10 to begin with; the other 2 are for the passphrase checks
 * (kdf_max_concurrent) and closing connections.  One that has run this
 * long may be closed for one that waits (kf-server-handshakes.c). */
#define HANDSHAKE_SLOTS    8
#define HANDSHAKE_GRACE_MS 250

G_DEFINE_FINAL_TYPE (KfServer, kf_server, G_TYPE_SOCKET_SERVICE)

static void client_finalized (gpointer  data,
                              GObject  *where_the_object_was);

static void
kf_server_dispose (GObject *object)
{
  KfServer *self = KF_SERVER (object);
  GHashTableIter iter;
  gpointer client, session;

  g_hash_table_iter_init (&iter, self->alive);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    g_object_weak_unref (client, client_finalized, self);
  g_hash_table_remove_all (self->alive);
  /* Dropped without a shutdown: wipe every session and sever every
   * connection now, so no timer or callback can reach this server later. */
  if (self->sessions != NULL)
    {
      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, &session, NULL))
        {
          g_signal_handlers_disconnect_by_data (session, self);
          kf_server_session_wipe (session);
        }
    }
  if (self->connections != NULL)
    {
      g_hash_table_iter_init (&iter, self->connections);
      while (g_hash_table_iter_next (&iter, &client, NULL))
        {
          g_signal_handlers_disconnect_by_data (client, self);
          kf_server_client_set_session (client, NULL);
          kf_server_client_close (client, FALSE);
        }
    }
  if (self->acceptor != NULL)
    kf_server_acceptor_stop (self->acceptor);
  g_clear_object (&self->acceptor);
  if (self->shutdown_timer != NULL)
    g_source_destroy (self->shutdown_timer);
  g_clear_pointer (&self->shutdown_timer, g_source_unref);
  g_clear_object (&self->trim);
  g_clear_object (&self->handshakes);
  g_clear_object (&self->timers);
  g_clear_object (&self->poller);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->registry);
  g_clear_object (&self->admission);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (kf_server_parent_class)->dispose (object);
}

static void
kf_server_finalize (GObject *object)
{
  KfServer *self = KF_SERVER (object);

  g_clear_pointer (&self->alive, g_hash_table_unref);
  g_clear_pointer (&self->audit, kf_server_audit_free);
  g_clear_pointer (&self->conn_rate, kf_server_rate_free);
  g_clear_object (&self->state);
  g_free (self->fingerprint);
  kf_server_config_clear (&self->config);

  G_OBJECT_CLASS (kf_server_parent_class)->finalize (object);
}

static void
kf_server_class_init (KfServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_server_dispose;
  object_class->finalize = kf_server_finalize;
}

static void
kf_server_init (KfServer *self)
{
  self->next_id = 1;
  self->connections = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->sessions = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->alive = g_hash_table_new (NULL, NULL);
}

/*
 * kf_server_new:
 * @config: the settings; copied
 * @passphrase: (nullable): the admission passphrase; only its hash is kept
 *
 * Loads (or creates) the TLS certificate in the state directory, hashes
 * the passphrase and opens the audit log.  Call kf_server_listen() next.
 *
 * Returns: (transfer full): the server, or %NULL with @error when the
 * certificate, the passphrase hash or the audit log cannot be set up.
 */
KfServer *
kf_server_new (const KfServerConfig  *config,
               const char            *passphrase,
               GError               **error)
{
  g_autoptr(KfServer) self = g_object_new (KF_TYPE_SERVER, "active", FALSE, NULL);

  g_return_val_if_fail (config != NULL && config->state_dir != NULL, NULL);

  kf_tls_init ();
  self->config = *config;
  self->config.state_dir = g_strdup (config->state_dir);
  self->config.audit_log = g_strdup (config->audit_log);
  self->certificate = kf_server_cert_load_or_create (self->config.state_dir, error);
  if (self->certificate == NULL)
    return NULL;
  self->fingerprint = kf_fingerprint_from_certificate (self->certificate);
  self->admission = kf_server_admission_new (passphrase, &self->config, error);
  if (self->admission == NULL)
    return NULL;
  self->audit = kf_server_audit_open (self->config.audit_log, error);
  if (self->audit == NULL)
    return NULL;
  self->state = kf_server_state_open (self->config.state_dir, error);
  if (self->state == NULL)
    return NULL;
  self->conn_rate = kf_server_rate_new (MAX (self->config.conn_burst, 1),
                                        MAX (self->config.conn_refill_ms, 1));
  self->poller = kf_server_poller_new (g_main_context_get_thread_default (), error);
  if (self->poller == NULL)
    return NULL;
  self->timers = kf_server_timers_new (g_main_context_get_thread_default ());
  self->trim = kf_server_trim_new (self->timers);
  self->handshakes = kf_server_handshakes_new (self->timers, HANDSHAKE_SLOTS, HANDSHAKE_GRACE_MS);
  self->registry = kf_server_registry_new ();
  self->totals.started = g_get_real_time ();

  return g_steal_pointer (&self);
}

#define KF_SERVER_LISTEN_BACKLOG 1024

static void incoming (GSocketConnection *connection,
                      gpointer           user_data);

/*
 * kf_server_listen:
 * @address: (nullable): an IP address to listen on, or %NULL for all
 * @port: the TCP port, or 0 for any free one (see kf_server_get_port())
 *
 * Starts accepting connections.  Returns %FALSE with @error when @address
 * is not an IP address or the port cannot be bound.
 */
gboolean
kf_server_listen (KfServer    *self,
                  const char  *address,
                  guint16      port,
                  GError     **error)
{
  GSocketListener *listener = G_SOCKET_LISTENER (self);

  g_return_val_if_fail (KF_IS_SERVER (self), FALSE);

  /* GSocketListener's default backlog of 10 overflows when hundreds of
   * clients connect at once; dropped SYNs are retried after 1, 3, 7 s...
   * The kernel caps it at net.core.somaxconn. */
  g_socket_listener_set_backlog (listener, KF_SERVER_LISTEN_BACKLOG);

  if (address == NULL)
    {
      if (port == 0)
        port = g_socket_listener_add_any_inet_port (listener, NULL, error);
      else if (!g_socket_listener_add_inet_port (listener, port, NULL, error))
        port = 0;
    }
  else
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
      g_autoptr(GSocketAddress) wanted = NULL;
      g_autoptr(GSocketAddress) bound = NULL;

      if (inet == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not an IP address"), address);
          return FALSE;
        }
      wanted = g_inet_socket_address_new (inet, port);
      port = 0;
      if (g_socket_listener_add_address (listener, wanted, G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    }
  if (port == 0)
    return FALSE;

  self->port = port;
  self->acceptor = kf_server_acceptor_new (listener, incoming, self);
  return TRUE;
}

guint16
kf_server_get_port (KfServer *self)
{
  g_return_val_if_fail (KF_IS_SERVER (self), 0);
  return self->port;
}

/* The certificate's SHA-256 fingerprint, 64 lower-case hex digits. */
const char *
kf_server_get_fingerprint (KfServer *self)
{
  g_return_val_if_fail (KF_IS_SERVER (self), NULL);
  return self->fingerprint;
}

GTlsCertificate *
kf_server_get_certificate (KfServer *self)
{
  g_return_val_if_fail (KF_IS_SERVER (self), NULL);
  return self->certificate;
}

/* The number of greeted clients. */
guint
kf_server_get_n_clients (KfServer *self)
{
  g_return_val_if_fail (KF_IS_SERVER (self), 0);
  return kf_server_registry_get_size (self->registry);
}

KfServerRegistry *
_kf_server_get_registry (KfServer *self)
{
  return self->registry;
}

KfServerAdmission *
_kf_server_get_admission (KfServer *self)
{
  return self->admission;
}

KfServerState *
_kf_server_get_state (KfServer *self)
{
  return self->state;
}

KfServerRate *
_kf_server_get_conn_rate (KfServer *self)
{
  return self->conn_rate;
}

const KfServerConfig *
_kf_server_get_config (KfServer *self)
{
  return &self->config;
}

KfServerTimers *
_kf_server_get_timers (KfServer *self)
{
  return self->timers;
}

KfServerTotals *
_kf_server_get_totals (KfServer *self)
{
  return &self->totals;
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint64 x = kf_server_client_get_id (*(KfServerClient **) a);
  guint64 y = kf_server_client_get_id (*(KfServerClient **) b);

  return x < y ? -1 : x > y;
}

/* Every connection (borrowed), the ones still in their greeting first,
 * then by id. */
GPtrArray *
_kf_server_list_connections (KfServer *self)
{
  GPtrArray *clients = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer client;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    g_ptr_array_add (clients, client);
  g_ptr_array_sort (clients, compare_ids);
  return clients;
}

/* The number of connections, greeted or not. */
guint
_kf_server_get_n_connections (KfServer *self)
{
  return g_hash_table_size (self->connections);
}

/*
 * _kf_server_register:
 *
 * @client's greeting is complete: it gets the next id and @name, is
 * idle, registered, counted, and its idle timer starts.
 */
void
_kf_server_register (KfServer       *self,
                     KfServerClient *client,
                     const char     *name)
{
  kf_server_client_set_id (client, self->next_id++);
  kf_server_client_set_name (client, name);
  kf_server_client_set_phase (client, KF_CLIENT_IDLE);
  kf_server_client_clear_deadline (client);
  kf_server_registry_add (self->registry, client);
  self->totals.clients_served++;
}

/* @session ended: counted, and forgotten. */
static void
session_ended (KfServerSession *session,
               KfServer        *self)
{
  guint64 blocks = 0;

  if (kf_server_session_get_end (session) == KF_SESSION_CANCELLED)
    self->totals.sessions_cancelled++;
  else if (kf_server_session_verdict (session) == KF_VERDICT_OK)
    {
      kf_server_session_has_report (session, KF_ROLE_SENDER, &blocks);
      self->totals.sessions_confirmed++;
      self->totals.blocks_confirmed += blocks;
    }
  else
    self->totals.sessions_failed++;
  g_signal_handlers_disconnect_by_data (session, self);
  g_hash_table_remove (self->sessions, session);
}

/*
 * _kf_server_open_session:
 *
 * Returns: (transfer full): a new session in @mode (see
 * kf_server_session_new()), which the server counts until it ends; or
 * %NULL with @error.
 */
KfServerSession *
_kf_server_open_session (KfServer      *self,
                         KfCipherMode   mode,
                         GError       **error)
{
  KfServerSession *session = kf_server_session_new (mode, self->audit, error);

  if (session == NULL)
    return NULL;
  g_hash_table_add (self->sessions, g_object_ref (session));
  g_signal_connect (session, "ended", G_CALLBACK (session_ended), self);
  self->totals.sessions_started++;
  return session;
}

static void
client_ready (KfServerClient *client,
              KfServer       *self)
{
  _kf_server_greeting_start (self, client);
}

static void
client_message (KfServerClient    *client,
                KfProtocolMessage *msg,
                KfServer          *self)
{
  _kf_server_handle_message (self, client, msg);
}

/* A connection is going away (after its session, which listens too,
 * has ended): the server forgets it. */
static void
client_closed (KfServerClient *client,
               KfServer       *self)
{
  kf_server_admission_forget (self->admission, client);
  if (kf_server_client_get_id (client) != 0)
    {
      kf_server_registry_remove (self->registry, client);
      kf_server_log (KF_LOG_CLIENT_LEFT, client, NULL,
                     "Client %" G_GUINT64_FORMAT " left", kf_server_client_get_id (client));
    }
  g_signal_handlers_disconnect_by_data (client, self);
  g_hash_table_remove (self->connections, client);
}

/* Completes a pending shutdown. */
static void
shutdown_done (KfServer *self)
{
  if (self->shutdown_timer != NULL)
    g_source_destroy (self->shutdown_timer);
  g_clear_pointer (&self->shutdown_timer, g_source_unref);
  if (self->shutdown_task != NULL)
    {
      g_task_return_boolean (self->shutdown_task, TRUE);
      g_clear_object (&self->shutdown_task);
    }
}

static void
client_finalized (gpointer  data,
                  GObject  *where_the_object_was)
{
  KfServer *self = data;

  g_hash_table_remove (self->alive, where_the_object_was);
  if (g_hash_table_size (self->alive) == 0)
    shutdown_done (self);
  kf_server_trim_departed (self->trim);
}

/*
 * _kf_server_add_client:
 * @client: a new connection, or a detached client
 *
 * Lets the admission apply the limits on connections in their greeting, takes
 * @client on (a reference) and starts it: its TLS handshake, or for a
 * detached client its greeting at once.
 *
 * Returns: %FALSE when the server is shutting down or the limits refuse
 * @client (it is then left alone).
 */
gboolean
_kf_server_add_client (KfServer       *self,
                       KfServerClient *client)
{
  g_return_val_if_fail (KF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (client), FALSE);

  if (self->shutting_down)
    return FALSE;
  if (!kf_server_admission_admit_connection (self->admission, client, self->handshakes))
    {
      self->totals.connections_refused++;
      return FALSE;
    }

  g_hash_table_add (self->connections, g_object_ref (client));
  g_hash_table_add (self->alive, client);
  kf_server_trim_arrived (self->trim);
  g_object_weak_ref (G_OBJECT (client), client_finalized, self);
  g_signal_connect (client, "ready", G_CALLBACK (client_ready), self);
  g_signal_connect (client, "message", G_CALLBACK (client_message), self);
  /* After the handlers of the client's session, which ends first. */
  g_signal_connect_after (client, "closed", G_CALLBACK (client_closed), self);
  g_debug ("Connection from %s", kf_server_client_get_address (client));
  kf_server_client_start (client);

  return TRUE;
}

static void
incoming (GSocketConnection *connection,
          gpointer           user_data)
{
  KfServer *self = user_data;
  g_autoptr(KfServerTlsTransport) transport = NULL;
  g_autoptr(KfServerClient) client = NULL;
  g_autoptr(GError) error = NULL;

  transport = kf_server_tls_transport_new (connection, self->certificate, &self->config,
                                           self->poller, self->timers, self->handshakes, &error);
  if (transport == NULL)
    {
      g_warning ("Cannot set up TLS for a new connection: %s", error->message);
      return;
    }
  client = kf_server_client_new (KF_SERVER_TRANSPORT (transport), &self->config, self->timers);
  _kf_server_add_client (self, client);
}

static gboolean
shutdown_timeout (gpointer user_data)
{
  KfServer *self = user_data;

  g_message ("Some connections did not close in time; finishing the shutdown anyway");
  g_clear_pointer (&self->shutdown_timer, g_source_unref);
  shutdown_done (self);
  return G_SOURCE_REMOVE;
}

/*
 * kf_server_shutdown_async:
 * @reason: (nullable): told to every greeted client in `ev shutdown`
 *
 * Stops accepting, tells every client, closes every connection after its
 * queued lines are sent, and completes when all of them are gone (or the
 * close timeout has passed).
 */
void
kf_server_shutdown_async (KfServer            *self,
                          const char          *reason,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (KF_MSG_EV_SHUTDOWN);
  g_autoptr(GPtrArray) clients = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (KF_IS_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_server_shutdown_async);
  if (self->shutting_down)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The server is already shutting down"));
      return;
    }
  self->shutting_down = TRUE;
  if (self->acceptor != NULL)
    kf_server_acceptor_stop (self->acceptor);
  g_socket_listener_close (G_SOCKET_LISTENER (self));
  kf_server_log (KF_LOG_STOPPING, NULL, NULL, "Shutting down: %s",
                 reason != NULL ? reason : "no reason given");

  kf_protocol_message_set_text (msg, reason);
  /* Everyone is told `ev shutdown`, so no `ev cancelled` follows. */
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    kf_server_session_hush (key);
  clients = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (clients, key);
  for (guint i = 0; i < clients->len; i++)
    {
      KfServerClient *client = g_ptr_array_index (clients, i);

      if (kf_server_client_get_id (client) != 0)
        kf_server_client_send (client, msg);
    }
  for (guint i = 0; i < clients->len; i++)
    kf_server_client_close (g_ptr_array_index (clients, i), TRUE);
  if (g_hash_table_size (self->alive) == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  self->shutdown_task = g_steal_pointer (&task);
  self->shutdown_timer = g_timeout_source_new (self->config.close_timeout_ms + 1000);
  g_source_set_callback (self->shutdown_timer, shutdown_timeout, self, NULL);
  g_source_attach (self->shutdown_timer, g_main_context_get_thread_default ());
}

gboolean
kf_server_shutdown_finish (KfServer      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/*
 * _kf_server_apply_reload:
 * @config: the new settings, copied but for the state directory and the
 *   audit log, which stay the ones the server started with
 * @admission: the new admission, which takes over the old one's counts
 *
 * What kf_server_reload_finish() changes, at once.
 */
void
_kf_server_apply_reload (KfServer             *self,
                         const KfServerConfig *config,
                         KfServerAdmission    *admission)
{
  char *state_dir = self->config.state_dir;
  char *audit_log = self->config.audit_log;

  self->config = *config;
  self->config.state_dir = state_dir;
  self->config.audit_log = audit_log;
  kf_server_rate_set (self->conn_rate, MAX (config->conn_burst, 1),
                      MAX (config->conn_refill_ms, 1));
  /* Checks still running hold the old one until they finish. */
  kf_server_admission_take_over (admission, self->admission);
  g_set_object (&self->admission, admission);
}
