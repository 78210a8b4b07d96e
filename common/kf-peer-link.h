/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-peer-handshake.h"
#include "kf-record.h"
#include "kf-session-keys.h"

G_BEGIN_DECLS

#define KF_TYPE_PEER_LINK (kf_peer_link_get_type ())
G_DECLARE_FINAL_TYPE (KfPeerLink, kf_peer_link, KF, PEER_LINK, GObject)

/* Default absolute deadline for connecting and the handshake. */
#define KF_PEER_LINK_DEFAULT_TIMEOUT_MS 30000
/* Deadline for the TCP connect alone: a LAN answers in milliseconds, so
 * silence this long is a firewall dropping the connection. */
#define KF_PEER_LINK_CONNECT_TIMEOUT_MS 5000
/* Default idle limit of a transfer, in seconds (see kf_peer_link_set_idle_timeout()). */
#define KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT 60

void                 kf_peer_link_connect_async  (const KfSessionKeys  *keys,
                                                  KfIdentity           *identity,
                                                  const char           *host,
                                                  guint16               port,
                                                  guint                 timeout_ms,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
KfPeerLink          *kf_peer_link_connect_finish (GAsyncResult         *result,
                                                  GError              **error);

KfPeerRole           kf_peer_link_get_role       (KfPeerLink           *self);
const KfSessionKeys *kf_peer_link_get_keys       (KfPeerLink           *self);
const guint8        *kf_peer_link_get_offer_key  (KfPeerLink           *self);
const guint8        *kf_peer_link_get_offer_iv   (KfPeerLink           *self);
const guint8        *kf_peer_link_get_peer_identity (KfPeerLink        *self);

/* One record of a batch for kf_peer_link_send_batch(). */
typedef struct
{
  KfRecordType type;
  guint8       flags;
  gsize        payload_len;
} KfPeerLinkRecord;

gboolean             kf_peer_link_send           (KfPeerLink           *self,
                                                  KfRecordType          type,
                                                  guint8                flags,
                                                  guint8               *record,
                                                  gsize                 payload_len,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
gboolean             kf_peer_link_send_copy      (KfPeerLink           *self,
                                                  KfRecordType          type,
                                                  guint8                flags,
                                                  const guint8         *payload,
                                                  gsize                 payload_len,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
gboolean             kf_peer_link_send_batch     (KfPeerLink           *self,
                                                  guint8               *records,
                                                  const KfPeerLinkRecord *specs,
                                                  guint                 n_records,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
const guint8        *kf_peer_link_receive        (KfPeerLink           *self,
                                                  KfRecordHeader       *header,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
const guint8        *kf_peer_link_receive_nowait (KfPeerLink           *self,
                                                  KfRecordHeader       *header,
                                                  GError              **error);
void                 kf_peer_link_set_idle_timeout (KfPeerLink         *self,
                                                    guint               seconds);
guint                kf_peer_link_get_idle_timeout (KfPeerLink         *self);
void                 kf_peer_link_arm_idle_timeout (KfPeerLink         *self);
gssize               kf_peer_link_get_unsent     (KfPeerLink           *self);
void                 kf_peer_link_set_cancel_reason (KfPeerLink        *self,
                                                     const char        *reason);
const char          *kf_peer_link_get_cancel_reason (KfPeerLink        *self);
void                 kf_peer_link_abort          (KfPeerLink           *self);
void                 kf_peer_link_close          (KfPeerLink           *self);

/* For KfPeerListener and tests: wraps an authenticated connection. */
KfPeerLink          *kf_peer_link_new            (GIOStream            *stream,
                                                  KfPeerHandshake      *handshake,
                                                  GError              **error);

G_END_DECLS
