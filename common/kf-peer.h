/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KF_TYPE_PEER (kf_peer_get_type ())
G_DECLARE_FINAL_TYPE (KfPeer, kf_peer, KF, PEER, GObject)

KfPeer     *kf_peer_new      (guint       id,
                              const char *name);
guint       kf_peer_get_id   (KfPeer     *self);
const char *kf_peer_get_name (KfPeer     *self);
const guint8 *kf_peer_get_public_key (KfPeer       *self);
void          kf_peer_set_public_key (KfPeer       *self,
                                      const guint8  public_key[32]);

G_END_DECLS
