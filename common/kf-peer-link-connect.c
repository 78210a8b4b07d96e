/* kf-peer-link-connect.c: the sender's way to a KfPeerLink
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sender connects to the receiver's address and port and runs its side
 * of the handshake (kf-peer-handshake) step by step on the caller's main
 * context, its cryptography in a worker thread, under an absolute deadline
 * and a shorter one for the TCP connect itself; the first valid CHALLENGE
 * makes the link (kf_peer_link_new(), in kf-peer-link.c, which owns the
 * records).
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-peer-exchange.h"
#include "kf-peer-link.h"

/* The sender's side of the handshake, step by step on the caller's
 * main context. */
typedef struct
{
  KfPeerHandshake   *handshake;
  GSocketConnection *conn;
  GCancellable      *internal;
  GCancellable      *user;
  gulong             user_handler;
  GSource           *deadline;
  GSource           *connect_deadline;
  gboolean           timed_out;
  gboolean           unanswered;
  guint              timeout_ms;
  char              *where;
  guint8             buf[KF_PEER_CHALLENGE_SIZE];
} ConnectData;

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
connect_data_free (ConnectData *data)
{
  if (data->user_handler != 0)
    g_cancellable_disconnect (data->user, data->user_handler);
  clear_source (&data->deadline);
  clear_source (&data->connect_deadline);
  g_clear_object (&data->user);
  g_clear_object (&data->internal);
  g_clear_object (&data->conn);
  g_clear_pointer (&data->handshake, kf_peer_handshake_free);
  g_free (data->where);
  explicit_bzero (data->buf, sizeof data->buf);
  g_free (data);
}

static gboolean
connect_deadline_cb (gpointer user_data)
{
  ConnectData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->internal);
  return G_SOURCE_REMOVE;
}

/* No SYN-ACK, no RST, no ICMP within KF_PEER_LINK_CONNECT_TIMEOUT_MS: on a
 * LAN that is a firewall that drops the connection, not a slow network. */
static gboolean
connect_unanswered_cb (gpointer user_data)
{
  ConnectData *data = user_data;

  data->unanswered = TRUE;
  g_cancellable_cancel (data->internal);
  return G_SOURCE_REMOVE;
}

static void
cancel_internal_cb (GCancellable *user,
                    GCancellable *internal)
{
  g_cancellable_cancel (internal);
}

/* Ends the task with @error, rewording an internal cancellation as the
 * deadline when that is what fired, and a failed connect as the peer not
 * being reachable. */
static void
connect_fail (GTask  *task,
              GError *error)
{
  ConnectData *data = g_task_get_task_data (task);

  if (data->unanswered)
    {
      g_clear_error (&error);
      g_set_error (&error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                   _("Could not reach the receiver at %s: no answer within %u seconds. "
                     "Its firewall must allow incoming TCP connections from this computer "
                     "to the port it opens for each transfer (here %s: an ephemeral port, "
                     "or one of the range it was given with keyferry-cli --peer-ports)."),
                   data->where, KF_PEER_LINK_CONNECT_TIMEOUT_MS / 1000,
                   strrchr (data->where, ':') + 1);
    }
  else if (data->timed_out)
    {
      g_clear_error (&error);
      g_set_error (&error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                   _("The receiver at %s did not complete the handshake within %u seconds."),
                   data->where, data->timeout_ms / 1000);
    }
  else if (error->domain != KF_TRANSFER_ERROR
           && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GError *wrapped = g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                                     _("Could not reach the receiver at %s: %s"),
                                     data->where, error->message);
      g_error_free (error);
      error = wrapped;
    }
  if (data->conn != NULL)
    g_io_stream_close (G_IO_STREAM (data->conn), NULL, NULL);
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* The handshake is done: the link is up. */
static void
linked (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  KfPeerLink *link;

  link = kf_peer_link_new (G_IO_STREAM (data->conn), data->handshake, &error);
  if (link == NULL)
    {
      connect_fail (task, error);
      return;
    }
  g_task_return_pointer (task, link, g_object_unref);
  g_object_unref (task);
}

/* The CHALLENGE arrived, checked out, and the RESPONSE is sent. */
static void
challenge_answered_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gsize got = 0;

  if (kf_peer_exchange_finish (result, &got, &error))
    {
      linked (task);
      return;
    }
  if (got == 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    {
      /* A receiver of another version drops a HELLO it cannot read (with a
       * reset when part of it is still unread). */
      g_clear_error (&error);
      g_set_error (&error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The receiver at %s closed the connection at once: it may run an older "
                     "Keyferry that does not speak peer protocol version %u. Both must run "
                     "the same release."), data->where, KF_PEER_VERSION);
    }
  connect_fail (task, error);
}

static void
hello_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      connect_fail (task, error);
      return;
    }

  kf_peer_exchange_async (data->handshake, KF_PEER_STEP_ANSWER_CHALLENGE, G_IO_STREAM (data->conn),
                          data->buf, 0, data->internal, challenge_answered_cb, task);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (data->conn == NULL)
    {
      connect_fail (task, error);
      return;
    }
  clear_source (&data->connect_deadline);

  kf_peer_handshake_write_hello (data->handshake, data->buf);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (data->conn)),
                                   data->buf, KF_PEER_HELLO_SIZE, G_PRIORITY_DEFAULT,
                                   data->internal, hello_written_cb, task);
}

/*
 * kf_peer_link_connect_async:
 * @keys: the session's key material (copied)
 * @identity: this user's identity, proven to the receiver
 * @host: the receiver's address as the key manager reported it (IPv4
 *   dotted, IPv6 without brackets, or a host name)
 * @timeout_ms: absolute deadline for connecting and the whole handshake;
 *   0 means %KF_PEER_LINK_DEFAULT_TIMEOUT_MS
 *
 * The TCP connect alone has a shorter deadline,
 * %KF_PEER_LINK_CONNECT_TIMEOUT_MS: a receiver whose firewall drops the
 * connection fails fast, with a message that says so and names the
 * address and port to let in, instead of waiting for the whole deadline.
 * The sender's side: connects to the receiver, checks that it proves the
 * session key and its identity, then proves both too.  Runs on the thread-default main
 * context; @callback runs there.
 */
void
kf_peer_link_connect_async (const KfSessionKeys  *keys,
                            KfIdentity           *identity,
                            const char           *host,
                            guint16               port,
                            guint                 timeout_ms,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = NULL;
  ConnectData *data;
  GTask *task;

  g_return_if_fail (keys != NULL && KF_IS_IDENTITY (identity) && host != NULL && port != 0);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_peer_link_connect_async);
  data = g_new0 (ConnectData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);
  data->handshake = kf_peer_handshake_new (keys, identity, KF_PEER_ROLE_SENDER);
  data->internal = g_cancellable_new ();
  data->timeout_ms = timeout_ms > 0 ? timeout_ms : KF_PEER_LINK_DEFAULT_TIMEOUT_MS;
  data->where = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                           : g_strdup_printf ("%s:%u", host, port);
  if (cancellable != NULL)
    {
      data->user = g_object_ref (cancellable);
      data->user_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_internal_cb),
                                                  data->internal, NULL);
    }
  data->deadline = g_timeout_source_new (data->timeout_ms);
  g_source_set_callback (data->deadline, connect_deadline_cb, data, NULL);
  g_source_attach (data->deadline, g_main_context_get_thread_default ());
  data->connect_deadline = g_timeout_source_new (MIN (data->timeout_ms,
                                                      KF_PEER_LINK_CONNECT_TIMEOUT_MS));
  g_source_set_callback (data->connect_deadline, connect_unanswered_cb, data, NULL);
  g_source_attach (data->connect_deadline, g_main_context_get_thread_default ());

  g_socket_client_set_enable_proxy (client, FALSE);
  address = g_network_address_new (host, port);
  g_socket_client_connect_async (client, address, data->internal, connected_cb, task);
}

/*
 * kf_peer_link_connect_finish:
 *
 * Returns: (transfer full): the authenticated link, or %NULL with
 * %KF_TRANSFER_ERROR_PEER_GONE (unreachable, or it hung up),
 * %KF_TRANSFER_ERROR_HANDSHAKE (it could not prove the key or speaks
 * another protocol), %KF_TRANSFER_ERROR_TIMEOUT (no answer to the connect,
 * or the deadline) or
 * G_IO_ERROR_CANCELLED.
 */
KfPeerLink *
kf_peer_link_connect_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_peer_link_connect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
