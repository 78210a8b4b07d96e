/* kf-peer-link.c: an authenticated connection between the two peers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfPeerLink exists only once the handshake of kf-peer-handshake has
 * succeeded.  It owns the per-direction record keys and sequence numbers
 * and moves records with blocking calls, meant for the transfer engine's
 * worker threads: one thread may send while another receives, but each
 * direction is used by one thread at a time.
 */

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-peer-link.h"

struct _KfPeerLink
{
  GObject         parent_instance;

  GIOStream      *stream;
  KfSessionKeys  *keys;
  KfPeerLinkKeys *link_keys;
  KfPeerRole      role;
  guint8          peer_identity[KF_IDENTITY_PUBLIC_KEY_SIZE];
  KfRecordKey    *send_key;
  KfRecordKey    *recv_key;
  guint64         send_seq;
  guint64         recv_seq;
  guint8         *recv_buf;
  guint8         *send_buf;
  guint           idle_timeout;   /* seconds, 0: none */
  const char     *cancel_reason;  /* static; atomic: read by the engines' threads */
};

G_DEFINE_FINAL_TYPE (KfPeerLink, kf_peer_link, G_TYPE_OBJECT)

static void
kf_peer_link_finalize (GObject *object)
{
  KfPeerLink *self = KF_PEER_LINK (object);

  if (self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  g_clear_pointer (&self->keys, kf_session_keys_free);
  g_clear_pointer (&self->link_keys, kf_peer_link_keys_free);
  g_clear_pointer (&self->send_key, kf_record_key_free);
  g_clear_pointer (&self->recv_key, kf_record_key_free);
  g_clear_pointer (&self->recv_buf, g_free);
  g_clear_pointer (&self->send_buf, g_free);

  G_OBJECT_CLASS (kf_peer_link_parent_class)->finalize (object);
}

static void
kf_peer_link_class_init (KfPeerLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_peer_link_finalize;
}

static void
kf_peer_link_init (KfPeerLink *self)
{
  self->idle_timeout = KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT;
}

/* Both socket buffers (the kernel clamps them to net.core.wmem_max and
 * rmem_max, 208 KiB on a stock Debian, and doubles them).  Left to
 * autotuning, a loopback receive buffer grows to tens of MiB: the sender
 * runs far ahead, and the bytes are cold in the cache by the time the
 * receiver copies them out.  Bounded, a 1 GiB transfer on the 2-core
 * reference machine took 1.8-2.0 s instead of 2.4-3.9 s, and it still
 * covers several milliseconds of a gigabit LAN's round trip. */
#define PEER_SOCKET_BUFFER (1 << 20)

/* A peer whose machine vanished (no FIN, no RST) is noticed within about
 * a minute: keepalive probes after 30 s of silence, and unacknowledged
 * data given up after 60 s.  Idle peers answer probes from their kernel,
 * so a user taking their time to accept an offer is not cut off.  Whole
 * records are written at once, so Nagle's algorithm only delays them. */
static void
tune_socket (GIOStream *stream)
{
  GSocket *socket;

  if (!G_IS_SOCKET_CONNECTION (stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  g_socket_set_keepalive (socket, TRUE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, 30, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, 10, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 3, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_USER_TIMEOUT, 60000, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, PEER_SOCKET_BUFFER, NULL);
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, PEER_SOCKET_BUFFER, NULL);
}

/*
 * kf_peer_link_new:
 * @stream: a connection on which @handshake just succeeded
 *
 * Wraps @stream as the link of the handshake's role, with the connection's
 * keys and the file's key and IV derived from it, and the peer's proven
 * identity.
 *
 * Returns: (transfer full): the link, or %NULL with @error set when
 * libgcrypt fails.
 */
KfPeerLink *
kf_peer_link_new (GIOStream        *stream,
                  KfPeerHandshake  *handshake,
                  GError          **error)
{
  g_autoptr(KfPeerLink) self = g_object_new (KF_TYPE_PEER_LINK, NULL);
  const guint8 *mine;
  const guint8 *theirs;

  g_return_val_if_fail (G_IS_IO_STREAM (stream) && handshake != NULL, NULL);

  self->stream = g_object_ref (stream);
  self->role = kf_peer_handshake_get_role (handshake);
  memcpy (self->peer_identity, kf_peer_handshake_get_peer_identity (handshake),
          sizeof self->peer_identity);
  tune_socket (stream);
  self->keys = kf_peer_handshake_derive_file_keys (handshake);
  self->link_keys = kf_peer_handshake_derive (handshake);

  mine = self->role == KF_PEER_ROLE_SENDER ? self->link_keys->sender_mac
                                           : self->link_keys->receiver_mac;
  theirs = self->role == KF_PEER_ROLE_SENDER ? self->link_keys->receiver_mac
                                             : self->link_keys->sender_mac;
  self->send_key = kf_record_key_new (mine, KF_RECORD_KEY_SIZE, error);
  if (self->send_key == NULL)
    return NULL;
  self->recv_key = kf_record_key_new (theirs, KF_RECORD_KEY_SIZE, error);
  if (self->recv_key == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/*
 * kf_peer_link_get_role:
 *
 * Returns: whether this end sends or receives the file.
 */
KfPeerRole
kf_peer_link_get_role (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), KF_PEER_ROLE_SENDER);

  return self->role;
}

/*
 * kf_peer_link_get_keys:
 *
 * Returns: (transfer none): the session's key material: its mode, and the
 * AES key and IV of the file, derived in the handshake from the key
 * manager's key and IV and the peers' X25519 secret.
 */
const KfSessionKeys *
kf_peer_link_get_keys (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->keys;
}

/*
 * kf_peer_link_get_offer_key:
 *
 * Returns: (transfer none): the 32-byte AES-256 key of this connection's
 * offer record.
 */
const guint8 *
kf_peer_link_get_offer_key (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->link_keys->offer_key;
}

/*
 * kf_peer_link_get_offer_iv:
 *
 * Returns: (transfer none): the 16-byte IV of this connection's offer record.
 */
const guint8 *
kf_peer_link_get_offer_iv (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->link_keys->offer_iv;
}

/*
 * kf_peer_link_get_peer_identity:
 *
 * Returns: (array fixed-size=32): the Ed25519 identity key the peer proved
 * it holds in the handshake, to compare with the one the key manager named
 * and with the user's contacts.
 */
const guint8 *
kf_peer_link_get_peer_identity (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->peer_identity;
}

/* Writes all of @buf.  When @cancellable fires after part of a record went
 * out, the rest is still written (without it) so the stream stays at a
 * record boundary and a CANCEL record can follow; kf_peer_link_abort()
 * stops even that. */
static gboolean
write_record (KfPeerLink    *self,
              const guint8  *buf,
              gsize          len,
              GCancellable  *cancellable,
              gboolean      *nothing_sent,
              GError       **error)
{
  GOutputStream *out = g_io_stream_get_output_stream (self->stream);
  g_autoptr(GError) local_error = NULL;
  gsize written = 0;

  if (g_output_stream_write_all (out, buf, len, &written, cancellable, &local_error))
    return TRUE;
  *nothing_sent = written == 0;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && written > 0
      && g_output_stream_write_all (out, buf + written, len - written, NULL, NULL, NULL))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && written == 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                 _("The peer took nothing for %u seconds, so the transfer was stopped."),
                 self->idle_timeout);
  else
    g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                 _("The connection to the peer was lost (%s)."), local_error->message);
  return FALSE;
}

/*
 * kf_peer_link_send:
 * @record: a buffer of %KF_RECORD_HEADER_SIZE + @payload_len +
 *   %KF_RECORD_TAG_SIZE bytes, the payload at offset %KF_RECORD_HEADER_SIZE
 *
 * Seals @record with the next sequence number of this direction and
 * writes it (blocking).  The header and tag are written into @record.
 *
 * Returns: %FALSE with G_IO_ERROR_CANCELLED, or %KF_TRANSFER_ERROR_PEER_GONE
 * when the connection fails.
 */
gboolean
kf_peer_link_send (KfPeerLink    *self,
                   KfRecordType   type,
                   guint8         flags,
                   guint8        *record,
                   gsize          payload_len,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gboolean nothing_sent = FALSE;

  g_return_val_if_fail (KF_IS_PEER_LINK (self), FALSE);
  g_return_val_if_fail (payload_len <= KF_RECORD_MAX_PAYLOAD, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!kf_record_seal (self->send_key, type, flags, self->send_seq, record, payload_len, error))
    return FALSE;

  if (!write_record (self, record, KF_RECORD_HEADER_SIZE + payload_len + KF_RECORD_TAG_SIZE,
                     cancellable, &nothing_sent, error))
    {
      /* Cancelled before a byte went out, the record was never sent: its
       * number stays the next one, or a CANCEL record sent after it would
       * leave a gap the receiver reports as reordering. */
      if (!nothing_sent)
        self->send_seq++;
      return FALSE;
    }
  self->send_seq++;

  return TRUE;
}

/*
 * kf_peer_link_send_copy:
 *
 * Like kf_peer_link_send() for a small control record: copies @payload
 * (at most 64 KiB) into a buffer of the link's own.
 */
gboolean
kf_peer_link_send_copy (KfPeerLink    *self,
                        KfRecordType   type,
                        guint8         flags,
                        const guint8  *payload,
                        gsize          payload_len,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), FALSE);
  g_return_val_if_fail (payload_len <= 65536, FALSE);

  if (self->send_buf == NULL)
    self->send_buf = g_malloc (KF_RECORD_HEADER_SIZE + 65536 + KF_RECORD_TAG_SIZE);
  if (payload_len > 0)
    memcpy (self->send_buf + KF_RECORD_HEADER_SIZE, payload, payload_len);

  return kf_peer_link_send (self, type, flags, self->send_buf, payload_len,
                            cancellable, error);
}

/*
 * kf_peer_link_receive:
 * @header: (out): the authenticated header
 *
 * Reads and authenticates the next record from the peer (blocking).
 *
 * Returns: (transfer none): its payload, valid until the next call, or
 * %NULL with an error of kf_record_read().
 */
const guint8 *
kf_peer_link_receive (KfPeerLink      *self,
                      KfRecordHeader  *header,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  GInputStream *in;

  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  if (self->recv_buf == NULL)
    self->recv_buf = g_malloc (KF_RECORD_MAX_SIZE);
  in = g_io_stream_get_input_stream (self->stream);
  if (!kf_record_read (in, self->recv_key, self->recv_seq, self->recv_buf,
                       KF_RECORD_MAX_SIZE, header, cancellable, &local_error))
    {
      if (g_error_matches (local_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT))
        g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                     _("The peer sent nothing for %u seconds, so the transfer was stopped."),
                     self->idle_timeout);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  self->recv_seq++;

  return self->recv_buf + KF_RECORD_HEADER_SIZE;
}

/*
 * kf_peer_link_set_idle_timeout:
 * @seconds: the idle limit; 0 for none
 *
 * Sets how long one read or write of the transfer may wait for the peer
 * (default %KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT).  It takes effect when the
 * transfer engine arms it, once the file starts to move (after ACCEPT): a
 * user may take their time over an offer, a peer may not stall a transfer.
 */
void
kf_peer_link_set_idle_timeout (KfPeerLink *self,
                               guint       seconds)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  self->idle_timeout = seconds;
}

guint
kf_peer_link_get_idle_timeout (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), 0);

  return self->idle_timeout;
}

/*
 * kf_peer_link_arm_idle_timeout:
 *
 * From now on a read or write that waits longer than the idle limit fails
 * with %KF_TRANSFER_ERROR_TIMEOUT (a sender that stops sending, a receiver
 * that stops reading).  Called by the transfer engine from its thread.
 */
void
kf_peer_link_arm_idle_timeout (KfPeerLink *self)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  if (!G_IS_SOCKET_CONNECTION (self->stream))
    return;
  g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream)),
                        self->idle_timeout);
}

/*
 * kf_peer_link_abort:
 *
 * Shuts the connection down in both directions at once, from any thread:
 * blocked reads see the end of the stream, blocked writes fail.  Used when
 * a transfer fails and the other threads must stop.
 */
void
kf_peer_link_abort (KfPeerLink *self)
{
  GSocket *socket;

  g_return_if_fail (KF_IS_PEER_LINK (self));

  if (!G_IS_SOCKET_CONNECTION (self->stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream));
  g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

/*
 * kf_peer_link_close:
 *
 * Ends the connection from any thread, even while a transfer still uses
 * the link: it is shut down at once (see kf_peer_link_abort()), and the
 * socket itself is closed when the last reference goes, so no worker
 * thread is ever left polling a closed, possibly reused, descriptor.
 */
void
kf_peer_link_close (KfPeerLink *self)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  kf_peer_link_abort (self);
}

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

static void
response_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  KfPeerLink *link;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      connect_fail (task, error);
      return;
    }

  link = kf_peer_link_new (G_IO_STREAM (data->conn), data->handshake, &error);
  if (link == NULL)
    {
      connect_fail (task, error);
      return;
    }
  g_task_return_pointer (task, link, g_object_unref);
  g_object_unref (task);
}

static void
challenge_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &got, &error)
      && !(got == 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)))
    {
      connect_fail (task, error);
      return;
    }
  if (got == 0)
    {
      /* A receiver of another version drops a HELLO it cannot read (with a
       * reset when part of it is still unread). */
      g_clear_error (&error);
      g_set_error (&error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The receiver at %s closed the connection at once: it may run an older "
                     "Keyferry that does not speak peer protocol version %u. Both must run "
                     "the same release."), data->where, KF_PEER_VERSION);
      connect_fail (task, error);
      return;
    }
  if (!kf_peer_handshake_read_challenge (data->handshake, data->buf, got, &error))
    {
      connect_fail (task, error);
      return;
    }

  kf_peer_handshake_write_response (data->handshake, data->buf);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (data->conn)),
                                   data->buf, KF_PEER_RESPONSE_SIZE, G_PRIORITY_DEFAULT,
                                   data->internal, response_written_cb, task);
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

  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (data->conn)),
                                 data->buf, KF_PEER_CHALLENGE_SIZE, G_PRIORITY_DEFAULT,
                                 data->internal, challenge_read_cb, task);
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

/*
 * kf_peer_link_set_cancel_reason:
 * @reason: (nullable): a static English text, or %NULL for the default
 *
 * Says why work on this link is about to be cancelled, for the CANCEL
 * record the engine then sends (Part 2, section 8): without it a
 * cancelled engine tells the peer "cancelled by the user".  Set it before
 * cancelling the engine's #GCancellable.
 */
void
kf_peer_link_set_cancel_reason (KfPeerLink *self,
                                const char *reason)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  g_atomic_pointer_set (&self->cancel_reason, reason);
}

/* Returns: (nullable): the text given to kf_peer_link_set_cancel_reason(). */
const char *
kf_peer_link_get_cancel_reason (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return g_atomic_pointer_get (&self->cancel_reason);
}
