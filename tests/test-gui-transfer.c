/* test-gui-transfer.c: the window receiving one file from a real
 * keyferry-cli process through a real key manager: how the sender is
 * named on the receiving side, what the transfer page says when the
 * sender stalls.  Trees are test-gui-tree.c's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-gui-transfer-util.h"
#include "kf-gui-util.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-peer-row.h"
#include "kf-result-page.h"
#include "kf-transfer-page.h"
#include "kf-untrusted.h"

static const char *
transfer_title (Fixture *fx)
{
  return adw_status_page_get_title (ADW_STATUS_PAGE (xfer_by_id (xfer_page (fx),
                                                                 "status_page")));
}

static GSubprocess *
start_cli_sender (Fixture    *fx,
                  const char *name,
                  GFile      *file)
{
  return xfer_start_cli (fx, name, &file, 1);
}

/*
 * Issue 12, item 10: a receiver never sees the key manager's numbers.
 * Another Ion waits and the window has listed him, then it waits itself;
 * a second Ion, a keyferry-cli process, sends it a file.  (Since a name
 * belongs to one identity, the two Ions are one person: the waiting one
 * uses the identity keyferry-cli keeps in this test's data folder.)  The offer and
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
  g_autofree char *shot = g_strdup_printf ("offer-dialog-cli-sender-%s", xfer_language ());
  KfClient *client;
  GtkWidget *dialog;

  flow_start_connected_window (fx);
  {
    g_autofree char *path = kf_identity_default_path ();
    g_autoptr(GError) error = NULL;
    g_autoptr(KfIdentity) ion = kf_identity_load_or_create (path, &error);

    g_assert_no_error (error);
    flow_peer_wait (flow_connect_peer_as (fx, "Ion", ion));
  }
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

  g_assert_cmpint (xfer_wait_cli (fx, cli), ==, 0);
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
  return says_stalled (gtk_label_get_text (GTK_LABEL (xfer_by_id (data, "rate_label"))));
}

/* TRUE once the page shows a rate ("8.1 MB/s · about 3 seconds left"). */
static gboolean
rate_shown (gpointer data)
{
  return strstr (gtk_label_get_text (GTK_LABEL (xfer_by_id (data, "rate_label"))), "/s") != NULL;
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
  g_autoptr(GFile) file = xfer_sparse_file (fx, "disk.img", (goffset) 2 << 30);
  g_autoptr(GFile) folder = g_file_new_for_path (fx->tmpdir);
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *shot = g_strdup_printf ("transfer-stalled-%s", xfer_language ());
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

  page = xfer_page (fx);
  flow_wait_for_page (fx->window, "transfer");
  g_assert_true (kf_gui_test_wait_for (rate_shown, page, CLI_TIMEOUT_MS));
  pid = atoi (g_subprocess_get_identifier (cli));
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  stopped_at = g_get_monotonic_time ();
  g_test_message ("sender stopped at “%s”, “%s”",
                  gtk_label_get_text (GTK_LABEL (xfer_by_id (page, "bytes_label"))),
                  gtk_label_get_text (GTK_LABEL (xfer_by_id (page, "rate_label"))));

  /* What the socket buffers held arrives, then nothing: a stall. */
  if (!kf_gui_test_wait_for (page_says_stalled, page, 30000))
    g_error ("30 s after the sender stopped the page still says “%s”",
             gtk_label_get_text (GTK_LABEL (xfer_by_id (page, "rate_label"))));
  rate = gtk_label_get_text (GTK_LABEL (xfer_by_id (page, "rate_label")));
  description = adw_status_page_get_description (ADW_STATUS_PAGE (xfer_by_id (page,
                                                                              "status_page")));
  g_test_message ("%.1f s after SIGSTOP: “%s” (%s), “%s”",
                  (g_get_monotonic_time () - stopped_at) / (double) G_USEC_PER_SEC, rate,
                  gtk_label_get_text (GTK_LABEL (xfer_by_id (page, "bytes_label"))),
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
  g_assert_cmpint (xfer_wait_cli (fx, cli), ==, 4);
}

int
main (int    argc,
      char **argv)
{
  flow_init (&argc, &argv);

  flow_add_test ("/gui/transfer/receiver-sees-sender-name-alone", test_receiver_sees_name_alone);
  flow_add_test ("/gui/transfer/stalled-sender-shows-stall", test_stalled_sender);

  return flow_run ();
}
