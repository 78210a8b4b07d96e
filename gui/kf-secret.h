/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean  kf_secret_is_available (void);
void      kf_secret_lookup_async (const char           *host,
                                  guint16               port,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
char     *kf_secret_lookup_finish (GAsyncResult        *result,
                                   GError             **error);
void      kf_secret_store_async  (const char           *host,
                                  guint16               port,
                                  const char           *passphrase,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
gboolean  kf_secret_store_finish (GAsyncResult         *result,
                                  GError              **error);
void      kf_secret_free         (char                 *passphrase);

G_END_DECLS
