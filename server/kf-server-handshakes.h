/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-server-timers.h"

G_BEGIN_DECLS

/* Called with the owner given to kf_server_handshakes_request(). */
typedef void     (*KfServerHandshakeFunc)      (GObject *owner);
/* Closes the owner if its handshake waits for its peer; whether it did. */
typedef gboolean (*KfServerHandshakeEvictFunc) (GObject *owner);

#define KF_TYPE_SERVER_HANDSHAKES (kf_server_handshakes_get_type ())

G_DECLARE_FINAL_TYPE (KfServerHandshakes, kf_server_handshakes, KF, SERVER_HANDSHAKES, GObject)

KfServerHandshakes *kf_server_handshakes_new           (KfServerTimers             *timers,
                                                        guint                       slots,
                                                        guint                       grace_ms);
void                kf_server_handshakes_request       (KfServerHandshakes         *self,
                                                        GObject                    *owner,
                                                        KfServerHandshakeFunc       start,
                                                        KfServerHandshakeEvictFunc  evict);
gboolean            kf_server_handshakes_evict_stalled (KfServerHandshakes         *self);
void                kf_server_handshakes_release       (KfServerHandshakes         *self,
                                                        GObject                    *owner);
guint               kf_server_handshakes_get_running   (KfServerHandshakes         *self);
guint               kf_server_handshakes_get_waiting   (KfServerHandshakes         *self);

G_END_DECLS
