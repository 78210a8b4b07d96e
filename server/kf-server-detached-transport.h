/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-server-transport.h"

G_BEGIN_DECLS

/* Gets each line a detached transport is sent, its LF included; @owner is
 * the transport's owner (the client). */
typedef void (*KfServerDetachedSink) (gpointer    owner,
                                      const char *line,
                                      gsize       len,
                                      gpointer    user_data);

#define KF_TYPE_SERVER_DETACHED_TRANSPORT (kf_server_detached_transport_get_type ())

G_DECLARE_FINAL_TYPE (KfServerDetachedTransport, kf_server_detached_transport, KF,
                      SERVER_DETACHED_TRANSPORT, GObject)

KfServerDetachedTransport *kf_server_detached_transport_new     (const char                *address,
                                                                 KfServerDetachedSink       sink,
                                                                 gpointer                   user_data,
                                                                 GDestroyNotify             destroy);
void                       kf_server_detached_transport_receive (KfServerDetachedTransport *self,
                                                                 char                      *line);

G_END_DECLS
