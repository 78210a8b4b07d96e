/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"

G_BEGIN_DECLS

int kf_cli_contacts_main (KfCliApp  *app,
                          char     **argv);

G_END_DECLS
