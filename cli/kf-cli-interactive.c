/* kf-cli-interactive.c: the classic prompt — wait, send, conn, end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The coursework's flow at a prompt, every step visible: the greeting with
 * the client id (1), commands (2), `wait` or `send` (3–5), `conn <peer_id>
 * <cbc|cfb>` (6), the key exchange and confirmation (7), the file to send
 * (8), the receiver's y/n and where to save (9), the block counts and the
 * key manager's verdict (10–11), and back to the prompt or `end` (12).
 *
 * A command is read only when the previous one is done, so piped input runs
 * in order; while waiting, the prompt stays open for `cancel`.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-cli-connect.h"
#include "kf-cli-describe.h"
#include "kf-cli-exit.h"
#include "kf-cli-files.h"
#include "kf-cli-input.h"
#include "kf-cli-interactive.h"
#include "kf-cli-output.h"
#include "kf-cli-receive.h"

static void read_command (KfCliApp *app);
static void on_command (const char *line,
                        gpointer    user_data);

static const char help_text[] =
  N_("Commands:\n"
     "  wait                      be available: a sender can choose you\n"
     "  send                      list the peers who are waiting\n"
     "  conn <peer_id> <cbc|cfb>  pair with a waiting peer and send a file\n"
     "  cancel                    stop waiting, or cancel the transfer\n"
     "  end                       leave the key manager and quit\n"
     "  help                      show this list");

static void
prompt (KfCliApp *app)
{
  kf_cli_prompt ("keyferry> ");
  read_command (app);
}

static void
read_command (KfCliApp *app)
{
  kf_cli_input_set_kind (KF_CLI_INPUT_COMMAND);
  kf_cli_input_read_line (on_command, app);
}

static void
on_ended (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_end_finish (KF_CLIENT (source), result, &error))
    kf_cli_error ("%s", error->message);
  else
    kf_cli_print ("%s", _("Goodbye."));
  kf_cli_app_quit (app, error ? KF_CLI_EXIT_FAILED : app->exit_status);
}

static void
do_end (KfCliApp *app)
{
  kf_client_end_async (app->client, NULL, on_ended, app);
}

static void
on_waiting (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_wait_finish (KF_CLIENT (source), result, &error))
    {
      kf_cli_error ("%s", error->message);
      prompt (app);
      return;
    }
  kf_cli_json_event ("waiting", NULL);
  kf_cli_print ("%s", _("Waiting for a sender… (type “cancel” to stop waiting)"));
  read_command (app);
}

static void
on_stopped_waiting (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_stop_waiting_finish (KF_CLIENT (source), result, &error))
    kf_cli_error ("%s", error->message);
  else
    kf_cli_print ("%s", _("Stopped waiting."));
  prompt (app);
}

static void
on_peers (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) peers = NULL;

  peers = kf_client_list_peers_finish (KF_CLIENT (source), result, &error);
  if (peers == NULL)
    kf_cli_error ("%s", error->message);
  else
    kf_cli_report_peers (peers, kf_client_get_contacts (app->client));
  prompt (app);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfOutcome) outcome = NULL;

  /* The outcome itself is reported by ::finished, for both roles. */
  outcome = kf_client_send_files_finish (KF_CLIENT (source), result, &error);
  if (outcome == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("send failed: %s", error->message);
}

/* The files and folders a "File to send:" line names: the whole line when
 * it is one existing path (a name with spaces typed as is), else the
 * paths as a shell would split it. */
static GPtrArray *
paths_of_line (const char  *line,
               GError     **error)
{
  g_autoptr(GFile) whole = g_file_new_for_commandline_arg (line);
  GFileType type = g_file_query_file_type (whole, G_FILE_QUERY_INFO_NONE, NULL);
  GPtrArray *files;

  if (type != G_FILE_TYPE_REGULAR && type != G_FILE_TYPE_DIRECTORY)
    return kf_cli_parse_paths (line, error);
  files = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (files, g_steal_pointer (&whole));
  return files;
}

static void
on_file_to_send (const char *line,
                 gpointer    user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  if (line == NULL || *line == '\0')
    {
      kf_cli_print ("%s", _("No file given: cancelling."));
      kf_client_cancel (app->client);
      return;
    }
  files = paths_of_line (line, &error);
  if (files == NULL || files->len == 0)
    {
      kf_cli_error (_("%s; type files or folders (quote names with spaces), or nothing to cancel"),
                    error != NULL ? error->message : _("no file given"));
      kf_cli_prompt (_("File to send: "));
      kf_cli_input_set_kind (KF_CLI_INPUT_FILE);
      kf_cli_input_read_line (on_file_to_send, app);
      return;
    }
  kf_client_send_files_async (app->client, (GFile **) files->pdata, files->len,
                              app->cancellable, on_sent, app);
}

static void
ask_file (KfCliApp *app)
{
  kf_cli_prompt (_("File to send: "));
  kf_cli_input_set_kind (KF_CLI_INPUT_FILE);
  kf_cli_input_read_line (on_file_to_send, app);
}

/* The receiver is someone else under a contact's name: only a yes goes on
 * (and the new identity then replaces the old one in the contacts). */
static void
on_send_anyway (const char *answer,
                gpointer    user_data)
{
  KfCliApp *app = user_data;

  if (kf_cli_input_is_yes (answer))
    {
      ask_file (app);
      return;
    }
  kf_cli_print ("%s", _("Not sending: cancelling."));
  kf_client_cancel (app->client);
}

static void
on_conn (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KfCliApp *app = user_data;
  int refused;

  if (!kf_cli_finish_conn (KF_CLIENT (source), result, &refused))
    {
      /* A session that started and failed ends in ::finished, which
       * prompts again; a refused conn never started one. */
      if (refused >= 0)
        prompt (app);
      return;
    }

  kf_cli_print ("%s", _("Connected to the receiver."));
  if (kf_cli_report_peer_identity (app->client, kf_client_get_peer_name (app->client),
                                   kf_client_get_peer_identity (app->client),
                                   NULL) == KF_CONTACT_CHANGED)
    {
      kf_cli_prompt (_("Send to this identity anyway? [y/N] "));
      kf_cli_input_read_line (on_send_anyway, app);
      return;
    }
  ask_file (app);
}

static void
do_conn (KfCliApp  *app,
         char     **words)
{
  guint64 peer_id;
  KfCipherMode mode;

  if (g_strv_length (words) != 3
      || !g_ascii_string_to_unsigned (words[1], 10, 1, G_MAXUINT, &peer_id, NULL)
      || !kf_cipher_mode_from_string (words[2], &mode))
    {
      kf_cli_error ("%s", _("usage: conn <peer_id> <cbc|cfb>"));
      prompt (app);
      return;
    }
  kf_client_conn_async (app->client, (guint) peer_id, mode, app->cancellable, on_conn, app);
}

static void
do_cancel (KfCliApp *app)
{
  KfClientState state = kf_client_get_state (app->client);

  if (state == KF_CLIENT_STATE_WAITING)
    kf_client_stop_waiting_async (app->client, NULL, on_stopped_waiting, app);
  else if (kf_client_is_in_session (app->client))
    kf_client_cancel (app->client);
  else
    {
      kf_cli_print ("%s", _("Nothing to cancel."));
      prompt (app);
    }
}

static void
on_command (const char *line,
            gpointer    user_data)
{
  KfCliApp *app = user_data;
  g_auto(GStrv) words = NULL;
  gboolean waiting = kf_client_get_state (app->client) == KF_CLIENT_STATE_WAITING;

  if (line == NULL)
    {
      do_end (app);
      return;
    }
  words = g_strsplit_set (line, " \t", -1);
  if (words[0] == NULL || *words[0] == '\0')
    waiting ? read_command (app) : prompt (app);
  else if (g_str_equal (words[0], "help"))
    {
      kf_cli_print ("%s", _(help_text));
      waiting ? read_command (app) : prompt (app);
    }
  else if (g_str_equal (words[0], "end"))
    do_end (app);
  else if (g_str_equal (words[0], "cancel"))
    do_cancel (app);
  else if (waiting)
    {
      kf_cli_error ("%s", _("you are waiting for a sender: type “cancel” first"));
      read_command (app);
    }
  else if (g_str_equal (words[0], "wait"))
    kf_client_wait_async (app->client, app->cancellable, on_waiting, app);
  else if (g_str_equal (words[0], "send"))
    kf_client_list_peers_async (app->client, app->cancellable, on_peers, app);
  else if (g_str_equal (words[0], "conn"))
    do_conn (app, words);
  else
    {
      kf_cli_error (_("unknown command “%s”: type “help” for the list"), words[0]);
      prompt (app);
    }
}

static void
on_session_started (KfClient     *client,
                    KfClientRole  role,
                    guint         peer_id,
                    const char   *peer_name,
                    KfCipherMode  mode,
                    KfCliApp     *app)
{
  KfCliJson *json = kf_cli_json_begin ("session");

  kf_cli_json_string (json, "role", role == KF_CLIENT_ROLE_SENDER ? "sender" : "receiver");
  kf_cli_json_uint (json, "peer_id", peer_id);
  kf_cli_json_string (json, "peer_name", peer_name);
  kf_cli_json_string (json, "mode", kf_cipher_mode_to_string (mode));
  kf_cli_json_end (json);
  kf_cli_print (role == KF_CLIENT_ROLE_SENDER
                /* Translators: peer name, peer id, mode */
                ? _("Paired with %s (#%u) in %s mode: key material received, confirming it…")
                : _("%s (#%u) chose you, %s mode: key material received, confirming it…"),
                peer_name, peer_id, mode == KF_CIPHER_MODE_CBC ? "CBC" : "CFB");
}

static void
on_finished (KfClient  *client,
             KfOutcome *outcome,
             KfCliApp  *app)
{
  kf_cli_report_outcome (outcome);
  /* Waiting again: no prompt, as after `wait`; "cancel" stops it. */
  if (kf_outcome_get_waits_again (outcome))
    read_command (app);
  else
    prompt (app);
}

static void
on_offer_done (KfCliApp *app)
{
  /* After a decline the session is over and ::finished prompts again. */
}

static void
on_offer (KfClient *client,
          KfOffer  *offer,
          KfCliApp *app)
{
  kf_cli_receive_ask (app, offer, NULL, on_offer_done);
}

/*
 * kf_cli_interactive_start:
 *
 * Runs the prompt on @app's connected client until `end` or the end of
 * input.
 */
void
kf_cli_interactive_start (KfCliApp *app)
{
  g_signal_connect (app->client, "session-started", G_CALLBACK (on_session_started), app);
  g_signal_connect (app->client, "offer", G_CALLBACK (on_offer), app);
  g_signal_connect (app->client, "transfer-progress", G_CALLBACK (kf_cli_report_progress), NULL);
  g_signal_connect (app->client, "file-landed", G_CALLBACK (kf_cli_report_landed), NULL);
  g_signal_connect (app->client, "finished", G_CALLBACK (on_finished), app);
  kf_cli_follow_reconnects (app);
  kf_cli_input_set_peers (kf_client_get_peers (app->client));

  kf_cli_print ("%s", _("Type “wait” to receive a file, “send” to see who is waiting, "
                        "“help” for all commands."));
  prompt (app);
}

/*
 * kf_cli_interactive_interrupt:
 *
 * Ctrl-C: cancels the session in progress (the peer and the key manager
 * are told) and returns to the prompt; at the prompt, leaves.
 */
void
kf_cli_interactive_interrupt (KfCliApp *app)
{
  KfClientState state = kf_client_get_state (app->client);

  kf_cli_progress_done ();
  if (kf_client_is_in_session (app->client))
    {
      kf_cli_print ("%s", _("Cancelling…"));
      kf_client_cancel (app->client);
    }
  else if (state == KF_CLIENT_STATE_WAITING)
    {
      kf_cli_input_redirect (NULL, NULL);
      kf_client_stop_waiting_async (app->client, NULL, on_stopped_waiting, app);
    }
  else
    {
      kf_cli_input_abandon ();
      do_end (app);
    }
}
