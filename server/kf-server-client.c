/* kf-server-client.c: one connection to the key manager
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfServerClient owns its TLS connection and does all of its I/O
 * without blocking on the server's main context: the handshake, a bounded
 * line reader, and a write queue.  It parses every line it reads; lines
 * that do not parse are answered with `err` here, lines that do are handed
 * to the server through the "message" signal.  What a message means is the
 * server's business (kf-server-commands.c); this object only knows how to
 * talk, when to give up, and how to close.
 *
 * An idle client costs the main loop nothing: instead of a pending read
 * (a GSource each) its socket waits in the server's epoll set
 * (KfServerPoller), and its deadlines wait in the server's one deadline
 * queue (KfServerTimers).  When the socket is readable it reads what the
 * TLS layer has, a bounded number of lines per turn so that one chatty
 * client cannot hold the loop.  Only what is under way has a source of
 * its own: a handshake, a write that would block, a close.
 *
 * A detached client (kf_server_client_new_detached()) has no socket at
 * all: it is handed its lines one by one and gives what it sends to a
 * callback, so that tests and the fuzzer can run the server's state
 * machine with no I/O; it is greeted, read, held and closed through the
 * same code otherwise.
 *
 * Nothing a client does can block the server or grow its memory without
 * bound: the reader holds one line, the write queue is capped (a client
 * that does not read its replies is dropped), the handshake and greeting
 * have an absolute deadline, idle clients time out, and closing is bounded
 * by its own timer.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n.h>

#include "kf-km-hello.h"
#include "kf-line-reader.h"
#include "kf-secure.h"
#include "kf-server-blocks.h"
#include "kf-server-client.h"
#include "kf-server-handshakes.h"
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

struct _KfServerClient
{
  GObject            parent_instance;

  GIOStream         *stream;
  int                fd;              /* the socket, for the poller */
  KfLineReader      *reader;
  KfServerPoller    *poller;
  KfServerWatch     *watch;           /* while reading, or awaiting the ClientHello */
  gint64             accepted_at;     /* monotonic */
  gboolean           hello_arrived;   /* the first TLS record is all there */
  KfServerTimers    *timers;
  KfServerHandshakes *handshakes;     /* where the handshake waits for a slot */
  GCancellable      *cancellable;     /* handshake, writes, closing */
  GCancellable      *work_cancellable; /* work done for this client */
  KfServerClientSink sink;            /* detached: where lines go */
  gpointer           sink_data;
  GQueue             unread;          /* detached: lines taken while held (secure) */
  gboolean           reading;         /* detached: reading started */
  char              *address;
  guint64            id;
  char              *name;
  KfClientPhase      phase;
  gboolean           admitted;
  gboolean           watching;
  KfServerSession   *session;
  guint8             challenge[KF_PROTOCOL_CHALLENGE_SIZE];    /* the greeting's */
  guint8             public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE];  /* proven in hello */
  KfServerBlocks    *blocks;          /* identities it blocked, or NULL */

  gboolean           held;
  gboolean           closing;
  gboolean           close_when_flushed;

  GQueue             queue;          /* GBytes */
  gsize              queued_bytes;
  gboolean           writing;
  GOutputVector      vectors[WRITE_BATCH];  /* what the pending write sends */
  guint              n_writing;             /* lines in the pending write */
  gsize              write_queue_max;

  KfServerTimer     *deadline;        /* handshake + greeting, or closing */
  KfServerTimer     *idle;
  gint64             idle_deadline;   /* the idle timer fires at or before this */
  gint64             idle_armed_at;
  guint              idle_timeout_ms;
  guint              close_timeout_ms;
};

enum {
  SIGNAL_READY,
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KfServerClient, kf_server_client, G_TYPE_OBJECT)

static void read_next (KfServerClient *self);
static void write_next (KfServerClient *self);

/* Takes the socket out of the poller. */
static void
stop_reading (KfServerClient *self)
{
  if (self->watch != NULL)
    kf_server_poller_remove (self->poller, g_steal_pointer (&self->watch));
}

static void
kf_server_client_dispose (GObject *object)
{
  KfServerClient *self = KF_SERVER_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->work_cancellable);
  stop_reading (self);
  if (self->timers != NULL)
    {
      kf_server_timers_clear (self->timers, &self->deadline);
      kf_server_timers_clear (self->timers, &self->idle);
    }
  g_clear_object (&self->session);

  G_OBJECT_CLASS (kf_server_client_parent_class)->dispose (object);
}

static void
kf_server_client_finalize (GObject *object)
{
  KfServerClient *self = KF_SERVER_CLIENT (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&self->unread, (GDestroyNotify) kf_secure_strfree);
  g_clear_object (&self->reader);
  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->work_cancellable);
  g_clear_object (&self->poller);
  g_clear_object (&self->timers);
  g_clear_object (&self->handshakes);
  g_free (self->address);
  g_free (self->name);
  kf_server_blocks_free (self->blocks);

  G_OBJECT_CLASS (kf_server_client_parent_class)->finalize (object);
}

static void
kf_server_client_class_init (KfServerClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_server_client_dispose;
  object_class->finalize = kf_server_client_finalize;

  /* The TLS handshake finished: time to send the greeting. */
  signals[SIGNAL_READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A line parsed into a KfProtocolMessage (owned by the client). */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* The connection is going away: emitted once, when closing starts. */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kf_server_client_init (KfServerClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->work_cancellable = g_cancellable_new ();
  self->fd = -1;
  g_queue_init (&self->queue);
  g_queue_init (&self->unread);
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

static void
deadline_cb (gpointer user_data)
{
  KfServerClient *self = user_data;

  self->deadline = NULL;
  g_message ("Client from %s did not finish the handshake and greeting in time",
             self->address);
  if (self->phase == KF_CLIENT_HANDSHAKE)
    kf_server_client_close (self, FALSE);
  else
    kf_server_client_send_error (self, KF_PROTOCOL_ERROR_TIMEOUT,
                                 _("The greeting took too long"));
}

/*
 * kf_server_client_new:
 * @connection: the accepted TCP connection
 * @certificate: the server's certificate, with its key
 * @poller: where the socket waits for lines
 * @timers: where the deadlines wait
 * @handshakes: where the TLS handshake waits for a slot
 *
 * Wraps @connection in TLS and arms the absolute handshake deadline.
 * Returns: (transfer full): the client, or %NULL with @error when TLS is
 * unavailable (glib-networking missing).
 */
KfServerClient *
kf_server_client_new (GSocketConnection     *connection,
                      GTlsCertificate       *certificate,
                      const KfServerConfig  *config,
                      KfServerPoller        *poller,
                      KfServerTimers        *timers,
                      KfServerHandshakes    *handshakes,
                      GError               **error)
{
  g_autoptr(KfServerClient) self = g_object_new (KF_TYPE_SERVER_CLIENT, NULL);
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
  self->idle_timeout_ms = config->idle_timeout_ms;
  self->close_timeout_ms = config->close_timeout_ms;
  self->reader = kf_line_reader_new (g_io_stream_get_input_stream (tls), KF_PROTOCOL_MAX_LINE);
  self->deadline = kf_server_timers_add (timers, config->handshake_timeout_ms, deadline_cb, self);

  return g_steal_pointer (&self);
}

/*
 * kf_server_client_new_detached:
 * @address: stands for the peer's address (admission limits, logs)
 * @timers: where the deadlines wait
 * @sink: gets every line the server sends this client, LF included
 *
 * A client without a connection, for tests and fuzzing: lines come in
 * through kf_server_client_receive_line() and go out to @sink at once;
 * kf_server_client_start() greets it without a handshake, and closing
 * it only says so.  Deadlines, the idle timer, holding and the state
 * machine work as for a connection.
 *
 * Returns: (transfer full): the client.
 */
KfServerClient *
kf_server_client_new_detached (const char            *address,
                               const KfServerConfig  *config,
                               KfServerTimers        *timers,
                               KfServerClientSink     sink,
                               gpointer               user_data)
{
  KfServerClient *self;

  g_return_val_if_fail (address != NULL && config != NULL, NULL);
  g_return_val_if_fail (KF_IS_SERVER_TIMERS (timers) && sink != NULL, NULL);

  self = g_object_new (KF_TYPE_SERVER_CLIENT, NULL);
  self->address = g_strdup (address);
  self->timers = g_object_ref (timers);
  self->sink = sink;
  self->sink_data = user_data;
  self->write_queue_max = config->write_queue_max;
  self->idle_timeout_ms = config->idle_timeout_ms;
  self->close_timeout_ms = config->close_timeout_ms;
  self->deadline = kf_server_timers_add (timers, config->handshake_timeout_ms, deadline_cb, self);

  return self;
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfServerClient) self = user_data;
  g_autoptr(GError) error = NULL;
  GTlsConnection *tls = G_TLS_CONNECTION (source);

  kf_server_handshakes_release (self->handshakes, G_OBJECT (self));
  if (!g_tls_connection_handshake_finish (tls, result, &error))
    {
      if (!self->closing)
        g_message ("TLS handshake with %s failed: %s", self->address, error->message);
      kf_server_client_close (self, FALSE);
      return;
    }
  if (self->closing)
    return;
  if (!kf_tls_check_connection (tls, &error))
    {
      g_message ("TLS with %s refused: %s", self->address, error->message);
      kf_server_client_close (self, FALSE);
      return;
    }
  self->phase = KF_CLIENT_GREETING;
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

/* Wakes the poller only once @bytes are queued on the socket (or it is
 * closed), so that a peer trickling bytes costs nothing until then. */
static gboolean
wake_at (KfServerClient *self,
         int             bytes)
{
  return setsockopt (self->fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0;
}

/* Whether the peer has closed its end or the socket failed. */
static gboolean
peer_gone (KfServerClient *self)
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

static void start_handshake (KfServerClient *self);

/* The poller's callback before the handshake: looks (without taking
 * them) at the bytes that arrived, and starts the handshake once the
 * client's first TLS record, its ClientHello, is all there. */
static gboolean
client_hello_cb (gpointer user_data)
{
  KfServerClient *self = user_data;
  g_autoptr(KfServerClient) hold = g_object_ref (self);
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
      kf_server_client_close (self, FALSE);
      return FALSE;
    }
  if ((gsize) n < needed)
    {
      /* Woken with less than asked for: the peer left, or it was early. */
      if (peer_gone (self) || !wake_at (self, (int) needed))
        kf_server_client_close (self, FALSE);
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
  KfServerClient *self = KF_SERVER_CLIENT (owner);

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
  KfServerClient *self = KF_SERVER_CLIENT (owner);
  int unread = 0;

  if (ioctl (self->fd, FIONREAD, &unread) == 0 && unread > 0)
    return FALSE;
  g_debug ("Closing the TLS handshake with %s, not finished %" G_GINT64_FORMAT
           " ms after connecting, to give its thread to another", self->address,
           (g_get_monotonic_time () - self->accepted_at) / 1000);
  kf_server_client_close (self, FALSE);
  return TRUE;
}

static void
start_handshake (KfServerClient *self)
{
  self->hello_arrived = TRUE;
  kf_server_handshakes_request (self->handshakes, G_OBJECT (self), slot_granted, slot_revoked);
}

/*
 * kf_server_client_start:
 *
 * Waits for the client's ClientHello, then runs the TLS handshake;
 * "ready" follows when it succeeds, "closed" when it fails or the
 * deadline passes first.  The handshake runs in a worker thread of GIO's
 * shared pool and holds it until it ends; waiting for the whole first
 * record on the main loop first (with SO_RCVLOWAT, so a trickling peer
 * does not even wake it) means a silent or trickling connection never
 * takes a thread from a real client's handshake, and the server's
 * handshake queue (kf-server-handshakes.c) runs only as many as there are
 * threads, closing one that stalls after its ClientHello for one that
 * waits.
 */
void
kf_server_client_start (KfServerClient *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->sink != NULL)
    {
      self->phase = KF_CLIENT_GREETING;
      g_signal_emit (self, signals[SIGNAL_READY], 0);
      return;
    }
  self->phase = KF_CLIENT_HANDSHAKE;
  if (!wake_at (self, TLS_RECORD_HEADER)
      || (self->watch = kf_server_poller_add (self->poller, self->fd, client_hello_cb, self,
                                              &error)) == NULL)
    {
      g_debug ("Cannot wait for a ClientHello from %s: %s; starting the handshake now",
               self->address, error != NULL ? error->message : g_strerror (errno));
      start_handshake (self);
    }
}

/*
 * kf_server_client_get_accepted_at, kf_server_client_is_before_hello:
 *
 * When the connection was accepted (monotonic µs), and whether its TLS
 * ClientHello has not arrived yet: the server evicts the oldest such
 * connection when its greeting slots are all taken.
 */
gint64
kf_server_client_get_accepted_at (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), 0);
  return self->accepted_at;
}

gboolean
kf_server_client_is_before_hello (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return self->sink == NULL && self->phase == KF_CLIENT_HANDSHAKE && !self->hello_arrived;
}

static void idle_cb (gpointer user_data);

/* Arms the idle timer for self->idle_deadline unless it already fires
 * at or before then. */
static void
arm_idle_timer (KfServerClient *self)
{
  if (self->idle != NULL && self->idle_armed_at <= self->idle_deadline)
    return;
  kf_server_timers_clear (self->timers, &self->idle);
  self->idle = kf_server_timers_add_at (self->timers, self->idle_deadline, idle_cb, self);
  self->idle_armed_at = self->idle_deadline;
}

/* The idle timer is not moved on every line (that would be a reinsertion
 * in the deadline queue per line): each line only pushes idle_deadline
 * on, and a timer that fires before it is simply armed again for the
 * rest. */
static void
idle_cb (gpointer user_data)
{
  KfServerClient *self = user_data;

  self->idle = NULL;
  if (kf_server_timers_get_time (self->timers) < self->idle_deadline)
    {
      arm_idle_timer (self);
      return;
    }
  g_message ("Client %" G_GUINT64_FORMAT " (%s) was silent for too long", self->id,
             self->address);
  kf_server_client_send_error (self, KF_PROTOCOL_ERROR_TIMEOUT,
                               _("No line for too long; send ping to keep the connection"));
}

static void
restart_idle_timer (KfServerClient *self)
{
  if (self->idle_timeout_ms > 0 && !self->closing
      && (self->phase == KF_CLIENT_IDLE || self->phase == KF_CLIENT_WAITING))
    {
      self->idle_deadline = kf_server_timers_get_time (self->timers)
                            + (gint64) self->idle_timeout_ms * G_TIME_SPAN_MILLISECOND;
      arm_idle_timer (self);
    }
  else
    kf_server_timers_clear (self->timers, &self->idle);
}

/*
 * kf_server_client_set_idle_timeout:
 *
 * Drops the client after @timeout_ms without a line from it (0: never).
 * The timer restarts now and on every line.
 */
void
kf_server_client_set_idle_timeout (KfServerClient *self,
                                   guint           timeout_ms)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  self->idle_timeout_ms = timeout_ms;
  restart_idle_timer (self);
}

/* Parses @line and hands it on, or answers why it cannot be used. */
static void
handle_line (KfServerClient *self,
             const char     *line)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  restart_idle_timer (self);
  msg = kf_protocol_parse_client_line (line, &error);
  if (msg == NULL)
    {
      g_debug ("Client %" G_GUINT64_FORMAT ": refused a line: %s", self->id, error->message);
      kf_server_client_send_error (self, error->code, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, msg);
}

/* The line reader gave up on the stream: a bad line is answered (and is
 * fatal), anything else (the end, a TLS error) closes the connection. */
static void
read_failed (KfServerClient *self,
             GError         *error)
{
  stop_reading (self);
  if (error != NULL && error->domain == KF_PROTOCOL_ERROR)
    {
      g_message ("Client %s sent a bad line: %s", self->address, error->message);
      kf_server_client_send_error (self, error->code, error->message);
      return;
    }
  if (error != NULL)
    g_debug ("Client %s: %s", self->address, error->message);
  kf_server_client_close (self, FALSE);
}

/* The poller's callback: the socket is readable, or lines are waiting in
 * the reader or the TLS layer.  Takes up to READ_BUDGET lines; returns
 * %TRUE when there may be more. */
static gboolean
readable_cb (gpointer user_data)
{
  KfServerClient *self = user_data;
  g_autoptr(KfServerClient) hold = g_object_ref (self);

  for (guint n = 0; n < READ_BUDGET; n++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfSecureString) line = NULL;   /* confirm, auth: wiped when freed */
      gsize len = 0;

      if (self->closing || self->held)
        return FALSE;
      line = kf_line_reader_read_line_nonblocking (self->reader, &len, &error);
      if (line == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            read_failed (self, error);
          return FALSE;
        }
      handle_line (self, line);
    }
  return !self->closing && !self->held;
}

/* Detached: handles the lines that came while reading was held. */
static void
take_unread (KfServerClient *self)
{
  g_autoptr(KfServerClient) hold = g_object_ref (self);

  self->reading = TRUE;
  while (!self->held && !self->closing && !g_queue_is_empty (&self->unread))
    {
      char *line = g_queue_pop_head (&self->unread);

      handle_line (self, line);
      kf_secure_strfree (line);
    }
}

/* Puts the socket in the poller (again) and looks at what is already
 * buffered on the next turn; a detached client takes the lines it
 * holds now. */
static void
read_next (KfServerClient *self)
{
  g_autoptr(GError) error = NULL;

  if (self->held || self->closing)
    return;
  if (self->sink != NULL)
    {
      take_unread (self);
      return;
    }
  if (self->watch == NULL)
    self->watch = kf_server_poller_add (self->poller, self->fd, readable_cb, self, &error);
  else
    kf_server_poller_set_active (self->poller, self->watch, TRUE, &error);
  if (error != NULL)
    {
      g_warning ("Cannot read from %s: %s", self->address, error->message);
      kf_server_client_close (self, FALSE);
      return;
    }
  kf_server_poller_schedule (self->poller, self->watch);
}

/*
 * kf_server_client_start_reading, kf_server_client_hold_reading,
 * kf_server_client_resume_reading:
 *
 * Start reading lines; stop taking new lines while a request is being
 * worked on off the main loop (a passphrase check); take them again.
 */
void
kf_server_client_start_reading (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  read_next (self);
}

void
kf_server_client_hold_reading (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->held = TRUE;
  if (self->watch != NULL
      && !kf_server_poller_set_active (self->poller, self->watch, FALSE, NULL))
    g_warn_if_reached ();
}

void
kf_server_client_resume_reading (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->held = FALSE;
  read_next (self);
}

/*
 * kf_server_client_receive_line:
 * @line: the line's bytes without its LF (any bytes: they are checked as
 *   a connection's line reader checks them)
 *
 * Detached clients only: @line arrives as if read from a connection.  A
 * line that breaks the reader's rules is answered and closes the client;
 * one that arrives while reading is held (or not started) waits its turn.
 * Ignored once the client is closing.
 */
void
kf_server_client_receive_line (KfServerClient *self,
                               const char     *line,
                               gsize           len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerClient) hold = NULL;
  char *copy;

  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  g_return_if_fail (self->sink != NULL);

  if (self->closing)
    return;
  if (!kf_line_reader_check_line (line, len, KF_PROTOCOL_MAX_LINE, &error))
    {
      read_failed (self, error);
      return;
    }
  copy = kf_secure_strndup (line, len);
  if (copy == NULL)
    {
      kf_server_client_send_error (self, KF_PROTOCOL_ERROR_INTERNAL, _("Out of secure memory"));
      kf_server_client_close (self, TRUE);
      return;
    }
  if (self->held || !self->reading)
    {
      g_queue_push_tail (&self->unread, copy);
      return;
    }
  hold = g_object_ref (self);
  handle_line (self, copy);
  kf_secure_strfree (copy);
}

/* Whether reading is held (a passphrase check is running). */
gboolean
kf_server_client_get_reading_held (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return self->held;
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KfServerClient) self = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  kf_server_timers_clear (self->timers, &self->deadline);
  g_debug ("Connection from %s closed", self->address);
}

static void
close_timeout_cb (gpointer user_data)
{
  KfServerClient *self = user_data;

  self->deadline = NULL;
  g_cancellable_cancel (self->cancellable);
}

/* Closes the stream for real; bounded by the close timer. */
static void
shut (KfServerClient *self)
{
  self->close_when_flushed = FALSE;
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, self->cancellable, close_cb,
                           g_object_ref (self));
}

/*
 * kf_server_client_close:
 * @flush: send what is queued first (bounded by the close timeout)
 *
 * Closes the connection.  "closed" is emitted once, right away, so the
 * server can forget the client; the stream itself closes asynchronously.
 */
void
kf_server_client_close (KfServerClient *self,
                        gboolean        flush)
{
  g_autoptr(KfServerClient) hold = NULL;

  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->closing)
    return;
  hold = g_object_ref (self);
  self->closing = TRUE;
  self->phase = KF_CLIENT_CLOSED;
  stop_reading (self);
  kf_server_timers_clear (self->timers, &self->idle);
  kf_server_timers_clear (self->timers, &self->deadline);
  g_queue_clear_full (&self->unread, (GDestroyNotify) kf_secure_strfree);
  if (self->sink == NULL)
    self->deadline = kf_server_timers_add (self->timers, self->close_timeout_ms,
                                           close_timeout_cb, self);
  g_cancellable_cancel (self->work_cancellable);
  if (self->handshakes != NULL)
    kf_server_handshakes_release (self->handshakes, G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);

  if (self->sink != NULL)
    return;
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
  g_autoptr(KfServerClient) self = user_data;
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
        kf_server_client_close (self, FALSE);
      else if (self->close_when_flushed)
        shut (self);
      return;
    }
  write_next (self);
}

/* Sends up to WRITE_BATCH queued lines in one write; when the queue is
 * empty and the client is closing, closes it. */
static void
write_next (KfServerClient *self)
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

/*
 * kf_server_client_send:
 *
 * Queues the line for @msg.  A client whose queue would pass the cap is
 * not reading its replies and is dropped.  Nothing is sent once closing
 * has started.
 */
void
kf_server_client_send (KfServerClient          *self,
                       const KfProtocolMessage *msg)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->closing)
    return;
  bytes = kf_protocol_message_to_bytes (msg, &error);
  if (bytes == NULL)
    {
      g_warning ("Cannot format a %s line: %s", kf_protocol_msg_type_to_verb (msg->type),
                 error->message);
      return;
    }
  if (self->sink != NULL)
    {
      self->sink (self, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                  self->sink_data);
      g_bytes_unref (bytes);
      return;
    }
  if (self->queued_bytes + g_bytes_get_size (bytes) > self->write_queue_max)
    {
      g_message ("Client %" G_GUINT64_FORMAT " (%s) does not read its replies; dropping it",
                 self->id, self->address);
      g_bytes_unref (bytes);
      kf_server_client_close (self, FALSE);
      return;
    }
  self->queued_bytes += g_bytes_get_size (bytes);
  g_queue_push_tail (&self->queue, bytes);
  write_next (self);
}

/*
 * kf_server_client_send_ok:
 *
 * Queues `ok <verb>` for a reply without arguments.
 */
void
kf_server_client_send_ok (KfServerClient *self,
                          KfMsgType       reply_to)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new_ok (reply_to);

  kf_server_client_send (self, msg);
}

/*
 * kf_server_client_send_error:
 *
 * Queues `err <code> <text>`; for a fatal code the connection is closed
 * once the line is sent.
 */
void
kf_server_client_send_error (KfServerClient  *self,
                             KfProtocolError  code,
                             const char      *text)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new_err (code, text);

  kf_server_client_send (self, msg);
  if (kf_protocol_error_is_fatal (code))
    kf_server_client_close (self, TRUE);
}

/*
 * kf_server_client_clear_deadline:
 *
 * The greeting is over: the absolute handshake deadline no longer applies
 * and the idle timer starts.
 */
void
kf_server_client_clear_deadline (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->closing)
    return;
  kf_server_timers_clear (self->timers, &self->deadline);
  restart_idle_timer (self);
}

const char *
kf_server_client_get_address (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->address;
}

/* Cancelled when the connection closes: for work done on its behalf. */
GCancellable *
kf_server_client_get_cancellable (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->work_cancellable;
}

guint64
kf_server_client_get_id (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), 0);
  return self->id;
}

void
kf_server_client_set_id (KfServerClient *self,
                         guint64         id)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->id = id;
}

const char *
kf_server_client_get_name (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->name;
}

void
kf_server_client_set_name (KfServerClient *self,
                           const char     *name)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  g_free (self->name);
  self->name = g_strdup (name);
}

KfClientPhase
kf_server_client_get_phase (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), KF_CLIENT_CLOSED);
  return self->phase;
}

/* Entering a session suspends the idle timer (a transfer can take long
 * and the key manager hears nothing meanwhile; TCP keepalive watches the
 * connection); leaving it restarts the timer. */
void
kf_server_client_set_phase (KfServerClient *self,
                            KfClientPhase   phase)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->closing)
    return;
  self->phase = phase;
  if (phase == KF_CLIENT_SESSION)
    kf_server_timers_clear (self->timers, &self->idle);
  else
    restart_idle_timer (self);
}

gboolean
kf_server_client_get_admitted (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return self->admitted;
}

void
kf_server_client_set_admitted (KfServerClient *self,
                               gboolean        admitted)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->admitted = admitted;
}

gboolean
kf_server_client_get_watching (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return self->watching;
}

void
kf_server_client_set_watching (KfServerClient *self,
                               gboolean        watching)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->watching = watching;
}

KfServerSession *
kf_server_client_get_session (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->session;
}

void
kf_server_client_set_session (KfServerClient  *self,
                              KfServerSession *session)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  g_set_object (&self->session, session);
}

/*
 * kf_server_client_speaks_current:
 *
 * Returns: %TRUE when the TLS handshake chose ALPN keyferry/2 (a detached
 * client always does); %FALSE for a client of an older version.
 */
gboolean
kf_server_client_speaks_current (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);

  if (self->stream == NULL)
    return TRUE;
  return g_strcmp0 (g_tls_connection_get_negotiated_protocol (G_TLS_CONNECTION (self->stream)),
                    KF_PROTOCOL_ALPN) == 0;
}

/*
 * kf_server_client_get_exporter:
 *
 * Fills @exporter with the connection's tls-exporter value, which a
 * `hello` signature covers; a detached client's is 32 zero bytes.
 * Returns %FALSE with @error when TLS cannot give it.
 */
gboolean
kf_server_client_get_exporter (KfServerClient  *self,
                               guint8           exporter[KF_KM_HELLO_EXPORTER_SIZE],
                               GError         **error)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);

  if (self->stream == NULL)
    {
      memset (exporter, 0, KF_KM_HELLO_EXPORTER_SIZE);
      return TRUE;
    }
  return kf_km_hello_exporter (G_TLS_CONNECTION (self->stream), exporter, error);
}

/* The challenge of this client's greeting (32 bytes). */
const guint8 *
kf_server_client_get_challenge (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->challenge;
}

void
kf_server_client_set_challenge (KfServerClient *self,
                                const guint8    challenge[KF_PROTOCOL_CHALLENGE_SIZE])
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  memcpy (self->challenge, challenge, sizeof self->challenge);
}

/* The identity the client proved in its hello (32 zero bytes before). */
const guint8 *
kf_server_client_get_public_key (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->public_key;
}

void
kf_server_client_set_public_key (KfServerClient *self,
                                 const guint8    public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE])
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  memcpy (self->public_key, public_key, sizeof self->public_key);
}

/* `block`: @public_key's conn to this client is refused from now on. */
void
kf_server_client_block (KfServerClient *self,
                        const guint8    public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE])
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->blocks == NULL)
    self->blocks = kf_server_blocks_new ();
  kf_server_blocks_add (self->blocks, public_key);
}

/* Whether this client blocked @public_key. */
gboolean
kf_server_client_blocks (KfServerClient *self,
                         const guint8    public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE])
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return kf_server_blocks_contains (self->blocks, public_key);
}
