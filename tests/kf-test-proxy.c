/* kf-test-proxy.c: a tampering relay between peer-link sender and receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs in threads of its own with blocking I/O, so the test's main loop
 * stays free for the real sender and receiver.  The sender → receiver
 * direction is parsed: the handshake (HELLO and RESPONSE, 38 bytes each)
 * is relayed as is, then records (OFFER is record 0, the first DATA record
 * is 1) are relayed whole, except the one the test wants damaged.
 */

#include "config.h"

#include "kf-peer-handshake.h"
#include "kf-record.h"
#include "kf-test-proxy.h"

struct _KfTestProxy
{
  GSocketListener   *listener;
  guint16            port;
  guint16            target_port;
  KfTestProxyDamage  damage;
  guint              record;
  GThread           *thread;
};

typedef struct
{
  GInputStream  *in;
  GOutputStream *out;
  GSocket       *out_socket;
} Relay;

/* Copies bytes until either side ends, then passes the end on. */
static gpointer
relay_main (gpointer data)
{
  Relay *relay = data;
  guint8 buf[65536];
  gssize n;

  while ((n = g_input_stream_read (relay->in, buf, sizeof buf, NULL, NULL)) > 0)
    if (!g_output_stream_write_all (relay->out, buf, (gsize) n, NULL, NULL, NULL))
      break;
  g_socket_shutdown (relay->out_socket, FALSE, TRUE, NULL);
  return NULL;
}

/* Reads one whole record into @buf; returns its size, 0 at the end. */
static gsize
read_record (GInputStream *in,
             guint8       *buf)
{
  gsize got = 0;
  guint32 length;

  if (!g_input_stream_read_all (in, buf, KF_RECORD_HEADER_SIZE, &got, NULL, NULL)
      || got < KF_RECORD_HEADER_SIZE)
    return 0;
  memcpy (&length, buf + 4, 4);
  length = GUINT32_FROM_BE (length);
  if (length > KF_RECORD_MAX_PAYLOAD
      || !g_input_stream_read_all (in, buf + KF_RECORD_HEADER_SIZE,
                                   length + KF_RECORD_TAG_SIZE, &got, NULL, NULL)
      || got < length + KF_RECORD_TAG_SIZE)
    return 0;
  return KF_RECORD_HEADER_SIZE + length + KF_RECORD_TAG_SIZE;
}

/* Relays the sender's records, damaging record number self->record.
 * Returns when either side ends or the damage means hanging up. */
static void
relay_records (KfTestProxy   *self,
               GInputStream  *in,
               GOutputStream *out)
{
  g_autofree guint8 *buf = g_malloc (KF_RECORD_MAX_SIZE);
  g_autofree guint8 *held = g_malloc (KF_RECORD_MAX_SIZE);
  gsize held_len = 0;
  gsize len;

  for (guint n = 0; (len = read_record (in, buf)) > 0; n++)
    {
      if (n == self->record)
        switch (self->damage)
          {
          case KF_TEST_PROXY_FLIP:
            buf[KF_RECORD_HEADER_SIZE + 100] ^= 0x04;
            break;
          case KF_TEST_PROXY_SWAP:
            memcpy (held, buf, len);
            held_len = len;
            continue;
          case KF_TEST_PROXY_DUPLICATE:
            g_output_stream_write_all (out, buf, len, NULL, NULL, NULL);
            break;
          case KF_TEST_PROXY_CUT_BOUNDARY:
            return;
          case KF_TEST_PROXY_CUT_MIDDLE:
            g_output_stream_write_all (out, buf, len / 2, NULL, NULL, NULL);
            return;
          default:
            g_assert_not_reached ();
          }
      if (!g_output_stream_write_all (out, buf, len, NULL, NULL, NULL))
        return;
      if (held_len > 0 && !g_output_stream_write_all (out, held, held_len, NULL, NULL, NULL))
        return;
      held_len = 0;
    }
}

static gpointer
proxy_main (gpointer data)
{
  KfTestProxy *self = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) down = NULL;
  g_autoptr(GSocketConnection) up = NULL;
  Relay back;
  GThread *back_thread;
  guint8 handshake[KF_PEER_HELLO_SIZE];
  GInputStream *in;
  GOutputStream *out;

  down = g_socket_listener_accept (self->listener, NULL, NULL, NULL);
  g_socket_client_set_enable_proxy (client, FALSE);
  up = g_socket_client_connect_to_host (client, "127.0.0.1", self->target_port, NULL, NULL);
  g_assert_nonnull (down);
  g_assert_nonnull (up);

  back.in = g_io_stream_get_input_stream (G_IO_STREAM (up));
  back.out = g_io_stream_get_output_stream (G_IO_STREAM (down));
  back.out_socket = g_socket_connection_get_socket (down);
  back_thread = g_thread_new ("proxy-back", relay_main, &back);

  in = g_io_stream_get_input_stream (G_IO_STREAM (down));
  out = g_io_stream_get_output_stream (G_IO_STREAM (up));
  /* HELLO, then (after the receiver's CHALLENGE went back) RESPONSE. */
  if (g_input_stream_read_all (in, handshake, KF_PEER_HELLO_SIZE, NULL, NULL, NULL)
      && g_output_stream_write_all (out, handshake, KF_PEER_HELLO_SIZE, NULL, NULL, NULL)
      && g_input_stream_read_all (in, handshake, KF_PEER_RESPONSE_SIZE, NULL, NULL, NULL)
      && g_output_stream_write_all (out, handshake, KF_PEER_RESPONSE_SIZE, NULL, NULL, NULL))
    relay_records (self, in, out);

  /* The receiver hears the end; once it has hung up, so does the sender. */
  g_socket_shutdown (g_socket_connection_get_socket (up), FALSE, TRUE, NULL);
  g_thread_join (back_thread);
  g_io_stream_close (G_IO_STREAM (down), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (up), NULL, NULL);
  return NULL;
}

/*
 * kf_test_proxy_new:
 *
 * Listens on a loopback port for one sender and relays it to
 * @target_port, applying @damage to record number @record.
 */
KfTestProxy *
kf_test_proxy_new (guint16           target_port,
                   KfTestProxyDamage damage,
                   guint             record)
{
  KfTestProxy *self = g_new0 (KfTestProxy, 1);
  g_autoptr(GError) error = NULL;

  self->listener = g_socket_listener_new ();
  self->port = g_socket_listener_add_any_inet_port (self->listener, NULL, &error);
  g_assert_no_error (error);
  self->target_port = target_port;
  self->damage = damage;
  self->record = record;
  self->thread = g_thread_new ("proxy", proxy_main, self);
  return self;
}

guint16
kf_test_proxy_get_port (KfTestProxy *proxy)
{
  return proxy->port;
}

/*
 * kf_test_proxy_free:
 *
 * Waits for the relay to end (both peers hung up) and frees it.
 */
void
kf_test_proxy_free (KfTestProxy *proxy)
{
  g_thread_join (proxy->thread);
  g_socket_listener_close (proxy->listener);
  g_object_unref (proxy->listener);
  g_free (proxy);
}
