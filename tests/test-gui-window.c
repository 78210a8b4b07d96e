/* test-gui-window.c: the window as a person meets it, against a real key
 * manager: the chosen peer never changes under them, reconnections, narrow
 * and large windows, actions that are off when they cannot work
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <unistd.h>

#include "kf-discovered-server.h"
#include "kf-fingerprint.h"
#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-join-link.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-peer-row.h"
#include "kf-preferences-window.h"
#include "kf-transfer-page.h"
#include "kf-trust-dialog.h"

static GtkWidget *
window_child (Fixture    *fx,
              const char *id)
{
  GtkWidget *widget = kf_gui_test_find_by_id (GTK_WIDGET (fx->window), id);

  g_assert_nonnull (widget);
  return widget;
}

static KfMainPage *
main_page (Fixture *fx)
{
  return KF_MAIN_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_MAIN_PAGE, 0));
}

static GtkWidget *
peer_row_named (Fixture    *fx,
                const char *name)
{
  GtkWidget *row;

  for (guint i = 0; (row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW,
                                                   i)) != NULL; i++)
    if (g_strcmp0 (kf_peer_row_get_peer_name (KF_PEER_ROW (row)), name) == 0)
      return row;
  return NULL;
}

static gboolean
has_accel (const char *action,
           const char *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (flow_app),
                                                                action);

  return g_strv_contains ((const char * const *) accels, accel);
}

/* Opens the Send view with @names waiting (their clients in fx->peers). */
static void
open_send_view (Fixture            *fx,
                const char * const *names)
{
  guint n = 0;

  for (; names[n] != NULL; n++)
    flow_peer_wait (flow_connect_peer (fx, names[n]));
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.send", NULL);
  flow_wait_for_rows (fx->window, n);
}

/* Item 1: the chosen peer leaves while their row has focus; nothing else
 * becomes chosen, Send is off and the page says who left. */
static void
test_chosen_peer_leaves (Fixture       *fx,
                         gconstpointer  data)
{
  static const char * const names[] = { "Ana", "Bogdan", "Cezar", NULL };
  g_autoptr(GFile) file = flow_make_file (fx, "plan.txt", 1000);
  GtkWidget *row, *conn, *notice;
  KfClient *bogdan;

  flow_start_connected_window (fx);
  open_send_view (fx, names);
  bogdan = fx->peers->pdata[1];

  row = peer_row_named (fx, "Bogdan");
  gtk_widget_grab_focus (row);
  g_signal_emit_by_name (row, "activate");
  kf_main_page_set_file (main_page (fx), file);
  kf_main_page_set_mode (main_page (fx), KF_CIPHER_MODE_CBC);
  conn = flow_find_action_button (GTK_WIDGET (fx->window), "win.conn");
  g_assert_true (gtk_widget_is_sensitive (conn));

  g_ptr_array_remove (fx->peers, bogdan);
  flow_wait_for_rows (fx->window, 2);
  kf_gui_test_settle (300);

  g_assert_false (kf_main_page_get_choice (main_page (fx), NULL, NULL, NULL, NULL));
  g_assert_false (gtk_widget_is_sensitive (conn));
  for (guint i = 0; (row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW,
                                                   i)) != NULL; i++)
    g_assert_false (kf_peer_row_get_chosen (KF_PEER_ROW (row)));
  notice = window_child (fx, "left_label");
  g_assert_true (gtk_widget_is_drawable (notice));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (notice)), "Bogdan"));
}

/* The receiver declines an offer: the result page, with the key manager up. */
static void
show_declined_result (Fixture *fx)
{
  g_autoptr(GFile) file = flow_make_file (fx, "notes.txt", 4000);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog;
  KfClient *ion;

  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  kf_gui_test_respond (dialog, "decline");
  flow_wait_for_page (fx->window, "result");
  outcome = flow_finish_sending (ion, &send_wait);
}

/* Item 2: Back to Start pressed while reconnecting; once reconnected the
 * window offers Wait and Send again. */
static void
test_back_to_start_while_reconnecting (Fixture       *fx,
                                       gconstpointer  data)
{
  KfClient *client;

  flow_start_connected_window (fx);
  client = kf_window_get_client (fx->window);
  show_declined_result (fx);

  flow_stop_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_RECONNECTING);
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  kf_gui_test_settle (100);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), !=, "connect");

  flow_restart_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_IDLE);
  kf_gui_test_settle (200);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "main");
  g_assert_true (gtk_widget_is_drawable (window_child (fx, "wait_button")));
  g_assert_true (gtk_widget_is_sensitive (window_child (fx, "wait_button")));
  g_assert_true (gtk_widget_is_sensitive (window_child (fx, "send_button")));
}

/* Item 4: while reconnecting, Wait and Send are off, and the waiting page
 * does not claim that others can see you. */
static void
test_reconnecting_disables_actions (Fixture       *fx,
                                    gconstpointer  data)
{
  g_autofree char *listed = NULL;
  KfClient *client;
  GtkWidget *waiting;

  flow_start_connected_window (fx);
  client = kf_window_get_client (fx->window);

  flow_stop_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_RECONNECTING);
  kf_gui_test_settle (100);
  g_assert_false (gtk_widget_is_sensitive (window_child (fx, "wait_button")));
  g_assert_false (gtk_widget_is_sensitive (window_child (fx, "send_button")));

  flow_restart_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_IDLE);
  kf_gui_test_settle (100);
  g_assert_true (gtk_widget_is_sensitive (window_child (fx, "wait_button")));
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.wait", NULL);
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);
  kf_gui_test_settle (100);
  waiting = window_child (fx, "waiting_status");
  listed = g_strdup (adw_status_page_get_description (ADW_STATUS_PAGE (waiting)));
  g_assert_true (gtk_widget_is_sensitive (window_child (fx, "stop_waiting_button")));

  flow_stop_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_RECONNECTING);
  kf_gui_test_settle (100);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (waiting)), !=, listed);
  g_assert_false (gtk_widget_is_sensitive (window_child (fx, "stop_waiting_button")));

  flow_restart_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);
  kf_gui_test_settle (100);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (waiting)), ==, listed);
}

/* The window fits 360×640, GNOME's narrowest phone size, whatever it shows. */
static void
assert_fits_phone (Fixture    *fx,
                   const char *what)
{
  int min_width = 0, min_height = 0;

  gtk_widget_measure (GTK_WIDGET (fx->window), GTK_ORIENTATION_HORIZONTAL, -1,
                      &min_width, NULL, NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (fx->window), GTK_ORIENTATION_VERTICAL, 360,
                      &min_height, NULL, NULL, NULL);
  g_test_message ("%s: at least %d × %d px", what, min_width, min_height);
  g_assert_cmpint (min_width, <=, 360);
  g_assert_cmpint (min_height, <=, 640);
}

/* Item 3: every page works at 360×640 (the run in Romanian checks it too). */
static void
test_narrow (Fixture       *fx,
             gconstpointer  data)
{
  static const char * const names[] = { "Alexandra-Ecaterina Constantinescu-Dumitrescu", NULL };
  g_autoptr(GFile) file = flow_make_file (fx, "raport-trimestrial-final-semnat.pdf", 5000);
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);
  GSettings *settings = kf_application_get_settings (fx->app);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog;
  KfClient *ion;

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", downloads);
  flow_start_connected_window (fx);
  assert_fits_phone (fx, "home");

  open_send_view (fx, names);
  kf_main_page_set_file (main_page (fx), file);
  assert_fits_phone (fx, "send");
  flow_click (GTK_WIDGET (fx->window), "win.back");

  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  assert_fits_phone (fx, "waiting");
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  flow_accept_offer (dialog, NULL, NULL);
  flow_wait_for_page (fx->window, "result");
  outcome = flow_finish_sending (ion, &send_wait);
  assert_fits_phone (fx, "result");
  g_settings_reset (settings, "download-folder");
}

/* Item 3: 50 waiting peers in a 1280×900 window: Send stays on screen and
 * the search narrows the list. */
static void
test_many_peers (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  graphene_rect_t bounds;
  GtkWidget *conn, *search;

  for (guint i = 1; i <= 50; i++)
    g_ptr_array_add (names, g_strdup_printf ("Peer %02u", i));
  g_ptr_array_add (names, NULL);

  flow_start_window (fx, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 1280, 900);
  flow_wait_for_page (fx->window, "main");
  open_send_view (fx, (const char * const *) names->pdata);
  kf_gui_test_settle (300);

  conn = flow_find_action_button (GTK_WIDGET (fx->window), "win.conn");
  g_assert_nonnull (conn);
  g_assert_true (gtk_widget_compute_bounds (conn, GTK_WIDGET (fx->window), &bounds));
  g_test_message ("Send at y = %.0f..%.0f in a window %d px high", bounds.origin.y,
                  bounds.origin.y + bounds.size.height, gtk_widget_get_height (GTK_WIDGET (fx->window)));
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=,
                     gtk_widget_get_height (GTK_WIDGET (fx->window)));

  search = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_SEARCH_ENTRY, 0);
  g_assert_nonnull (search);
  gtk_editable_set_text (GTK_EDITABLE (search), "peer 42");
  flow_wait_for_rows (fx->window, 1);
  g_assert_nonnull (peer_row_named (fx, "Peer 42"));
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  flow_wait_for_rows (fx->window, 50);
}

/* The keyboard focus of @window is on the button that runs @action. */
static void
assert_focus_on_action (GtkWindow  *window,
                        const char *action)
{
  GtkWidget *focus = gtk_window_get_focus (window);

  g_test_message ("focus on %s", focus != NULL ? G_OBJECT_TYPE_NAME (focus) : "nothing");
  g_assert_true (GTK_IS_BUTTON (focus));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (focus)), ==, action);
}

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (data);

  return file != NULL;
}

static gboolean
page_has_file (gpointer data)
{
  g_autoptr(GPtrArray) files = kf_main_page_dup_files (data);

  return files->len > 0;
}

/* Item 9: each page and dialog starts the keyboard on its action; Ctrl+O
 * on the home view opens the Send view with the chosen file. */
static void
test_focus (Fixture       *fx,
            gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "notes.txt", 4000);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *focus, *chooser;
  KfClient *ion;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  kf_gui_test_settle (200);
  focus = gtk_window_get_focus (GTK_WINDOW (dialog));
  g_test_message ("offer: focus on %s", focus != NULL ? G_OBJECT_TYPE_NAME (focus) : "nothing");
  g_assert_true (GTK_IS_BUTTON (focus));
  kf_gui_test_respond (dialog, "decline");
  flow_wait_for_page (fx->window, "result");
  outcome = flow_finish_sending (ion, &send_wait);
  kf_gui_test_settle (200);
  assert_focus_on_action (GTK_WINDOW (fx->window), "win.back-to-start");

  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
  g_assert_cmpint (kf_main_page_get_view (main_page (fx)), ==, KF_MAIN_VIEW_HOME);
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.choose-file", NULL);
  chooser = flow_wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL));
  g_assert_true (kf_gui_test_wait_for (chooser_has_file, chooser, TIMEOUT_MS));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  g_assert_true (kf_gui_test_wait_for (page_has_file, main_page (fx), TIMEOUT_MS));
  kf_gui_test_settle (200);
  g_assert_cmpint (kf_main_page_get_view (main_page (fx)), ==, KF_MAIN_VIEW_SEND);
  {
    g_autoptr(GPtrArray) files = kf_main_page_dup_files (main_page (fx));

    g_assert_cmpuint (files->len, ==, 1);
    g_assert_true (g_file_equal (files->pdata[0], file));
  }
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Starts sending a large sparse file to a peer called Ion, who accepts. */
static void
start_long_transfer (Fixture      *fx,
                     PeerReceiver *receiver)
{
  static const char * const names[] = { "Ion", NULL };
  g_autoptr(GFile) big = flow_sparse_file (fx, "big.iso");
  KfClient *ion;

  flow_start_connected_window (fx);
  open_send_view (fx, names);
  ion = fx->peers->pdata[0];
  g_signal_connect (ion, "offer", G_CALLBACK (flow_on_peer_offer), receiver);
  g_signal_connect (ion, "finished", G_CALLBACK (flow_on_peer_finished), receiver);
  g_assert_true (kf_gui_test_drop_file (peer_row_named (fx, "Ion"), big));
  kf_main_page_set_mode (main_page (fx), KF_CIPHER_MODE_CFB);
  flow_conn_until_progress (fx, 0.01);
}

/* Item 8: closing the window mid-transfer asks first; keeping it keeps the
 * transfer, stopping it tells the other side. */
static void
test_close_mid_transfer (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "big-received.iso", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  g_autoptr(GtkWidget) dialog = NULL;
  KfClient *client;

  start_long_transfer (fx, &receiver);
  client = kf_window_get_client (fx->window);
  assert_focus_on_action (GTK_WINDOW (fx->window), "win.cancel");
  /* Only one Ion waits: no number in the title (item 10). */
  {
    GtkWidget *page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_TRANSFER_PAGE, 0);
    GtkWidget *status = kf_gui_test_find_child (page, ADW_TYPE_STATUS_PAGE, 0);
    const char *title = adw_status_page_get_title (ADW_STATUS_PAGE (status));

    g_assert_nonnull (strstr (title, "Ion"));
    g_assert_null (strstr (title, "#"));
  }
  g_object_add_weak_pointer (G_OBJECT (fx->window), (gpointer *) &fx->window);

  gtk_window_close (GTK_WINDOW (fx->window));
  dialog = g_object_ref (flow_wait_for_window (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (fx->window);
  kf_gui_test_respond (dialog, "cancel");
  kf_gui_test_settle (200);
  g_assert_nonnull (fx->window);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "transfer");
  g_assert_cmpint (kf_client_get_state (client), ==, KF_CLIENT_STATE_TRANSFERRING);
  g_clear_object (&dialog);

  gtk_window_close (GTK_WINDOW (fx->window));
  kf_gui_test_respond (flow_wait_for_window (ADW_TYPE_MESSAGE_DIALOG), "close");
  g_assert_true (kf_gui_test_wait_for (is_null, &fx->window, TIMEOUT_MS));
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, &receiver, TIMEOUT_MS));
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (g_file_query_exists (receiver.destination, NULL));

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

static void
on_offer_hold (KfClient  *peer,
               KfOffer   *offer,
               KfOffer  **held)
{
  *held = g_object_ref (offer);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

/* Item 6: while the receiver decides, the sender's page says so. */
static void
test_receiver_deciding (Fixture       *fx,
                        gconstpointer  data)
{
  static const char * const names[] = { "Ion", NULL };
  g_autoptr(GFile) file = flow_make_file (fx, "plan.txt", 100000);
  g_autoptr(KfOffer) offer = NULL;
  GtkWidget *page, *status;
  KfClient *ion;

  flow_start_connected_window (fx);
  open_send_view (fx, names);
  ion = fx->peers->pdata[0];
  g_signal_connect (ion, "offer", G_CALLBACK (on_offer_hold), &offer);
  g_assert_true (kf_gui_test_drop_file (peer_row_named (fx, "Ion"), file));
  kf_main_page_set_mode (main_page (fx), KF_CIPHER_MODE_CBC);
  flow_click (GTK_WIDGET (fx->window), "win.conn");
  g_assert_true (kf_gui_test_wait_for (is_set, &offer, TIMEOUT_MS));
  kf_gui_test_settle (300);

  page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_TRANSFER_PAGE, 0);
  status = kf_gui_test_find_child (page, ADW_TYPE_STATUS_PAGE, 0);
  g_test_message ("while Ion decides: %s", adw_status_page_get_description (ADW_STATUS_PAGE (status)));
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), "Ion"));

  kf_client_decline_offer (ion);
  flow_wait_for_page (fx->window, "result");
}

static gboolean
on_silent_incoming (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source,
                    GPtrArray         *held)
{
  g_ptr_array_add (held, g_object_ref (connection));
  return TRUE;
}

/* Item 13: a connection attempt to a key manager that never answers can
 * be cancelled at once from the connect page. */
static void
test_cancel_connecting (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GSocketService) silent = g_socket_service_new ();
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *cancel;

  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (silent), address,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, &error));
  g_assert_no_error (error);
  g_signal_connect (silent, "incoming", G_CALLBACK (on_silent_incoming), held);

  kf_application_set_overrides (fx->app, "127.0.0.1",
                                g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)),
                                "Gui", fx->fingerprint);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  kf_gui_test_settle (300);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");

  cancel = flow_find_action_button (GTK_WIDGET (fx->window), "win.cancel");
  g_assert_nonnull (cancel);
  g_assert_true (gtk_widget_is_sensitive (cancel));
  g_signal_emit_by_name (cancel, "clicked");
  kf_gui_test_settle (100);
  g_assert_null (kf_window_get_client (fx->window));
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  g_assert_true (gtk_widget_is_sensitive (flow_find_action_button (GTK_WIDGET (fx->window),
                                                                   "win.connect")));
  g_socket_service_stop (silent);
}

/* Item 13: the header's back button and Escape leave the Send view. */
static void
test_back_and_escape (Fixture       *fx,
                      gconstpointer  data)
{
  static const char * const names[] = { "Ion", NULL };
  GtkWidget *back;

  flow_start_connected_window (fx);
  back = window_child (fx, "back_button");
  g_assert_false (gtk_widget_get_visible (back));
  open_send_view (fx, names);
  kf_gui_test_settle (100);
  g_assert_true (gtk_widget_get_visible (back));
  g_assert_true (has_accel ("win.go-back", "Escape"));
  g_signal_emit_by_name (back, "clicked");
  g_assert_cmpint (kf_main_page_get_view (main_page (fx)), ==, KF_MAIN_VIEW_HOME);
  g_assert_false (gtk_widget_get_visible (back));
  g_assert_false (has_accel ("win.show-help-overlay", "F1"));
  g_assert_true (has_accel ("win.wait", "<Control>r"));
  g_assert_true (has_accel ("win.cancel", "<Control>period"));
}

/* Item 7: a reconnection that meets another certificate warns at once,
 * and the connect page says why, in full; the header stays short. */
static void
test_identity_changed_on_reconnect (Fixture       *fx,
                                    gconstpointer  data)
{
  KfClient *client;
  GtkWidget *warning, *error_label;

  flow_start_connected_window (fx);
  client = kf_window_get_client (fx->window);
  flow_stop_server (fx);
  flow_wait_for_state (client, KF_CLIENT_STATE_RECONNECTING);
  flow_restart_server_as_other (fx);

  warning = flow_wait_for_window (KF_TYPE_IDENTITY_WARNING);
  g_assert_nonnull (warning);
  flow_wait_for_page (fx->window, "connect");
  error_label = window_child (fx, "error_label");
  g_assert_true (gtk_widget_is_drawable (error_label));
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (error_label)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), ==,
                   kf_client_get_last_error (client));
  g_test_message ("header: %s", kf_window_get_status (fx->window));
  g_assert_null (strstr (kf_window_get_status (fx->window), kf_client_get_last_error (client)));
  kf_gui_test_respond (warning, "close");
}

/* Opens @link through the app's open path, as the desktop's keyferry:
 * handler does; the window it opens becomes the fixture's. */
static void
open_link (Fixture    *fx,
           const char *link)
{
  g_autoptr(GFile) file = g_file_new_for_uri (link);

  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (fx->app)));
  g_application_open (G_APPLICATION (fx->app), &file, 1, "");
  fx->window = KF_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fx->app)));
  g_assert_nonnull (fx->window);
}

static void
forget_saved_server (Fixture *fx)
{
  GSettings *settings = kf_application_get_settings (fx->app);

  g_settings_reset (settings, "server-host");
  g_settings_reset (settings, "server-port");
}

static void
assert_saved_server (Fixture    *fx,
                     const char *host,
                     guint16     port)
{
  GSettings *settings = kf_application_get_settings (fx->app);
  g_autofree char *saved = g_settings_get_string (settings, "server-host");
  guint16 saved_port = 0;

  g_settings_get (settings, "server-port", "q", &saved_port);
  g_assert_cmpstr (saved, ==, host);
  g_assert_cmpuint (saved_port, ==, port);
}

/* Issue 16, item 3: a join link opened through the app's open path
 * connects and trusts in one step: no trust dialog, the fingerprint
 * pinned, and the key manager is the one the app starts with next. */
static void
test_join_link (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *link = kf_join_link_format ("127.0.0.1", fx->port, fx->fingerprint);
  KfKnownServers *known = kf_application_get_known_servers (fx->app);

  forget_saved_server (fx);
  open_link (fx, link);
  flow_wait_for_page (fx->window, "main");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_IDLE);
  g_assert_null (kf_gui_test_find_window (KF_TYPE_TRUST_DIALOG));
  g_assert_cmpstr (kf_known_servers_lookup (known, "127.0.0.1", fx->port), ==, fx->fingerprint);
  assert_saved_server (fx, "127.0.0.1", fx->port);
  forget_saved_server (fx);
}

/* Issue 16, item 3: a link whose fingerprint is not the key manager's is
 * the hard failure: the warning and the connect page name both
 * fingerprints; nothing is trusted, pinned or saved. */
static void
test_join_link_mismatch (Fixture       *fx,
                         gconstpointer  data)
{
  static const char wrong[] = "00112233445566778899aabbccddeeff"
                              "00112233445566778899aabbccddeeff";
  g_autofree char *link = kf_join_link_format ("127.0.0.1", fx->port, wrong);
  g_autofree char *wrong_grouped = kf_gui_format_fingerprint (wrong);
  g_autofree char *real_grouped = kf_gui_format_fingerprint (fx->fingerprint);
  g_autofree char *wrong_pretty = kf_fingerprint_format_pretty (wrong);
  g_autofree char *real_pretty = kf_fingerprint_format_pretty (fx->fingerprint);
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  GtkWidget *warning, *expected, *presented;
  const char *reason;

  forget_saved_server (fx);
  open_link (fx, link);
  warning = flow_wait_for_window (KF_TYPE_IDENTITY_WARNING);
  flow_wait_for_page (fx->window, "connect");
  kf_gui_test_settle (100);

  expected = kf_gui_test_find_by_id (warning, "expected_label");
  presented = kf_gui_test_find_by_id (warning, "presented_label");
  g_assert_true (gtk_widget_is_drawable (expected));
  g_assert_true (gtk_widget_is_drawable (presented));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (expected)), ==, wrong_grouped);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (presented)), ==, real_grouped);

  reason = gtk_label_get_text (GTK_LABEL (window_child (fx, "error_label")));
  g_test_message ("connect page: %s", reason);
  g_assert_nonnull (strstr (reason, wrong_pretty));
  g_assert_nonnull (strstr (reason, real_pretty));

  g_assert_null (kf_gui_test_find_window (KF_TYPE_TRUST_DIALOG));
  g_assert_null (kf_known_servers_lookup (known, "127.0.0.1", fx->port));
  assert_saved_server (fx, "", 0);
  kf_gui_test_respond (warning, "close");
}

/* Issue 16, item 3: a malformed link says what is wrong on the connect
 * page, and connects nowhere. */
static void
test_join_link_malformed (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *link = g_strdup_printf ("keyferry://127.0.0.1:%u/", fx->port);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *fp = NULL;
  guint16 port = 0;
  GtkWidget *error_label;

  g_assert_false (kf_join_link_parse (link, &host, &port, &fp, &error));
  open_link (fx, link);
  kf_gui_test_settle (100);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  g_assert_null (kf_window_get_client (fx->window));
  error_label = window_child (fx, "error_label");
  g_assert_true (gtk_widget_is_drawable (error_label));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), ==, error->message);
}

/* The connect page's list of announced key managers: row @index's subtitle. */
static const char *
server_subtitle (Fixture *fx,
                 int      index)
{
  GtkListBox *list = GTK_LIST_BOX (window_child (fx, "servers_list"));
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, index);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

/* Issue 16, item 2: the connect page lists the key managers announced on
 * the network, live, with their trust; without Avahi it says none
 * announced itself.  Choosing one connects through the trust dialog: the
 * announced fingerprint is a hint, never trust. */
static void
test_discovered_list (Fixture       *fx,
                      gconstpointer  data)
{
  const char *old_txt[] = { "v=1", "fp=ffeeddccbbaa99887766554433221100"
                            "ffeeddccbbaa99887766554433221100", "site=Old box", NULL };
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  g_autoptr(KfDiscoveredServer) old = NULL;
  g_autoptr(GListStore) servers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lab_subtitle = NULL;
  g_autofree char *trusted_subtitle = NULL;
  g_autofree char *changed_subtitle = NULL;
  GtkWidget *placeholder, *dialog;
  GtkListBox *list;

  forget_saved_server (fx);
  kf_application_set_overrides (fx->app, NULL, 0, "Gui", NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  kf_gui_test_settle (100);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");

  /* The tests have no Avahi: only the empty state shows. */
  placeholder = window_child (fx, "servers_placeholder");
  g_assert_true (gtk_widget_is_drawable (placeholder));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (placeholder)), ==,
                   _("No key manager announced itself on this network"));

  servers = flow_show_discovered (fx);
  /* Live: a third one announces itself; its address is pinned to another. */
  g_assert_true (kf_known_servers_add (known, "127.0.0.3", 7745,
                                       "0123456789abcdef0123456789abcdef"
                                       "0123456789abcdef0123456789abcdef", &error));
  g_assert_no_error (error);
  old = kf_discovered_server_new ("keyferry on old", "old.local", "127.0.0.3", 7745, old_txt);
  g_list_store_append (servers, old);
  kf_gui_test_settle (100);

  list = GTK_LIST_BOX (window_child (fx, "servers_list"));
  g_assert_false (gtk_widget_is_drawable (placeholder));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (
                     gtk_list_box_get_row_at_index (list, 0))), ==, "Lab 3");
  lab_subtitle = g_strdup_printf ("127.0.0.1:%u · %s", fx->port,
                                  _("New — you will be asked to compare its fingerprint"));
  g_assert_cmpstr (server_subtitle (fx, 0), ==, lab_subtitle);
  trusted_subtitle = g_strdup_printf ("127.0.0.2:7745 · %s", _("Trusted"));
  changed_subtitle = g_strdup_printf ("127.0.0.3:7745 · %s",
                                      _("Its certificate changed — refused"));
  g_assert_cmpstr (server_subtitle (fx, 1), ==, trusted_subtitle);
  g_assert_cmpstr (server_subtitle (fx, 2), ==, changed_subtitle);
  assert_fits_phone (fx, "connect, three key managers listed");

  /* A site name from the network is shown as it is, never as markup. */
  {
    const char *evil_txt[] = { "v=1", "site=<b>Lab</b> & co", NULL };
    g_autoptr(KfDiscoveredServer) evil = kf_discovered_server_new ("evil", "evil.local",
                                                                   "127.0.0.4", 7745, evil_txt);
    GtkWidget *label = NULL;
    GtkListBoxRow *row;

    g_list_store_append (servers, evil);
    kf_gui_test_settle (100);
    row = gtk_list_box_get_row_at_index (list, 3);
    for (guint i = 0; (label = kf_gui_test_find_child (GTK_WIDGET (row), GTK_TYPE_LABEL, i))
                      != NULL; i++)
      if (g_strcmp0 (gtk_label_get_label (GTK_LABEL (label)), "<b>Lab</b> & co") == 0)
        break;
    g_assert_nonnull (label);
    g_assert_false (gtk_label_get_use_markup (GTK_LABEL (label)));
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, "<b>Lab</b> & co");
  }

  g_signal_emit_by_name (gtk_list_box_get_row_at_index (list, 0), "activate");
  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  g_assert_null (kf_known_servers_lookup (known, "127.0.0.1", fx->port));
  kf_gui_test_respond (dialog, "trust");
  flow_wait_for_page (fx->window, "main");
  g_assert_cmpstr (kf_known_servers_lookup (known, "127.0.0.1", fx->port), ==, fx->fingerprint);
  assert_saved_server (fx, "127.0.0.1", fx->port);
  forget_saved_server (fx);
}

/* Issue 16: the peer-ports setting reaches the client: with its only port
 * taken, receiving fails at once (instead of listening elsewhere), and
 * Preferences refuses a malformed range. */
static void
test_peer_ports (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(GSocketListener) taken = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *ports = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  AsyncWait conn_wait = { NULL };
  GtkWidget *prefs, *row;
  KfClient *ion;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (taken, NULL, &error);
  g_assert_no_error (error);
  ports = g_strdup_printf ("%u", port);
  g_settings_set_string (settings, "peer-ports", ports);

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (kf_window_get_client (fx->window), KF_CLIENT_STATE_WAITING);
  kf_client_conn_async (ion, kf_client_get_client_id (kf_window_get_client (fx->window)),
                        KF_CIPHER_MODE_CFB, NULL, flow_on_async_done, &conn_wait);
  g_assert_false (kf_client_conn_finish (ion, flow_wait_async (&conn_wait), NULL, &error));
  g_test_message ("the sender heard: %s", error->message);
  g_clear_error (&error);
  g_clear_object (&conn_wait.result);
  flow_wait_for_page (fx->window, "result");
  g_assert_null (kf_gui_test_find_window (KF_TYPE_OFFER_DIALOG));

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "preferences", NULL);
  prefs = flow_wait_for_window (KF_TYPE_PREFERENCES_WINDOW);
  row = kf_gui_test_find_by_id (prefs, "peer_ports_row");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, ports);
  gtk_editable_set_text (GTK_EDITABLE (row), "7755-7746");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  {
    g_autofree char *kept = g_settings_get_string (settings, "peer-ports");

    g_assert_cmpstr (kept, ==, ports);
  }
  gtk_editable_set_text (GTK_EDITABLE (row), "7746-7755");
  g_signal_emit_by_name (row, "apply");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  {
    g_autofree char *saved = g_settings_get_string (settings, "peer-ports");

    g_assert_cmpstr (saved, ==, "7746-7755");
  }
  gtk_window_destroy (GTK_WINDOW (prefs));
  g_settings_reset (settings, "peer-ports");
}

int
main (int    argc,
      char **argv)
{
  flow_init (&argc, &argv);

  flow_add_test ("/gui/window/chosen-peer-leaves", test_chosen_peer_leaves);
  flow_add_test ("/gui/window/back-to-start-while-reconnecting",
                 test_back_to_start_while_reconnecting);
  flow_add_test ("/gui/window/reconnecting-disables-actions", test_reconnecting_disables_actions);
  flow_add_test ("/gui/window/fits-360x640", test_narrow);
  flow_add_test ("/gui/window/fifty-peers-1280x900", test_many_peers);

  flow_add_test ("/gui/window/close-mid-transfer-asks", test_close_mid_transfer);

  flow_add_test ("/gui/window/focus-starts-on-the-action", test_focus);

  flow_add_test ("/gui/window/sender-sees-receiver-deciding", test_receiver_deciding);

  flow_add_test ("/gui/window/cancel-connecting", test_cancel_connecting);
  flow_add_test ("/gui/window/back-button-and-escape", test_back_and_escape);

  flow_add_test ("/gui/window/identity-changed-on-reconnect", test_identity_changed_on_reconnect);

  flow_add_test ("/gui/window/join-link-trusts-in-one-step", test_join_link);
  flow_add_test ("/gui/window/join-link-mismatch-names-both", test_join_link_mismatch);
  flow_add_test ("/gui/window/join-link-malformed", test_join_link_malformed);
  flow_add_test ("/gui/window/discovered-key-managers", test_discovered_list);
  flow_add_test ("/gui/window/peer-ports-setting", test_peer_ports);

  return flow_run ();
}
