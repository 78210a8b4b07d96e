/* kf-connect-page.c: the first page, asking where the key manager is
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-connect-page.h"
#include "kf-gui-util.h"

struct _KfConnectPage
{
  AdwBin      parent_instance;

  AdwEntryRow *host_row;
  AdwEntryRow *port_row;
  AdwEntryRow *name_row;
  GtkButton   *connect_button;
  GtkSpinner  *spinner;
  GtkWidget   *cancel_button;
  GtkLabel    *error_label;
};

G_DEFINE_FINAL_TYPE (KfConnectPage, kf_connect_page, ADW_TYPE_BIN)

/* Enter in any field connects, as the Connect button does. */
static void
on_entry_activated (KfConnectPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.connect", NULL);
}

static void
kf_connect_page_class_init (KfConnectPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-connect-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, host_row);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, connect_button);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
}

static void
kf_connect_page_init (KfConnectPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * kf_connect_page_set_values:
 *
 * Fills the fields: @port 0 leaves the port empty (the default port).
 */
void
kf_connect_page_set_values (KfConnectPage *self,
                            const char    *host,
                            guint16        port,
                            const char    *name)
{
  g_autofree char *port_text = port != 0 ? g_strdup_printf ("%u", port) : g_strdup ("");

  g_return_if_fail (KF_IS_CONNECT_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->host_row), host != NULL ? host : "");
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), port_text);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name != NULL ? name : "");
}

/*
 * kf_connect_page_get_values:
 *
 * Reads and checks the fields.  The host field may carry a port
 * ("host:7745"); the port field wins when both are given.  Returns FALSE
 * with a message for the user when a field is wrong.
 */
gboolean
kf_connect_page_get_values (KfConnectPage  *self,
                            char          **host,
                            guint16        *port,
                            char          **name,
                            GError        **error)
{
  g_autofree char *parsed_host = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *checked_name = NULL;
  guint16 parsed_port = 0;

  g_return_val_if_fail (KF_IS_CONNECT_PAGE (self), FALSE);

  if (!kf_gui_parse_address (gtk_editable_get_text (GTK_EDITABLE (self->host_row)),
                             &parsed_host, &parsed_port, error))
    return FALSE;

  port_text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->port_row))));
  if (port_text[0] != '\0')
    {
      g_autofree char *address = g_strdup_printf ("localhost:%s", port_text);
      g_autofree char *ignored = NULL;

      if (!kf_gui_parse_address (address, &ignored, &parsed_port, error))
        return FALSE;
    }

  checked_name = kf_gui_check_name (gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                    error);
  if (checked_name == NULL)
    return FALSE;

  *host = g_steal_pointer (&parsed_host);
  *port = parsed_port;
  *name = g_steal_pointer (&checked_name);
  return TRUE;
}

/* Shows a spinner and Cancel instead of Connect, and locks the fields,
 * while a connection is under way. */
void
kf_connect_page_set_busy (KfConnectPage *self,
                          gboolean       busy)
{
  g_return_if_fail (KF_IS_CONNECT_PAGE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_widget_set_visible (self->cancel_button, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->connect_button), !busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_row), !busy);
}

/*
 * kf_connect_page_set_error:
 *
 * Says on the page, in full, why the last connection failed (@message);
 * NULL hides it.
 */
void
kf_connect_page_set_error (KfConnectPage *self,
                           const char    *message)
{
  g_return_if_fail (KF_IS_CONNECT_PAGE (self));

  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}
