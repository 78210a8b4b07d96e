/* kf-session.c: one transfer session, from `ev key` to its end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfSession is what both peers share for one transfer: the session id,
 * the role, the peer, the mode and the keys, the peer listener or link, the
 * offer and the file.  KfClient creates it on `ev key` and drives it
 * through its steps (kf-client-session.c, kf-client-transfer.c); this file
 * owns its life, which goes one way:
 *
 *   ACTIVE ──(an account of its end)──> ENDING ──> ENDED (::ended)
 *
 * (a verdict ends an active session at once).  Why it ended is decided in
 * one place, _kf_session_explain_end(); the outcome is built from that
 * account.  Async work of a session holds a reference to the session and,
 * when it completes, asks _kf_session_ref_client() whether the session is
 * still in a phase where its result matters: a late callback of a session
 * that ended (or of an old one, after another began) finds it ENDED.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-client-private.h"
#include "kf-manifest.h"
#include "kf-session-private.h"
#include "kf-transfer-error.h"

G_DEFINE_FINAL_TYPE (KfSession, kf_session, G_TYPE_OBJECT)

enum {
  ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char *
kf_session_get_id (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), NULL);

  return self->session_id;
}

KfSessionPhase
kf_session_get_phase (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), KF_SESSION_PHASE_ENDED);

  return self->phase;
}

KfClientRole
kf_session_get_role (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), KF_CLIENT_ROLE_NONE);

  return self->role;
}

guint
kf_session_get_peer_id (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), 0);

  return self->peer_id;
}

const char *
kf_session_get_peer_name (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), NULL);

  return self->peer_name;
}

/* The identity (Ed25519 public key, 32 bytes) the key manager named for
 * the peer in `ev key`. */
const guint8 *
kf_session_get_peer_public_key (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), NULL);

  return self->peer_public_key;
}

KfCipherMode
kf_session_get_mode (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), KF_CIPHER_MODE_CBC);

  return self->mode;
}

/*
 * kf_session_get_offer:
 *
 * Returns: (transfer none) (nullable): the offer read from the sender
 * (receiver, from ::offer on).
 */
KfOffer *
kf_session_get_offer (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), NULL);

  return self->offer;
}

/*
 * kf_session_get_peer_identity:
 *
 * Returns: (nullable): the identity key the peer proved on the peer link
 * (KF_IDENTITY_PUBLIC_KEY_SIZE bytes), from the moment the link is up;
 * %NULL before.
 */
const guint8 *
kf_session_get_peer_identity (KfSession *self)
{
  g_return_val_if_fail (KF_IS_SESSION (self), NULL);

  return self->has_peer_identity ? self->peer_identity : NULL;
}

/*
 * _kf_session_take_link:
 * @link: (transfer full): the authenticated peer link
 *
 * The link is up: the session holds it and keeps the identity the peer
 * proved on it, which must be the one the key manager named in `ev key`.
 *
 * Returns: %FALSE with @error when the peer proved another identity: the
 * link must not be used (someone stands in the named peer's place).
 */
gboolean
_kf_session_take_link (KfSession   *self,
                       KfPeerLink  *link,
                       GError     **error)
{
  g_autofree char *named = NULL;
  g_autofree char *proven = NULL;

  g_assert (self->link == NULL);

  self->link = link;
  memcpy (self->peer_identity, kf_peer_link_get_peer_identity (link), sizeof self->peer_identity);
  self->has_peer_identity = TRUE;
  if (memcmp (self->peer_identity, self->peer_public_key, sizeof self->peer_identity) == 0)
    return TRUE;

  named = kf_identity_code_for_key (self->peer_public_key);
  proven = kf_identity_code_for_key (self->peer_identity);
  g_set_error (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_IDENTITY,
               _("The peer on the link proved the identity %s, but the key manager named %s "
                 "as %s: nothing was sent or received"),
               proven, _kf_session_peer_label (self), named);
  return FALSE;
}

/*
 * _kf_session_new:
 * @client: the client whose session it is; not referenced
 * @key_msg: the `ev key` that starts it
 *
 * Returns: (transfer full): an active session holding the key material in
 * secure memory; its keys are %NULL when secure memory ran out.
 */
KfSession *
_kf_session_new (KfClient                *client,
                 const KfProtocolMessage *key_msg)
{
  KfSession *self = g_object_new (KF_TYPE_SESSION, NULL);

  self->client = client;
  g_strlcpy (self->session_id, key_msg->session_id, sizeof self->session_id);
  self->role = key_msg->role == KF_ROLE_SENDER ? KF_CLIENT_ROLE_SENDER : KF_CLIENT_ROLE_RECEIVER;
  self->peer_id = (guint) key_msg->id;
  self->peer_name = g_strdup (key_msg->name);
  memcpy (self->peer_public_key, key_msg->public_key, sizeof self->peer_public_key);
  self->mode = key_msg->mode;
  self->keys = kf_session_keys_new (key_msg->session_id, key_msg->mode);
  if (self->keys != NULL)
    {
      memcpy (self->keys->key, key_msg->key, sizeof self->keys->key);
      memcpy (self->keys->iv, key_msg->iv, sizeof self->keys->iv);
      memcpy (self->keys->auth_key, key_msg->auth_key, sizeof self->keys->auth_key);
    }

  return self;
}

/*
 * _kf_session_ref_client:
 * @latest: the last phase in which the caller's result still matters
 *   (ACTIVE for the steps of a session, ENDING for what its end waits for)
 * @dropped: (nullable): the error the work completed with, if any
 *
 * What a callback of the session's async work asks first.
 *
 * Returns: (transfer full) (nullable): the session's client, held for the
 * callback, or %NULL when the session is past @latest: its work is then
 * dropped, and *@dropped with it.
 */
KfClient *
_kf_session_ref_client (KfSession       *self,
                        KfSessionPhase   latest,
                        GError         **dropped)
{
  if (self->phase > latest || self->client == NULL)
    {
      if (dropped != NULL)
        g_clear_error (dropped);
      return NULL;
    }

  return g_object_ref (self->client);
}

static gboolean
witness_is_local (KfSessionWitness witness)
{
  return witness == KF_SESSION_WITNESS_SELF || witness == KF_SESSION_WITNESS_OWN_FILES;
}

/* Whether @witness's account of an end explains it better than the one
 * recorded while the session was already ending. */
static gboolean
is_better_account (KfSession        *self,
                   KfSessionWitness  witness)
{
  /* What this side chose, or its own fault, is never replaced. */
  if (witness_is_local (self->end_witness))
    return FALSE;

  switch (witness)
    {
    case KF_SESSION_WITNESS_OWN_FILES:
      /* A full disk explains the end better than the peer's echo of the
       * CANCEL it caused, which may come first. */
    case KF_SESSION_WITNESS_PEER:
      /* The other side's account of a failure we only noticed (a link
       * gone) is the better one. */
      return TRUE;
    case KF_SESSION_WITNESS_PEER_LEFT:
      /* So is the key manager's word that the peer left, when all we saw
       * was its connection ending, cleanly or in the middle of a record: a
       * peer killed while it wrote, not a tampered stream. */
      return g_error_matches (self->end_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE)
             || g_error_matches (self->end_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED);
    case KF_SESSION_WITNESS_SELF:
    case KF_SESSION_WITNESS_OBSERVED:
    case KF_SESSION_WITNESS_KEY_MANAGER:
    default:
      return FALSE;
    }
}

/*
 * _kf_session_explain_end:
 * @witness: who gives this account
 * @status: the outcome it implies
 * @error: (transfer full): the account; what the pending calls fail with,
 *   and its message is the outcome's message
 *
 * The one place that decides why a session ended.  The first account of
 * an active session is recorded and the session starts ENDING.  While it
 * is ending, a later account replaces the recorded one only when it
 * explains the end better: never when the recorded one is this side's own
 * choice or fault; this side's own file failure, or the other side's own
 * account, replace what this side merely observed; the key manager's word
 * that the peer left replaces a peer link that ended (cleanly or mid
 * record).  Once ENDED nothing changes.
 *
 * Returns: %TRUE when the session started ending with this account (the
 * caller then stops its work and tells the key manager); %FALSE when it
 * was already ending or ended.
 */
gboolean
_kf_session_explain_end (KfSession        *self,
                         KfSessionWitness  witness,
                         KfOutcomeStatus   status,
                         GError           *error)
{
  gboolean first = self->phase == KF_SESSION_PHASE_ACTIVE;

  if (!first && (self->phase == KF_SESSION_PHASE_ENDED || !is_better_account (self, witness)))
    {
      g_clear_error (&error);
      return FALSE;
    }

  g_debug ("Session %s %s: %s", self->session_id, first ? "ending" : "restated", error->message);
  self->phase = KF_SESSION_PHASE_ENDING;
  self->end_witness = witness;
  self->end_status = status;
  g_clear_error (&self->end_error);
  self->end_error = error;

  return first;
}

/* A name for the other side in messages: its display name. */
const char *
_kf_session_peer_label (KfSession *self)
{
  return self->peer_name != NULL ? self->peer_name : _("The other side");
}

/*
 * _kf_session_explain_cancelled:
 * @status: (out): the outcome it implies
 * @witness: (out): who gives this account
 *
 * Returns: (transfer full): what the key manager's `ev cancelled` means.
 */
GError *
_kf_session_explain_cancelled (KfSession               *self,
                               const KfProtocolMessage *msg,
                               KfOutcomeStatus         *status,
                               KfSessionWitness        *witness)
{
  const char *text = msg->text != NULL ? msg->text : "";

  *status = KF_OUTCOME_FAILED;
  *witness = msg->cancel_reason == KF_CANCEL_PEER ? KF_SESSION_WITNESS_PEER
             : msg->cancel_reason == KF_CANCEL_PEER_LEFT ? KF_SESSION_WITNESS_PEER_LEFT
             : KF_SESSION_WITNESS_KEY_MANAGER;
  switch (msg->cancel_reason)
    {
    case KF_CANCEL_PEER:
      if (g_str_equal (text, "declined"))
        {
          *status = KF_OUTCOME_DECLINED;
          return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED,
                              _("%s declined the file"), _kf_session_peer_label (self));
        }
      if (g_str_equal (text, "cancelled") || text[0] == '\0')
        {
          *status = KF_OUTCOME_CANCELLED;
          return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED,
                              _("%s cancelled the transfer"), _kf_session_peer_label (self));
        }
      return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED,
                          _("%s stopped the transfer (%s)"), _kf_session_peer_label (self), text);
    case KF_CANCEL_TIMEOUT:
      return g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                                  _("The key manager cancelled the session: a key confirmation "
                                    "did not arrive in time"));
    case KF_CANCEL_BAD_CONFIRM:
      return g_error_new_literal (KF_CLIENT_ERROR, KF_CLIENT_ERROR_REFUSED,
                                  _("The key manager cancelled the session: a key confirmation "
                                    "was wrong"));
    case KF_CANCEL_PEER_LEFT:
    default:
      return g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                          _("%s left the key manager"), _kf_session_peer_label (self));
    }
}

/*
 * _kf_session_record_result:
 *
 * The engine finished: the receiver saved the whole file, the sender got
 * its DONE.  Records the counts and the saved file.
 */
void
_kf_session_record_result (KfSession              *self,
                           const KfTransferResult *result)
{
  /* The copy shares the per-file list, which is never changed once the
   * engine returned it. */
  g_clear_pointer (&self->result, kf_transfer_result_free);
  self->result = kf_transfer_result_copy (result);
  if (self->role == KF_CLIENT_ROLE_RECEIVER && result->path != NULL)
    {
      g_clear_object (&self->file);
      self->file = g_file_new_for_path (result->path);
    }
}

/* Whether the end of this ending session leaves its receiver waiting, as
 * it was before a sender chose it: the pairing fell through before any
 * offer came, and neither by this side's choice or fault nor because the
 * key manager went away (the client then says so and reconnects).  A
 * sender that pairs and cancels at once, leaves, or whose link dies
 * before its offer must not end someone's wait (issue 14, point 6). */
static gboolean
waits_again (KfSession *self)
{
  return self->role == KF_CLIENT_ROLE_RECEIVER
         && self->phase == KF_SESSION_PHASE_ENDING
         && self->offer == NULL
         && !_kf_session_is_delivered (self)
         && !witness_is_local (self->end_witness)
         && !g_error_matches (self->end_error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_DISCONNECTED);
}

/* The files of the outcome, shared: the engine's list when it finished;
 * else, for a tree that did not all arrive or go, what landed (receiver)
 * or went whole (sender) and the rest as INCOMPLETE; else none. */
static KfTransferFiles *
outcome_files (KfSession *self)
{
  if (self->result != NULL && self->result->files != NULL)
    return kf_transfer_files_ref (self->result->files);
  return self->files != NULL ? kf_transfer_files_ref (self->files) : NULL;
}

/*
 * _kf_session_is_delivered:
 *
 * Returns: whether the file was complete at the receiver (saved there;
 * the sender had its DONE): the engine's result was recorded.
 */
gboolean
_kf_session_is_delivered (KfSession *self)
{
  return self->result != NULL;
}

/*
 * _kf_session_new_outcome:
 *
 * Returns: (transfer full): the outcome of this session with @status; it
 * names the file when the transfer completed, the file was delivered, or
 * this side sent it, says whether the receiver waits again and whether a
 * tree was offered.
 */
KfOutcome *
_kf_session_new_outcome (KfSession       *self,
                         KfOutcomeStatus  status,
                         gboolean         is_local,
                         const char      *message,
                         const GError    *error,
                         guint64          sender_blocks,
                         guint64          receiver_blocks)
{
  gboolean completed = status == KF_OUTCOME_CONFIRMED || status == KF_OUTCOME_MISMATCH
                       || status == KF_OUTCOME_DIGEST_MISMATCH;
  KfOutcome *outcome;

  outcome = g_object_new (KF_TYPE_OUTCOME,
                       "status", status,
                       "is-sender", self->role == KF_CLIENT_ROLE_SENDER,
                       "is-local", is_local,
                       "sender-blocks", sender_blocks,
                       "receiver-blocks", receiver_blocks,
                       "local-blocks", self->result != NULL ? self->result->blocks : 0,
                       "bytes", self->result != NULL ? self->result->plain_bytes : 0,
                       "message", message,
                       "file", completed || _kf_session_is_delivered (self)
                               || self->role == KF_CLIENT_ROLE_SENDER
                               ? self->file : NULL,
                       "mode", self->mode,
                       "error", error,
                       "waits-again", !completed && waits_again (self),
                       "is-tree", self->transfer_offer != NULL && self->transfer_offer->is_tree,
                       NULL);
  _kf_outcome_set_transfer_files (outcome, outcome_files (self));
  return outcome;
}

/* What an outcome without a verdict adds when the file had arrived. */
static char *
delivered_note (KfSession *self)
{
  if (self->role == KF_CLIENT_ROLE_RECEIVER)
    return g_strdup_printf (_("The whole file had arrived and passed every check of the peer "
                              "link, and it is saved as %s; only the key manager’s "
                              "confirmation of the block counts is missing."),
                            self->file != NULL ? g_file_peek_path (self->file) : "");

  return g_strdup_printf (_("%s had received the whole file and checked it; only the key "
                            "manager’s confirmation of the block counts is missing."),
                          _kf_session_peer_label (self));
}

/*
 * _kf_session_recorded_outcome:
 *
 * Returns: (transfer full): the outcome of an ending session, from the
 * account _kf_session_explain_end() recorded; when the file had been
 * delivered it says so.
 */
KfOutcome *
_kf_session_recorded_outcome (KfSession *self)
{
  const char *account = self->end_error->message;
  g_autofree char *message = NULL;

  g_assert (self->phase == KF_SESSION_PHASE_ENDING);
  if (_kf_session_is_delivered (self))
    {
      g_autofree char *note = delivered_note (self);

      message = g_strdup_printf ("%s%s %s", account, g_str_has_suffix (account, ".") ? "" : ".",
                                 note);
    }

  return _kf_session_new_outcome (self, self->end_status, witness_is_local (self->end_witness),
                                  message != NULL ? message : account, self->end_error, 0, 0);
}

/*
 * _kf_session_end:
 *
 * The session is over with @outcome: it becomes ENDED and emits ::ended.
 * Its callbacks still to come drop their work.
 */
void
_kf_session_end (KfSession *self,
                 KfOutcome *outcome)
{
  g_assert (self->phase != KF_SESSION_PHASE_ENDED);

  g_debug ("Session %s ended: %s", self->session_id,
           kf_outcome_status_to_string (kf_outcome_get_status (outcome)));
  self->phase = KF_SESSION_PHASE_ENDED;
  self->client = NULL;
  g_signal_emit (self, signals[ENDED], 0, outcome);
}

/*
 * _kf_session_close:
 *
 * Releases what the session holds, at its end or when its client goes:
 * stops its link and transfer work, fails the calls still pending with
 * %G_IO_ERROR_CANCELLED and closes the listener and an idle link.  The
 * session is ENDED afterwards (without ::ended when it had not ended).
 * Safe to call again.
 */
void
_kf_session_close (KfSession *self)
{
  g_autoptr(GError) error = NULL;

  self->phase = KF_SESSION_PHASE_ENDED;
  self->client = NULL;
  if (self->task_cancel_id != 0)
    g_cancellable_disconnect (self->task_cancellable, self->task_cancel_id);
  self->task_cancel_id = 0;
  g_clear_object (&self->task_cancellable);
  g_cancellable_cancel (self->cancellable);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The session was closed"));
  _kf_client_task_fail (&self->conn_task, g_error_copy (error));
  _kf_client_task_fail (&self->send_task, g_error_copy (error));
  if (self->listener != NULL)
    kf_peer_listener_close (self->listener);
  g_clear_object (&self->listener);
  if (self->link != NULL && self->link_use == KF_SESSION_LINK_IDLE)
    kf_peer_link_close (self->link);
  g_clear_object (&self->cancel_sent_to);
  g_clear_object (&self->link);
}

static void
kf_session_dispose (GObject *object)
{
  _kf_session_close (KF_SESSION (object));

  G_OBJECT_CLASS (kf_session_parent_class)->dispose (object);
}

static void
kf_session_finalize (GObject *object)
{
  KfSession *self = KF_SESSION (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->keys, kf_session_keys_free);
  g_clear_pointer (&self->transfer_offer, kf_transfer_offer_free);
  g_clear_object (&self->offer);
  g_clear_object (&self->file);
  g_clear_pointer (&self->files, kf_transfer_files_unref);
  g_clear_pointer (&self->result, kf_transfer_result_free);
  g_clear_error (&self->end_error);
  g_free (self->peer_name);

  G_OBJECT_CLASS (kf_session_parent_class)->finalize (object);
}

static void
kf_session_class_init (KfSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_session_dispose;
  object_class->finalize = kf_session_finalize;

  /* ::ended (KfOutcome *outcome): the session is over; emitted once. */
  signals[ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, KF_TYPE_OUTCOME);
}

static void
kf_session_init (KfSession *self)
{
  self->phase = KF_SESSION_PHASE_ACTIVE;
  self->cancellable = g_cancellable_new ();
}
