/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *kf_name_fold      (const char *name);
gboolean  kf_name_fold_same (const char *a,
                             const char *b);

G_END_DECLS
