/* kf-window.c: the main window: its pages follow one KfClient session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-connect-flow.h"
#include "kf-connect-page.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-join-link.h"
#include "kf-main-page.h"
#include "kf-offer-flow.h"
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

static KfKnownServers *
get_known_servers (KfWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return kf_application_get_known_servers (KF_APPLICATION (app));
}

void
_kf_window_show_toast (KfWindow   *self,
            const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* Sends a desktop notification when the window is not in front. */
static void
notify_user (KfWindow   *self,
             const char *id,
             const char *title,
             const char *body)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!gtk_window_is_active (GTK_WINDOW (self)) && app != NULL)
    kf_application_notify (KF_APPLICATION (app), id, title, body);
}

static void
set_failure (KfWindow   *self,
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

static gboolean
in_session (KfWindow *self)
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
  if (self->hold == KF_WINDOW_HOLD_CONN || in_session (self))
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
                             && !in_session (self) && self->connecting == NULL
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
                                 in_session (self) || self->hold == KF_WINDOW_HOLD_CONN
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
  if (in_session (self))
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
      set_failure (self, error->message);
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

/*
 * on_session_started:
 *
 * Step 7 on either side: the transfer page follows the session.  The
 * sender's page already names the file; the receiver learns it with the
 * offer.
 */
static void
on_session_started (KfClient     *client,
                    KfClientRole  role,
                    guint         peer_id,
                    const char   *peer_name,
                    KfCipherMode  mode,
                    KfWindow     *self)
{
  g_autofree char *title = NULL;
  g_autofree char *who = _kf_window_name_peer (self, peer_id, peer_name);

  if (role == KF_CLIENT_ROLE_SENDER && self->hold == KF_WINDOW_HOLD_CONN)
    kf_transfer_page_set_step (self->transfer_page,
                               _("Confirming the key with the key manager…"));
  else
    {
      title = g_strdup_printf (role == KF_CLIENT_ROLE_SENDER ? _("Sending to %s")
                                                             : _("Receiving from %s"),
                               who);
      kf_transfer_page_begin (self->transfer_page, role == KF_CLIENT_ROLE_SENDER, title,
                              _("Confirming the key with the key manager…"));
    }
  _kf_window_follow_client (self);
}

static void
on_offer_answered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) destination = kf_offer_flow_run_finish (result, &error);
  KfOffer *offer;

  if (error != NULL || self->client == NULL)
    return;
  if (destination == NULL)
    {
      kf_client_decline_offer (self->client);
      return;
    }

  if (!kf_client_accept_offer (self->client, destination, TRUE, &error))
    {
      _kf_window_show_toast (self, error->message);
      kf_client_decline_offer (self->client);
      return;
    }

  offer = kf_client_get_offer (self->client);
  if (offer != NULL)
    {
      g_autofree char *who = _kf_window_name_peer (self, kf_offer_get_sender_id (offer),
                                        kf_offer_get_sender_name (offer));
      g_autofree char *title = g_strdup_printf (_("Receiving “%s” from %s"),
                                                kf_offer_get_file_name (offer), who);

      kf_transfer_page_begin (self->transfer_page, FALSE, title,
                              _("Receiving the encrypted file…"));
    }
}

/* Step 9 for the receiver: Accept or Decline, then where to save. */
static void
on_offer (KfClient *client,
          KfOffer  *offer,
          KfWindow *self)
{
  g_autoptr(GFile) folder = kf_gui_download_folder (_kf_window_get_settings (self));
  g_autofree char *body = NULL;

  _kf_window_close_offer (self);
  self->offer_cancellable = g_cancellable_new ();
  kf_offer_flow_run_async (offer, GTK_WINDOW (self), folder, self->offer_cancellable,
                           on_offer_answered, g_object_ref (self));

  body = g_strdup_printf (_("%s wants to send you “%s”"), kf_offer_get_sender_name (offer),
                          kf_offer_get_file_name (offer));
  notify_user (self, "offer", _("Incoming File"), body);
}

static void
on_progress (KfClient *client,
             guint64   done,
             guint64   total,
             double    bytes_per_second,
             KfWindow *self)
{
  kf_transfer_page_set_progress (self->transfer_page, done, total, bytes_per_second);
}

static void
show_outcome (KfWindow  *self,
              KfOutcome *outcome)
{
  _kf_window_close_offer (self);
  self->hold = KF_WINDOW_HOLD_RESULT;
  kf_result_page_set_outcome (self->result_page, outcome);
  kf_main_page_reset_send (self->main_page);
  _kf_window_follow_client (self);
}

/* The notification's title for @outcome, or NULL when the person did it
 * (declined or cancelled) and needs no news of it. */
static const char *
outcome_news (KfOutcome *outcome)
{
  gboolean local = kf_outcome_get_is_local (outcome);

  switch (kf_outcome_get_status (outcome))
    {
    case KF_OUTCOME_CONFIRMED:
      return _("Transfer Confirmed");
    case KF_OUTCOME_DECLINED:
      return kf_outcome_get_is_sender (outcome) ? _("File Declined") : NULL;
    case KF_OUTCOME_CANCELLED:
      return local ? NULL : _("Transfer Cancelled");
    case KF_OUTCOME_MISMATCH:
    case KF_OUTCOME_DIGEST_MISMATCH:
    case KF_OUTCOME_FAILED:
    default:
      return _("Transfer Failed");
    }
}

/* A receiver's pairing fell through before any offer: the client waits
 * again, and so does the window, saying so quietly. */
static void
show_waiting_again (KfWindow  *self,
                    KfOutcome *outcome)
{
  g_autofree char *why = g_strdup (kf_outcome_get_message (outcome));
  g_autofree char *text = NULL;

  if (g_str_has_suffix (why, "."))
    why[strlen (why) - 1] = '\0';
  /* Translators: why the pairing ended ("alice cancelled the transfer") */
  text = g_strdup_printf (_("No file was offered (%s); waiting for a sender again"), why);
  _kf_window_close_offer (self);
  _kf_window_show_toast (self, text);
  _kf_window_follow_client (self);
}

static void
on_finished (KfClient  *client,
             KfOutcome *outcome,
             KfWindow  *self)
{
  const char *news = outcome_news (outcome);

  if (kf_outcome_get_waits_again (outcome))
    {
      show_waiting_again (self, outcome);
      return;
    }
  show_outcome (self, outcome);
  if (news != NULL)
    notify_user (self, "finished", news,
                 kf_outcome_get_message (outcome) != NULL ? kf_outcome_get_message (outcome)
                                                          : "");
}

static void
warn_identity_changed (KfWindow *self,
                       KfClient *client)
{
  const char *host = kf_client_get_host (client);
  guint16 port = kf_client_get_port (client);
  GtkWidget *dialog;

  dialog = kf_identity_warning_new (GTK_WINDOW (self), host, port,
                                    kf_known_servers_lookup (get_known_servers (self), host, port),
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
  set_failure (self, error != NULL ? error->message : _("the key manager went away"));
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
  kf_main_page_set_peers (self->main_page, NULL);
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
  g_return_if_fail (KF_IS_WINDOW (self));

  _kf_window_drop_client (self);
  g_clear_pointer (&self->failure, g_free);
  self->joining = FALSE;
  kf_connect_page_set_values (self->connect_page, host, port, name);

  self->cancellable = g_cancellable_new ();
  self->client = kf_client_new (host, port, name, get_known_servers (self));
  if (fingerprint != NULL)
    kf_client_set_expected_fingerprint (self->client, fingerprint);
  apply_peer_ports (self);

  g_signal_group_set_target (self->client_signals, self->client);

  self->connecting = g_cancellable_new ();
  kf_connect_flow_run_async (self->client, GTK_WINDOW (self), get_known_servers (self),
                             fingerprint, self->connecting, on_connected, g_object_ref (self));
  _kf_window_follow_client (self);
  kf_connect_page_set_busy (self->connect_page, TRUE);
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

  if (!self->closing && (in_session (self) || self->hold == KF_WINDOW_HOLD_CONN))
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
  g_signal_group_connect_object (self->client_signals, "notify::state",
                                 G_CALLBACK (on_state_changed), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "notify::client-id",
                                 G_CALLBACK (on_state_changed), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "session-started",
                                 G_CALLBACK (on_session_started), self, 0);
  g_signal_group_connect_object (self->client_signals, "offer", G_CALLBACK (on_offer), self, 0);
  g_signal_group_connect_object (self->client_signals, "progress", G_CALLBACK (on_progress),
                                 self, 0);
  g_signal_group_connect_object (self->client_signals, "finished", G_CALLBACK (on_finished),
                                 self, 0);
  g_signal_group_connect_object (self->client_signals, "disconnected",
                                 G_CALLBACK (on_disconnected), self, 0);
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
      kf_connect_page_set_servers (self->connect_page, NULL, get_known_servers (self));
      kf_connect_page_set_settled (self->connect_page, TRUE);
      return;
    }
  g_signal_connect_object (self->discovery, "notify::settled",
                           G_CALLBACK (on_discovery_settled), self, G_CONNECT_SWAPPED);
  kf_connect_page_set_servers (self->connect_page, kf_discovery_get_servers (self->discovery),
                               get_known_servers (self));
  on_discovery_settled (self);
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
  g_signal_connect_object (settings, "changed::peer-ports", G_CALLBACK (apply_peer_ports),
                           self, G_CONNECT_SWAPPED);
  start_discovery (self);
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

  if (in_session (self) || self->hold == KF_WINDOW_HOLD_CONN)
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
      set_failure (self, error->message);
      kf_connect_page_set_values (self->connect_page, saved_host, saved_port, name);
      kf_connect_page_set_busy (self->connect_page, FALSE);
      _kf_window_follow_client (self);
      return;
    }

  kf_window_connect_to (self, host, port, name, fingerprint);
  self->joining = TRUE;
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
