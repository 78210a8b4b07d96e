/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-peer-link.h"
#include "kf-session-keys.h"

G_BEGIN_DECLS

#define KF_TYPE_PEER_LISTENER (kf_peer_listener_get_type ())
G_DECLARE_FINAL_TYPE (KfPeerListener, kf_peer_listener, KF, PEER_LISTENER, GObject)

/* At most this many connections may be mid-handshake at once; a new one
 * beyond that replaces the oldest. */
#define KF_PEER_LISTENER_MAX_PENDING 8

KfPeerListener *kf_peer_listener_new           (const KfSessionKeys  *keys,
                                                KfIdentity           *identity,
                                                GError              **error);
KfPeerListener *kf_peer_listener_new_in_range  (const KfSessionKeys  *keys,
                                                KfIdentity           *identity,
                                                guint16               first,
                                                guint16               last,
                                                GError              **error);
guint16         kf_peer_listener_get_port      (KfPeerListener       *self);
void            kf_peer_listener_accept_async  (KfPeerListener       *self,
                                                guint                 timeout_ms,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
KfPeerLink     *kf_peer_listener_accept_finish (KfPeerListener       *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            kf_peer_listener_close         (KfPeerListener       *self);

G_END_DECLS
