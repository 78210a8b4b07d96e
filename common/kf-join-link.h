/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* keyferry://HOST[:PORT][/][?fp=FINGERPRINT] (docs/PROTOCOL.md,
 * "Discovery and join links"). */
#define KF_JOIN_LINK_SCHEME "keyferry"

gboolean  kf_join_link_is_link (const char  *text);
char     *kf_join_link_format  (const char  *host,
                                guint16      port,
                                const char  *fingerprint);
gboolean  kf_join_link_parse   (const char  *link,
                                char       **host,
                                guint16     *port,
                                char       **fingerprint,
                                GError     **error);

G_END_DECLS
