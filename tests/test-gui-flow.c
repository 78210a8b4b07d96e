/* test-gui-flow.c: the desktop app against a real key manager on loopback and a
 * second client, through the window's own pages, dialogs and actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <fcntl.h>
#include <string.h>
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
#include "kf-peer-row.h"
#include "kf-preferences-window.h"
#include "kf-result-page.h"
#include "kf-trust-dialog.h"

static void
test_trust_and_connect (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *grouped = kf_gui_format_fingerprint (fx->fingerprint);
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  GtkWidget *dialog, *label;
  KfClient *client;

  flow_start_window (fx, FALSE);
  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  label = kf_gui_test_find_child (dialog, GTK_TYPE_LABEL, 2);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, grouped);
  g_assert_null (kf_known_servers_lookup (known, "127.0.0.1", fx->port));

  kf_gui_test_respond (dialog, "trust");
  flow_wait_for_page (fx->window, "main");

  client = kf_window_get_client (fx->window);
  g_assert_cmpuint (kf_client_get_client_id (client), >, 0);
  g_assert_nonnull (strstr (kf_window_get_status (fx->window), "Connected as #"));
  g_assert_cmpstr (kf_known_servers_lookup (known, "127.0.0.1", fx->port), ==, fx->fingerprint);
}

/* First launch: the connect page, filled by hand and sent with Enter;
 * the choice is remembered; Disconnect goes back to the page. */
static void
test_connect_page (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *port = g_strdup_printf ("%u", fx->port);
  g_autofree char *saved_host = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  GtkWidget *page, *host_row, *port_row, *name_row, *dialog;
  guint16 saved_port = 0;

  g_settings_reset (settings, "server-host");
  kf_application_set_overrides (fx->app, NULL, 0, NULL, NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");

  page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_CONNECT_PAGE, 0);
  host_row = kf_gui_test_find_child (page, ADW_TYPE_ENTRY_ROW, 0);
  port_row = kf_gui_test_find_child (page, ADW_TYPE_ENTRY_ROW, 1);
  name_row = kf_gui_test_find_child (page, ADW_TYPE_ENTRY_ROW, 2);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), !=, "");

  gtk_editable_set_text (GTK_EDITABLE (host_row), "127.0.0.1");
  gtk_editable_set_text (GTK_EDITABLE (port_row), port);
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Elena");
  g_signal_emit_by_name (host_row, "entry-activated");

  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  kf_gui_test_respond (dialog, "trust");
  flow_wait_for_page (fx->window, "main");
  g_assert_cmpstr (kf_client_get_name (kf_window_get_client (fx->window)), ==, "Elena");

  saved_host = g_settings_get_string (settings, "server-host");
  g_settings_get (settings, "server-port", "q", &saved_port);
  g_assert_cmpstr (saved_host, ==, "127.0.0.1");
  g_assert_cmpuint (saved_port, ==, fx->port);

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "disconnect", NULL);
  flow_wait_for_page (fx->window, "connect");
  g_assert_cmpstr (kf_window_get_status (fx->window), ==, "Not connected");

  g_settings_reset (settings, "server-host");
  g_settings_reset (settings, "server-port");
  g_settings_reset (settings, "name");
}

static void
test_trust_cancelled (Fixture       *fx,
                      gconstpointer  data)
{
  GtkWidget *dialog;

  flow_start_window (fx, FALSE);
  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  kf_gui_test_respond (dialog, "cancel");
  kf_gui_test_settle (200);

  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  g_assert_nonnull (strstr (kf_window_get_status (fx->window), "Not connected"));
  g_assert_null (kf_known_servers_lookup (kf_application_get_known_servers (fx->app),
                                          "127.0.0.1", fx->port));
}

static void
test_changed_fingerprint_blocks (Fixture       *fx,
                                 gconstpointer  data)
{
  static const char *other =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  g_autoptr(GError) error = NULL;
  GtkWidget *warning;

  g_assert_true (kf_known_servers_add (known, "127.0.0.1", fx->port, other, &error));
  flow_start_window (fx, FALSE);
  warning = flow_wait_for_window (KF_TYPE_IDENTITY_WARNING);

  /* Nothing in the warning connects; closing it leaves us disconnected. */
  g_assert_false (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (warning), "trust"));
  g_assert_null (kf_gui_test_find_window (KF_TYPE_TRUST_DIALOG));
  kf_gui_test_respond (warning, "close");
  kf_gui_test_settle (200);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_DISCONNECTED);
  g_assert_cmpstr (kf_known_servers_lookup (known, "127.0.0.1", fx->port), ==, other);
}

static void
test_wait_and_stop (Fixture       *fx,
                    gconstpointer  data)
{
  KfClient *client;

  flow_start_connected_window (fx);
  client = kf_window_get_client (fx->window);
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);
  kf_gui_test_settle (100);
  g_assert_nonnull (strstr (kf_window_get_status (fx->window), "waiting"));
  g_assert_nonnull (flow_find_action_button (GTK_WIDGET (fx->window), "win.stop-waiting"));

  flow_click (GTK_WIDGET (fx->window), "win.stop-waiting");
  flow_wait_for_state (client, KF_CLIENT_STATE_IDLE);
  kf_gui_test_settle (100);
  g_assert_nonnull (flow_find_action_button (GTK_WIDGET (fx->window), "win.wait"));
}

static void
test_send_to_peer (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "report.pdf", 3 * 1024 * 1024 + 5);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "received.pdf", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  KfClient *ion, *maria;
  GtkWidget *row, *check, *result;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  g_signal_connect (ion, "offer", G_CALLBACK (flow_on_peer_offer), &receiver);
  g_signal_connect (ion, "finished", G_CALLBACK (flow_on_peer_finished), &receiver);

  flow_click (GTK_WIDGET (fx->window), "win.send");
  flow_wait_for_rows (fx->window, 0);
  flow_peer_wait (ion);
  flow_wait_for_rows (fx->window, 1);

  /* The list is live: another peer comes and goes. */
  maria = flow_connect_peer (fx, "Maria");
  flow_peer_wait (maria);
  flow_wait_for_rows (fx->window, 2);
  g_ptr_array_remove (fx->peers, maria);
  flow_wait_for_rows (fx->window, 1);

  row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Ion");
  g_assert_cmpuint (kf_peer_row_get_peer_id (KF_PEER_ROW (row)), ==,
                    kf_client_get_client_id (ion));

  /* Connect stays disabled until peer, mode and file are chosen. */
  g_assert_false (gtk_widget_is_sensitive (flow_find_action_button (GTK_WIDGET (fx->window),
                                                                    "win.conn")));
  g_assert_true (kf_gui_test_drop_file (row, file));
  g_assert_false (gtk_widget_is_sensitive (flow_find_action_button (GTK_WIDGET (fx->window),
                                                                    "win.conn")));
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  flow_click (GTK_WIDGET (fx->window), "win.conn");

  flow_wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, &receiver, TIMEOUT_MS));

  /* The receiver was offered the right name and sizes. */
  g_assert_cmpstr (kf_offer_get_sender_name (receiver.offer), ==, "Gui");
  g_assert_cmpstr (kf_offer_get_file_name (receiver.offer), ==, "report.pdf");
  g_assert_cmpuint (kf_offer_get_plain_size (receiver.offer), ==, 3 * 1024 * 1024 + 5);
  g_assert_cmpuint (kf_offer_get_encrypted_size (receiver.offer), ==,
                    kf_cipher_encrypted_size (KF_CIPHER_MODE_CBC, 3 * 1024 * 1024 + 5));

  /* Both block counts and the verdict are on the page. */
  result = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CONFIRMED);
  {
    g_autofree char *blocks = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                               kf_outcome_get_sender_blocks (receiver.outcome));
    g_assert_cmpstr (flow_row_subtitle (result, 0), ==, blocks);
    g_assert_cmpstr (flow_row_subtitle (result, 1), ==, blocks);
    g_assert_cmpstr (blocks, ==, "196609");
  }
  g_assert_cmpstr (flow_row_subtitle (result, 2), ==, "The key manager confirmed the block counts");
  flow_assert_same_contents (file, receiver.destination);

  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

static void
test_receive_accept (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "photo.jpg", 1000003);
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);
  g_autoptr(GFile) downloads_dir = g_file_new_for_path (downloads);
  g_autoptr(GFile) current = NULL;
  g_autoptr(GFile) saved = g_file_get_child (downloads_dir, "photo-saved.jpg");
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *name = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *chooser, *result;
  KfClient *ion;

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", downloads);
  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);

  /* The offer shows who sends what, both sizes and the mode. */
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  g_assert_true (g_str_has_prefix (flow_row_subtitle (dialog, 0), "Ion · not a contact yet"));
  g_assert_cmpstr (flow_row_subtitle (dialog, 1), ==, "photo.jpg");
  g_assert_nonnull (strstr (flow_row_subtitle (dialog, 2), "1000003 bytes"));
  g_assert_nonnull (strstr (flow_row_subtitle (dialog, 3), "1000003 bytes"));
  g_assert_cmpstr (flow_row_subtitle (dialog, 4), ==, "AES-256-CFB");
  kf_gui_test_respond (dialog, "accept");

  /* The save dialog opens in the download folder with the offered name. */
  chooser = flow_wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (kf_gui_test_wait_for (flow_chooser_has_folder, chooser, TIMEOUT_MS));
  current = gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (chooser));
  name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
  g_assert_true (g_file_equal (current, downloads_dir));
  g_assert_cmpstr (name, ==, "photo.jpg");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "photo-saved.jpg");
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);

  flow_wait_for_page (fx->window, "result");
  outcome = flow_finish_sending (ion, &send_wait);
  g_assert_nonnull (outcome);
  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CONFIRMED);
  flow_assert_same_contents (file, saved);

  result = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);
  {
    g_autofree char *blocks = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                               kf_outcome_get_sender_blocks (outcome));
    g_assert_cmpstr (flow_row_subtitle (result, 0), ==, blocks);
    g_assert_cmpstr (flow_row_subtitle (result, 1), ==, blocks);
    g_assert_cmpstr (blocks, ==, "62501");
  }
  {
    GtkWidget *status = kf_gui_test_find_child (result, ADW_TYPE_STATUS_PAGE, 0);
    const char *said = adw_status_page_get_description (ADW_STATUS_PAGE (status));

    /* The page names the file and its folder (issue 12, item 10). */
    g_assert_nonnull (strstr (said, "“photo-saved.jpg”"));
    g_assert_nonnull (strstr (said, "“downloads”"));
  }
  g_assert_nonnull (flow_find_action_button (result, "result.open-file"));
  g_assert_nonnull (flow_find_action_button (result, "result.open-folder"));
  g_settings_reset (settings, "download-folder");
}

static void
run_refusal (Fixture  *fx,
             gboolean  through_save_dialog)
{
  g_autoptr(GFile) file = flow_make_file (fx, "notes.txt", 4000);
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *part = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *status;
  KfClient *ion;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);

  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  if (through_save_dialog)
    {
      GtkWidget *chooser;

      kf_gui_test_respond (dialog, "accept");
      chooser = flow_wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
      gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
    }
  else
    kf_gui_test_respond (dialog, "decline");

  flow_wait_for_page (fx->window, "result");
  status = kf_gui_test_find_child (GTK_WIDGET (fx->window), ADW_TYPE_STATUS_PAGE, 0);
  status = kf_gui_test_find_child (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_RESULT_PAGE, 0),
                                   ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "File Declined");

  outcome = flow_finish_sending (ion, &send_wait);
  if (outcome != NULL)
    g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_DECLINED);
  part = g_build_filename (fx->tmpdir, "notes.txt.part", NULL);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

static void
test_receive_decline (Fixture       *fx,
                      gconstpointer  data)
{
  run_refusal (fx, FALSE);
}

static void
test_save_cancel_declines (Fixture       *fx,
                           gconstpointer  data)
{
  run_refusal (fx, TRUE);
}

/* The sender gives up while the offer is shown: the dialog goes away and
 * the receiver is told who cancelled. */
static void
test_sender_cancels_offer (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "draft.odt", 5000);
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GtkWidget) dialog = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *status;
  KfClient *ion;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = g_object_ref (flow_wait_for_window (KF_TYPE_OFFER_DIALOG));

  kf_client_cancel (ion);
  flow_wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (flow_widget_hidden, dialog, TIMEOUT_MS));
  status = kf_gui_test_find_child (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_RESULT_PAGE, 0),
                                   ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Transfer Cancelled");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "The other person cancelled the transfer. Nothing was saved.");
  outcome = flow_finish_sending (ion, &send_wait);
}

/* Whether a label under @root says @text (a toast's title, say). */
static gboolean
has_label_containing (GtkWidget  *root,
                      const char *text)
{
  if (GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_label_containing (child, text))
      return TRUE;
  return FALSE;
}

static gboolean
says_waiting_again (gpointer data)
{
  return has_label_containing (GTK_WIDGET (data), "waiting for a sender again");
}

static void
cancel_at_start (KfClient     *client,
                 KfClientRole  role,
                 guint         peer_id,
                 const char   *peer_name,
                 KfCipherMode  mode,
                 gpointer      user_data)
{
  kf_client_cancel (client);
}

/* A sender pairs with the waiting window and cancels before any offer
 * (issue 14, point 6): the window keeps waiting, says so in a toast, shows
 * no result, and a real offer then comes through. */
static void
test_snipe_keeps_waiting (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "later.txt", 3000);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait conn_wait = { NULL };
  AsyncWait send_wait = { NULL };
  KfClient *client, *mallory, *ion;
  GtkWidget *dialog;

  flow_start_connected_window (fx);
  client = kf_window_get_client (fx->window);
  mallory = flow_connect_peer (fx, "Mallory");
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);

  g_signal_connect (mallory, "session-started", G_CALLBACK (cancel_at_start), NULL);
  kf_client_conn_async (mallory, kf_client_get_client_id (client), KF_CIPHER_MODE_CBC, NULL,
                        flow_on_async_done, &conn_wait);
  g_assert_false (kf_client_conn_finish (mallory, flow_wait_async (&conn_wait), NULL, NULL));
  g_clear_object (&conn_wait.result);

  g_assert_true (kf_gui_test_wait_for (says_waiting_again, fx->window, TIMEOUT_MS));
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "main");
  g_assert_cmpint (kf_main_page_get_view (KF_MAIN_PAGE (kf_gui_test_find_child (
                     GTK_WIDGET (fx->window), KF_TYPE_MAIN_PAGE, 0))), ==, KF_MAIN_VIEW_WAITING);

  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  kf_gui_test_respond (dialog, "decline");
  outcome = flow_finish_sending (ion, &send_wait);
}

/* The offer dialog's warning: the box drawn as a red card. */
static GtkWidget *
find_warning_card (GtkWidget *dialog)
{
  GtkWidget *box;

  for (guint i = 0; (box = kf_gui_test_find_child (dialog, GTK_TYPE_BOX, i)) != NULL; i++)
    if (gtk_widget_has_css_class (box, "card") && gtk_widget_has_css_class (box, "error"))
      return box;
  return NULL;
}

/* The contacts know "Ion" under another identity: 0x42 in every byte. */
static char *
pin_other_ion (Fixture *fx)
{
  KfContacts *contacts = kf_application_get_contacts (fx->app);
  guint8 other[KF_IDENTITY_PUBLIC_KEY_SIZE];
  g_autoptr(GError) error = NULL;

  memset (other, 0x42, sizeof other);
  g_assert_true (kf_contacts_remember (contacts, "Ion", other, &error));
  g_assert_no_error (error);
  return kf_identity_code_for_key (other);
}

static void
forget_ion (Fixture *fx)
{
  g_assert_true (kf_contacts_forget (kf_application_get_contacts (fx->app), "Ion", NULL, NULL));
}

/* Someone else sends under the name of a contact: the offer dialog says so
 * loudly, naming both identity codes, with Decline the default and Block
 * Sender at hand. */
static void
test_offer_from_changed_identity (Fixture       *fx,
                                  gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "invoice.pdf", 2000);
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *other_code = pin_other_ion (fx);
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *warning;
  const char *detail;
  KfClient *ion;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);

  warning = find_warning_card (dialog);
  g_assert_nonnull (warning);
  g_assert_true (gtk_widget_get_visible (warning));
  detail = gtk_label_get_text (GTK_LABEL (kf_gui_test_find_child (warning, GTK_TYPE_LABEL, 1)));
  g_assert_nonnull (strstr (detail, other_code));
  g_assert_nonnull (strstr (detail, kf_identity_get_code (kf_client_get_identity (ion))));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Identity Changed");
  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "decline");
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "block"));

  kf_gui_test_respond (dialog, "decline");
  outcome = flow_finish_sending (ion, &send_wait);
  forget_ion (fx);
}

/* A known contact's offer says so, with the identity code, and no warning. */
static void
test_offer_from_contact (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "notes.txt", 2000);
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *subtitle = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog;
  KfClient *ion;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  g_assert_true (kf_contacts_remember (kf_application_get_contacts (fx->app), "Ion",
                                       kf_identity_get_public_key (kf_client_get_identity (ion)),
                                       NULL));
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);

  subtitle = g_strdup_printf ("Ion · a contact, identity %s",
                              kf_identity_get_code (kf_client_get_identity (ion)));
  g_assert_cmpstr (flow_row_subtitle (dialog, 0), ==, subtitle);
  g_assert_false (gtk_widget_get_visible (find_warning_card (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Incoming File");
  kf_gui_test_respond (dialog, "decline");
  outcome = flow_finish_sending (ion, &send_wait);
  forget_ion (fx);
}

static gboolean
is_identity_warning (gpointer data)
{
  GtkWidget *dialog = kf_gui_test_find_window (ADW_TYPE_MESSAGE_DIALOG);

  *(GtkWidget **) data = dialog;
  return dialog != NULL
         && g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)),
                       "Identity Changed") == 0;
}

/* Sending to someone else under a contact's name: once the receiver has
 * proved its identity, nothing is sent until the warning naming both
 * codes is answered; Cancel sends nothing. */
static void
test_send_to_changed_identity (Fixture       *fx,
                               gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "payroll.ods", 3000);
  g_autofree char *other_code = pin_other_ion (fx);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "payroll-received.ods", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  GtkWidget *row, *check, *dialog = NULL;
  const char *body;
  KfClient *ion;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  g_signal_connect (ion, "offer", G_CALLBACK (flow_on_peer_offer), &receiver);
  g_signal_connect (ion, "finished", G_CALLBACK (flow_on_peer_finished), &receiver);
  flow_peer_wait (ion);

  flow_click (GTK_WIDGET (fx->window), "win.send");
  flow_wait_for_rows (fx->window, 1);
  row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
  g_assert_true (kf_gui_test_drop_file (row, file));
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 1);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  flow_click (GTK_WIDGET (fx->window), "win.conn");

  g_assert_true (kf_gui_test_wait_for (is_identity_warning, &dialog, TIMEOUT_MS));
  body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
  g_assert_nonnull (strstr (body, other_code));
  g_assert_nonnull (strstr (body, kf_identity_get_code (kf_client_get_identity (ion))));
  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "cancel");
  kf_gui_test_respond (dialog, "cancel");

  /* The receiver heard a cancel before any offer, and waits again. */
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, &receiver, TIMEOUT_MS));
  g_assert_null (receiver.offer);
  g_assert_true (kf_outcome_get_waits_again (receiver.outcome));
  g_assert_false (g_file_query_exists (receiver.destination, NULL));

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.outcome);
  forget_ion (fx);
}

/* The Send list marks a contact (with its code) and, in red, someone
 * else under a contact's name. */
static void
test_peer_rows_show_contacts (Fixture       *fx,
                              gconstpointer  data)
{
  KfContacts *contacts = kf_application_get_contacts (fx->app);
  g_autofree char *other_code = pin_other_ion (fx);
  GtkWidget *ana_row = NULL, *ion_row = NULL;
  KfClient *ana, *ion;

  flow_start_connected_window (fx);
  ana = flow_connect_peer (fx, "Ana");
  ion = flow_connect_peer (fx, "Ion");
  g_assert_true (kf_contacts_remember (contacts, "Ana",
                                       kf_identity_get_public_key (kf_client_get_identity (ana)),
                                       NULL));
  flow_peer_wait (ana);
  flow_peer_wait (ion);
  flow_click (GTK_WIDGET (fx->window), "win.send");
  flow_wait_for_rows (fx->window, 2);
  for (guint i = 0; i < 2; i++)
    {
      GtkWidget *row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, i);

      if (g_str_equal (kf_peer_row_get_peer_name (KF_PEER_ROW (row)), "Ana"))
        ana_row = row;
      else
        ion_row = row;
    }
  g_assert_cmpint (kf_peer_row_get_contact (KF_PEER_ROW (ana_row)), ==, KF_CONTACT_KNOWN);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (ana_row)),
                            kf_identity_get_code (kf_client_get_identity (ana))));
  g_assert_cmpint (kf_peer_row_get_contact (KF_PEER_ROW (ion_row)), ==, KF_CONTACT_CHANGED);
  g_assert_true (gtk_widget_has_css_class (ion_row, "error"));
  forget_ion (fx);
}

/* Block Sender declines, and the blocked identity cannot choose this
 * window again while it stays connected. */
static void
test_block_sender (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GFile) file = flow_make_file (fx, "spam.txt", 1000);
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;
  AsyncWait send_wait = { NULL };
  AsyncWait conn_wait = { NULL };
  KfClient *client, *ion;
  GtkWidget *dialog;

  flow_start_connected_window (fx);
  client = kf_window_get_client (fx->window);
  ion = flow_connect_peer (fx, "Ion");
  flow_offer_to_window (fx, ion, file, &send_wait);
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  kf_gui_test_respond (dialog, "block");
  outcome = flow_finish_sending (ion, &send_wait);
  g_assert_null (outcome);

  flow_wait_for_state (client, KF_CLIENT_STATE_IDLE);
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);
  kf_client_conn_async (ion, kf_client_get_client_id (client), KF_CIPHER_MODE_CBC, NULL,
                        flow_on_async_done, &conn_wait);
  g_assert_false (kf_client_conn_finish (ion, flow_wait_async (&conn_wait), NULL, &error));
  g_assert_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_NO_SUCH_PEER);
  g_clear_object (&conn_wait.result);
  g_assert_cmpint (kf_client_get_state (client), ==, KF_CLIENT_STATE_WAITING);
}

static void
on_progress_cancel (KfClient *client,
                    guint64   done,
                    guint64   total,
                    double    rate,
                    Fixture  *fx)
{
  GtkWidget *button = flow_find_action_button (GTK_WIDGET (fx->window), "win.cancel");

  if (done == 0 || done >= total || button == NULL || !gtk_widget_is_sensitive (button))
    return;
  g_signal_emit_by_name (button, "clicked");
}

static void
test_cancel_transfer (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *big_path = g_build_filename (fx->tmpdir, "big.iso", NULL);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "big-received.iso", NULL);
  g_autoptr(GFile) big = g_file_new_for_path (big_path);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  GtkWidget *row, *check, *status;
  int fd;

  /* A sparse 512 MiB file: long enough to be cancelled half way. */
  fd = g_open (big_path, O_CREAT | O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 512 * 1024 * 1024), ==, 0);
  g_close (fd, NULL);

  row = flow_send_view_with_receiver (fx, "Ion", &receiver);
  g_assert_true (kf_gui_test_drop_file (row, big));
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 1);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  g_signal_connect (kf_window_get_client (fx->window), "progress",
                    G_CALLBACK (on_progress_cancel), fx);
  flow_click (GTK_WIDGET (fx->window), "win.conn");

  flow_wait_for_page (fx->window, "result");
  status = kf_gui_test_find_child (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_RESULT_PAGE, 0),
                                   ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Transfer Cancelled");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "You cancelled the transfer. Nothing was saved.");

  /* The other side learns at once, and nothing is left under the name. */
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, &receiver, TIMEOUT_MS));
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (kf_outcome_get_is_local (receiver.outcome));
  g_assert_false (g_file_query_exists (receiver.destination, NULL));

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

/* Types @passphrase into the passphrase dialog and answers Connect. */
static void
answer_passphrase (const char *passphrase)
{
  g_autoptr(GtkWidget) dialog = g_object_ref (flow_wait_for_window (KF_TYPE_PASSPHRASE_DIALOG));
  GtkWidget *entry = kf_gui_test_find_child (dialog, GTK_TYPE_PASSWORD_ENTRY, 0);

  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), passphrase);
  kf_gui_test_respond (dialog, "connect");
  g_assert_true (kf_gui_test_wait_for (flow_widget_hidden, dialog, TIMEOUT_MS));
}

/* A key manager with an admission passphrase: asked, refused, asked again. */
static void
test_passphrase_asked (Fixture       *fx,
                       gconstpointer  data)
{
  flow_start_window (fx, TRUE);
  answer_passphrase ("not the passphrase");
  answer_passphrase (data);
  flow_wait_for_page (fx->window, "main");
  g_assert_cmpuint (kf_client_get_client_id (kf_window_get_client (fx->window)), >, 0);
}

static gboolean
has_notification (gpointer title)
{
  return g_ptr_array_find_with_equal_func (flow_notifications, title, g_str_equal, NULL);
}

static gboolean
has_accel (const char *action,
           const char *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (flow_app),
                                                                action);

  return g_strv_contains ((const char * const *) accels, accel);
}

/* Shortcuts, the help overlay, About and Preferences, all reachable. */
static void
test_shortcuts_and_windows (Fixture       *fx,
                            gconstpointer  data)
{
  GSettings *settings = kf_application_get_settings (fx->app);
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  GtkWidget *about, *prefs, *row;
  g_auto(GValue) copied = G_VALUE_INIT;
  GdkContentProvider *content;
  KfIdentity *identity;
  guint16 port = 0;

  g_assert_true (has_accel ("app.quit", "<Control>q"));
  g_assert_true (has_accel ("win.choose-file", "<Control>o"));
  g_assert_true (has_accel ("win.show-help-overlay", "<Control>question"));

  flow_start_connected_window (fx);

  /* Notifications reach the desktop's notification server. */
  kf_application_notify (fx->app, "offer", "Incoming File", "Ana wants to send you a file");
  g_assert_true (kf_gui_test_wait_for (has_notification, (gpointer) "Incoming File",
                                       TIMEOUT_MS));
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (fx->window)));

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "about", NULL);
  about = flow_wait_for_window (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==,
                   "Keyferry");
  gtk_window_destroy (GTK_WINDOW (about));

  /* Preferences write the settings; Forget empties the trusted servers. */
  g_assert_nonnull (kf_known_servers_lookup (known, "127.0.0.1", fx->port));
  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "preferences", NULL);
  prefs = flow_wait_for_window (KF_TYPE_PREFERENCES_WINDOW);
  row = kf_gui_test_find_child (prefs, ADW_TYPE_ENTRY_ROW, 0);
  gtk_editable_set_text (GTK_EDITABLE (row), "km.example.lan");
  row = kf_gui_test_find_child (prefs, ADW_TYPE_ENTRY_ROW, 1);
  gtk_editable_set_text (GTK_EDITABLE (row), "7800");
  host = g_settings_get_string (settings, "server-host");
  g_settings_get (settings, "server-port", "q", &port);
  g_assert_cmpstr (host, ==, "km.example.lan");
  g_assert_cmpuint (port, ==, 7800);
  /* The user's own identity code, the one the client proves, and a
   * button that copies it. */
  identity = kf_client_get_identity (kf_window_get_client (fx->window));
  row = kf_gui_test_find_child (prefs, ADW_TYPE_ACTION_ROW, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "Your identity code");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   kf_identity_get_code (identity));
  flow_click (prefs, "prefs.copy-identity");
  content = gdk_clipboard_get_content (gtk_widget_get_clipboard (prefs));
  g_assert_nonnull (content);
  g_value_init (&copied, G_TYPE_STRING);
  g_assert_true (gdk_content_provider_get_value (content, &copied, NULL));
  g_assert_cmpstr (g_value_get_string (&copied), ==, kf_identity_get_code (identity));
  flow_click (prefs, "prefs.forget-servers");
  g_assert_null (kf_known_servers_lookup (known, "127.0.0.1", fx->port));
  gtk_window_destroy (GTK_WINDOW (prefs));

  g_settings_reset (settings, "server-host");
  g_settings_reset (settings, "server-port");
}

int
main (int    argc,
      char **argv)
{
  flow_init (&argc, &argv);

  flow_add_test ("/gui/flow/trust-and-connect", test_trust_and_connect);
  flow_add_test ("/gui/flow/connect-page-remembers-and-disconnects", test_connect_page);
  flow_add_test ("/gui/flow/trust-cancelled", test_trust_cancelled);
  flow_add_test ("/gui/flow/changed-fingerprint-blocks", test_changed_fingerprint_blocks);
  flow_add_test ("/gui/flow/wait-and-stop-waiting", test_wait_and_stop);
  flow_add_test ("/gui/flow/send-to-peer-by-drop", test_send_to_peer);
  flow_add_test ("/gui/flow/receive-accept-into-folder", test_receive_accept);
  flow_add_test ("/gui/flow/receive-decline", test_receive_decline);
  flow_add_test ("/gui/flow/save-dialog-cancel-declines", test_save_cancel_declines);
  flow_add_test ("/gui/flow/sender-cancels-during-offer", test_sender_cancels_offer);
  flow_add_test ("/gui/flow/cancel-transfer", test_cancel_transfer);
  flow_add_test ("/gui/flow/snipe-keeps-waiting", test_snipe_keeps_waiting);
  flow_add_test ("/gui/flow/offer-from-changed-identity", test_offer_from_changed_identity);
  flow_add_test ("/gui/flow/offer-from-contact", test_offer_from_contact);
  flow_add_test ("/gui/flow/send-to-changed-identity", test_send_to_changed_identity);
  flow_add_test ("/gui/flow/peer-rows-show-contacts", test_peer_rows_show_contacts);
  flow_add_test ("/gui/flow/block-sender", test_block_sender);
  g_test_add ("/gui/flow/passphrase-asked-each-time", Fixture, "correct horse battery",
              flow_fixture_set_up, test_passphrase_asked, flow_fixture_tear_down);
  flow_add_test ("/gui/app/shortcuts-about-preferences", test_shortcuts_and_windows);

  return flow_run ();
}
