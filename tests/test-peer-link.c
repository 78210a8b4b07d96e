/* test-peer-link.c: the peer handshake on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"
#include "kf-peer-listener.h"
#include "kf-test-util.h"

typedef struct
{
  KfSessionKeys  *keys;
  KfPeerListener *listener;
  KfPeerLink     *accepted;
  KfPeerLink     *connected;
  GError         *accept_error;
  GError         *connect_error;
  gboolean        accept_done;
  gboolean        connect_done;
} Fixture;

static KfSessionKeys *
make_keys (const char   *session_id,
           KfCipherMode  mode)
{
  KfSessionKeys *keys = kf_session_keys_new (session_id, mode);

  gcry_randomize (keys->key, sizeof keys->key, GCRY_WEAK_RANDOM);
  gcry_randomize (keys->iv, sizeof keys->iv, GCRY_WEAK_RANDOM);
  gcry_randomize (keys->auth_key, sizeof keys->auth_key, GCRY_WEAK_RANDOM);
  return keys;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->keys = make_keys ("s1", KF_CIPHER_MODE_CBC);
  f->listener = kf_peer_listener_new (f->keys, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kf_peer_listener_get_port (f->listener), >, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->accepted);
  g_clear_object (&f->connected);
  g_clear_error (&f->accept_error);
  g_clear_error (&f->connect_error);
  kf_test_drain_and_finalize (f->listener);
  kf_session_keys_free (f->keys);
}

static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *f = user_data;

  f->accepted = kf_peer_listener_accept_finish (KF_PEER_LISTENER (source), result,
                                                &f->accept_error);
  f->accept_done = TRUE;
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;

  f->connected = kf_peer_link_connect_finish (result, &f->connect_error);
  f->connect_done = TRUE;
}

/* Sends one record each way over the two ends. */
static void
exchange_records (KfPeerLink *sender,
                  KfPeerLink *receiver)
{
  g_autoptr(GError) error = NULL;
  KfRecordHeader header;
  const guint8 *payload;

  g_assert_true (kf_peer_link_send_copy (sender, KF_RECORD_CANCEL, 0,
                                         (const guint8 *) "hi", 2, NULL, &error));
  g_assert_no_error (error);
  payload = kf_peer_link_receive (receiver, &header, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (header.type, ==, KF_RECORD_CANCEL);
  g_assert_cmpmem (payload, header.length, "hi", 2);

  g_assert_true (kf_peer_link_send_copy (receiver, KF_RECORD_DONE, 0, NULL, 0, NULL, &error));
  payload = kf_peer_link_receive (sender, &header, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (header.type, ==, KF_RECORD_DONE);
  g_assert_cmpuint (header.seq, ==, 0);
}

static void
test_handshake (Fixture       *f,
                gconstpointer  data)
{
  const char *host = data;
  guint16 port = kf_peer_listener_get_port (f->listener);

  kf_peer_listener_accept_async (f->listener, 5000, NULL, accepted_cb, f);
  kf_peer_link_connect_async (f->keys, host, port, 5000, NULL, connected_cb, f);
  kf_test_iterate_until (&f->accept_done);
  kf_test_iterate_until (&f->connect_done);

  g_assert_no_error (f->accept_error);
  g_assert_no_error (f->connect_error);
  g_assert_cmpint (kf_peer_link_get_role (f->accepted), ==, KF_PEER_ROLE_RECEIVER);
  g_assert_cmpint (kf_peer_link_get_role (f->connected), ==, KF_PEER_ROLE_SENDER);
  g_assert_cmpmem (kf_peer_link_get_offer_key (f->accepted), 32,
                   kf_peer_link_get_offer_key (f->connected), 32);
  exchange_records (f->connected, f->accepted);
}

static GSocketConnection *
raw_connect (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

static gint guesser_finished;

/* The impostor, in a thread of its own (blocking I/O): it answers the
 * challenge with a guess, then reports whether it was hung up on. */
static gpointer
guesser_main (gpointer data)
{
  guint16 port = GPOINTER_TO_UINT (data);
  g_autoptr(GSocketConnection) conn = raw_connect (port);
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  guint8 buf[KF_PEER_CHALLENGE_SIZE];
  guint8 nonce[KF_PEER_NONCE_SIZE] = { 7 };
  guint8 guess[KF_PEER_PROOF_SIZE] = { 9 };
  gsize got = 0;

  kf_peer_handshake_encode_hello (nonce, buf);
  g_assert_true (g_output_stream_write_all (out, buf, KF_PEER_HELLO_SIZE, NULL, NULL, NULL));
  g_assert_true (g_input_stream_read_all (in, buf, KF_PEER_CHALLENGE_SIZE, &got, NULL, NULL));
  g_assert_cmpuint (got, ==, KF_PEER_CHALLENGE_SIZE);
  kf_peer_handshake_encode_response (guess, buf);
  g_assert_true (g_output_stream_write_all (out, buf, KF_PEER_RESPONSE_SIZE, NULL, NULL, NULL));

  got = g_input_stream_read (in, buf, sizeof buf, NULL, NULL) <= 0;
  g_atomic_int_set (&guesser_finished, TRUE);
  return GINT_TO_POINTER (got);
}

/* Joins @thread while running the main context it needs. */
static gpointer
join_serving (GThread *thread)
{
  while (!g_atomic_int_get (&guesser_finished))
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return g_thread_join (thread);
}

/* An impostor that does not hold the key answers the challenge with a
 * guess: it is dropped, and one that connects and says nothing does not
 * block the real sender either. */
static void
test_impostor_dropped (Fixture       *f,
                       gconstpointer  data)
{
  guint16 port = kf_peer_listener_get_port (f->listener);
  g_autoptr(GSocketConnection) silent = NULL;
  GThread *guesser;

  kf_peer_listener_accept_async (f->listener, 5000, NULL, accepted_cb, f);
  silent = raw_connect (port);
  guesser = g_thread_new ("guesser", guesser_main, GUINT_TO_POINTER (port));
  g_assert_true (GPOINTER_TO_INT (join_serving (guesser)));
  g_assert_false (f->accept_done);

  kf_peer_link_connect_async (f->keys, "127.0.0.1", port, 5000, NULL, connected_cb, f);
  kf_test_iterate_until (&f->accept_done);
  kf_test_iterate_until (&f->connect_done);
  g_assert_no_error (f->accept_error);
  g_assert_no_error (f->connect_error);
  exchange_records (f->connected, f->accepted);
}

/* A sender for another session cannot convince this receiver, and sees
 * that the receiver cannot prove its key either. */
static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(KfSessionKeys) other = make_keys ("s1", KF_CIPHER_MODE_CBC);
  g_autoptr(KfSessionKeys) other_mode = kf_session_keys_copy (f->keys);
  KfSessionKeys *cases[] = { other, other_mode };

  other_mode->mode = KF_CIPHER_MODE_CFB;
  kf_peer_listener_accept_async (f->listener, 1500, NULL, accepted_cb, f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      f->connect_done = FALSE;
      kf_peer_link_connect_async (cases[i], "127.0.0.1", kf_peer_listener_get_port (f->listener),
                                  5000, NULL, connected_cb, f);
      kf_test_iterate_until (&f->connect_done);
      g_assert_null (f->connected);
      g_assert_error (f->connect_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      g_clear_error (&f->connect_error);
    }

  kf_test_iterate_until (&f->accept_done);
  g_assert_null (f->accepted);
  g_assert_error (f->accept_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT);
}

/* A connection that trickles its HELLO a byte at a time cannot keep the
 * receiver past the absolute deadline. */
static void
test_deadline (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GSocketConnection) slow = raw_connect (kf_peer_listener_get_port (f->listener));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (slow));
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  kf_peer_listener_accept_async (f->listener, 400, NULL, accepted_cb, f);
  while (!f->accept_done)
    {
      g_output_stream_write (out, "K", 1, NULL, NULL);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (20000);
    }
  elapsed = g_get_monotonic_time () - start;

  g_assert_error (f->accept_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed, >=, 400000);
  g_assert_cmpint (elapsed, <, 10 * G_USEC_PER_SEC);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  kf_peer_listener_accept_async (f->listener, 5000, cancellable, accepted_cb, f);
  g_cancellable_cancel (cancellable);
  kf_test_iterate_until (&f->accept_done);
  g_assert_error (f->accept_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A range of ports: a busy one is skipped; a range with none free is an
 * error naming the range and saying what to do. */
static void
test_port_range (Fixture       *f,
                 gconstpointer  data)
{
  guint16 busy = kf_peer_listener_get_port (f->listener);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPeerListener) none = kf_peer_listener_new_in_range (f->keys, busy, busy, &error);
  g_autofree char *range = g_strdup_printf ("from %u to %u", busy, busy);
  g_autoptr(KfPeerListener) next = NULL;

  g_assert_null (none);
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, range));
  g_assert_nonnull (strstr (error->message, "widen"));
  g_clear_error (&error);

  if (busy == G_MAXUINT16)
    return;
  next = kf_peer_listener_new_in_range (f->keys, busy, busy + 1, &error);
  /* busy + 1 may belong to another process on a shared machine. */
  if (next == NULL)
    g_assert_nonnull (strstr (error->message, "widen"));
  else
    g_assert_cmpuint (kf_peer_listener_get_port (next), ==, busy + 1);
}

/* The pure parsers refuse anything but exactly their message. */
static void
test_parsers (void)
{
  guint8 nonce[KF_PEER_NONCE_SIZE] = { 1, 2, 3 };
  guint8 out[KF_PEER_NONCE_SIZE];
  guint8 msg[KF_PEER_HELLO_SIZE];

  kf_peer_handshake_encode_hello (nonce, msg);
  g_assert_true (kf_peer_handshake_parse_hello (msg, sizeof msg, out, NULL));
  g_assert_cmpmem (out, sizeof out, nonce, sizeof nonce);
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(GError) error = NULL;

      msg[i] ^= 0x10;
      g_assert_false (kf_peer_handshake_parse_hello (msg, sizeof msg, out, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      msg[i] ^= 0x10;
    }
  for (gsize len = 0; len < sizeof msg; len++)
    g_assert_false (kf_peer_handshake_parse_hello (msg, len, out, NULL));
  g_assert_false (kf_peer_handshake_parse_response (msg, sizeof msg, out, NULL));
}

static gboolean
have_ipv6_loopback (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) any = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);

  return socket != NULL && g_socket_bind (socket, address, TRUE, NULL);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/peer-link/handshake-ipv4", test_handshake, "127.0.0.1");
  if (have_ipv6_loopback ())
    ADD ("/peer-link/handshake-ipv6", test_handshake, "::1");
  ADD ("/peer-link/impostor-dropped-sender-wins", test_impostor_dropped, NULL);
  ADD ("/peer-link/wrong-key-refused-both-ways", test_wrong_key, NULL);
  ADD ("/peer-link/absolute-deadline", test_deadline, NULL);
  ADD ("/peer-link/cancel", test_cancel, NULL);
  ADD ("/peer-link/listener-port-range", test_port_range, NULL);
#undef ADD
  g_test_add_func ("/peer-link/handshake-parsers", test_parsers);

  return g_test_run ();
}
