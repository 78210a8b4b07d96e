/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-peer-handshake.h"

G_BEGIN_DECLS

/* A side's answer to a message, with the cryptography it takes. */
typedef enum
{
  KF_PEER_STEP_ANSWER_HELLO,      /* receiver: read the HELLO, write the CHALLENGE */
  KF_PEER_STEP_ANSWER_CHALLENGE,  /* sender: check the CHALLENGE, write the RESPONSE */
  KF_PEER_STEP_CHECK_RESPONSE,    /* receiver: check the RESPONSE */
} KfPeerStep;

void     kf_peer_exchange_async  (KfPeerHandshake      *hs,
                                  KfPeerStep            step,
                                  GIOStream            *stream,
                                  guint8               *buf,
                                  gsize                 have,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
gboolean kf_peer_exchange_finish (GAsyncResult         *result,
                                  gsize                *arrived,
                                  GError              **error);

G_END_DECLS
