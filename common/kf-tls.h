/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The GnuTLS priority string every Keyferry TLS connection uses: TLS 1.3,
 * or TLS 1.2 with ECDHE and an AEAD cipher. */
#define KF_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:" \
                        "+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:" \
                        "+ECDHE-RSA"

void     kf_tls_init                 (void);
gboolean kf_tls_check_connection     (GTlsConnection  *tls,
                                      GError         **error);

G_END_DECLS
