/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  kf_server_admin_is_command (const char         *word);
char     *kf_server_admin_state_dir  (const char         *state_dir,
                                      gboolean            chosen);
int       kf_server_admin_run        (const char         *state_dir,
                                      const char * const *args,
                                      gboolean            json);

G_END_DECLS
