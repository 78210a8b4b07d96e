/* kf-server-tls-transport.c: a client's TLS connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfServerTlsTransport owns one accepted connection and does all of its
 * I/O without blocking the server's main context: it waits for the
 * client's TLS ClientHello, runs the handshake when the server's
 * handshake queue gives it a slot, reads lines through a bounded line
 * reader, and writes through a capped queue.
 *
 * An idle connection costs the main loop nothing: instead of a pending
 * read (a GSource each) its socket waits in the server's epoll set
 * (KfServerPoller).  When the socket is readable it reads what the TLS
 * layer has, a bounded number of lines per turn so that one chatty
 * client cannot hold the loop.  Only what is under way has a source of
 * its own: a handshake, a write that would block, a close, which its own
 * timer bounds.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "kf-line-reader.h"
#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-server-tls-transport.h"
#include "kf-tls.h"

/* Lines queued for a client go out in one writev of up to this many. */
#define WRITE_BATCH 64
/* Lines taken from one client per turn of the poller, before the others
 * get theirs. */
#define READ_BUDGET 16
/* A TLS record: a 5-byte header (content type 22 for a handshake, the
 * version, the length) and at most 2^14 bytes. */
#define TLS_RECORD_HEADER    5
#define TLS_RECORD_MAX       16384
#define TLS_TYPE_HANDSHAKE   22

struct _KfServerTlsTransport
{
  GObject            parent_instance;

  const KfServerTransportEvents *events;
  gpointer           owner;
  GIOStream         *stream;
  int                fd;              /* the socket, for the poller */
  char              *address;
  KfLineReader      *reader;
  KfServerPoller    *poller;
  KfServerWatch     *watch;           /* while reading, or awaiting the ClientHello */
  gint64             accepted_at;     /* monotonic */
  gboolean           hello_arrived;   /* the first TLS record is all there */
  KfServerTimers    *timers;
  KfServerHandshakes *handshakes;     /* where the handshake waits for a slot */
  GCancellable      *cancellable;     /* handshake, writes, closing */

  gboolean           reading;
  gboolean           closing;
  gboolean           close_when_flushed;

  GQueue             queue;          /* GBytes */
  gsize              queued_bytes;
  gboolean           writing;
  GOutputVector      vectors[WRITE_BATCH];  /* what the pending write sends */
  guint              n_writing;             /* lines in the pending write */
  gsize              write_queue_max;

  KfServerTimer     *close_timer;
  guint              close_timeout_ms;
};

static void kf_server_tls_transport_iface_init (KfServerTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KfServerTlsTransport, kf_server_tls_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KF_TYPE_SERVER_TRANSPORT,
                                                      kf_server_tls_transport_iface_init))

static void write_next (KfServerTlsTransport *self);

/* Takes the socket out of the poller. */
static void
stop_reading (KfServerTlsTransport *self)
{
  if (self->watch != NULL)
    kf_server_poller_remove (self->poller, g_steal_pointer (&self->watch));
}

static void
kf_server_tls_transport_dispose (GObject *object)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (object);

  g_cancellable_cancel (self->cancellable);
  stop_reading (self);
  if (self->timers != NULL)
    kf_server_timers_clear (self->timers, &self->close_timer);

  G_OBJECT_CLASS (kf_server_tls_transport_parent_class)->dispose (object);
}

static void
kf_server_tls_transport_finalize (GObject *object)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&self->reader);
  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->poller);
  g_clear_object (&self->timers);
  g_clear_object (&self->handshakes);
  g_free (self->address);

  G_OBJECT_CLASS (kf_server_tls_transport_parent_class)->finalize (object);
}

static void
kf_server_tls_transport_class_init (KfServerTlsTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_server_tls_transport_dispose;
  object_class->finalize = kf_server_tls_transport_finalize;
}

static void
kf_server_tls_transport_init (KfServerTlsTransport *self)
{
  self->cancellable = g_cancellable_new ();
  self->fd = -1;
  g_queue_init (&self->queue);
}

/* The peer's IP address as text; IPv4 clients of a dual-stack socket show
 * as plain IPv4 rather than ::ffff:a.b.c.d. */
static char *
remote_address (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  GInetAddress *inet;
  const guint8 *bytes;
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return g_strdup ("unknown");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  bytes = g_inet_address_to_bytes (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
      && memcmp (bytes, mapped, sizeof mapped) == 0)
    {
      g_autoptr(GInetAddress) v4 = g_inet_address_new_from_bytes (bytes + 12,
                                                                  G_SOCKET_FAMILY_IPV4);

      return g_inet_address_to_string (v4);
    }

  return g_inet_address_to_string (inet);
}

/*
 * kf_server_tls_transport_new:
 * @connection: the accepted TCP connection
 * @certificate: the server's certificate, with its key
 * @poller: where the socket waits for lines
 * @timers: where the close timer waits
 * @handshakes: where the TLS handshake waits for a slot
 *
 * Wraps @connection in TLS.
 * Returns: (transfer full): the transport, or %NULL with @error when TLS
 * is unavailable (glib-networking missing).
 */
KfServerTlsTransport *
kf_server_tls_transport_new (GSocketConnection     *connection,
                             GTlsCertificate       *certificate,
                             const KfServerConfig  *config,
                             KfServerPoller        *poller,
                             KfServerTimers        *timers,
                             KfServerHandshakes    *handshakes,
                             GError               **error)
{
  g_autoptr(KfServerTlsTransport) self = g_object_new (KF_TYPE_SERVER_TLS_TRANSPORT, NULL);
  GIOStream *tls;
  GSocket *socket;

  /* Clients are not asked for certificates, so no CA database is needed.
   * Without "database" set to NULL from construction on, glib-networking
   * loads the system trust store into every connection: megabytes of
   * memory and milliseconds of CPU per client. */
  tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                        NULL, error, "base-io-stream", connection, "certificate", certificate,
                        "database", NULL, NULL);
  if (tls == NULL)
    return NULL;
  /* Protocol version 2 is chosen in the handshake: a client that does not
   * offer it is told to update (docs/PROTOCOL.md part 1 §4.1). */
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls),
                                             (const char * const[]) { KF_PROTOCOL_ALPN, NULL });
  socket = g_socket_connection_get_socket (connection);
  g_socket_set_keepalive (socket, TRUE);
  /* Replies are small and often come in twos (ok conn, ev key): without
   * this, Nagle's algorithm holds the second until the first is acked. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  self->stream = tls;
  self->fd = g_socket_get_fd (socket);
  self->poller = g_object_ref (poller);
  self->timers = g_object_ref (timers);
  self->handshakes = g_object_ref (handshakes);
  self->address = remote_address (connection);
  self->accepted_at = g_get_monotonic_time ();
  self->write_queue_max = config->write_queue_max;
  self->close_timeout_ms = config->close_timeout_ms;
  self->reader = kf_line_reader_new (g_io_stream_get_input_stream (tls), KF_PROTOCOL_MAX_LINE);

  return g_steal_pointer (&self);
}

/* Tells the owner the transport cannot go on, unless it is closing. */
static void
fail (KfServerTlsTransport *self,
      const GError         *error)
{
  if (!self->closing)
    self->events->failed (self->owner, error);
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfServerTlsTransport) self = user_data;
  g_autoptr(GError) error = NULL;
  GTlsConnection *tls = G_TLS_CONNECTION (source);

  kf_server_handshakes_release (self->handshakes, G_OBJECT (self));
  if (!g_tls_connection_handshake_finish (tls, result, &error))
    {
      if (!self->closing)
        g_message ("TLS handshake with %s failed: %s", self->address, error->message);
      fail (self, NULL);
      return;
    }
  if (self->closing)
    return;
  if (!kf_tls_check_connection (tls, &error))
    {
      g_message ("TLS with %s refused: %s", self->address, error->message);
      fail (self, NULL);
      return;
    }
  self->events->ready (self->owner);
}

/* Wakes the poller only once @bytes are queued on the socket (or it is
 * closed), so that a peer trickling bytes costs nothing until then. */
static gboolean
wake_at (KfServerTlsTransport *self,
         int                   bytes)
{
  return setsockopt (self->fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0;
}

/* Whether the peer has closed its end or the socket failed. */
static gboolean
peer_gone (KfServerTlsTransport *self)
{
  struct pollfd p = { .fd = self->fd, .events = POLLIN | POLLRDHUP };

  return poll (&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* How many bytes the first TLS record needs, from what has arrived of it:
 * the header alone until it is there.  0 when it is not a handshake
 * record of a sane length (not TLS, or not from a TLS client). */
static gsize
first_record_size (const guint8 *head,
                   gsize         len)
{
  gsize size;

  if (len < 1 || head[0] != TLS_TYPE_HANDSHAKE)
    return 0;
  if (len < TLS_RECORD_HEADER)
    return TLS_RECORD_HEADER;
  size = TLS_RECORD_HEADER + ((gsize) head[3] << 8 | head[4]);
  return size > TLS_RECORD_HEADER && size <= TLS_RECORD_HEADER + TLS_RECORD_MAX ? size : 0;
}

static void start_handshake (KfServerTlsTransport *self);

/* The poller's callback before the handshake: looks (without taking
 * them) at the bytes that arrived, and starts the handshake once the
 * client's first TLS record, its ClientHello, is all there. */
static gboolean
client_hello_cb (gpointer user_data)
{
  KfServerTlsTransport *self = user_data;
  g_autoptr(KfServerTlsTransport) hold = g_object_ref (self);
  guint8 head[TLS_RECORD_HEADER + TLS_RECORD_MAX];
  gssize n = recv (self->fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
  gsize needed;

  if (self->closing)
    return FALSE;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return FALSE;
  needed = n > 0 ? first_record_size (head, (gsize) n) : 0;
  if (needed == 0)
    {
      g_debug ("Connection from %s closed before a TLS ClientHello", self->address);
      fail (self, NULL);
      return FALSE;
    }
  if ((gsize) n < needed)
    {
      /* Woken with less than asked for: the peer left, or it was early. */
      if (peer_gone (self) || !wake_at (self, (int) needed))
        fail (self, NULL);
      return FALSE;
    }
  stop_reading (self);
  wake_at (self, 1);
  start_handshake (self);
  return FALSE;
}

/* The handshake queue gave this connection a slot. */
static void
slot_granted (GObject *owner)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (owner);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (self->stream), G_PRIORITY_DEFAULT,
                                    self->cancellable, handshake_cb, g_object_ref (self));
}

/* The handshake queue would close this connection: its handshake ran
 * past the grace period while another waited.  It is closed only if it
 * waits for the peer: bytes left unread mean the handshake's thread is
 * late (it has not even started, or has more to read), not the peer.
 * Cancelling the handshake (which closing does) wakes the thread blocked
 * in it at once. */
static gboolean
slot_revoked (GObject *owner)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (owner);
  int unread = 0;

  if (ioctl (self->fd, FIONREAD, &unread) == 0 && unread > 0)
    return FALSE;
  g_debug ("Closing the TLS handshake with %s, not finished %" G_GINT64_FORMAT
           " ms after connecting, to give its thread to another", self->address,
           (g_get_monotonic_time () - self->accepted_at) / 1000);
  fail (self, NULL);
  return TRUE;
}

static void
start_handshake (KfServerTlsTransport *self)
{
  self->hello_arrived = TRUE;
  kf_server_handshakes_request (self->handshakes, G_OBJECT (self), slot_granted, slot_revoked);
}

/* Waits for the client's ClientHello, then runs the TLS handshake;
 * ::ready follows when it succeeds, ::failed when it fails.  The
 * handshake runs in a worker thread of GIO's shared pool and holds it
 * until it ends; waiting for the whole first record on the main loop
 * first (with SO_RCVLOWAT, so a trickling peer does not even wake it)
 * means a silent or trickling connection never takes a thread from a
 * real client's handshake, and the server's handshake queue
 * (kf-server-handshakes.c) runs only as many as there are threads,
 * closing one that stalls after its ClientHello for one that waits. */
static void
tls_start (KfServerTransport *transport)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (transport);
  g_autoptr(GError) error = NULL;

  if (!wake_at (self, TLS_RECORD_HEADER)
      || (self->watch = kf_server_poller_add (self->poller, self->fd, client_hello_cb, self,
                                              &error)) == NULL)
    {
      g_debug ("Cannot wait for a ClientHello from %s: %s; starting the handshake now",
               self->address, error != NULL ? error->message : g_strerror (errno));
      start_handshake (self);
    }
}

/* The line reader gave up on the stream: a bad line or the end. */
static void
read_failed (KfServerTlsTransport *self,
             GError               *error)
{
  stop_reading (self);
  fail (self, error);
}

/* The poller's callback: the socket is readable, or lines are waiting in
 * the reader or the TLS layer.  Takes up to READ_BUDGET lines; returns
 * %TRUE when there may be more. */
static gboolean
readable_cb (gpointer user_data)
{
  KfServerTlsTransport *self = user_data;
  g_autoptr(KfServerTlsTransport) hold = g_object_ref (self);

  for (guint n = 0; n < READ_BUDGET; n++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfSecureString) line = NULL;   /* confirm, auth: wiped when freed */
      gsize len = 0;

      if (self->closing || !self->reading)
        return FALSE;
      line = kf_line_reader_read_line_nonblocking (self->reader, &len, &error);
      if (line == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            read_failed (self, error);
          return FALSE;
        }
      self->events->line (self->owner, line);
    }
  return !self->closing && self->reading;
}

/* Puts the socket in the poller (again) and looks at what is already
 * buffered on the next turn. */
static void
read_next (KfServerTlsTransport *self)
{
  g_autoptr(GError) error = NULL;

  if (self->watch == NULL)
    self->watch = kf_server_poller_add (self->poller, self->fd, readable_cb, self, &error);
  else
    kf_server_poller_set_active (self->poller, self->watch, TRUE, &error);
  if (error != NULL)
    {
      g_warning ("Cannot read from %s: %s", self->address, error->message);
      fail (self, NULL);
      return;
    }
  kf_server_poller_schedule (self->poller, self->watch);
}

static void
tls_set_reading (KfServerTransport *transport,
                 gboolean           reading)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (transport);

  self->reading = reading;
  if (self->closing)
    return;
  if (reading)
    read_next (self);
  else if (self->watch != NULL
           && !kf_server_poller_set_active (self->poller, self->watch, FALSE, NULL))
    g_warn_if_reached ();
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KfServerTlsTransport) self = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  kf_server_timers_clear (self->timers, &self->close_timer);
  g_debug ("Connection from %s closed", self->address);
}

static void
close_timeout_cb (gpointer user_data)
{
  KfServerTlsTransport *self = user_data;

  self->close_timer = NULL;
  g_cancellable_cancel (self->cancellable);
}

/* Closes the stream for real; bounded by the close timer. */
static void
shut (KfServerTlsTransport *self)
{
  self->close_when_flushed = FALSE;
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, self->cancellable, close_cb,
                           g_object_ref (self));
}

static void
tls_close (KfServerTransport *transport,
           gboolean           flush)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (transport);

  if (self->closing)
    return;
  self->closing = TRUE;
  stop_reading (self);
  self->close_timer = kf_server_timers_add (self->timers, self->close_timeout_ms,
                                            close_timeout_cb, self);
  kf_server_handshakes_release (self->handshakes, G_OBJECT (self));
  if (flush && (self->writing || !g_queue_is_empty (&self->queue)))
    {
      self->close_when_flushed = TRUE;
      return;
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  shut (self);
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KfServerTlsTransport) self = user_data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < self->n_writing; i++)
    {
      g_autoptr(GBytes) bytes = g_queue_pop_head (&self->queue);

      self->queued_bytes -= g_bytes_get_size (bytes);
    }
  self->n_writing = 0;
  self->writing = FALSE;
  if (!g_output_stream_writev_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      g_debug ("Writing to %s failed: %s", self->address, error->message);
      g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
      self->queued_bytes = 0;
      if (!self->closing)
        fail (self, NULL);
      else if (self->close_when_flushed)
        shut (self);
      return;
    }
  write_next (self);
}

/* Sends up to WRITE_BATCH queued lines in one write; when the queue is
 * empty and the transport is closing, closes it. */
static void
write_next (KfServerTlsTransport *self)
{
  GOutputStream *out;

  if (self->writing)
    return;
  if (g_queue_is_empty (&self->queue))
    {
      if (self->close_when_flushed)
        shut (self);
      return;
    }
  self->n_writing = 0;
  for (GList *l = self->queue.head; l != NULL && self->n_writing < WRITE_BATCH; l = l->next)
    {
      gsize size;

      self->vectors[self->n_writing].buffer = g_bytes_get_data (l->data, &size);
      self->vectors[self->n_writing].size = size;
      self->n_writing++;
    }
  self->writing = TRUE;
  out = g_io_stream_get_output_stream (self->stream);
  g_output_stream_writev_all_async (out, self->vectors, self->n_writing, G_PRIORITY_DEFAULT,
                                    self->cancellable, write_cb, g_object_ref (self));
}

static gboolean
tls_send (KfServerTransport *transport,
          GBytes            *line)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (transport);

  if (self->queued_bytes + g_bytes_get_size (line) > self->write_queue_max)
    return FALSE;
  self->queued_bytes += g_bytes_get_size (line);
  g_queue_push_tail (&self->queue, g_bytes_ref (line));
  write_next (self);
  return TRUE;
}

static void
tls_attach (KfServerTransport             *transport,
            const KfServerTransportEvents *events,
            gpointer                       owner)
{
  KfServerTlsTransport *self = KF_SERVER_TLS_TRANSPORT (transport);

  self->events = events;
  self->owner = owner;
}

static const char *
tls_get_address (KfServerTransport *transport)
{
  return KF_SERVER_TLS_TRANSPORT (transport)->address;
}

static gboolean
tls_is_before_hello (KfServerTransport *transport)
{
  return !KF_SERVER_TLS_TRANSPORT (transport)->hello_arrived;
}

static GTlsConnection *
tls_get_tls (KfServerTransport *transport)
{
  return G_TLS_CONNECTION (KF_SERVER_TLS_TRANSPORT (transport)->stream);
}

static void
kf_server_tls_transport_iface_init (KfServerTransportInterface *iface)
{
  iface->attach = tls_attach;
  iface->get_address = tls_get_address;
  iface->is_before_hello = tls_is_before_hello;
  iface->start = tls_start;
  iface->set_reading = tls_set_reading;
  iface->send = tls_send;
  iface->close = tls_close;
  iface->get_tls = tls_get_tls;
}
