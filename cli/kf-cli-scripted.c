/* kf-cli-scripted.c: `keyferry-cli wait` and `keyferry-cli send`, for scripts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One transfer, then goodbye to the key manager and an exit status that
 * says how it went (kf-cli-exit.h): 0 only when the file arrived and the
 * key manager confirmed both block counts.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-cli-connect.h"
#include "kf-cli-describe.h"
#include "kf-cli-exit.h"
#include "kf-cli-files.h"
#include "kf-cli-output.h"
#include "kf-cli-receive.h"
#include "kf-cli-scripted.h"

static void
on_ended (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  KfCliApp *app = user_data;

  kf_client_end_finish (KF_CLIENT (source), result, NULL);
  kf_cli_app_quit (app, app->exit_status);
}

static void
end_with (KfCliApp *app,
          int       exit_status)
{
  app->exit_status = exit_status;
  kf_client_end_async (app->client, NULL, on_ended, app);
}

static void
on_finished (KfClient  *client,
             KfOutcome *outcome,
             KfCliApp  *app)
{
  /* A peer refused for its identity was said so already. */
  if (app->identity_refused)
    {
      end_with (app, KF_CLI_EXIT_IDENTITY);
      return;
    }
  kf_cli_report_outcome (outcome);
  /* A pairing that fell through before any offer does not end a wait. */
  if (!kf_outcome_get_waits_again (outcome))
    end_with (app, kf_cli_exit_for_outcome (outcome));
}

static void
on_offer (KfClient *client,
          KfOffer  *offer,
          KfCliApp *app)
{
  if (app->accept)
    kf_cli_receive_auto (app, offer, app->output_dir);
  else
    kf_cli_receive_ask (app, offer, app->output_dir, NULL);
}

static void
connect_signals (KfCliApp *app)
{
  g_signal_connect (app->client, "transfer-progress", G_CALLBACK (kf_cli_report_progress), NULL);
  g_signal_connect (app->client, "file-landed", G_CALLBACK (kf_cli_report_landed), NULL);
  g_signal_connect (app->client, "finished", G_CALLBACK (on_finished), app);
  g_signal_connect (app->client, "offer", G_CALLBACK (on_offer), app);
  kf_cli_follow_reconnects (app);
}

static void
on_waiting (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_wait_finish (KF_CLIENT (source), result, &error))
    {
      kf_cli_error ("%s", error->message);
      end_with (app, KF_CLI_EXIT_CONNECTION);
      return;
    }
  kf_cli_json_event ("waiting", NULL);
  kf_cli_status ("%s", _("Waiting for a sender…"));
}

/*
 * kf_cli_scripted_wait:
 *
 * Waits for one offer on @app's connected client, accepts it (--accept) or
 * asks, saves it in --output (default: the current folder) and quits.
 */
void
kf_cli_scripted_wait (KfCliApp *app)
{
  connect_signals (app);
  kf_client_wait_async (app->client, app->cancellable, on_waiting, app);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;

  /* ::finished reports the outcome and ends the run. */
  outcome = kf_client_send_files_finish (KF_CLIENT (source), result, &error);
}

/* The receiver's identity, as it proved it on the link, against the
 * contacts (the waiting list's word was checked before `conn`; this is
 * the proof). */
static gboolean
receiver_accepted (KfCliApp *app)
{
  KfContacts *contacts = kf_client_get_contacts (app->client);
  const char *name = kf_client_get_peer_name (app->client);
  const guint8 *key = kf_client_get_peer_identity (app->client);

  if (contacts == NULL || key == NULL
      || kf_contacts_check (contacts, name, key, NULL) != KF_CONTACT_CHANGED
      || kf_cli_peer_identity_accepted (app, KF_CLIENT_ROLE_SENDER, name, key))
    return TRUE;
  kf_client_cancel (app->client);
  return FALSE;
}

static void
on_conn (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KfCliApp *app = user_data;
  int refused;

  if (!kf_cli_finish_conn (KF_CLIENT (source), result, &refused))
    {
      if (refused >= 0)
        end_with (app, refused);
      return;
    }
  if (!receiver_accepted (app))
    return;
  kf_client_send_files_async (app->client, (GFile **) app->files->pdata, app->files->len,
                              app->cancellable, on_sent, app);
}

static void
on_session_started (KfClient     *client,
                    KfClientRole  role,
                    guint         peer_id,
                    const char   *peer_name,
                    KfCipherMode  mode,
                    KfCliApp     *app)
{
  kf_cli_status (_("Paired with %s (#%u); sending…"), peer_name, peer_id);
}

/* The waiting peer whose identity code is @code, or %NULL. */
static KfPeer *
find_code (GPtrArray  *peers,
           const char *code)
{
  for (guint i = 0; code != NULL && i < peers->len; i++)
    if (g_strcmp0 (kf_peer_get_code (g_ptr_array_index (peers, i)), code) == 0)
      return g_ptr_array_index (peers, i);
  return NULL;
}

/* The waiting peer called @name: the one with the identity the contacts
 * know for @name when they know one, else the only one so called.  Sets
 * *@matches to how many are so called. */
static KfPeer *
find_name (KfCliApp   *app,
           GPtrArray  *peers,
           const char *name,
           guint      *matches)
{
  KfContacts *contacts = kf_client_get_contacts (app->client);
  g_autoptr(GPtrArray) known = contacts != NULL ? kf_contacts_find_name (contacts, name) : NULL;
  KfPeer *found = NULL;

  *matches = 0;
  for (guint i = 0; i < peers->len; i++)
    {
      KfPeer *peer = g_ptr_array_index (peers, i);
      const guint8 *key = kf_peer_get_public_key (peer);

      if (!g_str_equal (kf_peer_get_name (peer), name))
        continue;
      (*matches)++;
      found = found != NULL ? found : peer;
      for (guint j = 0; known != NULL && key != NULL && j < known->len; j++)
        if (memcmp (((const KfContact *) g_ptr_array_index (known, j))->public_key, key,
                    KF_IDENTITY_PUBLIC_KEY_SIZE) == 0)
          return peer;
    }
  return *matches == 1 ? found : NULL;
}

/*
 * resolve_peer:
 * @exit_status: (out): why not, when it returns %FALSE
 *
 * Finds --to among the waiting peers: an id; an identity code (as people
 * type it); or a name, which stands for the identity the contacts know by
 * it.  Someone else under a contact's name is refused before `conn`
 * (exit 9), unless --accept-new-identity.
 */
static gboolean
resolve_peer (KfCliApp   *app,
              GPtrArray  *peers,
              guint      *peer_id,
              int        *exit_status)
{
  g_autofree char *code = kf_identity_code_normalize (app->to, NULL);
  KfPeer *peer = NULL;
  guint64 id;
  guint matches = 0;

  *exit_status = KF_CLI_EXIT_NO_PEER;
  if (g_ascii_string_to_unsigned (app->to, 10, 1, G_MAXUINT, &id, NULL))
    {
      *peer_id = (guint) id;
      return TRUE;
    }
  peer = find_code (peers, code);
  if (peer == NULL)
    peer = find_name (app, peers, app->to, &matches);
  if (peer != NULL)
    {
      *peer_id = kf_peer_get_id (peer);
      if (kf_cli_peer_identity_accepted (app, KF_CLIENT_ROLE_SENDER, kf_peer_get_name (peer),
                                         kf_peer_get_public_key (peer)))
        return TRUE;
      *exit_status = KF_CLI_EXIT_IDENTITY;
      return FALSE;
    }

  if (code != NULL && matches == 0)
    kf_cli_error (_("no waiting peer has the identity code %s"), code);
  else
    kf_cli_error (matches == 0
                  ? _("no waiting peer is called “%s”")
                  : _("several waiting peers are called “%s”: give the id instead"),
                  app->to);
  kf_cli_report_peers (peers, kf_client_get_contacts (app->client));
  return FALSE;
}

static void
on_peers (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  KfCliApp *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  KfCipherMode mode = KF_CIPHER_MODE_CBC;
  guint peer_id = 0;
  int refused;

  peers = kf_client_list_peers_finish (KF_CLIENT (source), result, &error);
  if (peers == NULL)
    {
      kf_cli_error ("%s", error->message);
      end_with (app, KF_CLI_EXIT_CONNECTION);
      return;
    }
  if (!resolve_peer (app, peers, &peer_id, &refused))
    {
      end_with (app, refused);
      return;
    }
  kf_cipher_mode_from_string (app->mode, &mode);
  kf_client_conn_async (app->client, peer_id, mode, app->cancellable, on_conn, app);
}

/*
 * kf_cli_scripted_send:
 *
 * Sends app->files to --to in --mode on @app's connected client, then quits.
 */
void
kf_cli_scripted_send (KfCliApp *app)
{
  connect_signals (app);
  g_signal_connect (app->client, "session-started", G_CALLBACK (on_session_started), app);
  kf_client_list_peers_async (app->client, app->cancellable, on_peers, app);
}

/*
 * kf_cli_scripted_interrupt:
 *
 * Ctrl-C: cancels the transfer (the peer and the key manager are told; the
 * exit status is then "cancelled"), or stops waiting and leaves.
 */
void
kf_cli_scripted_interrupt (KfCliApp *app)
{
  KfClientState state = kf_client_get_state (app->client);

  kf_cli_progress_done ();
  if (kf_client_is_in_session (app->client))
    kf_client_cancel (app->client);
  else if (state == KF_CLIENT_STATE_IDLE || state == KF_CLIENT_STATE_WAITING)
    end_with (app, KF_CLI_EXIT_CANCELLED);
  else
    kf_cli_app_quit (app, KF_CLI_EXIT_CANCELLED);
}
