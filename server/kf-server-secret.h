/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-server-config.h"

G_BEGIN_DECLS

typedef struct _KfServerSecret KfServerSecret;

KfServerSecret *kf_server_secret_new    (const char            *passphrase,
                                         const KfServerConfig  *config,
                                         GError               **error);
gboolean        kf_server_secret_verify (const KfServerSecret  *self,
                                         const char            *passphrase,
                                         gboolean              *matches,
                                         GError               **error);
void            kf_server_secret_free   (KfServerSecret        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfServerSecret, kf_server_secret_free)

G_END_DECLS
