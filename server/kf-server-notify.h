/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean kf_server_notify        (const char *state);
gboolean kf_server_notify_printf (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
