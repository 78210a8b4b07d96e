/* test-gui-screenshots.c: the app's main states rendered to PNG, light and dark,
 * in the language of the run (LANGUAGE=ro for Romanian)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kf-connect-page.h"
#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-passphrase-dialog.h"
#include "kf-preferences-window.h"
#include "kf-result-page.h"
#include "kf-send-files.h"
#include "kf-trust-dialog.h"

/* When set, the shots scroll the visible page's list to its end first. */
static gboolean scroll_to_end;

/* Scrolls every drawn scrolled window under @root to its end. */
static void
scroll_down (GtkWidget *root)
{
  GtkWidget *scrolled;

  kf_gui_test_settle (200);
  for (guint i = 0; (scrolled = kf_gui_test_find_child (root, GTK_TYPE_SCROLLED_WINDOW, i)); i++)
    if (gtk_widget_is_drawable (scrolled))
      {
        GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (
                                                                            scrolled));

        gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment)
                                              - gtk_adjustment_get_page_size (adjustment));
      }
}

/* Renders @widget in the light and the dark style, named by state and language. */
static void
shoot (GtkWidget  *widget,
       const char *state)
{
  const char *language = g_getenv ("LANGUAGE");
  const char *lang = language != NULL && g_str_has_prefix (language, "ro") ? "ro" : "en";
  AdwStyleManager *style = adw_style_manager_get_default ();
  static const struct { AdwColorScheme scheme; const char *name; } styles[] = {
    { ADW_COLOR_SCHEME_FORCE_LIGHT, "light" },
    { ADW_COLOR_SCHEME_FORCE_DARK, "dark" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%s-%s", state, styles[i].name, lang);

      adw_style_manager_set_color_scheme (style, styles[i].scheme);
      kf_gui_test_settle (300);
      if (scroll_to_end)
        scroll_down (widget);
      g_assert_cmpint (adw_style_manager_get_dark (style), ==,
                       styles[i].scheme == ADW_COLOR_SCHEME_FORCE_DARK);
      kf_gui_test_screenshot (widget, name);
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

static gboolean
window_is_narrow (gpointer data)
{
  return gtk_widget_get_width (data) == 360 && gtk_widget_get_height (data) == 640;
}

static gboolean
window_is_wide (gpointer data)
{
  return gtk_widget_get_width (data) > 360;
}

/* Renders the window as before, then at 360×640 (GNOME's narrowest phone
 * size) in the light style, and gives it its size back. */
static void
shoot_window (Fixture    *fx,
              const char *state)
{
  const char *language = g_getenv ("LANGUAGE");
  const char *lang = language != NULL && g_str_has_prefix (language, "ro") ? "ro" : "en";
  g_autofree char *name = g_strdup_printf ("%s-narrow-light-%s", state, lang);
  GtkWindow *window = GTK_WINDOW (fx->window);
  int width, height, frame_width, frame_height;

  shoot (GTK_WIDGET (window), state);
  /* A mapped window keeps its size: the default size applies when mapped,
   * and counts the frame around the window's contents. */
  gtk_window_get_default_size (window, &width, &height);
  frame_width = width - gtk_widget_get_width (GTK_WIDGET (window));
  frame_height = height - gtk_widget_get_height (GTK_WIDGET (window));
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  gtk_window_set_default_size (window, 360 + frame_width, 640 + frame_height);
  gtk_window_present (window);
  g_assert_true (kf_gui_test_wait_for (window_is_narrow, window, TIMEOUT_MS));
  if (scroll_to_end)
    scroll_down (GTK_WIDGET (window));
  kf_gui_test_screenshot (GTK_WIDGET (window), name);
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  gtk_window_set_default_size (window, width, height);
  gtk_window_present (window);
  g_assert_true (kf_gui_test_wait_for (window_is_wide, window, TIMEOUT_MS));
}

/* Sends a large sparse file to @receiver and renders the transfer page
 * while it runs; then cancels it. */
static void
shoot_transfer (Fixture      *fx,
                PeerReceiver *receiver)
{
  flow_send_sparse_file (fx, "holiday-video.mkv", 0.02);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "transfer");
  shoot_window (fx, "transfer");

  flow_cancel_sending (fx, receiver);
  g_assert_true (g_file_delete (receiver->destination, NULL, NULL) || TRUE);
}

/*
 * shoot_tree_send:
 *
 * The Send view with a folder and two files chosen for Ana, then the
 * transfer page while the large file follows the folder; then cancels.
 */
static void
shoot_tree_send (Fixture      *fx,
                 KfClient     *ana,
                 PeerReceiver *receiver,
                 GFile        *report)
{
  g_autoptr(GFile) photos = flow_make_tree (fx, "holiday-photos");
  g_autoptr(GFile) video = flow_sparse_file (fx, "holiday-video.mkv");
  GFile *items[] = { photos, report, video };

  flow_choose_tree (fx, ana, receiver, items, G_N_ELEMENTS (items));
  scroll_to_end = TRUE;
  shoot_window (fx, "send-tree");
  scroll_to_end = FALSE;

  flow_conn_until_progress (fx, 0.01);
  shoot_window (fx, "transfer-tree");
  flow_cancel_sending (fx, receiver);
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
}

/* Mihai sends a folder and a file; the offer, then the received list. */
static void
shoot_tree_receive (Fixture  *fx,
                    KfClient *mihai,
                    GFile    *report)
{
  g_autoptr(GFile) photos = g_file_new_build_filename (fx->tmpdir, "holiday-photos", NULL);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog;

  dialog = flow_offer_tree_to_window (fx, mihai, photos, report, &send_wait);
  shoot (dialog, "offer-tree");
  outcome = flow_accept_to_result (fx, dialog, mihai, &send_wait);
  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CONFIRMED);
  scroll_to_end = TRUE;
  shoot_window (fx, "result-tree");
  scroll_to_end = FALSE;
}

/* The main states of the app, light and dark, for docs/screenshots. */
static void
test_screenshots (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GFile) report = flow_make_file (fx, "quarterly-report.pdf", 2 * 1024 * 1024 + 77);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "video-received.mkv", NULL);
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  g_autoptr(KfOutcome) outcome = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *check, *warning, *prefs;
  KfClient *mihai;

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", downloads);

  /* First launch: the connect page. */
  kf_application_set_overrides (fx->app, NULL, 0, "Elena Marin", NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  shoot_window (fx, "connect");
  /* Two key managers announced on the network: one new, one trusted. */
  g_object_unref (flow_show_discovered (fx));
  shoot_window (fx, "connect-discovered");
  gtk_window_destroy (GTK_WINDOW (fx->window));

  flow_start_window (fx, FALSE);
  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  shoot (dialog, "trust");
  kf_gui_test_respond (dialog, "trust");
  flow_wait_for_page (fx->window, "main");
  shoot_window (fx, "home");

  mihai = flow_drop_on_receiver (fx, &receiver, report);
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  shoot_window (fx, "send");

  shoot_transfer (fx, &receiver);
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
  /* flow_drop_on_receiver() connected Ana first. */
  shoot_tree_send (fx, g_ptr_array_index (fx->peers, 0), &receiver, report);

  flow_window_waits_instead (fx, mihai);
  shoot_window (fx, "waiting");
  flow_offer_to_window (fx, mihai, report, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  shoot (dialog, "offer");
  outcome = flow_accept_to_result (fx, dialog, mihai, &send_wait);
  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CONFIRMED);
  shoot_window (fx, "result");
  shoot_tree_receive (fx, mihai, report);

  warning = kf_identity_warning_new (GTK_WINDOW (fx->window), "127.0.0.1", fx->port,
                                     "00112233445566778899aabbccddeeff"
                                     "00112233445566778899aabbccddeeff",
                                     fx->fingerprint);
  gtk_window_present (GTK_WINDOW (warning));
  shoot (warning, "changed-identity");
  gtk_window_destroy (GTK_WINDOW (warning));

  /* A join link whose fingerprint is not the key manager's. */
  warning = kf_identity_warning_new (GTK_WINDOW (fx->window), "127.0.0.1", fx->port, NULL,
                                     fx->fingerprint);
  kf_identity_warning_set_expected (KF_IDENTITY_WARNING (warning),
                                    "00112233445566778899aabbccddeeff"
                                    "00112233445566778899aabbccddeeff");
  gtk_window_present (GTK_WINDOW (warning));
  shoot (warning, "join-link-mismatch");
  gtk_window_destroy (GTK_WINDOW (warning));

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "preferences", NULL);
  prefs = flow_wait_for_window (KF_TYPE_PREFERENCES_WINDOW);
  shoot (prefs, "preferences");
  gtk_window_destroy (GTK_WINDOW (prefs));

  g_settings_reset (settings, "download-folder");
  g_object_unref (receiver.destination);
}

int
main (int    argc,
      char **argv)
{
  flow_init (&argc, &argv);

  flow_add_test ("/gui/screenshots/main-states", test_screenshots);

  return flow_run ();
}
