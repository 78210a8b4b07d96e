/* kf-km-connection-open.c: reaching the key manager, pinning it, greeting it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opening a KfKmConnection is a chain of async steps under one absolute
 * deadline: TCP connect (no proxy), TLS handshake with the pin checked in
 * `accept-certificate` and again on the peer certificate afterwards, then
 * the greeting lines (`keyferry 2 <auth> <challenge>`, optional `auth`,
 * `hello`, `welcome`).  The client offers ALPN `keyferry/2` and refuses a
 * key manager that does not choose it (an older one); its `hello` carries
 * its identity and a signature over the greeting's challenge and this TLS
 * connection's exporter (kf-km-hello.c).  The pin is, in order of precedence, the fingerprint the
 * caller expects (from --fingerprint or a consent just given) or the one
 * the known-servers store holds for host:port.  No pin means first contact:
 * the open fails with KF_CLIENT_ERROR_UNKNOWN_SERVER and the fingerprint
 * seen stays readable, for the user to decide.  A different certificate is
 * KF_CLIENT_ERROR_SERVER_CHANGED, and nothing is sent to that server.
 */

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n-lib.h>
#include <gcrypt.h>

#include "kf-client.h"
#include "kf-fingerprint.h"
#include "kf-km-connection-private.h"
#include "kf-km-hello.h"
#include "kf-secure.h"
#include "kf-tls.h"
#include "kf-untrusted.h"

#define OPEN_DEADLINE_SECONDS 15

typedef enum
{
  PIN_NOT_CHECKED,
  PIN_OK,
  PIN_UNKNOWN,
  PIN_CHANGED,
  PIN_CONFLICT,   /* the expected fingerprint is not the one pinned */
} PinVerdict;

typedef struct _OpenData OpenData;
typedef void (*ReplyHandler) (GTask             *task,
                              KfProtocolMessage *msg);

struct _OpenData
{
  KfKnownServers *known_servers;
  char           *expected;     /* canonical, or NULL */
  char           *pinned;       /* what the pin was checked against */
  char           *passphrase;   /* secure memory, or NULL */
  char           *name;
  KfIdentity     *identity;
  guint8          challenge[KF_PROTOCOL_CHALLENGE_SIZE];
  GCancellable   *cancellable;  /* the connection's: cancelled by the caller's,
                                 * the deadline, or closing the connection */
  GCancellable   *caller_cancellable;
  gulong          caller_handler;
  guint           deadline_id;
  gboolean        timed_out;
  PinVerdict      verdict;
  GIOStream      *stream;
  KfLineReader   *reader;
  ReplyHandler    on_reply;
};

static void
open_data_free (OpenData *data)
{
  g_clear_handle_id (&data->deadline_id, g_source_remove);
  if (data->caller_handler != 0)
    g_cancellable_disconnect (data->caller_cancellable, data->caller_handler);
  g_clear_object (&data->caller_cancellable);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->known_servers);
  g_clear_object (&data->reader);
  if (data->stream != NULL)
    g_io_stream_close_async (data->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&data->stream);
  g_free (data->expected);
  g_free (data->pinned);
  g_free (data->name);
  g_clear_object (&data->identity);
  kf_secure_strfree (data->passphrase);
  g_free (data);
}

/* The open is over: neither the deadline nor the caller's cancellable may
 * cancel the connection (whose cancellable the open used) from now on. */
static void
open_done (OpenData *data)
{
  g_clear_handle_id (&data->deadline_id, g_source_remove);
  if (data->caller_handler != 0)
    g_cancellable_disconnect (data->caller_cancellable, data->caller_handler);
  data->caller_handler = 0;
}

/* Fails @task with @error, or with the deadline's error if that is why. */
static void
fail (GTask  *task,
      GError *error)
{
  OpenData *data = g_task_get_task_data (task);
  KfKmConnection *self = g_task_get_source_object (task);

  open_done (data);
  if (data->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                           _("The key manager at %s port %u did not answer within %d seconds"),
                           kf_km_connection_get_host (self), kf_km_connection_get_port (self),
                           OPEN_DEADLINE_SECONDS);
    }
  g_task_return_error (task, error);
}

static gboolean
on_deadline (gpointer user_data)
{
  OpenData *data = user_data;

  data->deadline_id = 0;
  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);

  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Compares @fingerprint with the expected one, else with the stored pin.
 * An expected fingerprint other than the stored pin is a conflict, however
 * the certificate looks: a pin is only ever replaced by removing it. */
static PinVerdict
check_pin (GTask      *task,
           const char *fingerprint)
{
  OpenData *data = g_task_get_task_data (task);
  KfKmConnection *self = g_task_get_source_object (task);
  const char *stored = kf_known_servers_lookup (data->known_servers,
                                                kf_km_connection_get_host (self),
                                                kf_km_connection_get_port (self));
  const char *pin = data->expected != NULL ? data->expected : stored;

  g_free (data->pinned);
  data->pinned = g_strdup (stored != NULL ? stored : pin);
  if (pin == NULL)
    return PIN_UNKNOWN;
  if (stored != NULL && !kf_fingerprint_equal (stored, pin))
    return PIN_CONFLICT;

  return kf_fingerprint_equal (pin, fingerprint) ? PIN_OK : PIN_CHANGED;
}

/* `accept-certificate`: the only trust decision is the pin. */
static gboolean
on_accept_certificate (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  GTask *task = user_data;
  OpenData *data = g_task_get_task_data (task);
  g_autofree char *fingerprint = kf_fingerprint_from_certificate (certificate);

  kf_km_connection_set_fingerprint (g_task_get_source_object (task), fingerprint);
  data->verdict = fingerprint != NULL ? check_pin (task, fingerprint) : PIN_CHANGED;

  return data->verdict == PIN_OK;
}

/* The error a user sees for a refused pin: what happened, what to do. */
static GError *
pin_error (GTask *task)
{
  OpenData *data = g_task_get_task_data (task);
  KfKmConnection *self = g_task_get_source_object (task);
  const char *seen = kf_km_connection_get_fingerprint (self);
  g_autofree char *seen_pretty = kf_fingerprint_format_pretty (seen != NULL ? seen : "");
  g_autofree char *pin_pretty = NULL;

  if (data->verdict == PIN_UNKNOWN)
    return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_UNKNOWN_SERVER,
                        _("The key manager at %s port %u is not known yet. Its certificate "
                          "fingerprint is SHA256:%s. Trust it only if this matches what the key "
                          "manager printed when it started."),
                        kf_km_connection_get_host (self), kf_km_connection_get_port (self),
                        seen_pretty);

  pin_pretty = kf_fingerprint_format_pretty (data->pinned != NULL ? data->pinned : "");
  if (data->verdict == PIN_CONFLICT)
    {
      g_autofree char *expected_pretty = kf_fingerprint_format_pretty (data->expected);

      return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED,
                          _("DANGER: the key manager at %s port %u is pinned to the fingerprint "
                            "SHA256:%s, not to the one given, SHA256:%s, so nothing was sent. A "
                            "pin is never replaced silently. If the key manager's certificate "
                            "changed on purpose, remove the old pin first with "
                            "“keyferry-cli --server %s:%u --forget-server” (in the app: forget "
                            "it in Preferences), then connect again."),
                          kf_km_connection_get_host (self), kf_km_connection_get_port (self),
                          pin_pretty, expected_pretty,
                          kf_km_connection_get_host (self), kf_km_connection_get_port (self));
    }
  return g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED,
                      _("DANGER: the key manager at %s port %u presented a different certificate. "
                        "%s SHA256:%s; presented: SHA256:%s. Someone may be intercepting the "
                        "connection, so nothing was sent. If the key manager was reinstalled on "
                        "purpose, ask its administrator for the new fingerprint, then remove the "
                        "old pin (the line for this server in %s, or “keyferry-cli --server "
                        "HOST:PORT --forget-server”) and connect again."),
                      kf_km_connection_get_host (self), kf_km_connection_get_port (self),
                      data->expected != NULL ? _("Expected:") : _("Pinned:"),
                      pin_pretty, seen_pretty,
                      kf_known_servers_get_path (data->known_servers));
}

static void send_line (GTask             *task,
                       KfProtocolMessage *msg,
                       ReplyHandler       on_reply);

/* `welcome <id> <name>`: the connection is ready for requests. */
static void
on_welcome (GTask             *task,
            KfProtocolMessage *msg)
{
  KfKmConnection *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  if (msg->type != KF_MSG_WELCOME || msg->id == 0 || msg->id > G_MAXUINT)
    {
      fail (task, g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                                       _("The key manager did not welcome this client")));
      return;
    }

  open_done (data);
  kf_km_connection_take_stream (self, g_steal_pointer (&data->stream),
                                g_steal_pointer (&data->reader));
  kf_km_connection_start (self, (guint) msg->id, msg->name);
  g_task_return_boolean (task, TRUE);
}

static void
send_hello (GTask *task)
{
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(KfProtocolMessage) hello = kf_protocol_message_new (KF_MSG_HELLO);
  g_autoptr(GError) error = NULL;
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE];

  if (!kf_km_hello_exporter (G_TLS_CONNECTION (data->stream), exporter, &error))
    {
      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                               _("Could not prove this identity to the key manager: %s"),
                               error->message));
      return;
    }
  hello->version = KF_PROTOCOL_VERSION;
  kf_protocol_message_set_name (hello, data->name);
  memcpy (hello->public_key, kf_identity_get_public_key (data->identity),
          KF_PROTOCOL_PUBLIC_KEY_SIZE);
  kf_km_hello_sign (data->identity, data->challenge, exporter, data->name, hello->signature);
  send_line (task, hello, on_welcome);
}

static void
on_auth_reply (GTask             *task,
               KfProtocolMessage *msg)
{
  if (msg->type != KF_MSG_OK || msg->reply_to != KF_MSG_AUTH)
    {
      fail (task, g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                                       _("The key manager answered the passphrase oddly")));
      return;
    }

  send_hello (task);
}

/* `keyferry <version> <auth> <challenge>`: sends the passphrase if asked,
 * then hello. */
static void
on_greeting (GTask             *task,
             KfProtocolMessage *msg)
{
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(KfProtocolMessage) auth = NULL;

  if (msg->type != KF_MSG_GREETING || msg->version != KF_PROTOCOL_VERSION)
    {
      fail (task, g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                                       _("The server is not a Keyferry key manager of a version "
                                         "this client speaks")));
      return;
    }
  memcpy (data->challenge, msg->challenge, sizeof data->challenge);
  if (!msg->auth_required)
    {
      send_hello (task);
      return;
    }
  if (data->passphrase == NULL)
    {
      fail (task, g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED,
                                       _("The key manager requires a passphrase; give one "
                                         "(for example with --passphrase-file)")));
      return;
    }

  auth = kf_protocol_message_new (KF_MSG_AUTH);
  kf_protocol_message_set_text (auth, data->passphrase);
  send_line (task, auth, on_auth_reply);
}

/* A greeting line arrived: `err` lines fail the open, others go on. */
static void
on_greeting_line (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = NULL;
  g_autoptr(KfProtocolMessage) msg = NULL;

  line = kf_line_reader_read_line_finish (KF_LINE_READER (source), result, NULL, &error);
  if (line == NULL && error != NULL && error->domain == KF_PROTOCOL_ERROR)
    {
      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                               _("The server sent a line this client does not accept: %s"),
                               error->message));
      return;
    }
  if (line == NULL)
    {
      if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                                   _("The key manager closed the connection during the "
                                     "greeting%s%s"),
                                   error != NULL ? ": " : "", error != NULL ? error->message : ""));
          return;
        }
      fail (task, g_steal_pointer (&error));
      return;
    }

  msg = kf_protocol_parse_server_line (line, &error);
  if (msg == NULL)
    {
      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                               _("The server's greeting is not understood: %s"), error->message));
      return;
    }
  _kf_km_connection_clean_message (msg);
  if (msg->type == KF_MSG_ERR)
    {
      fail (task, kf_km_connection_error_from_reply (msg));
      return;
    }

  data->on_reply (task, msg);
}

static void
read_greeting_line (GTask        *task,
                    ReplyHandler  on_reply)
{
  OpenData *data = g_task_get_task_data (task);

  data->on_reply = on_reply;
  kf_line_reader_read_line_async (data->reader, data->cancellable,
                                  on_greeting_line, g_object_ref (task));
}

static void
on_line_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  read_greeting_line (task, data->on_reply);
}

/* Writes @msg, then reads the answer and hands it to @on_reply. */
static void
send_line (GTask             *task,
           KfProtocolMessage *msg,
           ReplyHandler       on_reply)
{
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = kf_protocol_message_to_bytes (msg, &error);
  GOutputStream *output;

  if (bytes == NULL)
    {
      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                               _("Could not greet the key manager: %s"), error->message));
      return;
    }

  data->on_reply = on_reply;
  output = g_io_stream_get_output_stream (data->stream);
  g_output_stream_write_all_async (output, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), G_PRIORITY_DEFAULT,
                                   data->cancellable, on_line_sent, g_object_ref (task));
  /* write_all_async reads the buffer as it goes: keep it alive until done. */
  g_object_set_data_full (G_OBJECT (task), "kf-line", g_steal_pointer (&bytes),
                          (GDestroyNotify) g_bytes_unref);
}

/* After the handshake: checks the pin once more on the peer certificate. */
static gboolean
verify_peer_certificate (GTask *task)
{
  OpenData *data = g_task_get_task_data (task);
  KfKmConnection *self = g_task_get_source_object (task);
  GTlsCertificate *certificate;
  g_autofree char *fingerprint = NULL;
  g_autoptr(GError) error = NULL;

  certificate = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (data->stream));
  fingerprint = certificate != NULL ? kf_fingerprint_from_certificate (certificate) : NULL;
  kf_km_connection_set_fingerprint (self, fingerprint);
  data->verdict = fingerprint != NULL ? check_pin (task, fingerprint) : PIN_CHANGED;
  if (data->verdict != PIN_OK)
    return FALSE;

  if (data->expected != NULL
      && !kf_fingerprint_equal (fingerprint,
                                kf_known_servers_lookup (data->known_servers,
                                                         kf_km_connection_get_host (self),
                                                         kf_km_connection_get_port (self)))
      && !kf_known_servers_add (data->known_servers, kf_km_connection_get_host (self),
                                kf_km_connection_get_port (self), fingerprint, &error))
    g_warning ("Could not remember the key manager's fingerprint: %s", error->message);

  return TRUE;
}

static void
on_handshake (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (data->verdict == PIN_UNKNOWN || data->verdict == PIN_CHANGED
          || data->verdict == PIN_CONFLICT)
        fail (task, pin_error (task));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (task, g_steal_pointer (&error));
      else
        fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                                 _("Could not set up a secure connection to the key manager: %s"),
                                 error->message));
      return;
    }

  if (!kf_tls_check_connection (G_TLS_CONNECTION (source), &error))
    {
      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                               _("Could not set up a secure connection to the key manager: %s"),
                               error->message));
      return;
    }
  if (!verify_peer_certificate (task))
    {
      fail (task, pin_error (task));
      return;
    }
  if (g_strcmp0 (g_tls_connection_get_negotiated_protocol (G_TLS_CONNECTION (source)),
                 KF_PROTOCOL_ALPN) != 0)
    {
      KfKmConnection *self = g_task_get_source_object (task);

      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL,
                               _("The key manager at %s port %u runs an older version of "
                                 "Keyferry that this client cannot use: ask its administrator "
                                 "to update keyferry-server"),
                               kf_km_connection_get_host (self),
                               kf_km_connection_get_port (self)));
      return;
    }

  data->reader = kf_line_reader_new (g_io_stream_get_input_stream (data->stream),
                                     KF_PROTOCOL_MAX_LINE);
  read_greeting_line (task, on_greeting);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  KfKmConnection *self = g_task_get_source_object (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (task, g_steal_pointer (&error));
      else
        fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                                 _("Could not reach the key manager at %s port %u: %s"),
                                 kf_km_connection_get_host (self),
                                 kf_km_connection_get_port (self), error->message));
      return;
    }

  /* The TLS handshake ends in two small writes (ChangeCipherSpec, then
   * Finished), and requests come in twos: with Nagle's algorithm the
   * second waits for the first one's ACK, which the key manager may
   * delay by 40 ms (half of a one-file transfer here, at random). */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       1, NULL);

  /* No CA database at construction: set afterwards, the GnuTLS backend
   * would first parse the whole system CA bundle for nothing (megabytes
   * and milliseconds).  Without one, accept-certificate always fires and
   * the pin is checked there. */
  kf_tls_init ();
  tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                        NULL, &error, "base-io-stream", connection, "database", NULL, NULL);
  if (tls == NULL)
    {
      fail (task, g_error_new (KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                               _("TLS is not available (is glib-networking installed?): %s"),
                               error->message));
      return;
    }

  data->stream = tls;
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls),
                                             (const char * const[]) { KF_PROTOCOL_ALPN, NULL });
  g_signal_connect_object (tls, "accept-certificate", G_CALLBACK (on_accept_certificate),
                           task, 0);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    data->cancellable, on_handshake, g_object_ref (task));
}

/*
 * kf_km_connection_open_async:
 * @known_servers: where the pins live (and where a confirmed
 *   @expected_fingerprint is recorded)
 * @expected_fingerprint: (nullable): the pin to use instead of the store's,
 *   in any form kf_fingerprint_normalize() accepts
 * @passphrase: (nullable): the admission passphrase, if the server asks
 * @name: our display name
 * @identity: whose identity the client proves in `hello`
 *
 * Connects, checks the pin and greets the key manager, all within
 * %OPEN_DEADLINE_SECONDS.  See kf_km_connection_open_finish().
 */
void
kf_km_connection_open_async (KfKmConnection      *self,
                             KfKnownServers      *known_servers,
                             const char          *expected_fingerprint,
                             const char          *passphrase,
                             const char          *name,
                             KfIdentity          *identity,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GError) error = NULL;
  OpenData *data;

  g_return_if_fail (KF_IS_KM_CONNECTION (self));
  g_return_if_fail (KF_IS_KNOWN_SERVERS (known_servers));
  g_return_if_fail (name != NULL);
  g_return_if_fail (KF_IS_IDENTITY (identity));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_km_connection_open_async);
  data = g_new0 (OpenData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  data->known_servers = g_object_ref (known_servers);
  data->passphrase = kf_secure_strdup (passphrase);
  data->name = g_strdup (name);
  data->identity = g_object_ref (identity);
  data->cancellable = g_object_ref (kf_km_connection_get_cancellable (self));

  if (expected_fingerprint != NULL
      && (data->expected = kf_fingerprint_normalize (expected_fingerprint, &error)) == NULL)
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                               "%s", error->message);
      return;
    }
  if (kf_protocol_validate_name (name, NULL) && !kf_untrusted_is_clean (name))
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                               _("A display name must not contain bidirectional, zero-width or "
                                 "line separator characters. Choose another name."));
      return;
    }
  if (!kf_protocol_validate_name (name, &error)
      || !kf_known_servers_load (known_servers, &error))
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_CONNECT,
                               "%s", error->message);
      return;
    }

  if (cancellable != NULL)
    {
      data->caller_cancellable = g_object_ref (cancellable);
      data->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                    data->cancellable, NULL);
    }
  data->deadline_id = g_timeout_add_seconds (OPEN_DEADLINE_SECONDS, on_deadline, data);

  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  address = g_network_address_new (kf_km_connection_get_host (self),
                                   kf_km_connection_get_port (self));
  g_socket_client_connect_async (client, address, data->cancellable,
                                 on_connected, g_steal_pointer (&task));
}

/*
 * kf_km_connection_open_finish:
 *
 * Returns: %TRUE once greeted; the connection then carries requests and
 * events.  On failure: %KF_CLIENT_ERROR_UNKNOWN_SERVER (first contact;
 * kf_km_connection_get_fingerprint() gives the fingerprint to show),
 * %KF_CLIENT_ERROR_SERVER_CHANGED, %KF_CLIENT_ERROR_CONNECT (unreachable,
 * TLS failed, deadline passed), %KF_CLIENT_ERROR_AUTH_REQUIRED,
 * %KF_CLIENT_ERROR_AUTH_FAILED, %KF_CLIENT_ERROR_PROTOCOL, another mapped
 * `err`, or %G_IO_ERROR_CANCELLED.
 */
gboolean
kf_km_connection_open_finish (KfKmConnection  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
