/* kf-cli-main.c: keyferry-cli's entry point and command dispatch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   keyferry-cli [OPTIONS]                     the interactive prompt
 *   keyferry-cli [OPTIONS] wait [--accept] [--output DIR]
 *   keyferry-cli [OPTIONS] send --to PEER --mode cbc|cfb FILE|FOLDER…
 *   keyferry-cli [--json] servers              the key managers on the network
 *   keyferry-cli [--json] identity             this user's identity code
 *   keyferry-cli [--json] contacts [forget NAME|CODE]   the people you exchanged files with
 *   keyferry-cli encrypt|decrypt …             the openssl-compatible utility
 */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "kf-cli-app.h"
#include "kf-cli-connect.h"
#include "kf-cli-contacts.h"
#include "kf-cli-crypt.h"
#include "kf-cli-exit.h"
#include "kf-cli-identity.h"
#include "kf-cli-interactive.h"
#include "kf-cli-output.h"
#include "kf-cli-scripted.h"
#include "kf-cli-servers.h"
#include "kf-gcrypt.h"
#include "kf-tls.h"
#include "kf-secure.h"

typedef enum
{
  COMMAND_INTERACTIVE,
  COMMAND_WAIT,
  COMMAND_SEND,
  COMMAND_SERVERS,
  COMMAND_IDENTITY,
  COMMAND_CONTACTS,
} Command;

static Command command;
static char  **command_args;   /* the words after the command */

void
kf_cli_app_quit (KfCliApp *app,
                 int       exit_status)
{
  app->exit_status = exit_status;
  g_main_loop_quit (app->loop);
}

/* The --help texts around the option table. */
static void
set_help_texts (GOptionContext *context)
{
  g_option_context_set_summary (context,
    _("Without a command: the interactive prompt (wait, send, conn <peer_id> <cbc|cfb>, end).\n"
      "  wait [--accept] [--output DIR]      receive one transfer (a file, or files and\n"
      "                                      folders into DIR), then quit\n"
      "  send --to PEER --mode cbc|cfb FILE|FOLDER…\n"
      "                                      send files and folders in one transfer, then quit\n"
      "  servers                             list the key managers on the network\n"
      "  identity                            print your identity code (--json: and public key)\n"
      "  contacts [forget NAME|CODE]         the people you exchanged files with\n"
      "  encrypt|decrypt --help              the openssl-compatible AES-256 utility"));
  g_option_context_set_description (context,
    _("Received files go into the folder given with --output, by default the current one,\n"
      "under the sender's file name made safe: only its last part is kept, control and\n"
      "invisible characters become _, and a name starting with a dot gets a _ before it\n"
      "(.bashrc is saved as _.bashrc), so nothing arrives hidden.\n"
      "Folders and several files arrive as a tree inside that folder: a top-level name that\n"
      "exists gets \" (2)\" unless --overwrite, links, devices and FIFOs are never sent, and\n"
      "each file gets its name only once it verified, so a stopped transfer leaves whole\n"
      "files only. wait reports each file as it lands; --json adds per-file block counts.\n\n"
      "Exit status: 0 transfer confirmed by the key manager, 1 failure, 2 usage, 3 declined,\n"
      "4 cancelled, 5 verification failed, 6 block counts or digests differ (mismatch or\n"
      "digest-mismatch), 7 key manager unreachable, untrusted, changed, refused or gone,\n"
      "8 send: the peer is not waiting (no such id or name, it left or another sender\n"
      "chose it), 9 the peer's identity is not the one your contacts know by its name\n"
      "(see --accept-new-identity and keyferry-cli contacts forget)."));
}

static GOptionContext *
build_context (KfCliApp *app)
{
  GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &app->server,
      N_("The key manager, HOST[:PORT] or a join link keyferry://HOST:PORT/?fp=… (default: the "
         "only one trusted or on the network, else localhost:7745)"), N_("HOST[:PORT]") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &app->name,
      N_("The name others see (default: your real name or the host name)"), N_("NAME") },
    { "fingerprint", 0, 0, G_OPTION_ARG_STRING, &app->fingerprint,
      N_("Trust the key manager with this SHA-256 fingerprint"), N_("SHA256") },
    { "accept-new-server", 0, 0, G_OPTION_ARG_NONE, &app->accept_new_server,
      N_("Trust a key manager seen for the first time without asking"), NULL },
    { "accept-new-identity", 0, 0, G_OPTION_ARG_NONE, &app->accept_new_identity,
      N_("send, wait: go ahead with a peer whose identity is not the one your contacts know "
         "by its name (it then replaces it)"), NULL },
    { "forget-server", 0, 0, G_OPTION_ARG_NONE, &app->forget_server,
      N_("Remove the pinned fingerprint of the --server key manager, then quit"), NULL },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &app->passphrase_file,
      N_("Read the admission passphrase from FILE (- for standard input)"), N_("FILE") },
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &app->identity_file,
      N_("Use the identity kept in FILE, made there on first use (default: "
         "~/.local/share/keyferry/identity)"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &app->json,
      N_("Print machine-readable events, one JSON object per line"), NULL },
    { "accept", 'y', 0, G_OPTION_ARG_NONE, &app->accept,
      N_("wait: accept the offer without asking"), NULL },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &app->overwrite,
      N_("wait: replace an existing file of the same name"), NULL },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &app->idle_timeout,
      N_("Stop a transfer when the peer sends or takes nothing for SECONDS "
         "(default: 60; 0: never)"), N_("SECONDS") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output_dir,
      N_("wait: save into the folder DIR, files and folders as a tree (default: the current folder)"), N_("DIR") },
    { "peer-ports", 0, 0, G_OPTION_ARG_STRING, &app->peer_ports,
      N_("Receive files on the first free port of FIRST-LAST (default: an ephemeral port), "
         "so that a firewall can let exactly those in"), N_("FIRST[-LAST]") },
    { "to", 't', 0, G_OPTION_ARG_STRING, &app->to,
      N_("send: the waiting peer, by id, name or identity code"), N_("PEER") },
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &app->mode,
      N_("send: the mode of operation, cbc or cfb"), N_("MODE") },
    { NULL }
  };
  GOptionContext *context;

  context = g_option_context_new (_("[wait | send FILE|FOLDER… | servers | identity | contacts | encrypt | decrypt] — Keyferry in a terminal"));
  set_help_texts (context);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  return context;
}

/* Fills app->files with the files and folders named, each existing. */
static gboolean
add_paths (KfCliApp  *app,
           int        n,
           char     **paths,
           GError   **error)
{
  app->files = g_ptr_array_new_with_free_func (g_object_unref);
  for (int i = 0; i < n; i++)
    {
      GFile *file = g_file_new_for_commandline_arg (paths[i]);
      GFileType type = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL);

      g_ptr_array_add (app->files, file);
      if (type != G_FILE_TYPE_REGULAR && type != G_FILE_TYPE_DIRECTORY)
        return (g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("“%s” is not a readable file or folder"), paths[i]), FALSE);
    }
  return TRUE;
}

/* Checks the command and its options; fills app->files for send. */
static gboolean
parse_command (KfCliApp   *app,
               int         argc,
               char      **argv,
               GError    **error)
{
  KfCipherMode mode;

  command = COMMAND_INTERACTIVE;
  if (argc >= 2 && g_str_equal (argv[1], "wait"))
    command = COMMAND_WAIT;
  else if (argc >= 2 && g_str_equal (argv[1], "send"))
    command = COMMAND_SEND;
  else if (argc == 2 && g_str_equal (argv[1], "servers"))
    command = COMMAND_SERVERS;
  else if (argc >= 2 && g_str_equal (argv[1], "contacts"))
    {
      command = COMMAND_CONTACTS;
      command_args = argv + 2;
    }
  else if (argc == 2 && g_str_equal (argv[1], "identity"))
    command = COMMAND_IDENTITY;
  else if (argc >= 2)
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("unknown command “%s”"), argv[1]), FALSE);

  if (command == COMMAND_WAIT && argc != 2)
    return (g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                 _("wait takes no file: use --output DIR")), FALSE);
  if (command == COMMAND_SEND
      && (argc < 3 || app->to == NULL || !kf_cipher_mode_from_string (app->mode, &mode)))
    return (g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                 _("usage: send --to PEER --mode cbc|cfb FILE|FOLDER…")), FALSE);
  if (command == COMMAND_SEND && !add_paths (app, argc - 2, argv + 2, error))
    return FALSE;
  if (app->idle_timeout < -1 || app->idle_timeout > 24 * 3600)
    return (g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                 _("--idle-timeout takes 0 to 86400 seconds")), FALSE);
  if (app->forget_server && (command != COMMAND_INTERACTIVE || app->fingerprint != NULL))
    return (g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                 _("--forget-server takes only --server: forget the old pin, "
                                   "then connect with --fingerprint")), FALSE);
  if (command != COMMAND_WAIT && (app->accept || app->output_dir || app->overwrite))
    return (g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                 _("--accept, --overwrite and --output go with wait")), FALSE);
  if (command == COMMAND_INTERACTIVE && app->passphrase_file
      && g_str_equal (app->passphrase_file, "-"))
    return (g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                 _("the prompt reads standard input: give the passphrase in a file")),
            FALSE);

  return TRUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  KfCliApp *app = user_data;

  if (++app->sigint_count > 1)
    kf_cli_app_quit (app, KF_CLI_EXIT_CANCELLED);
  else if (app->client == NULL || !kf_client_is_connected (app->client))
    kf_cli_app_quit (app, KF_CLI_EXIT_CANCELLED);
  else if (command == COMMAND_INTERACTIVE)
    {
      app->sigint_count = 0;
      kf_cli_interactive_interrupt (app);
    }
  else
    kf_cli_scripted_interrupt (app);

  return G_SOURCE_CONTINUE;
}

static void
on_connected (KfCliApp *app)
{
  switch (command)
    {
    case COMMAND_WAIT:
      kf_cli_scripted_wait (app);
      break;
    case COMMAND_SEND:
      kf_cli_scripted_send (app);
      break;
    case COMMAND_INTERACTIVE:
    case COMMAND_SERVERS:   /* never connects */
    case COMMAND_IDENTITY:
    case COMMAND_CONTACTS:
    default:
      kf_cli_interactive_start (app);
      break;
    }
}

static void
app_clear (KfCliApp *app)
{
  g_clear_object (&app->client);
  g_clear_object (&app->identity);
  g_clear_object (&app->cancellable);
  g_clear_pointer (&app->files, g_ptr_array_unref);
  g_clear_pointer (&app->loop, g_main_loop_unref);
  kf_secure_strfree (app->passphrase);
  g_free (app->server);
  g_free (app->host);
  g_free (app->name);
  g_free (app->fingerprint);
  g_free (app->passphrase_file);
  g_free (app->identity_file);
  g_free (app->output_dir);
  g_free (app->to);
  g_free (app->mode);
  g_free (app->peer_ports);
}

/* Library messages (connected, reconnecting…) are for logs, not for the
 * person at the prompt, who is told in words by the CLI itself: show
 * warnings and worse as one line, the rest only with G_MESSAGES_DEBUG. */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  if (g_getenv ("G_MESSAGES_DEBUG") != NULL)
    return g_log_writer_default (level, fields, n_fields, user_data);

  return G_LOG_WRITER_HANDLED;
}

/* --forget-server, `servers`, `identity` and `contacts`: the runs that need no key
 * manager.  Returns whether @app was one, with its exit status; sets up
 * the loop and the cancellable either way. */
static gboolean
run_without_client (KfCliApp *app,
                    int      *status)
{
  if (app->forget_server)
    {
      *status = kf_cli_forget_server (app);
      return TRUE;
    }
  app->stdin_is_tty = isatty (STDIN_FILENO);
  app->loop = g_main_loop_new (NULL, FALSE);
  app->cancellable = g_cancellable_new ();
  if (command == COMMAND_SERVERS)
    *status = kf_cli_servers_main (app);
  else if (command == COMMAND_IDENTITY)
    *status = kf_cli_identity_main (app);
  else if (command == COMMAND_CONTACTS)
    *status = kf_cli_contacts_main (app, command_args);
  else
    return FALSE;
  return TRUE;
}

static int
run_client (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  KfCliApp app = { .idle_timeout = -1 };
  int status;

  context = build_context (&app);
  if (!g_option_context_parse (context, &argc, &argv, &error)
      || !parse_command (&app, argc, argv, &error))
    {
      kf_cli_error ("%s", error->message);
      status = error->domain == G_IO_ERROR ? KF_CLI_EXIT_FAILED : KF_CLI_EXIT_USAGE;
      app_clear (&app);
      return status;
    }

  kf_cli_set_json (app.json);
  if (run_without_client (&app, &status))
    {
      app_clear (&app);
      return status;
    }
  if (!kf_cli_load_identity (&app, &error))
    {
      kf_cli_error ("%s", error->message);
      kf_cli_json_event ("error", "message", error->message, NULL);
      app_clear (&app);
      return KF_CLI_EXIT_FAILED;
    }
  if ((app.server == NULL && !kf_cli_choose_server (&app, &error))
      || !kf_cli_setup_client (&app, &error))
    {
      kf_cli_error ("%s", error->message);
      app_clear (&app);
      return error->domain == G_OPTION_ERROR ? KF_CLI_EXIT_USAGE : KF_CLI_EXIT_FAILED;
    }

  g_unix_signal_add (SIGINT, on_sigint, &app);
  g_unix_signal_add (SIGTERM, on_sigint, &app);
  kf_cli_connect (&app, on_connected);
  g_main_loop_run (app.loop);
  kf_cli_flush ();

  status = app.exit_status;
  app_clear (&app);
  return status;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  /* KEYFERRY_LOCALEDIR: the catalogues of an uninstalled build (script/run). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("KEYFERRY_LOCALEDIR") ? g_getenv ("KEYFERRY_LOCALEDIR")
                                                                  : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("keyferry-cli");
  g_log_set_writer_func (log_writer, NULL, NULL);
  kf_process_harden ();
  kf_gcrypt_init ();
  kf_tls_init ();

  if (argc >= 2 && (g_str_equal (argv[1], "encrypt") || g_str_equal (argv[1], "decrypt")))
    return kf_cli_crypt_main (argc - 1, argv + 1);

  return run_client (argc, argv);
}
