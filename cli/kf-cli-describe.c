/* kf-cli-describe.c: offers, progress, peers and outcomes in words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What keyferry-cli tells people about a transfer, and the matching JSON
 * events and exit statuses for scripts, in one place so that the prompt
 * and the scripted commands say the same things the same way.
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "kf-cli-describe.h"
#include "kf-cli-exit.h"
#include "kf-cli-files.h"
#include "kf-cli-output.h"
#include "kf-transfer-error.h"

static const char *
mode_label (KfCipherMode mode)
{
  return mode == KF_CIPHER_MODE_CBC ? "CBC" : "CFB";
}

/*
 * kf_cli_describe_offer:
 *
 * Returns: the offer as the receiver reads it at step 9 (also emitted as
 * a JSON "offer" event).
 */
char *
kf_cli_describe_offer (KfOffer *offer)
{
  g_autofree char *plain = g_format_size_full (kf_offer_get_plain_size (offer),
                                               G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *encrypted = g_format_size_full (kf_offer_get_encrypted_size (offer),
                                                   G_FORMAT_SIZE_LONG_FORMAT);
  KfCliJson *json = kf_cli_json_begin ("offer");

  kf_cli_json_uint (json, "sender_id", kf_offer_get_sender_id (offer));
  kf_cli_json_string (json, "sender_name", kf_offer_get_sender_name (offer));
  kf_cli_json_string (json, "file_name", kf_offer_get_file_name (offer));
  kf_cli_json_uint (json, "plain_size", kf_offer_get_plain_size (offer));
  kf_cli_json_uint (json, "encrypted_size", kf_offer_get_encrypted_size (offer));
  kf_cli_json_string (json, "mode", kf_cipher_mode_to_string (kf_offer_get_mode (offer)));
  kf_cli_json_bool (json, "is_tree", kf_offer_get_is_tree (offer));
  kf_cli_json_uint (json, "files", kf_offer_get_n_files (offer));
  kf_cli_json_uint (json, "folders", kf_offer_get_n_folders (offer));
  kf_cli_json_open (json, "top_level", '[');
  for (const char * const *name = kf_offer_get_top_level (offer, NULL); *name != NULL; name++)
    kf_cli_json_string (json, NULL, *name);
  kf_cli_json_close (json, ']');
  kf_cli_json_end (json);
  if (kf_offer_get_is_tree (offer))
    return kf_cli_describe_tree_offer (offer);

  /* Translators: sender name, sender id, file name, plain size, encrypted
   * size, mode (CBC or CFB) */
  return g_strdup_printf (_("%s (#%u) wants to send you “%s”: %s, %s encrypted, %s."),
                          kf_offer_get_sender_name (offer), kf_offer_get_sender_id (offer),
                          kf_offer_get_file_name (offer), plain, encrypted,
                          mode_label (kf_offer_get_mode (offer)));
}

/*
 * kf_cli_describe_progress:
 *
 * Returns: "Sending: 45% (540.0 kB of 1.2 MB), 30.0 MB/s, 2 s left".
 */
char *
kf_cli_describe_progress (gboolean sending,
                          guint64  done,
                          guint64  total,
                          gdouble  bytes_per_second)
{
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *total_text = g_format_size (total);
  g_autofree char *rate_text = g_format_size ((guint64) bytes_per_second);
  guint percent = total > 0 ? (guint) (done * 100 / total) : 100;
  guint64 left = bytes_per_second > 0 ? (guint64) ((total - MIN (done, total)) / bytes_per_second) : 0;

  return g_strdup_printf (sending
                          /* Translators: percent, bytes done, bytes in all, rate, seconds left */
                          ? _("Sending: %u%% (%s of %s), %s/s, %" PRIu64 " s left")
                          : _("Receiving: %u%% (%s of %s), %s/s, %" PRIu64 " s left"),
                          percent, done_text, total_text, rate_text, left);
}

/*
 * kf_cli_report_progress:
 *
 * Shows a transfer's progress: a line rewritten in place on a terminal,
 * and a JSON "progress" event (at most about ten a second, as the client
 * reports them).
 */
void
kf_cli_report_progress (KfClient                 *client,
                        const KfTransferProgress *progress)
{
  g_autofree char *text = NULL;
  KfCliJson *json = kf_cli_json_begin ("progress");
  gboolean sending = kf_client_get_role (client) == KF_CLIENT_ROLE_SENDER;

  kf_cli_json_uint (json, "done", progress->done);
  kf_cli_json_uint (json, "total", progress->total);
  kf_cli_json_uint (json, "bytes_per_second", (guint64) progress->bytes_per_second);
  kf_cli_json_uint (json, "files_done", progress->files_done);
  kf_cli_json_uint (json, "files_total", progress->files_total);
  if (progress->current_file != NULL)
    kf_cli_json_string (json, "current_file", progress->current_file);
  kf_cli_json_end (json);
  if (progress->files_total > 1)
    text = kf_cli_describe_files_progress (sending, progress);
  else
    text = kf_cli_describe_progress (sending, progress->done, progress->total,
                                     progress->bytes_per_second);
  kf_cli_progress (text);
}

static void
report_counts (KfOutcome *outcome)
{
  guint64 sent = kf_outcome_get_sender_blocks (outcome);
  guint64 received = kf_outcome_get_receiver_blocks (outcome);

  kf_cli_print (_("Blocks encrypted by the sender: %" PRIu64
                  "; blocks decrypted by the receiver: %" PRIu64 "."),
                sent, received);
}

/* A receiver's pairing fell through before any offer and the client
 * waits again: one quiet line and the JSON "waiting-again" event, no
 * result, since the wait goes on. */
static void
report_waiting_again (KfOutcome *outcome)
{
  g_autofree char *why = g_strdup (kf_outcome_get_message (outcome));
  KfCliJson *json = kf_cli_json_begin ("waiting-again");

  kf_cli_json_string (json, "status", kf_outcome_status_to_string (kf_outcome_get_status (outcome)));
  kf_cli_json_string (json, "message", why);
  kf_cli_json_end (json);

  if (g_str_has_suffix (why, "."))
    why[strlen (why) - 1] = '\0';
  /* Translators: why the pairing ended ("alice cancelled the transfer") */
  kf_cli_status (_("No file was offered (%s); waiting for a sender again…"), why);
}

/*
 * kf_cli_report_outcome:
 *
 * Prints how a session ended: the file, both block counts and the key
 * manager's verdict (steps 10–11), or what went wrong; and the JSON
 * "result" event.  A pairing that fell through before any offer, after
 * which the client waits again (kf_outcome_get_waits_again()), is one line
 * on standard error and a "waiting-again" event instead.
 */
void
kf_cli_report_outcome (KfOutcome *outcome)
{
  KfOutcomeStatus status = kf_outcome_get_status (outcome);
  GFile *file = kf_outcome_get_file (outcome);
  g_autofree char *path = file ? g_file_get_path (file) : NULL;
  KfCliJson *json = NULL;

  kf_cli_progress_done ();
  if (kf_outcome_get_waits_again (outcome))
    {
      report_waiting_again (outcome);
      return;
    }

  json = kf_cli_json_begin ("result");
  kf_cli_json_string (json, "status", kf_outcome_status_to_string (status));
  kf_cli_json_string (json, "role", kf_outcome_get_is_sender (outcome) ? "sender" : "receiver");
  kf_cli_json_bool (json, "is_tree", kf_outcome_get_is_tree (outcome));
  kf_cli_json_uint (json, "sender_blocks", kf_outcome_get_sender_blocks (outcome));
  kf_cli_json_uint (json, "receiver_blocks", kf_outcome_get_receiver_blocks (outcome));
  kf_cli_json_uint (json, "local_blocks", kf_outcome_get_local_blocks (outcome));
  kf_cli_json_uint (json, "bytes", kf_outcome_get_bytes (outcome));
  kf_cli_json_string (json, "file", path);
  kf_cli_json_string (json, "message", kf_outcome_get_message (outcome));
  kf_cli_json_files (json, outcome);
  kf_cli_json_end (json);
  kf_cli_report_files (outcome);

  switch (status)
    {
    case KF_OUTCOME_CONFIRMED:
      /* A tree's sender said how many files were delivered. */
      if (kf_outcome_get_is_tree (outcome) && !kf_outcome_get_is_sender (outcome))
        kf_cli_print (_("Saved into the folder %s."), path ? path : "");
      else if (!kf_outcome_get_is_tree (outcome))
        kf_cli_print (kf_outcome_get_is_sender (outcome) ? _("Sent %s.") : _("Saved %s."),
                      path ? path : "");
      report_counts (outcome);
      kf_cli_print ("%s", _("The key manager confirmed the block counts."));
      break;
    case KF_OUTCOME_MISMATCH:
    case KF_OUTCOME_DIGEST_MISMATCH:
      report_counts (outcome);
      kf_cli_print ("%s", kf_outcome_get_message (outcome));
      if (path != NULL && !kf_outcome_get_is_sender (outcome))
        kf_cli_print (_("The file was kept as %s: it passed every check of the peer link, but "
                        "trust it only if you know why the counts differ, or delete it."), path);
      break;
    case KF_OUTCOME_DECLINED:
    case KF_OUTCOME_CANCELLED:
    case KF_OUTCOME_FAILED:
    default:
      kf_cli_print ("%s", kf_outcome_get_message (outcome));
      break;
    }
}

/*
 * kf_cli_finish_conn:
 * @refused: (out): when it fails, the exit status of a `conn` that no
 *   session followed (refused, or the key manager gone: said here, on
 *   stderr), or -1 when a session started and ended (its ::finished
 *   reports it)
 *
 * Finishes kf_client_conn_async() for the prompt and for `send` alike,
 * following its contract on who tells the user.
 *
 * Returns: %TRUE when the peer link is up.
 */
gboolean
kf_cli_finish_conn (KfClient     *client,
                    GAsyncResult *result,
                    int          *refused)
{
  g_autoptr(GError) error = NULL;
  gboolean session_started = FALSE;

  *refused = -1;
  if (kf_client_conn_finish (client, result, &session_started, &error))
    return TRUE;
  if (!session_started)
    {
      kf_cli_error ("%s", error->message);
      *refused = kf_cli_exit_for_error (error);
    }
  return FALSE;
}

/*
 * kf_cli_exit_for_error:
 *
 * Returns: the exit status scripts see for a failed transfer: verification
 * failures (tampering, truncation, replay) apart from other failures.
 */
int
kf_cli_exit_for_error (const GError *error)
{
  if (error == NULL)
    return KF_CLI_EXIT_FAILED;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED))
    return KF_CLI_EXIT_CANCELLED;
  if (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED))
    return KF_CLI_EXIT_DECLINED;
  if (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_BAD_MAC)
      || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED)
      || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_ORDER)
      || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL)
      || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE))
    return KF_CLI_EXIT_VERIFY;
  if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_NO_SUCH_PEER))
    return KF_CLI_EXIT_NO_PEER;
  if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_IDENTITY))
    return KF_CLI_EXIT_IDENTITY;
  if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE))
    return KF_CLI_EXIT_FAILED;
  if (error->domain == KF_CLIENT_ERROR)
    return KF_CLI_EXIT_CONNECTION;

  return KF_CLI_EXIT_FAILED;
}

/*
 * kf_cli_exit_for_outcome:
 *
 * Returns: 0 only when the key manager confirmed the counts.
 */
int
kf_cli_exit_for_outcome (KfOutcome *outcome)
{
  switch (kf_outcome_get_status (outcome))
    {
    case KF_OUTCOME_CONFIRMED:
      return KF_CLI_EXIT_OK;
    case KF_OUTCOME_MISMATCH:
    case KF_OUTCOME_DIGEST_MISMATCH:
      return KF_CLI_EXIT_MISMATCH;
    case KF_OUTCOME_DECLINED:
      return KF_CLI_EXIT_DECLINED;
    case KF_OUTCOME_CANCELLED:
      return KF_CLI_EXIT_CANCELLED;
    case KF_OUTCOME_FAILED:
    default:
      return kf_cli_exit_for_error (kf_outcome_get_error (outcome));
    }
}

/* What the contacts say of @peer: "known", "new" or "changed". */
static KfContactCheck
check_peer (KfContacts *contacts,
            KfPeer     *peer)
{
  if (contacts == NULL || kf_peer_get_public_key (peer) == NULL)
    return KF_CONTACT_NEW;
  return kf_contacts_check (contacts, kf_peer_get_name (peer), kf_peer_get_public_key (peer),
                            NULL);
}

/*
 * kf_cli_report_peers:
 * @contacts: (nullable): the user's contacts
 *
 * Prints the waiting peers (step 5), each with its identity code and
 * whether it is a contact (or, loud, someone else under a contact's
 * name), or says clearly that there are none.
 */
void
kf_cli_report_peers (GPtrArray  *peers,
                     KfContacts *contacts)
{
  KfCliJson *json = kf_cli_json_begin ("peers");

  kf_cli_json_open (json, "peers", '[');
  for (guint i = 0; i < peers->len; i++)
    {
      KfPeer *peer = g_ptr_array_index (peers, i);
      KfContactCheck check = check_peer (contacts, peer);

      kf_cli_json_open (json, NULL, '{');
      kf_cli_json_uint (json, "id", kf_peer_get_id (peer));
      kf_cli_json_string (json, "name", kf_peer_get_name (peer));
      kf_cli_json_string (json, "code", kf_peer_get_code (peer));
      kf_cli_json_string (json, "contact", check == KF_CONTACT_KNOWN ? "known"
                                           : check == KF_CONTACT_CHANGED ? "changed" : "new");
      kf_cli_json_close (json, '}');
    }
  kf_cli_json_close (json, ']');
  kf_cli_json_end (json);

  if (peers->len == 0)
    {
      kf_cli_print ("%s", _("No one is waiting. Ask the receiver to type “wait” first."));
      return;
    }

  kf_cli_print ("%s", _("Waiting peers:"));
  for (guint i = 0; i < peers->len; i++)
    {
      KfPeer *peer = g_ptr_array_index (peers, i);
      KfContactCheck check = check_peer (contacts, peer);
      g_autofree char *line = NULL;
      const char *code = kf_peer_get_code (peer) != NULL ? kf_peer_get_code (peer) : "";
      const char *mark = check == KF_CONTACT_KNOWN ? _("contact")
                         : check == KF_CONTACT_CHANGED ? _("IDENTITY CHANGED") : "";

      /* Translators: id, name, identity code, "contact" or "IDENTITY CHANGED" or nothing */
      line = g_strdup_printf (_("  #%-6u %-20s %s  %s"), kf_peer_get_id (peer),
                              kf_peer_get_name (peer), code, mark);

      kf_cli_print ("%s", g_strchomp (line));
    }
}

/*
 * kf_cli_report_peer_identity:
 * @name: the peer's name
 * @key: (nullable): the identity the peer proved on the peer link
 * @known_code: (out) (optional): when CHANGED, the identity code the
 *   contacts know for @name
 *
 * Says what the contacts say of the peer: a contact, not one yet (with
 * its identity code, to compare with what the person reads out), or, loud
 * on standard error, someone else using a contact's name; and the JSON
 * "peer-identity" event.
 *
 * Returns: what kf_contacts_check() says, %KF_CONTACT_NEW without
 * contacts or a key.
 */
KfContactCheck
kf_cli_report_peer_identity (KfClient      *client,
                             const char    *name,
                             const guint8  *key,
                             char         **known_code)
{
  KfContacts *contacts = kf_client_get_contacts (client);
  const KfContact *known = NULL;
  g_autofree char *code = NULL;
  KfContactCheck check;
  KfCliJson *json;

  if (known_code != NULL)
    *known_code = NULL;
  if (contacts == NULL || key == NULL)
    return KF_CONTACT_NEW;

  check = kf_contacts_check (contacts, name, key, &known);
  code = kf_identity_code_for_key (key);
  json = kf_cli_json_begin ("peer-identity");
  kf_cli_json_string (json, "name", name);
  kf_cli_json_string (json, "code", code);
  kf_cli_json_string (json, "contact", check == KF_CONTACT_KNOWN ? "known"
                                       : check == KF_CONTACT_CHANGED ? "changed" : "new");
  kf_cli_json_string (json, "known_code", check == KF_CONTACT_CHANGED ? known->code : NULL);
  kf_cli_json_end (json);

  if (check == KF_CONTACT_KNOWN)
    /* Translators: a name, an identity code */
    kf_cli_print (_("%s is a contact (identity %s)."), name, code);
  else if (check == KF_CONTACT_NEW)
    kf_cli_print (_("%s is not a contact yet (identity %s): if it matters, check that code "
                    "with them."), name, code);
  else
    /* Translators: the name, the peer's identity code, the name, the code known for it */
    kf_cli_error (_("WARNING: this is not the %s you know. Their identity is %s, but you "
                    "exchanged files with %s under the identity %s: it may be someone else "
                    "using the name."), name, code, name, known->code);
  if (known_code != NULL && check == KF_CONTACT_CHANGED)
    *known_code = g_strdup (known->code);
  return check;
}

/*
 * kf_cli_peer_identity_accepted:
 * @role: this side's: a sender checks the receiver, a receiver the sender
 * @name: the peer's name
 * @key: (nullable): the identity the peer proved
 *
 * Says what the contacts say of the peer (kf_cli_report_peer_identity()).
 * Someone else under a contact's name is refused, with
 * app->identity_refused set (exit 9), unless --accept-new-identity was
 * given, which is then said.
 *
 * Returns: whether to go on with this peer.
 */
gboolean
kf_cli_peer_identity_accepted (KfCliApp     *app,
                               KfClientRole  role,
                               const char   *name,
                               const guint8 *key)
{
  gboolean sending = role == KF_CLIENT_ROLE_SENDER;
  g_autofree char *known = NULL;

  if (kf_cli_report_peer_identity (app->client, name, key, &known) != KF_CONTACT_CHANGED)
    return TRUE;
  if (app->accept_new_identity)
    {
      if (sending)
        kf_cli_status (_("Sending anyway, as --accept-new-identity says: once the transfer is "
                         "confirmed, %s’s new identity replaces %s in your contacts."),
                       name, known);
      else
        kf_cli_status (_("Accepting anyway, as --accept-new-identity says: once the transfer is "
                         "confirmed, %s’s new identity replaces %s in your contacts."),
                       name, known);
      return TRUE;
    }
  if (sending)
    kf_cli_error (_("not sending to %s. If they told you their identity changed, send again "
                    "with --accept-new-identity, or forget the old identity first: "
                    "keyferry-cli contacts forget %s"), name, name);
  else
    kf_cli_error (_("declined the file from %s. If they told you their identity changed, wait "
                    "again with --accept-new-identity, or forget the old identity first: "
                    "keyferry-cli contacts forget %s"), name, name);
  app->identity_refused = TRUE;
  return FALSE;
}
