/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-cipher.h"

G_BEGIN_DECLS

#define KF_TYPE_OFFER (kf_offer_get_type ())
G_DECLARE_FINAL_TYPE (KfOffer, kf_offer, KF, OFFER, GObject)

KfOffer      *kf_offer_new                (guint         sender_id,
                                           const char   *sender_name,
                                           const char   *file_name,
                                           guint64       plain_size,
                                           guint64       encrypted_size,
                                           KfCipherMode  mode);
KfOffer      *kf_offer_new_with_key       (guint         sender_id,
                                           const char   *sender_name,
                                           const guint8 *sender_key,
                                           const char   *file_name,
                                           guint64       plain_size,
                                           guint64       encrypted_size,
                                           KfCipherMode  mode);
guint         kf_offer_get_sender_id      (KfOffer      *self);
const guint8 *kf_offer_get_sender_key     (KfOffer      *self);
const char   *kf_offer_get_sender_code    (KfOffer      *self);
const char   *kf_offer_get_sender_name    (KfOffer      *self);
const char   *kf_offer_get_file_name      (KfOffer      *self);
guint64       kf_offer_get_plain_size     (KfOffer      *self);
guint64       kf_offer_get_encrypted_size (KfOffer      *self);
KfCipherMode  kf_offer_get_mode           (KfOffer      *self);
guint         kf_offer_get_n_files        (KfOffer      *self);
guint         kf_offer_get_n_folders      (KfOffer      *self);
const char * const *kf_offer_get_top_level (KfOffer     *self,
                                           guint        *n_top_level);
gboolean      kf_offer_get_top_level_entry (KfOffer     *self,
                                           guint         index,
                                           gboolean     *is_folder,
                                           guint64      *size);
gboolean      kf_offer_get_is_tree        (KfOffer      *self);

/* For KfClient. */
struct _KfTransferOffer;
void          _kf_offer_set_contents      (KfOffer      *self,
                                           const struct _KfTransferOffer *offer);

G_END_DECLS
