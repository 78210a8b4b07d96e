/* kf-application.c: KfApplication, org.keyferry.Keyferry: settings, actions, command line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-address.h"
#include "kf-application.h"
#include "kf-fingerprint.h"
#include "kf-gui-util.h"
#include "kf-join-link.h"
#include "kf-preferences-window.h"
#include "kf-window.h"

struct _KfApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  KfKnownServers *known_servers;
  KfContacts     *contacts;
  char           *identity_path;  /* --identity FILE, or NULL: the default */
  KfIdentity     *identity;       /* loaded on first use */

  char           *override_host;
  guint16         override_port;
  char           *override_name;
  char           *override_fingerprint;
};

G_DEFINE_FINAL_TYPE (KfApplication, kf_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Key manager to connect to, for this run"), N_("HOST[:PORT]") },
  { "name", 'n', 0, G_OPTION_ARG_STRING, NULL,
    N_("Name others see, for this run"), N_("NAME") },
  { "fingerprint", 'f', 0, G_OPTION_ARG_STRING, NULL,
    N_("Trust the key manager with this SHA-256 fingerprint"), N_("SHA256") },
  { "identity", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Use the identity kept in FILE, made there on first use (default: "
       "~/.local/share/keyferry/identity)"), N_("FILE") },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL,
    N_("[keyferry://HOST:PORT/?fp=FINGERPRINT]") },
  { NULL }
};

/* Runs @action_name ("win.wait"...) on the window in front, if any. */
static void
forward_to_window (KfApplication *self,
                   const char    *action_name)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (KF_IS_WINDOW (window))
    gtk_widget_activate_action (GTK_WIDGET (window), action_name, NULL);
}

static void
wait_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  forward_to_window (user_data, "win.wait");
}

static void
stop_waiting_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  forward_to_window (user_data, "win.stop-waiting");
}

static void
send_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  forward_to_window (user_data, "win.send");
}

static void
disconnect_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  forward_to_window (user_data, "win.disconnect");
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  KfApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *prefs = kf_preferences_window_new (parent, self->settings, self->known_servers);
  g_autoptr(GError) error = NULL;
  KfIdentity *identity = kf_application_get_identity (self, &error);

  kf_preferences_window_set_identity (KF_PREFERENCES_WINDOW (prefs), identity, error);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  static const char *developers[] = { "Keyferry developers", NULL };

  adw_show_about_window (parent,
                         "application-name", "Keyferry",
                         "application-icon", KF_APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", "Keyferry developers",
                         "developers", developers,
                         "comments", _("Encrypted file transfer on your local network, "
                                       "around a key manager"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "wait", wait_activated },
  { "stop-waiting", stop_waiting_activated },
  { "send", send_activated },
  { "disconnect", disconnect_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "quit", quit_activated },
};

/* Sets up settings, the known-servers store, actions and shortcuts. */
static void
kf_application_startup (GApplication *application)
{
  KfApplication *self = KF_APPLICATION (application);
  g_autoptr(GError) error = NULL;
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *open_accels[] = { "<Control>o", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *help_accels[] = { "<Control>question", NULL };
  static const char *wait_accels[] = { "<Control>r", NULL };
  static const char *send_accels[] = { "<Control>s", NULL };
  static const char *conn_accels[] = { "<Control>Return", NULL };
  static const char *back_accels[] = { "Escape", "<Alt>Left", NULL };
  static const char *cancel_accels[] = { "<Control>period", NULL };

  G_APPLICATION_CLASS (kf_application_parent_class)->startup (application);
  kf_gui_install_a11y_fixes ();

  self->settings = g_settings_new (KF_APPLICATION_ID);
  self->known_servers = kf_known_servers_new (NULL);
  if (!kf_known_servers_load (self->known_servers, &error))
    g_warning ("Could not read the trusted key managers: %s", error->message);
  g_clear_error (&error);
  self->contacts = kf_contacts_new (NULL);
  if (!kf_contacts_load (self->contacts, &error))
    g_warning ("Could not read your contacts: %s", error->message);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.choose-file",
                                         open_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay",
                                         help_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.wait", wait_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.send", send_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.conn", conn_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.go-back", back_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.cancel", cancel_accels);
}

/* Shows the window in front, making (and starting) one the first time. */
static void
kf_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    {
      window = GTK_WINDOW (kf_window_new (KF_APPLICATION (application)));
      kf_window_start (KF_WINDOW (window));
    }

  gtk_window_present (window);
}

/*
 * open_link:
 *
 * A join link was opened (the desktop's keyferry: handler, the command
 * line): the window in front, or a new one, connects to it and trusts
 * its fingerprint (kf_window_open_link()) instead of the saved key
 * manager.
 */
static void
open_link (KfApplication *self,
           const char    *link)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (kf_window_new (self));
  kf_window_open_link (KF_WINDOW (window), link);
  gtk_window_present (window);
}

/* G_APPLICATION_HANDLES_OPEN: each file is a join link's URI. */
static void
kf_application_open (GApplication  *application,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);

      open_link (KF_APPLICATION (application), uri);
    }
}

/* The join link on the command line, if any; %FALSE with @error for
 * anything else there, or a link with --server or --fingerprint (the
 * link names both). */
static gboolean
take_link (GVariantDict  *options,
           char         **link,
           GError       **error)
{
  g_autofree const char **rest = NULL;

  *link = NULL;
  if (!g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &rest) || rest[0] == NULL)
    return TRUE;
  if (rest[1] != NULL || !kf_join_link_is_link (rest[0]))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("give one join link, keyferry://HOST:PORT/?fp=FINGERPRINT, or --server, "
                     "not “%s”"), rest[0]);
      return FALSE;
    }
  if (g_variant_dict_contains (options, "server")
      || g_variant_dict_contains (options, "fingerprint"))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("a join link names the key manager and its fingerprint: give it "
                             "without --server or --fingerprint"));
      return FALSE;
    }
  *link = g_strdup (rest[0]);
  return TRUE;
}

/* --identity FILE: loads it now, so that a refused file is said on the
 * command line, and uses it from now on. */
static gboolean
use_identity (KfApplication  *self,
              const char     *path,
              GError        **error)
{
  KfIdentity *identity = kf_identity_load_or_create (path, error);

  if (identity == NULL)
    return FALSE;
  g_free (self->identity_path);
  self->identity_path = g_strdup (path);
  g_clear_object (&self->identity);
  self->identity = identity;
  return TRUE;
}

/*
 * kf_application_command_line:
 *
 * Reads --server, --name and --fingerprint as overrides for this run,
 * then activates; a join link instead connects to its key manager (the
 * desktop file's `keyferry %u`).  Returns 1 (with a message) when an
 * option is malformed.
 */
static int
kf_application_command_line (GApplication            *application,
                             GApplicationCommandLine *command_line)
{
  KfApplication *self = KF_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *name = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *host = NULL;
  g_autofree char *checked_name = NULL;
  g_autofree char *checked_fingerprint = NULL;
  g_autofree char *link = NULL;
  g_autofree char *identity_path = NULL;
  guint16 port = 0;

  g_variant_dict_lookup (options, "server", "s", &server);
  g_variant_dict_lookup (options, "identity", "^ay", &identity_path);
  g_variant_dict_lookup (options, "name", "s", &name);
  g_variant_dict_lookup (options, "fingerprint", "s", &fingerprint);

  if (!take_link (options, &link, &error)
      || (server != NULL && !kf_address_parse (server, &host, &port, &error))
      || (name != NULL && (checked_name = kf_gui_check_name (name, &error)) == NULL)
      || (fingerprint != NULL
          && (checked_fingerprint = kf_fingerprint_normalize (fingerprint, &error)) == NULL))
    {
      g_application_command_line_printerr (command_line, "keyferry: %s\n", error->message);
      return 1;
    }
  if (identity_path != NULL && !g_path_is_absolute (identity_path))
    {
      g_autofree char *relative = g_steal_pointer (&identity_path);

      identity_path = g_build_filename (g_application_command_line_get_cwd (command_line),
                                        relative, NULL);
    }
  if (identity_path != NULL && !use_identity (self, identity_path, &error))
    {
      g_application_command_line_printerr (command_line, "keyferry: %s\n", error->message);
      return 1;
    }

  if (link != NULL)
    {
      /* The running app's other overrides stay; only a name given here changes. */
      if (checked_name != NULL)
        {
          g_free (self->override_name);
          self->override_name = g_steal_pointer (&checked_name);
        }
      open_link (self, link);
      return 0;
    }
  kf_application_set_overrides (self, host, port, checked_name, checked_fingerprint);
  g_application_activate (application);
  return 0;
}

static void
kf_application_dispose (GObject *object)
{
  KfApplication *self = KF_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->known_servers);
  g_clear_object (&self->contacts);
  g_clear_object (&self->identity);

  G_OBJECT_CLASS (kf_application_parent_class)->dispose (object);
}

static void
kf_application_finalize (GObject *object)
{
  KfApplication *self = KF_APPLICATION (object);

  g_free (self->override_host);
  g_free (self->override_name);
  g_free (self->override_fingerprint);
  g_free (self->identity_path);

  G_OBJECT_CLASS (kf_application_parent_class)->finalize (object);
}

static void
kf_application_class_init (KfApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = kf_application_dispose;
  object_class->finalize = kf_application_finalize;
  app_class->startup = kf_application_startup;
  app_class->activate = kf_application_activate;
  app_class->command_line = kf_application_command_line;
  app_class->open = kf_application_open;
}

static void
kf_application_init (KfApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Send files encrypted on your local network."));
}

/* Returns the app; the command line may override the saved key manager,
 * or open a join link (so may the desktop, through open). */
KfApplication *
kf_application_new (void)
{
  return g_object_new (KF_TYPE_APPLICATION,
                       "application-id", KF_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE
                                | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/keyferry/Keyferry",
                       NULL);
}

GSettings *
kf_application_get_settings (KfApplication *self)
{
  g_return_val_if_fail (KF_IS_APPLICATION (self), NULL);
  return self->settings;
}

KfKnownServers *
kf_application_get_known_servers (KfApplication *self)
{
  g_return_val_if_fail (KF_IS_APPLICATION (self), NULL);
  return self->known_servers;
}

/*
 * kf_application_get_contacts:
 *
 * Returns: (transfer none): the user's contacts, shared with keyferry-cli
 * (every window's client remembers its confirmed peers there).
 */
KfContacts *
kf_application_get_contacts (KfApplication *self)
{
  g_return_val_if_fail (KF_IS_APPLICATION (self), NULL);
  return self->contacts;
}

/*
 * kf_application_get_identity:
 *
 * Returns: (transfer none) (nullable): the user's identity (--identity
 * FILE, or the one in the data folder, made on first use), or %NULL with
 * @error when it cannot be loaded; it is tried again on the next call.
 */
KfIdentity *
kf_application_get_identity (KfApplication  *self,
                             GError        **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (KF_IS_APPLICATION (self), NULL);

  if (self->identity != NULL)
    return self->identity;
  path = self->identity_path != NULL ? g_strdup (self->identity_path)
                                     : kf_identity_default_path ();
  self->identity = kf_identity_load_or_create (path, error);
  return self->identity;
}

/*
 * kf_application_set_overrides:
 *
 * Uses @host:@port, @name and a pre-trusted @fingerprint instead of the
 * saved settings, for this run only; NULL for one of them means "as
 * saved" (and no pre-trusted fingerprint).
 */
void
kf_application_set_overrides (KfApplication *self,
                              const char    *host,
                              guint16        port,
                              const char    *name,
                              const char    *fingerprint)
{
  g_return_if_fail (KF_IS_APPLICATION (self));

  g_free (self->override_host);
  self->override_host = g_strdup (host);
  self->override_port = host != NULL ? port : 0;
  g_free (self->override_name);
  self->override_name = g_strdup (name);
  g_free (self->override_fingerprint);
  self->override_fingerprint = g_strdup (fingerprint);
}

/*
 * kf_application_notify:
 *
 * Sends a desktop notification @id (a newer one with the same id
 * replaces it) saying @title and @body.
 */
void
kf_application_notify (KfApplication *self,
                       const char    *id,
                       const char    *title,
                       const char    *body)
{
  g_autoptr(GNotification) notification = NULL;

  g_return_if_fail (KF_IS_APPLICATION (self));

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

/*
 * kf_application_get_server:
 *
 * Returns the key manager to use (overrides first, then the settings)
 * and the name to show, defaulting to the user's real name.  Returns
 * FALSE when no key manager is known yet (the connect page asks).
 */
gboolean
kf_application_get_server (KfApplication  *self,
                           char          **host,
                           guint16        *port,
                           char          **name,
                           char          **fingerprint)
{
  g_autofree char *saved_name = NULL;

  g_return_val_if_fail (KF_IS_APPLICATION (self), FALSE);

  if (self->override_host != NULL)
    {
      *host = g_strdup (self->override_host);
      *port = self->override_port;
    }
  else
    {
      *host = g_settings_get_string (self->settings, "server-host");
      g_settings_get (self->settings, "server-port", "q", port);
    }

  saved_name = g_settings_get_string (self->settings, "name");
  if (self->override_name != NULL)
    *name = g_strdup (self->override_name);
  else if (saved_name[0] != '\0')
    *name = g_steal_pointer (&saved_name);
  else
    *name = kf_display_name_default ();

  *fingerprint = g_strdup (self->override_fingerprint);
  return (*host)[0] != '\0';
}
