/* test-gui-transfer.c: the window receiving from a real keyferry-cli
 * process through a real key manager: how the sender is named on the
 * receiving side, and what the transfer page says when the sender stalls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <sys/prctl.h>

#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-offer-dialog.h"
#include "kf-transfer-page.h"

/* How long a sender may take to reach the window on a loaded machine. */
#define CLI_TIMEOUT_MS 60000

/* Returns "en" or "ro", the language of this run, for screenshot names. */
static const char *
run_language (void)
{
  const char *language = g_getenv ("LANGUAGE");

  return language != NULL && g_str_has_prefix (language, "ro") ? "ro" : "en";
}

/* Returns the widget under @root built from the template id @id. */
static GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  GtkWidget *widget;

  for (guint i = 0; (widget = kf_gui_test_find_child (root, GTK_TYPE_WIDGET, i)) != NULL; i++)
    if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
      return widget;
  g_error ("no widget with the id %s", id);
}

static GtkWidget *
transfer_page (Fixture *fx)
{
  GtkWidget *page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_TRANSFER_PAGE, 0);

  g_assert_nonnull (page);
  return page;
}

static const char *
transfer_title (Fixture *fx)
{
  return adw_status_page_get_title (ADW_STATUS_PAGE (find_by_id (transfer_page (fx),
                                                                 "status_page")));
}

/* In the CLI, before it runs: it dies with the test, even stopped. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * start_cli_sender:
 *
 * Starts the build's keyferry-cli as @name sending @file (in CFB) to the
 * window, which must be waiting; it never gives up on a silent peer.
 * Its output goes to files in the fixture's folder; it is killed if the
 * test aborts.
 */
static GSubprocess *
start_cli_sender (Fixture    *fx,
                  const char *name,
                  GFile      *file)
{
  const char *cli = g_getenv ("KF_CLI");
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u", fx->port);
  g_autofree char *to = g_strdup_printf ("%u",
                                         kf_client_get_client_id (kf_window_get_client (fx->window)));
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *out = g_build_filename (fx->tmpdir, "cli.out", NULL);
  g_autofree char *err = g_build_filename (fx->tmpdir, "cli.err", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (cli == NULL)
    g_error ("KF_CLI must name the build's keyferry-cli");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_WAITING);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, out);
  g_subprocess_launcher_set_stderr_file_path (launcher, err);
  process = g_subprocess_launcher_spawn (launcher, &error, cli, "--server", server,
                                         "--fingerprint", fx->fingerprint, "--name", name,
                                         "--idle-timeout", "0", "--json", "send", "--to", to,
                                         "--mode", "cfb", path, NULL);
  g_assert_no_error (error);
  return process;
}

typedef struct
{
  GSubprocess *process;
  gboolean     done;
} CliWait;

static void
on_cli_exited (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CliWait *wait = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  wait->done = TRUE;
}

static gboolean
cli_exited (gpointer data)
{
  return ((CliWait *) data)->done;
}

/* Waits (bounded) for the CLI to end; returns its exit status, or -1
 * when it was killed (after a timeout it is killed, and the test fails). */
static int
wait_cli (Fixture     *fx,
          GSubprocess *process)
{
  CliWait wait = { process, FALSE };

  g_subprocess_wait_async (process, NULL, on_cli_exited, &wait);
  if (!kf_gui_test_wait_for (cli_exited, &wait, CLI_TIMEOUT_MS))
    {
      g_autofree char *err_path = g_build_filename (fx->tmpdir, "cli.err", NULL);
      g_autofree char *err = NULL;

      g_file_get_contents (err_path, &err, NULL, NULL);
      g_subprocess_force_exit (process);
      g_assert_true (kf_gui_test_wait_for (cli_exited, &wait, CLI_TIMEOUT_MS));
      g_error ("keyferry-cli did not end: %s", err != NULL ? err : "");
    }
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

/*
 * Issue 12, item 10: a receiver never sees the key manager's numbers.
 * Another Ion waits and the window has listed him, then it waits itself;
 * a second Ion, a keyferry-cli process, sends it a file.  The offer and
 * the transfer page say "Ion", as the notification does: the receiver
 * has no list the number would tell him apart in.
 */
static void
test_receiver_sees_name_alone (Fixture       *fx,
                               gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "notes.txt", 100000);
  g_autoptr(GFile) folder = g_file_new_for_path (fx->tmpdir);
  g_autoptr(GFile) saved = NULL;
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *receiving = NULL;
  g_autofree char *shot = g_strdup_printf ("offer-dialog-cli-sender-%s", run_language ());
  KfClient *client;
  GtkWidget *dialog;

  flow_start_connected_window (fx);
  flow_peer_wait (flow_connect_peer (fx, "Ion"));
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.send", NULL);
  flow_wait_for_rows (fx->window, 1);
  client = kf_window_get_client (fx->window);
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);

  cli = start_cli_sender (fx, "Ion", file);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  kf_gui_test_screenshot (dialog, shot);
  g_test_message ("offer from: %s; page: %s", flow_row_subtitle (dialog, 0),
                  transfer_title (fx));
  /* The name, then what the contacts say (its identity code last): no
   * number. */
  {
    g_autofree char *from = g_strdup_printf (_("%s · not a contact yet, identity %s"), "Ion", "");

    g_assert_true (g_str_has_prefix (flow_row_subtitle (dialog, 0), from));
    g_assert_null (strchr (flow_row_subtitle (dialog, 0), '#'));
  }
  g_assert_cmpstr (flow_row_subtitle (dialog, 1), ==, "notes.txt");
  /* Translators' text, as the window builds it. */
  {
    g_autofree char *title = g_strdup_printf (_("Receiving from %s"), "Ion");

    g_assert_cmpstr (transfer_title (fx), ==, title);
  }

  flow_accept_offer (dialog, folder, "notes-saved.txt");
  flow_wait_for_page (fx->window, "result");
  receiving = g_strdup_printf (_("Receiving “%s” from %s"), "notes.txt", "Ion");
  g_assert_cmpstr (transfer_title (fx), ==, receiving);

  g_assert_cmpint (wait_cli (fx, cli), ==, 0);
  saved = g_file_new_build_filename (fx->tmpdir, "notes-saved.txt", NULL);
  flow_assert_same_contents (file, saved);
}

/* TRUE when @text is the page's stall message for some number of seconds. */
static gboolean
says_stalled (const char *text)
{
  for (guint seconds = 1; seconds <= 600; seconds++)
    {
      g_autofree char *stalled = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "Stalled: nothing has moved for "
                                                               "%u second",
                                                               "Stalled: nothing has moved for "
                                                               "%u seconds", seconds),
                                                  seconds);

      if (g_strcmp0 (text, stalled) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
page_says_stalled (gpointer data)
{
  return says_stalled (gtk_label_get_text (GTK_LABEL (find_by_id (data, "rate_label"))));
}

/* TRUE once the page shows a rate ("8.1 MB/s · about 3 seconds left"). */
static gboolean
rate_shown (gpointer data)
{
  return strstr (gtk_label_get_text (GTK_LABEL (find_by_id (data, "rate_label"))), "/s") != NULL;
}

/* Makes a sparse file of @size bytes: large on the wire, nothing on disk. */
static GFile *
make_sparse_file (Fixture    *fx,
                  const char *name,
                  goffset     size)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_seekable_truncate (G_SEEKABLE (stream), size, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&file);
}

/*
 * Issue 12, item 5, on the real window: a keyferry-cli process sends
 * 2 GiB (sparse) and is stopped (SIGSTOP) once the page shows a rate.
 * Within a generous bound the page says the transfer stalled and shows
 * neither a rate nor a time left; when the sender goes on (SIGCONT) the
 * stall notice goes, and the window cancels.
 */
static void
test_stalled_sender (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GFile) file = make_sparse_file (fx, "disk.img", (goffset) 2 << 30);
  g_autoptr(GFile) folder = g_file_new_for_path (fx->tmpdir);
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *shot = g_strdup_printf ("transfer-stalled-%s", run_language ());
  GtkWidget *dialog, *page;
  const char *rate, *description;
  gint64 stopped_at;
  int pid;

  flow_start_connected_window (fx);
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (kf_window_get_client (fx->window), KF_CLIENT_STATE_WAITING);
  cli = start_cli_sender (fx, "Ion", file);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  flow_accept_offer (dialog, folder, "disk-saved.img");

  page = transfer_page (fx);
  flow_wait_for_page (fx->window, "transfer");
  g_assert_true (kf_gui_test_wait_for (rate_shown, page, CLI_TIMEOUT_MS));
  pid = atoi (g_subprocess_get_identifier (cli));
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  stopped_at = g_get_monotonic_time ();
  g_test_message ("sender stopped at “%s”, “%s”",
                  gtk_label_get_text (GTK_LABEL (find_by_id (page, "bytes_label"))),
                  gtk_label_get_text (GTK_LABEL (find_by_id (page, "rate_label"))));

  /* What the socket buffers held arrives, then nothing: a stall. */
  if (!kf_gui_test_wait_for (page_says_stalled, page, 30000))
    g_error ("30 s after the sender stopped the page still says “%s”",
             gtk_label_get_text (GTK_LABEL (find_by_id (page, "rate_label"))));
  rate = gtk_label_get_text (GTK_LABEL (find_by_id (page, "rate_label")));
  description = adw_status_page_get_description (ADW_STATUS_PAGE (find_by_id (page,
                                                                              "status_page")));
  g_test_message ("%.1f s after SIGSTOP: “%s” (%s), “%s”",
                  (g_get_monotonic_time () - stopped_at) / (double) G_USEC_PER_SEC, rate,
                  gtk_label_get_text (GTK_LABEL (find_by_id (page, "bytes_label"))),
                  description);
  g_assert_null (strstr (rate, "/s"));
  g_assert_cmpstr (description, ==, _("The transfer goes on by itself if the connection "
                                      "recovers. Cancel it to give up."));
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "transfer");
  kf_gui_test_screenshot (GTK_WIDGET (fx->window), shot);

  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  g_assert_true (kf_gui_test_wait_for (rate_shown, page, 30000));
  flow_click (GTK_WIDGET (fx->window), "win.cancel");
  flow_wait_for_page (fx->window, "result");
  /* The sender learns of the cancel and ends with "cancelled". */
  g_assert_cmpint (wait_cli (fx, cli), ==, 4);
}

int
main (int    argc,
      char **argv)
{
  flow_init (&argc, &argv);

  g_test_add ("/gui/transfer/receiver-sees-sender-name-alone", Fixture, NULL,
              flow_fixture_set_up, test_receiver_sees_name_alone, flow_fixture_tear_down);
  g_test_add ("/gui/transfer/stalled-sender-shows-stall", Fixture, NULL,
              flow_fixture_set_up, test_stalled_sender, flow_fixture_tear_down);

  return flow_run ();
}
