/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-server-config.h"
#include "kf-server-handshakes.h"
#include "kf-server-poller.h"
#include "kf-server-timers.h"
#include "kf-server-transport.h"

G_BEGIN_DECLS

#define KF_TYPE_SERVER_TLS_TRANSPORT (kf_server_tls_transport_get_type ())

G_DECLARE_FINAL_TYPE (KfServerTlsTransport, kf_server_tls_transport, KF, SERVER_TLS_TRANSPORT, GObject)

KfServerTlsTransport *kf_server_tls_transport_new (GSocketConnection     *connection,
                                                   GTlsCertificate       *certificate,
                                                   const KfServerConfig  *config,
                                                   KfServerPoller        *poller,
                                                   KfServerTimers        *timers,
                                                   KfServerHandshakes    *handshakes,
                                                   GError               **error);

G_END_DECLS
