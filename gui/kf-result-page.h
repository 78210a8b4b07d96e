/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-outcome.h"

G_BEGIN_DECLS

#define KF_TYPE_RESULT_PAGE (kf_result_page_get_type ())
G_DECLARE_FINAL_TYPE (KfResultPage, kf_result_page, KF, RESULT_PAGE, AdwBin)

void       kf_result_page_set_outcome (KfResultPage *self,
                                       KfOutcome    *outcome);
KfOutcome *kf_result_page_get_outcome (KfResultPage *self);
void       kf_result_page_set_folder  (KfResultPage *self,
                                       GFile        *folder);

G_END_DECLS
