/* kf-client-transfer.c: the offer and the file, over the peer link (steps 8-10)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Once the peer link is up, KfClient hands the work to the transfer engine
 * (kf-transfer): the sender's kf_client_send_file_async() sends the offer
 * and then the file; the receiver reads the offer, shows it as ::offer, and
 * kf_client_accept_offer() or kf_client_decline_offer() answers it.  Both
 * relay progress as ::progress and, when the engine is done, report their
 * block count and digest to the key manager (kf-client-session.c).  An
 * engine failure ends the session with the outcome it implies.
 *
 * While the engine works with the link, session->link_use says how: the
 * engine's own threads use it and tell the peer when they are cancelled,
 * so the link is not closed under them.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kf-client-private.h"
#include "kf-transfer-error.h"

/* The reason for `cancel <reason>` after a local fault: a fixed English
 * phrase the other side shows inside its own sentence.  Never this side's
 * message, which names local paths and would be cut mid-word. */
static const char *
failure_reason (const GError *error)
{
  if (error->domain != KF_TRANSFER_ERROR)
    return "the transfer failed";

  switch ((KfTransferError) error->code)
    {
    case KF_TRANSFER_ERROR_NO_SPACE:
      return "not enough free disk space";
    case KF_TRANSFER_ERROR_IO:
      return "a local file could not be read or written";
    case KF_TRANSFER_ERROR_EXISTS:
      return "the file already exists";
    case KF_TRANSFER_ERROR_NAME:
      return "the file name cannot be used";
    case KF_TRANSFER_ERROR_PROTOCOL:
      return "the peer sent something unexpected";
    case KF_TRANSFER_ERROR_DECLINED:
    case KF_TRANSFER_ERROR_CANCELLED:
    case KF_TRANSFER_ERROR_PEER_GONE:
    case KF_TRANSFER_ERROR_BAD_MAC:
    case KF_TRANSFER_ERROR_TRUNCATED:
    case KF_TRANSFER_ERROR_ORDER:
    case KF_TRANSFER_ERROR_HANDSHAKE:
    case KF_TRANSFER_ERROR_TIMEOUT:
    default:
      return "the transfer failed";
    }
}

static const char *
failure_word (const GError *error)
{
  if (error->domain != KF_TRANSFER_ERROR)
    return NULL;

  switch ((KfTransferError) error->code)
    {
    case KF_TRANSFER_ERROR_DECLINED:
      return "declined";
    case KF_TRANSFER_ERROR_CANCELLED:
      return "cancelled";
    case KF_TRANSFER_ERROR_PEER_GONE:
      return "peer-gone";
    case KF_TRANSFER_ERROR_BAD_MAC:
    case KF_TRANSFER_ERROR_TRUNCATED:
    case KF_TRANSFER_ERROR_ORDER:
      return "verification-failed";
    case KF_TRANSFER_ERROR_HANDSHAKE:
    case KF_TRANSFER_ERROR_TIMEOUT:
      return "link-failed";
    case KF_TRANSFER_ERROR_NAME:
    case KF_TRANSFER_ERROR_EXISTS:
    case KF_TRANSFER_ERROR_NO_SPACE:
    case KF_TRANSFER_ERROR_IO:
    case KF_TRANSFER_ERROR_PROTOCOL:
    default:
      return NULL;
    }
}

/* A fault of this side's own files (the disk, the file to send), not of
 * the link or the peer: the other side's echo of it never replaces it. */
static gboolean
is_local_fault (const GError *error)
{
  return g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NO_SPACE)
         || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO)
         || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_EXISTS);
}

/*
 * _kf_client_transfer_failed:
 * @error: (transfer full): what the link or the engine failed with
 *
 * Ends the session with the outcome @error implies: declined or cancelled
 * by the other side, or failed; when it is already ending, a fault of
 * this side's own files becomes the account of its end
 * (_kf_session_explain_end()).  A local cancellation is already being
 * handled by whoever cancelled, so it is dropped here.
 */
void
_kf_client_transfer_failed (KfClient *self,
                            GError   *error)
{
  KfOutcomeStatus status = KF_OUTCOME_FAILED;
  const char *reason;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      return;
    }
  if (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED))
    status = KF_OUTCOME_DECLINED;
  else if (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED))
    status = KF_OUTCOME_CANCELLED;

  reason = failure_word (error) != NULL ? failure_word (error) : failure_reason (error);
  _kf_client_session_fail (self,
                           is_local_fault (error) ? KF_SESSION_WITNESS_OWN_FILES
                                                  : KF_SESSION_WITNESS_OBSERVED,
                           status, reason, error);
}

static void
on_progress (const KfTransferProgress *progress,
             gpointer                  user_data)
{
  KfSession *session = user_data;
  g_autoptr(KfClient) self = NULL;

  /* A sender's engine says what it offers, as the receiver sees it. */
  if (progress->offer != NULL)
    {
      if (session->transfer_offer == NULL)
        session->transfer_offer = kf_transfer_offer_copy (progress->offer);
      return;
    }
  /* A file that landed (or went whole) is reported even while the
   * session ends (a cancel mid-way); the outcome takes its list from
   * the engine (on_engine_done()). */
  self = _kf_session_ref_client (session, progress->landed != NULL ? KF_SESSION_PHASE_ENDING
                                                                   : KF_SESSION_PHASE_ACTIVE,
                                 NULL);

  if (self != NULL && progress->landed != NULL)
    _kf_client_emit_file_landed (self, progress->landed);
  /* The engine reports the files that landed, then the progress. */
  if (self != NULL && progress->landed == NULL && session->phase == KF_SESSION_PHASE_ACTIVE)
    _kf_client_emit_progress (self, progress);
}

/* The engine finished sending or receiving: report, or fail the session.
 * When the session is already ending, what the engine achieved goes into
 * its outcome. */
static void
transfer_done (KfSession        *session,
               KfTransferResult *result,
               GError           *error)
{
  g_autoptr(KfClient) self = _kf_session_ref_client (session, KF_SESSION_PHASE_ENDING, &error);

  if (self == NULL)
    return;

  session->link_use = KF_SESSION_LINK_IDLE;
  if (session->phase == KF_SESSION_PHASE_ENDING)
    {
      /* What the engine failed with may explain the end better. */
      if (error != NULL)
        _kf_client_transfer_failed (self, g_steal_pointer (&error));
      _kf_client_session_engine_done (self, result);
      return;
    }
  if (result == NULL)
    {
      _kf_client_transfer_failed (self, error);
      return;
    }

  _kf_client_session_report (self, result);
}

static void
on_declined (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = _kf_session_ref_client (session, KF_SESSION_PHASE_ENDING, NULL);
  g_autoptr(GError) error = NULL;

  if (!kf_transfer_decline_finish (result, &error))
    g_debug ("Could not tell the sender about the decline: %s", error->message);
  if (session->link_use == KF_SESSION_LINK_DECLINING)
    session->link_use = KF_SESSION_LINK_IDLE;
  if (self != NULL)
    _kf_client_session_declined (self);
}

/* An offered name that cannot be used (Part 2, section 6): declined at
 * once, as kf_client_decline_offer() does, so that the sender hears
 * "declined" rather than a lost link; this side failed (not a choice of
 * the user), and the session ends before the sender's own `cancel` can
 * arrive, so that its echo does not replace this account. */
static void
decline_unusable (KfClient *self,
                  GError   *error)
{
  KfSession *session = self->session;

  session->link_use = KF_SESSION_LINK_DECLINING;
  kf_transfer_decline_async (session->link, NULL, on_declined, g_object_ref (session));
  _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_FAILED, "declined", error);
}

static void
on_offer_received (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfClient) self = NULL;
  g_autoptr(KfTransferOffer) offer = NULL;
  GError *error = NULL;

  offer = kf_transfer_receive_offer_finish (result, &error);
  self = _kf_session_ref_client (session, KF_SESSION_PHASE_ACTIVE, &error);
  if (self == NULL)
    return;

  session->link_use = KF_SESSION_LINK_IDLE;
  if (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME))
    {
      decline_unusable (self, error);
      return;
    }
  if (offer == NULL)
    {
      _kf_client_transfer_failed (self, error);
      return;
    }

  session->offer = kf_offer_new_with_key (session->peer_id, session->peer_name,
                                          kf_session_get_peer_identity (session), offer->name,
                                          offer->plain_size, offer->encrypted_size, offer->mode);
  _kf_offer_set_contents (session->offer, offer);
  session->transfer_offer = g_steal_pointer (&offer);
  _kf_client_set_state (self, KF_CLIENT_STATE_OFFERED);
  _kf_client_emit_offer (self);
}

/*
 * _kf_client_transfer_read_offer:
 *
 * Receiver, link up: reads the sender's offer (name, sizes), then shows it
 * with ::offer (step 9).
 */
void
_kf_client_transfer_read_offer (KfClient *self)
{
  KfSession *session = self->session;

  session->link_use = KF_SESSION_LINK_READING_OFFER;
  kf_transfer_receive_offer_async (session->link, session->cancellable,
                                   on_offer_received, g_object_ref (session));
}

/* The engine finished receiving (receiver) or sending (sender). */
static void
on_engine_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KfSession) session = user_data;
  g_autoptr(KfTransferResult) transfer = NULL;
  GError *error = NULL;

  KfTransferFiles *files;

  if (session->role == KF_CLIENT_ROLE_RECEIVER)
    {
      transfer = kf_transfer_receive_finish (result, &error);
      files = kf_transfer_receive_get_files (result);
    }
  else
    {
      transfer = kf_transfer_send_finish (result, &error);
      files = kf_transfer_send_get_files (result);
    }
  /* What landed (or went whole), for the outcome of a transfer that
   * stopped. */
  g_clear_pointer (&session->files, kf_transfer_files_unref);
  session->files = files;
  transfer_done (session, transfer, error);
}

/* Whether an offer waits for its answer: it was shown (OFFERED) and the
 * session is not ending (a decline ends it; accepting leaves OFFERED). */
static gboolean
offer_is_open (KfClient *self)
{
  return self->state == KF_CLIENT_STATE_OFFERED && self->session != NULL
         && self->session->phase == KF_SESSION_PHASE_ACTIVE;
}

/*
 * kf_client_accept_offer:
 * @destination: for a single file (kf_offer_get_is_tree() %FALSE) the file
 *   to create, written to a temporary file beside it and renamed at the
 *   end; for a tree, the existing folder to create it in
 * @overwrite: whether an existing @destination (a tree: existing files of
 *   the same names inside it) may be replaced
 *
 * Receiver, after ::offer: accepts and starts receiving.  Returns %FALSE,
 * leaving the offer open so the user can choose again, with
 * %KF_CLIENT_ERROR_BAD_STATE when no offer is waiting,
 * %KF_TRANSFER_ERROR_EXISTS when @destination exists and @overwrite is
 * %FALSE, or %KF_TRANSFER_ERROR_NO_SPACE when its folder lacks the room.
 */
gboolean
kf_client_accept_offer (KfClient  *self,
                        GFile     *destination,
                        gboolean   overwrite,
                        GError   **error)
{
  KfSession *session;
  g_autoptr(GFile) folder = NULL;

  g_return_val_if_fail (KF_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (destination), FALSE);

  session = self->session;
  if (!offer_is_open (self))
    {
      g_set_error_literal (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE,
                           _("There is no offer to accept"));
      return FALSE;
    }
  if (session->transfer_offer->is_tree
      && g_file_query_file_type (destination, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_DIRECTORY)
    {
      g_autofree char *name = g_file_get_parse_name (destination);

      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                   _("%s is not a folder; choose an existing folder to receive the files in"), name);
      return FALSE;
    }
  if (session->transfer_offer->is_tree)
    folder = g_object_ref (destination);
  else if (!overwrite && g_file_query_exists (destination, NULL))
    {
      g_autofree char *name = g_file_get_parse_name (destination);

      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_EXISTS,
                   _("%s already exists; choose another name or allow replacing it"), name);
      return FALSE;
    }
  if (folder == NULL)
    folder = g_file_get_parent (destination);
  if (folder != NULL
      && !kf_transfer_check_space (folder, session->transfer_offer->plain_size, error))
    return FALSE;

  session->link_use = KF_SESSION_LINK_RECEIVING;
  _kf_client_set_state (self, KF_CLIENT_STATE_TRANSFERRING);
  kf_transfer_receive_async (session->link, session->transfer_offer, destination, overwrite,
                             on_progress, g_object_ref (session), g_object_unref,
                             session->cancellable, on_engine_done, g_object_ref (session));
  return TRUE;
}

/*
 * kf_client_decline_offer:
 *
 * Receiver, after ::offer: says no.  The sender (over the link) and the
 * key manager are told at once, and ::finished follows with a declined
 * outcome.  Does nothing when no offer is waiting.
 */
void
kf_client_decline_offer (KfClient *self)
{
  KfSession *session;

  g_return_if_fail (KF_IS_CLIENT (self));

  session = self->session;
  if (!offer_is_open (self))
    return;

  /* The decline record goes out on its own, not cancelled with the
   * session: the session ends now, so that a `cancel` the sender may send
   * on seeing it is already ours, not news. */
  session->link_use = KF_SESSION_LINK_DECLINING;
  kf_transfer_decline_async (session->link, NULL, on_declined, g_object_ref (session));
  _kf_client_session_fail (self, KF_SESSION_WITNESS_SELF, KF_OUTCOME_DECLINED, "declined",
                           g_error_new_literal (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED,
                                                _("You declined the file")));
}

/*
 * kf_client_send_files_async:
 * @files: (array length=n_files): files and folders, in any mix
 *
 * Sender, in READY_TO_SEND (step 8 onwards): offers @files (exactly one
 * regular file: as a single file; otherwise a tree of everything, the
 * folders walked depth first, links, devices, sockets and FIFOs skipped),
 * sends them once the receiver accepts, reports, and completes with the
 * key manager's verdict as a #KfOutcome (also emitted as ::finished),
 * whose kf_outcome_get_files() lists every file.  When the session ends
 * otherwise it fails with the reason (%KF_TRANSFER_ERROR_DECLINED,
 * %KF_TRANSFER_ERROR_CANCELLED by the peer, %G_IO_ERROR_CANCELLED by us,
 * ...) and ::finished carries that outcome.  Cancelling @cancellable
 * cancels the session.
 */
void
kf_client_send_files_async (KfClient            *self,
                            GFile              **files,
                            guint                n_files,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KfSession *session;

  g_return_if_fail (KF_IS_CLIENT (self));
  g_return_if_fail (files != NULL && n_files > 0);
  for (guint i = 0; i < n_files; i++)
    g_return_if_fail (G_IS_FILE (files[i]));

  task = _kf_client_new_task (self, kf_client_send_files_async, cancellable, callback, user_data);
  g_task_set_check_cancellable (task, FALSE);
  session = self->session;
  if (self->state != KF_CLIENT_STATE_READY_TO_SEND || session == NULL)
    {
      g_task_return_new_error (task, KF_CLIENT_ERROR, KF_CLIENT_ERROR_BAD_STATE, "%s",
                               _("Connect to a waiting peer before sending a file"));
      return;
    }

  session->send_task = g_steal_pointer (&task);
  session->file = g_object_ref (files[0]);
  session->link_use = KF_SESSION_LINK_SENDING;
  _kf_client_session_watch_task (self, cancellable);
  _kf_client_set_state (self, KF_CLIENT_STATE_TRANSFERRING);
  kf_transfer_send_async (session->link, files, n_files,
                          on_progress, g_object_ref (session), g_object_unref,
                          session->cancellable, on_engine_done, g_object_ref (session));
}

/*
 * kf_client_send_files_finish:
 *
 * Returns: (transfer full): the outcome of a session the key manager gave
 * its verdict on (confirmed, or a mismatch), or %NULL with the error.
 */
KfOutcome *
kf_client_send_files_finish (KfClient      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (_kf_client_is_result (self, result, kf_client_send_files_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/*
 * kf_client_send_file_async:
 *
 * kf_client_send_files_async() with one file.
 */
void
kf_client_send_file_async (KfClient            *self,
                           GFile               *file,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (G_IS_FILE (file));

  kf_client_send_files_async (self, &file, 1, cancellable, callback, user_data);
}

/*
 * kf_client_send_file_finish:
 *
 * As kf_client_send_files_finish().
 */
KfOutcome *
kf_client_send_file_finish (KfClient      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return kf_client_send_files_finish (self, result, error);
}
