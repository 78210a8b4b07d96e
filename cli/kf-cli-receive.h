/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

typedef void (*KfCliOfferDone) (KfCliApp *app);

void   kf_cli_receive_ask    (KfCliApp       *app,
                              KfOffer        *offer,
                              const char     *output_dir,
                              KfCliOfferDone  done);
void   kf_cli_receive_auto   (KfCliApp       *app,
                              KfOffer        *offer,
                              const char     *output_dir);
GFile *kf_cli_unique_file    (GFile          *dir,
                              const char     *name);

G_END_DECLS
