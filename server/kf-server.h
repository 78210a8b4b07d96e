/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-server-config.h"

G_BEGIN_DECLS

#define KF_TYPE_SERVER (kf_server_get_type ())

G_DECLARE_FINAL_TYPE (KfServer, kf_server, KF, SERVER, GSocketService)

KfServer        *kf_server_new             (const KfServerConfig  *config,
                                            const char            *passphrase,
                                            GError               **error);
gboolean         kf_server_listen          (KfServer              *self,
                                            const char            *address,
                                            guint16                port,
                                            GError               **error);
guint16          kf_server_get_port        (KfServer              *self);
const char      *kf_server_get_fingerprint (KfServer              *self);
GTlsCertificate *kf_server_get_certificate (KfServer              *self);
guint            kf_server_get_n_clients   (KfServer              *self);
void             kf_server_reload_async    (KfServer              *self,
                                            const KfServerConfig  *config,
                                            const char            *passphrase,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data);
gboolean         kf_server_reload_finish   (KfServer              *self,
                                            GAsyncResult          *result,
                                            GError               **error);
void             kf_server_shutdown_async  (KfServer              *self,
                                            const char            *reason,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data);
gboolean         kf_server_shutdown_finish (KfServer              *self,
                                            GAsyncResult          *result,
                                            GError               **error);

G_END_DECLS
