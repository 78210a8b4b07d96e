/* kf-main-page.c: Wait or Send; the live list of waiting peers, the mode and the files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-main-page.h"
#include "kf-peer.h"
#include "kf-peer-row.h"
#include "kf-send-files.h"

struct _KfMainPage
{
  AdwBin                parent_instance;

  GtkStack             *view_stack;
  AdwStatusPage        *waiting_status;
  GtkLabel             *left_label;
  GtkSearchEntry       *search_entry;
  GtkListBox           *peer_list;
  GtkLabel             *placeholder;
  GtkCheckButton       *cbc_check;
  GtkCheckButton       *cfb_check;
  KfSendFiles          *send_files;

  GListModel           *peers;
  KfContacts           *contacts;     /* what they say of each peer; may be NULL */
  GtkFilterListModel   *shown_peers;
  GtkCustomFilter      *filter;
  guint                 wanted_peer_id;
  char                 *wanted_peer_name;
};

enum {
  CHANGED,
  SEND_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const view_names[] = { "home", "waiting", "send" };

G_DEFINE_FINAL_TYPE (KfMainPage, kf_main_page, ADW_TYPE_BIN)

static void
emit_changed (KfMainPage *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* How many of @peers are called @name. */
static guint
count_named (GListModel *peers,
             const char *name)
{
  guint n = peers != NULL ? g_list_model_get_n_items (peers) : 0;
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (peers, i);
      g_autofree char *other = NULL;

      g_object_get (item, "name", &other, NULL);
      count += g_strcmp0 (other, name) == 0;
    }
  return count;
}

/* Numbers are shown only where two waiting people share a name. */
static void
show_ids (KfMainPage *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->peer_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (KF_IS_PEER_ROW (child))
      kf_peer_row_set_show_id (KF_PEER_ROW (child),
                               count_named (self->peers,
                                            kf_peer_row_get_peer_name (KF_PEER_ROW (child))) > 1);
}

/* Shows the check mark on the chosen peer's row only. */
static void
show_chosen (KfMainPage *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->peer_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (KF_IS_PEER_ROW (child))
      kf_peer_row_set_chosen (KF_PEER_ROW (child),
                              kf_peer_row_get_peer_id (KF_PEER_ROW (child))
                              == self->wanted_peer_id);
}

/*
 * choose_row:
 *
 * The only way a peer becomes chosen: a person activates their row
 * (click, Enter, Space) or drops a file on it.  Focus and the list's own
 * changes never choose anyone.
 */
static void
choose_row (KfMainPage *self,
            KfPeerRow  *row)
{
  self->wanted_peer_id = kf_peer_row_get_peer_id (row);
  g_free (self->wanted_peer_name);
  self->wanted_peer_name = g_strdup (kf_peer_row_get_peer_name (row));
  gtk_widget_set_visible (GTK_WIDGET (self->left_label), FALSE);
  show_chosen (self);
  emit_changed (self);
}

static void
forget_choice (KfMainPage *self)
{
  self->wanted_peer_id = 0;
  g_clear_pointer (&self->wanted_peer_name, g_free);
  show_chosen (self);
}

/* Files were dropped on a peer's row: that peer and those files (and
 * only those) are chosen. */
static void
on_row_files_dropped (KfPeerRow  *row,
                      GPtrArray  *files,
                      KfMainPage *self)
{
  choose_row (self, row);
  kf_send_files_set (self->send_files, (GFile **) files->pdata, files->len);
}

/*
 * create_peer_row:
 *
 * Makes a row for one item of the peers model; items are any GObject with
 * "id" (guint) and "name" (string) properties, as KfPeer has.
 */
static GtkWidget *
create_peer_row (gpointer item,
                 gpointer user_data)
{
  KfMainPage *self = user_data;
  g_autofree char *name = NULL;
  GtkWidget *row;
  guint id = 0;

  g_object_get (item, "id", &id, "name", &name, NULL);
  row = kf_peer_row_new (id, name != NULL ? name : "");
  if (self->contacts != NULL && KF_IS_PEER (item) && kf_peer_get_public_key (item) != NULL)
    kf_peer_row_set_contact (KF_PEER_ROW (row),
                             kf_contacts_check (self->contacts, name,
                                                kf_peer_get_public_key (item), NULL),
                             kf_peer_get_code (item));
  kf_peer_row_set_chosen (KF_PEER_ROW (row), id != 0 && id == self->wanted_peer_id);
  kf_peer_row_set_show_id (KF_PEER_ROW (row), count_named (self->peers, name) > 1);
  g_signal_connect_object (row, "files-dropped", G_CALLBACK (on_row_files_dropped), self, 0);
  return row;
}

static void
on_row_activated (GtkListBox    *list,
                  GtkListBoxRow *row,
                  KfMainPage    *self)
{
  if (KF_IS_PEER_ROW (row))
    choose_row (self, KF_PEER_ROW (row));
}

static gboolean
peers_contain (GListModel *peers,
               guint       peer_id)
{
  guint n = peers != NULL ? g_list_model_get_n_items (peers) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (peers, i);
      guint id = 0;

      g_object_get (item, "id", &id, NULL);
      if (id == peer_id)
        return TRUE;
    }
  return FALSE;
}

/*
 * on_peers_changed:
 *
 * The list changed under the person.  The chosen peer stays chosen while
 * listed; when they leave, nobody is chosen and the page says who left.
 */
static void
on_peers_changed (GListModel *peers,
                  guint       position,
                  guint       removed,
                  guint       added,
                  KfMainPage *self)
{
  g_autofree char *text = NULL;

  show_ids (self);
  if (self->wanted_peer_id == 0 || peers_contain (peers, self->wanted_peer_id))
    return;

  /* Translators: %s is the name of the person the file was for */
  text = g_strdup_printf (_("%s left the list. Choose someone else to send the file to."),
                          self->wanted_peer_name);
  gtk_label_set_text (self->left_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->left_label), TRUE);
  forget_choice (self);
  emit_changed (self);
}

/* Shows only the peers whose name contains the search text (any case). */
static gboolean
peer_matches (gpointer item,
              gpointer user_data)
{
  KfMainPage *self = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *name = NULL;
  g_autofree char *folded_name = NULL;
  g_autofree char *folded_text = NULL;

  if (text == NULL || *text == '\0')
    return TRUE;
  g_object_get (item, "name", &name, NULL);
  folded_name = g_utf8_casefold (name != NULL ? name : "", -1);
  folded_text = g_utf8_casefold (text, -1);
  return strstr (folded_name, folded_text) != NULL;
}

static void
on_search_changed (GtkSearchEntry *entry,
                   KfMainPage     *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  gtk_label_set_text (self->placeholder,
                      *text != '\0'
                      ? _("No waiting peer has that name. Clear the search to see everyone.")
                      : _("No one is waiting. Ask the other person to press Wait; "
                          "they will appear here."));
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_mode_toggled (GtkCheckButton *check,
                 KfMainPage     *self)
{
  if (gtk_check_button_get_active (check))
    emit_changed (self);
}

static void
on_files_changed (KfSendFiles *files,
                  KfMainPage  *self)
{
  emit_changed (self);
}

/* Files chosen with the chooser on the home view open the Send view. */
static void
on_files_added (KfSendFiles *files,
                KfMainPage  *self)
{
  if (kf_main_page_get_view (self) == KF_MAIN_VIEW_HOME)
    g_signal_emit (self, signals[SEND_REQUESTED], 0);
}

static void
kf_main_page_dispose (GObject *object)
{
  KfMainPage *self = KF_MAIN_PAGE (object);

  if (self->peers != NULL)
    g_signal_handlers_disconnect_by_data (self->peers, self);
  g_clear_object (&self->peers);
  g_clear_object (&self->contacts);
  if (self->shown_peers != NULL)
    gtk_filter_list_model_set_model (self->shown_peers, NULL);
  g_clear_object (&self->shown_peers);
  g_clear_object (&self->filter);
  g_clear_pointer (&self->wanted_peer_name, g_free);

  G_OBJECT_CLASS (kf_main_page_parent_class)->dispose (object);
}

static void
kf_main_page_class_init (KfMainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_main_page_dispose;

  /**
   * KfMainPage::changed:
   *
   * The chosen peer, mode or files changed.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * KfMainPage::send-requested:
   *
   * Files were dropped or chosen on the home view: the person wants to
   * send them, and the window decides whether the Send view can open.
   */
  signals[SEND_REQUESTED] =
    g_signal_new ("send-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (KF_TYPE_PEER_ROW);
  g_type_ensure (KF_TYPE_SEND_FILES);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-main-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, waiting_status);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, left_label);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, peer_list);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, cbc_check);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, cfb_check);
  gtk_widget_class_bind_template_child (widget_class, KfMainPage, send_files);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_files_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_files_added);
}

/*
 * on_page_drop:
 *
 * Files and folders dropped anywhere on the page (not on a peer's row)
 * join those to send; from the home view they open the Send view.
 */
static gboolean
on_page_drop (GPtrArray *files,
              gpointer   user_data)
{
  KfMainPage *self = user_data;

  kf_send_files_add (self->send_files, (GFile **) files->pdata, files->len);
  if (kf_main_page_get_view (self) == KF_MAIN_VIEW_HOME)
    g_signal_emit (self, signals[SEND_REQUESTED], 0);
  return TRUE;
}

static void
kf_main_page_init (KfMainPage *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  kf_gui_stack_hide_unseen (self->view_stack);

  self->filter = gtk_custom_filter_new (peer_matches, self, NULL);
  self->shown_peers = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  gtk_list_box_bind_model (self->peer_list, G_LIST_MODEL (self->shown_peers), create_peer_row,
                           self, NULL);

  gtk_widget_add_controller (GTK_WIDGET (self),
                             GTK_EVENT_CONTROLLER (kf_send_files_drop_target_new (on_page_drop,
                                                                                  self)));

  placeholder = gtk_label_new (_("No one is waiting. Ask the other person to press Wait; "
                                 "they will appear here."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_label_set_justify (GTK_LABEL (placeholder), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->peer_list, placeholder);
  self->placeholder = GTK_LABEL (placeholder);
}

/* Shows the home (Wait or Send), waiting or send view. */
void
kf_main_page_set_view (KfMainPage *self,
                       KfMainView  view)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));
  g_return_if_fail (view <= KF_MAIN_VIEW_SEND);

  gtk_stack_set_visible_child_name (self->view_stack, view_names[view]);
}

KfMainView
kf_main_page_get_view (KfMainPage *self)
{
  const char *name;

  g_return_val_if_fail (KF_IS_MAIN_PAGE (self), KF_MAIN_VIEW_HOME);

  name = gtk_stack_get_visible_child_name (self->view_stack);
  for (guint i = 0; i < G_N_ELEMENTS (view_names); i++)
    if (g_strcmp0 (name, view_names[i]) == 0)
      return i;
  return KF_MAIN_VIEW_HOME;
}

/* Shows @peers (a model of KfPeer, kept live by the client) in the list,
 * each row marked with what @contacts (nullable) say of it. */
void
kf_main_page_set_peers (KfMainPage *self,
                        GListModel *peers,
                        KfContacts *contacts)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  /* Read again: keyferry-cli may have changed them since. */
  g_set_object (&self->contacts, contacts);
  if (contacts != NULL && !kf_contacts_load (contacts, NULL))
    g_message ("Could not read your contacts again");

  if (self->peers != NULL)
    g_signal_handlers_disconnect_by_data (self->peers, self);
  g_set_object (&self->peers, peers);
  gtk_filter_list_model_set_model (self->shown_peers, peers);
  if (peers != NULL)
    g_signal_connect_object (peers, "items-changed", G_CALLBACK (on_peers_changed), self,
                             G_CONNECT_AFTER);
  if (self->wanted_peer_id != 0 && !peers_contain (peers, self->wanted_peer_id))
    forget_choice (self);
  emit_changed (self);
}

/* Chooses the listed peer @peer_id; returns FALSE when that peer is not listed. */
gboolean
kf_main_page_select_peer (KfMainPage *self,
                          guint       peer_id)
{
  g_return_val_if_fail (KF_IS_MAIN_PAGE (self), FALSE);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->peer_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (KF_IS_PEER_ROW (child) && kf_peer_row_get_peer_id (KF_PEER_ROW (child)) == peer_id)
      {
        choose_row (self, KF_PEER_ROW (child));
        return TRUE;
      }

  return FALSE;
}

void
kf_main_page_set_mode (KfMainPage   *self,
                       KfCipherMode  mode)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  gtk_check_button_set_active (mode == KF_CIPHER_MODE_CFB ? self->cfb_check : self->cbc_check,
                               TRUE);
}

/* Chooses @file alone to send (NULL: none). */
void
kf_main_page_set_file (KfMainPage *self,
                       GFile      *file)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  kf_send_files_set (self->send_files, &file, file != NULL ? 1 : 0);
}

/* Chooses @files (files and folders) to send, instead of any chosen before. */
void
kf_main_page_set_files (KfMainPage  *self,
                        GFile      **files,
                        guint        n_files)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  kf_send_files_set (self->send_files, files, n_files);
}

/* Returns (transfer full) the files and folders to send. */
GPtrArray *
kf_main_page_dup_files (KfMainPage *self)
{
  g_return_val_if_fail (KF_IS_MAIN_PAGE (self), NULL);
  return kf_send_files_dup_files (self->send_files);
}

/* Returns the title for sending the chosen files to @who. */
char *
kf_main_page_format_sending (KfMainPage *self,
                             const char *who)
{
  g_return_val_if_fail (KF_IS_MAIN_PAGE (self), NULL);
  return kf_send_files_format_sending (self->send_files, who);
}

/*
 * kf_main_page_get_choice:
 *
 * Returns TRUE when a peer, a mode and at least one file are chosen,
 * and then fills the out arguments (each may be NULL; @files gets the
 * files and folders, transfer full).
 */
gboolean
kf_main_page_get_choice (KfMainPage    *self,
                         guint         *peer_id,
                         char         **peer_name,
                         KfCipherMode  *mode,
                         GPtrArray    **files)
{
  gboolean cbc, cfb;

  g_return_val_if_fail (KF_IS_MAIN_PAGE (self), FALSE);

  cbc = gtk_check_button_get_active (self->cbc_check);
  cfb = gtk_check_button_get_active (self->cfb_check);
  if (self->wanted_peer_id == 0 || (!cbc && !cfb)
      || kf_send_files_get_n_items (self->send_files) == 0)
    return FALSE;

  if (peer_id != NULL)
    *peer_id = self->wanted_peer_id;
  if (peer_name != NULL)
    *peer_name = g_strdup (self->wanted_peer_name);
  if (mode != NULL)
    *mode = cfb ? KF_CIPHER_MODE_CFB : KF_CIPHER_MODE_CBC;
  if (files != NULL)
    *files = kf_send_files_dup_files (self->send_files);
  return TRUE;
}

/* Forgets the chosen peer and files after a session (the mode stays). */
void
kf_main_page_reset_send (KfMainPage *self)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  forget_choice (self);
  gtk_widget_set_visible (GTK_WIDGET (self->left_label), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  kf_send_files_clear (self->send_files);
}

/* Asks for files to send with the desktop's file chooser (not blocking). */
void
kf_main_page_choose_file (KfMainPage *self)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  kf_send_files_choose (self->send_files, FALSE);
}

/*
 * kf_main_page_set_online:
 *
 * While the key manager cannot be reached (@online FALSE) the waiting
 * view says so instead of claiming that others can see you.
 */
void
kf_main_page_set_online (KfMainPage *self,
                         gboolean    online)
{
  g_return_if_fail (KF_IS_MAIN_PAGE (self));

  if (online)
    {
      adw_status_page_set_title (self->waiting_status, _("Waiting for a Sender"));
      adw_status_page_set_description (self->waiting_status,
                                       _("Others can now see you in their list and send you a "
                                         "file. You will be asked before anything is saved."));
    }
  else
    {
      adw_status_page_set_title (self->waiting_status, _("Key Manager Unreachable"));
      adw_status_page_set_description (self->waiting_status,
                                       _("Nobody can see you in their list right now. Keyferry "
                                         "keeps trying and lists you again as soon as the key "
                                         "manager is back."));
    }
}
