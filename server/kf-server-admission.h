/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-server-client.h"
#include "kf-server-config.h"
#include "kf-server-handshakes.h"

G_BEGIN_DECLS

#define KF_TYPE_SERVER_ADMISSION (kf_server_admission_get_type ())

G_DECLARE_FINAL_TYPE (KfServerAdmission, kf_server_admission, KF, SERVER_ADMISSION, GObject)

KfServerAdmission *kf_server_admission_new          (const char            *passphrase,
                                                     const KfServerConfig  *config,
                                                     GError               **error);
void               kf_server_admission_take_over    (KfServerAdmission     *self,
                                                     KfServerAdmission     *old);
gboolean           kf_server_admission_admit_connection (KfServerAdmission  *self,
                                                     KfServerClient        *client,
                                                     KfServerHandshakes    *handshakes);
gboolean           kf_server_admission_has_room     (KfServerAdmission     *self,
                                                     KfServerClient        *client,
                                                     guint                  n_connections);
gboolean           kf_server_admission_admit_greeted (KfServerAdmission    *self,
                                                     KfServerClient        *client);
void               kf_server_admission_forget       (KfServerAdmission     *self,
                                                     KfServerClient        *client);
gboolean           kf_server_admission_is_pending   (KfServerAdmission     *self,
                                                     KfServerClient        *client);
gboolean           kf_server_admission_is_required  (KfServerAdmission     *self);
void               kf_server_admission_check_async  (KfServerAdmission     *self,
                                                     const char            *address,
                                                     const char            *passphrase,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gboolean           kf_server_admission_check_finish (KfServerAdmission     *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);

G_END_DECLS
