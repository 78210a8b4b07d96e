/* test-server-abuse.c: the key manager against clients that misbehave:
 * the state x command table, admission, pinning, plaintext, deadlines,
 * limits, slow readers; and watch and shutdown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-cipher.h"
#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-test-pair.h"

typedef enum
{
  STATE_GREETING,
  STATE_IDLE,
  STATE_WAITING,
  STATE_CONFIRMING,   /* the sender, after ev key */
  STATE_CONFIRMED,    /* the sender, confirmed, the receiver not yet */
  STATE_LISTENING,    /* the receiver, after ev listen */
  STATE_TRANSFERRING, /* the sender, after ev connect */
  N_STATES
} TableState;

static const char * const state_names[] = {
  "greeting", "idle", "waiting", "confirming", "confirmed", "listening", "transferring",
};

/* Any 32-byte key and 64-byte signature, for lines refused before they
 * are checked. */
#define KEY "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SIG KEY KEY

/* The state × command table of docs/PROTOCOL.md: "ok" or the err code. */
static const struct
{
  const char *line;
  const char *expect[N_STATES];
} table[] = {
  /*                          greeting         idle             waiting          confirming       confirmed        listening        transferring */
  { "wait",               { "bad-state",     "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "send",               { "bad-state",     "ok",            "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "conn 999999 cbc",    { "bad-state",     "no-such-peer",  "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "cancel",             { "bad-state",     "bad-state",     "ok",            "ok",            "ok",            "ok",            "ok" } },
  { "watch",              { "bad-state",     "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "unwatch",            { "bad-state",     "ok",            "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "confirm 00",         { "bad-state",     "bad-state",     "bad-state",     "bad-confirm",   "bad-state",     "bad-state",     "bad-state" } },
  { "port 4000",          { "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "ok",            "bad-state" } },
  { "report 1 -",         { "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "ok" } },
  { "auth secret",        { "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "hello *",            { "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "ping",               { "ok",            "ok",            "ok",            "ok",            "ok",            "ok",            "ok" } },
  { "hello 3 future " KEY " " SIG, { "version",       "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "fly",                { "unknown-command", "unknown-command", "unknown-command", "unknown-command", "unknown-command", "unknown-command", "unknown-command" } },
};

/* Puts a client into @state; *@other is its partner when there is one. */
static KfTestKmClient *
client_in_state (Fixture         *f,
                 TableState       state,
                 Pair            *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;
  KfTestKmClient *c;

  switch (state)
    {
    case STATE_GREETING:
      c = kf_test_km_client_connect (f->port, f->fp, &error);
      g_assert_no_error (error);
      greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
      return c;
    case STATE_IDLE:
      return join (f, "idle");
    case STATE_WAITING:
      c = join (f, "waiting");
      kf_test_km_client_command (c, "wait", KF_MSG_WAIT);
      return c;
    case STATE_CONFIRMING:
      pair_to_stage (f, p, 0, FALSE);
      return p->sender;
    case STATE_CONFIRMED:
      pair_to_stage (f, p, 1, FALSE);
      return p->sender;
    case STATE_LISTENING:
      pair_to_stage (f, p, 2, FALSE);
      return p->receiver;
    case STATE_TRANSFERRING:
      pair_to_stage (f, p, 3, FALSE);
      return p->sender;
    case N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* Reads the reply to one command, skipping `peer` data lines. */
static KfProtocolMessage *
read_reply (KfTestKmClient *c)
{
  while (TRUE)
    {
      KfProtocolMessage *msg = kf_test_km_client_read_message (c);

      if (msg->type == KF_MSG_OK || msg->type == KF_MSG_ERR || msg->type == KF_MSG_WELCOME)
        return msg;
      g_assert_cmpint (msg->type, ==, KF_MSG_PEER);
      kf_protocol_message_free (msg);
    }
}

static void
test_state_table (Fixture       *f,
                  gconstpointer  data)
{
  for (guint state = 0; state < N_STATES; state++)
    for (guint i = 0; i < G_N_ELEMENTS (table); i++)
      {
        Pair p = { 0 };
        KfTestKmClient *c = client_in_state (f, state, &p);
        g_autoptr(KfProtocolMessage) reply = NULL;
        const char *expect = table[i].expect[state];
        const char *got;

        if (g_str_equal (table[i].line, "hello *"))
          {
            g_autofree char *hello = kf_test_km_client_hello_line (c, "again");

            kf_test_km_client_send (c, hello, NULL);
          }
        else
          kf_test_km_client_send (c, table[i].line, NULL);
        reply = read_reply (c);
        got = reply->type == KF_MSG_ERR ? kf_protocol_error_to_code (reply->error_code) : "ok";
        if (!g_str_equal (got, expect))
          g_error ("in state %s, “%s” gave %s instead of %s", state_names[state],
                   table[i].line, got, expect);
        if (p.sender == NULL)
          kf_test_km_client_free (c);
        pair_clear (&p);
      }

  normal_pairing (f);
}

static void
test_passphrase (Fixture       *f,
                 gconstpointer  data)
{
  const struct { const char *before_hello; KfProtocolError code; } wrong[] = {
    { "auth wrong", KF_PROTOCOL_ERROR_AUTH_FAILED },
    { "auth sesame%20", KF_PROTOCOL_ERROR_AUTH_FAILED },
    { "hello 2 eve " KEY " " SIG, KF_PROTOCOL_ERROR_AUTH_REQUIRED },
    { "wait", KF_PROTOCOL_ERROR_AUTH_REQUIRED },
  };
  g_autoptr(KfTestKmClient) ok = NULL;

  fixture_start (f, NULL, "sesame");
  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfTestKmClient) c = kf_test_km_client_connect (f->port, f->fp, &error);
      g_autoptr(KfProtocolMessage) greeting = NULL;

      g_assert_no_error (error);
      greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
      g_assert_true (greeting->auth_required);
      kf_test_km_client_send (c, wrong[i].before_hello, NULL);
      kf_test_km_client_expect_err (c, wrong[i].code);
      kf_test_km_client_expect_eof (c);
    }

  /* After the failures (and their penalty) the right passphrase works. */
  ok = kf_test_km_client_join (f->port, f->fp, "alice", "sesame");
  kf_test_km_client_command (ok, "ping", KF_MSG_PING);

  /* Lines sent right behind `auth` wait while the passphrase is checked
   * (reading is held), and are read once it is admitted. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KfTestKmClient) eager = kf_test_km_client_connect (f->port, f->fp, &error);
    g_autoptr(KfProtocolMessage) greeting = NULL;
    g_autoptr(KfProtocolMessage) welcome = NULL;
    g_autofree char *hello = NULL;
    g_autofree char *lines = NULL;

    g_assert_no_error (error);
    greeting = kf_test_km_client_expect (eager, KF_MSG_GREETING);
    hello = kf_test_km_client_hello_line (eager, "eager");
    lines = g_strdup_printf ("auth sesame\n%s\nping\n", hello);
    kf_test_km_client_send_raw (eager, lines, strlen (lines), &error);
    g_assert_no_error (error);
    kf_test_km_client_expect_ok (eager, KF_MSG_AUTH);
    welcome = kf_test_km_client_expect (eager, KF_MSG_WELCOME);
    g_assert_cmpstr (welcome->name, ==, "eager");
    kf_test_km_client_expect_ok (eager, KF_MSG_PING);
  }
  {
    Pair p = { 0 };

    p.sender = g_steal_pointer (&ok);
    p.receiver = kf_test_km_client_join (f->port, f->fp, "bob", "sesame");
    kf_test_km_client_command (p.receiver, "wait", KF_MSG_WAIT);
    kf_test_km_client_sendf (p.sender, "conn %" G_GUINT64_FORMAT " cbc",
                             kf_test_km_client_get_id (p.receiver));
    kf_test_km_client_expect_ok (p.sender, KF_MSG_CONN);
    pair_clear (&p);
  }
}

static void
test_wrong_pin (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wrong = g_strnfill (64, 'a');
  KfTestKmClient *c = kf_test_km_client_connect (f->port, wrong, &error);

  g_assert_null (c);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  /* Without a pin the certificate seen is the one the server announced. */
  c = kf_test_km_client_connect (f->port, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kf_test_km_client_get_fingerprint (c), ==, f->fp);
  kf_test_km_client_free (c);

  normal_pairing (f);
}

static void
test_plaintext_client (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfTestKmClient) c = kf_test_km_client_connect_plain (f->port, &error);
  g_autofree char *line = NULL;

  g_assert_no_error (error);
  kf_test_km_client_send (c, "hello 2 plain " KEY " " SIG, &error);
  g_assert_no_error (error);
  /* No greeting, no welcome: at most TLS alert bytes, then the end. */
  line = kf_test_km_client_read_line (c, KF_TEST_TIMEOUT_MS, &error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_assert_true (line == NULL || strstr (line, "keyferry") == NULL);

  normal_pairing (f);
}

static void
test_greeting_deadline (Fixture       *f,
                        gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfTestKmClient) tls = NULL;
  g_autoptr(KfTestKmClient) silent = NULL;
  g_autoptr(KfTestKmClient) trickle = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.handshake_timeout_ms = 400;
  fixture_start (f, &config, NULL);

  /* Greeted by TLS but never says hello. */
  tls = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (tls, KF_MSG_GREETING);
  kf_test_km_client_expect_err (tls, KF_PROTOCOL_ERROR_TIMEOUT);
  kf_test_km_client_expect_eof (tls);

  /* Never even starts TLS. */
  silent = kf_test_km_client_connect_plain (f->port, &error);
  g_assert_no_error (error);
  kf_test_km_client_expect_eof (silent);

  /* Trickling bytes does not extend an absolute deadline. */
  trickle = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  g_clear_pointer (&greeting, kf_protocol_message_free);
  greeting = kf_test_km_client_expect (trickle, KF_MSG_GREETING);
  for (guint i = 0; i < 3; i++)
    {
      kf_test_km_client_send_raw (trickle, "h", 1, &error);
      g_assert_no_error (error);
      g_usleep (150 * 1000);
    }
  kf_test_km_client_expect_err (trickle, KF_PROTOCOL_ERROR_TIMEOUT);

  normal_pairing (f);
}

static void
test_watch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(KfTestKmClient) watcher = join (f, "carol");
  g_autoptr(KfTestKmClient) early = join (f, "early bird");
  g_autoptr(KfTestKmClient) late = join (f, "late");
  g_autoptr(KfProtocolMessage) peer = NULL;
  g_autoptr(KfProtocolMessage) ok = NULL;
  g_autoptr(KfProtocolMessage) waiting = NULL;
  g_autoptr(KfProtocolMessage) gone = NULL;

  kf_test_km_client_command (early, "wait", KF_MSG_WAIT);
  kf_test_km_client_sendf (watcher, "watch");
  peer = kf_test_km_client_expect (watcher, KF_MSG_PEER);
  g_assert_cmpstr (peer->name, ==, "early bird");
  ok = kf_test_km_client_expect (watcher, KF_MSG_OK);
  g_assert_cmpint (ok->reply_to, ==, KF_MSG_WATCH);
  g_assert_cmpuint (ok->count, ==, 1);

  kf_test_km_client_command (late, "wait", KF_MSG_WAIT);
  waiting = kf_test_km_client_expect (watcher, KF_MSG_EV_WAITING);
  g_assert_cmpuint (waiting->id, ==, kf_test_km_client_get_id (late));
  kf_test_km_client_command (early, "cancel", KF_MSG_CANCEL);
  gone = kf_test_km_client_expect (watcher, KF_MSG_EV_UNWAITING);
  g_assert_cmpuint (gone->id, ==, kf_test_km_client_get_id (early));
  kf_test_km_client_command (watcher, "unwatch", KF_MSG_UNWATCH);
  kf_test_km_client_command (early, "wait", KF_MSG_WAIT);
  kf_test_km_client_expect_silence (watcher, 100);

  normal_pairing (f);
}

static void
test_shutdown_tells_clients (Fixture       *f,
                             gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(KfTestKmClient) idle = join (f, "idle");
  g_autoptr(KfProtocolMessage) down = NULL;

  pair_to_stage (f, &p, 3, FALSE);
  g_clear_pointer (&f->server, kf_test_server_stop);
  down = kf_test_km_client_expect (idle, KF_MSG_EV_SHUTDOWN);
  g_assert_cmpstr (down->text, ==, "test over");
  kf_test_km_client_expect_eof (idle);
  for (KfTestKmClient **c = (KfTestKmClient *[]) { p.sender, p.receiver, NULL }; *c; c++)
    {
      g_autoptr(KfProtocolMessage) ev = kf_test_km_client_expect (*c, KF_MSG_EV_SHUTDOWN);

      kf_test_km_client_expect_eof (*c);
    }
  pair_clear (&p);
}

static void
test_connection_limits (Fixture       *f,
                        gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(GError) error = NULL;
  KfTestKmClient *pending[2];
  g_autoptr(KfTestKmClient) refused = NULL;
  g_autoptr(KfTestKmClient) a = NULL;
  g_autoptr(KfTestKmClient) b = NULL;
  g_autoptr(KfTestKmClient) c = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.max_pending_per_address = 2;
  config.max_clients = 2;
  fixture_start (f, &config, NULL);

  /* Two silent connections fill this address's greeting slots. */
  for (guint i = 0; i < 2; i++)
    {
      pending[i] = kf_test_km_client_connect_plain (f->port, &error);
      g_assert_no_error (error);
    }
  g_usleep (100 * 1000);
  refused = kf_test_km_client_connect_plain (f->port, &error);
  g_assert_no_error (error);
  kf_test_km_client_expect_eof (refused);
  for (guint i = 0; i < 2; i++)
    kf_test_km_client_free (pending[i]);
  g_usleep (100 * 1000);

  /* Two clients fill the server; a third is told it is full. */
  a = join (f, "a");
  b = join (f, "b");
  c = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_FULL);
  kf_test_km_client_expect_eof (c);
  kf_test_km_client_command (a, "ping", KF_MSG_PING);
}

/* One address cannot take every client slot: beyond its cap a client is
 * greeted, then told `err full`; when one of its clients leaves, the
 * address may join again. */
static void
test_clients_per_address (Fixture       *f,
                          gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(GError) error = NULL;
  KfTestKmClient *held[3];
  g_autoptr(KfTestKmClient) refused = NULL;
  g_autoptr(KfTestKmClient) again = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.max_clients_per_address = 3;
  fixture_start (f, &config, NULL);

  for (guint i = 0; i < 3; i++)
    held[i] = join (f, "squatter");
  refused = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (refused, KF_MSG_GREETING);
  {
    g_autofree char *hello = kf_test_km_client_hello_line (refused, "one-too-many");

    kf_test_km_client_send (refused, hello, NULL);
  }
  kf_test_km_client_expect_err (refused, KF_PROTOCOL_ERROR_FULL);
  kf_test_km_client_expect_eof (refused);
  kf_test_km_client_command (held[0], "ping", KF_MSG_PING);

  kf_test_km_client_command (held[2], "end", KF_MSG_END);
  kf_test_km_client_expect_eof (held[2]);
  kf_test_km_client_free (held[2]);
  again = join (f, "back");
  for (guint i = 0; i < 2; i++)
    kf_test_km_client_free (held[i]);
}

static void
test_idle_timeout (Fixture       *f,
                   gconstpointer  data)
{
  KfServerConfig config;
  Pair p = { 0 };
  g_autoptr(KfTestKmClient) silent = NULL;
  g_autoptr(KfTestKmClient) pinger = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.idle_timeout_ms = 400;
  fixture_start (f, &config, NULL);

  silent = join (f, "silent");
  pinger = join (f, "pinger");
  kf_test_km_client_command (pinger, "wait", KF_MSG_WAIT);
  for (guint i = 0; i < 5; i++)
    {
      g_usleep (150 * 1000);
      kf_test_km_client_command (pinger, "ping", KF_MSG_PING);
    }
  kf_test_km_client_expect_err (silent, KF_PROTOCOL_ERROR_TIMEOUT);
  kf_test_km_client_expect_eof (silent);

  /* Nobody times out in the middle of a transfer. */
  pair_to_stage (f, &p, 3, FALSE);
  kf_test_km_client_expect_silence (p.sender, 700);
  pair_report (&p, "report 4 -", "report 4 -", KF_VERDICT_OK, 4, 4);
  pair_clear (&p);
}

/* A client that sends requests but never reads the replies must not make
 * the server queue without bound: it is dropped, others carry on. */
static void
test_slow_reader_dropped (Fixture       *f,
                          gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(KfTestKmClient) greedy = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_test_km_client_free);
  g_autoptr(GString) requests = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  GString *long_name = g_string_new (NULL);
  guint replies = 0;
  char *line;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.write_queue_max = 64 * 1024;
  fixture_start (f, &config, NULL);

  /* 20 waiting clients with long names make every `send` reply ~15 KB. */
  for (guint i = 0; i < 64; i++)
    g_string_append (long_name, "ж");
  name = g_string_free (long_name, FALSE);
  for (guint i = 0; i < 20; i++)
    {
      KfTestKmClient *w = join (f, name);

      kf_test_km_client_command (w, "wait", KF_MSG_WAIT);
      g_ptr_array_add (waiting, w);
    }

  greedy = join (f, "greedy");
  for (guint i = 0; i < 2000; i++)
    g_string_append (requests, "send\n");
  kf_test_km_client_send_raw (greedy, requests->str, requests->len, &error);
  g_assert_no_error (error);
  g_usleep (500 * 1000);

  while ((line = kf_test_km_client_read_line (greedy, KF_TEST_TIMEOUT_MS, &error)) != NULL)
    {
      replies += g_str_has_prefix (line, "ok send ");
      g_free (line);
    }
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_test_message ("the greedy client got %u of 2000 replies before it was dropped", replies);
  g_assert_cmpuint (replies, <, 2000);

  normal_pairing (f);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/lines/state-command-table", Fixture, NULL, setup, test_state_table,
              teardown);
  g_test_add ("/server/admission/passphrase", Fixture, NULL, NULL, test_passphrase, teardown);
  g_test_add ("/server/tls/wrong-pin-fails", Fixture, NULL, setup, test_wrong_pin, teardown);
  g_test_add ("/server/tls/plaintext-client-gets-nothing", Fixture, NULL, setup,
              test_plaintext_client, teardown);
  g_test_add ("/server/limits/greeting-deadline", Fixture, NULL, NULL, test_greeting_deadline,
              teardown);
  g_test_add ("/server/limits/connections", Fixture, NULL, NULL, test_connection_limits,
              teardown);
  g_test_add ("/server/limits/clients-per-address", Fixture, NULL, NULL,
              test_clients_per_address, teardown);
  g_test_add ("/server/watch/live-waiting-list", Fixture, NULL, setup, test_watch, teardown);
  g_test_add ("/server/shutdown/tells-clients", Fixture, NULL, setup,
              test_shutdown_tells_clients, teardown);
  g_test_add ("/server/limits/idle-timeout", Fixture, NULL, NULL, test_idle_timeout, teardown);
  g_test_add ("/server/limits/slow-reader-dropped", Fixture, NULL, NULL,
              test_slow_reader_dropped, teardown);

  return g_test_run ();
}
