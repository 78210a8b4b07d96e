/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-peer-listener.h"

G_BEGIN_DECLS

/* The two ends of a peer link on loopback, and how each end's handshake
 * ended: what the peer-link, transfer and tree tests share. */
typedef struct
{
  KfPeerLink *sender;          /* the end that connected */
  KfPeerLink *receiver;        /* the end the listener accepted */
  GError     *connect_error;
  GError     *accept_error;
  gboolean    connect_done;
  gboolean    accept_done;
} KfTestLinkPair;

/* Gets the port the listener took; returns the port the sender dials
 * (a proxy's, standing in between). */
typedef guint16 (*KfTestLinkRoute) (guint16  port,
                                    gpointer user_data);

KfSessionKeys *kf_test_session_keys_new  (const char          *session_id,
                                          KfCipherMode         mode);
void           kf_test_link_pair_accept  (KfTestLinkPair      *pair,
                                          KfPeerListener      *listener,
                                          guint                timeout_ms,
                                          GCancellable        *cancellable);
void           kf_test_link_pair_connect (KfTestLinkPair      *pair,
                                          const KfSessionKeys *keys,
                                          KfIdentity          *identity,
                                          const char          *host,
                                          guint16              port);
void           kf_test_link_pair_clear   (KfTestLinkPair      *pair);
void           kf_test_link_pair_open    (const KfSessionKeys *keys,
                                          KfTestLinkRoute      route,
                                          gpointer             route_data,
                                          KfPeerLink         **sender,
                                          KfPeerLink         **receiver);

G_END_DECLS
