/* test-gui-transfer-pages.c: the desktop app's pages of a transfer, on their own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The offer dialog, the transfer page and the result page, fed offers,
 * progress and outcomes directly, without a network.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "kf-gui-test-util.h"
#include "kf-offer-dialog.h"
#include "kf-result-page.h"
#include "kf-transfer-page.h"
#include "kf-transfer.h"

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

/*
 * Issue 15, item 1: a tree's offer says, before accepting, how many
 * files in how many folders, the total size, the mode and the top-level
 * names (the first 16, then how many more), each name as it is, never
 * read as markup.
 */
static void
test_offer_dialog_tree (void)
{
  g_autoptr(KfOffer) offer = kf_offer_new (4, "Ana", "photos", 3500000, 3500112,
                                           KF_CIPHER_MODE_CFB);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  KfTransferOffer contents = { 0 };
  GtkWidget *dialog, *list, *row;
  guint rows = 0;

  g_ptr_array_add (names, g_strdup ("photos"));
  g_ptr_array_add (names, g_strdup ("<b>bold</b> & Ștefan.txt"));
  for (guint i = 2; i < 16; i++)
    g_ptr_array_add (names, g_strdup_printf ("file-%02u.txt", i));
  g_ptr_array_add (names, NULL);
  contents.n_files = 40;
  contents.n_folders = 3;
  contents.top_level = (char **) names->pdata;
  contents.n_top_level = 18;
  contents.is_tree = TRUE;
  _kf_offer_set_contents (offer, &contents);

  dialog = kf_offer_dialog_new (NULL, offer);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Incoming Files");
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Ana wants to send you 40 files in 3 folders. Accept them only if you "
                   "expect them.");
  g_assert_cmpstr (row_subtitle (dialog, 0), ==, "Ana");
  g_assert_cmpstr (row_subtitle (dialog, 1), ==, "40 files in 3 folders");
  g_assert_nonnull (strstr (row_subtitle (dialog, 2), "3500000 bytes"));
  g_assert_nonnull (strstr (row_subtitle (dialog, 3), "3500112 bytes"));
  g_assert_cmpstr (row_subtitle (dialog, 4), ==, "AES-256-CFB");

  /* The names: 16, then "and 2 more"; markup stays text. */
  row = kf_gui_test_find_child (dialog, ADW_TYPE_ACTION_ROW, 5);
  list = gtk_widget_get_parent (row);
  g_assert_true (gtk_widget_is_visible (list));
  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    rows++;
  g_assert_cmpuint (rows, ==, 17);
  row = kf_gui_test_find_child (dialog, ADW_TYPE_ACTION_ROW, 6);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "<b>bold</b> & Ștefan.txt");
  g_assert_false (adw_preferences_row_get_use_markup (ADW_PREFERENCES_ROW (row)));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (row), ==, "<b>bold</b> & Ștefan.txt");
  row = kf_gui_test_find_child (dialog, ADW_TYPE_ACTION_ROW, 5 + 16);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "and 2 more");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* A sender's name and a file name with markup in them are shown as
 * they are (GTK would warn, and show nothing, reading them as markup). */
static void
test_offer_dialog_markup (void)
{
  g_autoptr(KfOffer) offer = kf_offer_new (4, "Ana <b>& Co", "a <i>& b.txt", 10, 16,
                                           KF_CIPHER_MODE_CBC);
  GtkWidget *dialog = kf_offer_dialog_new (NULL, offer);
  GtkWidget *label;
  gboolean seen = FALSE;

  gtk_window_present (GTK_WINDOW (dialog));
  kf_gui_test_settle (100);
  for (guint i = 0; (label = kf_gui_test_find_child (dialog, GTK_TYPE_LABEL, i)) != NULL; i++)
    seen |= g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), "a <i>& b.txt") == 0;
  g_assert_true (seen);
  gtk_window_destroy (GTK_WINDOW (dialog));
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
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
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

/* Adds one file result to @files. */
static void
add_file_result (GPtrArray            *files,
                 const char           *path,
                 const char           *offered,
                 guint64               size,
                 KfTransferFileStatus  status,
                 gboolean              is_folder)
{
  KfTransferFileResult *file = g_new0 (KfTransferFileResult, 1);

  file->path = g_strdup (path);
  file->offered_path = g_strdup (offered);
  file->size = size;
  file->status = status;
  file->is_folder = is_folder;
  g_ptr_array_add (files, file);
}

static GPtrArray *
new_file_results (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) kf_transfer_file_result_free);
}

static const char *
status_description (GtkWidget *page)
{
  return adw_status_page_get_description (ADW_STATUS_PAGE (kf_gui_test_find_by_id (page, "status_page")));
}

/*
 * Issue 15, item 5: the result of a tree lists what arrived, what was
 * renamed, skipped or never came (those first, each marked), with Open
 * Folder on the folder itself; an interrupted tree says which files
 * stayed and still opens their folder.
 */
static void
test_result_page_files (void)
{
  g_autoptr(GFile) folder = g_file_new_for_path ("/tmp/Downloads");
  g_autoptr(KfOutcome) confirmed = g_object_new (KF_TYPE_OUTCOME,
                                                 "status", KF_OUTCOME_CONFIRMED,
                                                 "is-sender", FALSE,
                                                 "is-tree", TRUE,
                                                 "sender-blocks", (guint64) 70,
                                                 "receiver-blocks", (guint64) 70,
                                                 "file", folder,
                                                 NULL);
  g_autoptr(KfOutcome) cancelled = g_object_new (KF_TYPE_OUTCOME,
                                                 "status", KF_OUTCOME_CANCELLED,
                                                 "is-sender", FALSE,
                                                 "is-tree", TRUE,
                                                 "is-local", TRUE,
                                                 NULL);
  GPtrArray *files = new_file_results ();
  KfResultPage *page = g_object_new (KF_TYPE_RESULT_PAGE, NULL);
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  GtkWidget *list = kf_gui_test_find_by_id (GTK_WIDGET (page), "file_list");
  GtkWidget *row;

  add_file_result (files, "photos", NULL, 0, KF_TRANSFER_FILE_ARRIVED, TRUE);
  add_file_result (files, "photos/a.jpg", NULL, 1000, KF_TRANSFER_FILE_ARRIVED, FALSE);
  add_file_result (files, "notes (2).txt", "notes.txt", 10, KF_TRANSFER_FILE_RENAMED, FALSE);
  add_file_result (files, "photos/link.jpg", NULL, 0, KF_TRANSFER_FILE_SKIPPED, FALSE);
  _kf_outcome_set_files (confirmed, files);
  kf_result_page_set_outcome (page, confirmed);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (kf_gui_test_find_by_id (GTK_WIDGET (page),
                                                                           "status_page"))),
                   ==, "Files Received");
  g_assert_cmpstr (status_description (GTK_WIDGET (page)), ==,
                   "2 files arrived in the folder “Downloads”. The key manager confirmed the "
                   "block counts.");
  g_assert_true (gtk_widget_is_visible (list));
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (
                     kf_gui_test_find_by_id (GTK_WIDGET (page), "group"))), ==,
                   "1 file arrived, 1 renamed, 1 skipped");
  /* What did not simply arrive comes first, said in words. */
  row = gtk_widget_get_first_child (list);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "notes (2).txt");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Renamed: the sender called it “notes.txt”");
  row = gtk_widget_get_next_sibling (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Skipped by the sender: a link, a device or a file it could not read");
  row = gtk_widget_get_next_sibling (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "photos");
  row = gtk_widget_get_next_sibling (row);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (row), ==, "photos/a.jpg");
  g_assert_true (gtk_widget_is_visible (kf_gui_test_find_by_id (GTK_WIDGET (page), "open_box")));
  g_assert_false (gtk_widget_is_visible (kf_gui_test_find_by_id (GTK_WIDGET (page), "open_file_button")));

  /* Cancelled half way: what arrived stays, and its folder opens. */
  files = new_file_results ();
  add_file_result (files, "a.txt", NULL, 10, KF_TRANSFER_FILE_ARRIVED, FALSE);
  add_file_result (files, "b.txt", NULL, 10, KF_TRANSFER_FILE_INCOMPLETE, FALSE);
  add_file_result (files, "c.txt", NULL, 10, KF_TRANSFER_FILE_INCOMPLETE, FALSE);
  _kf_outcome_set_files (cancelled, files);
  kf_result_page_set_folder (page, folder);
  kf_result_page_set_outcome (page, cancelled);
  g_assert_cmpstr (status_description (GTK_WIDGET (page)), ==,
                   "You cancelled the transfer. 1 file had arrived complete: it stays in "
                   "“Downloads”, and the list below says which.");
  row = gtk_widget_get_first_child (list);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Not received: the transfer stopped first");
  g_assert_true (gtk_widget_is_visible (kf_gui_test_find_by_id (GTK_WIDGET (page), "open_box")));

  /* 10,000 files: at most 500 rows, then how many more. */
  files = new_file_results ();
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *path = g_strdup_printf ("many/%05u.txt", i);

      add_file_result (files, path, NULL, 4096, KF_TRANSFER_FILE_ARRIVED, FALSE);
    }
  _kf_outcome_set_files (confirmed, files);
  kf_result_page_set_outcome (page, confirmed);
  {
    guint rows = 0;
    GtkWidget *last = NULL;

    for (row = gtk_widget_get_first_child (list); row != NULL;
         row = gtk_widget_get_next_sibling (row))
      {
        last = row;
        rows++;
      }
    g_assert_cmpuint (rows, ==, 501);
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (last)), ==,
                     "and 9500 more: open the folder to see them all");
  }

  gtk_window_destroy (GTK_WINDOW (window));
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
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  GtkLabel *rate = GTK_LABEL (kf_gui_test_find_by_id (GTK_WIDGET (page), "rate_label"));
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

/*
 * Issue 15, item 4: with several files the page says how many are done
 * and which one is under way (cut in the middle, whole in the tooltip),
 * and a screen reader on the bar hears it; one file alone shows neither.
 */
static void
test_transfer_page_files (void)
{
  KfTransferPage *page = g_object_new (KF_TYPE_TRANSFER_PAGE, NULL);
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  GtkWidget *files = kf_gui_test_find_by_id (GTK_WIDGET (page), "files_label");
  GtkWidget *current = kf_gui_test_find_by_id (GTK_WIDGET (page), "current_label");
  const char *path = "photos/2024/a very long folder name/IMG_20240612_101010.jpg";
  KfTransferProgress progress = { 4000, 40000, 1000.0, 3, 27, path, NULL };
  KfTransferProgress alone = { 4000, 40000, 1000.0, 0, 1, "a.iso", NULL };
  g_autofree char *description = NULL;

  kf_transfer_page_begin (page, TRUE, "Sending 2 items to Ana", "Confirming…");
  g_assert_false (gtk_widget_get_visible (files));
  kf_transfer_page_show_progress (page, &progress);
  g_assert_true (gtk_widget_get_visible (files));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (files)), ==, "3 of 27 files done");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (current)), ==, path);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (current), ==, path);
  g_assert_cmpint (gtk_label_get_ellipsize (GTK_LABEL (current)), ==, PANGO_ELLIPSIZE_MIDDLE);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (kf_gui_test_find_by_id (GTK_WIDGET (page),
                                                                              "status_page"))),
                   ==, "Transferring the encrypted files");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (kf_gui_test_find_by_id (GTK_WIDGET (page),
                                                              "bytes_label"))),
                   ==, "4.0\u00a0kB of 40.0\u00a0kB (10 %)");

  kf_transfer_page_begin (page, TRUE, "Sending “a.iso” to Ana", "Confirming…");
  kf_transfer_page_show_progress (page, &alone);
  g_assert_false (gtk_widget_get_visible (files));
  g_assert_false (gtk_widget_get_visible (current));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  kf_gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/offer-dialog/shows-sender-name-and-sizes", test_offer_dialog);
  g_test_add_func ("/gui/offer-dialog/contact-and-changed-identity", test_offer_dialog_contacts);
  g_test_add_func ("/gui/offer-dialog/tree-counts-and-names", test_offer_dialog_tree);
  g_test_add_func ("/gui/offer-dialog/names-are-not-markup", test_offer_dialog_markup);
  g_test_add_func ("/gui/result-page/block-counts-and-verdict", test_result_page);
  g_test_add_func ("/gui/result-page/tree-lists-each-file", test_result_page_files);
  g_test_add_func ("/gui/transfer-page/stall-and-time-left", test_transfer_page_stall);
  g_test_add_func ("/gui/transfer-page/files-done-and-current", test_transfer_page_files);

  return g_test_run ();
}
