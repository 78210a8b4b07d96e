/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

void kf_cli_interactive_start (KfCliApp *app);
void kf_cli_interactive_interrupt (KfCliApp *app);

G_END_DECLS
