/* kf-km-connection.c: the pinned TLS channel from a client to the key manager
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One KfKmConnection is one TCP connection to the key manager, with TLS from
 * the first byte and the server's certificate pinned by its SHA-256
 * fingerprint (see kf-known-servers): the connection's certificate database
 * is NULL so GIO always asks through `accept-certificate`, where the pin is
 * checked; it is checked again on the peer certificate once the handshake is
 * over, so a TLS backend that skipped the signal cannot skip the pin.
 *
 * Opening also runs the greeting (docs/PROTOCOL.md, "Greeting and
 * admission"): `keyferry 1 <auth>`, the optional `auth`, `hello`, and
 * `welcome` with our client id, all under one absolute deadline.
 *
 * Afterwards the object is a pipe of requests and replies: every request
 * gets exactly one reply, in order, so pending requests are a FIFO; `peer`
 * data lines belong to the reply at the head of it; `ev` lines are handed
 * out through the ::event signal as they come.  Lines are read with the
 * bounded KfLineReader and parsed and formatted by kf-protocol.  When the
 * server goes away every pending request fails and ::closed is emitted
 * once, unless kf_km_connection_close() was called first.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kf-client.h"
#include "kf-km-connection.h"
#include "kf-km-connection-private.h"
#include "kf-line-reader.h"
#include "kf-secure.h"
#include "kf-untrusted.h"

typedef struct
{
  GTask     *task;
  KfMsgType  verb;
  GPtrArray *data;   /* KfProtocolMessage, the `peer` lines */
} Pending;

typedef struct
{
  KfProtocolMessage *reply;
  GPtrArray         *data;
} Reply;

struct _KfKmConnection
{
  GObject          parent_instance;

  char            *host;
  guint16          port;
  char            *fingerprint;
  guint            client_id;
  char            *name;
  char            *shutdown_reason;

  GIOStream       *stream;
  KfLineReader    *reader;
  GCancellable    *cancellable;
  GQueue           pending;
  GQueue           outgoing;
  gboolean         writing;
  gboolean         open;
  gboolean         closed;
};

G_DEFINE_FINAL_TYPE (KfKmConnection, kf_km_connection, G_TYPE_OBJECT)

enum {
  EVENT,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void read_next_line (KfKmConnection *self);
static void write_next     (KfKmConnection *self);

static void
pending_free (Pending *pending)
{
  g_clear_object (&pending->task);
  g_clear_pointer (&pending->data, g_ptr_array_unref);
  g_free (pending);
}

static void
reply_free (Reply *reply)
{
  g_clear_pointer (&reply->reply, kf_protocol_message_free);
  g_clear_pointer (&reply->data, g_ptr_array_unref);
  g_free (reply);
}

/*
 * kf_km_connection_new:
 *
 * Returns: (transfer full): a connection to @host:@port, not yet open.
 */
KfKmConnection *
kf_km_connection_new (const char *host,
                      guint16     port)
{
  KfKmConnection *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (KF_TYPE_KM_CONNECTION, NULL);
  self->host = g_strdup (host);
  self->port = port;

  return self;
}

/*
 * kf_km_connection_get_fingerprint:
 *
 * Returns: (nullable): the canonical fingerprint of the certificate the
 * server presented, once the TLS handshake got that far (also after a
 * refused one: it is what a user is asked to trust).
 */
const char *
kf_km_connection_get_fingerprint (KfKmConnection *self)
{
  g_return_val_if_fail (KF_IS_KM_CONNECTION (self), NULL);

  return self->fingerprint;
}

guint
kf_km_connection_get_client_id (KfKmConnection *self)
{
  g_return_val_if_fail (KF_IS_KM_CONNECTION (self), 0);

  return self->client_id;
}

/*
 * kf_km_connection_get_name:
 *
 * Returns: (nullable): our display name as the key manager confirmed it in
 * `welcome`.
 */
const char *
kf_km_connection_get_name (KfKmConnection *self)
{
  g_return_val_if_fail (KF_IS_KM_CONNECTION (self), NULL);

  return self->name;
}

const char *
kf_km_connection_get_host (KfKmConnection *self)
{
  return self->host;
}

guint16
kf_km_connection_get_port (KfKmConnection *self)
{
  return self->port;
}

/* Cancelled when the connection is closed or disposed, even mid-open. */
GCancellable *
kf_km_connection_get_cancellable (KfKmConnection *self)
{
  return self->cancellable;
}

gboolean
kf_km_connection_is_open (KfKmConnection *self)
{
  g_return_val_if_fail (KF_IS_KM_CONNECTION (self), FALSE);

  return self->open && !self->closed;
}

/* Takes ownership of the TLS stream and line reader the greeting used. */
void
kf_km_connection_take_stream (KfKmConnection *self,
                              GIOStream      *stream,
                              KfLineReader   *reader)
{
  g_assert (self->stream == NULL);

  self->stream = stream;
  self->reader = reader;
}

void
kf_km_connection_set_fingerprint (KfKmConnection *self,
                                  const char     *fingerprint)
{
  g_free (self->fingerprint);
  self->fingerprint = g_strdup (fingerprint);
}

/* Records the greeting's result and starts the read loop. */
void
kf_km_connection_start (KfKmConnection *self,
                        guint           client_id,
                        const char     *name)
{
  g_assert (self->stream != NULL && self->reader != NULL);

  self->client_id = client_id;
  g_free (self->name);
  self->name = g_strdup (name);
  self->open = TRUE;
  read_next_line (self);
}

/*
 * kf_km_connection_error_from_reply:
 *
 * Returns: (transfer full): the KF_CLIENT_ERROR a user sees for the server's
 * `err` line @msg, with the server's text (or a generic sentence) as its
 * message.
 */
GError *
kf_km_connection_error_from_reply (const KfProtocolMessage *msg)
{
  const char *text = msg->text != NULL && msg->text[0] != '\0'
                     ? msg->text : _("The key manager refused the request");

  switch (msg->error_code)
    {
    case KF_PROTOCOL_ERROR_AUTH_REQUIRED:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED,
                          _("The key manager requires a passphrase: %s"), text);
    case KF_PROTOCOL_ERROR_AUTH_FAILED:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_FAILED,
                          _("The key manager did not accept the passphrase: %s"), text);
    case KF_PROTOCOL_ERROR_BAD_STATE:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE,
                          _("Not possible right now: %s"), text);
    case KF_PROTOCOL_ERROR_NO_SUCH_PEER:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_NO_SUCH_PEER,
                          _("That peer is no longer waiting: %s"), text);
    case KF_PROTOCOL_ERROR_BAD_NAME:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                          _("The key manager refused this display name: %s. "
                            "Choose another one with --name."), text);
    case KF_PROTOCOL_ERROR_NAME_OWNED:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_NAME_OWNED,
                          _("This name belongs to another person on this key manager (%s). "
                            "Choose another name with --name (in the app: on the connect "
                            "page)."), text);
    case KF_PROTOCOL_ERROR_NOT_ENROLLED:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_NOT_ENROLLED,
                          _("The key manager admits only the people its administrator added: "
                            "%s"), text);
    case KF_PROTOCOL_ERROR_RATE_LIMITED:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                          _("Too many pairings in a short time: %s"), text);
    case KF_PROTOCOL_ERROR_BAD_IDENTITY:
    case KF_PROTOCOL_ERROR_VERSION:
    case KF_PROTOCOL_ERROR_BAD_LINE:
    case KF_PROTOCOL_ERROR_UNKNOWN_COMMAND:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                          _("The key manager does not understand this client: %s"), text);
    case KF_PROTOCOL_ERROR_BAD_ARGS:
    case KF_PROTOCOL_ERROR_SELF:
    case KF_PROTOCOL_ERROR_BAD_CONFIRM:
    case KF_PROTOCOL_ERROR_FULL:
    case KF_PROTOCOL_ERROR_TIMEOUT:
    case KF_PROTOCOL_ERROR_INTERNAL:
    case KF_PROTOCOL_ERROR_LINE_TOO_LONG:
    case KF_PROTOCOL_ERROR_BAD_UTF8:
    case KF_PROTOCOL_ERROR_UNKNOWN_CODE:
    default:
      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                          _("The key manager refused: %s"), text);
    }
}

/* Fails every pending request with a copy of @error. */
static void
fail_pending (KfKmConnection *self,
              const GError   *error)
{
  Pending *pending;

  while ((pending = g_queue_pop_head (&self->pending)) != NULL)
    {
      g_task_return_error (pending->task, g_error_copy (error));
      pending_free (pending);
    }
}

/*
 * shut_down:
 *
 * Tears the connection down after a failure (@error set) or on request
 * (@error %NULL): cancels the read loop and pending writes, fails every
 * pending request, closes the stream in the background, and emits ::closed
 * for failures only.  Safe to call more than once.
 */
static void
shut_down (KfKmConnection *self,
           const GError   *error)
{
  g_autoptr(GError) gone = NULL;
  gboolean was_open = self->open;

  if (self->closed)
    return;
  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_queue_clear_full (&self->outgoing, (GDestroyNotify) g_bytes_unref);

  gone = error != NULL
         ? g_error_copy (error)
         : g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                                _("The connection to the key manager was closed"));
  fail_pending (self, gone);

  if (self->stream != NULL)
    g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);

  if (error != NULL && was_open)
    g_signal_emit (self, signals[CLOSED], 0, gone);
}

/* The error a user sees when the server closed or broke the connection. */
static GError *
disconnected_error (KfKmConnection *self,
                    const GError   *cause)
{
  if (self->shutdown_reason != NULL)
    return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                        _("The key manager shut down: %s"), self->shutdown_reason);
  if (cause != NULL)
    return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                        _("Lost the connection to the key manager: %s"), cause->message);

  return g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                              _("The key manager closed the connection"));
}

static void
fail_protocol (KfKmConnection *self,
               const char     *what)
{
  g_autoptr(GError) error = NULL;

  g_warning ("Key manager protocol violation: %s", what);
  error = g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                       _("The key manager sent something this client does not understand "
                         "(%s); disconnected"), what);
  shut_down (self, error);
}

/* Completes the request at the head of the queue with @msg (ok or err). */
static void
complete_head (KfKmConnection    *self,
               KfProtocolMessage *msg)
{
  Pending *pending = g_queue_pop_head (&self->pending);
  Reply *reply;

  if (msg->type == KF_MSG_ERR)
    {
      g_task_return_error (pending->task, kf_km_connection_error_from_reply (msg));
      kf_protocol_message_free (msg);
      pending_free (pending);
      return;
    }

  reply = g_new0 (Reply, 1);
  reply->reply = msg;
  reply->data = g_steal_pointer (&pending->data);
  g_task_return_pointer (pending->task, reply, (GDestroyNotify) reply_free);
  pending_free (pending);
}

static gboolean
is_event (KfMsgType type)
{
  return type == KF_MSG_EV_KEY || type == KF_MSG_EV_LISTEN || type == KF_MSG_EV_CONNECT
         || type == KF_MSG_EV_RESULT || type == KF_MSG_EV_CANCELLED
         || type == KF_MSG_EV_SHUTDOWN || type == KF_MSG_EV_WAITING
         || type == KF_MSG_EV_UNWAITING;
}

/*
 * dispatch:
 *
 * Routes one parsed server line: events out through ::event, `peer` data
 * to the head request, `ok`/`err` to complete it.  Anything else, or a
 * reply nobody asked for, breaks the connection as a protocol error.
 */
static void
dispatch (KfKmConnection    *self,
          KfProtocolMessage *msg)
{
  Pending *head = g_queue_peek_head (&self->pending);

  if (msg->type == KF_MSG_EV_SHUTDOWN)
    {
      g_free (self->shutdown_reason);
      self->shutdown_reason = g_strdup (msg->text != NULL ? msg->text : _("no reason given"));
    }

  if (is_event (msg->type))
    {
      g_signal_emit (self, signals[EVENT], 0, msg);
      kf_protocol_message_free (msg);
      return;
    }
  if (msg->type == KF_MSG_PEER && head != NULL && head->data != NULL)
    {
      g_ptr_array_add (head->data, msg);
      return;
    }
  if ((msg->type == KF_MSG_OK && head != NULL && msg->reply_to == head->verb)
      || (msg->type == KF_MSG_ERR && head != NULL))
    {
      complete_head (self, msg);
      return;
    }

  kf_protocol_message_free (msg);
  fail_protocol (self, head == NULL ? "a reply to no request" : "an unexpected line");
}

/*
 * _kf_km_connection_clean_message:
 *
 * Cleans the texts of a line from the key manager (names, reasons, error
 * texts: other people wrote them) with kf_untrusted_clean(), before
 * anything shows or logs them.
 */
void
_kf_km_connection_clean_message (KfProtocolMessage *msg)
{
  g_autofree char *name = kf_untrusted_clean (msg->name, -1);
  g_autofree char *text = kf_untrusted_clean (msg->text, -1);

  if (msg->name != NULL)
    kf_protocol_message_set_name (msg, name);
  if (msg->text != NULL && !kf_protocol_message_set_text (msg, text))
    kf_protocol_message_set_text (msg, NULL);
}

/* One line arrived (or the stream ended): parse, clean, dispatch, read on. */
static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfKmConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = NULL;   /* `ev key` carries the session keys */
  KfProtocolMessage *msg;

  line = kf_line_reader_read_line_finish (KF_LINE_READER (source), result, NULL, &error);
  if (self->closed)
    return;
  if (line == NULL)
    {
      g_autoptr(GError) gone = disconnected_error (self, error);
      shut_down (self, gone);
      return;
    }

  msg = kf_protocol_parse_server_line (line, &error);
  if (msg == NULL)
    {
      /* A newer server may announce events this version does not know. */
      if (g_str_has_prefix (line, "ev "))
        {
          g_debug ("Ignored an event this client does not know: %s", error->message);
          read_next_line (self);
          return;
        }
      fail_protocol (self, error->message);
      return;
    }

  _kf_km_connection_clean_message (msg);
  dispatch (self, msg);
  if (!self->closed)
    read_next_line (self);
}

static void
read_next_line (KfKmConnection *self)
{
  kf_line_reader_read_line_async (self->reader, self->cancellable,
                                  on_line_read, g_object_ref (self));
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(KfKmConnection) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!self->closed)
        {
          g_autoptr(GError) gone = disconnected_error (self, error);
          shut_down (self, gone);
        }
      return;
    }

  g_bytes_unref (g_queue_pop_head (&self->outgoing));
  write_next (self);
}

/* Writes the next queued line, one write in flight at a time. */
static void
write_next (KfKmConnection *self)
{
  GBytes *bytes;
  GOutputStream *output;

  if (self->writing || self->closed)
    return;
  bytes = g_queue_peek_head (&self->outgoing);
  if (bytes == NULL)
    return;

  self->writing = TRUE;
  output = g_io_stream_get_output_stream (self->stream);
  g_output_stream_write_all_async (output,
                                   g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   on_written, g_object_ref (self));
}

/*
 * kf_km_connection_request_async:
 * @request: the line to send; copied, so the caller may free it at once
 *
 * Sends @request and completes when its reply arrives.  Fails with
 * %KF_CLIENT_ERROR_DISCONNECTED when the connection is not open or is lost
 * before the reply, with the mapped KF_CLIENT_ERROR for an `err` reply, or
 * with %G_IO_ERROR_CANCELLED when @cancellable was cancelled (the reply is
 * then still awaited and dropped, keeping the FIFO in step).
 */
void
kf_km_connection_request_async (KfKmConnection          *self,
                                const KfProtocolMessage *request,
                                GCancellable            *cancellable,
                                GAsyncReadyCallback      callback,
                                gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *bytes;
  Pending *pending;

  g_return_if_fail (KF_IS_KM_CONNECTION (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_km_connection_request_async);

  if (!kf_km_connection_is_open (self))
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED,
                               "%s", _("Not connected to the key manager"));
      return;
    }

  bytes = kf_protocol_message_to_bytes (request, &error);
  if (bytes == NULL)
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                               _("Could not form the request: %s"), error->message);
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->task = g_steal_pointer (&task);
  pending->verb = request->type;
  if (request->type == KF_MSG_SEND || request->type == KF_MSG_WATCH)
    pending->data = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_protocol_message_free);
  g_queue_push_tail (&self->pending, pending);
  g_queue_push_tail (&self->outgoing, bytes);
  write_next (self);
}

/*
 * kf_km_connection_request_finish:
 * @data: (out) (optional) (transfer full): the `peer` lines that came with
 *   the reply (an empty array for `send` and `watch`, else %NULL)
 *
 * Returns: (transfer full): the `ok` reply, or %NULL with the error.
 */
KfProtocolMessage *
kf_km_connection_request_finish (KfKmConnection  *self,
                                 GAsyncResult    *result,
                                 GPtrArray      **data,
                                 GError         **error)
{
  Reply *reply;
  KfProtocolMessage *msg;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply == NULL)
    return NULL;

  msg = g_steal_pointer (&reply->reply);
  if (data != NULL)
    *data = g_steal_pointer (&reply->data);
  reply_free (reply);

  return msg;
}

/*
 * kf_km_connection_close:
 *
 * Closes the connection without emitting ::closed; pending requests fail
 * with %KF_CLIENT_ERROR_DISCONNECTED.  The owner must call this to end an
 * open connection: its read loop holds a reference until the stream ends.
 */
void
kf_km_connection_close (KfKmConnection *self)
{
  g_return_if_fail (KF_IS_KM_CONNECTION (self));

  shut_down (self, NULL);
}

static void
kf_km_connection_dispose (GObject *object)
{
  KfKmConnection *self = KF_KM_CONNECTION (object);

  shut_down (self, NULL);
  g_clear_object (&self->reader);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (kf_km_connection_parent_class)->dispose (object);
}

static void
kf_km_connection_finalize (GObject *object)
{
  KfKmConnection *self = KF_KM_CONNECTION (object);

  g_free (self->host);
  g_free (self->fingerprint);
  g_free (self->name);
  g_free (self->shutdown_reason);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kf_km_connection_parent_class)->finalize (object);
}

static void
kf_km_connection_class_init (KfKmConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_km_connection_dispose;
  object_class->finalize = kf_km_connection_finalize;

  /* ::event (KfProtocolMessage *msg): an `ev` line, valid during emission. */
  signals[EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* ::closed (GError *error): the server went away or broke the protocol. */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
kf_km_connection_init (KfKmConnection *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->pending);
  g_queue_init (&self->outgoing);
}
