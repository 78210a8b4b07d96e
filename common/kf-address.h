/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  kf_address_parse            (const char  *text,
                                       char       **host,
                                       guint16     *port,
                                       GError     **error);
gboolean  kf_address_parse_port       (const char  *text,
                                       guint16     *port,
                                       GError     **error);
char     *kf_display_name_choose      (const char  *real_name,
                                       const char  *host_name);
char     *kf_display_name_default     (void);

G_END_DECLS
