/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-identity.h"
#include "kf-protocol.h"

G_BEGIN_DECLS

/* RFC 9266's tls-exporter: 32 bytes. */
#define KF_KM_HELLO_EXPORTER_SIZE 32
#define KF_KM_HELLO_LABEL         "keyferry km v2 hello"

GBytes   *kf_km_hello_signed_bytes (const guint8     challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                                    const guint8     exporter[KF_KM_HELLO_EXPORTER_SIZE],
                                    const char      *name);
gboolean  kf_km_hello_exporter     (GTlsConnection  *tls,
                                    guint8           exporter[KF_KM_HELLO_EXPORTER_SIZE],
                                    GError         **error);
void      kf_km_hello_sign         (KfIdentity      *identity,
                                    const guint8     challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                                    const guint8     exporter[KF_KM_HELLO_EXPORTER_SIZE],
                                    const char      *name,
                                    guint8           signature[KF_IDENTITY_SIGNATURE_SIZE]);
gboolean  kf_km_hello_verify       (const guint8     public_key[KF_IDENTITY_PUBLIC_KEY_SIZE],
                                    const guint8     challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                                    const guint8     exporter[KF_KM_HELLO_EXPORTER_SIZE],
                                    const char      *name,
                                    const guint8     signature[KF_IDENTITY_SIGNATURE_SIZE]);

G_END_DECLS
