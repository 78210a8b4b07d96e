/* fuzz-server.c: the key manager's state machine, driven by three clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: byte 0 says whether the three clients start greeted (odd: the
 * target sends `hello` for each) or not; then lines separated by LF.  The
 * first byte of each line picks a client (its value modulo 3), the rest
 * is sent with its LF, "@0", "@1" and "@2" replaced by those clients' ids
 * when they are greeted (ids grow with every connection, so a fuzzer could
 * never guess them).  Any command can so arrive in any state from any
 * client, interleaved with the others' (wait, send, conn to each other,
 * confirm, cancel, end…).  Client N always has the same identity (made
 * from seed N), so that the names it registered on the key manager in
 * earlier inputs stay its own.
 *
 * The real key manager runs in process, in its own thread, on loopback
 * with TLS, exactly as in tests/test-server.c; each input gets three fresh
 * connections.  After the input every client still connected sends
 * `ping`; the key manager must answer it (so it is alive and still
 * serving that client), and every line it sent on the way must be a
 * well-formed server line.  Slow (a few TLS handshakes per input) but it
 * is the whole server, sanitizers included.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kf-fuzz.h"
#include "kf-protocol.h"
#include "kf-test-km-client.h"
#include "kf-test-server.h"

#define N_CLIENTS  3
#define MAX_LINES  48

static KfTestServer *running;
static KfIdentity *identities[N_CLIENTS];

/* Stops the key manager at exit, which removes its state directory. */
static void
stop_server (void)
{
  kf_test_server_stop (running);
}

static KfTestServer *
server (void)
{
  if (running == NULL)
    {
      running = kf_test_server_start (NULL, NULL);
      atexit (stop_server);
    }
  return running;
}

/* Sends @line (@len bytes, its LF included) with "@N" replaced by the
 * id of client N.  Returns %FALSE once the connection is closed. */
static gboolean
send_line (KfTestKmClient  *client,
           KfTestKmClient **clients,
           gboolean         greeted,
           const guint8    *line,
           gsize            len)
{
  g_autoptr(GString) out = g_string_sized_new (len + 16);

  for (gsize i = 0; i < len; i++)
    {
      if (greeted && line[i] == '@' && i + 1 < len && line[i + 1] >= '0'
          && line[i + 1] < '0' + N_CLIENTS)
        {
          g_string_append_printf (out, "%" G_GUINT64_FORMAT,
                                  kf_test_km_client_get_id (clients[line[i + 1] - '0']));
          i++;
        }
      else
        g_string_append_c (out, (char) line[i]);
    }
  return kf_test_km_client_send_raw (client, out->str, out->len, NULL);
}

/* Reads until the answer to `ping`, the end of the stream or an error,
 * checking every line is one the client's parser accepts. */
static void
drain (KfTestKmClient *client)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfProtocolMessage) msg = NULL;
      g_autofree char *line = kf_test_km_client_read_line (client, KF_TEST_TIMEOUT_MS, &error);

      kf_fuzz_check (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
                     "the key manager answers ping within the timeout");
      if (line == NULL)
        return;
      msg = kf_protocol_parse_server_line (line, NULL);
      kf_fuzz_check (msg != NULL, "every line the key manager sends is well formed");
      if (msg->type == KF_MSG_OK && msg->reply_to == KF_MSG_PING)
        return;
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char *names[N_CLIENTS] = { "alice", "bob", "carol" };
  KfTestKmClient *clients[N_CLIENTS] = { NULL };
  gboolean open[N_CLIENTS];
  const guint8 *p = data + 1;
  const guint8 *end = data + size;
  guint16 port;
  const char *pin;
  gboolean greeted;

  if (size < 1)
    return 0;
  port = kf_test_server_get_port (server ());
  pin = kf_test_server_get_fingerprint (server ());
  greeted = (data[0] & 1) != 0;

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_autoptr(GError) error = NULL;

      if (identities[i] == NULL)
        identities[i] = kf_identity_new_from_seed (
          (const guint8[KF_IDENTITY_SEED_SIZE]) { 0xf0, (guint8) i });
      if (greeted)
        clients[i] = kf_test_km_client_join_as (port, pin, names[i], NULL, identities[i]);
      else
        {
          clients[i] = kf_test_km_client_connect (port, pin, &error);
          if (clients[i] != NULL)
            kf_test_km_client_set_identity (clients[i], identities[i]);
        }
      kf_fuzz_check (clients[i] != NULL, "a client connects");
      open[i] = TRUE;
    }

  for (guint n = 0; n < MAX_LINES && p < end; n++)
    {
      const guint8 *lf = memchr (p, '\n', end - p);
      const guint8 *stop = lf != NULL ? lf + 1 : end;
      guint which = p[0] % N_CLIENTS;

      /* A write fails once the key manager has closed that connection. */
      if (open[which] && stop - p > 1)
        open[which] = send_line (clients[which], clients, greeted, p + 1, stop - p - 1);
      p = stop;
    }

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      if (open[i] && kf_test_km_client_send_raw (clients[i], "\nping\n", 6, NULL))
        drain (clients[i]);
      kf_test_km_client_free (clients[i]);
    }

  return 0;
}
