/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <stdio.h>
#include <glib.h>

G_BEGIN_DECLS

char *kf_server_link_host  (const char *listen);
char *kf_server_link_qr    (const char *text);
void  kf_server_link_print (const char *listen,
                            guint16     port,
                            const char *fingerprint,
                            FILE       *out);

G_END_DECLS
