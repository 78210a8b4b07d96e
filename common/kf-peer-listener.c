/* kf-peer-listener.c: the receiver's socket, waiting for the sender
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listens on an ephemeral port on every address (IPv6 and IPv4) and runs
 * the receiver's side of the handshake with every connection that comes,
 * a few at a time.  The first connection whose sender proves the session
 * key and its identity becomes the KfPeerLink; every other one is closed.  One absolute
 * deadline covers the whole wait, so a connection that trickles bytes
 * cannot hold the receiver.  When all handshake slots are taken, a new
 * connection takes the slot of the oldest one: the real sender answers at
 * once, so connections that hold a slot and say nothing (slowloris,
 * half-open) can only keep it from the sender by replacing each other
 * faster than it completes a round trip.  Everything runs on the main
 * context of the thread that called kf_peer_listener_accept_async().
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-peer-exchange.h"
#include "kf-peer-listener.h"

struct _KfPeerListener
{
  GObject          parent_instance;

  KfSessionKeys   *keys;
  KfIdentity      *identity;
  GSocketListener *listener;
  guint16          port;

  GTask           *task;
  GCancellable    *internal;
  GCancellable    *user;
  gulong           user_handler;
  GSource         *deadline;
  gboolean         timed_out;
  guint            timeout_ms;
  GQueue           pending;          /* Handshake, oldest first */
  char            *refused_version;  /* why a sender of another version was refused */
};

G_DEFINE_FINAL_TYPE (KfPeerListener, kf_peer_listener, G_TYPE_OBJECT)

/* One incoming connection in the middle of the handshake. */
typedef struct
{
  KfPeerListener    *self;
  GSocketConnection *conn;
  GCancellable      *cancellable;    /* stops this handshake alone */
  GList              link;           /* in self->pending while it holds a slot */
  KfPeerHandshake   *state;
  guint8             buf[KF_PEER_CHALLENGE_SIZE];
} Handshake;

/* Takes @hs's slot away and stops its pending read or write; its
 * callback then drops it. */
static void
handshake_evict (Handshake *hs)
{
  if (hs->link.data == NULL)
    return;

  g_queue_unlink (&hs->self->pending, &hs->link);
  hs->link.data = NULL;
  g_cancellable_cancel (hs->cancellable);
}

static void
stop_waiting (KfPeerListener *self)
{
  g_cancellable_cancel (self->internal);
  while (self->pending.head != NULL)
    handshake_evict (self->pending.head->data);
  if (self->user_handler != 0)
    g_cancellable_disconnect (self->user, self->user_handler);
  self->user_handler = 0;
  g_clear_object (&self->user);
  if (self->deadline != NULL)
    g_source_destroy (self->deadline);
  g_clear_pointer (&self->deadline, g_source_unref);
}

static void
kf_peer_listener_dispose (GObject *object)
{
  KfPeerListener *self = KF_PEER_LISTENER (object);

  stop_waiting (self);
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  g_clear_object (&self->listener);

  G_OBJECT_CLASS (kf_peer_listener_parent_class)->dispose (object);
}

static void
kf_peer_listener_finalize (GObject *object)
{
  KfPeerListener *self = KF_PEER_LISTENER (object);

  g_assert (self->task == NULL);
  g_clear_object (&self->internal);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->keys, kf_session_keys_free);
  g_free (self->refused_version);

  G_OBJECT_CLASS (kf_peer_listener_parent_class)->finalize (object);
}

static void
kf_peer_listener_class_init (KfPeerListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_peer_listener_dispose;
  object_class->finalize = kf_peer_listener_finalize;
}

static void
kf_peer_listener_init (KfPeerListener *self)
{
  self->internal = g_cancellable_new ();
}

/*
 * kf_peer_listener_new:
 * @keys: the session's key material (copied)
 * @identity: this user's identity, proven to the sender
 *
 * Opens a listening socket on an ephemeral port, on all IPv6 and IPv4
 * addresses: kf_peer_listener_new_in_range() with no range.
 *
 * Returns: (transfer full): the listener, or %NULL with @error set when no
 * socket could be opened.
 */
KfPeerListener *
kf_peer_listener_new (const KfSessionKeys  *keys,
                      KfIdentity           *identity,
                      GError              **error)
{
  return kf_peer_listener_new_in_range (keys, identity, 0, 0, error);
}

/* Binds the first free port of @first..@last; returns it, or 0 with
 * @error (the last port's error). */
static guint16
add_port_in_range (GSocketListener  *listener,
                   guint16           first,
                   guint16           last,
                   GError          **error)
{
  for (guint port = first; port <= last; port++)
    {
      g_autoptr(GError) local_error = NULL;

      if (g_socket_listener_add_inet_port (listener, (guint16) port, NULL, &local_error))
        return (guint16) port;
      if (port == last || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_set_error (error, G_IO_ERROR, local_error->code,
                       _("no free port from %u to %u (%s); widen the range of ports for "
                         "receiving"), first, last, local_error->message);
          return 0;
        }
    }
  g_assert_not_reached ();
}

/*
 * kf_peer_listener_new_in_range:
 * @keys: the session's key material (copied)
 * @identity: this user's identity, proven to the sender
 * @first: the lowest port to use, or 0 for an ephemeral port
 * @last: the highest port to use (>= @first), ignored when @first is 0
 *
 * Opens a listening socket on all IPv6 and IPv4 addresses, on the first
 * free port from @first to @last (so that a firewall can let exactly those
 * in), or on an ephemeral port.
 *
 * Returns: (transfer full): the listener, or %NULL with @error set when no
 * socket could be opened.
 */
KfPeerListener *
kf_peer_listener_new_in_range (const KfSessionKeys  *keys,
                               KfIdentity           *identity,
                               guint16               first,
                               guint16               last,
                               GError              **error)
{
  g_autoptr(KfPeerListener) self = g_object_new (KF_TYPE_PEER_LISTENER, NULL);
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (keys != NULL && KF_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (first == 0 || first <= last, NULL);

  self->keys = kf_session_keys_copy (keys);
  self->identity = g_object_ref (identity);
  self->listener = g_socket_listener_new ();
  if (first == 0)
    self->port = g_socket_listener_add_any_inet_port (self->listener, NULL, &local_error);
  else
    self->port = add_port_in_range (self->listener, first, last, &local_error);
  if (self->keys == NULL || self->port == 0)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                   _("Could not open a port to receive the file: %s"),
                   local_error != NULL ? local_error->message : _("out of secure memory"));
      return NULL;
    }

  return g_steal_pointer (&self);
}

/*
 * kf_peer_listener_get_port:
 *
 * Returns: the port the listener got, to tell the key manager.
 */
guint16
kf_peer_listener_get_port (KfPeerListener *self)
{
  g_return_val_if_fail (KF_IS_PEER_LISTENER (self), 0);

  return self->port;
}

/* Ends the pending accept with @link or @error (exactly one is set), and
 * stops listening.  Does nothing when it has already ended. */
static void
complete (KfPeerListener *self,
          KfPeerLink     *link,
          GError         *error)
{
  GTask *task = g_steal_pointer (&self->task);

  if (task == NULL)
    {
      g_clear_object (&link);
      g_clear_error (&error);
      return;
    }

  stop_waiting (self);
  g_socket_listener_close (self->listener);
  if (link != NULL)
    g_task_return_pointer (task, link, g_object_unref);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

static void
handshake_free (Handshake *hs)
{
  if (hs->link.data != NULL)
    g_queue_unlink (&hs->self->pending, &hs->link);
  g_object_unref (hs->cancellable);
  g_object_unref (hs->conn);
  kf_peer_handshake_free (hs->state);
  g_object_unref (hs->self);
  explicit_bzero (hs, sizeof *hs);
  g_free (hs);
}

static void
handshake_drop (Handshake    *hs,
                const GError *error)
{
  g_debug ("peer connection dropped: %s",
           error != NULL ? error->message : "the sender already won");
  g_io_stream_close (G_IO_STREAM (hs->conn), NULL, NULL);
  handshake_free (hs);
}

static void
handshake_won (Handshake *hs)
{
  KfPeerListener *self = g_object_ref (hs->self);
  GError *error = NULL;
  KfPeerLink *link;

  link = kf_peer_link_new (G_IO_STREAM (hs->conn), hs->state, &error);
  handshake_free (hs);
  complete (self, link, error);
  g_object_unref (self);
}

/* The RESPONSE arrived and checked out: this sender won, unless another
 * did first. */
static void
response_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Handshake *hs = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_peer_exchange_finish (result, NULL, &error) || hs->self->task == NULL)
    {
      handshake_drop (hs, error);
      return;
    }

  handshake_won (hs);
}

/* The rest of the HELLO arrived, was answered off the main loop, and the
 * CHALLENGE is sent: now the RESPONSE. */
static void
hello_answered_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Handshake *hs = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_peer_exchange_finish (result, NULL, &error))
    {
      handshake_drop (hs, error);
      return;
    }

  kf_peer_exchange_async (hs->state, KF_PEER_STEP_CHECK_RESPONSE, G_IO_STREAM (hs->conn), hs->buf,
                          0, hs->cancellable, response_checked_cb, hs);
}

/* The HELLO's first bytes: a sender of another version is refused here,
 * before its shorter HELLO could leave both sides waiting, and the
 * refusal is kept to explain a timeout. */
static void
prefix_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Handshake *hs = user_data;
  g_autoptr(GError) error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &got, &error)
      || !kf_peer_message_check_prefix (hs->buf, got, KF_PEER_MSG_HELLO, &error))
    {
      if (got >= KF_PEER_PREFIX_SIZE && error != NULL
          && memcmp (hs->buf, "KFPL", 4) == 0 && hs->buf[4] != KF_PEER_VERSION)
        {
          g_free (hs->self->refused_version);
          hs->self->refused_version = g_strdup (error->message);
        }
      handshake_drop (hs, error);
      return;
    }

  kf_peer_exchange_async (hs->state, KF_PEER_STEP_ANSWER_HELLO, G_IO_STREAM (hs->conn), hs->buf,
                          KF_PEER_PREFIX_SIZE, hs->cancellable, hello_answered_cb, hs);
}

static void
handshake_start (KfPeerListener    *self,
                 GSocketConnection *conn)
{
  Handshake *hs = g_new0 (Handshake, 1);

  hs->self = g_object_ref (self);
  hs->conn = conn;
  hs->cancellable = g_cancellable_new ();
  hs->state = kf_peer_handshake_new (self->keys, self->identity, KF_PEER_ROLE_RECEIVER);
  if (self->pending.length >= KF_PEER_LISTENER_MAX_PENDING)
    {
      g_debug ("peer connection replaced by a newer one: all %u handshake slots were taken",
               KF_PEER_LISTENER_MAX_PENDING);
      handshake_evict (self->pending.head->data);
    }
  hs->link.data = hs;
  g_queue_push_tail_link (&self->pending, &hs->link);

  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                 hs->buf, KF_PEER_PREFIX_SIZE, G_PRIORITY_DEFAULT,
                                 hs->cancellable, prefix_read_cb, hs);
}

static void accept_next (KfPeerListener *self);

/* The accept loop ends only when the internal cancellable fires: a peer
 * won (the task is gone), the deadline passed, or the caller cancelled. */
static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(KfPeerListener) self = user_data;
  GError *error = NULL;
  GSocketConnection *conn;

  conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (conn != NULL)
    {
      accept_next (self);
      handshake_start (self, conn);
      return;
    }

  if (self->timed_out && self->refused_version != NULL)
    {
      g_clear_error (&error);
      g_set_error (&error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The sender was refused: %s"), self->refused_version);
    }
  else if (self->timed_out)
    {
      g_clear_error (&error);
      g_set_error (&error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                   _("The sender did not connect and prove the transfer's key within %u seconds."),
                   self->timeout_ms / 1000);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GError *wrapped = g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                                     _("Could not accept the sender's connection: %s"),
                                     error->message);
      g_error_free (error);
      error = wrapped;
    }
  complete (self, NULL, error);
}

static void
accept_next (KfPeerListener *self)
{
  g_socket_listener_accept_async (self->listener, self->internal, accepted_cb,
                                  g_object_ref (self));
}

static gboolean
deadline_cb (gpointer user_data)
{
  KfPeerListener *self = user_data;

  self->timed_out = TRUE;
  g_cancellable_cancel (self->internal);
  return G_SOURCE_REMOVE;
}

static void
cancel_internal_cb (GCancellable *user,
                    GCancellable *internal)
{
  g_cancellable_cancel (internal);
}

/*
 * kf_peer_listener_accept_async:
 * @timeout_ms: absolute deadline for the sender to connect and finish the
 *   handshake; 0 means %KF_PEER_LINK_DEFAULT_TIMEOUT_MS
 *
 * Waits for the sender: the first connection that proves the session key
 * wins, every other one is closed, and the listener stops listening.  Call
 * it once per listener.  @callback runs on the thread-default main context.
 */
void
kf_peer_listener_accept_async (KfPeerListener      *self,
                               guint                timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (KF_IS_PEER_LISTENER (self));
  g_return_if_fail (self->task == NULL && !g_cancellable_is_cancelled (self->internal));

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, kf_peer_listener_accept_async);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : KF_PEER_LINK_DEFAULT_TIMEOUT_MS;
  if (cancellable != NULL)
    {
      self->user = g_object_ref (cancellable);
      self->user_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_internal_cb),
                                                  self->internal, NULL);
    }
  self->deadline = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (self->deadline, deadline_cb, self, NULL);
  g_source_attach (self->deadline, g_main_context_get_thread_default ());

  accept_next (self);
}

/*
 * kf_peer_listener_accept_finish:
 *
 * Returns: (transfer full): the authenticated link to the sender, or %NULL
 * with %KF_TRANSFER_ERROR_TIMEOUT (nobody proved the key in time),
 * %KF_TRANSFER_ERROR_IO (the socket failed) or G_IO_ERROR_CANCELLED.
 */
KfPeerLink *
kf_peer_listener_accept_finish (KfPeerListener  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_peer_listener_accept_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/*
 * kf_peer_listener_close:
 *
 * Stops listening and ends a pending accept with G_IO_ERROR_CANCELLED.
 */
void
kf_peer_listener_close (KfPeerListener *self)
{
  g_return_if_fail (KF_IS_PEER_LISTENER (self));

  g_cancellable_cancel (self->internal);
  g_socket_listener_close (self->listener);
}
