/* kf-server-run.c: keyferry-server serving, until a signal stops it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts a KfServer on the default main context, prints the two stable
 * start-up lines scripts look for:
 *
 *   keyferry-server: fingerprint <16 groups of 4 hex digits>
 *   keyferry-server: listening on <address or *> port <n>
 *
 * then the join link, announces the key manager on the network and
 * answers --status; tells systemd when it is ready.  SIGHUP reloads the
 * options and the passphrase; SIGTERM or SIGINT tells every client
 * `ev shutdown` before the connections close (a second one stops at once).
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "kf-fingerprint.h"
#include "kf-secure.h"
#include "kf-server.h"
#include "kf-server-announce.h"
#include "kf-server-cli.h"
#include "kf-server-link.h"
#include "kf-server-log.h"
#include "kf-server-notify.h"
#include "kf-server-status.h"

typedef struct
{
  GMainLoop                  *loop;
  KfServer                   *server;
  gboolean                    stopping;
  KfServerCliOptions         *options;
  const KfServerOptionsSaved *command_line;
  char                       *fixed;     /* what only a restart changes */
  gboolean                    reloading;
  gboolean                    reload_again;
} Run;

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;

  kf_server_shutdown_finish (KF_SERVER (source), result, NULL);
  g_main_loop_quit (run->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  if (run->stopping)
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_CONTINUE;
    }
  run->stopping = TRUE;
  kf_server_notify ("STOPPING=1");
  kf_server_shutdown_async (run->server, _("The key manager is stopping"), NULL, shutdown_cb, run);
  return G_SOURCE_CONTINUE;
}

/* Reads the command line's options and the --config file again and
 * starts handing the new limits and passphrase to the server (reload_cb()
 * finishes).  Returns %FALSE with @error, the server unchanged, when one
 * of them is unusable. */
static gboolean
reload_start (Run     *run,
              GError **error);

static void
reload_failed (const GError *error)
{
  g_autofree char *status = NULL;

  kf_server_log_event (&(KfServerLogEvent) { .level = G_LOG_LEVEL_WARNING,
                                             .message_id = KF_LOG_RELOAD_FAILED },
                       "Reload failed, the settings in force stay: %s", error->message);
  /* `systemctl status` shows it. */
  status = g_strdelimit (g_strdup (error->message), "\n", ' ');
  kf_server_notify_printf ("READY=1\nSTATUS=Reload failed, the settings in force stay: %s",
                           status);
}

static void
reload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *fixed = NULL;
  KfServerCliOptions *o = run->options;

  run->reloading = FALSE;
  if (!kf_server_reload_finish (KF_SERVER (source), result, &error))
    {
      if (!run->stopping)
        reload_failed (error);
    }
  else if (run->stopping)
    return;
  else
    {
      g_log_set_debug_enabled (o->verbose);
      fixed = kf_server_cli_fixed_settings (o);
      if (strcmp (fixed, run->fixed) != 0)
        g_warning ("The listening address, port, state, runtime directories, audit log, "
                   "log format, site name and announcement change only when the key "
                   "manager restarts");
      kf_server_log (KF_LOG_RELOADED, NULL, NULL, "Reloaded: %s",
                     o->passphrase_hash_file != NULL ? "passphrase hash from a file"
                     : o->passphrase_file != NULL ? "passphrase from a file" : "no passphrase");
      kf_server_notify ("READY=1\nSTATUS=Reloaded");
    }
  /* A SIGHUP that came meanwhile may have followed a newer file. */
  if (run->reload_again && !run->stopping)
    {
      run->reload_again = FALSE;
      if (!reload_start (run, &error))
        reload_failed (error);
    }
}

static gboolean
reload_start (Run     *run,
              GError **error)
{
  g_auto(KfServerConfig) config = { 0 };
  g_autofree char *warning = NULL;
  KfServerCliOptions *o = run->options;
  char *secret = NULL;
  guint port = 0;

  kf_server_notify_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                           g_get_monotonic_time ());
  kf_server_config_init (&config);
  if (!kf_server_cli_reload_config (o, run->command_line, error)
      || !kf_server_cli_apply (o, &config, &port, error)
      || !kf_server_read_admission (o, &config, &secret, error))
    return FALSE;
  /* New limits must fit the descriptors as the first ones did. */
  warning = kf_server_config_fit_descriptors (&config);
  if (warning != NULL)
    g_message ("%s", warning);
  run->reloading = TRUE;
  kf_server_reload_async (run->server, &config, secret, NULL, reload_cb, run);
  kf_secure_strfree (secret);
  return TRUE;
}

/* SIGHUP: reload, telling systemd while it runs (sd_notify(3)). */
static gboolean
on_reload (gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (run->stopping)
    return G_SOURCE_CONTINUE;
  if (run->reloading)
    {
      run->reload_again = TRUE;
      return G_SOURCE_CONTINUE;
    }
  if (!reload_start (run, &error))
    reload_failed (error);
  return G_SOURCE_CONTINUE;
}

/* Creates the server, listening and answering --status.  Otherwise says
 * why on stderr and returns %NULL with *@exit_status set. */
static KfServer *
start (const KfServerCliOptions  *o,
       KfServerConfig            *config,
       guint                      port,
       KfServerStatus           **status,
       int                       *exit_status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = NULL;
  g_autofree char *status_dir = NULL;
  g_autofree char *warning = NULL;
  char *secret = NULL;

  warning = kf_server_config_fit_descriptors (config);
  if (warning != NULL)
    g_printerr ("keyferry-server: %s: %s\n", _("warning"), warning);
  if (!kf_server_read_admission (o, config, &secret, &error))
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      *exit_status = KF_SERVER_EXIT_USAGE;
      return NULL;
    }
  server = kf_server_new (config, secret, &error);
  kf_secure_strfree (secret);
  if (server != NULL)
    status_dir = kf_server_status_dir (o->runtime_dir, config->state_dir);
  if (server == NULL || !kf_server_listen (server, o->listen, (guint16) port, &error)
      || (*status = kf_server_status_new (server, status_dir, &error)) == NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      *exit_status = EXIT_FAILURE;
      return NULL;
    }
  return g_steal_pointer (&server);
}

/* Prints the start-up lines and the join link, and announces the key
 * manager on the network unless told not to.  Returns the announcement. */
static KfServerAnnounce *
announce (const KfServerCliOptions *o,
          KfServer                 *server)
{
  g_autofree char *pretty = kf_fingerprint_format_pretty (kf_server_get_fingerprint (server));
  KfServerAnnounce *announce = NULL;

  g_printerr ("keyferry-server: fingerprint %s\n", pretty);
  g_printerr ("keyferry-server: listening on %s port %u\n", o->listen ? o->listen : "*",
              kf_server_get_port (server));
  kf_server_link_print (o->listen, kf_server_get_port (server),
                        kf_server_get_fingerprint (server), stderr);
  if (!o->no_announce)
    announce = kf_server_announce_new_for (o->listen, o->site_name, kf_server_get_port (server),
                                           kf_server_get_fingerprint (server));
  kf_server_log (KF_LOG_STARTED, NULL, NULL, "Listening on %s port %u, fingerprint %s",
                 o->listen ? o->listen : "*", kf_server_get_port (server), pretty);
  return announce;
}

/*
 * kf_server_run:
 * @command_line: the options as the command line gave them, for reloads
 *
 * Creates the server, listens and runs until a signal stops it.
 * Returns: the exit status.
 */
int
kf_server_run (KfServerCliOptions         *o,
               const KfServerOptionsSaved *command_line,
               KfServerConfig             *config,
               guint                       port)
{
  g_autoptr(KfServer) server = NULL;
  g_autoptr(KfServerAnnounce) announcement = NULL;
  g_autoptr(KfServerStatus) status = NULL;
  Run run = { .options = o, .command_line = command_line };
  int exit_status = EXIT_SUCCESS;
  guint sigterm, sigint, sighup;

  server = start (o, config, port, &status, &exit_status);
  if (server == NULL)
    return exit_status;
  announcement = announce (o, server);
  run.loop = g_main_loop_new (NULL, FALSE);
  run.server = server;
  run.fixed = kf_server_cli_fixed_settings (o);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sighup = g_unix_signal_add (SIGHUP, on_reload, &run);
  /* The port accepts connections from here on, and the signals are
   * handled (systemd sends ExecReload's SIGHUP only after READY=1):
   * systemd may start what comes After= the key manager. */
  kf_server_notify_printf ("READY=1\nSTATUS=Listening on %s port %u",
                           o->listen ? o->listen : "*", kf_server_get_port (server));
  g_main_loop_run (run.loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (sighup);
  kf_server_status_stop (status);
  g_free (run.fixed);
  g_main_loop_unref (run.loop);
  kf_server_log (KF_LOG_STOPPED, NULL, NULL, "Stopped");

  return EXIT_SUCCESS;
}
