/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KF_FINGERPRINT_HEX_LEN 64

char     *kf_fingerprint_from_certificate (GTlsCertificate  *certificate);
char     *kf_fingerprint_from_der         (const guint8     *der,
                                           gsize             der_len);
char     *kf_fingerprint_normalize        (const char       *text,
                                           GError          **error);
char     *kf_fingerprint_format_pretty    (const char       *fingerprint);
gboolean  kf_fingerprint_equal            (const char       *a,
                                           const char       *b);

G_END_DECLS
