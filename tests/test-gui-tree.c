/* test-gui-tree.c: the window and trees of files and folders, with a
 * real key manager: received from a keyferry-cli process, sent to a
 * person, cancelled half way from either side
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

static GtkWidget *
result_page (Fixture *fx)
{
  return kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);
}

/* The result page's file rows: the one whose tooltip is @path, or NULL. */
static GtkWidget *
find_file_row (Fixture    *fx,
               const char *path)
{
  GtkWidget *page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);
  GtkWidget *list = xfer_by_id (page, "file_list");

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (gtk_widget_get_tooltip_text (row), path) == 0)
      return row;
  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    g_test_message ("listed: “%s”", gtk_widget_get_tooltip_text (row));
  return NULL;
}

/* A name with a right-to-left override and markup in it. */
#define HOSTILE_NAME "\xe2\x80\xaegnp.exe <b>x & y.txt"

/* Every row of the result's list says only cleaned text, never markup. */
static void
assert_rows_clean (Fixture *fx)
{
  GtkWidget *list = xfer_by_id (result_page (fx), "file_list");

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));

      g_test_message ("result row: “%s”, “%s”",
                      adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), subtitle);
      g_assert_true (kf_untrusted_is_clean (adw_preferences_row_get_title (
                                              ADW_PREFERENCES_ROW (row))));
      g_assert_true (subtitle == NULL || kf_untrusted_is_clean (subtitle));
      g_assert_false (adw_preferences_row_get_use_markup (ADW_PREFERENCES_ROW (row)));
    }
}

/* The result page's title and description. */
static const char *
result_title (Fixture *fx)
{
  GtkWidget *page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);

  return adw_status_page_get_title (ADW_STATUS_PAGE (xfer_by_id (page, "status_page")));
}

static const char *
result_description (Fixture *fx)
{
  GtkWidget *page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);

  return adw_status_page_get_description (ADW_STATUS_PAGE (xfer_by_id (page, "status_page")));
}

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (data);

  return file != NULL;
}

/* Accepts a tree's offer in @dialog into the download folder @folder
 * (the folder chooser starts there), as a person would. */
static void
accept_into_folder (GtkWidget *dialog,
                    GFile     *folder)
{
  g_autoptr(GFile) current = NULL;
  GtkWidget *chooser;

  kf_gui_test_respond (dialog, "accept");
  chooser = flow_wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (kf_gui_test_wait_for (flow_chooser_has_folder, chooser, TIMEOUT_MS));
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==,
                   GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  current = gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (chooser));
  g_assert_true (g_file_equal (current, folder));
  /* The person picks the folder itself, as in a file manager. */
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), folder, NULL));
  g_assert_true (kf_gui_test_wait_for (chooser_has_file, chooser, TIMEOUT_MS));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
}

/* A folder "downloads" in the fixture's, made the app's download folder. */
static GFile *
make_downloads (Fixture *fx)
{
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (kf_application_get_settings (fx->app), "download-folder", downloads);
  return g_file_new_for_path (downloads);
}

/* Asserts that the offer's row @row shows a folder's (or a file's)
 * icon, labelled for screen readers, and the size @size under the name. */
static void
assert_entry_row (GtkWidget *row,
                  gboolean   folder,
                  guint64    size)
{
  g_autofree char *bytes = g_format_size (size);
  g_autofree char *wrong = NULL;
  GtkWidget *icon = NULL;
  GtkWidget *image;

  for (guint i = 0; (image = kf_gui_test_find_child (row, GTK_TYPE_IMAGE, i)) != NULL; i++)
    if (gtk_widget_get_visible (image) && gtk_image_get_icon_name (GTK_IMAGE (image)) != NULL)
      icon = image;
  g_assert_nonnull (icon);
  g_test_message ("offer row “%s”: %s, “%s”",
                  adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                  gtk_image_get_icon_name (GTK_IMAGE (icon)),
                  adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (icon)), ==,
                   folder ? "folder-symbolic" : "text-x-generic-symbolic");
  wrong = gtk_test_accessible_check_property (GTK_ACCESSIBLE (icon),
                                              GTK_ACCESSIBLE_PROPERTY_LABEL,
                                              folder ? _("Folder") : _("File"));
  g_assert_null (wrong);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, bytes);
}

/*
 * Issue 15, items 1 and 5, on the real window: a keyferry-cli process
 * sends a folder (nested and empty folders, an empty file, a Unicode
 * name) and a file.  The offer says how many files in how many folders,
 * the total size and the top-level names before accepting, each with a
 * folder's or a file's icon and its size; Accept asks
 * for a folder; what arrives is the same tree; the result lists each
 * file with Open Folder.  Sent again, the folder arrives as
 * "project (2)", and the result says it was renamed.
 */
static void
test_receive_tree_from_cli (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(GFile) tree = flow_make_tree (fx, "project");
  g_autoptr(GFile) notes = flow_make_file (fx, "notes.txt", 5000);
  g_autoptr(GFile) hostile = flow_make_file (fx, HOSTILE_NAME, 10);
  g_autoptr(GFile) downloads = make_downloads (fx);
  g_autoptr(GFile) got_tree = g_file_get_child (downloads, "project");
  g_autoptr(GFile) got_notes = g_file_get_child (downloads, "notes.txt");
  g_autoptr(GFile) again = g_file_get_child (downloads, "project (2)");
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *contents = kf_gui_format_contents (6, 4);
  g_autofree char *shot = g_strdup_printf ("offer-tree-cli-sender-%s", xfer_language ());
  g_autofree char *renamed = g_strdup_printf (_("Renamed: the sender called it “%s”"),
                                              "project");
  GFile *items[] = { tree, notes, hostile };
  GtkWidget *dialog, *row;

  flow_start_connected_window (fx);
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (kf_window_get_client (fx->window), KF_CLIENT_STATE_WAITING);
  cli = xfer_start_cli (fx, "Ion", items, G_N_ELEMENTS (items));
  dialog = flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
  kf_gui_test_screenshot (dialog, shot);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   _("Incoming Files"));
  {
    g_autofree char *from = g_strdup_printf (_("%s · not a contact yet, identity %s"), "Ion", "");

    g_assert_true (g_str_has_prefix (flow_row_subtitle (dialog, 0), from));
  }
  g_assert_cmpstr (flow_row_subtitle (dialog, 1), ==, contents);
  g_test_message ("offer: %s, %s", flow_row_subtitle (dialog, 1), flow_row_subtitle (dialog, 2));
  g_assert_nonnull (strstr (flow_row_subtitle (dialog, 2), "376245"));
  row = kf_gui_test_find_child (dialog, ADW_TYPE_ACTION_ROW, 5);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "project");
  assert_entry_row (row, TRUE, 376245 - 5000 - 10);
  row = kf_gui_test_find_child (dialog, ADW_TYPE_ACTION_ROW, 6);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "notes.txt");
  assert_entry_row (row, FALSE, 5000);
  /* The hostile name comes cleaned, and is shown as text. */
  row = kf_gui_test_find_child (dialog, ADW_TYPE_ACTION_ROW, 7);
  g_test_message ("hostile name offered as “%s”",
                  adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  g_assert_true (kf_untrusted_is_clean (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row))));
  g_assert_nonnull (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                            "<b>x & y.txt"));
  g_assert_false (adw_preferences_row_get_use_markup (ADW_PREFERENCES_ROW (row)));
  assert_entry_row (row, FALSE, 10);

  accept_into_folder (dialog, downloads);
  flow_wait_for_page (fx->window, "result");
  g_assert_cmpint (xfer_wait_cli (fx, cli), ==, 0);
  flow_assert_same_tree (tree, got_tree);
  flow_assert_same_contents (notes, got_notes);
  g_assert_cmpstr (result_title (fx), ==, _("Files Received"));
  g_assert_nonnull (find_file_row (fx, "project/photos/2024/b.jpg"));
  g_assert_nonnull (find_file_row (fx, "project/Înțelegeți ünïcode ✓.txt"));
  g_assert_nonnull (find_file_row (fx, "notes.txt"));
  assert_rows_clean (fx);
  g_assert_true (gtk_widget_is_visible (xfer_by_id (result_page (fx), "open_box")));
  g_assert_false (gtk_widget_is_visible (xfer_by_id (result_page (fx), "open_file_button")));
  g_clear_object (&cli);

  /* The same again: nothing is replaced, the newcomer is renamed. */
  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (kf_window_get_client (fx->window), KF_CLIENT_STATE_WAITING);
  cli = xfer_start_cli (fx, "Ion", items, 1);
  accept_into_folder (flow_wait_for_window (KF_TYPE_OFFER_DIALOG), downloads);
  flow_wait_for_page (fx->window, "result");
  g_assert_cmpint (xfer_wait_cli (fx, cli), ==, 0);
  flow_assert_same_tree (tree, again);
  row = find_file_row (fx, "project (2)");
  g_assert_nonnull (row);
  g_test_message ("second time: “%s”, “%s”", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                  result_description (fx));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, renamed);
  g_settings_reset (kf_application_get_settings (fx->app), "download-folder");
}

/*
 * Issue 15, item 5: the window sends a folder and a file dropped
 * together on a person's row; the person receives one offer of the
 * whole tree into a folder, the same bytes, and the window's result
 * lists what was delivered.
 */
static void
test_send_tree_to_peer (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GFile) tree = flow_make_tree (fx, "project");
  g_autoptr(GFile) notes = flow_make_file (fx, "notes.txt", 5000);
  g_autofree char *dest = g_build_filename (fx->tmpdir, "ion", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest), NULL, NULL };
  g_autoptr(GFile) got_tree = g_file_get_child (receiver.destination, "project");
  g_autoptr(GFile) got_notes = g_file_get_child (receiver.destination, "notes.txt");
  GFile *items[] = { tree, notes, NULL };
  guint n_top_level = 0;
  const char * const *names;
  GtkWidget *row;

  g_assert_cmpint (g_mkdir (dest, 0700), ==, 0);
  row = flow_send_view_with_receiver (fx, "Ion", &receiver);
  g_assert_true (kf_gui_test_drop_files (row, items));
  kf_main_page_set_mode (KF_MAIN_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                               KF_TYPE_MAIN_PAGE, 0)),
                         KF_CIPHER_MODE_CBC);
  flow_click (GTK_WIDGET (fx->window), "win.conn");

  flow_wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, &receiver, TIMEOUT_MS));
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CONFIRMED);
  g_assert_true (kf_offer_get_is_tree (receiver.offer));
  g_assert_cmpuint (kf_offer_get_n_files (receiver.offer), ==, 5);
  g_assert_cmpuint (kf_offer_get_n_folders (receiver.offer), ==, 4);
  names = kf_offer_get_top_level (receiver.offer, &n_top_level);
  g_assert_cmpuint (n_top_level, ==, 2);
  g_assert_cmpstr (names[0], ==, "project");
  g_assert_cmpstr (names[1], ==, "notes.txt");
  flow_assert_same_tree (tree, got_tree);
  flow_assert_same_contents (notes, got_notes);

  g_assert_cmpstr (result_title (fx), ==, _("Files Sent"));
  g_assert_nonnull (find_file_row (fx, "project/photos/2024/b.jpg"));
  /* The sender has no folder of the receiver's to open. */
  g_assert_false (gtk_widget_is_visible (xfer_by_id (result_page (fx), "open_box")));

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

typedef struct
{
  Fixture  *fx;
  char     *files_text;
  char     *current_text;
  KfClient *sender;        /* when set, the sender cancels, not the window */
} CancelAt;

/* Once the folder's four files are in and the large file is under way,
 * notes what the page says and presses Cancel (or the sender cancels). */
static void
on_tree_progress (KfClient                 *client,
                  const KfTransferProgress *progress,
                  CancelAt                 *at)
{
  GtkWidget *page = xfer_page (at->fx);
  GtkWidget *button = flow_find_action_button (GTK_WIDGET (at->fx->window), "win.cancel");

  if (at->files_text != NULL || progress->files_done < 4 || progress->done >= progress->total
      || g_strcmp0 (progress->current_file, "big.iso") != 0
      || button == NULL || !gtk_widget_is_sensitive (button))
    return;
  at->files_text = g_strdup (gtk_label_get_text (GTK_LABEL (xfer_by_id (page, "files_label"))));
  at->current_text = g_strdup (gtk_label_get_text (GTK_LABEL (xfer_by_id (page,
                                                                          "current_label"))));
  if (at->sender != NULL)
    kf_client_cancel (at->sender);
  else
    g_signal_emit_by_name (button, "clicked");
}

/*
 * Issue 15, items 2, 4 and 5: the window receives a folder and then a
 * large file, and cancels while the large file comes (or, with
 * @sender_cancels, the sender cancels then).  The page counted
 * the files done and named the one under way; the result says how many
 * files had arrived and where, lists the large one as not received, and
 * opens the folder; the folder's files are whole and nothing else is
 * left, no half file.
 */
static void
run_cancel_tree (Fixture  *fx,
                 gboolean  sender_cancels)
{
  g_autoptr(GFile) tree = flow_make_tree (fx, "project");
  g_autoptr(GFile) big = xfer_sparse_file (fx, "big.iso", (goffset) 512 << 20);
  g_autoptr(GFile) downloads = make_downloads (fx);
  g_autoptr(GFile) got_tree = g_file_get_child (downloads, "project");
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GFileEnumerator) left = NULL;
  g_autofree char *files_text = NULL;
  g_autofree char *description = NULL;
  g_autofree char *cancelled = NULL;
  CancelAt at = { fx, NULL, NULL, NULL };
  AsyncWait send_wait = { NULL };
  GFile *items[] = { tree, big };
  GFileInfo *info;
  GtkWidget *row;
  KfClient *ion;
  guint n_left = 0;

  flow_start_connected_window (fx);
  ion = flow_connect_peer (fx, "Ion");
  if (sender_cancels)
    at.sender = ion;
  g_signal_connect (kf_window_get_client (fx->window), "transfer-progress",
                    G_CALLBACK (on_tree_progress), &at);
  flow_offer_files_to_window (fx, ion, items, 2, &send_wait);
  accept_into_folder (flow_wait_for_window (KF_TYPE_OFFER_DIALOG), downloads);
  flow_wait_for_page (fx->window, "result");
  outcome = flow_finish_sending (ion, &send_wait);

  g_test_message ("at cancel: “%s”, “%s”; result: “%s”", at.files_text, at.current_text,
                  result_description (fx));
  files_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u file done",
                                             "%u of %u files done", 5), 4, 5);
  g_assert_cmpstr (at.files_text, ==, files_text);
  g_assert_cmpstr (at.current_text, ==, "big.iso");
  g_assert_cmpstr (result_title (fx), ==, _("Transfer Cancelled"));
  cancelled = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%u file had arrived complete: it stays in “%s”, "
                                            "and the list below says which.",
                                            "%u files had arrived complete: they stay in “%s”, "
                                            "and the list below says which.", 4),
                               4, "downloads");
  description = g_strdup_printf ("%s %s", sender_cancels ? _("The other person cancelled the "
                                                             "transfer.")
                                                         : _("You cancelled the transfer."),
                                 cancelled);
  g_assert_cmpstr (result_description (fx), ==, description);
  row = find_file_row (fx, "big.iso");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   _("Not received: the transfer stopped first"));
  g_assert_true (gtk_widget_is_visible (xfer_by_id (result_page (fx), "open_box")));

  /* The folder's files are whole; the large one left nothing behind. */
  flow_assert_same_tree (tree, got_tree);
  left = g_file_enumerate_children (downloads, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                    G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (g_file_enumerator_iterate (left, &info, NULL, NULL, NULL) && info != NULL)
    {
      g_test_message ("left in downloads: %s", g_file_info_get_name (info));
      n_left++;
    }
  g_assert_cmpuint (n_left, ==, 1);
  if (outcome != NULL)
    g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CANCELLED);
  g_free (at.files_text);
  g_free (at.current_text);
  g_settings_reset (kf_application_get_settings (fx->app), "download-folder");
}

static void
test_cancel_tree_half_way (Fixture       *fx,
                           gconstpointer  data)
{
  run_cancel_tree (fx, FALSE);
}

static void
test_sender_cancels_tree_received (Fixture       *fx,
                                   gconstpointer  data)
{
  run_cancel_tree (fx, TRUE);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Shows @window again with the default width @width, its height kept. */
static void
present_at_width (GtkWindow *window,
                  int        width)
{
  int default_width, height;

  gtk_window_get_default_size (window, &default_width, &height);
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  gtk_window_unmaximize (window);
  gtk_window_set_default_size (window, width, height);
  gtk_window_present (window);
  kf_gui_test_settle (500);
}

/* Renders the window as it is and at 360 px wide (the narrowest phone),
 * as @state-LANGUAGE and @state-narrow-LANGUAGE, for people to look at. */
static void
shoot_wide_and_narrow (Fixture    *fx,
                       const char *state)
{
  GtkWindow *window = GTK_WINDOW (fx->window);
  g_autofree char *wide = g_strdup_printf ("%s-%s", state, xfer_language ());
  g_autofree char *narrow = g_strdup_printf ("%s-narrow-%s", state, xfer_language ());

  kf_gui_test_settle (500);
  kf_gui_test_screenshot (GTK_WIDGET (window), wide);
  /* The default size may count a frame around the window's contents. */
  present_at_width (window, 360);
  if (gtk_widget_get_width (GTK_WIDGET (window)) != 360)
    present_at_width (window, 360 + 360 - gtk_widget_get_width (GTK_WIDGET (window)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), ==, 360);
  kf_gui_test_screenshot (GTK_WIDGET (window), narrow);
}

/* The paths of @outcome's files (not folders) with @status, sorted, ","-joined. */
static char *
paths_with_status (KfOutcome            *outcome,
                   KfTransferFileStatus  status)
{
  GPtrArray *files = kf_outcome_get_files (outcome);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < files->len; i++)
    {
      const KfTransferFileResult *file = files->pdata[i];

      g_test_message ("sender's list: %s %s", file->path,
                      kf_transfer_file_status_to_string (file->status));
      if (!file->is_folder && file->status == status)
        g_ptr_array_add (paths, file->path);
    }
  g_ptr_array_sort (paths, compare_paths);
  g_ptr_array_add (paths, NULL);
  return g_strjoinv (",", (char **) paths->pdata);
}

/*
 * Issue 15, items 4 and 5, the sending side: the window sends a folder
 * and then a large file to a person and cancels while the large file
 * goes.  The result says, from the engine's own list, exactly which
 * files had gone whole (the folder's four) and that the person keeps
 * those it verified; it lists them, and the large one as not
 * delivered.
 */
static void
test_sender_cancels_tree (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(GFile) tree = flow_make_tree (fx, "project");
  g_autoptr(GFile) big = xfer_sparse_file (fx, "big.iso", (goffset) 512 << 20);
  g_autofree char *dest = g_build_filename (fx->tmpdir, "ion", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest), NULL, NULL };
  g_autoptr(GFile) got_tree = g_file_get_child (receiver.destination, "project");
  g_autofree char *sent = NULL;
  g_autofree char *not_sent = NULL;
  g_autofree char *said = NULL;
  CancelAt at = { fx, NULL, NULL, NULL };
  GFile *items[] = { tree, big, NULL };
  KfOutcome *outcome;
  GtkWidget *row;

  g_assert_cmpint (g_mkdir (dest, 0700), ==, 0);
  row = flow_send_view_with_receiver (fx, "Ion", &receiver);
  g_assert_true (kf_gui_test_drop_files (row, items));
  kf_main_page_set_mode (KF_MAIN_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                               KF_TYPE_MAIN_PAGE, 0)),
                         KF_CIPHER_MODE_CFB);
  g_signal_connect (kf_window_get_client (fx->window), "transfer-progress",
                    G_CALLBACK (on_tree_progress), &at);
  flow_click (GTK_WIDGET (fx->window), "win.conn");
  flow_wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, &receiver, TIMEOUT_MS));

  outcome = kf_result_page_get_outcome (KF_RESULT_PAGE (result_page (fx)));
  g_test_message ("at cancel: “%s”; result: “%s”", at.files_text, result_description (fx));
  g_assert_cmpstr (result_title (fx), ==, _("Transfer Cancelled"));
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_true (kf_outcome_get_is_tree (outcome));
  /* Exactly the folder's four files went whole, and the person has them. */
  sent = paths_with_status (outcome, KF_TRANSFER_FILE_SENT);
  g_assert_cmpstr (sent, ==, "project/a.txt,project/empty.txt,project/photos/2024/b.jpg,"
                             "project/Înțelegeți ünïcode ✓.txt");
  not_sent = paths_with_status (outcome, KF_TRANSFER_FILE_INCOMPLETE);
  g_assert_cmpstr (not_sent, ==, "big.iso");
  flow_assert_same_tree (tree, got_tree);
  {
    g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                           "%u of %u file was sent before the "
                                                           "transfer stopped; the receiver keeps "
                                                           "the ones it verified.",
                                                           "%u of %u files were sent before the "
                                                           "transfer stopped; the receiver keeps "
                                                           "the ones it verified.", 5), 4, 5);

    said = g_strdup_printf ("%s %s", _("You cancelled the transfer."), count);
    g_assert_cmpstr (result_description (fx), ==, said);
  }
  row = find_file_row (fx, "big.iso");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   _("Not delivered: the transfer stopped first"));
  row = find_file_row (fx, "project/photos/2024/b.jpg");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   _("Sent whole before the transfer stopped; the receiver keeps it if it "
                     "verified it"));
  /* A folder on the way carries no bytes: no warning for it. */
  row = find_file_row (fx, "project/photos");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, _("Folder"));
  g_assert_false (gtk_widget_has_css_class (row, "kf-file-problem"));
  g_assert_false (gtk_widget_is_visible (xfer_by_id (result_page (fx), "open_box")));
  shoot_wide_and_narrow (fx, "result-sender-cancelled-tree");

  g_free (at.files_text);
  g_free (at.current_text);
  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

/*
 * Issue 15, item 5: a keyferry-cli process offers a folder and a file;
 * the window declines.  Its outcome says a tree was offered, and the
 * result page speaks of files, not of one file; the sender hears the
 * decline.
 */
static void
test_decline_tree (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GFile) tree = flow_make_tree (fx, "project");
  g_autoptr(GFile) notes = flow_make_file (fx, "notes.txt", 5000);
  g_autoptr(GSubprocess) cli = NULL;
  GFile *items[] = { tree, notes };
  KfOutcome *outcome;

  flow_start_connected_window (fx);
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (kf_window_get_client (fx->window), KF_CLIENT_STATE_WAITING);
  cli = xfer_start_cli (fx, "Ion", items, G_N_ELEMENTS (items));
  kf_gui_test_respond (flow_wait_for_window (KF_TYPE_OFFER_DIALOG), "decline");
  flow_wait_for_page (fx->window, "result");
  g_assert_cmpint (xfer_wait_cli (fx, cli), ==, 3);

  outcome = kf_result_page_get_outcome (KF_RESULT_PAGE (result_page (fx)));
  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_DECLINED);
  g_assert_true (kf_outcome_get_is_tree (outcome));
  g_assert_cmpstr (result_title (fx), ==, _("Files Declined"));
  g_assert_cmpstr (result_description (fx), ==, _("You declined the files. Nothing was saved."));
  g_assert_false (gtk_widget_is_visible (xfer_by_id (result_page (fx), "result_files")));
}

int
main (int    argc,
      char **argv)
{
  /* GTK's test accessibility backend, so that tests can read what a
   * screen reader is told. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  flow_init (&argc, &argv);

  flow_add_test ("/gui/transfer/receive-tree-from-cli", test_receive_tree_from_cli);
  flow_add_test ("/gui/transfer/send-tree-to-peer", test_send_tree_to_peer);
  flow_add_test ("/gui/transfer/cancel-tree-half-way", test_cancel_tree_half_way);
  flow_add_test ("/gui/transfer/sender-cancels-tree-while-received",
                 test_sender_cancels_tree_received);

  flow_add_test ("/gui/transfer/sender-cancels-tree-half-way", test_sender_cancels_tree);
  flow_add_test ("/gui/transfer/decline-tree", test_decline_tree);

  return flow_run ();
}
