/* kf-identity-warning.c: the key manager's identity changed; nothing to click through
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-identity-warning.h"

struct _KfIdentityWarning
{
  AdwMessageDialog parent_instance;

  GtkLabel        *trusted_label;
  GtkLabel        *presented_label;
  GtkWidget       *trusted_box;
  GtkWidget       *presented_box;
};

G_DEFINE_FINAL_TYPE (KfIdentityWarning, kf_identity_warning, ADW_TYPE_MESSAGE_DIALOG)

static void
kf_identity_warning_class_init (KfIdentityWarningClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-identity-warning.ui");
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, trusted_label);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, presented_label);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, trusted_box);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, presented_box);
}

static void
kf_identity_warning_init (KfIdentityWarning *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Shows @fingerprint grouped in @label, or hides @box when it is unknown. */
static void
show_fingerprint (GtkLabel   *label,
                  GtkWidget  *box,
                  const char *fingerprint)
{
  g_autofree char *grouped = NULL;

  gtk_widget_set_visible (box, fingerprint != NULL && fingerprint[0] != '\0');
  if (fingerprint == NULL)
    return;

  grouped = kf_gui_format_fingerprint (fingerprint);
  gtk_label_set_text (label, grouped);
}

/*
 * kf_identity_warning_new:
 *
 * Returns the blocking warning shown when the key manager at
 * @host:@port presents @presented instead of the @trusted fingerprint
 * (either may be NULL when unknown).  Its only answer is "close": the
 * connection is never made from here.
 */
GtkWidget *
kf_identity_warning_new (GtkWindow  *parent,
                         const char *host,
                         guint16     port,
                         const char *trusted,
                         const char *presented)
{
  KfIdentityWarning *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (KF_TYPE_IDENTITY_WARNING,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                  _("The key manager at %s, port %u, no longer shows the "
                                    "identity you trusted. Someone may be intercepting the "
                                    "connection, so Keyferry did not connect.\n\nIf the key "
                                    "manager was reinstalled, ask its administrator for the "
                                    "new fingerprint, then forget the old one in Preferences."),
                                  host, port);
  show_fingerprint (self->trusted_label, self->trusted_box, trusted);
  show_fingerprint (self->presented_label, self->presented_box, presented);
  return GTK_WIDGET (self);
}
