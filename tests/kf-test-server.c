/* kf-test-server.c: an in-process key manager for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "kf-test-server.h"

struct _KfTestServer
{
  KfServerConfig  config;
  char           *passphrase;
  char           *state_dir;
  char           *audit_path;
  GThread        *thread;
  GMainContext   *context;
  GMainLoop      *loop;
  KfServer       *server;
  GMutex          lock;
  GCond           cond;
  gboolean        started;
  guint16         port;
  char           *fingerprint;
};

/*
 * kf_test_server_config_init:
 *
 * The defaults with everything slow made quick: short deadlines, a cheap
 * Argon2id, small penalties; every test client comes from 127.0.0.1, so
 * the cap per address is the total cap, and conn is not rate-limited.
 * The state directory is set by
 * kf_test_server_start().
 */
void
kf_test_server_config_init (KfServerConfig *config)
{
  kf_server_config_init (config);
  config->handshake_timeout_ms = 3000;
  config->idle_timeout_ms = 0;
  config->confirm_timeout_ms = 5000;
  config->close_timeout_ms = 1000;
  config->kdf_iterations = 1;
  config->kdf_memory_kib = 1024;
  config->kdf_parallelism = 1;
  config->auth_penalty_ms = 50;
  config->auth_penalty_max_ms = 200;
  config->max_clients_per_address = config->max_clients;
  /* Tests pair one identity many times in a row; the rate limit of conn
   * has tests of its own, which set it. */
  config->conn_burst = 100000;
}

static void
stopped (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KfTestServer *self = user_data;

  g_assert_true (kf_server_shutdown_finish (KF_SERVER (source), result, NULL));
  g_main_loop_quit (self->loop);
}

static gboolean
stop_in_thread (gpointer user_data)
{
  KfTestServer *self = user_data;

  kf_server_shutdown_async (self->server, "test over", NULL, stopped, self);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer user_data)
{
  KfTestServer *self = user_data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);
  self->server = kf_server_new (&self->config, self->passphrase, &error);
  g_assert_no_error (error);
  kf_server_listen (self->server, "127.0.0.1", 0, &error);
  g_assert_no_error (error);

  g_mutex_lock (&self->lock);
  self->port = kf_server_get_port (self->server);
  self->fingerprint = g_strdup (kf_server_get_fingerprint (self->server));
  self->started = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);
  /* Let the cancelled accept and closing connections finish first. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_assert_finalize_object (g_steal_pointer (&self->server));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/*
 * kf_test_server_start:
 * @config: (nullable): the settings, or %NULL for kf_test_server_config_init()
 *
 * Returns: a running server; its audit log is written into its state
 * directory.
 */
KfTestServer *
kf_test_server_start (const KfServerConfig *config,
                      const char           *passphrase)
{
  KfTestServer *self = g_new0 (KfTestServer, 1);
  g_autoptr(GError) error = NULL;

  if (config != NULL)
    self->config = *config;
  else
    {
      kf_test_server_config_init (&self->config);
      g_free (self->config.state_dir);
    }
  self->state_dir = g_dir_make_tmp ("kf-test-server-XXXXXX", &error);
  g_assert_no_error (error);
  self->audit_path = g_build_filename (self->state_dir, "audit.log", NULL);
  self->config.state_dir = self->state_dir;
  self->config.audit_log = self->audit_path;
  self->passphrase = g_strdup (passphrase);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);

  self->thread = g_thread_new ("kf-test-server", server_thread, self);
  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  return self;
}

guint16
kf_test_server_get_port (KfTestServer *self)
{
  return self->port;
}

const char *
kf_test_server_get_fingerprint (KfTestServer *self)
{
  return self->fingerprint;
}

const char *
kf_test_server_get_state_dir (KfTestServer *self)
{
  return self->state_dir;
}

/* Returns: the audit log so far ("" when nothing was written yet). */
char *
kf_test_server_read_audit (KfTestServer *self)
{
  char *contents = NULL;

  if (!g_file_get_contents (self->audit_path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

/*
 * kf_test_server_stop:
 *
 * Shuts the server down (clients get `ev shutdown`), waits for its thread,
 * checks the server object was freed, and removes its state directory.
 */
void
kf_test_server_stop (KfTestServer *self)
{
  g_main_context_invoke (self->context, stop_in_thread, self);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  remove_dir (self->state_dir);
  g_free (self->state_dir);
  g_free (self->audit_path);
  g_free (self->passphrase);
  g_free (self->fingerprint);
  g_free (self);
}
