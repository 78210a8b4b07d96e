/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

#include "kf-client.h"

G_BEGIN_DECLS

void     kf_connect_flow_run_async  (KfClient             *client,
                                     GtkWindow            *parent,
                                     KfKnownServers       *known_servers,
                                     const char           *expected,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
gboolean kf_connect_flow_run_finish (GAsyncResult         *result,
                                     GError              **error);

G_END_DECLS
