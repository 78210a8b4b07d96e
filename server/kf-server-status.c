/* kf-server-status.c: what the key manager is doing, on a local socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfServerStatus listens on status.socket in the runtime directory
 * (--runtime-dir, else systemd's $RUNTIME_DIRECTORY, else the state
 * directory).  The directory is made 0700 when it is missing and the
 * socket 0600, and each connection is also checked by its credentials
 * (SO_PEERCRED): only root and the user the key manager runs as are
 * answered.  Anyone else is logged and closed on.
 *
 * The answer is KF_SERVER_STATUS_MAGIC and then one serialized GVariant of
 * KF_SERVER_STATUS_TYPE, the server's state when the connection came:
 * every connection with its state and session, every session with its
 * peers' phases, and the totals since start.  `keyferry-server --status`
 * (kf-server-status-print.c) prints it.  The format is private to one
 * version of keyferry-server: a script reads `--status --json`.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

#include "kf-server-log.h"
#include "kf-server-private.h"
#include "kf-server-status.h"

/* A reader that stalls is closed on after this long. */
#define STATUS_TIMEOUT_S 10

struct _KfServerStatus
{
  GSocketService  parent_instance;

  KfServer       *server;    /* weak: the server owns its status socket's life */
  char           *path;
};

G_DEFINE_FINAL_TYPE (KfServerStatus, kf_server_status, G_TYPE_SOCKET_SERVICE)

static void
kf_server_status_finalize (GObject *object)
{
  KfServerStatus *self = KF_SERVER_STATUS (object);

  kf_server_status_stop (self);
  g_clear_weak_pointer (&self->server);

  G_OBJECT_CLASS (kf_server_status_parent_class)->finalize (object);
}

static gboolean kf_server_status_incoming (GSocketService    *service,
                                           GSocketConnection *connection,
                                           GObject           *source_object);

static void
kf_server_status_class_init (KfServerStatusClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_status_finalize;
  G_SOCKET_SERVICE_CLASS (klass)->incoming = kf_server_status_incoming;
}

static void
kf_server_status_init (KfServerStatus *self)
{
}

/*
 * kf_server_status_dir:
 * @runtime_dir: (nullable): --runtime-dir
 * @state_dir: the state directory
 *
 * Returns: (transfer full): where the status socket lives.
 */
char *
kf_server_status_dir (const char *runtime_dir,
                      const char *state_dir)
{
  const char *systemd = g_getenv ("RUNTIME_DIRECTORY");

  if (runtime_dir != NULL)
    return g_strdup (runtime_dir);
  /* systemd may list several directories separated by colons. */
  if (systemd != NULL && systemd[0] != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (systemd, ":", 2);

      return g_strdup (dirs[0]);
    }
  return g_strdup (state_dir);
}

/* Removes a socket left at @path by a key manager that is gone; fails when
 * one still answers there, or something else is in the way. */
static gboolean
clear_stale (const char  *path,
             GError     **error)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  struct stat st;

  if (g_lstat (path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("%s is in the way of the status socket: remove it"), path);
      return FALSE;
    }
  client = g_socket_client_new ();
  address = g_unix_socket_address_new (path);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
  if (connection != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   _("Another key manager answers on %s: give each its own --runtime-dir "
                     "or --state-dir"), path);
      return FALSE;
    }
  g_unlink (path);
  return TRUE;
}

/*
 * kf_server_status_new:
 * @server: the key manager to describe; not kept alive by the result
 * @dir: from kf_server_status_dir(); made (0700) when missing
 *
 * Listens on @dir/status.socket until kf_server_status_stop().
 *
 * Returns: (transfer full): the listener, or %NULL with @error when the
 * directory or the socket cannot be made, or another key manager answers
 * on that socket.
 */
KfServerStatus *
kf_server_status_new (KfServer    *server,
                      const char  *dir,
                      GError     **error)
{
  g_autoptr(KfServerStatus) self = g_object_new (KF_TYPE_SERVER_STATUS, NULL);
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *path = g_build_filename (dir, KF_SERVER_STATUS_SOCKET, NULL);
  mode_t old_mask;
  gboolean ok;

  g_return_val_if_fail (KF_IS_SERVER (server), NULL);

  /* GUnixSocketAddress would cut a longer path short without a word. */
  if (strlen (path) >= sizeof ((struct sockaddr_un *) NULL)->sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   _("The status socket's path %s is longer than a Unix socket's path may "
                     "be: give a shorter --runtime-dir"), path);
      return NULL;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot make the runtime directory %s: %s"), dir, g_strerror (saved));
      return NULL;
    }
  if (!clear_stale (path, error))
    return NULL;
  address = g_unix_socket_address_new (path);
  /* The socket is made 0600 from the start, not chmod-ed after bind(). */
  old_mask = umask (0177);
  ok = g_socket_listener_add_address (G_SOCKET_LISTENER (self), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
  umask (old_mask);
  if (!ok)
    return NULL;
  self->path = g_steal_pointer (&path);
  g_set_weak_pointer (&self->server, server);
  g_socket_service_start (G_SOCKET_SERVICE (self));
  return g_steal_pointer (&self);
}

/*
 * kf_server_status_stop:
 *
 * Stops listening and removes the socket.  (A started GSocketService
 * holds a reference to itself: this is how it ends.)
 */
void
kf_server_status_stop (KfServerStatus *self)
{
  g_return_if_fail (KF_IS_SERVER_STATUS (self));

  g_socket_service_stop (G_SOCKET_SERVICE (self));
  g_socket_listener_close (G_SOCKET_LISTENER (self));
  if (self->path != NULL)
    g_unlink (self->path);
  g_clear_pointer (&self->path, g_free);
}

static const char *
client_state (KfServerClient *client)
{
  switch (kf_server_client_get_phase (client))
    {
    case KF_CLIENT_HANDSHAKE:
      return "handshake";
    case KF_CLIENT_GREETING:
      return "greeting";
    case KF_CLIENT_IDLE:
      return kf_server_client_get_watching (client) ? "watching" : "idle";
    case KF_CLIENT_WAITING:
      return "waiting";
    case KF_CLIENT_SESSION:
      return "session";
    case KF_CLIENT_CLOSED:
    default:
      return "closing";
    }
}

static const char *
peer_phase (KfPeerPhase phase)
{
  switch (phase)
    {
    case KF_PEER_CONFIRMING:
      return "confirming";
    case KF_PEER_CONFIRMED:
      return "confirmed";
    case KF_PEER_LISTENING:
      return "listening";
    case KF_PEER_TRANSFERRING:
      return "transferring";
    case KF_PEER_REPORTED:
    default:
      return "reported";
    }
}

/* Adds @session, seen from its sender, to @sessions. */
static void
add_session (GVariantBuilder *sessions,
             KfServerSession *session)
{
  KfServerClient *sender = kf_server_session_get_peer (session, KF_ROLE_SENDER);
  KfServerClient *receiver = kf_server_session_get_peer (session, KF_ROLE_RECEIVER);

  g_variant_builder_add (sessions, "(ss(ts)(ts))", kf_server_session_get_id (session),
                         kf_cipher_mode_to_string (kf_server_session_get_mode (session)),
                         kf_server_client_get_id (sender),
                         peer_phase (kf_server_session_get_phase (session, KF_ROLE_SENDER)),
                         receiver ? kf_server_client_get_id (receiver) : 0,
                         peer_phase (kf_server_session_get_phase (session, KF_ROLE_RECEIVER)));
}

static void
add_totals (GVariantBuilder      *totals,
            const KfServerTotals *t)
{
  g_variant_builder_add (totals, "{st}", "clients-served", t->clients_served);
  g_variant_builder_add (totals, "{st}", "sessions-started", t->sessions_started);
  g_variant_builder_add (totals, "{st}", "sessions-confirmed", t->sessions_confirmed);
  g_variant_builder_add (totals, "{st}", "sessions-failed", t->sessions_failed);
  g_variant_builder_add (totals, "{st}", "sessions-cancelled", t->sessions_cancelled);
  g_variant_builder_add (totals, "{st}", "blocks-confirmed", t->blocks_confirmed);
  g_variant_builder_add (totals, "{st}", "connections-refused", t->connections_refused);
  g_variant_builder_add (totals, "{st}", "wrong-passphrases", t->auth_failures);
}

/*
 * kf_server_status_snapshot:
 *
 * Returns: (transfer full): @server's state now, of KF_SERVER_STATUS_TYPE
 * (floating references sunk).
 */
GVariant *
kf_server_status_snapshot (KfServer *server)
{
  g_autoptr(GPtrArray) connections = _kf_server_list_connections (server);
  KfServerTotals *totals = _kf_server_get_totals (server);
  g_auto(GVariantBuilder) clients = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(tssss)"));
  g_auto(GVariantBuilder) sessions = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ss(ts)(ts))"));
  g_auto(GVariantBuilder) counts = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{st}"));

  for (guint i = 0; i < connections->len; i++)
    {
      KfServerClient *client = g_ptr_array_index (connections, i);
      KfServerSession *session = kf_server_client_get_session (client);
      const char *name = kf_server_client_get_name (client);

      g_variant_builder_add (&clients, "(tssss)", kf_server_client_get_id (client),
                             name ? name : "", kf_server_client_get_address (client),
                             client_state (client),
                             session ? kf_server_session_get_id (session) : "");
      if (session != NULL && kf_server_session_get_peer (session, KF_ROLE_SENDER) == client)
        add_session (&sessions, session);
    }
  add_totals (&counts, totals);
  return g_variant_ref_sink (g_variant_new ("(uxxa(tssss)a(ss(ts)(ts))a{st})", 1,
                                            totals->started, g_get_real_time (),
                                            &clients, &sessions, &counts));
}

static void
written (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GSocketConnection) connection = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    g_debug ("Could not send the status: %s", error->message);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* Whether the peer of @connection is root or the user we run as. */
static gboolean
allowed (GSocketConnection *connection,
         uid_t             *uid)
{
  g_autoptr(GCredentials) credentials = NULL;
  g_autoptr(GError) error = NULL;

  *uid = (uid_t) -1;
  credentials = g_socket_get_credentials (g_socket_connection_get_socket (connection), &error);
  if (credentials == NULL)
    return FALSE;
  *uid = g_credentials_get_unix_user (credentials, NULL);
  return *uid == 0 || *uid == geteuid ();
}

static gboolean
kf_server_status_incoming (GSocketService    *service,
                           GSocketConnection *connection,
                           GObject           *source_object)
{
  KfServerStatus *self = KF_SERVER_STATUS (service);
  g_autoptr(GVariant) snapshot = NULL;
  g_autoptr(GByteArray) answer = NULL;
  uid_t uid;

  if (self->server == NULL)
    return TRUE;
  if (!allowed (connection, &uid))
    {
      kf_server_log (KF_LOG_STATUS_REFUSED, NULL, NULL,
                     "Refused a status request from user %ld: only root and user %ld may ask",
                     uid == (uid_t) -1 ? -1L : (long) uid, (long) geteuid ());
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  snapshot = kf_server_status_snapshot (self->server);
  answer = g_byte_array_new ();
  g_byte_array_append (answer, (const guint8 *) KF_SERVER_STATUS_MAGIC,
                       strlen (KF_SERVER_STATUS_MAGIC));
  g_byte_array_append (answer, g_variant_get_data (snapshot), g_variant_get_size (snapshot));
  g_socket_set_timeout (g_socket_connection_get_socket (connection), STATUS_TIMEOUT_S);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                   answer->data, answer->len, G_PRIORITY_DEFAULT, NULL,
                                   written, g_object_ref (connection));
  /* The write reads answer->data until it completes: keep it with the
   * connection. */
  g_object_set_data_full (G_OBJECT (connection), "kf-status-answer",
                          g_steal_pointer (&answer), (GDestroyNotify) g_byte_array_unref);
  return TRUE;
}
