/* kf-client-signals.c: what a KfClient tells those who listen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfClient's signals, installed once by its class and emitted through
 * the _kf_client_emit_*() calls here (::offer, which goes with the
 * :offer property's notification, by kf-client.c), so that every signal
 * has one place that says what it carries.
 */

#include "config.h"

#include "kf-client-private.h"
#include "kf-enums.h"

enum {
  SESSION_STARTED,
  OFFER,
  PROGRESS,
  TRANSFER_PROGRESS,
  FILE_LANDED,
  FINISHED,
  DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/*
 * _kf_client_install_signals:
 *
 * For kf_client_class_init(): creates the signals.
 */
void
_kf_client_install_signals (GObjectClass *klass)
{
  /* ::session-started (role, peer_id, peer_name, mode): step 7, both sides. */
  signals[SESSION_STARTED] =
    g_signal_new ("session-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  KF_TYPE_CLIENT_ROLE, G_TYPE_UINT, G_TYPE_STRING, KF_TYPE_CIPHER_MODE);
  /* ::offer (KfOffer *offer): the receiver is asked (step 9). */
  signals[OFFER] =
    g_signal_new ("offer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, KF_TYPE_OFFER);
  /* ::progress (done, total, bytes_per_second): plaintext bytes, both sides. */
  signals[PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT64, G_TYPE_UINT64, G_TYPE_DOUBLE);
  /* ::transfer-progress (const KfTransferProgress *progress): the same
   * reports as ::progress, with the file counts and the current file. */
  signals[TRANSFER_PROGRESS] =
    g_signal_new ("transfer-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* ::file-landed (const KfTransferFileResult *file): one file saved
   * (receiver) or delivered (sender), as it happens. */
  signals[FILE_LANDED] =
    g_signal_new ("file-landed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* ::finished (KfOutcome *outcome): every session's end, both sides. */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, KF_TYPE_OUTCOME);
  /* ::disconnected (GError *error): the key manager went away. */
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

void
_kf_client_emit_session_started (KfClient *self)
{
  KfSession *session = self->session;

  g_signal_emit (self, signals[SESSION_STARTED], 0,
                 session->role, session->peer_id, session->peer_name, session->mode);
}

void
_kf_client_emit_progress (KfClient                 *self,
                          const KfTransferProgress *progress)
{
  g_signal_emit (self, signals[TRANSFER_PROGRESS], 0, progress);
  g_signal_emit (self, signals[PROGRESS], 0, progress->done, progress->total,
                 progress->bytes_per_second);
}

void
_kf_client_emit_file_landed (KfClient                   *self,
                             const KfTransferFileResult *file)
{
  g_signal_emit (self, signals[FILE_LANDED], 0, file);
}

void
_kf_client_emit_finished (KfClient  *self,
                          KfOutcome *outcome)
{
  g_signal_emit (self, signals[FINISHED], 0, outcome);
}

void
_kf_client_emit_disconnected (KfClient     *self,
                              const GError *error)
{
  g_signal_emit (self, signals[DISCONNECTED], 0, error);
}
