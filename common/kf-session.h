/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-client.h"

G_BEGIN_DECLS

/* A session's life: one way, never back. */
typedef enum
{
  KF_SESSION_PHASE_ACTIVE,  /* from `ev key`: confirming, linking, transferring */
  KF_SESSION_PHASE_ENDING,  /* its end is decided; waiting for the key manager or the engine */
  KF_SESSION_PHASE_ENDED,   /* ::ended was emitted; late callbacks drop their work */
} KfSessionPhase;

#define KF_TYPE_SESSION (kf_session_get_type ())
G_DECLARE_FINAL_TYPE (KfSession, kf_session, KF, SESSION, GObject)

const char     *kf_session_get_id        (KfSession *self);
KfSessionPhase  kf_session_get_phase     (KfSession *self);
KfClientRole    kf_session_get_role      (KfSession *self);
guint           kf_session_get_peer_id   (KfSession *self);
const char     *kf_session_get_peer_name (KfSession *self);
const guint8   *kf_session_get_peer_public_key (KfSession *self);
KfCipherMode    kf_session_get_mode      (KfSession *self);
KfOffer        *kf_session_get_offer     (KfSession *self);
const guint8   *kf_session_get_peer_identity (KfSession *self);

G_END_DECLS
