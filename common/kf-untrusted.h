/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean kf_untrusted_is_unwanted (gunichar    c);
gboolean kf_untrusted_is_clean    (const char *text);
char    *kf_untrusted_clean       (const char *text,
                                   gssize      len);

G_END_DECLS
