/* kf-server-client.c: one client of the key manager
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfServerClient is one client as the protocol sees it: where it is
 * (its phase, its id and name, whether it was admitted or watches the
 * waiting list, its session), its deadlines, and its lines.  It parses
 * every line it reads; lines that do not parse are answered with `err`
 * here, lines that do are handed to the server through the "message"
 * signal.  What a message means is the server's business
 * (kf-server-greeting.c, kf-server-commands.c); this object only knows
 * how to talk, when to give up, and how to close.
 *
 * The bytes go through a KfServerTransport (kf-server-transport.c): a
 * TLS connection for a real client, or a detached transport with no
 * socket for the tests and the fuzzer, which are greeted, read, held and
 * closed through the same code otherwise.
 *
 * Nothing a client does can block the server or grow its memory without
 * bound: the transport holds one line and caps its write queue (a client
 * that does not read its replies is dropped), the handshake and greeting
 * have an absolute deadline, idle clients time out, and closing is
 * bounded by the transport's own timer.  An idle client's deadline waits
 * in the server's one deadline queue (KfServerTimers), not in a source of
 * its own.
 *
 * This file is the connection: making the client, its transport's
 * events, reading, lines in and out, closing, and where the client
 * stands.  The deadline and the idle timer are in
 * kf-server-client-timers.c, what the greeting established (the proven
 * identity, the passphrase, ALPN) and the blocks in
 * kf-server-client-identity.c; kf-server-client-private.h is what the
 * three share.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-line-reader.h"
#include "kf-secure.h"
#include "kf-server-client-private.h"
#include "kf-server-detached-transport.h"

enum {
  SIGNAL_READY,
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KfServerClient, kf_server_client, G_TYPE_OBJECT)

static void
kf_server_client_dispose (GObject *object)
{
  KfServerClient *self = KF_SERVER_CLIENT (object);

  g_cancellable_cancel (self->work_cancellable);
  /* Dropped while running: closed, the transport calls this client no
   * more.  One never started does no I/O and closes as it is freed. */
  if (self->started && self->transport != NULL)
    kf_server_transport_close (self->transport, FALSE);
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

  g_clear_object (&self->transport);
  g_clear_object (&self->work_cancellable);
  g_clear_object (&self->timers);
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
  self->work_cancellable = g_cancellable_new ();
}

static const KfServerTransportEvents transport_events;

/*
 * kf_server_client_new:
 * @transport: (transfer none): what carries the client's lines; the
 *   client becomes its owner
 * @timers: where the deadlines wait
 *
 * Arms the absolute deadline for the handshake and the greeting.
 * Returns: (transfer full): the client.
 */
KfServerClient *
kf_server_client_new (KfServerTransport     *transport,
                      const KfServerConfig  *config,
                      KfServerTimers        *timers)
{
  KfServerClient *self;

  g_return_val_if_fail (KF_IS_SERVER_TRANSPORT (transport) && config != NULL, NULL);
  g_return_val_if_fail (KF_IS_SERVER_TIMERS (timers), NULL);

  self = g_object_new (KF_TYPE_SERVER_CLIENT, NULL);
  self->transport = g_object_ref (transport);
  kf_server_transport_attach (transport, &transport_events, self);
  self->address = g_strdup (kf_server_transport_get_address (transport));
  self->accepted_at = g_get_monotonic_time ();
  self->timers = g_object_ref (timers);
  self->idle_timeout_ms = config->idle_timeout_ms;
  _kf_server_client_arm_deadline (self, config->handshake_timeout_ms);

  return self;
}

typedef struct
{
  KfServerClientSink sink;
  gpointer           user_data;
} DetachedSink;

/* Hands what a detached transport sends to the client's sink. */
static void
relay_line (gpointer    owner,
            const char *line,
            gsize       len,
            gpointer    user_data)
{
  DetachedSink *relay = user_data;

  relay->sink (owner, line, len, relay->user_data);
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
  g_autoptr(KfServerDetachedTransport) transport = NULL;
  DetachedSink *relay;

  g_return_val_if_fail (address != NULL && config != NULL, NULL);
  g_return_val_if_fail (KF_IS_SERVER_TIMERS (timers) && sink != NULL, NULL);

  relay = g_new (DetachedSink, 1);
  relay->sink = sink;
  relay->user_data = user_data;
  transport = kf_server_detached_transport_new (address, relay_line, relay, g_free);
  return kf_server_client_new (KF_SERVER_TRANSPORT (transport), config, timers);
}

/*
 * kf_server_client_start:
 *
 * Starts the transport: for a connection, waits for the ClientHello and
 * runs the TLS handshake (kf-server-tls-transport.c).  "ready" follows
 * when it succeeds, "closed" when it fails or the deadline passes first.
 */
void
kf_server_client_start (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  self->phase = KF_CLIENT_HANDSHAKE;
  self->started = TRUE;
  kf_server_transport_start (self->transport);
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
  return self->phase == KF_CLIENT_HANDSHAKE
         && kf_server_transport_is_before_hello (self->transport);
}

/* Parses @line and hands it on, or answers why it cannot be used. */
static void
handle_line (KfServerClient *self,
             const char     *line)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  _kf_server_client_restart_idle_timer (self);
  msg = kf_protocol_parse_client_line (line, &error);
  if (msg == NULL)
    {
      g_debug ("Client %" G_GUINT64_FORMAT ": refused a line: %s", self->id, error->message);
      kf_server_client_send_error (self, error->code, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, msg);
}

/* The transport's events. */

static void
transport_ready (gpointer owner)
{
  KfServerClient *self = owner;
  g_autoptr(KfServerClient) hold = g_object_ref (self);

  self->phase = KF_CLIENT_GREETING;
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

static void
transport_line (gpointer    owner,
                const char *line)
{
  KfServerClient *self = owner;
  g_autoptr(KfServerClient) hold = g_object_ref (self);

  handle_line (self, line);
}

/* The transport gave up: a bad line is answered (and is fatal), anything
 * else (the end, a TLS error, a failed write) closes the connection. */
static void
transport_failed (gpointer      owner,
                  const GError *error)
{
  KfServerClient *self = owner;
  g_autoptr(KfServerClient) hold = g_object_ref (self);

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

static const KfServerTransportEvents transport_events = {
  .ready = transport_ready,
  .line = transport_line,
  .failed = transport_failed,
};

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
  if (!self->held && !self->closing)
    kf_server_transport_set_reading (self->transport, TRUE);
}

void
kf_server_client_hold_reading (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->held = TRUE;
  kf_server_transport_set_reading (self->transport, FALSE);
}

void
kf_server_client_resume_reading (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->held = FALSE;
  kf_server_client_start_reading (self);
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
  char *copy;

  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  g_return_if_fail (KF_IS_SERVER_DETACHED_TRANSPORT (self->transport));

  if (self->closing)
    return;
  if (!kf_line_reader_check_line (line, len, KF_PROTOCOL_MAX_LINE, &error))
    {
      transport_failed (self, error);
      return;
    }
  copy = kf_secure_strndup (line, len);
  if (copy == NULL)
    {
      kf_server_client_send_error (self, KF_PROTOCOL_ERROR_INTERNAL, _("Out of secure memory"));
      kf_server_client_close (self, TRUE);
      return;
    }
  kf_server_detached_transport_receive (KF_SERVER_DETACHED_TRANSPORT (self->transport), copy);
}

/* Whether reading is held (a passphrase check is running). */
gboolean
kf_server_client_get_reading_held (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return self->held;
}

/*
 * kf_server_client_close:
 * @flush: send what is queued first (bounded by the close timeout)
 *
 * Closes the connection.  "closed" is emitted once, right away, so the
 * server can forget the client; the transport closes asynchronously.
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
  kf_server_timers_clear (self->timers, &self->idle);
  kf_server_timers_clear (self->timers, &self->deadline);
  g_cancellable_cancel (self->work_cancellable);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  kf_server_transport_close (self->transport, flush);
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
  g_autoptr(GBytes) bytes = NULL;

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
  if (!kf_server_transport_send (self->transport, bytes))
    {
      g_message ("Client %" G_GUINT64_FORMAT " (%s) does not read its replies; dropping it",
                 self->id, self->address);
      kf_server_client_close (self, FALSE);
    }
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
