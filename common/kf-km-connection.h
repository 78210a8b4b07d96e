/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-identity.h"
#include "kf-known-servers.h"
#include "kf-protocol.h"

G_BEGIN_DECLS

#define KF_TYPE_KM_CONNECTION (kf_km_connection_get_type ())
G_DECLARE_FINAL_TYPE (KfKmConnection, kf_km_connection, KF, KM_CONNECTION, GObject)

KfKmConnection    *kf_km_connection_new             (const char               *host,
                                                     guint16                   port);
const char        *kf_km_connection_get_fingerprint (KfKmConnection           *self);
guint              kf_km_connection_get_client_id   (KfKmConnection           *self);
const char        *kf_km_connection_get_name        (KfKmConnection           *self);
gboolean           kf_km_connection_is_open         (KfKmConnection           *self);

void               kf_km_connection_open_async      (KfKmConnection           *self,
                                                     KfKnownServers           *known_servers,
                                                     const char               *expected_fingerprint,
                                                     const char               *passphrase,
                                                     const char               *name,
                                                     KfIdentity               *identity,
                                                     GCancellable             *cancellable,
                                                     GAsyncReadyCallback       callback,
                                                     gpointer                  user_data);
gboolean           kf_km_connection_open_finish     (KfKmConnection           *self,
                                                     GAsyncResult             *result,
                                                     GError                  **error);

void               kf_km_connection_request_async   (KfKmConnection           *self,
                                                     const KfProtocolMessage  *request,
                                                     GCancellable             *cancellable,
                                                     GAsyncReadyCallback       callback,
                                                     gpointer                  user_data);
KfProtocolMessage *kf_km_connection_request_finish  (KfKmConnection           *self,
                                                     GAsyncResult             *result,
                                                     GPtrArray               **data,
                                                     GError                  **error);

void               kf_km_connection_close           (KfKmConnection           *self);

G_END_DECLS
