/* kf-window.c: the main window: its pages follow one KfClient session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This file maps the client's state to the visible page and the enabled
 * win.* actions (_kf_window_follow_client()), asks before closing during
 * a transfer, and builds the window.  Reaching the key manager is in
 * kf-window-connection.c, a session's pages in kf-window-session.c, the
 * actions in kf-window-actions.c.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-connect-page.h"
#include "kf-gui-util.h"
#include "kf-main-page.h"
#include "kf-peer.h"
#include "kf-result-page.h"
#include "kf-transfer-page.h"
#include "kf-window-private.h"

G_DEFINE_FINAL_TYPE (KfWindow, kf_window, ADW_TYPE_APPLICATION_WINDOW)

GSettings *
_kf_window_get_settings (KfWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return kf_application_get_settings (KF_APPLICATION (app));
}

KfKnownServers *
_kf_window_get_known_servers (KfWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return kf_application_get_known_servers (KF_APPLICATION (app));
}

void
_kf_window_show_toast (KfWindow   *self,
                       const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, kf_gui_toast_new (text));
}

/* Sends a desktop notification when the window is not in front. */
void
_kf_window_notify_user (KfWindow   *self,
                        const char *id,
                        const char *title,
                        const char *body)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!gtk_window_is_active (GTK_WINDOW (self)) && app != NULL)
    kf_application_notify (KF_APPLICATION (app), id, title, body);
}

void
_kf_window_set_failure (KfWindow   *self,
                        const char *message)
{
  g_free (self->failure);
  self->failure = g_strdup (message);
}

static KfClientState
get_state (KfWindow *self)
{
  return self->client != NULL ? kf_client_get_state (self->client)
                              : KF_CLIENT_STATE_DISCONNECTED;
}

gboolean
_kf_window_in_session (KfWindow *self)
{
  return self->client != NULL && kf_client_is_in_session (self->client);
}

/* Shows the page @name; a page that comes into view takes the focus, so
 * that the keyboard starts on its action (Cancel, Back to Start). */
static void
show_page (KfWindow   *self,
           const char *name)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->page_stack), name) == 0)
    return;
  gtk_stack_set_visible_child_name (self->page_stack, name);
  if (g_strcmp0 (name, "transfer") == 0 || g_strcmp0 (name, "result") == 0)
    gtk_widget_grab_focus (gtk_stack_get_visible_child (self->page_stack));
}

/* The page that shows @state, given what the window holds. */
static const char *
page_for_state (KfWindow      *self,
                KfClientState  state)
{
  if (self->hold == KF_WINDOW_HOLD_RESULT)
    return "result";
  if (self->hold == KF_WINDOW_HOLD_CONN || _kf_window_in_session (self))
    return "transfer";
  switch (state)
    {
    case KF_CLIENT_STATE_DISCONNECTED:
    case KF_CLIENT_STATE_CONNECTING:
      return "connect";
    case KF_CLIENT_STATE_RECONNECTING:
    case KF_CLIENT_STATE_IDLE:
    case KF_CLIENT_STATE_WAITING:
    case KF_CLIENT_STATE_CONFIRMING:
    case KF_CLIENT_STATE_LINKING:
    case KF_CLIENT_STATE_READY_TO_SEND:
    case KF_CLIENT_STATE_OFFERED:
    case KF_CLIENT_STATE_TRANSFERRING:
    case KF_CLIENT_STATE_REPORTING:
    default:
      return "main";
    }
}

/* Enables each action only where it can work in @state. */
static void
update_actions (KfWindow      *self,
                KfClientState  state)
{
  gboolean idle = state == KF_CLIENT_STATE_IDLE && self->hold == KF_WINDOW_HOLD_NONE;
  gboolean sending = kf_main_page_get_view (self->main_page) == KF_MAIN_VIEW_SEND;
  gboolean can_go_back = self->hold == KF_WINDOW_HOLD_RESULT
                         || (sending && self->hold == KF_WINDOW_HOLD_NONE
                             && !_kf_window_in_session (self) && self->connecting == NULL
                             && state != KF_CLIENT_STATE_DISCONNECTED
                             && state != KF_CLIENT_STATE_CONNECTING);
  gboolean chosen = kf_main_page_get_choice (self->main_page, NULL, NULL, NULL, NULL);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.connect",
                                 state == KF_CLIENT_STATE_DISCONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.wait", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop-waiting",
                                 state == KF_CLIENT_STATE_WAITING
                                 && self->hold == KF_WINDOW_HOLD_NONE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.conn", idle && sending && chosen);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel",
                                 _kf_window_in_session (self) || self->hold == KF_WINDOW_HOLD_CONN
                                 || self->connecting != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.go-back", can_go_back);
  gtk_widget_set_visible (self->back_button, can_go_back);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.back-to-start",
                                 self->hold == KF_WINDOW_HOLD_RESULT);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.disconnect",
                                 state != KF_CLIENT_STATE_DISCONNECTED);
}

/*
 * name_peer:
 *
 * Returns how to call peer @peer_id named @name: the name alone, with the
 * number only when another waiting person has the same name.  A receiver
 * names its sender by the name alone, as the offer dialog does: it has no
 * list to tell two of the same name apart in (the one it may have looked
 * at before waiting is stale) and no use for the number.
 */
char *
_kf_window_name_peer (KfWindow   *self,
           guint       peer_id,
           const char *name)
{
  GListModel *peers = self->client != NULL ? kf_client_get_peers (self->client) : NULL;
  guint n = peers != NULL ? g_list_model_get_n_items (peers) : 0;

  if (self->client != NULL && kf_client_get_role (self->client) == KF_CLIENT_ROLE_RECEIVER)
    return g_strdup (name);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KfPeer) peer = g_list_model_get_item (peers, i);

      if (kf_peer_get_id (peer) != peer_id && g_strcmp0 (kf_peer_get_name (peer), name) == 0)
        return g_strdup_printf ("%s (#%u)", name, peer_id);
    }
  return g_strdup (name);
}

/* Says on the transfer page which step of the session the client is in;
 * progress, once bytes move, says the rest. */
static void
show_step (KfWindow      *self,
           KfClientState  state)
{
  gboolean sender = kf_client_get_role (self->client) == KF_CLIENT_ROLE_SENDER;
  g_autofree char *who = _kf_window_name_peer (self, kf_client_get_peer_id (self->client),
                                    kf_client_get_peer_name (self->client));
  g_autofree char *step = NULL;

  switch (state)
    {
    case KF_CLIENT_STATE_CONFIRMING:
      step = g_strdup (_("Confirming the key with the key manager…"));
      break;
    case KF_CLIENT_STATE_LINKING:
      step = g_strdup_printf (sender ? _("Connecting to %s…") : _("Waiting for %s to connect…"),
                              who);
      break;
    case KF_CLIENT_STATE_READY_TO_SEND:
    case KF_CLIENT_STATE_TRANSFERRING:
      /* The sender has offered the file: the receiver is deciding. */
      if (sender)
        step = g_strdup_printf (_("Waiting for %s to accept the file…"), who);
      break;
    case KF_CLIENT_STATE_REPORTING:
      step = g_strdup (_("Waiting for the key manager to compare the block counts…"));
      break;
    case KF_CLIENT_STATE_DISCONNECTED:
    case KF_CLIENT_STATE_CONNECTING:
    case KF_CLIENT_STATE_RECONNECTING:
    case KF_CLIENT_STATE_IDLE:
    case KF_CLIENT_STATE_WAITING:
    case KF_CLIENT_STATE_OFFERED:
    default:
      break;
    }
  if (step != NULL)
    kf_transfer_page_set_step (self->transfer_page, step);
}

/*
 * follow_client:
 *
 * The one place that maps the client's state to what the window shows:
 * the header's status, the page, the main page's view and the enabled
 * actions.  Every handler changes the client or the hold, then calls it.
 */
void
_kf_window_follow_client (KfWindow *self)
{
  KfClientState state = get_state (self);
  g_autofree char *text = NULL;

  /* The header says how things stand in a few words; why a connection
   * failed is on the connect page, in full. */
  if (self->client == NULL)
    text = kf_gui_format_status (KF_CLIENT_STATE_DISCONNECTED, 0, NULL, NULL);
  else
    text = kf_gui_format_status (state, kf_client_get_client_id (self->client),
                                 kf_client_get_host (self->client), NULL);
  adw_window_title_set_subtitle (self->window_title, text);
  kf_connect_page_set_error (self->connect_page,
                             state == KF_CLIENT_STATE_DISCONNECTED ? self->failure : NULL);

  kf_main_page_set_online (self->main_page, state != KF_CLIENT_STATE_RECONNECTING);
  if (state == KF_CLIENT_STATE_WAITING)
    kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_WAITING);
  else if (kf_main_page_get_view (self->main_page) == KF_MAIN_VIEW_WAITING
           && state != KF_CLIENT_STATE_RECONNECTING)
    kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_HOME);

  update_actions (self, state);
  if (_kf_window_in_session (self))
    show_step (self, state);
  show_page (self, page_for_state (self, state));
}

/* Closes the offer dialog or the save dialog, if one is open. */
void
_kf_window_close_offer (KfWindow *self)
{
  g_cancellable_cancel (self->offer_cancellable);
  g_clear_object (&self->offer_cancellable);
}

/* The main page has a file to send (dropped, or chosen with Ctrl+O on the
 * home view): the Send view shows it, when sending is possible. */
static void
on_send_requested (KfWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.send", NULL);
}

static void
on_choice_changed (KfWindow *self)
{
  update_actions (self, get_state (self));
}

static gboolean
close_now (gpointer user_data)
{
  KfWindow *self = user_data;

  self->closing = TRUE;
  gtk_window_close (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

/* Stop and Close: cancels the transfer (the other side is told), then
 * closes once the dialog is gone. */
static void
on_close_answered (AdwMessageDialog *dialog,
                   const char       *response,
                   KfWindow         *self)
{
  if (g_strcmp0 (response, "close") != 0)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.cancel", NULL);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_now, g_object_ref (self), g_object_unref);
}

/* A transfer is under way: asks before closing the window cancels it. */
static void
ask_before_closing (KfWindow *self)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Stop the Transfer?"),
                                                       _("Closing Keyferry cancels the file "
                                                         "transfer under way. The other person "
                                                         "is told, and nothing is saved.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Keep Transferring"),
                                    "close", _("_Stop and Close"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "close", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_close_answered), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
kf_window_close_request (GtkWindow *window)
{
  KfWindow *self = KF_WINDOW (window);
  GSettings *settings = _kf_window_get_settings (self);
  int width, height;

  if (!self->closing && (_kf_window_in_session (self) || self->hold == KF_WINDOW_HOLD_CONN))
    {
      ask_before_closing (self);
      return TRUE;
    }

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (kf_window_parent_class)->close_request (window);
}

static void
kf_window_dispose (GObject *object)
{
  KfWindow *self = KF_WINDOW (object);

  _kf_window_close_offer (self);
  _kf_window_drop_client (self);
  g_clear_object (&self->discovery);
  g_clear_object (&self->client_signals);
  g_clear_pointer (&self->failure, g_free);

  G_OBJECT_CLASS (kf_window_parent_class)->dispose (object);
}

static void
kf_window_class_init (KfWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kf_window_dispose;
  window_class->close_request = kf_window_close_request;

  g_type_ensure (KF_TYPE_CONNECT_PAGE);
  g_type_ensure (KF_TYPE_MAIN_PAGE);
  g_type_ensure (KF_TYPE_TRANSFER_PAGE);
  g_type_ensure (KF_TYPE_RESULT_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KfWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, page_stack);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, connect_page);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, main_page);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, transfer_page);
  gtk_widget_class_bind_template_child (widget_class, KfWindow, result_page);
  gtk_widget_class_bind_template_callback (widget_class, on_choice_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_send_requested);

  _kf_window_install_actions (widget_class);
}

static void
kf_window_init (KfWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kf_gui_stack_hide_unseen (self->page_stack);

  self->client_signals = g_signal_group_new (KF_TYPE_CLIENT);
  _kf_window_follow_connection (self);
  _kf_window_follow_sessions (self);
}

/* Returns a new window of @application, sized as it was last time. */
KfWindow *
kf_window_new (KfApplication *application)
{
  GSettings *settings = kf_application_get_settings (application);
  KfWindow *self;

  self = g_object_new (KF_TYPE_WINDOW, "application", application, NULL);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  _kf_window_watch_network (self);
  _kf_window_follow_client (self);
  return self;
}

/*
 * kf_window_start:
 *
 * Connects at once when a key manager is known (command line or
 * settings); otherwise shows the connect page with the default name.
 */
void
kf_window_start (KfWindow *self)
{
  KfApplication *app = KF_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autofree char *host = NULL;
  g_autofree char *name = NULL;
  g_autofree char *fingerprint = NULL;
  guint16 port = 0;

  g_return_if_fail (KF_IS_WINDOW (self));

  if (kf_application_get_server (app, &host, &port, &name, &fingerprint))
    {
      kf_window_connect_to (self, host, port, name, fingerprint);
      return;
    }

  kf_connect_page_set_values (self->connect_page, host, port, name);
  kf_connect_page_set_busy (self->connect_page, FALSE);
  _kf_window_follow_client (self);
}

KfClient *
kf_window_get_client (KfWindow *self)
{
  g_return_val_if_fail (KF_IS_WINDOW (self), NULL);
  return self->client;
}

/* Returns "connect", "main", "transfer" or "result". */
const char *
kf_window_get_page_name (KfWindow *self)
{
  g_return_val_if_fail (KF_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->page_stack);
}

/* Returns the connection status shown in the header bar. */
const char *
kf_window_get_status (KfWindow *self)
{
  g_return_val_if_fail (KF_IS_WINDOW (self), NULL);
  return adw_window_title_get_subtitle (self->window_title);
}
