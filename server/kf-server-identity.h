/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-km-hello.h"
#include "kf-protocol.h"
#include "kf-server-state.h"

G_BEGIN_DECLS

gboolean kf_server_identity_check_hello (KfServerState           *state,
                                         const guint8             challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                                         const guint8             exporter[KF_KM_HELLO_EXPORTER_SIZE],
                                         const KfProtocolMessage *hello,
                                         GError                 **error);

G_END_DECLS
