/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

void kf_cli_scripted_wait      (KfCliApp *app);
void kf_cli_scripted_send      (KfCliApp *app);
void kf_cli_scripted_interrupt (KfCliApp *app);

G_END_DECLS
