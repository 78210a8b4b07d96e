/* test-gui-pages.c: the desktop app's pages and dialogs on their own, without a network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "kf-gcrypt.h"
#include "kf-gui-test-util.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-peer-row.h"
#include "kf-peer.h"
#include "kf-result-page.h"
#include "kf-connect-page.h"
#include "kf-transfer-page.h"
#include "kf-trust-dialog.h"

#define FINGERPRINT "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Issue 16: the peer-ports setting: one port, FIRST-LAST, or empty. */
static void
test_parse_port_range (void)
{
  static const char * const bad[] = { "0", "7746-", "-7746", "7755-7746", "65536", "1-2-3",
                                      "seven", "7746 7755", NULL };
  g_autoptr(GError) error = NULL;
  guint16 first = 1, last = 1;

  g_assert_true (kf_gui_parse_port_range ("", &first, &last, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (first, ==, 0);
  g_assert_cmpuint (last, ==, 0);
  g_assert_true (kf_gui_parse_port_range (" 7746 - 7755 ", &first, &last, &error));
  g_assert_cmpuint (first, ==, 7746);
  g_assert_cmpuint (last, ==, 7755);
  g_assert_true (kf_gui_parse_port_range ("7746", &first, &last, &error));
  g_assert_cmpuint (first, ==, 7746);
  g_assert_cmpuint (last, ==, 7746);
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_assert_false (kf_gui_parse_port_range (bad[i], &first, &last, &error));
      g_assert_error (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_PORTS);
      g_assert_nonnull (strstr (error->message, "7746-7755"));
      g_clear_error (&error);
    }
}

static void
test_check_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = kf_gui_check_name ("  Ana Pop ", &error);
  g_autofree char *long_name = g_strnfill (65, 'x');
  char *none;

  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "Ana Pop");

  none = kf_gui_check_name ("   ", &error);
  g_assert_null (none);
  g_assert_error (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_NAME);
  g_clear_error (&error);

  none = kf_gui_check_name (long_name, &error);
  g_assert_null (none);
  g_assert_error (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_NAME);
}

static void
test_format (void)
{
  g_autofree char *progress = kf_gui_format_progress (500000, 2000000);
  g_autofree char *rate = kf_gui_format_rate (1000000, 3000000, 1000000.0);
  g_autofree char *unknown = kf_gui_format_rate (0, 3000000, 0.0);
  g_autofree char *grouped = kf_gui_format_fingerprint (FINGERPRINT);

  /* g_format_size() puts a no-break space before the unit. */
  g_assert_cmpstr (progress, ==, "500.0\u00a0kB of 2.0\u00a0MB (25 %)");
  g_assert_cmpstr (rate, ==, "1.0\u00a0MB/s · about 2 seconds left");
  g_assert_cmpstr (unknown, ==, "Measuring speed…");
  g_assert_cmpstr (grouped, ==,
                   "0123 4567 89AB CDEF\n0123 4567 89AB CDEF\n"
                   "0123 4567 89AB CDEF\n0123 4567 89AB CDEF");
}

static guint
count_peer_rows (KfMainPage *page)
{
  guint n = 0;

  while (kf_gui_test_find_child (GTK_WIDGET (page), KF_TYPE_PEER_ROW, n) != NULL)
    n++;
  return n;
}

/* Puts @child in a window and shows it. */
static GtkWidget *
show_in_window (GtkWidget *child)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 640, 720);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
test_main_page_live_list (void)
{
  g_autoptr(GListStore) peers = g_list_store_new (KF_TYPE_PEER);
  g_autoptr(KfPeer) ana = kf_peer_new (4, "Ana");
  g_autoptr(KfPeer) ion = kf_peer_new (7, "Ion");
  g_autoptr(KfPeer) other_ion = kf_peer_new (9, "Ion");
  KfMainPage *page = g_object_new (KF_TYPE_MAIN_PAGE, NULL);
  GtkWidget *window = show_in_window (GTK_WIDGET (page));
  GtkWidget *row;

  kf_main_page_set_view (page, KF_MAIN_VIEW_SEND);
  kf_main_page_set_peers (page, G_LIST_MODEL (peers));
  g_assert_cmpuint (count_peer_rows (page), ==, 0);

  g_list_store_append (peers, ana);
  g_list_store_append (peers, ion);
  g_assert_cmpuint (count_peer_rows (page), ==, 2);
  row = kf_gui_test_find_child (GTK_WIDGET (page), KF_TYPE_PEER_ROW, 1);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Ion");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "");

  /* Numbers appear only where two people share a name. */
  g_list_store_append (peers, other_ion);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "#7");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (
                     kf_gui_test_find_child (GTK_WIDGET (page), KF_TYPE_PEER_ROW, 2))), ==, "#9");
  g_list_store_remove (peers, 2);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "");

  g_assert_true (kf_main_page_select_peer (page, 7));
  g_list_store_remove (peers, 1);
  g_assert_cmpuint (count_peer_rows (page), ==, 1);
  g_assert_false (kf_main_page_select_peer (page, 7));

  g_list_store_remove_all (peers);
  g_assert_cmpuint (count_peer_rows (page), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_changed (KfMainPage *page,
            guint      *count)
{
  (*count)++;
}

static void
test_main_page_drop_on_row (void)
{
  g_autoptr(GListStore) peers = g_list_store_new (KF_TYPE_PEER);
  g_autoptr(KfPeer) ana = kf_peer_new (4, "Ana");
  g_autoptr(KfPeer) ion = kf_peer_new (7, "Ion");
  g_autoptr(GFile) file = g_file_new_for_path ("/tmp/report.pdf");
  g_autoptr(GFile) chosen = NULL;
  g_autofree char *peer_name = NULL;
  KfMainPage *page = g_object_new (KF_TYPE_MAIN_PAGE, NULL);
  GtkWidget *window = show_in_window (GTK_WIDGET (page));
  KfCipherMode mode = KF_CIPHER_MODE_CBC;
  guint peer_id = 0, changes = 0;
  GtkWidget *row;

  g_signal_connect (page, "changed", G_CALLBACK (on_changed), &changes);
  kf_main_page_set_view (page, KF_MAIN_VIEW_SEND);
  g_list_store_append (peers, ana);
  g_list_store_append (peers, ion);
  kf_main_page_set_peers (page, G_LIST_MODEL (peers));

  row = kf_gui_test_find_child (GTK_WIDGET (page), KF_TYPE_PEER_ROW, 1);
  g_assert_true (kf_gui_test_drop_file (row, file));
  g_assert_cmpuint (changes, >, 0);

  /* No mode yet: Connect must stay disabled. */
  g_assert_false (kf_main_page_get_choice (page, NULL, NULL, NULL, NULL));

  kf_main_page_set_mode (page, KF_CIPHER_MODE_CFB);
  g_assert_true (kf_main_page_get_choice (page, &peer_id, &peer_name, &mode, &chosen));
  g_assert_cmpuint (peer_id, ==, 7);
  g_assert_cmpstr (peer_name, ==, "Ion");
  g_assert_cmpint (mode, ==, KF_CIPHER_MODE_CFB);
  g_assert_true (g_file_equal (chosen, file));

  /* A drop anywhere else on the page only chooses the file. */
  {
    g_autoptr(GFile) other = g_file_new_for_path ("/tmp/other.txt");

    g_assert_true (kf_gui_test_drop_file (GTK_WIDGET (page), other));
    g_assert_true (g_file_equal (kf_main_page_get_file (page), other));
    g_assert_true (kf_main_page_get_choice (page, &peer_id, NULL, NULL, NULL));
    g_assert_cmpuint (peer_id, ==, 7);
  }

  kf_main_page_reset_send (page);
  g_assert_false (kf_main_page_get_choice (page, NULL, NULL, NULL, NULL));
  g_assert_null (kf_main_page_get_file (page));

  gtk_window_destroy (GTK_WINDOW (window));
}

static const char *
row_subtitle (GtkWidget *root,
              guint      index)
{
  GtkWidget *row = kf_gui_test_find_child (root, ADW_TYPE_ACTION_ROW, index);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

static void
test_offer_dialog (void)
{
  g_autoptr(KfOffer) offer = kf_offer_new (4, "Ana", "report.pdf", 1000, 1008,
                                           KF_CIPHER_MODE_CBC);
  GtkWidget *dialog = kf_offer_dialog_new (NULL, offer);

  gtk_window_present (GTK_WINDOW (dialog));
  /* The receiver has no use for the key manager's number. */
  g_assert_cmpstr (row_subtitle (dialog, 0), ==, "Ana");
  g_assert_cmpstr (row_subtitle (dialog, 1), ==, "report.pdf");
  g_assert_nonnull (strstr (row_subtitle (dialog, 2), "1000 bytes"));
  g_assert_nonnull (strstr (row_subtitle (dialog, 3), "1008 bytes"));
  g_assert_cmpstr (row_subtitle (dialog, 4), ==, "AES-256-CBC");
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "accept"));
  g_assert_cmpstr (adw_message_dialog_get_close_response (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "decline");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The offer dialog's warning: the box drawn as a red card. */
static GtkWidget *
find_warning (GtkWidget *dialog)
{
  GtkWidget *box;

  for (guint i = 0; (box = kf_gui_test_find_child (dialog, GTK_TYPE_BOX, i)) != NULL; i++)
    if (gtk_widget_has_css_class (box, "card") && gtk_widget_has_css_class (box, "error"))
      return box;
  return NULL;
}

/* What the contacts say shows on the offer: a contact, a new person, or
 * someone else under a contact's name (a loud warning, Decline the
 * default); Block Sender is always there. */
static void
test_offer_dialog_contacts (void)
{
  g_autoptr(KfOffer) offer = kf_offer_new (4, "Ana", "report.pdf", 1000, 1008,
                                           KF_CIPHER_MODE_CBC);
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (kf_offer_dialog_new (NULL, offer));
  GtkWidget *warning = find_warning (GTK_WIDGET (dialog));

  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_nonnull (warning);
  g_assert_true (adw_message_dialog_has_response (dialog, "block"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "block"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_false (gtk_widget_get_visible (warning));

  kf_offer_dialog_set_contact (KF_OFFER_DIALOG (dialog), KF_CONTACT_KNOWN,
                               "AAAA-BBBB-CCCC-DDDD", NULL);
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (dialog), 0), ==,
                   "Ana · a contact, identity AAAA-BBBB-CCCC-DDDD");
  g_assert_false (gtk_widget_get_visible (warning));

  kf_offer_dialog_set_contact (KF_OFFER_DIALOG (dialog), KF_CONTACT_NEW,
                               "AAAA-BBBB-CCCC-DDDD", NULL);
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (dialog), 0), ==,
                   "Ana · not a contact yet, identity AAAA-BBBB-CCCC-DDDD");
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "accept");

  kf_offer_dialog_set_contact (KF_OFFER_DIALOG (dialog), KF_CONTACT_CHANGED,
                               "WWWW-XXXX-YYYY-ZZZZ", "AAAA-BBBB-CCCC-DDDD");
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (kf_gui_test_find_child (warning,
                                                                          GTK_TYPE_LABEL, 0))),
                   ==, "Warning: this is not the Ana you know");
  {
    const char *detail = gtk_label_get_text (GTK_LABEL (kf_gui_test_find_child (
                                               warning, GTK_TYPE_LABEL, 1)));

    g_assert_nonnull (strstr (detail, "AAAA-BBBB-CCCC-DDDD"));
    g_assert_nonnull (strstr (detail, "WWWW-XXXX-YYYY-ZZZZ"));
  }
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Identity Changed");
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "decline");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "accept"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* A peer row says whether the peer is a contact, with its code, and
 * warns in red when someone else uses a contact's name. */
static void
test_peer_row_contacts (void)
{
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *row = kf_peer_row_new (7, "Ion");
  GtkWidget *window = NULL;
  AdwActionRow *action_row = ADW_ACTION_ROW (row);

  gtk_list_box_append (GTK_LIST_BOX (list), row);
  window = show_in_window (list);
  g_assert_cmpint (kf_peer_row_get_contact (KF_PEER_ROW (row)), ==, KF_CONTACT_NEW);
  g_assert_cmpstr (adw_action_row_get_subtitle (action_row), ==, "");

  kf_peer_row_set_contact (KF_PEER_ROW (row), KF_CONTACT_KNOWN, "AAAA-BBBB-CCCC-DDDD");
  g_assert_cmpstr (adw_action_row_get_subtitle (action_row), ==, "Contact · AAAA-BBBB-CCCC-DDDD");
  kf_peer_row_set_show_id (KF_PEER_ROW (row), TRUE);
  g_assert_cmpstr (adw_action_row_get_subtitle (action_row), ==,
                   "Contact · AAAA-BBBB-CCCC-DDDD · #7");
  g_assert_false (gtk_widget_has_css_class (row, "error"));

  kf_peer_row_set_contact (KF_PEER_ROW (row), KF_CONTACT_CHANGED, "WWWW-XXXX-YYYY-ZZZZ");
  g_assert_cmpint (kf_peer_row_get_contact (KF_PEER_ROW (row)), ==, KF_CONTACT_CHANGED);
  g_assert_cmpstr (adw_action_row_get_subtitle (action_row), ==,
                   "Identity changed: not the Ion you know · #7");
  g_assert_true (gtk_widget_has_css_class (row, "error"));

  kf_peer_row_set_show_id (KF_PEER_ROW (row), FALSE);
  kf_peer_row_set_contact (KF_PEER_ROW (row), KF_CONTACT_NEW, "WWWW-XXXX-YYYY-ZZZZ");
  g_assert_cmpstr (adw_action_row_get_subtitle (action_row), ==, "");
  g_assert_false (gtk_widget_has_css_class (row, "error"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_result_page (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/tmp/report.pdf");
  g_autoptr(KfOutcome) confirmed = g_object_new (KF_TYPE_OUTCOME,
                                                 "status", KF_OUTCOME_CONFIRMED,
                                                 "is-sender", FALSE,
                                                 "sender-blocks", (guint64) 63,
                                                 "receiver-blocks", (guint64) 63,
                                                 "file", file,
                                                 NULL);
  g_autoptr(KfOutcome) mismatch = g_object_new (KF_TYPE_OUTCOME,
                                                "status", KF_OUTCOME_MISMATCH,
                                                "is-sender", TRUE,
                                                "sender-blocks", (guint64) 63,
                                                "receiver-blocks", (guint64) 62,
                                                NULL);
  g_autoptr(KfOutcome) declined = g_object_new (KF_TYPE_OUTCOME,
                                                "status", KF_OUTCOME_DECLINED,
                                                "is-sender", TRUE,
                                                NULL);
  /* A receiver's file is saved before the verdict: it stays on disk. */
  g_autoptr(KfOutcome) kept_mismatch = g_object_new (KF_TYPE_OUTCOME,
                                                     "status", KF_OUTCOME_MISMATCH,
                                                     "is-sender", FALSE,
                                                     "sender-blocks", (guint64) 63,
                                                     "receiver-blocks", (guint64) 62,
                                                     "file", file,
                                                     NULL);
  g_autoptr(KfOutcome) cancelled_after_save = g_object_new (KF_TYPE_OUTCOME,
                                                            "status", KF_OUTCOME_CANCELLED,
                                                            "is-sender", FALSE,
                                                            "file", file,
                                                            NULL);
  KfResultPage *page = g_object_new (KF_TYPE_RESULT_PAGE, NULL);
  GtkWidget *window = show_in_window (GTK_WIDGET (page));
  GtkWidget *status = kf_gui_test_find_child (GTK_WIDGET (page), ADW_TYPE_STATUS_PAGE, 0);

  kf_result_page_set_outcome (page, confirmed);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "File Received");
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (page), 0), ==, "63");
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (page), 1), ==, "63");
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (page), 2), ==,
                   "The key manager confirmed the block counts");
  g_assert_true (gtk_widget_is_visible (kf_gui_test_find_child (GTK_WIDGET (page),
                                                                ADW_TYPE_ACTION_ROW, 0)));

  kf_result_page_set_outcome (page, mismatch);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Block Counts Do Not Match");
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (page), 1), ==, "62");
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (page), 2), ==, "The block counts do not match");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "The key manager could not confirm the transfer. Send the file again.");

  kf_result_page_set_outcome (page, kept_mismatch);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "The key manager could not confirm the transfer. The file was saved, but "
                   "do not trust it: delete it and ask for it again.");

  kf_result_page_set_outcome (page, cancelled_after_save);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Transfer Cancelled");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "The transfer was cancelled after the whole file had arrived and been "
                   "saved, so the key manager did not confirm it.");

  kf_result_page_set_outcome (page, declined);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "File Declined");
  g_assert_false (gtk_widget_is_visible (kf_gui_test_find_child (GTK_WIDGET (page),
                                                                 ADW_TYPE_ACTION_ROW, 0)));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_trust_dialogs (void)
{
  GtkWidget *trust = kf_trust_dialog_new (NULL, "127.0.0.1", 7745, FINGERPRINT);
  GtkWidget *warning = kf_identity_warning_new (NULL, "127.0.0.1", 7745, FINGERPRINT,
                                                "ff" FINGERPRINT + 2);
  GtkWidget *label = kf_gui_test_find_child (trust, GTK_TYPE_LABEL, 2);

  g_assert_nonnull (label);
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (trust), "trust"));
  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (trust)), ==,
                   "cancel");
  g_assert_cmpstr (kf_trust_dialog_get_fingerprint (KF_TRUST_DIALOG (trust)), ==, FINGERPRINT);

  /* The changed-identity warning offers no way to connect anyway. */
  g_assert_false (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (warning), "trust"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (warning), "close"));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (warning)));

  gtk_window_destroy (GTK_WINDOW (trust));
  gtk_window_destroy (GTK_WINDOW (warning));
}

static void
test_romanian (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("LANGUAGE"));
  KfConnectPage *page;
  GtkWidget *status;

  g_setenv ("LANGUAGE", "ro", TRUE);
  page = g_object_ref_sink (g_object_new (KF_TYPE_CONNECT_PAGE, NULL));
  status = kf_gui_test_find_child (GTK_WIDGET (page), ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Conectați-vă la un manager de chei");
  g_assert_cmpstr (_("No one is waiting. Ask the other person to press Wait; "
                     "they will appear here."), ==,
                   "Nimeni nu așteaptă. Rugați cealaltă persoană să apese Așteaptă; "
                   "va apărea aici.");
  g_object_unref (page);

  if (saved != NULL)
    g_setenv ("LANGUAGE", saved, TRUE);
  else
    g_unsetenv ("LANGUAGE");
}

static GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  GtkWidget *widget;

  for (guint i = 0; (widget = kf_gui_test_find_child (root, GTK_TYPE_WIDGET, i)) != NULL; i++)
    if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
      return widget;
  return NULL;
}

static gboolean
label_says_stalled (gpointer data)
{
  return strstr (gtk_label_get_text (data), "Stalled") != NULL;
}

/* Item 5: the time left is never "0 seconds" while bytes remain, the rate
 * is the page's own, and a transfer where nothing moves says it stalled. */
static void
test_transfer_page_stall (void)
{
  KfTransferPage *page = g_object_new (KF_TYPE_TRANSFER_PAGE, NULL);
  GtkWidget *window = show_in_window (GTK_WIDGET (page));
  GtkLabel *rate = GTK_LABEL (find_by_id (GTK_WIDGET (page), "rate_label"));
  guint64 total = 300 * 1000 * 1000;

  kf_transfer_page_begin (page, TRUE, "Sending “a.iso” to Ana", "Confirming…");
  kf_transfer_page_set_progress (page, 0, total, 0.0);
  kf_gui_test_settle (600);
  /* A burst into the socket's buffers: the client's average says 1 TB/s. */
  kf_transfer_page_set_progress (page, total / 3 * 2, total, 1e12);
  g_test_message ("after a burst: %s", gtk_label_get_text (rate));
  g_assert_null (strstr (gtk_label_get_text (rate), " 0 seconds"));
  g_assert_nonnull (strstr (gtk_label_get_text (rate), "left"));

  /* Then nothing moves: within seconds the page says so. */
  g_assert_true (kf_gui_test_wait_for (label_says_stalled, rate, 15000));
  g_test_message ("stalled: %s", gtk_label_get_text (rate));
  kf_transfer_page_set_progress (page, total / 3 * 2 + 1000, total, 1e12);
  g_assert_false (label_says_stalled (rate));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  kf_gui_test_init_i18n ();
  g_setenv ("LANGUAGE", "C", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/gui/util/check-name", test_check_name);
  g_test_add_func ("/gui/util/parse-port-range", test_parse_port_range);
  g_test_add_func ("/gui/util/format", test_format);
  g_test_add_func ("/gui/main-page/live-peer-list", test_main_page_live_list);
  g_test_add_func ("/gui/main-page/drop-on-peer-row", test_main_page_drop_on_row);
  g_test_add_func ("/gui/offer-dialog/shows-sender-name-and-sizes", test_offer_dialog);
  g_test_add_func ("/gui/offer-dialog/contact-and-changed-identity", test_offer_dialog_contacts);
  g_test_add_func ("/gui/peer-row/contact-marks", test_peer_row_contacts);
  g_test_add_func ("/gui/result-page/block-counts-and-verdict", test_result_page);
  g_test_add_func ("/gui/transfer-page/stall-and-time-left", test_transfer_page_stall);
  g_test_add_func ("/gui/trust/changed-identity-cannot-be-trusted", test_trust_dialogs);
  g_test_add_func ("/gui/l10n/romanian", test_romanian);

  return g_test_run ();
}
