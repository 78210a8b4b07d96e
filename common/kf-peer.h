/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-identity.h"

G_BEGIN_DECLS

#define KF_TYPE_PEER (kf_peer_get_type ())
G_DECLARE_FINAL_TYPE (KfPeer, kf_peer, KF, PEER, GObject)

KfPeer       *kf_peer_new            (guint         id,
                                      const char   *name);
KfPeer       *kf_peer_new_with_key   (guint         id,
                                      const char   *name,
                                      const guint8 *public_key);
guint         kf_peer_get_id         (KfPeer       *self);
const char   *kf_peer_get_name       (KfPeer       *self);
const guint8 *kf_peer_get_public_key (KfPeer       *self);
const char   *kf_peer_get_code       (KfPeer       *self);
void          kf_peer_set_public_key (KfPeer       *self,
                                      const guint8  public_key[KF_IDENTITY_PUBLIC_KEY_SIZE]);

G_END_DECLS
