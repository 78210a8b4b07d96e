/* test-gui-pages.c: the desktop app's pages and dialogs before a transfer, on their own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connect and main pages, the list of files to send, the peer rows,
 * the trust dialogs and the GUI's helpers, without a network.  The pages
 * of a transfer itself (offer, progress, result) are in
 * test-gui-transfer-pages.c.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kf-connect-page.h"
#include "kf-gui-test-util.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-main-page.h"
#include "kf-peer-row.h"
#include "kf-peer.h"
#include "kf-send-files.h"
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

/* A toast quotes names and messages from others: libadwaita 1.2 reads
 * its title as markup, so the text is escaped and shown as it is. */
static void
test_toast_plain (void)
{
  g_autoptr(AdwToast) toast = kf_gui_toast_new ("Ana <b>& Co left");

  g_assert_cmpstr (adw_toast_get_title (toast), ==, "Ana &lt;b&gt;&amp; Co left");
}

static guint
count_peer_rows (KfMainPage *page)
{
  return kf_gui_test_count_children (GTK_WIDGET (page), KF_TYPE_PEER_ROW);
}

static void
test_main_page_live_list (void)
{
  g_autoptr(GListStore) peers = g_list_store_new (KF_TYPE_PEER);
  g_autoptr(KfPeer) ana = kf_peer_new (4, "Ana");
  g_autoptr(KfPeer) ion = kf_peer_new (7, "Ion");
  g_autoptr(KfPeer) other_ion = kf_peer_new (9, "Ion");
  KfMainPage *page = g_object_new (KF_TYPE_MAIN_PAGE, NULL);
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  GtkWidget *row;

  kf_main_page_set_view (page, KF_MAIN_VIEW_SEND);
  kf_main_page_set_peers (page, G_LIST_MODEL (peers), NULL);
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
  g_autoptr(GPtrArray) chosen = NULL;
  g_autofree char *peer_name = NULL;
  KfMainPage *page = g_object_new (KF_TYPE_MAIN_PAGE, NULL);
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  KfCipherMode mode = KF_CIPHER_MODE_CBC;
  guint peer_id = 0, changes = 0;
  GtkWidget *row;

  g_signal_connect (page, "changed", G_CALLBACK (on_changed), &changes);
  kf_main_page_set_view (page, KF_MAIN_VIEW_SEND);
  g_list_store_append (peers, ana);
  g_list_store_append (peers, ion);
  kf_main_page_set_peers (page, G_LIST_MODEL (peers), NULL);

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
  g_assert_cmpuint (chosen->len, ==, 1);
  g_assert_true (g_file_equal (chosen->pdata[0], file));

  /* A drop anywhere else on the page adds to the files; the peer stays. */
  {
    g_autoptr(GFile) other = g_file_new_for_path ("/tmp/other.txt");
    g_autoptr(GPtrArray) files = NULL;

    g_assert_true (kf_gui_test_drop_file (GTK_WIDGET (page), other));
    files = kf_main_page_dup_files (page);
    g_assert_cmpuint (files->len, ==, 2);
    g_assert_true (g_file_equal (files->pdata[0], file));
    g_assert_true (g_file_equal (files->pdata[1], other));
    g_assert_true (kf_main_page_get_choice (page, &peer_id, NULL, NULL, NULL));
    g_assert_cmpuint (peer_id, ==, 7);
  }

  kf_main_page_reset_send (page);
  g_assert_false (kf_main_page_get_choice (page, NULL, NULL, NULL, NULL));
  {
    g_autoptr(GPtrArray) files = kf_main_page_dup_files (page);

    g_assert_cmpuint (files->len, ==, 0);
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Writes @size bytes to @path, making its folders. */
static GFile *
write_file (const char *path,
            gsize       size)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *data = g_malloc0 (size + 1);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, data, size, NULL));
  return g_file_new_for_path (path);
}

static gboolean
files_counted (gpointer data)
{
  return kf_send_files_is_counted (data, NULL, NULL);
}

/* The send-files part of @page and its row @index. */
static KfSendFiles *
send_files_of (KfMainPage *page)
{
  GtkWidget *files = kf_gui_test_find_child (GTK_WIDGET (page), KF_TYPE_SEND_FILES, 0);

  g_assert_nonnull (files);
  return KF_SEND_FILES (files);
}

/*
 * Issue 15, item 5: several files and a folder dropped on the page are
 * listed with what they hold (a folder's links left out, as the engine
 * does); an item named like one listed is refused with a reason; a row's
 * remove button takes it off; a drop on a person replaces the list.
 */
static void
test_send_files_list (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("kf-send-files-XXXXXX", NULL);
  g_autofree char *photos_path = g_build_filename (tmp, "photos", NULL);
  g_autofree char *link_path = g_build_filename (tmp, "photos", "link.jpg", NULL);
  g_autofree char *empty_path = g_build_filename (tmp, "photos", "empty", NULL);
  g_autofree char *notes_path = g_build_filename (tmp, "notes.txt", NULL);
  g_autofree char *other_path = g_build_filename (tmp, "other", "notes.txt", NULL);
  g_autofree char *a_path = g_build_filename (tmp, "photos", "a.jpg", NULL);
  g_autofree char *b_path = g_build_filename (tmp, "photos", "2024", "b.jpg", NULL);
  g_autoptr(GFile) a = write_file (a_path, 1000);
  g_autoptr(GFile) b = write_file (b_path, 2000);
  g_autoptr(GFile) notes = write_file (notes_path, 500);
  g_autoptr(GFile) other = write_file (other_path, 7);
  g_autoptr(GFile) photos = g_file_new_for_path (photos_path);
  g_autoptr(GListStore) peers = g_list_store_new (KF_TYPE_PEER);
  g_autoptr(KfPeer) ana = kf_peer_new (4, "Ana");
  KfMainPage *page = g_object_new (KF_TYPE_MAIN_PAGE, NULL);
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  GFile *both[] = { photos, notes, NULL };
  GFile *clash[] = { other, NULL };
  KfSendFiles *files = send_files_of (page);
  GtkWidget *list, *row, *warning;
  guint n_files = 0;
  guint64 size = 0;

  g_assert_cmpint (g_mkdir (empty_path, 0700), ==, 0);
  g_assert_cmpint (symlink (a_path, link_path), ==, 0);
  kf_main_page_set_view (page, KF_MAIN_VIEW_SEND);
  g_list_store_append (peers, ana);
  kf_main_page_set_peers (page, G_LIST_MODEL (peers), NULL);

  g_assert_true (kf_gui_test_drop_files (GTK_WIDGET (page), both));
  g_assert_cmpuint (kf_send_files_get_n_items (files), ==, 2);
  g_assert_true (kf_gui_test_wait_for (files_counted, files, 15000));
  g_assert_true (kf_send_files_is_counted (files, &n_files, &size));
  g_assert_cmpuint (n_files, ==, 3);
  g_assert_cmpuint (size, ==, 3500);
  list = GTK_WIDGET (files);
  row = kf_gui_test_find_child (list, ADW_TYPE_ACTION_ROW, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "photos");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (row), ==, photos_path);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Folder: 2 files, 3.0\u00a0kB; 1 link or special file is left out");
  {
    g_autofree char *title = kf_main_page_format_sending (page, "Ana");

    g_assert_cmpstr (title, ==, "Sending 2 items to Ana");
  }

  /* Another notes.txt: the receiver could not tell the two apart. */
  for (guint i = 0; (warning = kf_gui_test_find_child (GTK_WIDGET (files), GTK_TYPE_LABEL, i));
       i++)
    if (gtk_widget_has_css_class (warning, "warning"))
      break;
  g_assert_nonnull (warning);
  g_assert_false (gtk_widget_get_visible (warning));
  g_assert_true (kf_gui_test_drop_files (GTK_WIDGET (page), clash));
  g_assert_cmpuint (kf_send_files_get_n_items (files), ==, 2);
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (warning)), "“notes.txt” was not added"));

  /* The remove button of the first row takes the folder off. */
  row = kf_gui_test_find_child (list, ADW_TYPE_ACTION_ROW, 0);
  g_signal_emit_by_name (kf_gui_test_find_child (row, GTK_TYPE_BUTTON, 0), "clicked");
  g_assert_cmpuint (kf_send_files_get_n_items (files), ==, 1);
  {
    g_autofree char *title = kf_main_page_format_sending (page, "Ana");

    g_assert_cmpstr (title, ==, "Sending “notes.txt” to Ana");
  }

  /* A drop on a person: those files, for that person. */
  g_assert_true (kf_gui_test_drop_files (kf_gui_test_find_child (GTK_WIDGET (page),
                                                                 KF_TYPE_PEER_ROW, 0), both));
  {
    g_autoptr(GPtrArray) chosen = kf_main_page_dup_files (page);

    g_assert_cmpuint (chosen->len, ==, 2);
    g_assert_true (g_file_equal (chosen->pdata[0], photos));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmp);

    g_assert_cmpint (system (command), ==, 0);
  }
}

typedef struct
{
  GtkWidget *chooser;
  GFile     *file;
} ChooserWait;

static gboolean
chooser_chose (gpointer data)
{
  ChooserWait *wait = data;
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (wait->chooser));

  return file != NULL && g_file_equal (file, wait->file);
}

static gboolean
has_items (gpointer data)
{
  return kf_send_files_get_n_items (data) > 0;
}

/*
 * Issue 15, item 5: Add Folder… opens a folder chooser; the folder
 * chosen is listed.  GTK's folder chooser still runs after its response,
 * so it must outlive it (it crashed the app when destroyed at once).
 */
static void
test_send_files_choose_folder (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("kf-send-folder-XXXXXX", NULL);
  g_autofree char *inner = g_build_filename (tmp, "album", NULL);
  g_autoptr(GFile) album = g_file_new_for_path (inner);
  KfMainPage *page = g_object_new (KF_TYPE_MAIN_PAGE, NULL);
  GtkWidget *window = kf_gui_test_show_in_window (GTK_WIDGET (page));
  KfSendFiles *files = send_files_of (page);
  GtkWidget *chooser;

  g_assert_cmpint (g_mkdir (inner, 0700), ==, 0);
  kf_main_page_set_view (page, KF_MAIN_VIEW_SEND);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (files), "files.add-folder", NULL));
  for (guint i = 0; i < 200 && kf_gui_test_find_window (GTK_TYPE_FILE_CHOOSER_DIALOG) == NULL;
       i++)
    kf_gui_test_settle (50);
  chooser = kf_gui_test_find_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_nonnull (chooser);
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==,
                   GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  g_assert_true (gtk_file_chooser_get_select_multiple (GTK_FILE_CHOOSER (chooser)));
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), album, NULL));
  {
    ChooserWait wait = { chooser, album };

    g_assert_true (kf_gui_test_wait_for (chooser_chose, &wait, 15000));
  }
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  g_assert_true (kf_gui_test_wait_for (has_items, files, 15000));
  kf_gui_test_settle (500);
  {
    g_autoptr(GPtrArray) chosen = kf_main_page_dup_files (page);

    g_autofree char *path = g_file_get_path (chosen->pdata[0]);

    g_test_message ("chosen: %s", path);
    g_assert_cmpuint (chosen->len, ==, 1);
    g_assert_true (g_file_equal (chosen->pdata[0], album));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_cmpint (g_rmdir (inner), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* A waiting peer whose name has markup in it is listed as named. */
static void
test_peer_row_markup (void)
{
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *row = kf_peer_row_new (3, "Ana <b>& Co");
  GtkWidget *window;
  GtkWidget *label;
  gboolean seen = FALSE;

  gtk_list_box_append (GTK_LIST_BOX (list), row);
  window = kf_gui_test_show_in_window (list);
  kf_gui_test_settle (100);
  for (guint i = 0; (label = kf_gui_test_find_child (row, GTK_TYPE_LABEL, i)) != NULL; i++)
    seen |= g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), "Ana <b>& Co") == 0;
  g_assert_true (seen);
  gtk_window_destroy (GTK_WINDOW (window));
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
  window = kf_gui_test_show_in_window (list);
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

int
main (int    argc,
      char **argv)
{
  kf_gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/util/check-name", test_check_name);
  g_test_add_func ("/gui/util/parse-port-range", test_parse_port_range);
  g_test_add_func ("/gui/util/format", test_format);
  g_test_add_func ("/gui/util/toast-plain", test_toast_plain);
  g_test_add_func ("/gui/main-page/live-peer-list", test_main_page_live_list);
  g_test_add_func ("/gui/main-page/drop-on-peer-row", test_main_page_drop_on_row);
  g_test_add_func ("/gui/send-files/folders-counted-names-unique", test_send_files_list);
  g_test_add_func ("/gui/send-files/add-folder-chooser", test_send_files_choose_folder);
  g_test_add_func ("/gui/peer-row/name-is-not-markup", test_peer_row_markup);
  g_test_add_func ("/gui/peer-row/contact-marks", test_peer_row_contacts);
  g_test_add_func ("/gui/trust/changed-identity-cannot-be-trusted", test_trust_dialogs);
  g_test_add_func ("/gui/l10n/romanian", test_romanian);

  return g_test_run ();
}
