/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <stdio.h>
#include <gio/gio.h>

#include "kf-cli-input.h"

G_BEGIN_DECLS

gboolean kf_cli_readline_init       (FILE                  *output);
void     kf_cli_readline_start      (const char            *prompt,
                                     KfCliInputKind         kind,
                                     KfCliLineFunc          done);
void     kf_cli_readline_set_prompt (const char            *prompt,
                                     KfCliInputKind         kind);
void     kf_cli_readline_abandon    (void);
void     kf_cli_readline_hide       (void);
void     kf_cli_readline_show       (void);
void     kf_cli_readline_set_peers  (GListModel            *peers);

G_END_DECLS
