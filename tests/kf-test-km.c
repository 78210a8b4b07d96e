/* kf-test-km.c: a key manager that shows what a key manager sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   kf-test-km DIR [--name-other-identities]
 *
 * Runs the real key manager (KfServer, through tests/kf-test-server.c) in
 * this process on 127.0.0.1 and prints "port N fingerprint FP" once it
 * listens; SIGTERM or SIGINT stops it.  For end-to-end tests that must
 * show what an honest-but-curious key manager could do with what it
 * holds, it writes into DIR:
 *
 *   km-keys       a line "SESSION ROLE MODE KEY IV" for every `ev key` it
 *                 sends (KEY and IV in hex: the material it hands out);
 *   km-reports    a line "BLOCKS DIGEST" for every `report` it receives;
 *   SESSION.s2r   the bytes the sender sent on the peer link, and
 *   SESSION.r2s   the receiver's: `ev connect` names a relay of this
 *                 program's in front of the receiver, which copies both
 *                 directions and keeps them.
 *
 * With --name-other-identities it lies in every `ev key`: the peer's
 * identity key it names has its first byte flipped, as a key manager
 * that puts someone in a peer's place would name that someone's.
 *
 * Nothing of this is in the shipped key manager: the two protocol
 * functions the server calls to send and to parse a line are wrapped at
 * link time (-Wl,--wrap, tests/meson.build) in this test program only.
 */

#include "config.h"

#include <stdio.h>
#include <glib-unix.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-protocol.h"
#include "kf-test-server.h"

GBytes            *__real_kf_protocol_message_to_bytes (const KfProtocolMessage *msg,
                                                        GError                 **error);
GBytes            *__wrap_kf_protocol_message_to_bytes (const KfProtocolMessage *msg,
                                                        GError                 **error);
KfProtocolMessage *__real_kf_protocol_parse_client_line (const char  *line,
                                                         GError     **error);
KfProtocolMessage *__wrap_kf_protocol_parse_client_line (const char  *line,
                                                         GError     **error);

static char *dir;
static gboolean name_other_identities;
static GMutex lock;

static void
append_line (const char *name,
             const char *line)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  FILE *file;

  g_mutex_lock (&lock);
  file = fopen (path, "a");
  g_assert_nonnull (file);
  fprintf (file, "%s\n", line);
  fclose (file);
  g_mutex_unlock (&lock);
}

/* One direction of a relayed peer link, copied and kept. */
typedef struct
{
  GSocketConnection *from;
  GSocketConnection *to;
  char              *path;
} Pipe;

static gpointer
pipe_main (gpointer data)
{
  Pipe *pipe = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (pipe->from));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (pipe->to));
  FILE *file = fopen (pipe->path, "wb");
  guint8 buf[65536];
  gssize n;

  g_assert_nonnull (file);
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    {
      fwrite (buf, 1, (gsize) n, file);
      if (!g_output_stream_write_all (out, buf, (gsize) n, NULL, NULL, NULL))
        break;
    }
  fclose (file);
  g_socket_shutdown (g_socket_connection_get_socket (pipe->to), FALSE, TRUE, NULL);
  return NULL;
}

typedef struct
{
  GSocketListener *listener;
  char            *address;
  guint16          port;
  char            *session_id;
} Relay;

/* Accepts the sender, connects to the receiver, and copies both ways. */
static gpointer
relay_main (gpointer data)
{
  Relay *relay = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) sender = NULL;
  g_autoptr(GSocketConnection) receiver = NULL;
  g_autofree char *s2r = g_strdup_printf ("%s/%s.s2r", dir, relay->session_id);
  g_autofree char *r2s = g_strdup_printf ("%s/%s.r2s", dir, relay->session_id);
  Pipe up, down;
  GThread *threads[2];

  sender = g_socket_listener_accept (relay->listener, NULL, NULL, NULL);
  g_socket_client_set_enable_proxy (client, FALSE);
  receiver = g_socket_client_connect_to_host (client, relay->address, relay->port, NULL, NULL);
  g_socket_listener_close (relay->listener);
  if (sender != NULL && receiver != NULL)
    {
      up = (Pipe) { sender, receiver, s2r };
      down = (Pipe) { receiver, sender, r2s };
      threads[0] = g_thread_new ("relay-s2r", pipe_main, &up);
      threads[1] = g_thread_new ("relay-r2s", pipe_main, &down);
      g_thread_join (threads[0]);
      g_thread_join (threads[1]);
    }
  g_object_unref (relay->listener);
  g_free (relay->address);
  g_free (relay->session_id);
  g_free (relay);
  return NULL;
}

/* Opens a relay to @msg's receiver; returns the port the sender is sent to. */
static guint16
start_relay (const KfProtocolMessage *msg)
{
  Relay *relay = g_new0 (Relay, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  relay->listener = g_socket_listener_new ();
  g_socket_listener_add_address (relay->listener, any_port, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  relay->address = g_strdup (msg->address);
  relay->port = msg->port;
  relay->session_id = g_strdup (msg->session_id);
  g_thread_unref (g_thread_new ("relay", relay_main, relay));

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

GBytes *
__wrap_kf_protocol_message_to_bytes (const KfProtocolMessage *msg,
                                     GError                 **error)
{
  if (msg->type == KF_MSG_EV_KEY)
    {
      g_autofree char *key = kf_hex_encode (msg->key, sizeof msg->key);
      g_autofree char *iv = kf_hex_encode (msg->iv, sizeof msg->iv);
      g_autofree char *line = g_strdup_printf ("%s %s %s %s %s", msg->session_id,
                                               kf_protocol_role_to_string (msg->role),
                                               kf_cipher_mode_to_string (msg->mode), key, iv);

      append_line ("km-keys", line);
      if (name_other_identities)
        {
          KfProtocolMessage lie = *msg;

          lie.public_key[0] ^= 0xff;
          return __real_kf_protocol_message_to_bytes (&lie, error);
        }
    }
  if (msg->type == KF_MSG_EV_CONNECT)
    {
      KfProtocolMessage relayed = *msg;

      relayed.port = start_relay (msg);
      return __real_kf_protocol_message_to_bytes (&relayed, error);
    }

  return __real_kf_protocol_message_to_bytes (msg, error);
}

KfProtocolMessage *
__wrap_kf_protocol_parse_client_line (const char  *line,
                                      GError     **error)
{
  KfProtocolMessage *msg = __real_kf_protocol_parse_client_line (line, error);

  if (msg != NULL && msg->type == KF_MSG_REPORT)
    {
      g_autofree char *report = g_strdup_printf ("%" G_GUINT64_FORMAT " %s", msg->blocks,
                                                 msg->digest);

      append_line ("km-reports", report);
    }
  return msg;
}

static gboolean
quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  KfServerConfig config;
  KfTestServer *server;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  if (argc < 2 || argc > 3 || (argc == 3 && g_strcmp0 (argv[2], "--name-other-identities") != 0))
    {
      fprintf (stderr, "usage: kf-test-km DIR [--name-other-identities]\n");
      return 2;
    }
  dir = argv[1];
  name_other_identities = argc == 3;
  kf_gcrypt_init ();

  /* Real binaries on a loaded machine: the key manager's own defaults. */
  kf_server_config_init (&config);
  server = kf_test_server_start (&config, NULL);
  printf ("port %u fingerprint %s\n", kf_test_server_get_port (server),
          kf_test_server_get_fingerprint (server));
  fflush (stdout);

  g_unix_signal_add (SIGTERM, quit, loop);
  g_unix_signal_add (SIGINT, quit, loop);
  g_main_loop_run (loop);
  kf_test_server_stop (server);
  return 0;
}
