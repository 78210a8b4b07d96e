/* kf-server-main.c: the keyferry-server command line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * main(): parses the options (kf-server-cli.c; a bad one is one line on
 * stderr and exit status 2) and does what they ask: print the version,
 * the fingerprint, the join link or a running key manager's status;
 * hash a new passphrase (kf-server-passphrase-input.c); or serve
 * (kf-server-run.c).
 */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-protocol.h"
#include "kf-server.h"
#include "kf-server-admin.h"
#include "kf-server-cli.h"
#include "kf-server-link.h"
#include "kf-server-log.h"
#include "kf-server-status.h"
#include "kf-server-status-print.h"
#include "kf-tls.h"

static int
usage_error (const char *message)
{
  g_autofree char *text = g_strdup_printf (_("%s (see keyferry-server --help)"), message);

  g_printerr ("keyferry-server: %s\n", text);
  return KF_SERVER_EXIT_USAGE;
}

/* --status: where to ask.  As the server chooses (--runtime-dir, else
 * $RUNTIME_DIRECTORY, else the state directory), except that without any
 * of them the systemd unit's /run/keyferry-server comes first when its
 * socket is there: root asking about the service. */
static int
print_status (const KfServerCliOptions        *o,
              const KfServerConfig *config)
{
  g_autofree char *dir = NULL;
  const char *unit_dir = "/run/keyferry-server";
  g_autofree char *unit_socket = g_build_filename (unit_dir, KF_SERVER_STATUS_SOCKET, NULL);

  if (o->runtime_dir == NULL && o->state_dir == NULL && g_getenv ("RUNTIME_DIRECTORY") == NULL
      && g_file_test (unit_socket, G_FILE_TEST_EXISTS))
    dir = g_strdup (unit_dir);
  else
    dir = kf_server_status_dir (o->runtime_dir, config->state_dir);
  return kf_server_status_print (dir, o->json);
}

static int
print_fingerprint (const KfServerConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = kf_server_new (config, NULL, &error);
  g_autofree char *pretty = NULL;

  if (server == NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  pretty = kf_fingerprint_format_pretty (kf_server_get_fingerprint (server));
  g_print ("%s\n", pretty);
  return EXIT_SUCCESS;
}

static int
print_link (const KfServerCliOptions        *o,
            const KfServerConfig *config,
            guint                 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = kf_server_new (config, NULL, &error);

  if (server == NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  kf_server_link_print (o->listen, port != 0 ? port : KF_PROTOCOL_DEFAULT_PORT,
                        kf_server_get_fingerprint (server), stdout);
  return EXIT_SUCCESS;
}

/* `identities …`, `names …`, `enrolment …` on the state directory's
 * database (kf-server-admin.c). */
static int
run_admin (const KfServerCliOptions *o,
           const KfServerConfig     *config)
{
  gboolean chosen = o->state_dir != NULL || g_getenv ("STATE_DIRECTORY") != NULL;
  g_autofree char *dir = kf_server_admin_state_dir (config->state_dir, chosen);

  return kf_server_admin_run (dir, (const char * const *) o->admin, o->json);
}

/* Does what the options ask for: one of the actions that print and
 * exit, or serving.  Returns the exit status. */
static int
run_action (KfServerCliOptions         *o,
            const KfServerOptionsSaved *command_line,
            KfServerConfig             *config,
            guint                       port)
{
  if (o->version)
    {
      g_print ("keyferry-server %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (o->verbose)
    g_log_set_debug_enabled (TRUE);
  if (g_strcmp0 (o->log_format, "json") == 0)
    kf_server_log_use_json ();
  if (o->hash_passphrase)
    return kf_server_hash_passphrase (config);
  if (o->print_link)
    return print_link (o, config, port);
  if (o->admin != NULL)
    return run_admin (o, config);
  if (o->status)
    return print_status (o, config);
  if (o->print_fingerprint)
    return print_fingerprint (config);
  return kf_server_run (o, command_line, config, port);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(KfServerConfig) config = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerOptionsSaved) command_line = NULL;
  KfServerCliOptions *o = kf_server_cli_get_options ();
  guint port = KF_PROTOCOL_DEFAULT_PORT;
  int status;

  setlocale (LC_ALL, "");
  /* KEYFERRY_LOCALEDIR: the catalogues of an uninstalled build (script/run). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("KEYFERRY_LOCALEDIR") ? g_getenv ("KEYFERRY_LOCALEDIR")
                                                                  : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  kf_gcrypt_init ();
  kf_tls_init ();
  kf_process_harden ();
  kf_server_config_init (&config);

  context = kf_server_cli_context_new ();
  if (g_option_context_parse (context, &argc, &argv, &error) && argc > 1
      && kf_server_admin_is_command (argv[1]))
    o->admin = g_strdupv (argv + 1);
  if (error != NULL)
    status = usage_error (error->message);
  else if (argc > 1 && o->admin == NULL)
    status = usage_error (_("unexpected argument"));
  else if (!kf_server_cli_load_config (o, &command_line, &error))
    status = usage_error (error->message);
  else if (!kf_server_cli_apply (o, &config, &port, &error))
    status = usage_error (error->message);
  else
    status = run_action (o, command_line, &config, port);
  kf_server_cli_options_clear (o);
  return status;
}
