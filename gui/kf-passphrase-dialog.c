/* kf-passphrase-dialog.c: asks the key manager's admission passphrase for this connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-passphrase-dialog.h"

struct _KfPassphraseDialog
{
  AdwMessageDialog  parent_instance;

  GtkPasswordEntry *entry;
};

G_DEFINE_FINAL_TYPE (KfPassphraseDialog, kf_passphrase_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* Enter in the entry answers "connect". */
static void
on_entry_activate (GtkPasswordEntry   *entry,
                   KfPassphraseDialog *self)
{
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "connect");
}

static void
kf_passphrase_dialog_class_init (KfPassphraseDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-passphrase-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KfPassphraseDialog, entry);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
}

static void
kf_passphrase_dialog_init (KfPassphraseDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * kf_passphrase_dialog_new:
 *
 * Returns a dialog asking the passphrase of the key manager at @host
 * (@retry: the last one was refused).  It answers "connect" or "cancel".
 */
GtkWidget *
kf_passphrase_dialog_new (GtkWindow  *parent,
                          const char *host,
                          gboolean    retry)
{
  KfPassphraseDialog *self;

  self = g_object_new (KF_TYPE_PASSPHRASE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self), "%s",
                                  retry ? _("The key manager refused the passphrase. "
                                            "Check it with its administrator and try again.")
                                        : _("This key manager admits only people who know "
                                            "its passphrase."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (self),
                                     _("Passphrase for %s"), host);
  return GTK_WIDGET (self);
}

/* Returns the typed passphrase; wipe it with kf_secret_free(). */
char *
kf_passphrase_dialog_dup_passphrase (KfPassphraseDialog *self)
{
  g_return_val_if_fail (KF_IS_PASSPHRASE_DIALOG (self), NULL);
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
}
