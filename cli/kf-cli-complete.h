/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void kf_cli_complete_command (const char   *before,
                              const char   *word,
                              GListModel   *peers,
                              GStrv        *words,
                              GStrv        *labels);

G_END_DECLS
