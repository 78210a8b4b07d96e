/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-km-connection.h"
#include "kf-line-reader.h"

G_BEGIN_DECLS

/* Shared by kf-km-connection.c (the request pipe) and
 * kf-km-connection-open.c (TLS, pinning and the greeting). */

const char   *kf_km_connection_get_host         (KfKmConnection          *self);
guint16       kf_km_connection_get_port         (KfKmConnection          *self);
GCancellable *kf_km_connection_get_cancellable  (KfKmConnection          *self);
void          kf_km_connection_set_fingerprint  (KfKmConnection          *self,
                                                 const char              *fingerprint);
void          kf_km_connection_take_stream      (KfKmConnection          *self,
                                                 GIOStream               *stream,
                                                 KfLineReader            *reader);
void          kf_km_connection_start            (KfKmConnection          *self,
                                                 guint                    client_id,
                                                 const char              *name);
GError       *kf_km_connection_error_from_reply (const KfProtocolMessage *msg);
void          _kf_km_connection_clean_message   (KfProtocolMessage       *msg);

G_END_DECLS
