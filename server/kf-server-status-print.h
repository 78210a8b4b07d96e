/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int kf_server_status_print (const char *dir,
                            gboolean    json);

G_END_DECLS
