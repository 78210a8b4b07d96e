/* kf-gui-a11y-driver.c: drives the app through every page and dialog, against
 * a real key manager, for test-gui-a11y.py, which walks the accessibility
 * tree (AT-SPI) at each stop.
 *
 * At each stop it prints "KF-A11Y STATE <name>" on stdout and waits for a
 * line on stdin before going on; "KF-A11Y DONE" ends the run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>

#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-identity-warning.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-preferences-window.h"
#include "kf-trust-dialog.h"

static GDataInputStream *control;

typedef struct
{
  gboolean  done;
  char     *line;
} LineWait;

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineWait *wait = user_data;

  wait->line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result,
                                                     NULL, NULL);
  wait->done = TRUE;
}

static gboolean
line_read (gpointer data)
{
  return ((LineWait *) data)->done;
}

/* Says which state the app shows and waits (main loop running) until the
 * walker has looked at it. */
static void
stop_at (const char *state)
{
  LineWait wait = { FALSE, NULL };

  kf_gui_test_settle (300);
  printf ("KF-A11Y STATE %s\n", state);
  fflush (stdout);
  g_data_input_stream_read_line_async (control, G_PRIORITY_DEFAULT, NULL, on_line, &wait);
  g_assert_true (kf_gui_test_wait_for (line_read, &wait, 120000));
  g_assert_nonnull (wait.line);
  g_free (wait.line);
}

/* The transfer page while a large sparse file goes to @receiver; then the
 * cancelled result. */
static void
visit_transfer (Fixture      *fx,
                PeerReceiver *receiver)
{
  flow_send_sparse_file (fx, "holiday-video.mkv", 0.01);
  stop_at ("transfer");

  flow_cancel_sending (fx, receiver);
  stop_at ("result-cancelled");
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
}

/* The Send view with a folder and a large file, the transfer page
 * counting files, then the cancelled result listing them. */
static void
visit_tree_send (Fixture      *fx,
                 KfClient     *ana,
                 PeerReceiver *receiver)
{
  g_autoptr(GFile) photos = flow_make_tree (fx, "holiday-photos");
  g_autoptr(GFile) video = flow_sparse_file (fx, "holiday-video.mkv");
  GFile *items[] = { photos, video };

  flow_choose_tree (fx, ana, receiver, items, G_N_ELEMENTS (items));
  stop_at ("send-tree");

  flow_conn_until_progress (fx, 0.01);
  stop_at ("transfer-tree");
  flow_cancel_sending (fx, receiver);
  stop_at ("result-tree-cancelled");
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
}

/* A folder and a file offered to the window: the offer, the folder
 * chooser, the result listing what arrived. */
static void
visit_tree_receive (Fixture  *fx,
                    KfClient *sender,
                    GFile    *file)
{
  g_autoptr(GFile) photos = g_file_new_build_filename (fx->tmpdir, "holiday-photos", NULL);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog;

  dialog = flow_offer_tree_to_window (fx, sender, photos, file, &send_wait);
  stop_at ("offer-tree");
  outcome = flow_accept_to_result (fx, dialog, sender, &send_wait);
  stop_at ("result-tree");
}

/* Waiting, the offer dialog, and the result of a received file. */
static void
visit_receiving (Fixture  *fx,
                 KfClient *sender,
                 GFile    *file)
{
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog;

  flow_window_waits_instead (fx, sender);
  stop_at ("waiting");

  flow_offer_to_window (fx, sender, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  stop_at ("offer");
  outcome = flow_accept_to_result (fx, dialog, sender, &send_wait);
  stop_at ("result");
}

static void
test_visit_everything (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(GFile) report = flow_make_file (fx, "quarterly-report.pdf", 2 * 1024 * 1024 + 77);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "video-received.mkv", NULL);
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  GSettings *settings = kf_application_get_settings (fx->app);
  GtkWidget *dialog, *prefs, *warning;
  KfClient *mihai;

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", downloads);

  kf_application_set_overrides (fx->app, NULL, 0, "Elena Marin", NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  stop_at ("connect");
  g_object_unref (flow_show_discovered (fx));
  stop_at ("connect-discovered");
  gtk_window_destroy (GTK_WINDOW (fx->window));

  flow_start_window (fx, FALSE);
  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  stop_at ("trust");
  kf_gui_test_respond (dialog, "trust");
  flow_wait_for_page (fx->window, "main");
  stop_at ("home");

  mihai = flow_drop_on_receiver (fx, &receiver, report);
  kf_main_page_set_mode (KF_MAIN_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                               KF_TYPE_MAIN_PAGE, 0)),
                         KF_CIPHER_MODE_CBC);
  stop_at ("send");

  visit_transfer (fx, &receiver);
  /* flow_drop_on_receiver() connected Ana first. */
  visit_tree_send (fx, g_ptr_array_index (fx->peers, 0), &receiver);
  visit_receiving (fx, mihai, report);
  visit_tree_receive (fx, mihai, report);

  warning = kf_identity_warning_new (GTK_WINDOW (fx->window), "127.0.0.1", fx->port,
                                     "00112233445566778899aabbccddeeff"
                                     "00112233445566778899aabbccddeeff",
                                     fx->fingerprint);
  gtk_window_present (GTK_WINDOW (warning));
  stop_at ("changed-identity");
  gtk_window_destroy (GTK_WINDOW (warning));

  warning = kf_identity_warning_new (GTK_WINDOW (fx->window), "127.0.0.1", fx->port, NULL,
                                     fx->fingerprint);
  kf_identity_warning_set_expected (KF_IDENTITY_WARNING (warning),
                                    "00112233445566778899aabbccddeeff"
                                    "00112233445566778899aabbccddeeff");
  gtk_window_present (GTK_WINDOW (warning));
  stop_at ("join-link-mismatch");
  gtk_window_destroy (GTK_WINDOW (warning));

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "preferences", NULL);
  prefs = flow_wait_for_window (KF_TYPE_PREFERENCES_WINDOW);
  stop_at ("preferences");
  gtk_window_destroy (GTK_WINDOW (prefs));

  printf ("KF-A11Y DONE\n");
  fflush (stdout);
  g_settings_reset (settings, "download-folder");
  g_object_unref (receiver.destination);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (STDIN_FILENO, FALSE);

  control = g_data_input_stream_new (input);
  flow_init (&argc, &argv);

  flow_add_test ("/gui/a11y/visit-everything", test_visit_everything);

  return flow_run ();
}
