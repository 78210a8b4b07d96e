/* kf-window-actions.c: the main window's win.* actions (connect, wait, send,
 * conn, cancel, back, disconnect…); kf-window.c enables them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-window-private.h"

/* win.connect: connect with what the connect page says, and remember it. */
static void
connect_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *name = NULL;
  GSettings *settings = _kf_window_get_settings (self);
  guint16 port = 0;

  if (!kf_connect_page_get_values (self->connect_page, &host, &port, &name, &error))
    {
      _kf_window_show_toast (self, error->message);
      return;
    }

  g_settings_set_string (settings, "server-host", host);
  g_settings_set (settings, "server-port", "q", port);
  g_settings_set_string (settings, "name", name);
  kf_window_connect_to (self, host, port, name, NULL);
}

/* A command's reply: only a failure needs saying. */
static void
report_failure (KfWindow *self,
                GError   *error)
{
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _kf_window_show_toast (self, error->message);
}

static void
on_wait_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_wait_finish (KF_CLIENT (source), result, &error))
    report_failure (self, error);
}

static void
wait_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  kf_client_set_watching (self->client, FALSE);
  kf_client_wait_async (self->client, self->cancellable, on_wait_done, g_object_ref (self));
}

static void
on_stop_waiting_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_stop_waiting_finish (KF_CLIENT (source), result, &error))
    report_failure (self, error);
}

static void
stop_waiting_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  kf_client_stop_waiting_async (self->client, self->cancellable, on_stop_waiting_done,
                                g_object_ref (self));
}

static void
on_peers_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) peers = NULL;

  peers = kf_client_list_peers_finish (KF_CLIENT (source), result, &error);
  if (peers == NULL)
    report_failure (self, error);
}

/* win.send: the live list of waiting peers. */
static void
send_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  kf_main_page_set_peers (self->main_page, kf_client_get_peers (self->client),
                          kf_client_get_contacts (self->client));
  kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_SEND);
  _kf_window_follow_client (self);
  kf_client_set_watching (self->client, TRUE);
  kf_client_list_peers_async (self->client, self->cancellable, on_peers_listed,
                              g_object_ref (self));
}

static void
back_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  if (self->client != NULL)
    kf_client_set_watching (self->client, FALSE);
  kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_HOME);
  _kf_window_follow_client (self);
}

static void
back_to_start_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  self->hold = KF_WINDOW_HOLD_NONE;
  kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_HOME);
  _kf_window_follow_client (self);
}

/* win.choose-file: the desktop's file chooser for the files to send. */
static void
choose_file_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  kf_main_page_choose_file (KF_WINDOW (widget)->main_page);
}

static void
on_file_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;

  outcome = kf_client_send_files_finish (KF_CLIENT (source), result, &error);
  if (outcome == NULL && error != NULL)
    g_debug ("Sending ended: %s", error->message);
}

static void
send_chosen_file (KfWindow *self)
{
  g_autoptr(GPtrArray) files = kf_main_page_dup_files (self->main_page);

  g_return_if_fail (files->len > 0);
  kf_client_send_files_async (self->client, (GFile **) files->pdata, files->len,
                              self->cancellable, on_file_sent, g_object_ref (self));
}

static void
on_send_anyway (AdwMessageDialog *dialog,
                const char       *response,
                KfWindow         *self)
{
  if (self->client == NULL)
    return;
  if (g_strcmp0 (response, "send") == 0
      && kf_client_get_state (self->client) == KF_CLIENT_STATE_READY_TO_SEND)
    send_chosen_file (self);
  else if (kf_client_is_in_session (self->client))
    kf_client_cancel (self->client);
}

/*
 * warn_changed_identity:
 *
 * The link is up and the receiver proved its identity: when the contacts
 * know its name under another identity, nothing is sent until the person
 * has read a loud warning naming both codes and chosen Send Anyway (the
 * new identity then takes the name once the transfer is confirmed).
 *
 * Returns: whether the warning is shown.
 */
static gboolean
warn_changed_identity (KfWindow *self)
{
  const char *name = kf_client_get_peer_name (self->client);
  const guint8 *key = kf_client_get_peer_identity (self->client);
  g_autofree char *known = NULL;
  g_autofree char *code = NULL;
  AdwMessageDialog *dialog;

  if (kf_gui_check_contact (kf_client_get_contacts (self->client), name, key,
                            &known) != KF_CONTACT_CHANGED)
    return FALSE;

  code = kf_identity_code_for_key (key);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Identity Changed"),
                                                       NULL));
  /* Translators: the name, the receiver's identity code, the name, the code
   * known for it, the name */
  adw_message_dialog_format_body (dialog,
                                  _("This is not the %s you know. Their identity is %s, but "
                                    "you exchanged files with %s under the identity %s: it "
                                    "may be someone else using the name. Send only if %s "
                                    "told you their identity changed."),
                                  name, code, name, known, name);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "send", _("_Send Anyway"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "send", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_send_anyway), self, 0);
  g_signal_connect_object (self->client, "finished", G_CALLBACK (gtk_window_destroy), dialog,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static void
on_conn_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean session_started = FALSE;

  if (!kf_client_conn_finish (KF_CLIENT (source), result, &session_started, &error))
    {
      /* A session that started and ended shows its result (::finished);
       * a cancelled conn was the user's or the window's doing. */
      if (session_started || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->hold = KF_WINDOW_HOLD_NONE;
      _kf_window_show_toast (self, error->message);
      kf_main_page_set_view (self->main_page, KF_MAIN_VIEW_SEND);
      kf_client_set_watching (self->client, TRUE);
      _kf_window_follow_client (self);
      return;
    }

  if (warn_changed_identity (self))
    return;
  send_chosen_file (self);
}

/* win.conn: pair with the chosen peer in the chosen mode, then send the files. */
static void
conn_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);
  g_autofree char *peer_name = NULL;
  g_autofree char *title = NULL;
  g_autofree char *who = NULL;
  KfCipherMode mode;
  guint peer_id;

  if (!kf_main_page_get_choice (self->main_page, &peer_id, &peer_name, &mode, NULL))
    return;

  who = _kf_window_name_peer (self, peer_id, peer_name);
  title = kf_main_page_format_sending (self->main_page, who);
  kf_transfer_page_begin (self->transfer_page, TRUE, title,
                          _("Asking the key manager for a session key…"));
  self->hold = KF_WINDOW_HOLD_CONN;
  _kf_window_follow_client (self);

  kf_client_set_watching (self->client, FALSE);
  kf_client_conn_async (self->client, peer_id, mode, self->cancellable, on_conn_done,
                        g_object_ref (self));
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  _kf_window_close_offer (self);
  if (self->connecting != NULL)
    {
      /* A connection attempt: stop it, and stay on the connect page. */
      _kf_window_drop_client (self);
      kf_connect_page_set_busy (self->connect_page, FALSE);
      _kf_window_follow_client (self);
      return;
    }
  if (self->client != NULL)
    kf_client_cancel (self->client);
}

/* win.go-back (the header's back button, Escape): the result page goes
 * back to the start, the Send view to Wait or Send. */
static void
go_back_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  if (self->hold == KF_WINDOW_HOLD_RESULT)
    back_to_start_activated (widget, "win.back-to-start", NULL);
  else
    back_activated (widget, "win.back", NULL);
}

static void
on_end_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_end_finish (KF_CLIENT (source), result, &error))
    g_debug ("Leaving the key manager: %s", error->message);
}

/* win.disconnect: says `end` to the key manager and goes back to the connect page. */
static void
disconnect_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  KfWindow *self = KF_WINDOW (widget);

  _kf_window_close_offer (self);
  if (self->client != NULL)
    {
      g_signal_group_set_target (self->client_signals, NULL);
      kf_client_end_async (self->client, NULL, on_end_done, g_object_ref (self));
    }
  _kf_window_drop_client (self);
  kf_connect_page_set_busy (self->connect_page, FALSE);
  _kf_window_follow_client (self);
}

/* The window's actions; kf-window.c enables them in follow_client(). */
void
_kf_window_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.connect", NULL, connect_activated);
  gtk_widget_class_install_action (widget_class, "win.wait", NULL, wait_activated);
  gtk_widget_class_install_action (widget_class, "win.stop-waiting", NULL,
                                   stop_waiting_activated);
  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_activated);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_activated);
  gtk_widget_class_install_action (widget_class, "win.back-to-start", NULL,
                                   back_to_start_activated);
  gtk_widget_class_install_action (widget_class, "win.choose-file", NULL,
                                   choose_file_activated);
  gtk_widget_class_install_action (widget_class, "win.conn", NULL, conn_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "win.go-back", NULL, go_back_activated);
  gtk_widget_class_install_action (widget_class, "win.disconnect", NULL,
                                   disconnect_activated);
}
