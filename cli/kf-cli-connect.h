/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

typedef void (*KfCliConnectedFunc) (KfCliApp *app);

gboolean kf_cli_parse_server (const char  *text,
                              char       **host,
                              guint16     *port,
                              GError     **error);
gboolean kf_cli_setup_client (KfCliApp    *app,
                              GError     **error);
int      kf_cli_forget_server (KfCliApp   *app);
void     kf_cli_follow_reconnects (KfCliApp *app);
void     kf_cli_connect      (KfCliApp          *app,
                              KfCliConnectedFunc func);

G_END_DECLS
