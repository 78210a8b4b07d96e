/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

gboolean kf_cli_load_identity (KfCliApp  *app,
                               GError   **error);
int      kf_cli_identity_main (KfCliApp  *app);

G_END_DECLS
