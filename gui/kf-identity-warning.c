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
  GtkLabel        *expected_label;
  GtkWidget       *trusted_box;
  GtkWidget       *presented_box;
  GtkWidget       *expected_box;

  char            *host;
  guint16          port;
  char            *trusted;
};

G_DEFINE_FINAL_TYPE (KfIdentityWarning, kf_identity_warning, ADW_TYPE_MESSAGE_DIALOG)

static void
kf_identity_warning_finalize (GObject *object)
{
  KfIdentityWarning *self = KF_IDENTITY_WARNING (object);

  g_free (self->host);
  g_free (self->trusted);

  G_OBJECT_CLASS (kf_identity_warning_parent_class)->finalize (object);
}

static void
kf_identity_warning_class_init (KfIdentityWarningClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = kf_identity_warning_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-identity-warning.ui");
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, trusted_label);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, presented_label);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, trusted_box);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, presented_box);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, expected_label);
  gtk_widget_class_bind_template_child (widget_class, KfIdentityWarning, expected_box);
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
  self->host = g_strdup (host);
  self->port = port;
  self->trusted = g_strdup (trusted);
  return GTK_WIDGET (self);
}

/*
 * kf_identity_warning_set_expected:
 * @expected: (nullable): the fingerprint the user was given, in a join
 *   link or with --fingerprint
 *
 * Names @expected too, and says the key manager does not match what the
 * user was given (or that a pin already stands for another one).  Nothing
 * changes when @expected is the trusted fingerprint already shown.
 */
void
kf_identity_warning_set_expected (KfIdentityWarning *self,
                                  const char        *expected)
{
  g_return_if_fail (KF_IS_IDENTITY_WARNING (self));

  if (expected == NULL || g_strcmp0 (expected, self->trusted) == 0)
    return;

  show_fingerprint (self->expected_label, self->expected_box, expected);
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self),
                                  _("The Key Manager Does Not Match the Link"));
  if (self->trusted != NULL)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                    _("The key manager at %s, port %u, is already trusted "
                                      "with another fingerprint than the one you were "
                                      "given, so Keyferry did not connect. A trusted "
                                      "fingerprint is never replaced silently.\n\nIf the "
                                      "key manager was reinstalled, check the new "
                                      "fingerprint with its administrator, forget the old "
                                      "one in Preferences, then open the link again."),
                                    self->host, self->port);
  else
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                    _("The key manager at %s, port %u, does not show the "
                                      "fingerprint you were given in the join link. Someone "
                                      "may be intercepting the connection, so Keyferry did "
                                      "not connect.\n\nAsk the key manager’s administrator "
                                      "for the link again."),
                                    self->host, self->port);
}
