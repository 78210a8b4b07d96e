/* kf-trust-dialog.c: first contact with a key manager: compare its fingerprint, Trust or Cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-trust-dialog.h"

struct _KfTrustDialog
{
  AdwMessageDialog parent_instance;

  GtkLabel        *fingerprint_label;

  char            *fingerprint;
};

G_DEFINE_FINAL_TYPE (KfTrustDialog, kf_trust_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
kf_trust_dialog_finalize (GObject *object)
{
  KfTrustDialog *self = KF_TRUST_DIALOG (object);

  g_clear_pointer (&self->fingerprint, g_free);

  G_OBJECT_CLASS (kf_trust_dialog_parent_class)->finalize (object);
}

static void
kf_trust_dialog_class_init (KfTrustDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = kf_trust_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-trust-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KfTrustDialog, fingerprint_label);
}

static void
kf_trust_dialog_init (KfTrustDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * kf_trust_dialog_new:
 *
 * Returns a dialog asking whether to trust the key manager at
 * @host:@port whose certificate has @fingerprint (64 hex digits); it
 * answers "trust" or "cancel" (the default, and what closing it means).
 */
GtkWidget *
kf_trust_dialog_new (GtkWindow  *parent,
                     const char *host,
                     guint16     port,
                     const char *fingerprint)
{
  g_autofree char *grouped = NULL;
  KfTrustDialog *self;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (fingerprint != NULL, NULL);

  self = g_object_new (KF_TYPE_TRUST_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->fingerprint = g_strdup (fingerprint);
  grouped = kf_gui_format_fingerprint (fingerprint);
  gtk_label_set_text (self->fingerprint_label, grouped);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                  _("This is the first connection to the key manager at "
                                    "%s, port %u. Compare its SHA-256 fingerprint below with "
                                    "the one the key manager printed when it started. Trust "
                                    "it only if they are the same."),
                                  host, port);
  return GTK_WIDGET (self);
}

const char *
kf_trust_dialog_get_fingerprint (KfTrustDialog *self)
{
  g_return_val_if_fail (KF_IS_TRUST_DIALOG (self), NULL);
  return self->fingerprint;
}
