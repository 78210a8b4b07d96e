/* bench-km-load.c: many idle TLS clients of one key manager, from one process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens N TLS sessions to a keyferry-server on 127.0.0.1 asynchronously, at
 * most C handshakes in flight, checks the pinned fingerprint, reads the
 * greeting and introduces each client (`hello`; with --wait also `wait`).
 * Reports the handshakes + greetings per second and the spread of each
 * client's time from connect to `welcome` (the slowest shows whether one
 * was starved).  With --pairs K, two more clients then pair K times: one
 * `wait`s, the other sends `conn`, and the latency is the time from sending
 * `conn` until both hold their key material (`ev key`); the sender then
 * cancels.  Then it prints `ready` and holds every connection until its
 * standard input closes or --hold seconds pass, so that the caller can
 * measure the server, and leaves.  Everything is bounded by --timeout.
 *
 * Output: `key=value` lines, for bench/run.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-km-hello.h"
#include "kf-protocol.h"

typedef enum
{
  CLIENT_CONNECTING,
  CLIENT_GREETING,
  CLIENT_HELLO,
  CLIENT_IDLE,
  CLIENT_GONE,
} ClientState;

typedef struct _Load Load;

typedef struct
{
  Load             *load;
  guint             index;
  ClientState       state;
  GSocketConnection *tcp;
  GIOStream        *tls;
  GDataInputStream *input;
  GCancellable     *cancellable;
  guint64           id;
  gint64            started;
  gint64            welcomed;
  gboolean          has_key;
  KfIdentity       *identity;   /* its own: conn is rate-limited per identity */
} Client;

struct _Load
{
  GMainLoop     *loop;
  GSocketClient *socket_client;
  char          *pin;
  guint16        port;
  guint          n;
  guint          total;
  guint          concurrency;
  guint          pairs;
  gboolean       wait;
  Client        *clients;
  guint          next;
  guint          in_flight;
  guint          greeted;
  guint          failed;
  guint          lost;
  gint64         first_start;
  gint64         all_greeted;
  guint          pairs_done;
  gint64         conn_sent;
  gboolean       cancel_acked;
  gboolean       cancel_seen;
  double        *pair_ms;
  gboolean       holding;
  int            exit_code;
};

static void read_next_line (Client *client);

/* Raises the soft file limit to the hard one, and the hard one too when
 * allowed, so that @wanted descriptors fit.  Returns the soft limit. */
static rlim_t
raise_file_limit (rlim_t wanted)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_max < wanted)
    {
      struct rlimit higher = { wanted, wanted };

      if (setrlimit (RLIMIT_NOFILE, &higher) == 0)
        return wanted;
    }
  limit.rlim_cur = limit.rlim_max;
  setrlimit (RLIMIT_NOFILE, &limit);
  getrlimit (RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

static void
finish (Load *load,
        int   code)
{
  load->exit_code = MAX (load->exit_code, code);
  g_main_loop_quit (load->loop);
}

static void
write_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_printerr ("bench-km-load: write failed: %s\n", error->message);
  g_free (user_data);
}

/* Sends one protocol line; the caller never has two writes of one client
 * in flight, because each line waits for the server's answer to the last. */
static void G_GNUC_PRINTF (2, 3)
send_line (Client     *client,
           const char *format,
           ...)
{
  va_list args;
  char *line;
  char *with_lf;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  with_lf = g_strconcat (line, "\n", NULL);
  g_free (line);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (client->tls), with_lf,
                                   strlen (with_lf), G_PRIORITY_DEFAULT, client->cancellable,
                                   write_done, with_lf);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The value at @fraction (0..1) of the sorted @values, nearest rank. */
static double
percentile (const double *values,
            guint         n,
            double        fraction)
{
  guint rank = (guint) (fraction * n + 0.999999);

  return values[CLAMP (rank, 1, n) - 1];
}

/* Prints the figures of the connect phase. */
static void
report_connect (Load *load)
{
  g_autofree double *ms = g_new (double, load->total);
  double seconds = (load->all_greeted - load->first_start) / 1e6;
  guint n = 0;

  for (guint i = 0; i < load->total; i++)
    if (load->clients[i].welcomed != 0)
      ms[n++] = (load->clients[i].welcomed - load->clients[i].started) / 1e3;
  qsort (ms, n, sizeof *ms, compare_doubles);
  printf ("connected=%u\nfailed=%u\nconnect_seconds=%.3f\nhandshakes_per_second=%.1f\n",
          load->greeted, load->failed, seconds, seconds > 0 ? load->greeted / seconds : 0.0);
  if (n > 0)
    printf ("greet_p50_ms=%.2f\ngreet_p99_ms=%.2f\ngreet_max_ms=%.2f\n",
            percentile (ms, n, 0.5), percentile (ms, n, 0.99), ms[n - 1]);
  fflush (stdout);
}

static void
report_pairs (Load *load)
{
  qsort (load->pair_ms, load->pairs_done, sizeof *load->pair_ms, compare_doubles);
  printf ("pairs=%u\npair_p50_ms=%.3f\npair_p99_ms=%.3f\npair_max_ms=%.3f\n", load->pairs_done,
          percentile (load->pair_ms, load->pairs_done, 0.5),
          percentile (load->pair_ms, load->pairs_done, 0.99),
          load->pair_ms[load->pairs_done - 1]);
  fflush (stdout);
}

static void
stdin_closed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              NULL);

  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 64, G_PRIORITY_DEFAULT, NULL,
                                     stdin_closed, load);
  else
    finish (load, 0);
}

/* Every connection is up (and every pair measured): says so and holds them
 * until standard input closes or the hold time passes. */
static void
hold (Load *load)
{
  static GInputStream *stdin_stream;

  load->holding = TRUE;
  printf ("lost=%u\nready\n", load->lost);
  fflush (stdout);
  stdin_stream = g_unix_input_stream_new (0, FALSE);
  g_input_stream_read_bytes_async (stdin_stream, 64, G_PRIORITY_DEFAULT, NULL, stdin_closed,
                                   load);
}

/* Starts the next pairing: the receiver of the pair says `wait`. */
static void
pair_start (Load *load)
{
  Client *receiver = &load->clients[load->n];
  Client *sender = &load->clients[load->n + 1];

  receiver->has_key = sender->has_key = FALSE;
  load->cancel_acked = load->cancel_seen = FALSE;
  send_line (receiver, "wait");
}

/* One pairing ended (the sender's cancel acknowledged, the receiver told):
 * starts the next, or reports and holds. */
static void
pair_next (Load *load)
{
  if (!load->cancel_acked || !load->cancel_seen)
    return;
  if (++load->pairs_done < load->pairs)
    pair_start (load);
  else
    {
      report_pairs (load);
      hold (load);
    }
}

/* A line for one of the two pairing clients. */
static void
pair_line (Client     *client,
           const char *line)
{
  Load *load = client->load;
  Client *receiver = &load->clients[load->n];
  Client *sender = &load->clients[load->n + 1];

  if (client == receiver && g_str_equal (line, "ok wait"))
    {
      load->conn_sent = g_get_monotonic_time ();
      send_line (sender, "conn %" G_GUINT64_FORMAT " cbc", receiver->id);
    }
  else if (g_str_has_prefix (line, "ev key "))
    {
      client->has_key = TRUE;
      if (receiver->has_key && sender->has_key)
        {
          load->pair_ms[load->pairs_done] = (g_get_monotonic_time () - load->conn_sent) / 1e3;
          send_line (sender, "cancel");
        }
    }
  else if (client == sender && g_str_equal (line, "ok cancel"))
    {
      load->cancel_acked = TRUE;
      pair_next (load);
    }
  else if (client == receiver && g_str_has_prefix (line, "ev cancelled "))
    {
      load->cancel_seen = TRUE;
      pair_next (load);
    }
}

static void
start_clients (Load *load);

/* One more client reached its end of the connect phase (greeted or
 * failed): starts the next, and after the last the pairing or the hold. */
static void
client_settled (Load *load)
{
  load->in_flight--;
  if (load->greeted + load->failed < load->total)
    {
      start_clients (load);
      return;
    }
  load->all_greeted = g_get_monotonic_time ();
  report_connect (load);
  if (load->failed > 0)
    finish (load, 1);
  else if (load->pairs > 0)
    pair_start (load);
  else
    hold (load);
}

static void
client_fail (Client     *client,
             const char *what,
             GError     *error)
{
  Load *load = client->load;
  ClientState was = client->state;

  client->state = CLIENT_GONE;
  g_cancellable_cancel (client->cancellable);
  if (was == CLIENT_IDLE)
    {
      if (load->lost++ < 5)
        g_printerr ("bench-km-load: client %u lost: %s\n", client->index,
                    error != NULL ? error->message : what);
      if (client->index >= load->n && load->pairs_done < load->pairs)
        finish (load, 1);
      return;
    }
  if (load->failed++ < 5)
    g_printerr ("bench-km-load: client %u failed to %s: %s\n", client->index, what,
                error != NULL ? error->message : "closed");
  client_settled (load);
}

/* `hello 2 load-N KEY SIGNATURE`, the client's own identity signed over
 * @challenge and the connection's exporter (docs/PROTOCOL.md part 1 §4). */
static void
send_hello (Client       *client,
            const guint8  challenge[KF_PROTOCOL_CHALLENGE_SIZE])
{
  g_autofree char *name = g_strdup_printf ("load-%u", client->index);
  g_autofree char *key = NULL;
  g_autofree char *signature_hex = NULL;
  guint8 seed[KF_IDENTITY_SEED_SIZE] = { 0x10, 0xad };
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE];
  guint8 signature[KF_IDENTITY_SIGNATURE_SIZE];
  g_autoptr(GError) error = NULL;

  if (!kf_km_hello_exporter (G_TLS_CONNECTION (client->tls), exporter, &error))
    {
      client_fail (client, "bind the hello to TLS", error);
      return;
    }
  memcpy (seed + 2, &client->index, sizeof client->index);
  g_clear_object (&client->identity);
  client->identity = kf_identity_new_from_seed (seed);
  kf_km_hello_sign (client->identity, challenge, exporter, name, signature);
  key = kf_hex_encode (kf_identity_get_public_key (client->identity), KF_IDENTITY_PUBLIC_KEY_SIZE);
  signature_hex = kf_hex_encode (signature, sizeof signature);
  send_line (client, "hello 2 %s %s %s", name, key, signature_hex);
}

/* Handles one line from the server according to the client's state. */
static void
client_line (Client     *client,
             const char *line)
{
  Load *load = client->load;

  switch (client->state)
    {
    case CLIENT_GREETING:
      {
        g_autoptr(KfProtocolMessage) greeting = kf_protocol_parse_server_line (line, NULL);

        if (greeting == NULL || greeting->type != KF_MSG_GREETING
            || greeting->version != KF_PROTOCOL_VERSION)
          {
            client_fail (client, "read the greeting", NULL);
            return;
          }
        if (greeting->auth_required)
          {
            g_printerr ("bench-km-load: the server wants a passphrase\n");
            finish (load, 2);
            return;
          }
        client->state = CLIENT_HELLO;
        send_hello (client, greeting->challenge);
      }
      break;

    case CLIENT_HELLO:
      if (sscanf (line, "welcome %" G_GUINT64_FORMAT, &client->id) != 1)
        {
          client_fail (client, "be welcomed", NULL);
          return;
        }
      client->welcomed = g_get_monotonic_time ();
      client->state = CLIENT_IDLE;
      load->greeted++;
      if (load->wait && client->index < load->n)
        send_line (client, "wait");
      client_settled (load);
      break;

    case CLIENT_IDLE:
      if (g_str_has_prefix (line, "err "))
        g_printerr ("bench-km-load: client %u: %s\n", client->index, line);
      if (client->index >= load->n)
        pair_line (client, line);
      break;

    case CLIENT_CONNECTING:
    case CLIENT_GONE:
    default:
      break;
    }
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL,
                                               &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || client->state == CLIENT_GONE)
    return;
  if (line == NULL)
    {
      client_fail (client, "read", error);
      return;
    }
  client_line (client, line);
  /* An idle client keeps no read pending: one GSource per idle connection
   * would make every iteration of this process's main loop cost O(N) and
   * add to the pairing latency measured here.  Whether the server closed
   * or spoke to it meanwhile is checked once, before leaving. */
  if (client->state == CLIENT_IDLE && client->index < client->load->n
      && (!client->load->wait || g_str_equal (line, "ok wait")))
    return;
  if (client->state != CLIENT_GONE)
    read_next_line (client);
}

static void
read_next_line (Client *client)
{
  g_data_input_stream_read_line_async (client->input, G_PRIORITY_DEFAULT, client->cancellable,
                                       line_read, client);
}

static gboolean
accept_certificate (GTlsConnection       *connection,
                    GTlsCertificate      *certificate,
                    GTlsCertificateFlags  errors,
                    gpointer              user_data)
{
  Client *client = user_data;
  g_autofree char *fingerprint = kf_fingerprint_from_certificate (certificate);

  return kf_fingerprint_equal (fingerprint, client->load->pin);
}

static void
handshake_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      client_fail (client, "complete the TLS handshake", error);
      return;
    }
  client->input = g_data_input_stream_new (g_io_stream_get_input_stream (client->tls));
  g_data_input_stream_set_newline_type (client->input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  client->state = CLIENT_GREETING;
  read_next_line (client);
}

static void
connected (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *tcp;

  tcp = client->tcp = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (tcp == NULL)
    {
      client_fail (client, "connect", error);
      return;
    }
  /* The database is left out at construction: set afterwards, the GnuTLS
   * backend would already have parsed the system CA bundle for this one
   * connection (tens of milliseconds and megabytes each). */
  client->tls = g_initable_new (g_tls_backend_get_client_connection_type (
                                  g_tls_backend_get_default ()),
                                NULL, &error, "base-io-stream", tcp, "database", NULL, NULL);
  if (client->tls == NULL)
    {
      client_fail (client, "start TLS", error);
      return;
    }
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (client->tls),
                                             (const char * const[]) { KF_PROTOCOL_ALPN, NULL });
  g_signal_connect (client->tls, "accept-certificate", G_CALLBACK (accept_certificate), client);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (client->tls), G_PRIORITY_DEFAULT,
                                    client->cancellable, handshake_done, client);
}

/* Starts connections until C are in flight or all were started. */
static void
start_clients (Load *load)
{
  while (load->in_flight < load->concurrency && load->next < load->total)
    {
      Client *client = &load->clients[load->next];

      client->load = load;
      client->index = load->next++;
      client->cancellable = g_cancellable_new ();
      client->started = g_get_monotonic_time ();
      load->in_flight++;
      g_socket_client_connect_to_host_async (load->socket_client, "127.0.0.1", load->port,
                                             client->cancellable, connected, client);
    }
}

static gboolean
time_is_up (gpointer user_data)
{
  Load *load = user_data;

  if (!load->holding)
    {
      g_printerr ("bench-km-load: timed out (%u greeted, %u failed, %u pairs)\n", load->greeted,
                  load->failed, load->pairs_done);
      finish (load, 1);
    }
  return G_SOURCE_REMOVE;
}

/* The hold time passed: leave, even if standard input stays open. */
static gboolean
hold_is_over (gpointer user_data)
{
  finish (user_data, 0);
  return G_SOURCE_REMOVE;
}

/* Counts the idle clients whose connection became readable while they
 * held no read: the server closed it or sent them something unasked. */
static guint
count_disturbed (Load *load)
{
  guint disturbed = 0;

  for (guint i = 0; i < MIN (load->next, load->n); i++)
    {
      Client *client = &load->clients[i];
      GInputStream *input;

      if (client->state != CLIENT_IDLE)
        continue;
      input = G_INPUT_STREAM (client->input);
      if (g_buffered_input_stream_get_available (G_BUFFERED_INPUT_STREAM (input)) > 0
          || g_socket_condition_check (g_socket_connection_get_socket (client->tcp),
                                       G_IO_IN | G_IO_HUP | G_IO_ERR) != 0)
        disturbed++;
    }
  return disturbed;
}

/* Closes every connection, as clients leaving. */
static void
close_all (Load *load)
{
  for (guint i = 0; i < load->next; i++)
    {
      Client *client = &load->clients[i];

      g_cancellable_cancel (client->cancellable);
      g_clear_object (&client->input);
      if (client->tls != NULL)
        g_io_stream_close (client->tls, NULL, NULL);
      g_clear_object (&client->tls);
      g_clear_object (&client->identity);
      g_clear_object (&client->tcp);
      g_clear_object (&client->cancellable);
    }
}

int
main (int    argc,
      char **argv)
{
  int port = 0;
  int clients = 1000;
  int concurrency = 32;
  int pairs = 0;
  int timeout = 120;
  int hold_seconds = 300;
  gboolean wait = FALSE;
  g_autofree char *pin = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "The key manager's port on 127.0.0.1", "PORT" },
    { "fingerprint", 'f', 0, G_OPTION_ARG_STRING, &pin, "Its certificate fingerprint", "HEX" },
    { "clients", 'n', 0, G_OPTION_ARG_INT, &clients, "Idle clients to open (default 1000)", "N" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency,
      "Connections in their handshake at once (default 32)", "C" },
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait, "Idle clients also say wait", NULL },
    { "pairs", 'k', 0, G_OPTION_ARG_INT, &pairs, "Pairings to time with two more clients", "K" },
    { "hold", 0, 0, G_OPTION_ARG_INT, &hold_seconds,
      "Leave at most S seconds after connecting, even if stdin stays open (default 300)", "S" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
      "Give up when connecting and pairing take longer (default 120)", "S" },
    { NULL }
  };
  Load load = { 0 };

  kf_gcrypt_init ();
  context = g_option_context_new ("- many idle TLS clients of one keyferry-server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-km-load: %s\n", error->message);
      return 2;
    }
  if (port < 1 || port > 65535 || pin == NULL || clients < 0 || clients > 100000
      || concurrency < 1 || pairs < 0 || pairs > 100000 || timeout < 1 || hold_seconds < 1)
    {
      g_printerr ("bench-km-load: give --port, --fingerprint and sane counts\n");
      return 2;
    }

  load.loop = g_main_loop_new (NULL, FALSE);
  load.socket_client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (load.socket_client, FALSE);
  load.pin = kf_fingerprint_normalize (pin, NULL);
  if (load.pin == NULL)
    load.pin = g_strdup (pin);
  load.port = (guint16) port;
  load.n = (guint) clients;
  load.pairs = (guint) pairs;
  load.total = load.n + (pairs > 0 ? 2 : 0);
  load.concurrency = (guint) concurrency;
  load.wait = wait;
  load.clients = g_new0 (Client, MAX (load.total, 1));
  load.pair_ms = g_new0 (double, MAX (load.pairs, 1));
  if (raise_file_limit (load.total + 64) < load.total + 64)
    {
      g_printerr ("bench-km-load: cannot open %u files; raise the limit\n", load.total + 64);
      return 2;
    }

  g_timeout_add_seconds (timeout, time_is_up, &load);
  load.first_start = g_get_monotonic_time ();
  if (load.total == 0)
    hold (&load);
  else
    start_clients (&load);
  g_timeout_add_seconds (timeout + hold_seconds, hold_is_over, &load);
  g_main_loop_run (load.loop);

  if (load.holding)
    printf ("disturbed=%u\n", count_disturbed (&load));
  close_all (&load);
  printf ("left=%u\n", load.next);
  g_free (load.clients);
  g_free (load.pair_ms);
  g_free (load.pin);
  g_object_unref (load.socket_client);
  g_main_loop_unref (load.loop);
  return load.exit_code;
}
