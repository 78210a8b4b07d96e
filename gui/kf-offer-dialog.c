/* kf-offer-dialog.c: an incoming file or tree: who, what, how big, which mode; Accept or
 * Decline
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-offer-dialog.h"

struct _KfOfferDialog
{
  AdwMessageDialog parent_instance;

  GtkWidget       *warning_box;
  GtkLabel        *warning_title;
  GtkLabel        *warning_detail;
  AdwActionRow    *from_row;
  AdwActionRow    *file_row;
  AdwActionRow    *size_row;
  AdwActionRow    *encrypted_row;
  AdwActionRow    *mode_row;
  GtkWidget       *names_box;
  GtkListBox      *names_list;

  KfOffer         *offer;
};

G_DEFINE_FINAL_TYPE (KfOfferDialog, kf_offer_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
kf_offer_dialog_dispose (GObject *object)
{
  KfOfferDialog *self = KF_OFFER_DIALOG (object);

  g_clear_object (&self->offer);

  G_OBJECT_CLASS (kf_offer_dialog_parent_class)->dispose (object);
}

static void
kf_offer_dialog_class_init (KfOfferDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_offer_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-offer-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, warning_box);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, warning_title);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, warning_detail);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, from_row);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, file_row);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, size_row);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, encrypted_row);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, mode_row);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, names_box);
  gtk_widget_class_bind_template_child (widget_class, KfOfferDialog, names_list);
}

static void
kf_offer_dialog_init (KfOfferDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Returns "40.0 MB (40 000 016 bytes)": rounded for reading, exact for comparing. */
static char *
format_size_exact (guint64 size)
{
  return g_format_size_full (size, G_FORMAT_SIZE_LONG_FORMAT);
}

/* One top-level name, as the sender's side cleaned it: never markup,
 * on one line, the whole name in the tooltip. */
static GtkWidget *
create_name_row (const char *name)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  gtk_widget_set_tooltip_text (row, name);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  return row;
}

/* The row of top-level entry @index of @offer: a folder's or a file's
 * icon, named for screen readers, and the size under the name. */
static GtkWidget *
create_entry_row (KfOffer *offer,
                  guint    index)
{
  GtkWidget *row = create_name_row (kf_offer_get_top_level (offer, NULL)[index]);
  g_autofree char *size = NULL;
  gboolean is_folder = FALSE;
  guint64 bytes = 0;
  GtkWidget *icon;

  if (!kf_offer_get_top_level_entry (offer, index, &is_folder, &bytes))
    return row;
  icon = gtk_image_new_from_icon_name (is_folder ? "folder-symbolic" : "text-x-generic-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  is_folder ? _("Folder") : _("File"), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  size = g_format_size (bytes);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), size);
  return row;
}

/* Lists the top-level names of a tree, each a folder or a file, and
 * how many more there are. */
static void
show_names (KfOfferDialog *self,
            KfOffer       *offer)
{
  guint n_top_level = 0, shown = 0;
  const char * const *names = kf_offer_get_top_level (offer, &n_top_level);

  for (; names[shown] != NULL; shown++)
    gtk_list_box_append (self->names_list, create_entry_row (offer, shown));
  if (n_top_level > shown)
    {
      g_autofree char *more = NULL;
      GtkWidget *row;

      /* Translators: after the first names of what comes: "and 4 more" */
      more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "and %u more", "and %u more",
                                           n_top_level - shown), n_top_level - shown);
      row = create_name_row (more);
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (self->names_list, row);
    }
  gtk_widget_set_visible (self->names_box, TRUE);
}

/* The heading and body for a tree: how many files come, not one name. */
static void
show_tree (KfOfferDialog *self,
           KfOffer       *offer)
{
  g_autofree char *contents = kf_gui_format_contents (kf_offer_get_n_files (offer),
                                                      kf_offer_get_n_folders (offer));

  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Incoming Files"));
  /* Translators: the sender's name, then "12 files in 3 folders" */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                  _("%s wants to send you %s. Accept them only if you "
                                    "expect them."),
                                  kf_offer_get_sender_name (offer), contents);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->file_row), _("Contents"));
  adw_action_row_set_subtitle (self->file_row, contents);
  show_names (self, offer);
}

/* Fills the dialog's rows from @offer: one file as always, or a tree
 * (several files, folders) with its counts and top-level names.  The
 * sender is named without the key manager's number: a receiver has no
 * list to tell two of the same name apart in, and no command that takes
 * the number. */
static void
show_offer (KfOfferDialog *self,
            KfOffer       *offer)
{
  g_autofree char *size = format_size_exact (kf_offer_get_plain_size (offer));
  g_autofree char *encrypted = format_size_exact (kf_offer_get_encrypted_size (offer));
  g_autofree char *mode = g_strdup_printf ("AES-256-%s",
                                           kf_gui_mode_label (kf_offer_get_mode (offer)));

  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                  _("%s wants to send you “%s”. Accept it only if you "
                                    "expect it."),
                                  kf_offer_get_sender_name (offer),
                                  kf_offer_get_file_name (offer));
  adw_action_row_set_subtitle (self->from_row, kf_offer_get_sender_name (offer));
  adw_action_row_set_subtitle (self->file_row, kf_offer_get_file_name (offer));
  adw_action_row_set_subtitle (self->size_row, size);
  adw_action_row_set_subtitle (self->encrypted_row, encrypted);
  adw_action_row_set_subtitle (self->mode_row, mode);
  if (kf_offer_get_is_tree (offer))
    show_tree (self, offer);
}

/*
 * kf_offer_dialog_new:
 *
 * Returns a dialog for @offer (a file, or files and folders), transient
 * for @parent; it answers with
 * the "accept" or "decline" response (closing it declines).
 */
GtkWidget *
kf_offer_dialog_new (GtkWindow *parent,
                     KfOffer   *offer)
{
  KfOfferDialog *self;

  g_return_val_if_fail (KF_IS_OFFER (offer), NULL);

  self = g_object_new (KF_TYPE_OFFER_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->offer = g_object_ref (offer);
  show_offer (self, offer);
  return GTK_WIDGET (self);
}

KfOffer *
kf_offer_dialog_get_offer (KfOfferDialog *self)
{
  g_return_val_if_fail (KF_IS_OFFER_DIALOG (self), NULL);
  return self->offer;
}

/*
 * kf_offer_dialog_set_contact:
 * @check: what the contacts say of the sender (kf_contacts_check())
 * @code: the sender's identity code
 * @known_code: (nullable): when CHANGED, the identity code of the contact
 *   who had the sender's name
 *
 * Says under the sender's name whether it is a contact, with its identity
 * code; when it is someone else under a contact's name, a loud warning
 * comes first, the dialog says so in its heading and Decline becomes the
 * default.
 */
void
kf_offer_dialog_set_contact (KfOfferDialog  *self,
                             KfContactCheck  check,
                             const char     *code,
                             const char     *known_code)
{
  const char *name;
  g_autofree char *from = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *detail = NULL;

  g_return_if_fail (KF_IS_OFFER_DIALOG (self));
  g_return_if_fail (code != NULL);

  name = kf_offer_get_sender_name (self->offer);
  /* Translators: a sender's name, then their identity code */
  from = g_strdup_printf (check == KF_CONTACT_KNOWN ? _("%s · a contact, identity %s")
                          : check == KF_CONTACT_NEW ? _("%s · not a contact yet, identity %s")
                          : _("%s · identity %s"), name, code);
  adw_action_row_set_subtitle (self->from_row, from);
  gtk_widget_set_visible (self->warning_box, check == KF_CONTACT_CHANGED);
  if (check != KF_CONTACT_CHANGED)
    return;

  /* Translators: the sender's name */
  warning = g_strdup_printf (_("Warning: this is not the %s you know"), name);
  /* Translators: the name, the identity code known for it, the sender's code, the name */
  detail = g_strdup_printf (_("You exchanged files with %s under the identity %s; this "
                              "sender's identity is %s. It may be someone else using the "
                              "name: decline, or block them, unless %s told you their "
                              "identity changed."),
                            name, known_code != NULL ? known_code : "?", code, name);
  gtk_label_set_text (self->warning_title, warning);
  gtk_label_set_text (self->warning_detail, detail);
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Identity Changed"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "decline");
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "accept",
                                              ADW_RESPONSE_DESTRUCTIVE);
}
