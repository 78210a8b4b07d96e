/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

int      kf_cli_servers_main  (KfCliApp  *app);
gboolean kf_cli_choose_server (KfCliApp  *app,
                               GError   **error);
gboolean kf_cli_take_join_link (KfCliApp  *app,
                                GError   **error);

G_END_DECLS
