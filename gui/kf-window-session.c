/* kf-window-session.c: a transfer session as the main window shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's session signals drive the transfer page (its start, the
 * receiver's offer and where to save it, progress) and the result page
 * (the outcome, a notification when the window is not in front).  How the
 * window maps the client's state to a page is kf-window.c's.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-offer-flow.h"
#include "kf-window-private.h"

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
on_blocked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(KfWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_block_finish (KF_CLIENT (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _kf_window_show_toast (self, error->message);
}

/* Block Sender: the key manager keeps the sender's identity from choosing
 * us again while this window stays connected; the offer is declined. */
static void
block_sender (KfWindow *self)
{
  KfOffer *offer = kf_client_get_offer (self->client);
  g_autofree char *text = NULL;

  if (offer == NULL || kf_offer_get_sender_key (offer) == NULL)
    return;
  kf_client_block_async (self->client, kf_offer_get_sender_key (offer), self->cancellable,
                         on_blocked, g_object_ref (self));
  /* Translators: a name, an identity code */
  text = g_strdup_printf (_("Blocked %s (identity %s) while you stay connected"),
                          kf_offer_get_sender_name (offer), kf_offer_get_sender_code (offer));
  _kf_window_show_toast (self, text);
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
  gboolean tree;

  if (error != NULL || self->client == NULL)
    return;
  if (destination == NULL)
    {
      if (kf_offer_flow_was_blocked (result))
        block_sender (self);
      kf_client_decline_offer (self->client);
      return;
    }

  /* The save dialog asked before replacing a file; a tree never replaces
   * what the folder holds (the engine names the newcomer "name (2)"). */
  offer = kf_client_get_offer (self->client);
  tree = offer != NULL && kf_offer_get_is_tree (offer);
  if (!kf_client_accept_offer (self->client, destination, !tree, &error))
    {
      _kf_window_show_toast (self, error->message);
      kf_client_decline_offer (self->client);
      return;
    }
  if (tree)
    kf_result_page_set_folder (self->result_page, destination);

  if (offer != NULL)
    {
      g_autofree char *who = _kf_window_name_peer (self, kf_offer_get_sender_id (offer),
                                        kf_offer_get_sender_name (offer));
      g_autofree char *title = NULL;

      title = tree ? kf_gui_format_receiving (offer, who)
                   : g_strdup_printf (_("Receiving “%s” from %s"),
                                      kf_offer_get_file_name (offer), who);
      kf_transfer_page_begin (self->transfer_page, FALSE, title,
                              tree ? _("Receiving the encrypted files…")
                                   : _("Receiving the encrypted file…"));
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
  kf_offer_flow_run_async (offer, GTK_WINDOW (self), folder, kf_client_get_contacts (client),
                           self->offer_cancellable, on_offer_answered, g_object_ref (self));

  body = kf_gui_format_offer_news (offer);
  _kf_window_notify_user (self, "offer", kf_offer_get_is_tree (offer) ? _("Incoming Files")
                                                                     : _("Incoming File"),
                          body);
}

static void
on_progress (KfClient                 *client,
             const KfTransferProgress *progress,
             KfWindow                 *self)
{
  kf_transfer_page_show_progress (self->transfer_page, progress);
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
    _kf_window_notify_user (self, "finished", news,
                 kf_outcome_get_message (outcome) != NULL ? kf_outcome_get_message (outcome)
                                                          : "");
}

/*
 * _kf_window_follow_sessions:
 *
 * From kf_window_init(): the transfer and result pages follow the
 * client's sessions through the client signal group.
 */
void
_kf_window_follow_sessions (KfWindow *self)
{
  g_signal_group_connect_object (self->client_signals, "session-started",
                                 G_CALLBACK (on_session_started), self, 0);
  g_signal_group_connect_object (self->client_signals, "offer", G_CALLBACK (on_offer), self, 0);
  g_signal_group_connect_object (self->client_signals, "transfer-progress",
                                 G_CALLBACK (on_progress), self, 0);
  g_signal_group_connect_object (self->client_signals, "finished", G_CALLBACK (on_finished),
                                 self, 0);
}
