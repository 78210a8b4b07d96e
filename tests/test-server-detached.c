/* test-server-detached.c: the key manager's state machine without
 * sockets: detached clients, a clock of the test's, the consistency check
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-km-hello.h"
#include "kf-server-private.h"
#include "kf-test-km-client.h"
#include "kf-test-server-check.h"
#include "kf-test-util.h"

typedef struct
{
  char      *state_dir;
  KfServer  *server;
  gint64     now;
} Fixture;

typedef struct
{
  KfServerClient    *client;
  GPtrArray         *lines;   /* what it was sent, LF stripped */
  KfProtocolMessage *key;     /* the last ev key */
  guint8             challenge[KF_PROTOCOL_CHALLENGE_SIZE];  /* of its greeting */
  KfIdentity        *identity;  /* a fresh one per peer */
} Peer;

static gint64
test_clock (gpointer user_data)
{
  return ((Fixture *) user_data)->now;
}

static void
fixture_start (Fixture    *f,
               const char *passphrase)
{
  g_auto(KfServerConfig) config = { 0 };
  g_autoptr(GError) error = NULL;

  f->state_dir = g_dir_make_tmp ("kf-test-detached-XXXXXX", &error);
  g_assert_no_error (error);
  kf_server_config_init (&config);
  g_free (config.state_dir);
  config.state_dir = g_strdup (f->state_dir);
  config.audit_log = g_build_filename (f->state_dir, "audit.log", NULL);
  config.idle_timeout_ms = 60000;
  config.kdf_iterations = 1;
  config.kdf_memory_kib = 1024;
  config.kdf_parallelism = 1;
  config.auth_penalty_ms = 0;
  config.auth_penalty_max_ms = 0;
  f->server = kf_server_new (&config, passphrase, &error);
  g_assert_no_error (error);
  f->now = G_TIME_SPAN_SECOND;
  kf_server_timers_set_clock (_kf_server_get_timers (f->server), test_clock, f);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  fixture_start (f, data);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->state_dir, 0, NULL);
  const char *name;

  g_assert_cmpuint (kf_server_get_n_clients (f->server), ==, 0);
  g_assert_cmpuint (kf_server_timers_get_size (_kf_server_get_timers (f->server)), ==, 0);
  kf_test_drain_and_finalize (g_steal_pointer (&f->server));
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->state_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->state_dir);
  g_free (f->state_dir);
}

static void
sink (KfServerClient *client,
      const char     *line,
      gsize           len,
      gpointer        user_data)
{
  Peer *peer = user_data;
  g_autofree char *text = NULL;
  KfProtocolMessage *msg;

  g_assert_cmpuint (len, >, 0);
  g_assert_cmpint (line[len - 1], ==, '\n');
  text = g_strndup (line, len - 1);
  msg = kf_protocol_parse_server_line (text, NULL);
  g_assert_nonnull (msg);
  if (msg->type == KF_MSG_GREETING)
    memcpy (peer->challenge, msg->challenge, sizeof peer->challenge);
  if (msg->type == KF_MSG_EV_KEY)
    {
      g_clear_pointer (&peer->key, kf_protocol_message_free);
      peer->key = msg;
    }
  else
    kf_protocol_message_free (msg);
  g_ptr_array_add (peer->lines, g_steal_pointer (&text));
}

static void
peer_connect (Fixture *f,
              Peer    *peer)
{
  guint8 seed[KF_IDENTITY_SEED_SIZE];

  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = (guint8) g_random_int_range (0, 256);
  peer->identity = kf_identity_new_from_seed (seed);
  peer->lines = g_ptr_array_new_with_free_func (g_free);
  peer->client = kf_server_client_new_detached ("192.0.2.7", _kf_server_get_config (f->server),
                                                _kf_server_get_timers (f->server), sink, peer);
  g_assert_true (_kf_server_add_client (f->server, peer->client));
}

static void
peer_clear (Peer *peer)
{
  if (peer->client != NULL)
    kf_server_client_close (peer->client, FALSE);
  g_clear_pointer (&peer->key, kf_protocol_message_free);
  g_clear_pointer (&peer->lines, g_ptr_array_unref);
  g_clear_object (&peer->identity);
  if (peer->client != NULL)
    g_assert_finalize_object (g_steal_pointer (&peer->client));
}

static void
say (Peer       *peer,
     const char *line)
{
  kf_server_client_receive_line (peer->client, line, strlen (line));
}

static void G_GNUC_PRINTF (2, 3)
sayf (Peer       *peer,
      const char *format,
      ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  say (peer, line);
}

/* Asserts the lines @peer got since the last call, in order: one
 * prefix each, %NULL-terminated (just %NULL: none). */
static void
expect (Peer       *peer,
        const char *first,
        ...)
{
  va_list args;
  guint i = 0;

  va_start (args, first);
  for (const char *prefix = first; prefix != NULL; prefix = va_arg (args, const char *), i++)
    {
      g_assert_cmpuint (i, <, peer->lines->len);
      if (!g_str_has_prefix (g_ptr_array_index (peer->lines, i), prefix))
        g_error ("expected “%s…”, got “%s”", prefix,
                 (const char *) g_ptr_array_index (peer->lines, i));
    }
  va_end (args);
  g_assert_cmpuint (i, ==, peer->lines->len);
  g_ptr_array_set_size (peer->lines, 0);
}

static void
check (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_test_server_check (f->server, &error));
  g_assert_no_error (error);
}

static void
confirm (Peer *peer)
{
  g_autofree char *hex = NULL;

  g_assert_nonnull (peer->key);
  hex = kf_test_km_confirmation (peer->key);
  sayf (peer, "confirm %s", hex);
}

/* Sends `hello 2 NAME KEY SIGNATURE`, signed as a client of a detached
 * connection signs (its exporter is 32 zero bytes). */
static void
hello (Peer       *peer,
       const char *name)
{
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE] = { 0 };
  guint8 signature[KF_IDENTITY_SIGNATURE_SIZE];
  g_autofree char *key = kf_hex_encode (kf_identity_get_public_key (peer->identity),
                                        KF_IDENTITY_PUBLIC_KEY_SIZE);
  g_autofree char *signature_hex = NULL;
  g_autofree char *escaped = kf_protocol_escape (name);

  kf_km_hello_sign (peer->identity, peer->challenge, exporter, name, signature);
  signature_hex = kf_hex_encode (signature, sizeof signature);
  sayf (peer, "hello 2 %s %s %s", escaped, key, signature_hex);
}

static void
greet (Fixture    *f,
       Peer       *peer,
       const char *name)
{
  peer_connect (f, peer);
  hello (peer, name);
  expect (peer, "keyferry 2 none ", "welcome ", NULL);
}

/* A whole session with no socket: every line is the server's own, the
 * registry and the sessions agree at each step, and nothing is left. */
static void
test_pairing (Fixture       *f,
              gconstpointer  data)
{
  Peer alice = { 0 }, bob = { 0 };

  greet (f, &alice, "alice");
  greet (f, &bob, "bob");
  say (&bob, "wait");
  expect (&bob, "ok wait", NULL);
  check (f);
  sayf (&alice, "conn %" G_GUINT64_FORMAT " cfb", kf_server_client_get_id (bob.client));
  expect (&alice, "ok conn ", "ev key ", NULL);
  expect (&bob, "ev key ", NULL);
  check (f);
  confirm (&alice);
  confirm (&bob);
  expect (&alice, "ok confirm", NULL);
  expect (&bob, "ok confirm", "ev listen ", NULL);
  say (&bob, "port 4000");
  expect (&bob, "ok port", NULL);
  expect (&alice, "ev connect ", NULL);
  say (&alice, "report 9 -");
  say (&bob, "report 9 -");
  expect (&alice, "ok report", "ev result ", NULL);
  expect (&bob, "ok report", "ev result ", NULL);
  check (f);
  g_assert_cmpuint (kf_server_get_n_clients (f->server), ==, 2);
  g_assert_cmpuint (_kf_server_get_totals (f->server)->sessions_started, ==, 1);
  g_assert_cmpuint (_kf_server_get_totals (f->server)->sessions_confirmed, ==, 1);
  g_assert_cmpuint (_kf_server_get_totals (f->server)->blocks_confirmed, ==, 9);

  /* Counts that differ: a failed session, counted as one. */
  say (&bob, "wait");
  sayf (&alice, "conn %" G_GUINT64_FORMAT " cbc", kf_server_client_get_id (bob.client));
  expect (&alice, "ok conn ", "ev key ", NULL);
  expect (&bob, "ok wait", "ev key ", NULL);
  confirm (&alice);
  confirm (&bob);
  say (&bob, "port 4000");
  expect (&alice, "ok confirm", "ev connect ", NULL);
  expect (&bob, "ok confirm", "ev listen ", "ok port", NULL);
  say (&alice, "report 9 -");
  say (&bob, "report 8 -");
  expect (&alice, "ok report", "ev result ", NULL);
  expect (&bob, "ok report", "ev result ", NULL);
  g_assert_cmpuint (_kf_server_get_totals (f->server)->sessions_failed, ==, 1);
  g_assert_cmpuint (_kf_server_get_totals (f->server)->blocks_confirmed, ==, 9);
  check (f);

  /* A bad line is refused as a connection's reader refuses it. */
  kf_server_client_receive_line (alice.client, "pi\0ng", 5);
  expect (&alice, "err bad-line", NULL);
  g_assert_cmpint (kf_server_client_get_phase (alice.client), ==, KF_CLIENT_CLOSED);
  check (f);
  peer_clear (&alice);
  peer_clear (&bob);
}

/* Timeouts fire when the clock says, to the microsecond: the greeting
 * deadline, the key confirmation, the idle timeout (pushed on by a line). */
static void
test_timeouts_on_the_clock (Fixture       *f,
                            gconstpointer  data)
{
  KfServerTimers *timers = _kf_server_get_timers (f->server);
  const KfServerConfig *config = _kf_server_get_config (f->server);
  Peer slow = { 0 }, alice = { 0 }, bob = { 0 };

  peer_connect (f, &slow);
  expect (&slow, "keyferry 2 none ", NULL);
  f->now += config->handshake_timeout_ms * G_TIME_SPAN_MILLISECOND - 1;
  kf_server_timers_run_due (timers);
  expect (&slow, NULL);
  f->now += 1;
  kf_server_timers_run_due (timers);
  expect (&slow, "err timeout ", NULL);
  peer_clear (&slow);

  greet (f, &alice, "alice");
  greet (f, &bob, "bob");
  say (&bob, "wait");
  sayf (&alice, "conn %" G_GUINT64_FORMAT " cbc", kf_server_client_get_id (bob.client));
  expect (&alice, "ok conn ", "ev key ", NULL);
  expect (&bob, "ok wait", "ev key ", NULL);
  f->now += config->confirm_timeout_ms * G_TIME_SPAN_MILLISECOND - 1;
  kf_server_timers_run_due (timers);
  expect (&alice, NULL);
  f->now += 1;
  kf_server_timers_run_due (timers);
  expect (&alice, "ev cancelled ", NULL);
  expect (&bob, "ev cancelled ", NULL);
  check (f);

  /* Idle again: bob's line at 59 s pushes his idle timeout on. */
  f->now += 59 * G_TIME_SPAN_SECOND;
  say (&bob, "ping");
  expect (&bob, "ok ping", NULL);
  f->now += G_TIME_SPAN_SECOND;
  kf_server_timers_run_due (timers);
  expect (&alice, "err timeout ", NULL);
  expect (&bob, NULL);
  f->now += 59 * G_TIME_SPAN_SECOND;
  kf_server_timers_run_due (timers);
  expect (&bob, "err timeout ", NULL);
  check (f);
  peer_clear (&alice);
  peer_clear (&bob);
}

/* Pairs @sender with the waiting @receiver; returns the session id. */
static char *
pair (Peer *sender,
      Peer *receiver)
{
  KfServerSession *session;

  say (receiver, "wait");
  sayf (sender, "conn %" G_GUINT64_FORMAT " cbc", kf_server_client_get_id (receiver->client));
  expect (sender, "ok conn ", "ev key ", NULL);
  expect (receiver, "ok wait", "ev key ", NULL);
  session = kf_server_client_get_session (sender->client);
  g_assert_nonnull (session);
  return g_strdup (kf_server_session_get_id (session));
}

/* A session ends itself: when a peer's connection closes, the other is
 * told, both sides are idle and the outcome is audited; when the server
 * shuts down, everyone hears `ev shutdown` and no `ev cancelled`. */
static void
test_sessions_end_themselves (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *audit_path = g_build_filename (f->state_dir, "audit.log", NULL);
  g_autofree char *audit = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *cancelled = NULL;
  Peer alice = { 0 }, bob = { 0 }, carol = { 0 };

  greet (f, &alice, "alice");
  greet (f, &bob, "bob");
  greet (f, &carol, "carol");
  first = pair (&alice, &bob);
  kf_server_client_close (alice.client, FALSE);
  cancelled = g_strdup_printf ("ev cancelled %s peer-left ", first);
  expect (&bob, cancelled, NULL);
  expect (&alice, NULL);
  g_assert_null (kf_server_client_get_session (bob.client));
  g_assert_cmpint (kf_server_client_get_phase (bob.client), ==, KF_CLIENT_IDLE);
  check (f);

  second = pair (&carol, &bob);
  kf_server_shutdown_async (f->server, "maintenance", NULL, NULL, NULL);
  expect (&bob, "ev shutdown maintenance", NULL);
  expect (&carol, "ev shutdown maintenance", NULL);
  g_assert_cmpint (kf_server_client_get_phase (bob.client), ==, KF_CLIENT_CLOSED);

  g_assert_true (g_file_get_contents (audit_path, &audit, NULL, NULL));
  g_test_message ("%s", audit);
  g_assert_nonnull (strstr (audit, first));
  g_assert_nonnull (strstr (audit, second));
  g_assert_nonnull (strstr (strstr (audit, second), "cancelled"));
  g_assert_cmpuint (_kf_server_get_totals (f->server)->sessions_started, ==, 2);
  g_assert_cmpuint (_kf_server_get_totals (f->server)->sessions_cancelled, ==, 2);
  peer_clear (&alice);
  peer_clear (&bob);
  peer_clear (&carol);
}

static void
reloaded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_server_reload_finish (KF_SERVER (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* A reload's new limits count the clients already greeted: with two
 * greeted from one address and the limit lowered to two, a third is
 * refused; one leaving makes room again. */
static void
test_reload_keeps_the_counts (Fixture       *f,
                              gconstpointer  data)
{
  g_auto(KfServerConfig) config = { 0 };
  gint64 give_up = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  guint guard = g_timeout_add_seconds (1, kf_test_wake_up, NULL);
  gboolean done = FALSE;
  Peer alice = { 0 }, bob = { 0 }, carol = { 0 }, dave = { 0 };

  greet (f, &alice, "alice");
  greet (f, &bob, "bob");
  kf_server_config_init (&config);
  g_free (config.state_dir);
  config.state_dir = g_strdup (f->state_dir);
  config.idle_timeout_ms = 60000;
  config.max_clients_per_address = 2;
  kf_server_reload_async (f->server, &config, NULL, NULL, reloaded, &done);
  while (!done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (guard);

  peer_connect (f, &carol);
  hello (&carol, "carol");
  expect (&carol, "keyferry 2 none ", "err full ", NULL);
  check (f);
  peer_clear (&bob);
  greet (f, &dave, "dave");
  check (f);
  peer_clear (&alice);
  peer_clear (&carol);
  peer_clear (&dave);
}

/* Lines that arrive while the passphrase is checked wait, in order. */
static void
test_lines_wait_for_the_passphrase (Fixture       *f,
                                    gconstpointer  data)
{
  Peer eager = { 0 };
  guint guard = g_timeout_add_seconds (1, kf_test_wake_up, NULL);
  gint64 give_up = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  peer_connect (f, &eager);
  expect (&eager, "keyferry 2 passphrase ", NULL);
  say (&eager, "auth sesame");
  hello (&eager, "eager");
  say (&eager, "ping");
  g_assert_true (kf_server_client_get_reading_held (eager.client));
  expect (&eager, NULL);
  check (f);
  while (kf_server_client_get_reading_held (eager.client))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (guard);
  expect (&eager, "ok auth", "welcome ", "ok ping", NULL);
  check (f);
  peer_clear (&eager);
}

/* The consistency check is not a rubber stamp: a client that claims to
 * wait without being on the waiting list is caught. */
static void
test_consistency_catches_a_stray_client (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Peer carol = { 0 };

  greet (f, &carol, "carol");
  check (f);
  kf_server_client_set_phase (carol.client, KF_CLIENT_WAITING);
  g_assert_false (kf_test_server_check (f->server, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_test_message ("%s", error->message);
  kf_server_client_set_phase (carol.client, KF_CLIENT_IDLE);
  check (f);
  peer_clear (&carol);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/detached/pairing", Fixture, NULL, setup, test_pairing, teardown);
  g_test_add ("/server/detached/timeouts-on-the-clock", Fixture, NULL, setup,
              test_timeouts_on_the_clock, teardown);
  g_test_add ("/server/detached/sessions-end-themselves", Fixture, NULL, setup,
              test_sessions_end_themselves, teardown);
  g_test_add ("/server/detached/reload-keeps-the-counts", Fixture, NULL, setup,
              test_reload_keeps_the_counts, teardown);
  g_test_add ("/server/detached/lines-wait-for-the-passphrase", Fixture, "sesame", setup,
              test_lines_wait_for_the_passphrase, teardown);
  g_test_add ("/server/detached/consistency-catches-a-stray-client", Fixture, NULL, setup,
              test_consistency_catches_a_stray_client, teardown);

  return g_test_run ();
}
