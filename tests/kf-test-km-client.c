/* kf-test-km-client.c: a protocol-level key-manager client for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * It speaks the wire protocol by hand, line by line, so tests can say
 * exactly what a client sends, including what a well-behaved client never
 * would.  TLS uses no certificate database: the server's certificate is
 * checked against the pinned fingerprint in accept-certificate (or taken
 * as it is when no pin is given) and again after the handshake.
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "kf-cipher.h"
#include "kf-fingerprint.h"
#include "kf-hex.h"
#include "kf-km-hello.h"
#include "kf-line-reader.h"
#include "kf-secure.h"
#include "kf-test-km-client.h"
#include "kf-test-util.h"

struct _KfTestKmClient
{
  GIOStream    *stream;
  KfLineReader *reader;
  char         *pin;
  char         *fingerprint;
  guint64       id;
  KfIdentity   *identity;     /* a fresh one per client unless set */
  guint8        challenge[KF_PROTOCOL_CHALLENGE_SIZE];  /* the last greeting's */
};

/* A random identity (tests make many; none is kept on disk). */
static KfIdentity *
random_identity (void)
{
  guint8 seed[KF_IDENTITY_SEED_SIZE];

  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = (guint8) g_random_int_range (0, 256);
  return kf_identity_new_from_seed (seed);
}

/* The identity of the person called @name in these tests: the same for
 * every connection joined under that name (as one person's app and
 * keyferry-cli share one), so a name a test joins twice stays its own. */
static KfIdentity *
identity_for_name (const char *name)
{
  guint8 seed[32];

  gcry_md_hash_buffer (GCRY_MD_SHA256, seed, name, strlen (name));
  return kf_identity_new_from_seed (seed);
}

/* Notes the challenge of a greeting that passes by. */
static void
note_greeting (KfTestKmClient          *self,
               const KfProtocolMessage *msg)
{
  if (msg->type == KF_MSG_GREETING)
    memcpy (self->challenge, msg->challenge, sizeof self->challenge);
}

static gboolean
accept_certificate (GTlsConnection       *conn,
                    GTlsCertificate      *certificate,
                    GTlsCertificateFlags  errors,
                    gpointer              user_data)
{
  KfTestKmClient *self = user_data;
  g_autofree char *fingerprint = kf_fingerprint_from_certificate (certificate);

  g_free (self->fingerprint);
  self->fingerprint = g_strdup (fingerprint);

  return self->pin == NULL || kf_fingerprint_equal (fingerprint, self->pin);
}

static GSocketConnection *
connect_tcp (guint16   port,
             GError  **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  GSocketConnection *connection;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, KF_TEST_TIMEOUT_MS / 1000);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, error);
  if (connection != NULL)
    g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                         1, NULL);
  return connection;
}

/*
 * kf_test_km_client_connect_plain:
 *
 * Returns: a client on a plain TCP connection (no TLS), or %NULL.
 */
KfTestKmClient *
kf_test_km_client_connect_plain (guint16   port,
                                 GError  **error)
{
  KfTestKmClient *self;
  GSocketConnection *tcp = connect_tcp (port, error);

  if (tcp == NULL)
    return NULL;
  self = g_new0 (KfTestKmClient, 1);
  self->stream = G_IO_STREAM (tcp);
  self->reader = kf_line_reader_new (g_io_stream_get_input_stream (self->stream),
                                     KF_PROTOCOL_MAX_LINE);
  return self;
}

/*
 * kf_test_km_client_connect:
 * @pin: (nullable): the fingerprint to require, or %NULL to take any
 *
 * Returns: a client whose TLS handshake succeeded, or %NULL with @error
 * (%G_TLS_ERROR_BAD_CERTIFICATE when the pin does not match).
 */
static KfTestKmClient *
connect_tls (guint16      port,
             const char  *pin,
             gboolean     alpn,
             GError     **error)
{
  g_autoptr(GSocketConnection) tcp = connect_tcp (port, error);
  g_autoptr(GIOStream) tls = NULL;
  KfTestKmClient *self;

  if (tcp == NULL)
    return NULL;
  /* No CA database at all, from construction on: the pin is the trust. */
  tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                        NULL, error, "base-io-stream", tcp, "database", NULL, NULL);
  if (tls == NULL)
    return NULL;
  self = g_new0 (KfTestKmClient, 1);
  self->pin = g_strdup (pin);
  self->identity = random_identity ();
  if (alpn)
    g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls),
                                               (const char * const[]) { KF_PROTOCOL_ALPN, NULL });
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate), self);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, error))
    {
      kf_test_km_client_free (self);
      return NULL;
    }
  if (pin != NULL)
    {
      g_autofree char *after = kf_fingerprint_from_certificate (
        g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)));

      g_assert_true (kf_fingerprint_equal (after, pin));
    }
  self->stream = g_steal_pointer (&tls);
  self->reader = kf_line_reader_new (g_io_stream_get_input_stream (self->stream),
                                     KF_PROTOCOL_MAX_LINE);
  return self;
}

/*
 * kf_test_km_client_connect:
 * @pin: (nullable): the fingerprint to require, or %NULL to take any
 *
 * Returns: a client whose TLS handshake, offering ALPN keyferry/2,
 * succeeded, or %NULL with @error (%G_TLS_ERROR_BAD_CERTIFICATE when the
 * pin does not match).
 */
KfTestKmClient *
kf_test_km_client_connect (guint16      port,
                           const char  *pin,
                           GError     **error)
{
  return connect_tls (port, pin, TRUE, error);
}

/* The same without ALPN: a client of protocol version 1. */
KfTestKmClient *
kf_test_km_client_connect_v1 (guint16      port,
                              const char  *pin,
                              GError     **error)
{
  return connect_tls (port, pin, FALSE, error);
}

/* Uses @identity from now on (in kf_test_km_client_hello_line()). */
void
kf_test_km_client_set_identity (KfTestKmClient *self,
                                KfIdentity     *identity)
{
  g_set_object (&self->identity, identity);
}

KfIdentity *
kf_test_km_client_get_identity (KfTestKmClient *self)
{
  return self->identity;
}

/* The client's public key, 64 hex digits (free it). */
char *
kf_test_km_client_get_key_hex (KfTestKmClient *self)
{
  return kf_hex_encode (kf_identity_get_public_key (self->identity),
                        KF_IDENTITY_PUBLIC_KEY_SIZE);
}

/*
 * kf_test_km_client_hello_line:
 * @name: the display name, unescaped
 *
 * Returns: (transfer full): `hello 2 <name> <key> <signature>`, signed
 * with the client's identity over the last greeting's challenge and this
 * connection's exporter.
 */
char *
kf_test_km_client_hello_line (KfTestKmClient *self,
                              const char     *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = kf_protocol_escape (name);
  g_autofree char *key = kf_test_km_client_get_key_hex (self);
  g_autofree char *signature_hex = NULL;
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE];
  guint8 signature[KF_IDENTITY_SIGNATURE_SIZE];

  g_assert_true (kf_km_hello_exporter (G_TLS_CONNECTION (self->stream), exporter, &error));
  kf_km_hello_sign (self->identity, self->challenge, exporter, name, signature);
  signature_hex = kf_hex_encode (signature, sizeof signature);
  return g_strdup_printf ("hello %d %s %s %s", KF_PROTOCOL_VERSION, escaped, key, signature_hex);
}

void
kf_test_km_client_free (KfTestKmClient *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->reader);
  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      g_io_stream_close (self->stream, NULL, NULL);
      g_clear_object (&self->stream);
    }
  g_free (self->pin);
  g_free (self->fingerprint);
  g_clear_object (&self->identity);
  g_free (self);
}

guint64
kf_test_km_client_get_id (KfTestKmClient *self)
{
  return self->id;
}

/* The fingerprint of the certificate the server presented. */
const char *
kf_test_km_client_get_fingerprint (KfTestKmClient *self)
{
  return self->fingerprint;
}

gboolean
kf_test_km_client_send_raw (KfTestKmClient  *self,
                            const void      *data,
                            gsize            len,
                            GError         **error)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (self->stream), data, len,
                                    NULL, NULL, error);
}

/* Sends @line and its LF. */
gboolean
kf_test_km_client_send (KfTestKmClient  *self,
                        const char      *line,
                        GError         **error)
{
  g_autofree char *with_lf = g_strconcat (line, "\n", NULL);

  return kf_test_km_client_send_raw (self, with_lf, strlen (with_lf), error);
}

void
kf_test_km_client_sendf (KfTestKmClient *self,
                         const char     *format,
                         ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  kf_test_km_client_send (self, line, &error);
  g_assert_no_error (error);
}

static gboolean
cancel_read (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/*
 * kf_test_km_client_read_line:
 *
 * Returns: the next line; %NULL without an error at the end of the
 * stream; %NULL with %G_IO_ERROR_TIMED_OUT when nothing came within
 * @timeout_ms, or the reader's error.
 */
char *
kf_test_km_client_read_line (KfTestKmClient  *self,
                             guint            timeout_ms,
                             GError         **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local = NULL;
  GMainContext *context = g_main_context_get_thread_default ();
  GSource *timer = g_timeout_source_new (timeout_ms);
  g_autoptr(KfSecureString) secure = NULL;
  char *line;

  g_source_set_callback (timer, cancel_read, cancellable, NULL);
  g_source_attach (timer, context);
  kf_line_reader_read_line_async (self->reader, cancellable, kf_test_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);

  secure = kf_line_reader_read_line_finish (self->reader, result, NULL, &local);
  line = g_strdup (secure);
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no line within %u ms", timeout_ms);
      return NULL;
    }
  if (local != NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return line;
}

/*
 * kf_test_km_client_read_message:
 *
 * Asserts that a server line arrives and parses.
 * Returns: (transfer full): the parsed line.
 */
KfProtocolMessage *
kf_test_km_client_read_message (KfTestKmClient *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = kf_test_km_client_read_line (self, KF_TEST_TIMEOUT_MS, &error);
  KfProtocolMessage *msg;

  g_assert_no_error (error);
  g_assert_nonnull (line);
  msg = kf_protocol_parse_server_line (line, &error);
  g_assert_no_error (error);
  note_greeting (self, msg);

  return msg;
}

/* Reads the next line, within the tests' timeout, and parses it as a
 * server line; @line gets its text, for the messages of a failure. */
static KfProtocolMessage *
read_message (KfTestKmClient  *self,
              char           **line)
{
  g_autoptr(GError) error = NULL;
  KfProtocolMessage *msg;

  *line = kf_test_km_client_read_line (self, KF_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*line);
  msg = kf_protocol_parse_server_line (*line, &error);
  g_assert_no_error (error);
  return msg;
}

/*
 * kf_test_km_client_expect:
 *
 * Asserts that the next line is a server line of @type.
 * Returns: (transfer full): the parsed line.
 */
KfProtocolMessage *
kf_test_km_client_expect (KfTestKmClient *self,
                          KfMsgType       type)
{
  g_autofree char *line = NULL;
  KfProtocolMessage *msg = read_message (self, &line);

  if (msg->type != type)
    g_error ("expected a “%s” line, got “%s”", kf_protocol_msg_type_to_verb (type), line);
  note_greeting (self, msg);

  return msg;
}

void
kf_test_km_client_expect_ok (KfTestKmClient *self,
                             KfMsgType       reply_to)
{
  g_autofree char *line = NULL;
  g_autoptr(KfProtocolMessage) msg = read_message (self, &line);

  if (msg->type != KF_MSG_OK || msg->reply_to != reply_to)
    g_error ("expected “ok %s”, got “%s”", kf_protocol_msg_type_to_verb (reply_to), line);
}

void
kf_test_km_client_expect_err (KfTestKmClient  *self,
                              KfProtocolError  code)
{
  g_autofree char *line = NULL;
  g_autoptr(KfProtocolMessage) msg = read_message (self, &line);

  if (msg->type != KF_MSG_ERR || msg->error_code != code)
    g_error ("expected “err %s”, got “%s”", kf_protocol_error_to_code (code), line);
}

/* Asserts that the server closes the connection (cleanly or not). */
void
kf_test_km_client_expect_eof (KfTestKmClient *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = kf_test_km_client_read_line (self, KF_TEST_TIMEOUT_MS, &error);

  if (line != NULL)
    g_error ("expected the connection to close, got “%s”", line);
  if (error != NULL)
    g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
}

/* Asserts that nothing arrives within @ms. */
void
kf_test_km_client_expect_silence (KfTestKmClient *self,
                                  guint           ms)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = kf_test_km_client_read_line (self, ms, &error);

  if (line != NULL)
    g_error ("expected silence, got “%s”", line);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* Sends @line and asserts the reply is `ok <reply_to>`. */
void
kf_test_km_client_command (KfTestKmClient *self,
                           const char     *line,
                           KfMsgType       reply_to)
{
  g_autoptr(GError) error = NULL;

  kf_test_km_client_send (self, line, &error);
  g_assert_no_error (error);
  kf_test_km_client_expect_ok (self, reply_to);
}

/*
 * kf_test_km_confirmation:
 * @key: an `ev key`
 *
 * Returns: (transfer full): the right `confirm` for @key, in hex, as a
 * client computes it: the challenge encrypted under the session key
 * with the confirmation IV, in the session's mode.
 */
char *
kf_test_km_confirmation (const KfProtocolMessage *key)
{
  g_autoptr(KfCipher) cipher = NULL;
  g_autoptr(GError) error = NULL;
  guint8 out[KF_PROTOCOL_CONFIRM_MAX];
  gsize n = 0, tail = 0;

  cipher = kf_cipher_new (key->mode, KF_CIPHER_ENCRYPT, key->key, sizeof key->key,
                          key->confirm_iv, sizeof key->confirm_iv, &error);
  g_assert_no_error (error);
  g_assert_true (kf_cipher_update (cipher, key->challenge, sizeof key->challenge, out,
                                   sizeof out, &n, &error));
  g_assert_true (kf_cipher_finish (cipher, out + n, sizeof out - n, &tail, &error));
  return kf_hex_encode (out, n + tail);
}

/* Answers the key confirmation of @key correctly and expects `ok confirm`. */
void
kf_test_km_client_confirm (KfTestKmClient          *self,
                           const KfProtocolMessage *key)
{
  g_autofree char *hex = kf_test_km_confirmation (key);

  kf_test_km_client_sendf (self, "confirm %s", hex);
  kf_test_km_client_expect_ok (self, KF_MSG_CONFIRM);
}

/*
 * kf_test_km_client_join:
 * @passphrase: (nullable): sent with `auth` when the greeting asks for it
 *
 * Connects, goes through the greeting as @name, with the identity of the
 * person of that name (identity_for_name()), and asserts the welcome.
 * Returns: the greeted client; its id is kf_test_km_client_get_id().
 */
KfTestKmClient *
kf_test_km_client_join (guint16     port,
                        const char *pin,
                        const char *name,
                        const char *passphrase)
{
  g_autoptr(KfIdentity) identity = identity_for_name (name);

  return kf_test_km_client_join_as (port, pin, name, passphrase, identity);
}

/* The same with @identity (a fresh one when %NULL). */
KfTestKmClient *
kf_test_km_client_join_as (guint16     port,
                           const char *pin,
                           const char *name,
                           const char *passphrase,
                           KfIdentity *identity)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;
  g_autoptr(KfProtocolMessage) welcome = NULL;
  g_autofree char *hello = NULL;
  KfTestKmClient *self = kf_test_km_client_connect (port, pin, &error);

  g_assert_no_error (error);
  if (identity != NULL)
    kf_test_km_client_set_identity (self, identity);
  greeting = kf_test_km_client_expect (self, KF_MSG_GREETING);
  g_assert_cmpuint (greeting->version, ==, KF_PROTOCOL_VERSION);
  if (greeting->auth_required)
    {
      g_autofree char *secret = kf_protocol_escape (passphrase);

      kf_test_km_client_sendf (self, "auth %s", secret);
      kf_test_km_client_expect_ok (self, KF_MSG_AUTH);
    }
  hello = kf_test_km_client_hello_line (self, name);
  kf_test_km_client_send (self, hello, &error);
  g_assert_no_error (error);
  welcome = kf_test_km_client_expect (self, KF_MSG_WELCOME);
  g_assert_cmpstr (welcome->name, ==, name);
  g_assert_cmpuint (welcome->id, >, 0);
  self->id = welcome->id;

  return self;
}
