/* test-client.c: KfClient against the real key manager, in one process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test starts a KfServer on 127.0.0.1, port 0, with its own state
 * directory, and drives two (sometimes three) KfClients in one GMainLoop.
 * Every wait is bounded: a test that does not get what it waits for within
 * WAIT_SECONDS fails, naming what it waited for.
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "kf-client.h"
#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-server.h"
#include "kf-transfer-error.h"
#include "kf-test-util.h"

#define WAIT_SECONDS 30

typedef struct
{
  char           *dir;
  KfServer       *server;
  guint16         port;
  KfKnownServers *known;
  KfClient       *a;
  KfClient       *b;
} Fixture;

typedef struct
{
  KfOffer   *offer;
  KfOutcome *outcome;
  guint      sessions;
  guint      disconnects;
  guint64    progress_done;
  gboolean   accept;
  gboolean   decline;
  gboolean   cancel_self;
  KfClient  *cancel_other;
  GFile     *destination;
  KfClient  *cancel_on_progress;
  guint8     offer_identity[KF_IDENTITY_PUBLIC_KEY_SIZE];  /* the sender's, at the offer */
  GBytes    *peer_key;        /* the peer's identity as ev key named it */
} Events;

static gboolean
state_is (KfClient      *client,
          KfClientState  state)
{
  return kf_client_get_state (client) == state;
}

static void
await_state (KfClient      *client,
             KfClientState  state,
             const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, kf_test_wake_up, NULL);

  while (!state_is (client, state))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s (state %d)", what, kf_client_get_state (client));
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

/* Lets pending events run for a moment without waiting for anything. */
static void
settle (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;
  guint tick = g_timeout_add (10, kf_test_wake_up, NULL);

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

static void end_client (KfClient *client);

static KfServer *
start_server_with_passphrase (const char *state_dir,
                              guint16     port,
                              const char *passphrase)
{
  KfServerConfig config;
  g_autoptr(GError) error = NULL;
  KfServer *server;

  kf_server_config_init (&config);
  g_free (config.state_dir);
  config.state_dir = g_strdup (state_dir);
  config.kdf_memory_kib = 1024;
  config.kdf_iterations = 1;
  config.kdf_parallelism = 1;
  config.auth_penalty_ms = 10;
  server = kf_server_new (&config, passphrase, &error);
  g_assert_no_error (error);
  g_assert_true (kf_server_listen (server, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  kf_server_config_clear (&config);

  return server;
}

static KfServer *
start_server (const char *state_dir,
              guint16     port)
{
  return start_server_with_passphrase (state_dir, port, NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *known = NULL;

  f->dir = g_dir_make_tmp ("kf-client-XXXXXX", &error);
  g_assert_no_error (error);
  state = g_build_filename (f->dir, "server", NULL);
  known = g_build_filename (f->dir, "known-servers", NULL);
  f->server = start_server (state, 0);
  f->port = kf_server_get_port (f->server);
  g_assert_cmpuint (f->port, !=, 0);
  f->known = kf_known_servers_new (known);
}

static void
stop_server (KfServer *server)
{
  g_autoptr(GAsyncResult) result = NULL;

  kf_server_shutdown_async (server, "test over", NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "the server to shut down");
  g_assert_true (kf_server_shutdown_finish (server, result, NULL));
  g_socket_service_stop (G_SOCKET_SERVICE (server));
  g_socket_listener_close (G_SOCKET_LISTENER (server));
  g_object_unref (server);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Completions already under way are delivered from idle callbacks. */
  settle (50);
  if (f->a != NULL)
    g_assert_finalize_object (f->a);
  if (f->b != NULL)
    g_assert_finalize_object (f->b);
  if (f->server != NULL)
    stop_server (f->server);
  settle (50);
  g_clear_object (&f->known);
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* Connects @client, returning the error (NULL on success). */
static GError *
try_connect (KfClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;

  kf_client_connect_async (client, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "connect");
  kf_client_connect_finish (client, result, &error);

  return error;
}

static KfClient *
connected_client (Fixture    *f,
                  const char *name)
{
  KfClient *client = kf_client_new ("127.0.0.1", f->port, name, f->known);
  g_autoptr(GError) error = NULL;

  kf_client_set_expected_fingerprint (client, kf_server_get_fingerprint (f->server));
  error = try_connect (client);
  g_assert_no_error (error);
  g_assert_cmpint (kf_client_get_state (client), ==, KF_CLIENT_STATE_IDLE);

  return client;
}

/* A client with the identity made from @seed_byte (every byte of the
 * seed), and contacts of its own in the fixture's folder. */
static KfClient *
connected_person (Fixture    *f,
                  const char *name,
                  guint8      seed_byte)
{
  KfClient *client = kf_client_new ("127.0.0.1", f->port, name, f->known);
  g_autofree char *path = g_strdup_printf ("%s/contacts-%s", f->dir, name);
  g_autoptr(KfContacts) contacts = kf_contacts_new (path);
  g_autoptr(KfIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  guint8 seed[KF_IDENTITY_SEED_SIZE];

  memset (seed, seed_byte, sizeof seed);
  identity = kf_identity_new_from_seed (seed);
  kf_client_set_identity (client, identity);
  g_assert_true (kf_contacts_load (contacts, &error));
  kf_client_set_contacts (client, contacts);
  kf_client_set_expected_fingerprint (client, kf_server_get_fingerprint (f->server));
  error = try_connect (client);
  g_assert_no_error (error);
  return client;
}

static void
test_expected_fingerprint (Fixture       *f,
                           gconstpointer  data)
{
  const char *fingerprint = kf_server_get_fingerprint (f->server);
  g_autoptr(KfKnownServers) reread = kf_known_servers_new (kf_known_servers_get_path (f->known));

  f->a = connected_client (f, "Ana");
  g_assert_cmpuint (kf_client_get_client_id (f->a), >, 0);
  g_assert_cmpstr (kf_client_get_fingerprint (f->a), ==, fingerprint);
  g_assert_cmpint (kf_client_get_role (f->a), ==, KF_CLIENT_ROLE_NONE);

  /* A confirmed --fingerprint is remembered, as ssh does on consent. */
  g_assert_true (kf_known_servers_load (reread, NULL));
  g_assert_cmpstr (kf_known_servers_lookup (reread, "127.0.0.1", f->port), ==, fingerprint);
}

static void
test_first_contact (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->a = kf_client_new ("127.0.0.1", f->port, "Ana", f->known);
  error = try_connect (f->a);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_UNKNOWN_SERVER);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_DISCONNECTED);
  g_assert_cmpstr (kf_client_get_fingerprint (f->a), ==, kf_server_get_fingerprint (f->server));
  g_assert_null (kf_known_servers_lookup (f->known, "127.0.0.1", f->port));
  g_assert_cmpuint (kf_server_get_n_clients (f->server), <=, 1);
  g_clear_error (&error);

  /* The user agrees: the same client connects, and a fresh one too. */
  g_assert_true (kf_client_trust_fingerprint (f->a, kf_client_get_fingerprint (f->a), &error));
  g_assert_no_error (error);
  error = try_connect (f->a);
  g_assert_no_error (error);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_IDLE);

  f->b = kf_client_new ("127.0.0.1", f->port, "Bob", f->known);
  error = try_connect (f->b);
  g_assert_no_error (error);
  g_assert_cmpuint (kf_client_get_client_id (f->b), !=, kf_client_get_client_id (f->a));
}

static void
test_changed_certificate (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *other_state = g_build_filename (f->dir, "other-server", NULL);
  KfServer *other = start_server (other_state, 0);
  guint16 other_port = kf_server_get_port (other);
  g_autofree char *pinned = kf_fingerprint_format_pretty (kf_server_get_fingerprint (f->server));
  g_autofree char *seen = kf_fingerprint_format_pretty (kf_server_get_fingerprint (other));
  g_autoptr(GError) error = NULL;

  /* The record for other's host:port holds the first server's pin. */
  g_assert_cmpstr (kf_server_get_fingerprint (f->server), !=, kf_server_get_fingerprint (other));
  g_assert_true (kf_known_servers_add (f->known, "127.0.0.1", other_port,
                                       kf_server_get_fingerprint (f->server), &error));
  f->a = kf_client_new ("127.0.0.1", other_port, "Ana", f->known);
  error = try_connect (f->a);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED);
  g_assert_nonnull (strstr (error->message, pinned));
  g_assert_nonnull (strstr (error->message, seen));
  g_assert_nonnull (strstr (error->message, kf_known_servers_get_path (f->known)));
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_DISCONNECTED);
  g_clear_error (&error);

  /* A mismatching --fingerprint is the same hard failure. */
  f->b = kf_client_new ("127.0.0.1", f->port, "Bob", f->known);
  kf_client_set_expected_fingerprint (f->b, kf_server_get_fingerprint (other));
  error = try_connect (f->b);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED);
  g_assert_cmpstr (kf_known_servers_lookup (f->known, "127.0.0.1", other_port), ==,
                   kf_server_get_fingerprint (f->server));
  g_clear_error (&error);
  settle (50);
  g_assert_finalize_object (g_steal_pointer (&f->b));

  /* With pin A stored, --fingerprint B is a hard failure even when the
   * server presents B: a pin is never replaced silently.  The message
   * says how to remove the old pin, and after that B is pinned. */
  f->b = kf_client_new ("127.0.0.1", other_port, "Bob", f->known);
  kf_client_set_expected_fingerprint (f->b, kf_server_get_fingerprint (other));
  error = try_connect (f->b);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED);
  g_assert_nonnull (strstr (error->message, pinned));
  g_assert_nonnull (strstr (error->message, "--forget-server"));
  g_assert_cmpint (kf_client_get_state (f->b), ==, KF_CLIENT_STATE_DISCONNECTED);
  g_assert_cmpstr (kf_known_servers_lookup (f->known, "127.0.0.1", other_port), ==,
                   kf_server_get_fingerprint (f->server));
  g_clear_error (&error);

  g_assert_true (kf_known_servers_remove (f->known, "127.0.0.1", other_port, NULL));
  error = try_connect (f->b);
  g_assert_no_error (error);
  g_assert_cmpstr (kf_known_servers_lookup (f->known, "127.0.0.1", other_port), ==,
                   kf_server_get_fingerprint (other));
  settle (50);
  g_assert_finalize_object (g_steal_pointer (&f->b));

  stop_server (other);
}

/* Admission: no passphrase, a wrong one, then the right one. */
static void
test_passphrase (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *state = g_build_filename (f->dir, "guarded", NULL);
  KfServer *guarded = start_server_with_passphrase (state, 0, "correct horse");
  guint16 port = kf_server_get_port (guarded);
  g_autoptr(GError) error = NULL;

  f->a = kf_client_new ("127.0.0.1", port, "Ana", f->known);
  kf_client_set_expected_fingerprint (f->a, kf_server_get_fingerprint (guarded));
  error = try_connect (f->a);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_DISCONNECTED);
  g_clear_error (&error);

  kf_client_set_passphrase (f->a, "wrong horse");
  error = try_connect (f->a);
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_FAILED);
  g_clear_error (&error);

  kf_client_set_passphrase (f->a, "correct horse");
  error = try_connect (f->a);
  g_assert_no_error (error);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_IDLE);
  end_client (f->a);
  stop_server (guarded);
}

static GPtrArray *
list_peers (KfClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *peers;

  kf_client_list_peers_async (client, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "the peer list");
  peers = kf_client_list_peers_finish (client, result, &error);
  g_assert_no_error (error);

  return peers;
}

typedef void     (*CommandAsync)  (KfClient            *client,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
typedef gboolean (*CommandFinish) (KfClient            *client,
                                   GAsyncResult        *result,
                                   GError             **error);

/* Runs one of @client's commands that take nothing and answer yes or no,
 * checks that it succeeds, and that it leaves @client in @state. */
static void
run_command (KfClient      *client,
             CommandAsync   start,
             CommandFinish  finish,
             const char    *what,
             KfClientState  state)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start (client, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, what);
  g_assert_true (finish (client, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kf_client_get_state (client), ==, state);
}

static void
wait_for_sender (KfClient *client)
{
  run_command (client, kf_client_wait_async, kf_client_wait_finish, "wait",
               KF_CLIENT_STATE_WAITING);
}

static void
stop_waiting (KfClient *client)
{
  run_command (client, kf_client_stop_waiting_async, kf_client_stop_waiting_finish,
               "stop waiting", KF_CLIENT_STATE_IDLE);
}

/* Waits until @lister's `send` lists @client (its `wait` reached the key
 * manager). */
static void
await_listed (KfClient *lister,
              KfClient *client)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GPtrArray) peers = list_peers (lister);

      for (guint i = 0; i < peers->len; i++)
        if (kf_peer_get_id (g_ptr_array_index (peers, i)) == kf_client_get_client_id (client))
          return;
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for client %u to be listed",
                 kf_client_get_client_id (client));
      settle (20);
    }
}

static gboolean
model_has (GListModel *model,
           guint       id)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(KfPeer) peer = g_list_model_get_item (model, i);

      if (kf_peer_get_id (peer) == id)
        return TRUE;
    }

  return FALSE;
}

static void
await_model (GListModel *model,
             guint       id,
             gboolean    present)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, kf_test_wake_up, NULL);

  while (model_has (model, id) != present)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for peer %u to %s", id, present ? "appear" : "go");
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

static void
test_wait_list_watch (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(KfClient) c = NULL;
  GListModel *model;

  f->a = connected_client (f, "Ana Maria");
  f->b = connected_client (f, "Bob");

  peers = list_peers (f->b);
  g_assert_cmpuint (peers->len, ==, 0);
  g_clear_pointer (&peers, g_ptr_array_unref);

  wait_for_sender (f->a);
  peers = list_peers (f->b);
  g_assert_cmpuint (peers->len, ==, 1);
  g_assert_cmpuint (kf_peer_get_id (peers->pdata[0]), ==, kf_client_get_client_id (f->a));
  g_assert_cmpstr (kf_peer_get_name (peers->pdata[0]), ==, "Ana Maria");
  /* With the identity Ana proved to the key manager, for contacts. */
  g_assert_cmpmem (kf_peer_get_public_key (peers->pdata[0]), 32,
                   kf_identity_get_public_key (kf_client_get_identity (f->a)), 32);

  /* Watching: the model follows clients as they start and stop waiting. */
  model = kf_client_get_peers (f->b);
  kf_client_set_watching (f->b, TRUE);
  g_assert_true (kf_client_get_watching (f->b));
  c = connected_client (f, "Cleo");
  wait_for_sender (c);
  await_model (model, kf_client_get_client_id (c), TRUE);
  g_assert_true (model_has (model, kf_client_get_client_id (f->a)));
  stop_waiting (c);
  await_model (model, kf_client_get_client_id (c), FALSE);
  stop_waiting (f->a);
  await_model (model, kf_client_get_client_id (f->a), FALSE);
  kf_client_set_watching (f->b, FALSE);

  settle (50);
  g_assert_finalize_object (g_steal_pointer (&c));
}

static void
on_offer (KfClient *client,
          KfOffer  *offer,
          Events   *events)
{
  g_autoptr(GError) error = NULL;

  g_set_object (&events->offer, offer);
  g_assert_true (kf_client_get_offer (client) == offer);
  g_assert_nonnull (kf_client_get_peer_identity (client));
  memcpy (events->offer_identity, kf_client_get_peer_identity (client),
          sizeof events->offer_identity);
  if (events->accept)
    {
      g_assert_true (kf_client_accept_offer (client, events->destination, FALSE, &error));
      g_assert_no_error (error);
    }
  if (events->decline)
    kf_client_decline_offer (client);
  if (events->cancel_self)
    kf_client_cancel (client);
  if (events->cancel_other != NULL)
    kf_client_cancel (events->cancel_other);
}

static void
on_finished (KfClient  *client,
             KfOutcome *outcome,
             Events    *events)
{
  g_assert_null (events->outcome);
  g_assert_true (kf_client_get_state (client) == KF_CLIENT_STATE_IDLE
                 || kf_client_get_state (client) == KF_CLIENT_STATE_RECONNECTING
                 || (kf_client_get_state (client) == KF_CLIENT_STATE_WAITING
                     && kf_outcome_get_waits_again (outcome)));
  g_assert_null (kf_client_get_offer (client));
  events->outcome = g_object_ref (outcome);
}

static void
on_session_started (KfClient     *client,
                    KfClientRole  role,
                    guint         peer_id,
                    const char   *peer_name,
                    KfCipherMode  mode,
                    Events       *events)
{
  g_assert_cmpint (role, ==, kf_client_get_role (client));
  g_assert_cmpuint (peer_id, ==, kf_client_get_peer_id (client));
  g_assert_cmpstr (peer_name, ==, kf_client_get_peer_name (client));
  g_assert_nonnull (kf_client_get_peer_public_key (client));
  g_clear_pointer (&events->peer_key, g_bytes_unref);
  events->peer_key = g_bytes_new (kf_client_get_peer_public_key (client), 32);
  g_assert_cmpint (mode, ==, kf_client_get_mode (client));
  events->sessions++;
}

static void
on_progress (KfClient *client,
             guint64   done,
             guint64   total,
             double    rate,
             Events   *events)
{
  g_assert_cmpuint (done, <=, total);
  events->progress_done = done;
  if (events->cancel_on_progress != NULL && done > 0 && done < total)
    kf_client_cancel (g_steal_pointer (&events->cancel_on_progress));
}

static void
events_connect (Events   *events,
                KfClient *client)
{
  g_signal_connect (client, "offer", G_CALLBACK (on_offer), events);
  g_signal_connect (client, "finished", G_CALLBACK (on_finished), events);
  g_signal_connect (client, "session-started", G_CALLBACK (on_session_started), events);
  g_signal_connect (client, "progress", G_CALLBACK (on_progress), events);
}

static void
events_clear (Events   *events,
              KfClient *client)
{
  g_signal_handlers_disconnect_by_data (client, events);
  g_clear_object (&events->offer);
  g_clear_object (&events->outcome);
  g_clear_pointer (&events->peer_key, g_bytes_unref);
  g_clear_object (&events->destination);
}

static GFile *
make_file (const char *dir,
           const char *name,
           gsize       size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *bytes = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    bytes[i] = (guint8) g_random_int ();
  g_file_set_contents (path, (const char *) bytes, size, &error);
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

static void
assert_same_contents (GFile *one,
                      GFile *two)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  gsize a_len = 0;
  gsize b_len = 0;

  g_assert_true (g_file_load_contents (one, NULL, &a, &a_len, NULL, NULL));
  g_assert_true (g_file_load_contents (two, NULL, &b, &b_len, NULL, NULL));
  g_assert_cmpmem (a, a_len, b, b_len);
}

static guint64
expected_blocks (KfCipherMode mode,
                 gsize        size)
{
  return mode == KF_CIPHER_MODE_CBC ? size / 16 + 1 : (size + 15) / 16;
}

/* Pairs @sender with @receiver (conn), up to READY_TO_SEND; the
 * receiver waits first unless it already does. */
static void
pair (KfClient     *sender,
      KfClient     *receiver,
      KfCipherMode  mode)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (kf_client_get_state (receiver) != KF_CLIENT_STATE_WAITING)
    wait_for_sender (receiver);
  kf_client_conn_async (sender, kf_client_get_client_id (receiver), mode, NULL,
                        kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "conn");
  g_assert_true (kf_client_conn_finish (sender, result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kf_client_get_state (sender), ==, KF_CLIENT_STATE_READY_TO_SEND);
  g_assert_cmpint (kf_client_get_role (sender), ==, KF_CLIENT_ROLE_SENDER);
  g_assert_cmpint (kf_client_get_role (receiver), ==, KF_CLIENT_ROLE_RECEIVER);
  g_assert_cmpuint (kf_client_get_peer_id (sender), ==, kf_client_get_client_id (receiver));
  g_assert_cmpstr (kf_client_get_peer_name (receiver), ==, kf_client_get_name (sender));
}

/* One whole transfer of @size random bytes, checked on both sides. */
static void
transfer_and_check (Fixture      *f,
                    KfClient     *sender,
                    KfClient     *receiver,
                    KfCipherMode  mode,
                    gsize         size)
{
  g_autofree char *name = g_strdup_printf ("file-%s-%" G_GSIZE_FORMAT ".bin",
                                           kf_cipher_mode_to_string (mode), size);
  g_autofree char *saved_name = g_strconcat ("received-", name, NULL);
  g_autoptr(GFile) file = make_file (f->dir, name, size);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;
  Events s = { 0 };
  Events r = { 0 };
  guint64 blocks = expected_blocks (mode, size);

  r.accept = TRUE;
  r.destination = g_file_new_build_filename (f->dir, saved_name, NULL);
  events_connect (&s, sender);
  events_connect (&r, receiver);

  pair (sender, receiver, mode);
  kf_client_send_file_async (sender, file, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "the sender's verdict");
  outcome = kf_client_send_file_finish (sender, result, &error);
  g_assert_no_error (error);
  kf_test_await_pointer ((gpointer *) &r.outcome, WAIT_SECONDS, "the receiver's verdict");

  g_assert_cmpstr (kf_offer_get_file_name (r.offer), ==, name);
  g_assert_cmpuint (kf_offer_get_plain_size (r.offer), ==, size);
  g_assert_cmpuint (kf_offer_get_encrypted_size (r.offer), ==, kf_cipher_encrypted_size (mode, size));
  g_assert_cmpint (kf_offer_get_mode (r.offer), ==, mode);
  g_assert_cmpuint (kf_offer_get_sender_id (r.offer), ==, kf_client_get_client_id (sender));

  g_assert_true (outcome == s.outcome);
  /* Each side was told the other's identity (ev key), for its contacts. */
  g_assert_cmpmem (g_bytes_get_data (s.peer_key, NULL), 32,
                   kf_identity_get_public_key (kf_client_get_identity (receiver)), 32);
  g_assert_cmpmem (g_bytes_get_data (r.peer_key, NULL), 32,
                   kf_identity_get_public_key (kf_client_get_identity (sender)), 32);
  for (guint i = 0; i < 2; i++)
    {
      KfOutcome *o = i == 0 ? s.outcome : r.outcome;

      g_assert_cmpint (kf_outcome_get_status (o), ==, KF_OUTCOME_CONFIRMED);
      g_assert_cmpuint (kf_outcome_get_sender_blocks (o), ==, blocks);
      g_assert_cmpuint (kf_outcome_get_receiver_blocks (o), ==, blocks);
      g_assert_cmpuint (kf_outcome_get_local_blocks (o), ==, blocks);
      g_assert_cmpuint (kf_outcome_get_bytes (o), ==, size);
      g_assert_cmpint (kf_outcome_get_mode (o), ==, mode);
      g_assert_nonnull (kf_outcome_get_message (o));
      g_assert_null (kf_outcome_get_error (o));
    }
  g_assert_true (kf_outcome_get_is_sender (s.outcome));
  g_assert_false (kf_outcome_get_is_sender (r.outcome));
  g_assert_true (g_file_equal (kf_outcome_get_file (r.outcome), r.destination));
  assert_same_contents (file, r.destination);
  if (size > 0)
    {
      g_assert_cmpuint (s.progress_done, ==, size);
      g_assert_cmpuint (r.progress_done, ==, size);
    }
  g_assert_cmpuint (s.sessions, ==, 1);
  g_assert_cmpuint (r.sessions, ==, 1);
  g_assert_cmpint (kf_client_get_state (sender), ==, KF_CLIENT_STATE_IDLE);
  g_assert_cmpint (kf_client_get_state (receiver), ==, KF_CLIENT_STATE_IDLE);
  g_assert_cmpint (kf_client_get_role (sender), ==, KF_CLIENT_ROLE_NONE);

  events_clear (&s, sender);
  events_clear (&r, receiver);
}

static void
end_client (KfClient *client)
{
  run_command (client, kf_client_end_async, kf_client_end_finish, "end",
               KF_CLIENT_STATE_DISCONNECTED);
}

static void
test_transfer (Fixture       *f,
               gconstpointer  data)
{
  KfCipherMode mode = GPOINTER_TO_INT (data);
  const gsize sizes[] = { 0, 1, 15, 16, 17, 4096, 1024 * 1024 + 1 };

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    transfer_and_check (f, f->a, f->b, mode, sizes[i]);

  /* The same sessions, the other direction, then goodbye. */
  transfer_and_check (f, f->b, f->a, mode, 100);
  end_client (f->a);
  end_client (f->b);
}

/* Runs a session that ends early; returns both outcomes via @s and @r. */
static GError *
send_expecting_failure (Fixture *f,
                        Events  *s,
                        Events  *r)
{
  g_autoptr(GFile) file = make_file (f->dir, "early.bin", 1000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KfOutcome) outcome = NULL;
  GError *error = NULL;

  events_connect (s, f->a);
  events_connect (r, f->b);
  pair (f->a, f->b, KF_CIPHER_MODE_CFB);
  kf_client_send_file_async (f->a, file, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "the sender's end");
  outcome = kf_client_send_file_finish (f->a, result, &error);
  g_assert_null (outcome);
  g_assert_nonnull (error);
  kf_test_await_pointer ((gpointer *) &s->outcome, WAIT_SECONDS, "the sender's outcome");
  kf_test_await_pointer ((gpointer *) &r->outcome, WAIT_SECONDS, "the receiver's outcome");
  g_assert_nonnull (r->offer);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_IDLE);
  g_assert_cmpint (kf_client_get_state (f->b), ==, KF_CLIENT_STATE_IDLE);

  return error;
}

/* After an early end both sides can go again: a full transfer works. */
static void
assert_usable_again (Fixture *f)
{
  g_autofree char *early = g_build_filename (f->dir, "saved.bin", NULL);

  g_assert_false (g_file_test (early, G_FILE_TEST_EXISTS));
  transfer_and_check (f, f->a, f->b, KF_CIPHER_MODE_CBC, 33);
}

static void
test_decline (Fixture       *f,
              gconstpointer  data)
{
  Events s = { 0 };
  Events r = { 0 };
  g_autoptr(GError) error = NULL;

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  r.decline = TRUE;
  r.destination = g_file_new_build_filename (f->dir, "saved.bin", NULL);
  error = send_expecting_failure (f, &s, &r);

  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED);
  g_assert_error ((GError *) kf_outcome_get_error (s.outcome),
                  KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED);
  g_assert_cmpint (kf_outcome_get_status (s.outcome), ==, KF_OUTCOME_DECLINED);
  g_assert_false (kf_outcome_get_is_local (s.outcome));
  g_assert_cmpint (kf_outcome_get_status (r.outcome), ==, KF_OUTCOME_DECLINED);
  g_assert_true (kf_outcome_get_is_local (r.outcome));
  g_assert_null (kf_outcome_get_file (r.outcome));
  events_clear (&s, f->a);
  events_clear (&r, f->b);
  assert_usable_again (f);
}

static void
test_cancel_by_sender (Fixture       *f,
                       gconstpointer  data)
{
  Events s = { 0 };
  Events r = { 0 };
  g_autoptr(GError) error = NULL;

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  r.cancel_other = f->a;
  error = send_expecting_failure (f, &s, &r);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (kf_outcome_get_status (s.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_true (kf_outcome_get_is_local (s.outcome));
  g_assert_cmpint (kf_outcome_get_status (r.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (kf_outcome_get_is_local (r.outcome));
  events_clear (&s, f->a);
  events_clear (&r, f->b);
  assert_usable_again (f);
}

static void
test_cancel_by_receiver (Fixture       *f,
                         gconstpointer  data)
{
  Events s = { 0 };
  Events r = { 0 };
  g_autoptr(GError) error = NULL;

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  r.cancel_self = TRUE;
  error = send_expecting_failure (f, &s, &r);

  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED);
  g_assert_cmpint (kf_outcome_get_status (s.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (kf_outcome_get_is_local (s.outcome));
  g_assert_cmpint (kf_outcome_get_status (r.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_true (kf_outcome_get_is_local (r.outcome));
  events_clear (&s, f->a);
  events_clear (&r, f->b);
  assert_usable_again (f);
}

static void
test_conn_errors (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) nowhere = g_file_new_for_path ("/nonexistent/x");
  g_autoptr(GError) error = NULL;
  gboolean started = TRUE;

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");

  /* Bob is not waiting: no such peer, and both stay idle. */
  kf_client_conn_async (f->a, kf_client_get_client_id (f->b), KF_CIPHER_MODE_CBC, NULL,
                        kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "conn");
  g_assert_false (kf_client_conn_finish (f->a, result, &started, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_NO_SUCH_PEER);
  g_assert_false (started);
  g_assert_false (kf_client_is_in_session (f->a));
  g_assert_true (kf_client_is_connected (f->a));
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_IDLE);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Sending without a link, accepting without an offer: refused locally. */
  g_assert_false (kf_client_accept_offer (f->b, nowhere, FALSE, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE);
  g_clear_error (&error);
  wait_for_sender (f->b);
  kf_client_wait_async (f->b, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "a second wait");
  g_assert_false (kf_client_wait_finish (f->b, result, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE);
}

static GFile *
make_large_file (const char *dir,
                 gsize       size)
{
  g_autofree char *path = g_build_filename (dir, "large.bin", NULL);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autofree guint8 *block = g_malloc (1024 * 1024);
  GFile *file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < 1024 * 1024; i++)
    block[i] = (guint8) (i * 7 + i / 251);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  for (gsize done = 0; done < size; done += 1024 * 1024)
    g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (out), block,
                                              MIN (1024 * 1024, size - done),
                                              NULL, NULL, &error));
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));

  return file;
}

/* A cancel while the data flows, from either side: both end cancelled,
 * the side that did not cancel hears it, and nothing is saved. */
static void
test_cancel_mid_transfer (Fixture       *f,
                          gconstpointer  data)
{
  gboolean by_sender = GPOINTER_TO_INT (data);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfOutcome) outcome = NULL;
  Events s = { 0 };
  Events r = { 0 };
  KfOutcome *canceller;
  KfOutcome *other;

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  file = make_large_file (f->dir, 256 * 1024 * 1024);
  r.accept = TRUE;
  r.destination = g_file_new_build_filename (f->dir, "saved-large.bin", NULL);
  r.cancel_on_progress = by_sender ? f->a : f->b;
  events_connect (&s, f->a);
  events_connect (&r, f->b);

  pair (f->a, f->b, KF_CIPHER_MODE_CBC);
  kf_client_send_file_async (f->a, file, NULL, kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "the sender's end");
  outcome = kf_client_send_file_finish (f->a, result, &error);
  g_assert_null (outcome);
  kf_test_await_pointer ((gpointer *) &s.outcome, WAIT_SECONDS, "the sender's outcome");
  kf_test_await_pointer ((gpointer *) &r.outcome, WAIT_SECONDS, "the receiver's outcome");

  canceller = by_sender ? s.outcome : r.outcome;
  other = by_sender ? r.outcome : s.outcome;
  g_assert_cmpint (kf_outcome_get_status (canceller), ==, KF_OUTCOME_CANCELLED);
  g_assert_true (kf_outcome_get_is_local (canceller));
  g_assert_cmpint (kf_outcome_get_status (other), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (kf_outcome_get_is_local (other));
  if (by_sender)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  else
    g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED);
  g_assert_false (g_file_query_exists (r.destination, NULL));
  events_clear (&s, f->a);
  events_clear (&r, f->b);
  g_assert_true (g_file_delete (file, NULL, NULL));
  assert_usable_again (f);
}

static void
cancel_on_session_started (KfClient     *client,
                           KfClientRole  role,
                           guint         peer_id,
                           const char   *peer_name,
                           KfCipherMode  mode,
                           gpointer      user_data)
{
  kf_client_cancel (client);
}

/* Cancelling before the link is up, with kf_client_cancel() during key
 * confirmation or with conn's own cancellable: conn fails as cancelled,
 * both sides end cancelled, and both can go again. */
static void
test_cancel_before_link (Fixture       *f,
                         gconstpointer  data)
{
  gboolean use_cancellable = GPOINTER_TO_INT (data);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean started = FALSE;
  Events s = { 0 };
  Events r = { 0 };

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  events_connect (&s, f->a);
  events_connect (&r, f->b);
  if (!use_cancellable)
    g_signal_connect (f->a, "session-started", G_CALLBACK (cancel_on_session_started), NULL);

  wait_for_sender (f->b);
  kf_client_conn_async (f->a, kf_client_get_client_id (f->b), KF_CIPHER_MODE_CBC, cancellable,
                        kf_test_store_result, &result);
  if (use_cancellable)
    g_cancellable_cancel (cancellable);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "conn");
  g_assert_false (kf_client_conn_finish (f->a, result, &started, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (started);
  kf_test_await_pointer ((gpointer *) &s.outcome, WAIT_SECONDS, "the sender's outcome");
  kf_test_await_pointer ((gpointer *) &r.outcome, WAIT_SECONDS, "the receiver's outcome");
  g_assert_cmpint (kf_outcome_get_status (s.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_true (kf_outcome_get_is_local (s.outcome));
  g_assert_cmpint (kf_outcome_get_status (r.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (kf_outcome_get_is_local (r.outcome));
  g_assert_null (r.offer);

  /* No offer came: the receiver waits again (issue 14, point 6); the
   * sender, who chose to cancel, does not. */
  g_assert_true (kf_outcome_get_waits_again (r.outcome));
  g_assert_false (kf_outcome_get_waits_again (s.outcome));
  g_assert_cmpint (kf_client_get_state (f->b), ==, KF_CLIENT_STATE_WAITING);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_IDLE);
  await_listed (f->a, f->b);

  g_signal_handlers_disconnect_by_func (f->a, cancel_on_session_started, NULL);
  events_clear (&s, f->a);
  events_clear (&r, f->b);
  assert_usable_again (f);
}

/* A sender pairs and vanishes once the peer link is up, before its offer:
 * the receiver's wait goes on, and a real sender's file then arrives
 * without the receiver doing anything. */
static void
test_link_lost_before_offer (Fixture       *f,
                             gconstpointer  data)
{
  Events r = { 0 };

  f->a = connected_client (f, "Mallory");
  f->b = connected_client (f, "Bob");
  events_connect (&r, f->b);
  pair (f->a, f->b, KF_CIPHER_MODE_CBC);
  g_clear_object (&f->a);

  kf_test_await_pointer ((gpointer *) &r.outcome, WAIT_SECONDS, "the receiver's outcome");
  g_assert_null (r.offer);
  g_assert_cmpint (kf_outcome_get_status (r.outcome), ==, KF_OUTCOME_FAILED);
  g_assert_false (kf_outcome_get_is_local (r.outcome));
  g_assert_true (kf_outcome_get_waits_again (r.outcome));
  g_assert_cmpint (kf_client_get_state (f->b), ==, KF_CLIENT_STATE_WAITING);
  events_clear (&r, f->b);

  f->a = connected_client (f, "Ana");
  await_listed (f->a, f->b);
  transfer_and_check (f, f->a, f->b, KF_CIPHER_MODE_CBC, 4000);
}

/* After a transfer the key manager confirmed, each side remembers the
 * other's identity, as proved on the peer link, under its name; a
 * transfer that was not confirmed changes nothing. */
static void
test_contacts_remembered (Fixture       *f,
                          gconstpointer  data)
{
  KfContacts *ana_contacts, *bob_contacts;
  const KfContact *contact;
  Events s = { 0 };
  Events r = { 0 };
  g_autoptr(GError) error = NULL;

  f->a = connected_person (f, "Ana", 0x11);
  f->b = connected_person (f, "Bob", 0x22);
  ana_contacts = kf_client_get_contacts (f->a);
  bob_contacts = kf_client_get_contacts (f->b);
  transfer_and_check (f, f->a, f->b, KF_CIPHER_MODE_CBC, 100);

  contact = kf_contacts_lookup_key (bob_contacts,
                                    kf_identity_get_public_key (kf_client_get_identity (f->a)));
  g_assert_nonnull (contact);
  g_assert_cmpstr (kf_contact_get_latest_name (contact), ==, "Ana");
  g_assert_cmpuint (contact->exchanges, ==, 1);
  contact = kf_contacts_lookup_key (ana_contacts,
                                    kf_identity_get_public_key (kf_client_get_identity (f->b)));
  g_assert_nonnull (contact);
  g_assert_cmpstr (kf_contact_get_latest_name (contact), ==, "Bob");
  g_assert_cmpint (kf_contacts_check (ana_contacts, "Bob",
                                      kf_identity_get_public_key (kf_client_get_identity (f->b)),
                                      NULL), ==, KF_CONTACT_KNOWN);

  /* Declined: not a transfer, nothing counted; the offer came with the
   * sender's identity. */
  r.decline = TRUE;
  r.destination = g_file_new_build_filename (f->dir, "saved.bin", NULL);
  error = send_expecting_failure (f, &s, &r);
  g_assert_cmpmem (r.offer_identity, sizeof r.offer_identity,
                   kf_identity_get_public_key (kf_client_get_identity (f->a)),
                   KF_IDENTITY_PUBLIC_KEY_SIZE);
  g_assert_cmpmem (kf_offer_get_sender_key (r.offer), KF_IDENTITY_PUBLIC_KEY_SIZE,
                   kf_identity_get_public_key (kf_client_get_identity (f->a)),
                   KF_IDENTITY_PUBLIC_KEY_SIZE);
  g_assert_cmpstr (kf_offer_get_sender_code (r.offer), ==,
                   kf_identity_get_code (kf_client_get_identity (f->a)));
  events_clear (&s, f->a);
  events_clear (&r, f->b);
  g_assert_true (kf_contacts_load (bob_contacts, NULL));
  contact = kf_contacts_lookup_key (bob_contacts,
                                    kf_identity_get_public_key (kf_client_get_identity (f->a)));
  g_assert_cmpuint (contact->exchanges, ==, 1);
}

/* A receiver that stops waiting during key confirmation chose to: its
 * wait ends. */
static void
test_stop_waiting_while_confirming (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean started = FALSE;
  Events r = { 0 };

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  events_connect (&r, f->b);
  g_signal_connect (f->b, "session-started", G_CALLBACK (cancel_on_session_started), NULL);
  wait_for_sender (f->b);
  kf_client_conn_async (f->a, kf_client_get_client_id (f->b), KF_CIPHER_MODE_CBC, NULL,
                        kf_test_store_result, &result);
  kf_test_await_pointer ((gpointer *) &result, WAIT_SECONDS, "conn");
  g_assert_false (kf_client_conn_finish (f->a, result, &started, &error));
  g_assert_true (started);
  kf_test_await_pointer ((gpointer *) &r.outcome, WAIT_SECONDS, "the receiver's outcome");
  g_assert_true (kf_outcome_get_is_local (r.outcome));
  g_assert_false (kf_outcome_get_waits_again (r.outcome));
  g_assert_cmpint (kf_client_get_state (f->b), ==, KF_CLIENT_STATE_IDLE);
  g_signal_handlers_disconnect_by_func (f->b, cancel_on_session_started, NULL);
  events_clear (&r, f->b);
}

static void
on_disconnected (KfClient     *client,
                 const GError *error,
                 Events       *events)
{
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED);
  events->disconnects++;
}

/* The key manager restarts: idle clients reconnect, a waiting one waits again. */
static void
test_reconnect (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *state = g_build_filename (f->dir, "server", NULL);
  g_autoptr(GPtrArray) peers = NULL;
  Events ea = { 0 };
  guint old_id;

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  g_signal_connect (f->a, "disconnected", G_CALLBACK (on_disconnected), &ea);
  wait_for_sender (f->a);
  old_id = kf_client_get_client_id (f->a);

  stop_server (g_steal_pointer (&f->server));
  await_state (f->a, KF_CLIENT_STATE_RECONNECTING, "Ana to notice");
  g_assert_cmpuint (ea.disconnects, ==, 1);
  g_assert_nonnull (kf_client_get_last_error (f->a));

  f->server = start_server (state, f->port);
  await_state (f->a, KF_CLIENT_STATE_WAITING, "Ana to wait again");
  await_state (f->b, KF_CLIENT_STATE_IDLE, "Bob to come back");
  g_assert_cmpuint (kf_client_get_client_id (f->a), !=, 0);
  peers = list_peers (f->b);
  g_assert_cmpuint (peers->len, ==, 1);
  g_assert_cmpuint (kf_peer_get_id (peers->pdata[0]), ==, kf_client_get_client_id (f->a));
  g_test_message ("Ana was client %u, now %u", old_id, kf_client_get_client_id (f->a));
  g_signal_handlers_disconnect_by_data (f->a, &ea);
}

static void
on_disconnected_keep (KfClient     *client,
                      const GError *error,
                      GError      **last)
{
  g_clear_error (last);
  *last = g_error_copy (error);
}

/* The key manager comes back on the same port with another certificate:
 * the reconnecting client refuses it, stops trying and says why. */
static void
test_reconnect_refuses_changed_server (Fixture       *f,
                                       gconstpointer  data)
{
  g_autofree char *other_state = g_build_filename (f->dir, "reinstalled", NULL);
  g_autoptr(GError) last = NULL;
  g_autoptr(GError) error = NULL;

  f->a = kf_client_new ("127.0.0.1", f->port, "Ana", f->known);
  g_assert_true (kf_known_servers_add (f->known, "127.0.0.1", f->port,
                                       kf_server_get_fingerprint (f->server), &error));
  error = try_connect (f->a);
  g_assert_no_error (error);
  g_signal_connect (f->a, "disconnected", G_CALLBACK (on_disconnected_keep), &last);

  stop_server (g_steal_pointer (&f->server));
  await_state (f->a, KF_CLIENT_STATE_RECONNECTING, "Ana to notice");
  g_assert_error (last, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED);

  f->server = start_server (other_state, f->port);
  await_state (f->a, KF_CLIENT_STATE_DISCONNECTED, "Ana to refuse the new certificate");
  g_assert_error (last, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED);
  g_assert_cmpstr (kf_client_get_fingerprint (f->a), ==, kf_server_get_fingerprint (f->server));
  g_assert_cmpstr (kf_client_get_last_error (f->a), ==, last->message);
  settle (1500);
  g_assert_cmpint (kf_client_get_state (f->a), ==, KF_CLIENT_STATE_DISCONNECTED);
  g_signal_handlers_disconnect_by_data (f->a, &last);
}

/* The key manager goes away mid-session: both sides fail the session,
 * say so, and start reconnecting; `end` then stops that. */
static void
test_server_gone_mid_session (Fixture       *f,
                              gconstpointer  data)
{
  Events s = { 0 };
  Events r = { 0 };

  f->a = connected_client (f, "Ana");
  f->b = connected_client (f, "Bob");
  events_connect (&s, f->a);
  events_connect (&r, f->b);
  g_signal_connect (f->a, "disconnected", G_CALLBACK (on_disconnected), &s);
  g_signal_connect (f->b, "disconnected", G_CALLBACK (on_disconnected), &r);
  pair (f->a, f->b, KF_CIPHER_MODE_CFB);

  stop_server (g_steal_pointer (&f->server));
  kf_test_await_pointer ((gpointer *) &s.outcome, WAIT_SECONDS, "the sender's outcome");
  kf_test_await_pointer ((gpointer *) &r.outcome, WAIT_SECONDS, "the receiver's outcome");
  await_state (f->a, KF_CLIENT_STATE_RECONNECTING, "Ana to reconnect");
  await_state (f->b, KF_CLIENT_STATE_RECONNECTING, "Bob to reconnect");
  for (guint i = 0; i < 2; i++)
    {
      Events *e = i == 0 ? &s : &r;

      g_assert_cmpint (kf_outcome_get_status (e->outcome), ==, KF_OUTCOME_FAILED);
      g_assert_error ((GError *) kf_outcome_get_error (e->outcome),
                      KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED);
      g_assert_cmpuint (e->disconnects, ==, 1);
    }

  end_client (f->a);
  end_client (f->b);
  events_clear (&s, f->a);
  events_clear (&r, f->b);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("/client/connect/expected-fingerprint", NULL, test_expected_fingerprint);
  ADD ("/client/connect/first-contact-needs-consent", NULL, test_first_contact);
  ADD ("/client/connect/changed-certificate-refused", NULL, test_changed_certificate);
  ADD ("/client/connect/passphrase", NULL, test_passphrase);
  ADD ("/client/wait-list-watch", NULL, test_wait_list_watch);
  ADD ("/client/conn-errors", NULL, test_conn_errors);
  ADD ("/client/transfer/cbc", GINT_TO_POINTER (KF_CIPHER_MODE_CBC), test_transfer);
  ADD ("/client/transfer/cfb", GINT_TO_POINTER (KF_CIPHER_MODE_CFB), test_transfer);
  ADD ("/client/decline", NULL, test_decline);
  ADD ("/client/cancel/by-sender", NULL, test_cancel_by_sender);
  ADD ("/client/cancel/by-receiver", NULL, test_cancel_by_receiver);
  ADD ("/client/cancel/while-confirming", GINT_TO_POINTER (FALSE), test_cancel_before_link);
  ADD ("/client/cancel/conn-cancellable", GINT_TO_POINTER (TRUE), test_cancel_before_link);
  ADD ("/client/cancel/receiver-while-confirming", NULL, test_stop_waiting_while_confirming);
  ADD ("/client/link-lost-before-offer", NULL, test_link_lost_before_offer);
  ADD ("/client/contacts/remembered-after-confirmed", NULL, test_contacts_remembered);
  ADD ("/client/cancel/mid-transfer/by-sender", GINT_TO_POINTER (TRUE), test_cancel_mid_transfer);
  ADD ("/client/cancel/mid-transfer/by-receiver", GINT_TO_POINTER (FALSE),
       test_cancel_mid_transfer);
  ADD ("/client/reconnect", NULL, test_reconnect);
  ADD ("/client/server-gone-mid-session", NULL, test_server_gone_mid_session);
  ADD ("/client/reconnect/refuses-changed-server", NULL, test_reconnect_refuses_changed_server);

#undef ADD

  return g_test_run ();
}
