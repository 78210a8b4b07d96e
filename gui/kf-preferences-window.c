/* kf-preferences-window.c: key manager address, name, identity code, download folder,
 * peer ports, passphrase, trust
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-preferences-window.h"
#include "kf-secret.h"

struct _KfPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  AdwEntryRow          *host_row;
  AdwEntryRow          *port_row;
  AdwEntryRow          *name_row;
  AdwEntryRow          *passphrase_row;
  AdwEntryRow          *peer_ports_row;
  AdwPreferencesGroup  *server_group;
  AdwActionRow         *folder_row;
  AdwActionRow         *identity_row;

  KfIdentity           *identity;

  GSettings            *settings;
  KfKnownServers       *known_servers;
  GtkFileChooserNative *folder_chooser;
};

G_DEFINE_FINAL_TYPE (KfPreferencesWindow, kf_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* GSettings "server-port" (uint16, 0 = default) to the port row's text. */
static gboolean
port_to_text (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  guint16 port = g_variant_get_uint16 (variant);

  g_value_take_string (value, port != 0 ? g_strdup_printf ("%u", port) : g_strdup (""));
  return TRUE;
}

/* The port row's text to "server-port": empty is the default, junk is refused. */
static GVariant *
text_to_port (const GValue       *value,
              const GVariantType *type,
              gpointer            user_data)
{
  const char *text = g_value_get_string (value);
  guint64 port = 0;

  if (text == NULL || text[0] == '\0')
    return g_variant_new_uint16 (0);
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &port, NULL))
    return NULL;
  return g_variant_new_uint16 ((guint16) port);
}

static void
show_folder (KfPreferencesWindow *self)
{
  g_autoptr(GFile) folder = kf_gui_download_folder (self->settings);
  g_autofree char *path = g_file_get_path (folder);

  adw_action_row_set_subtitle (self->folder_row, path != NULL ? path : "");
}

static void
on_folder_chosen (GtkNativeDialog     *dialog,
                  int                  response,
                  KfPreferencesWindow *self)
{
  g_autoptr(GFile) folder = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      path = folder != NULL ? g_file_get_path (folder) : NULL;
      if (path != NULL)
        g_settings_set_string (self->settings, "download-folder", path);
    }
  g_clear_object (&self->folder_chooser);
}

/* Asks for the download folder with the desktop's folder chooser. */
static void
choose_folder_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  KfPreferencesWindow *self = KF_PREFERENCES_WINDOW (widget);
  g_autoptr(GFile) current = kf_gui_download_folder (self->settings);

  if (self->folder_chooser != NULL)
    return;

  self->folder_chooser = gtk_file_chooser_native_new (_("Download Folder"), GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                      _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->folder_chooser), TRUE);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->folder_chooser), current, NULL);
  g_signal_connect (self->folder_chooser, "response", G_CALLBACK (on_folder_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
}

/* Forgets every pinned key manager: the next connection asks again. */
static void
forget_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KfPreferencesWindow *self = KF_PREFERENCES_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  AdwToast *toast;

  if (!kf_known_servers_clear (self->known_servers, &error))
    toast = kf_gui_toast_new (error->message);
  else
    toast = kf_gui_toast_new (_("Trusted key managers forgotten"));
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
}

/* Puts the identity code on the clipboard, to paste into a message. */
static void
copy_identity_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  KfPreferencesWindow *self = KF_PREFERENCES_WINDOW (widget);

  if (self->identity == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), kf_identity_get_code (self->identity));
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    kf_gui_toast_new (_("Identity code copied")));
}

static void
on_passphrase_stored (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(KfPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_secret_store_finish (result, &error))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                      kf_gui_toast_new (error->message));
  else
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                      kf_gui_toast_new (_("Passphrase saved in your keyring")));
}

/* The passphrase row's apply button: store it for the configured key manager. */
static void
on_passphrase_apply (AdwEntryRow         *row,
                     KfPreferencesWindow *self)
{
  g_autofree char *host = g_settings_get_string (self->settings, "server-host");
  guint16 port = 0;

  g_settings_get (self->settings, "server-port", "q", &port);

  kf_secret_store_async (host, port, gtk_editable_get_text (GTK_EDITABLE (row)), NULL,
                         on_passphrase_stored, g_object_ref (self));
  gtk_editable_set_text (GTK_EDITABLE (row), "");
}

/* The peer ports row's apply button: a valid range is saved, anything
 * else is marked and explained, and the setting stays as it was. */
static void
on_peer_ports_apply (AdwEntryRow         *row,
                     KfPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  guint16 first = 0, last = 0;

  if (!kf_gui_parse_port_range (text, &first, &last, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        kf_gui_toast_new (error->message));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  g_settings_set_string (self->settings, "peer-ports", text);
}

/* The peer ports row shows the setting (and is no longer marked wrong). */
static void
show_peer_ports (KfPreferencesWindow *self)
{
  g_autofree char *text = g_settings_get_string (self->settings, "peer-ports");

  gtk_editable_set_text (GTK_EDITABLE (self->peer_ports_row), text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->peer_ports_row), "error");
}

static void
kf_preferences_window_dispose (GObject *object)
{
  KfPreferencesWindow *self = KF_PREFERENCES_WINDOW (object);

  if (self->folder_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->folder_chooser));
  g_clear_object (&self->folder_chooser);
  g_clear_object (&self->settings);
  g_clear_object (&self->known_servers);
  g_clear_object (&self->identity);

  G_OBJECT_CLASS (kf_preferences_window_parent_class)->dispose (object);
}

static void
kf_preferences_window_class_init (KfPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, host_row);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, port_row);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, peer_ports_row);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, server_group);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, KfPreferencesWindow, identity_row);
  gtk_widget_class_bind_template_callback (widget_class, on_passphrase_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_peer_ports_apply);

  gtk_widget_class_install_action (widget_class, "prefs.choose-folder", NULL,
                                   choose_folder_activated);
  gtk_widget_class_install_action (widget_class, "prefs.forget-servers", NULL,
                                   forget_activated);
  gtk_widget_class_install_action (widget_class, "prefs.copy-identity", NULL,
                                   copy_identity_activated);
}

static void
kf_preferences_window_init (KfPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.copy-identity", FALSE);
}

/* Binds the rows to the settings and explains where the passphrase lives. */
static void
bind_settings (KfPreferencesWindow *self)
{
  g_settings_bind (self->settings, "server-host", self->host_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "name", self->name_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "server-port", self->port_row, "text",
                                G_SETTINGS_BIND_DEFAULT, port_to_text, text_to_port,
                                NULL, NULL);
  g_signal_connect_object (self->settings, "changed::download-folder",
                           G_CALLBACK (show_folder), self, G_CONNECT_SWAPPED);
  show_folder (self);
  g_signal_connect_object (self->settings, "changed::peer-ports",
                           G_CALLBACK (show_peer_ports), self, G_CONNECT_SWAPPED);
  show_peer_ports (self);

  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_row), kf_secret_is_available ());
  adw_preferences_group_set_description (self->server_group,
                                         kf_secret_is_available ()
                                         ? _("An admission passphrase, if the key manager "
                                             "needs one, is kept in your keyring.")
                                         : _("An admission passphrase, if the key manager "
                                             "needs one, is asked each time you connect."));
}

/*
 * kf_preferences_window_new:
 *
 * Returns the preferences window for @settings (the app's GSettings)
 * and @known_servers (the pinned key managers it can forget).
 */
GtkWidget *
kf_preferences_window_new (GtkWindow      *parent,
                           GSettings      *settings,
                           KfKnownServers *known_servers)
{
  KfPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (known_servers), NULL);

  self = g_object_new (KF_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->settings = g_object_ref (settings);
  self->known_servers = g_object_ref (known_servers);
  bind_settings (self);
  return GTK_WIDGET (self);
}

/*
 * kf_preferences_window_set_identity:
 * @identity: (nullable): the user's identity
 * @error: (nullable): why there is none
 *
 * Shows the user's identity code, with a button that copies it, or why
 * the identity could not be loaded.
 */
void
kf_preferences_window_set_identity (KfPreferencesWindow *self,
                                    KfIdentity          *identity,
                                    const GError        *error)
{
  g_return_if_fail (KF_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (identity == NULL || KF_IS_IDENTITY (identity));

  g_set_object (&self->identity, identity);
  adw_action_row_set_subtitle (self->identity_row,
                               identity != NULL ? kf_identity_get_code (identity)
                               : error != NULL ? error->message : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.copy-identity", identity != NULL);
}
