/* kf-window-connection.c: the main window reaching its key manager
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connecting (from the connect page, the settings or a join link), the
 * connection's loss and a changed identity, the client's peer ports, and
 * the key managers the connect page lists from the network.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-application.h"
#include "kf-connect-flow.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-join-link.h"
#include "kf-window-private.h"

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_connect_flow_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->connecting);
      self->joining = FALSE;
      _kf_window_set_failure (self, error->message);
      kf_connect_page_set_busy (self->connect_page, FALSE);
      _kf_window_follow_client (self);
      return;
    }

  g_clear_object (&self->connecting);
  g_clear_pointer (&self->failure, g_free);
  if (self->joining)
    {
      /* The link's key manager is trusted now: the next start connects to it. */
      GSettings *settings = _kf_window_get_settings (self);

      g_settings_set_string (settings, "server-host", kf_client_get_host (self->client));
      g_settings_set (settings, "server-port", "q", kf_client_get_port (self->client));
      self->joining = FALSE;
    }
  kf_connect_page_set_busy (self->connect_page, FALSE);
  kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_HOME);
  _kf_window_follow_client (self);
}

static void
on_state_changed (KfWindow *self)
{
  if (self->client != NULL && kf_client_is_connected (self->client))
    g_clear_pointer (&self->failure, g_free);
  _kf_window_follow_client (self);
}

static void
warn_identity_changed (KfWindow *self,
                       KfClient *client)
{
  const char *host = kf_client_get_host (client);
  guint16 port = kf_client_get_port (client);
  GtkWidget *dialog;

  dialog = kf_identity_warning_new (GTK_WINDOW (self), host, port,
                                    kf_known_servers_lookup (_kf_window_get_known_servers (self), host, port),
                                    kf_client_get_fingerprint (client));
  gtk_window_present (GTK_WINDOW (dialog));
}

/*
 * on_disconnected:
 *
 * The key manager went away.  While the client reconnects by itself the
 * page stays and the header says so; a final failure goes back to the
 * connect page with the reason.
 */
static void
on_disconnected (KfClient     *client,
                 const GError *error,
                 KfWindow     *self)
{
  _kf_window_set_failure (self, error != NULL ? error->message : _("the key manager went away"));
  _kf_window_close_offer (self);

  if (kf_client_get_state (client) != KF_CLIENT_STATE_RECONNECTING)
    self->hold = KF_WINDOW_HOLD_NONE;
  _kf_window_follow_client (self);

  /* A reconnection met another certificate: the warning comes at once. */
  if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED))
    warn_identity_changed (self, client);
}

/*
 * apply_peer_ports:
 *
 * The "peer-ports" setting ("FIRST-LAST", one port, or empty for any) to
 * the client: as a receiver it listens on the first free port of that
 * range, which a firewall can let in.  A malformed value (set outside
 * Preferences) is ignored, with a message in the log.
 */
static void
apply_peer_ports (KfWindow *self)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  guint16 first = 0, last = 0;

  if (self->client == NULL)
    return;
  text = g_settings_get_string (_kf_window_get_settings (self), "peer-ports");
  if (!kf_gui_parse_port_range (text, &first, &last, &error))
    {
      g_message ("Ignoring the peer-ports setting: %s", error->message);
      first = last = 0;
    }
  kf_client_set_peer_ports (self->client, first, last);
}

/* Drops the current client, cancelling whatever it was doing. */
void
_kf_window_drop_client (KfWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->connecting);
  g_clear_object (&self->connecting);
  if (self->client_signals != NULL)
    g_signal_group_set_target (self->client_signals, NULL);
  g_clear_object (&self->client);
  self->hold = KF_WINDOW_HOLD_NONE;
  kf_main_page_set_peers (self->main_page, NULL, NULL);
}

/*
 * kf_window_connect_to:
 *
 * Connects to the key manager at @host:@port as @name; @fingerprint,
 * when given, is trusted without asking.  Failures and the trust,
 * identity and passphrase dialogs follow from the client's answer.
 */
void
kf_window_connect_to (KfWindow   *self,
                      const char *host,
                      guint16     port,
                      const char *name,
                      const char *fingerprint)
{
  g_autoptr(GError) error = NULL;
  KfIdentity *identity;

  g_return_if_fail (KF_IS_WINDOW (self));

  _kf_window_drop_client (self);
  g_clear_pointer (&self->failure, g_free);
  self->joining = FALSE;
  kf_connect_page_set_values (self->connect_page, host, port, name);
  identity = kf_application_get_identity (KF_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))),
                                          &error);
  if (identity == NULL)
    {
      _kf_window_set_failure (self, error->message);
      _kf_window_follow_client (self);
      return;
    }

  self->cancellable = g_cancellable_new ();
  self->client = kf_client_new (host, port, name, _kf_window_get_known_servers (self));
  kf_client_set_identity (self->client, identity);
  kf_client_set_contacts (self->client, kf_application_get_contacts (
                            KF_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)))));
  if (fingerprint != NULL)
    kf_client_set_expected_fingerprint (self->client, fingerprint);
  apply_peer_ports (self);

  g_signal_group_set_target (self->client_signals, self->client);

  self->connecting = g_cancellable_new ();
  kf_connect_flow_run_async (self->client, GTK_WINDOW (self), _kf_window_get_known_servers (self),
                             fingerprint, self->connecting, on_connected, g_object_ref (self));
  _kf_window_follow_client (self);
  kf_connect_page_set_busy (self->connect_page, TRUE);
}

static void
on_discovery_settled (KfWindow *self)
{
  kf_connect_page_set_settled (self->connect_page, kf_discovery_is_settled (self->discovery));
}

/* The connect page lists the key managers announced on the network;
 * without Avahi the list only says that none announced itself. */
static void
start_discovery (KfWindow *self)
{
  g_autoptr(GError) error = NULL;

  self->discovery = kf_discovery_new ();
  if (!kf_discovery_start (self->discovery, &error))
    {
      g_debug ("No key managers listed: %s", error->message);
      g_clear_object (&self->discovery);
      kf_connect_page_set_servers (self->connect_page, NULL, _kf_window_get_known_servers (self));
      kf_connect_page_set_settled (self->connect_page, TRUE);
      return;
    }
  g_signal_connect_object (self->discovery, "notify::settled",
                           G_CALLBACK (on_discovery_settled), self, G_CONNECT_SWAPPED);
  kf_connect_page_set_servers (self->connect_page, kf_discovery_get_servers (self->discovery),
                               _kf_window_get_known_servers (self));
  on_discovery_settled (self);
}

/*
 * kf_window_open_link:
 * @link: a join link, keyferry://HOST:PORT/?fp=…, as opened
 *
 * Connects to the link's key manager with its fingerprint as the
 * expected one: the administrator vouched for it, so a match is trusted
 * and pinned without asking, and another certificate is the hard failure
 * that names both.  Once connected, the key manager is the one the app
 * starts with.  A malformed link is said on the connect page (or in a
 * toast while connected); so is a link opened during a transfer, which
 * goes on.
 */
void
kf_window_open_link (KfWindow   *self,
                     const char *link)
{
  KfApplication *app = KF_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autofree char *host = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *saved_host = NULL;
  g_autofree char *saved_fingerprint = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = 0, saved_port = 0;

  g_return_if_fail (KF_IS_WINDOW (self));
  g_return_if_fail (link != NULL);

  if (_kf_window_in_session (self) || self->hold == KF_WINDOW_HOLD_CONN)
    {
      _kf_window_show_toast (self, _("A transfer is under way: open the join link again "
                                     "once it has ended."));
      return;
    }
  kf_application_get_server (app, &saved_host, &saved_port, &name, &saved_fingerprint);
  if (!kf_join_link_parse (link, &host, &port, &fingerprint, &error))
    {
      if (self->client != NULL)
        {
          _kf_window_show_toast (self, error->message);
          return;
        }
      _kf_window_set_failure (self, error->message);
      kf_connect_page_set_values (self->connect_page, saved_host, saved_port, name);
      kf_connect_page_set_busy (self->connect_page, FALSE);
      _kf_window_follow_client (self);
      return;
    }

  kf_window_connect_to (self, host, port, name, fingerprint);
  self->joining = TRUE;
}

/*
 * _kf_window_follow_connection:
 *
 * From kf_window_init(): the window follows its client's connection (its
 * state, its id, its loss) through the client signal group.
 */
void
_kf_window_follow_connection (KfWindow *self)
{
  g_signal_group_connect_object (self->client_signals, "notify::state",
                                 G_CALLBACK (on_state_changed), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "notify::client-id",
                                 G_CALLBACK (on_state_changed), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "disconnected",
                                 G_CALLBACK (on_disconnected), self, 0);
}

/*
 * _kf_window_watch_network:
 *
 * From kf_window_new(): the client follows the peer-ports setting, and
 * the connect page lists the key managers announced on the network.
 */
void
_kf_window_watch_network (KfWindow *self)
{
  g_signal_connect_object (_kf_window_get_settings (self), "changed::peer-ports",
                           G_CALLBACK (apply_peer_ports), self, G_CONNECT_SWAPPED);
  start_discovery (self);
}
