/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void     kf_gcrypt_init       (void);
gboolean kf_gcrypt_is_ready   (void);
gboolean kf_process_harden    (void);

G_END_DECLS
