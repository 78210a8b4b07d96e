/* test-peer-link.c: the peer handshake, in memory and on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-peer-listener.h"
#include "kf-test-link-pair.h"
#include "kf-test-util.h"

typedef struct
{
  KfSessionKeys  *keys;
  KfIdentity     *sender_identity;
  KfIdentity     *receiver_identity;
  KfPeerListener *listener;
  KfTestLinkPair  pair;        /* sender: connected; receiver: accepted */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->keys = kf_test_session_keys_new ("s1", KF_CIPHER_MODE_CBC);
  f->sender_identity = kf_identity_new_ephemeral ();
  f->receiver_identity = kf_identity_new_ephemeral ();
  f->listener = kf_peer_listener_new (f->keys, f->receiver_identity, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kf_peer_listener_get_port (f->listener), >, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kf_test_link_pair_clear (&f->pair);
  kf_test_drain_and_finalize (f->listener);
  g_clear_object (&f->sender_identity);
  g_clear_object (&f->receiver_identity);
  kf_session_keys_free (f->keys);
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
  const KfSessionKeys *sent_with;
  const KfSessionKeys *received_with;

  kf_test_link_pair_accept (&f->pair, f->listener, 5000, NULL);
  kf_test_link_pair_connect (&f->pair, f->keys, f->sender_identity, host, port);
  kf_test_iterate_until (&f->pair.accept_done);
  kf_test_iterate_until (&f->pair.connect_done);

  g_assert_no_error (f->pair.accept_error);
  g_assert_no_error (f->pair.connect_error);
  g_assert_cmpint (kf_peer_link_get_role (f->pair.receiver), ==, KF_PEER_ROLE_RECEIVER);
  g_assert_cmpint (kf_peer_link_get_role (f->pair.sender), ==, KF_PEER_ROLE_SENDER);
  g_assert_cmpmem (kf_peer_link_get_offer_key (f->pair.receiver), 32,
                   kf_peer_link_get_offer_key (f->pair.sender), 32);

  /* Each side knows the other's proven identity. */
  g_assert_cmpmem (kf_peer_link_get_peer_identity (f->pair.sender), 32,
                   kf_identity_get_public_key (f->receiver_identity), 32);
  g_assert_cmpmem (kf_peer_link_get_peer_identity (f->pair.receiver), 32,
                   kf_identity_get_public_key (f->sender_identity), 32);

  /* Both encrypt the file with the same key and IV, and neither is the
   * key manager's. */
  sent_with = kf_peer_link_get_keys (f->pair.sender);
  received_with = kf_peer_link_get_keys (f->pair.receiver);
  g_assert_cmpmem (sent_with->key, 32, received_with->key, 32);
  g_assert_cmpmem (sent_with->iv, 16, received_with->iv, 16);
  g_assert_true (memcmp (sent_with->key, f->keys->key, 32) != 0);
  g_assert_true (memcmp (sent_with->iv, f->keys->iv, 16) != 0);
  g_assert_cmpint (sent_with->mode, ==, f->keys->mode);
  g_assert_cmpstr (sent_with->session_id, ==, f->keys->session_id);
  exchange_records (f->pair.sender, f->pair.receiver);
}

/* A batch's records: sizes around the block size, the 64 KiB read-ahead,
 * the 256 KiB reference cut and the largest record, after enough small
 * ones to make the receiver move what it read ahead. */
static const gsize batch_sizes[] = { 0, 1, 15, 16, 17, 4096, 65535, 65536, 65537,
                                     262143, 262144, 262145, KF_RECORD_MAX_PAYLOAD };
#define N_SMALL 3000
#define SMALL_SIZE 700
#define N_BATCH (N_SMALL + G_N_ELEMENTS (batch_sizes))

static gsize
batch_size (guint i)
{
  return i < N_SMALL ? SMALL_SIZE : batch_sizes[i - N_SMALL];
}

static gpointer
batch_sender_main (gpointer data)
{
  KfPeerLink *link = data;
  g_autofree KfPeerLinkRecord *specs = g_new0 (KfPeerLinkRecord, N_BATCH);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buf = NULL;
  gsize len = 0;
  gsize at = 0;

  for (guint i = 0; i < N_BATCH; i++)
    len += KF_RECORD_HEADER_SIZE + batch_size (i) + KF_RECORD_TAG_SIZE;
  buf = g_malloc (len);
  for (guint i = 0; i < N_BATCH; i++)
    {
      specs[i] = (KfPeerLinkRecord) { KF_RECORD_DATA, i % 3 == 0 ? KF_RECORD_FLAG_FINAL : 0,
                                      batch_size (i) };
      memset (buf + at + KF_RECORD_HEADER_SIZE, (int) (i & 0xff), batch_size (i));
      at += KF_RECORD_HEADER_SIZE + batch_size (i) + KF_RECORD_TAG_SIZE;
    }
  g_assert_true (kf_peer_link_send_batch (link, buf, specs, N_BATCH, NULL, &error));
  g_assert_no_error (error);
  return NULL;
}

/* A batch of records goes out in one write as the records one by one
 * would: each arrives whole, in order, numbered, of its type, flags and
 * length, whatever the receiver read ahead; and a receiver that would
 * wait is told so instead. */
static void
test_batch_and_read_ahead (Fixture       *f,
                           gconstpointer  data)
{
  guint16 port = kf_peer_listener_get_port (f->listener);
  g_autoptr(GError) error = NULL;
  KfRecordHeader header;
  const guint8 *payload;
  GThread *sender;

  kf_test_link_pair_accept (&f->pair, f->listener, 5000, NULL);
  kf_test_link_pair_connect (&f->pair, f->keys, f->sender_identity, "127.0.0.1", port);
  kf_test_iterate_until (&f->pair.accept_done);
  kf_test_iterate_until (&f->pair.connect_done);
  g_assert_no_error (f->pair.connect_error);
  g_assert_no_error (f->pair.accept_error);

  g_assert_null (kf_peer_link_receive_nowait (f->pair.receiver, &header, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  sender = g_thread_new ("batch-sender", batch_sender_main, f->pair.sender);
  for (guint i = 0; i < N_BATCH; i++)
    {
      payload = kf_peer_link_receive_nowait (f->pair.receiver, &header, &error);
      if (payload == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          g_clear_error (&error);
          payload = kf_peer_link_receive (f->pair.receiver, &header, NULL, &error);
        }
      g_assert_no_error (error);
      g_assert_nonnull (payload);
      g_assert_cmpuint (header.type, ==, KF_RECORD_DATA);
      g_assert_cmpuint (header.seq, ==, i);
      g_assert_cmpuint (header.flags, ==, i % 3 == 0 ? KF_RECORD_FLAG_FINAL : 0);
      g_assert_cmpuint (header.length, ==, batch_size (i));
      for (gsize k = 0; k < header.length; k++)
        if (payload[k] != (i & 0xff))
          g_assert_cmpuint (payload[k], ==, i & 0xff);
    }
  g_thread_join (sender);

  g_assert_null (kf_peer_link_receive_nowait (f->pair.receiver, &header, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);
  exchange_records (f->pair.sender, f->pair.receiver);
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
  g_autoptr(KfIdentity) someone = kf_identity_new_ephemeral ();
  g_autoptr(KfSessionKeys) guessed = kf_test_session_keys_new ("s1", KF_CIPHER_MODE_CBC);
  g_autoptr(KfPeerHandshake) hs = kf_peer_handshake_new (guessed, someone, KF_PEER_ROLE_SENDER);
  KfPeerMessage guess = { { 0 } };
  gsize got = 0;

  kf_peer_handshake_write_hello (hs, buf);
  g_assert_true (g_output_stream_write_all (out, buf, KF_PEER_HELLO_SIZE, NULL, NULL, NULL));
  g_assert_true (g_input_stream_read_all (in, buf, KF_PEER_CHALLENGE_SIZE, &got, NULL, NULL));
  g_assert_cmpuint (got, ==, KF_PEER_CHALLENGE_SIZE);
  memset (guess.proof, 9, sizeof guess.proof);
  kf_peer_message_encode_response (&guess, buf);
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

  kf_test_link_pair_accept (&f->pair, f->listener, 5000, NULL);
  silent = raw_connect (port);
  guesser = g_thread_new ("guesser", guesser_main, GUINT_TO_POINTER (port));
  g_assert_true (GPOINTER_TO_INT (join_serving (guesser)));
  g_assert_false (f->pair.accept_done);

  kf_test_link_pair_connect (&f->pair, f->keys, f->sender_identity, "127.0.0.1", port);
  kf_test_iterate_until (&f->pair.accept_done);
  kf_test_iterate_until (&f->pair.connect_done);
  g_assert_no_error (f->pair.accept_error);
  g_assert_no_error (f->pair.connect_error);
  exchange_records (f->pair.sender, f->pair.receiver);
}

/* A sender for another session cannot convince this receiver, and sees
 * that the receiver cannot prove its key either. */
static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(KfSessionKeys) other = kf_test_session_keys_new ("s1", KF_CIPHER_MODE_CBC);
  g_autoptr(KfSessionKeys) other_mode = kf_session_keys_copy (f->keys);
  KfSessionKeys *cases[] = { other, other_mode };

  other_mode->mode = KF_CIPHER_MODE_CFB;
  kf_test_link_pair_accept (&f->pair, f->listener, 1500, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      f->pair.connect_done = FALSE;
      kf_test_link_pair_connect (&f->pair, cases[i], f->sender_identity, "127.0.0.1",
                                 kf_peer_listener_get_port (f->listener));
      kf_test_iterate_until (&f->pair.connect_done);
      g_assert_null (f->pair.sender);
      g_assert_error (f->pair.connect_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      g_clear_error (&f->pair.connect_error);
    }

  kf_test_iterate_until (&f->pair.accept_done);
  g_assert_null (f->pair.receiver);
  g_assert_error (f->pair.accept_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT);
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

  kf_test_link_pair_accept (&f->pair, f->listener, 400, NULL);
  while (!f->pair.accept_done)
    {
      g_output_stream_write (out, "K", 1, NULL, NULL);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (20000);
    }
  elapsed = g_get_monotonic_time () - start;

  g_assert_error (f->pair.accept_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed, >=, 400000);
  g_assert_cmpint (elapsed, <, 10 * G_USEC_PER_SEC);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  kf_test_link_pair_accept (&f->pair, f->listener, 5000, cancellable);
  g_cancellable_cancel (cancellable);
  kf_test_iterate_until (&f->pair.accept_done);
  g_assert_error (f->pair.accept_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A range of ports: a busy one is skipped; a range with none free is an
 * error naming the range and saying what to do. */
static void
test_port_range (Fixture       *f,
                 gconstpointer  data)
{
  guint16 busy = kf_peer_listener_get_port (f->listener);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPeerListener) none = kf_peer_listener_new_in_range (f->keys, f->receiver_identity,
                                                                     busy, busy, &error);
  g_autofree char *range = g_strdup_printf ("from %u to %u", busy, busy);
  g_autoptr(KfPeerListener) next = NULL;

  g_assert_null (none);
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, range));
  g_assert_nonnull (strstr (error->message, "widen"));
  g_clear_error (&error);

  if (busy == G_MAXUINT16)
    return;
  next = kf_peer_listener_new_in_range (f->keys, f->receiver_identity, busy, busy + 1, &error);
  /* busy + 1 may belong to another process on a shared machine. */
  if (next == NULL)
    g_assert_nonnull (strstr (error->message, "widen"));
  else
    g_assert_cmpuint (kf_peer_listener_get_port (next), ==, busy + 1);
}

/* A sender of peer protocol version 1 is refused, and the receiver's
 * failure says why instead of a bare timeout. */
static void
test_v1_sender_refused (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GSocketConnection) old = raw_connect (kf_peer_listener_get_port (f->listener));
  guint8 hello[38] = { 'K', 'F', 'P', 'L', 1, 1 };
  guint8 answer[8];

  kf_test_link_pair_accept (&f->pair, f->listener, 1500, NULL);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (old)),
                                            hello, sizeof hello, NULL, NULL, NULL));
  kf_test_iterate_until (&f->pair.accept_done);
  g_assert_null (f->pair.receiver);
  g_assert_error (f->pair.accept_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (f->pair.accept_error->message, "older Keyferry"));
  g_assert_nonnull (strstr (f->pair.accept_error->message, "updated"));
  /* Hung up on, without an answer. */
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (old)),
                                        answer, sizeof answer, NULL, NULL), <=, 0);
}

/* A receiver of version 1: reads a version-1 HELLO's 38 bytes, sees
 * another version and hangs up. */
static gpointer
v1_receiver_main (gpointer data)
{
  GSocketListener *listener = data;
  g_autoptr(GSocketConnection) conn = g_socket_listener_accept (listener, NULL, NULL, NULL);
  guint8 buf[38];

  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf, sizeof buf,
                           NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return NULL;
}

static void
test_v1_receiver_named (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  GThread *thread = g_thread_new ("v1-receiver", v1_receiver_main, listener);

  kf_test_link_pair_connect (&f->pair, f->keys, f->sender_identity, "127.0.0.1", port);
  kf_test_iterate_until (&f->pair.connect_done);
  g_thread_join (thread);
  g_assert_null (f->pair.sender);
  g_assert_error (f->pair.connect_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (f->pair.connect_error->message, "older Keyferry"));
}

static void
random_message (KfPeerMessage *msg)
{
  gcry_randomize (msg, sizeof *msg, GCRY_WEAK_RANDOM);
}

/* The pure parsers refuse anything but exactly their message, and what
 * they accept encodes back to the same bytes. */
static void
test_parsers (void)
{
  KfPeerMessage in, out;
  guint8 hello[KF_PEER_HELLO_SIZE];
  guint8 challenge[KF_PEER_CHALLENGE_SIZE];
  guint8 response[KF_PEER_RESPONSE_SIZE];
  guint8 again[KF_PEER_CHALLENGE_SIZE];

  random_message (&in);
  kf_peer_message_encode_hello (&in, hello);
  kf_peer_message_encode_challenge (&in, challenge);
  kf_peer_message_encode_response (&in, response);

  memset (&out, 0, sizeof out);
  g_assert_true (kf_peer_message_parse_hello (hello, sizeof hello, &out, NULL));
  g_assert_cmpmem (out.nonce, 32, in.nonce, 32);
  g_assert_cmpmem (out.identity, 32, in.identity, 32);
  g_assert_cmpmem (out.ephemeral, 32, in.ephemeral, 32);
  kf_peer_message_encode_hello (&out, again);
  g_assert_cmpmem (again, sizeof hello, hello, sizeof hello);

  memset (&out, 0, sizeof out);
  g_assert_true (kf_peer_message_parse_challenge (challenge, sizeof challenge, &out, NULL));
  g_assert_cmpmem (&out, sizeof out, &in, sizeof in);

  memset (&out, 0, sizeof out);
  g_assert_true (kf_peer_message_parse_response (response, sizeof response, &out, NULL));
  g_assert_cmpmem (out.signature, 64, in.signature, 64);
  g_assert_cmpmem (out.proof, 32, in.proof, 32);

  for (guint i = 0; i < KF_PEER_PREFIX_SIZE; i++)
    {
      g_autoptr(GError) error = NULL;

      hello[i] ^= 0x10;
      g_assert_false (kf_peer_message_parse_hello (hello, sizeof hello, &out, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      hello[i] ^= 0x10;
    }
  for (gsize len = 0; len < sizeof hello; len++)
    g_assert_false (kf_peer_message_parse_hello (hello, len, &out, NULL));
  for (gsize len = 0; len < sizeof challenge; len++)
    g_assert_false (kf_peer_message_parse_challenge (challenge, len, &out, NULL));
  /* A HELLO and a RESPONSE have the same size; the type tells them apart. */
  g_assert_false (kf_peer_message_parse_response (hello, sizeof hello, &out, NULL));
  g_assert_false (kf_peer_message_parse_hello (response, sizeof response, &out, NULL));
}

static void
assert_hex (const guint8 *data,
            gsize         len,
            const char   *expected)
{
  g_autofree char *hex = kf_hex_encode (data, len);

  g_assert_cmpstr (hex, ==, expected);
}

static void
assert_sha256 (const guint8 *data,
               gsize         len,
               const char   *expected)
{
  guint8 digest[32];

  gcry_md_hash_buffer (GCRY_MD_SHA256, digest, data, len);
  assert_hex (digest, sizeof digest, expected);
}

/* The inputs of docs/PROTOCOL.md part 2, section 11. */
typedef struct
{
  KfSessionKeys *keys;
  KfIdentity    *sender_id;
  KfIdentity    *receiver_id;
  guint8         nonce_s[32], nonce_r[32], eph_s[32], eph_r[32];
} Vector;

static void
vector_init (Vector       *v,
             KfCipherMode  mode)
{
  guint8 seed_s[32], seed_r[32];

  v->keys = kf_session_keys_new ("s1", mode);
  for (guint i = 0; i < 32; i++)
    {
      v->keys->auth_key[i] = (guint8) i;
      v->keys->key[i] = (guint8) (0x20 + i);
      seed_s[i] = (guint8) i;
      seed_r[i] = (guint8) (31 - i);
    }
  for (guint i = 0; i < 16; i++)
    v->keys->iv[i] = (guint8) (0x40 + i);
  memset (v->nonce_s, 0x11, 32);
  memset (v->nonce_r, 0x22, 32);
  memset (v->eph_s, 0x33, 32);
  memset (v->eph_r, 0x44, 32);
  v->sender_id = kf_identity_new_from_seed (seed_s);
  v->receiver_id = kf_identity_new_from_seed (seed_r);
}

static void
vector_clear (Vector *v)
{
  kf_session_keys_free (v->keys);
  g_object_unref (v->sender_id);
  g_object_unref (v->receiver_id);
}

/* Runs the whole handshake in memory; the three messages go to @hello,
 * @challenge and @response. */
static void
vector_run (Vector           *v,
            KfPeerHandshake **sender,
            KfPeerHandshake **receiver,
            guint8            hello[KF_PEER_HELLO_SIZE],
            guint8            challenge[KF_PEER_CHALLENGE_SIZE],
            guint8            response[KF_PEER_RESPONSE_SIZE])
{
  g_autoptr(GError) error = NULL;

  *sender = kf_peer_handshake_new_fixed (v->keys, v->sender_id, KF_PEER_ROLE_SENDER,
                                         v->nonce_s, v->eph_s);
  *receiver = kf_peer_handshake_new_fixed (v->keys, v->receiver_id, KF_PEER_ROLE_RECEIVER,
                                           v->nonce_r, v->eph_r);
  kf_peer_handshake_write_hello (*sender, hello);
  g_assert_true (kf_peer_handshake_read_hello (*receiver, hello, KF_PEER_HELLO_SIZE, &error));
  g_assert_true (kf_peer_handshake_write_challenge (*receiver, challenge, &error));
  g_assert_true (kf_peer_handshake_read_challenge (*sender, challenge, KF_PEER_CHALLENGE_SIZE,
                                                   &error));
  kf_peer_handshake_write_response (*sender, response);
  g_assert_true (kf_peer_handshake_read_response (*receiver, response, KF_PEER_RESPONSE_SIZE,
                                                  &error));
  g_assert_no_error (error);
}

/* docs/PROTOCOL.md part 2, section 11, value by value: the values there
 * were computed independently (Python's hmac, hashlib and cryptography),
 * and this code must give the same. */
static void
test_vectors (void)
{
  Vector v, cfb;
  g_autoptr(KfPeerHandshake) sender = NULL;
  g_autoptr(KfPeerHandshake) receiver = NULL;
  g_autoptr(KfPeerHandshake) cfb_sender = NULL;
  g_autoptr(KfPeerHandshake) cfb_receiver = NULL;
  g_autoptr(KfPeerLinkKeys) lk = NULL;
  g_autoptr(KfPeerLinkKeys) lk_r = NULL;
  g_autoptr(KfSessionKeys) file = NULL;
  g_autoptr(KfSessionKeys) file_r = NULL;
  g_autoptr(KfRecordKey) record_key = NULL;
  guint8 hello[KF_PEER_HELLO_SIZE], challenge[KF_PEER_CHALLENGE_SIZE];
  guint8 response[KF_PEER_RESPONSE_SIZE];
  guint8 record[KF_RECORD_HEADER_SIZE + 3 + KF_RECORD_TAG_SIZE];

  vector_init (&v, KF_CIPHER_MODE_CBC);
  vector_run (&v, &sender, &receiver, hello, challenge, response);

  assert_hex (hello + 6 + 32, 32, "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  assert_hex (challenge + 6 + 32, 32, "712651f450ba05b63898b99ef5f7ba45632e8e2527f7f715cd671ec4024cc51e");
  assert_hex (hello + 6 + 64, 32, "7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14");
  assert_hex (challenge + 6 + 64, 32, "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b");
  assert_hex (kf_peer_handshake_get_transcript_hash (sender), 32,
              "63998f3b44e9744ba8dbf3a8b921556c3800d547de51c21202e216c916619edd");
  assert_hex (kf_peer_handshake_get_transcript_hash (receiver), 32,
              "63998f3b44e9744ba8dbf3a8b921556c3800d547de51c21202e216c916619edd");
  assert_hex (challenge + 102, 64, "be50d1be1c7730c2f96dcd3a6bda43254a3b3dd06a74f7f1b17aabb522008682b9045595dd2c4743a556aeba6d635264b0fc3c2a22181f653baa75e7fa236007");
  assert_hex (challenge + 166, 32, "e0967489a2ee7b52d1e18254625e7690dc1b6f9cf3996bdb4a07ab4086503f04");
  assert_hex (response + 6, 64, "40d6e9e4507e65972a8f20f9b7d335e4ea7af3e76c19be43c3db335d2429e65b7ad29d51bf5673388a8fb61597a8753c7b216e3f91d5c127c52b4b3bd0193402");
  assert_hex (response + 70, 32, "935a1f6e8d9b802c9cdfb1f22ffa3b80e1b71d311517b5e0f885b4610f64f66c");
  assert_sha256 (hello, sizeof hello, "3360f625e2ea4919ce874e764c9a8381af41e01d3e146dedc66ac64bde7fe216");
  assert_sha256 (challenge, sizeof challenge, "43f26c54743c697c6f4b08d6f593fa72026cbe992ca73a5081c873c93840c1b0");
  assert_sha256 (response, sizeof response, "234b86bccf3a4b25d2afefa63490e2dff3105e14afa97a94c6f29eb0d49162d2");

  lk = kf_peer_handshake_derive (sender);
  lk_r = kf_peer_handshake_derive (receiver);
  g_assert_cmpmem (lk, sizeof *lk, lk_r, sizeof *lk_r);
  assert_hex (lk->sender_mac, 32, "ec77168665271ac8b352cf8ed135b6a451d6da11f4ce7fd3caf3045faec03c2e");
  assert_hex (lk->receiver_mac, 32, "9f361b2b8b4f056568d08adad45522089f68aa7cea27e567a6f8e218ed79b354");
  assert_hex (lk->offer_key, 32, "960d465df16e6efe6d358641bd3bb74ad366b78c615790aa1753ff4745091f59");
  assert_hex (lk->offer_iv, 16, "a972c04602e4d1187561a518c3efed35");

  file = kf_peer_handshake_derive_file_keys (sender);
  file_r = kf_peer_handshake_derive_file_keys (receiver);
  g_assert_cmpmem (file, sizeof *file, file_r, sizeof *file_r);
  assert_hex (file->key, 32, "3ef9ae10dd71f340d19a116075a25f637238d22ba6ed3b3a53c87c3efd44d8ad");
  assert_hex (file->iv, 16, "4e1b8524a8d3a0b809a4d3b5d506df9e");
  g_assert_cmpmem (file->auth_key, 32, v.keys->auth_key, 32);
  g_assert_cmpstr (file->session_id, ==, "s1");

  /* A DATA record from the sender: FINAL, sequence number 1, "abc". */
  record_key = kf_record_key_new (lk->sender_mac, KF_RECORD_KEY_SIZE, NULL);
  memcpy (record + KF_RECORD_HEADER_SIZE, "abc", 3);
  g_assert_true (kf_record_seal (record_key, KF_RECORD_DATA, KF_RECORD_FLAG_FINAL, 1, record, 3,
                                 NULL));
  assert_hex (record, sizeof record,
              "04010000000000030000000000000001616263f8b598a474d8083d388bf13b74ec2ef1");

  /* libgcrypt's X25519 is RFC 7748's (section 5.2, first vector). */
  {
    guint8 scalar[32], u[32], out[32];

    g_assert_true (kf_hex_decode ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                                  scalar, 32, NULL));
    g_assert_true (kf_hex_decode ("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                                  u, 32, NULL));
    g_assert_cmpint (gcry_ecc_mul_point (GCRY_ECC_CURVE25519, out, scalar, u), ==, 0);
    assert_hex (out, 32, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  }

  /* The mode is in the transcript: CFB changes every proof. */
  vector_init (&cfb, KF_CIPHER_MODE_CFB);
  vector_run (&cfb, &cfb_sender, &cfb_receiver, hello, challenge, response);
  assert_hex (challenge + 166, 32, "53c83af4e492e7b43ed3c41ff2ef95765f461b0d6a7386d5261095d2604b37d0");

  vector_clear (&v);
  vector_clear (&cfb);
}

/* Someone between the peers (on the LAN, or a key manager that relays)
 * swaps an identity key, or a signature: the other side refuses. */
static void
test_changed_identity_refused (void)
{
  g_autoptr(KfIdentity) mallory = kf_identity_new_ephemeral ();
  guint8 hello[KF_PEER_HELLO_SIZE], challenge[KF_PEER_CHALLENGE_SIZE];
  guint8 response[KF_PEER_RESPONSE_SIZE];
  Vector v;

  vector_init (&v, KF_CIPHER_MODE_CBC);
  for (guint tamper = 0; tamper < 4; tamper++)
    {
      g_autoptr(KfPeerHandshake) s = kf_peer_handshake_new (v.keys, v.sender_id,
                                                            KF_PEER_ROLE_SENDER);
      g_autoptr(KfPeerHandshake) r = kf_peer_handshake_new (v.keys, v.receiver_id,
                                                            KF_PEER_ROLE_RECEIVER);
      g_autoptr(GError) error = NULL;
      guint8 forged[64];

      kf_peer_handshake_write_hello (s, hello);
      if (tamper == 0)   /* the sender's identity key in the HELLO */
        memcpy (hello + 38, kf_identity_get_public_key (mallory), 32);
      g_assert_true (kf_peer_handshake_read_hello (r, hello, sizeof hello, NULL));
      g_assert_true (kf_peer_handshake_write_challenge (r, challenge, NULL));
      if (tamper == 1)   /* the receiver's identity key in the CHALLENGE */
        memcpy (challenge + 38, kf_identity_get_public_key (mallory), 32);
      if (tamper == 2)   /* a signature by another identity */
        {
          kf_identity_sign (mallory, challenge, 64, forged);
          memcpy (challenge + 102, forged, 64);
        }
      if (tamper < 3)
        {
          g_assert_false (kf_peer_handshake_read_challenge (s, challenge, sizeof challenge,
                                                            &error));
          g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
          g_test_message ("tamper %u: %s", tamper, error->message);
          continue;
        }
      /* the sender's signature in the RESPONSE */
      g_assert_true (kf_peer_handshake_read_challenge (s, challenge, sizeof challenge, NULL));
      kf_peer_handshake_write_response (s, response);
      response[6] ^= 1;
      g_assert_false (kf_peer_handshake_read_response (r, response, sizeof response, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      g_assert_nonnull (strstr (error->message, "identity signature"));
    }
  vector_clear (&v);
}

/* The key manager holds everything it handed out (auth_key, key, iv).
 * It can answer as a receiver, but only under its own identity, which the
 * sender sees; and the file's key depends on the peers' X25519 secrets,
 * which it never sees: the same material, nonces and identities with
 * other ephemeral keys give another file key. */
static void
test_key_manager_alone (void)
{
  g_autoptr(KfIdentity) key_manager = kf_identity_new_ephemeral ();
  g_autoptr(KfPeerHandshake) s = NULL;
  g_autoptr(KfPeerHandshake) km = NULL;
  g_autoptr(KfPeerHandshake) s2 = NULL;
  g_autoptr(KfPeerHandshake) r2 = NULL;
  g_autoptr(KfSessionKeys) first = NULL;
  g_autoptr(KfSessionKeys) second = NULL;
  guint8 hello[KF_PEER_HELLO_SIZE], challenge[KF_PEER_CHALLENGE_SIZE];
  guint8 response[KF_PEER_RESPONSE_SIZE];
  Vector v;

  vector_init (&v, KF_CIPHER_MODE_CBC);
  s = kf_peer_handshake_new (v.keys, v.sender_id, KF_PEER_ROLE_SENDER);
  km = kf_peer_handshake_new (v.keys, key_manager, KF_PEER_ROLE_RECEIVER);
  kf_peer_handshake_write_hello (s, hello);
  g_assert_true (kf_peer_handshake_read_hello (km, hello, sizeof hello, NULL));
  g_assert_true (kf_peer_handshake_write_challenge (km, challenge, NULL));
  g_assert_true (kf_peer_handshake_read_challenge (s, challenge, sizeof challenge, NULL));
  g_assert_cmpmem (kf_peer_handshake_get_peer_identity (s), 32,
                   kf_identity_get_public_key (key_manager), 32);
  g_assert_true (memcmp (kf_peer_handshake_get_peer_identity (s),
                         kf_identity_get_public_key (v.receiver_id), 32) != 0);

  g_clear_pointer (&s, kf_peer_handshake_free);
  g_clear_pointer (&km, kf_peer_handshake_free);
  vector_run (&v, &s, &km, hello, challenge, response);
  first = kf_peer_handshake_derive_file_keys (s);
  v.eph_s[0] ^= 0x80;
  vector_run (&v, &s2, &r2, hello, challenge, response);
  second = kf_peer_handshake_derive_file_keys (s2);
  g_assert_true (memcmp (first->key, second->key, 32) != 0);
  g_assert_true (memcmp (first->iv, second->iv, 16) != 0);
  g_assert_true (memcmp (first->key, v.keys->key, 32) != 0);
  vector_clear (&v);
}

/* An X25519 key of small order would make the shared secret all zeros,
 * known to anyone: refused by the receiver (in the HELLO) and by the
 * sender (in the CHALLENGE). */
static void
test_small_order_refused (void)
{
  static const guint8 small[][32] = {
    { 0 },
    { 1 },
    /* a point of order 8 (RFC 7748's list of small-order points) */
    { 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
      0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
  };
  guint8 hello[KF_PEER_HELLO_SIZE], challenge[KF_PEER_CHALLENGE_SIZE];
  Vector v;

  vector_init (&v, KF_CIPHER_MODE_CBC);
  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    {
      g_autoptr(KfPeerHandshake) s = kf_peer_handshake_new (v.keys, v.sender_id,
                                                            KF_PEER_ROLE_SENDER);
      g_autoptr(KfPeerHandshake) r = kf_peer_handshake_new (v.keys, v.receiver_id,
                                                            KF_PEER_ROLE_RECEIVER);
      g_autoptr(GError) error = NULL;

      kf_peer_handshake_write_hello (s, hello);
      memcpy (hello + 70, small[i], 32);
      g_assert_true (kf_peer_handshake_read_hello (r, hello, sizeof hello, NULL));
      g_assert_false (kf_peer_handshake_write_challenge (r, challenge, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      g_clear_error (&error);

      g_clear_pointer (&r, kf_peer_handshake_free);
      r = kf_peer_handshake_new (v.keys, v.receiver_id, KF_PEER_ROLE_RECEIVER);
      kf_peer_handshake_write_hello (s, hello);
      g_assert_true (kf_peer_handshake_read_hello (r, hello, sizeof hello, NULL));
      g_assert_true (kf_peer_handshake_write_challenge (r, challenge, NULL));
      memcpy (challenge + 70, small[i], 32);
      g_assert_false (kf_peer_handshake_read_challenge (s, challenge, sizeof challenge, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE);
      g_assert_nonnull (strstr (error->message, "key exchange"));
    }
  vector_clear (&v);
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
  ADD ("/peer-link/batch-and-read-ahead", test_batch_and_read_ahead, NULL);
  ADD ("/peer-link/listener-port-range", test_port_range, NULL);
  ADD ("/peer-link/version-1-sender-refused", test_v1_sender_refused, NULL);
  ADD ("/peer-link/version-1-receiver-named", test_v1_receiver_named, NULL);
#undef ADD
  g_test_add_func ("/peer-link/handshake-parsers", test_parsers);
  g_test_add_func ("/peer-link/test-vectors", test_vectors);
  g_test_add_func ("/peer-link/changed-identity-key-refused", test_changed_identity_refused);
  g_test_add_func ("/peer-link/key-manager-material-alone", test_key_manager_alone);
  g_test_add_func ("/peer-link/small-order-key-refused", test_small_order_refused);

  return g_test_run ();
}
