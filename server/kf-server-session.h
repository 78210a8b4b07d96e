/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-protocol.h"
#include "kf-server-audit.h"
#include "kf-server-timers.h"

G_BEGIN_DECLS

/* Where one peer of a session is (docs/PROTOCOL.md, the state table). */
typedef enum
{
  KF_PEER_CONFIRMING,    /* got ev key, owes a confirm */
  KF_PEER_CONFIRMED,     /* confirmed, waits for the other peer */
  KF_PEER_LISTENING,     /* receiver: got ev listen, owes a port */
  KF_PEER_TRANSFERRING,  /* sender: got ev connect; receiver: sent its port */
  KF_PEER_REPORTED,      /* reported its block count, waits for the other */
} KfPeerPhase;

/* How a session ended; KF_SESSION_RUNNING until it has. */
typedef enum
{
  KF_SESSION_RUNNING,
  KF_SESSION_CANCELLED,  /* ev cancelled */
  KF_SESSION_FINISHED,   /* ev result, with the verdict */
} KfSessionEnd;

#define KF_TYPE_SERVER_SESSION (kf_server_session_get_type ())

G_DECLARE_FINAL_TYPE (KfServerSession, kf_server_session, KF, SERVER_SESSION, GObject)

typedef struct _KfServerClient KfServerClient;

KfServerSession   *kf_server_session_new             (KfCipherMode        mode,
                                                      KfServerAudit      *audit,
                                                      GError            **error);
void               kf_server_session_start           (KfServerSession    *self,
                                                      KfServerClient     *sender,
                                                      KfServerClient     *receiver,
                                                      KfServerTimers     *timers,
                                                      guint               confirm_timeout_ms);
void               kf_server_session_cancel          (KfServerSession    *self,
                                                      KfCancelReason      reason,
                                                      const char         *text,
                                                      KfServerClient     *quiet);
void               kf_server_session_finish          (KfServerSession    *self);
void               kf_server_session_hush            (KfServerSession    *self);
KfSessionEnd       kf_server_session_get_end         (KfServerSession    *self);
const char        *kf_server_session_get_id          (KfServerSession    *self);
KfCipherMode       kf_server_session_get_mode        (KfServerSession    *self);
KfPeerPhase        kf_server_session_get_phase       (KfServerSession    *self,
                                                      KfRole              role);
void               kf_server_session_set_phase       (KfServerSession    *self,
                                                      KfRole              role,
                                                      KfPeerPhase         phase);
KfProtocolMessage *kf_server_session_key_message     (KfServerSession    *self,
                                                      KfRole              role,
                                                      guint64             peer_id,
                                                      const char         *peer_name);
gboolean           kf_server_session_check_confirm   (KfServerSession    *self,
                                                      KfRole              role,
                                                      const guint8       *data,
                                                      gsize               len);
void               kf_server_session_set_report      (KfServerSession    *self,
                                                      KfRole              role,
                                                      guint64             blocks,
                                                      const char         *digest);
gboolean           kf_server_session_has_report      (KfServerSession    *self,
                                                      KfRole              role,
                                                      guint64            *blocks);
KfVerdict          kf_server_session_verdict         (KfServerSession    *self);
KfServerClient    *kf_server_session_get_peer        (KfServerSession    *self,
                                                      KfRole              role);
void               kf_server_session_disarm_timeout  (KfServerSession    *self);
void               kf_server_session_wipe            (KfServerSession    *self);

G_END_DECLS
