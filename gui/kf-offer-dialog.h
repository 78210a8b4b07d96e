/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-contacts.h"
#include "kf-offer.h"

G_BEGIN_DECLS

#define KF_TYPE_OFFER_DIALOG (kf_offer_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KfOfferDialog, kf_offer_dialog, KF, OFFER_DIALOG, AdwMessageDialog)

GtkWidget *kf_offer_dialog_new       (GtkWindow     *parent,
                                      KfOffer       *offer);
KfOffer   *kf_offer_dialog_get_offer (KfOfferDialog *self);
void       kf_offer_dialog_set_contact (KfOfferDialog  *self,
                                        KfContactCheck  check,
                                        const char     *code,
                                        const char     *known_code);

G_END_DECLS
