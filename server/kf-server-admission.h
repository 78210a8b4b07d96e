/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-server-config.h"

G_BEGIN_DECLS

#define KF_TYPE_SERVER_ADMISSION (kf_server_admission_get_type ())

G_DECLARE_FINAL_TYPE (KfServerAdmission, kf_server_admission, KF, SERVER_ADMISSION, GObject)

KfServerAdmission *kf_server_admission_new          (const char            *passphrase,
                                                     const KfServerConfig  *config,
                                                     GError               **error);
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
