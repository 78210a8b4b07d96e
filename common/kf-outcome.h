/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-cipher.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

typedef enum
{
  KF_OUTCOME_CONFIRMED,        /* key manager: block counts match */
  KF_OUTCOME_MISMATCH,         /* key manager: block counts differ */
  KF_OUTCOME_DIGEST_MISMATCH,  /* counts match, integrity digests differ */
  KF_OUTCOME_DECLINED,         /* the receiver said no */
  KF_OUTCOME_CANCELLED,        /* a user cancelled (see is-local) */
  KF_OUTCOME_FAILED,           /* an error: see message */
} KfOutcomeStatus;

#define KF_TYPE_OUTCOME_STATUS (kf_outcome_status_get_type ())
#define KF_TYPE_OUTCOME        (kf_outcome_get_type ())
G_DECLARE_FINAL_TYPE (KfOutcome, kf_outcome, KF, OUTCOME, GObject)

GType            kf_outcome_status_get_type      (void) G_GNUC_CONST;
const char      *kf_outcome_status_to_string     (KfOutcomeStatus  status);

KfOutcomeStatus  kf_outcome_get_status           (KfOutcome       *self);
gboolean         kf_outcome_get_is_sender        (KfOutcome       *self);
gboolean         kf_outcome_get_is_local         (KfOutcome       *self);
guint64          kf_outcome_get_sender_blocks    (KfOutcome       *self);
guint64          kf_outcome_get_receiver_blocks  (KfOutcome       *self);
guint64          kf_outcome_get_local_blocks     (KfOutcome       *self);
guint64          kf_outcome_get_bytes            (KfOutcome       *self);
const char      *kf_outcome_get_message          (KfOutcome       *self);
GFile           *kf_outcome_get_file             (KfOutcome       *self);
GPtrArray       *kf_outcome_get_files            (KfOutcome       *self);
guint            kf_outcome_get_n_files          (KfOutcome       *self);
gboolean         kf_outcome_foreach_file         (KfOutcome       *self,
                                                  KfTransferFilesFunc func,
                                                  gpointer         user_data);
KfCipherMode     kf_outcome_get_mode             (KfOutcome       *self);
const GError    *kf_outcome_get_error            (KfOutcome       *self);
gboolean         kf_outcome_get_waits_again      (KfOutcome       *self);
gboolean         kf_outcome_get_is_tree          (KfOutcome       *self);

/* For KfSession. */
void             _kf_outcome_set_files           (KfOutcome       *self,
                                                  GPtrArray       *files);
void             _kf_outcome_set_transfer_files  (KfOutcome       *self,
                                                  KfTransferFiles *files);

G_END_DECLS
