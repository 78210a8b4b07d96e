/* kf-connect-page.c: the first page, asking where the key manager is
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Above the address fields, the key managers announced on the network
 * (a live GListModel of KfDiscoveredServer, common/kf-discovery.c): site
 * name, address and what the user's pin says of the announced
 * fingerprint.  Activating one fills in its address and connects as the
 * Connect button does (win.connect): through the usual trust flow, as
 * the announced fingerprint is only a hint.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-address.h"
#include "kf-connect-page.h"
#include "kf-discovered-server.h"
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
  GtkListBox  *servers_list;
  GtkLabel    *servers_placeholder;

  GListModel     *servers;
  KfKnownServers *known_servers;
  gboolean        settled;
};

G_DEFINE_FINAL_TYPE (KfConnectPage, kf_connect_page, ADW_TYPE_BIN)

/* Enter in any field connects, as the Connect button does. */
static void
on_entry_activated (KfConnectPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.connect", NULL);
}

/* What the user's pin says of @server, in words for the row. */
static const char *
trust_words (KfConnectPage      *self,
             KfDiscoveredServer *server)
{
  switch (kf_discovered_server_get_trust (server, self->known_servers))
    {
    case KF_DISCOVERED_TRUST_TRUSTED:
      return _("Trusted");
    case KF_DISCOVERED_TRUST_CHANGED:
      return _("Its certificate changed — refused");
    case KF_DISCOVERED_TRUST_UNKNOWN:
    default:
      return _("New — you will be asked to compare its fingerprint");
    }
}

/* One row per announced key manager: every string in it came from the
 * network, cleaned by KfDiscoveredServer, and is shown without markup. */
static GtkWidget *
create_server_row (gpointer item,
                   gpointer user_data)
{
  KfConnectPage *self = user_data;
  KfDiscoveredServer *server = item;
  const char *site = kf_discovered_server_get_site (server);
  g_autofree char *target = kf_discovered_server_dup_target (server);
  g_autofree char *subtitle = g_strdup_printf ("%s · %s", target, trust_words (self, server));
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 site != NULL ? site : kf_discovered_server_get_name (server));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "kf-server", g_object_ref (server), g_object_unref);
  return row;
}

/* A key manager of the list: its address goes in the fields (the port
 * with it), then Connect. */
static void
on_server_row_activated (KfConnectPage *self,
                         GtkListBoxRow *row)
{
  KfDiscoveredServer *server = g_object_get_data (G_OBJECT (row), "kf-server");
  g_autofree char *target = NULL;

  if (server == NULL)
    return;
  target = kf_discovered_server_dup_target (server);
  gtk_editable_set_text (GTK_EDITABLE (self->host_row), target);
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), "");
  gtk_widget_activate_action (GTK_WIDGET (self), "win.connect", NULL);
}

/* The list's empty state: still looking, or nothing announced. */
static void
update_placeholder (KfConnectPage *self)
{
  gtk_label_set_text (self->servers_placeholder,
                      self->settled ? _("No key manager announced itself on this network")
                                    : _("Looking for key managers on this network…"));
}

/* Rows are made again, so that their trust says what the pins say now. */
static void
bind_servers (KfConnectPage *self)
{
  if (self->servers == NULL || self->known_servers == NULL)
    gtk_list_box_bind_model (self->servers_list, NULL, NULL, NULL, NULL);
  else
    gtk_list_box_bind_model (self->servers_list, self->servers, create_server_row, self, NULL);
}

/* Coming into view (the stack shows the page again): the pins may have changed. */
static void
kf_connect_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (kf_connect_page_parent_class)->map (widget);
  bind_servers (KF_CONNECT_PAGE (widget));
}

static void
kf_connect_page_dispose (GObject *object)
{
  KfConnectPage *self = KF_CONNECT_PAGE (object);

  if (self->servers_list != NULL)
    gtk_list_box_bind_model (self->servers_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->servers);
  g_clear_object (&self->known_servers);

  G_OBJECT_CLASS (kf_connect_page_parent_class)->dispose (object);
}

static void
kf_connect_page_class_init (KfConnectPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_connect_page_dispose;
  widget_class->map = kf_connect_page_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-connect-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, host_row);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, connect_button);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, servers_list);
  gtk_widget_class_bind_template_child (widget_class, KfConnectPage, servers_placeholder);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_server_row_activated);
}

static void
kf_connect_page_init (KfConnectPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_placeholder (self);
}

/*
 * kf_connect_page_set_servers:
 * @servers: (nullable): a live GListModel of KfDiscoveredServer, or
 *   %NULL when nothing can be discovered (only the empty state shows)
 * @known_servers: the user's pins, for the trust each row states
 *
 * Lists @servers above the address fields.
 */
void
kf_connect_page_set_servers (KfConnectPage  *self,
                             GListModel     *servers,
                             KfKnownServers *known_servers)
{
  g_return_if_fail (KF_IS_CONNECT_PAGE (self));
  g_return_if_fail (servers == NULL || G_IS_LIST_MODEL (servers));
  g_return_if_fail (KF_IS_KNOWN_SERVERS (known_servers));

  g_set_object (&self->servers, servers);
  g_set_object (&self->known_servers, known_servers);
  bind_servers (self);
}

/*
 * kf_connect_page_set_settled:
 *
 * Whether discovery has said all it knows for now (or cannot look): an
 * empty list then says that no key manager announced itself.
 */
void
kf_connect_page_set_settled (KfConnectPage *self,
                             gboolean       settled)
{
  g_return_if_fail (KF_IS_CONNECT_PAGE (self));

  self->settled = !!settled;
  update_placeholder (self);
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

  if (!kf_address_parse (gtk_editable_get_text (GTK_EDITABLE (self->host_row)),
                         &parsed_host, &parsed_port, error))
    return FALSE;

  port_text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->port_row))));
  if (port_text[0] != '\0' && !kf_address_parse_port (port_text, &parsed_port, error))
    return FALSE;

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
  gtk_widget_set_sensitive (GTK_WIDGET (self->servers_list), !busy);
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
