/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-transfer.h"

G_BEGIN_DECLS

#define KF_TYPE_TRANSFER_PAGE (kf_transfer_page_get_type ())
G_DECLARE_FINAL_TYPE (KfTransferPage, kf_transfer_page, KF, TRANSFER_PAGE, AdwBin)

void kf_transfer_page_begin        (KfTransferPage *self,
                                    gboolean        sending,
                                    const char     *title,
                                    const char     *description);
void kf_transfer_page_set_step     (KfTransferPage *self,
                                    const char     *step);
void kf_transfer_page_set_progress (KfTransferPage *self,
                                    guint64         done,
                                    guint64         total,
                                    double          bytes_per_second);
void kf_transfer_page_show_progress (KfTransferPage           *self,
                                     const KfTransferProgress *progress);

G_END_DECLS
