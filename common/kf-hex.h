/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean kf_hex_decode (const char   *hex,
                        guint8       *out,
                        gsize         out_len,
                        GError      **error);
char    *kf_hex_encode (const guint8 *data,
                        gsize         len);

G_END_DECLS
