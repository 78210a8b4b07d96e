/* test-km-connection.c: the key-manager channel against a scripted server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A fake key manager in the same main loop speaks TLS with a real
 * certificate and answers each request line from a per-test script, so the
 * tests can send what the real server never would: unknown events, replies
 * nobody asked for, a greeting from another protocol, over-long lines.
 */

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include "kf-client.h"
#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-km-connection.h"
#include "kf-km-hello.h"
#include "kf-server-cert.h"
#include "kf-test-util.h"

#define WAIT_SECONDS 20

typedef struct
{
  char             *dir;
  GSocketService   *service;
  GTlsCertificate  *certificate;
  char             *fingerprint;
  guint16           port;
  const char       *greeting;      /* written once the handshake is done */
  const char *const *script;       /* pairs: request line, answer text */
  GIOStream        *tls;
  GDataInputStream *input;
  KfKnownServers   *known;
  KfKmConnection   *km;            /* the last one opened */
  GError           *closed;
  guint             events;
  gboolean          no_alpn;       /* the server chooses no ALPN: an old one */
  gboolean          hello_checked; /* the client's hello signature verified */
  KfIdentity       *identity;      /* the client's */
  guint16           client_port;   /* the client's end of the last connection */
} Fixture;

/* The greeting's challenge: 32 bytes of 0x07. */
#define CHALLENGE "0707070707070707070707070707070707070707070707070707070707070707"

/* A `hello` line: checks its signature against this connection's exporter
 * and the challenge, and returns the words the script matches,
 * `hello <version> <escaped name>`. */
static char *
check_hello (Fixture    *f,
             const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfProtocolMessage) msg = kf_protocol_parse_client_line (line, &error);
  g_autofree char *escaped = NULL;
  guint8 challenge[KF_PROTOCOL_CHALLENGE_SIZE];
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE];

  g_assert_no_error (error);
  g_assert_true (kf_km_hello_exporter (G_TLS_CONNECTION (f->tls), exporter, &error));
  memset (challenge, 0x07, sizeof challenge);
  g_assert_cmpmem (msg->public_key, 32, kf_identity_get_public_key (f->identity), 32);
  g_assert_true (kf_km_hello_verify (msg->public_key, challenge, exporter, msg->name,
                                     msg->signature));
  f->hello_checked = TRUE;
  escaped = kf_protocol_escape (msg->name);
  return g_strdup_printf ("hello %u %s", msg->version, escaped);
}

static void
server_write (Fixture    *f,
              const char *text)
{
  g_autoptr(GError) error = NULL;

  if (text == NULL || *text == '\0')
    return;
  g_output_stream_write_all (g_io_stream_get_output_stream (f->tls), text, strlen (text),
                             NULL, NULL, &error);
  g_assert_no_error (error);
}

static void read_request (Fixture *f);

/* Answers a request line from the script; an unscripted line is a failure. */
static void
on_request (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fixture *f = user_data;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                    NULL, &error);
  if (line == NULL)
    return;
  if (g_str_has_prefix (line, "hello "))
    {
      char *words = check_hello (f, line);

      g_free (line);
      line = words;
    }

  for (guint i = 0; f->script != NULL && f->script[i] != NULL; i += 2)
    if (g_str_equal (f->script[i], line))
      {
        server_write (f, f->script[i + 1]);
        read_request (f);
        return;
      }

  g_error ("The fake key manager got an unscripted line: %s", line);
}

static void
read_request (Fixture *f)
{
  g_data_input_stream_read_line_async (f->input, G_PRIORITY_DEFAULT, NULL, on_request, f);
}

static void
on_handshake (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    return;

  f->input = g_data_input_stream_new (g_io_stream_get_input_stream (f->tls));
  server_write (f, f->greeting);
  read_request (f);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             Fixture           *f)
{
  g_autoptr(GError) error = NULL;

  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  g_assert_null (f->tls);
  f->client_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
  f->tls = g_tls_server_connection_new (G_IO_STREAM (connection), f->certificate, &error);
  g_assert_no_error (error);
  if (!f->no_alpn)
    g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (f->tls),
                                               (const char * const[]) { KF_PROTOCOL_ALPN, NULL });
  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->tls), G_PRIORITY_DEFAULT, NULL,
                                    on_handshake, f);
  return TRUE;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *known = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kf-km-XXXXXX", &error);
  g_assert_no_error (error);
  f->certificate = kf_server_cert_load_or_create (f->dir, &error);
  g_assert_no_error (error);
  f->fingerprint = kf_fingerprint_from_certificate (f->certificate);
  known = g_build_filename (f->dir, "known-servers", NULL);
  f->known = kf_known_servers_new (known);

  f->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), any, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (f->service, "incoming", G_CALLBACK (on_incoming), f);
  f->greeting = "keyferry 2 none " CHALLENGE "\n";
  f->identity = kf_identity_new_from_seed ((const guint8[KF_IDENTITY_SEED_SIZE]) { 0x42, 0x42 });
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Its read loop holds a reference: the owner must close it. */
  if (f->km != NULL)
    {
      g_signal_handlers_disconnect_by_data (f->km, f);
      kf_km_connection_close (f->km);
      g_clear_object (&f->km);
    }
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  g_clear_object (&f->service);
  if (f->tls != NULL)
    g_io_stream_close (f->tls, NULL, NULL);
  g_clear_object (&f->input);
  g_clear_object (&f->tls);
  g_clear_object (&f->certificate);
  g_clear_object (&f->known);
  g_clear_error (&f->closed);
  g_free (f->fingerprint);
  g_clear_object (&f->identity);
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
on_closed (KfKmConnection *km,
           const GError   *error,
           Fixture        *f)
{
  g_assert_null (f->closed);
  f->closed = g_error_copy (error);
}

static void
on_event (KfKmConnection    *km,
          KfProtocolMessage *msg,
          Fixture           *f)
{
  f->events++;
}

/* Opens a connection to the fake server; returns the error, if any. */
static GError *
open_km (Fixture         *f,
         KfKmConnection **out)
{
  g_autoptr(KfKmConnection) km = kf_km_connection_new ("127.0.0.1", f->port);
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;

  g_signal_connect (km, "closed", G_CALLBACK (on_closed), f);
  g_signal_connect (km, "event", G_CALLBACK (on_event), f);
  g_set_object (&f->km, km);
  kf_km_connection_open_async (km, f->known, f->fingerprint, NULL, "Ana", f->identity, NULL,
                               kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "the greeting");
  if (kf_km_connection_open_finish (km, result, &error))
    *out = g_steal_pointer (&km);

  return error;
}

static KfProtocolMessage *
request (KfKmConnection  *km,
         KfMsgType        type,
         GPtrArray      **data,
         GError         **error)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (type);
  g_autoptr(GAsyncResult) result = NULL;

  kf_km_connection_request_async (km, msg, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "a reply");

  return kf_km_connection_request_finish (km, result, data, error);
}

#define KEY_BB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define KEY_CC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* The client offers ALPN keyferry/2, signs its hello over the challenge and
 * the connection's exporter, and reads the peers' identities. */
static void
test_greeting_and_peer_lines (Fixture       *f,
                              gconstpointer  data)
{
  static const char *const script[] = {
    "hello 2 Ana", "welcome 7 Ana\n",
    "send", "peer 3 Bob " KEY_BB "\npeer 4 Cleo%20Maria " KEY_CC "\nok send 2\n",
    NULL,
  };
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) error = NULL;
  const KfProtocolMessage *peer;

  f->script = script;
  error = open_km (f, &km);
  g_assert_no_error (error);
  g_assert_cmpuint (kf_km_connection_get_client_id (km), ==, 7);
  g_assert_cmpstr (kf_km_connection_get_fingerprint (km), ==, f->fingerprint);

  reply = request (km, KF_MSG_SEND, &peers, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reply->count, ==, 2);
  g_assert_cmpuint (peers->len, ==, 2);
  peer = g_ptr_array_index (peers, 1);
  g_assert_cmpuint (peer->id, ==, 4);
  g_assert_cmpstr (peer->name, ==, "Cleo Maria");
  g_assert_cmpuint (peer->public_key[0], ==, 0xcc);
  g_assert_true (f->hello_checked);
}

/* The descriptor of this process's TCP socket bound to @port on
 * loopback, or -1. */
static int
find_socket (guint16 port)
{
  for (int fd = 3; fd < 1024; fd++)
    {
      struct sockaddr_in address;
      socklen_t len = sizeof address;

      if (getsockname (fd, (struct sockaddr *) &address, &len) == 0
          && address.sin_family == AF_INET && ntohs (address.sin_port) == port)
        return fd;
    }
  return -1;
}

/* The client's socket to the key manager has Nagle's algorithm off: the
 * TLS handshake ends in two small writes, and a request may follow
 * another, so a second write would otherwise wait for the ACK of the
 * first, which the server may delay by 40 ms. */
static void
test_no_nagle (Fixture       *f,
               gconstpointer  data)
{
  static const char *const script[] = { "hello 2 Ana", "welcome 7 Ana\n", NULL };
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  int fd;

  f->script = script;
  error = open_km (f, &km);
  g_assert_no_error (error);
  fd = find_socket (f->client_port);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (getsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), ==, 0);
  g_assert_cmpint (nodelay, !=, 0);
}

/* An event this version does not know is skipped; the reply still comes. */
static void
test_unknown_event_ignored (Fixture       *f,
                            gconstpointer  data)
{
  static const char *const script[] = {
    "hello 2 Ana", "welcome 7 Ana\n",
    "wait", "ev frobnicate 1 2 3\nev waiting 9 Dan " KEY_BB "\nok wait\n",
    NULL,
  };
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(KfProtocolMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  f->script = script;
  error = open_km (f, &km);
  g_assert_no_error (error);
  reply = request (km, KF_MSG_WAIT, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->events, ==, 1);
  g_assert_true (kf_km_connection_is_open (km));
}

/* `err` replies keep the connection and map to the client's errors. */
static void
test_error_replies (Fixture       *f,
                    gconstpointer  data)
{
  static const char *const script[] = {
    "hello 2 Ana", "welcome 7 Ana\n",
    "wait", "err bad-state Already%20waiting\n",
    "send", "err no-such-peer Gone\n",
    "ping", "err internal Oops\n",
    NULL,
  };
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;

  f->script = script;
  error = open_km (f, &km);
  g_assert_no_error (error);

  g_assert_null (request (km, KF_MSG_WAIT, NULL, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE);
  g_assert_nonnull (strstr (error->message, "Already waiting"));
  g_clear_error (&error);
  g_assert_null (request (km, KF_MSG_SEND, NULL, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_NO_SUCH_PEER);
  g_clear_error (&error);
  g_assert_null (request (km, KF_MSG_PING, NULL, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED);
  g_assert_true (kf_km_connection_is_open (km));
}

/* A reply to a request never made breaks the connection, loudly. */
static void
test_unrequested_reply (Fixture       *f,
                        gconstpointer  data)
{
  static const char *const script[] = {
    "hello 2 Ana", "welcome 7 Ana\nok wait\n",
    NULL,
  };
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;

  f->script = script;
  g_test_expect_message ("Keyferry-Common", G_LOG_LEVEL_WARNING, "*protocol violation*");
  error = open_km (f, &km);
  g_assert_no_error (error);
  kf_test_await_pointer ((gpointer *) &f->closed, WAIT_SECONDS, "the connection to break");
  g_test_assert_expected_messages ();
  g_assert_error (f->closed, KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL);
  g_assert_false (kf_km_connection_is_open (km));
  g_assert_null (request (km, KF_MSG_PING, NULL, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED);
}

/* Not a key manager at all: refused during the greeting. */
static void
test_foreign_greeting (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;

  f->greeting = "HTTP/1.1 400 Bad Request\n";
  error = open_km (f, &km);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL);
  g_assert_null (km);
}

/* A line longer than the protocol allows is refused, not buffered. */
static void
test_overlong_line (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *huge = g_strnfill (KF_PROTOCOL_MAX_LINE + 100, 'x');
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;

  f->greeting = huge;
  error = open_km (f, &km);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL);
  g_assert_null (km);
}

/* A key manager of protocol version 1 chooses no ALPN: the client stops
 * before it sends anything and says the key manager needs updating. */
static void
test_old_server (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;

  f->no_alpn = TRUE;
  f->greeting = "keyferry 1 none\n";
  error = open_km (f, &km);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "update keyferry-server"));
  g_assert_false (f->hello_checked);
}

/* A server that closes at once: a connect error, not a hang. */
static void
test_server_refuses (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(KfKmConnection) km = NULL;
  g_autoptr(GError) error = NULL;

  f->greeting = "err full The%20key%20manager%20is%20full\n";
  error = open_km (f, &km);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "The key manager is full"));
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/km-connection/greeting-and-peer-lines", test_greeting_and_peer_lines);
  ADD ("/km-connection/no-nagle", test_no_nagle);
  ADD ("/km-connection/unknown-event-ignored", test_unknown_event_ignored);
  ADD ("/km-connection/error-replies", test_error_replies);
  ADD ("/km-connection/unrequested-reply", test_unrequested_reply);
  ADD ("/km-connection/foreign-greeting", test_foreign_greeting);
  ADD ("/km-connection/overlong-line", test_overlong_line);
  ADD ("/km-connection/server-refuses", test_server_refuses);
  ADD ("/km-connection/old-server", test_old_server);

#undef ADD

  return g_test_run ();
}
