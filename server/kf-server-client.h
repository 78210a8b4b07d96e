/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-protocol.h"
#include "kf-server-config.h"
#include "kf-server-session.h"
#include "kf-server-timers.h"
#include "kf-server-transport.h"

G_BEGIN_DECLS

/* Where a connection is (docs/PROTOCOL.md, the state table); within a
 * session the session object says where each peer stands. */
typedef enum
{
  KF_CLIENT_HANDSHAKE,  /* TLS handshake running */
  KF_CLIENT_GREETING,   /* greeted; owes `hello` (after `auth` when required) */
  KF_CLIENT_IDLE,
  KF_CLIENT_WAITING,
  KF_CLIENT_SESSION,
  KF_CLIENT_CLOSED,
} KfClientPhase;

#define KF_TYPE_SERVER_CLIENT (kf_server_client_get_type ())

G_DECLARE_FINAL_TYPE (KfServerClient, kf_server_client, KF, SERVER_CLIENT, GObject)

/* Gets each line a detached client is sent, its LF included. */
typedef void (*KfServerClientSink) (KfServerClient *client,
                                    const char     *line,
                                    gsize           len,
                                    gpointer        user_data);

KfServerClient  *kf_server_client_new             (KfServerTransport     *transport,
                                                   const KfServerConfig  *config,
                                                   KfServerTimers        *timers);
KfServerClient  *kf_server_client_new_detached    (const char            *address,
                                                   const KfServerConfig  *config,
                                                   KfServerTimers        *timers,
                                                   KfServerClientSink     sink,
                                                   gpointer               user_data);
void             kf_server_client_receive_line    (KfServerClient        *self,
                                                   const char            *line,
                                                   gsize                  len);
gboolean         kf_server_client_get_reading_held (KfServerClient       *self);
void             kf_server_client_start           (KfServerClient        *self);
void             kf_server_client_start_reading   (KfServerClient        *self);
void             kf_server_client_hold_reading    (KfServerClient        *self);
void             kf_server_client_resume_reading  (KfServerClient        *self);
void             kf_server_client_send            (KfServerClient        *self,
                                                   const KfProtocolMessage *msg);
void             kf_server_client_send_ok         (KfServerClient        *self,
                                                   KfMsgType              reply_to);
void             kf_server_client_send_error      (KfServerClient        *self,
                                                   KfProtocolError        code,
                                                   const char            *text);
void             kf_server_client_close           (KfServerClient        *self,
                                                   gboolean               flush);
void             kf_server_client_clear_deadline  (KfServerClient        *self);

const char      *kf_server_client_get_address     (KfServerClient        *self);
GCancellable    *kf_server_client_get_cancellable (KfServerClient        *self);
guint64          kf_server_client_get_id          (KfServerClient        *self);
void             kf_server_client_set_id          (KfServerClient        *self,
                                                   guint64                id);
const char      *kf_server_client_get_name        (KfServerClient        *self);
void             kf_server_client_set_name        (KfServerClient        *self,
                                                   const char            *name);
KfClientPhase    kf_server_client_get_phase       (KfServerClient        *self);
gint64           kf_server_client_get_accepted_at (KfServerClient        *self);
gboolean         kf_server_client_is_before_hello (KfServerClient        *self);
void             kf_server_client_set_phase       (KfServerClient        *self,
                                                   KfClientPhase          phase);
gboolean         kf_server_client_get_admitted    (KfServerClient        *self);
void             kf_server_client_set_admitted    (KfServerClient        *self,
                                                   gboolean               admitted);
gboolean         kf_server_client_get_watching    (KfServerClient        *self);
void             kf_server_client_set_watching    (KfServerClient        *self,
                                                   gboolean               watching);
KfServerSession *kf_server_client_get_session     (KfServerClient        *self);
void             kf_server_client_set_session     (KfServerClient        *self,
                                                   KfServerSession       *session);
gboolean         kf_server_client_speaks_current  (KfServerClient        *self);
gboolean         kf_server_client_get_exporter    (KfServerClient        *self,
                                                   guint8                 exporter[32],
                                                   GError               **error);
const guint8    *kf_server_client_get_challenge   (KfServerClient        *self);
void             kf_server_client_set_challenge   (KfServerClient        *self,
                                                   const guint8           challenge[32]);
const guint8    *kf_server_client_get_public_key  (KfServerClient        *self);
void             kf_server_client_set_public_key  (KfServerClient        *self,
                                                   const guint8           public_key[32]);
void             kf_server_client_block           (KfServerClient        *self,
                                                   const guint8           public_key[32]);
gboolean         kf_server_client_blocks          (KfServerClient        *self,
                                                   const guint8           public_key[32]);

G_END_DECLS
