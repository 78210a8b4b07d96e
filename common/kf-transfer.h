/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-cipher.h"
#include "kf-peer-link.h"
#include "kf-transfer-error.h"

G_BEGIN_DECLS

/* Plaintext bytes per data record the sender produces. */
#define KF_TRANSFER_CHUNK_SIZE   (256 * 1024)
/* Largest plain size an offer may announce (1 EiB). */
#define KF_TRANSFER_MAX_SIZE     (G_GUINT64_CONSTANT (1) << 60)
/* Longest file name an offer may carry, in bytes, before sanitising. */
#define KF_TRANSFER_MAX_NAME     1024
/* What must stay free on the receiver's disk after the file (or 5 % of
 * a smaller file system): a transfer never fills a disk to zero. */
#define KF_TRANSFER_SPACE_MARGIN (G_GUINT64_CONSTANT (256) * 1024 * 1024)

/* What the receiver is asked about (flow step 9). */
typedef struct
{
  char         *name;            /* sanitised: a safe basename, UTF-8 */
  guint64       plain_size;
  guint64       encrypted_size;  /* what the chain will carry, padding included */
  KfCipherMode  mode;
} KfTransferOffer;

/* What a finished transfer reports to the key manager (flow step 10). */
typedef struct
{
  guint64  blocks;       /* AES blocks the cipher processed on this side */
  guint64  plain_bytes;
  char     digest[65];   /* transcript digest (SHA-256 of the data records' tags), 64 hex digits */
  char    *path;         /* the file sent, or where the received file now is */
} KfTransferResult;

/* @done and @total count plaintext bytes; @bytes_per_second is the mean
 * rate since the data started to flow. */
typedef void (*KfTransferProgressFunc) (guint64  done,
                                        guint64  total,
                                        double   bytes_per_second,
                                        gpointer user_data);

#define KF_TYPE_TRANSFER_OFFER  (kf_transfer_offer_get_type ())
#define KF_TYPE_TRANSFER_RESULT (kf_transfer_result_get_type ())

GType             kf_transfer_offer_get_type       (void) G_GNUC_CONST;
KfTransferOffer  *kf_transfer_offer_copy           (const KfTransferOffer  *offer);
void              kf_transfer_offer_free           (KfTransferOffer        *offer);
guint8           *kf_transfer_offer_encode         (const char             *name,
                                                    guint64                 plain_size,
                                                    gsize                  *len);
KfTransferOffer  *kf_transfer_offer_parse          (const guint8           *buf,
                                                    gsize                   len,
                                                    KfCipherMode            mode,
                                                    GError                **error);

GType             kf_transfer_result_get_type      (void) G_GNUC_CONST;
KfTransferResult *kf_transfer_result_copy          (const KfTransferResult *result);
void              kf_transfer_result_free          (KfTransferResult       *result);

gboolean          kf_transfer_check_space          (GFile                  *folder,
                                                    guint64                 size,
                                                    GError                **error);
guint64           kf_transfer_space_margin         (guint64                 fs_size);

void              kf_transfer_send_async           (KfPeerLink             *link,
                                                    GFile                  *file,
                                                    KfTransferProgressFunc  progress,
                                                    gpointer                progress_data,
                                                    GDestroyNotify          progress_notify,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KfTransferResult *kf_transfer_send_finish          (GAsyncResult           *result,
                                                    GError                **error);

void              kf_transfer_receive_offer_async  (KfPeerLink             *link,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KfTransferOffer  *kf_transfer_receive_offer_finish (GAsyncResult           *result,
                                                    GError                **error);

void              kf_transfer_receive_async        (KfPeerLink             *link,
                                                    const KfTransferOffer  *offer,
                                                    GFile                  *destination,
                                                    gboolean                overwrite,
                                                    KfTransferProgressFunc  progress,
                                                    gpointer                progress_data,
                                                    GDestroyNotify          progress_notify,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KfTransferResult *kf_transfer_receive_finish       (GAsyncResult           *result,
                                                    GError                **error);

void              kf_transfer_decline_async        (KfPeerLink             *link,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gboolean          kf_transfer_decline_finish       (GAsyncResult           *result,
                                                    GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTransferOffer, kf_transfer_offer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTransferResult, kf_transfer_result_free)

G_END_DECLS
