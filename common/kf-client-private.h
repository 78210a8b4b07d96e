#pragma once

/* KfClient's insides, shared by kf-client.c (connection, idle commands,
 * properties and signals), kf-client-session.c (a session's life with the
 * key manager: key, confirmation, link, report, verdict, cancel) and
 * kf-client-transfer.c (offer and file transfer over the peer link). */

#include "kf-client.h"
#include "kf-km-connection.h"
#include "kf-peer-link.h"
#include "kf-peer-listener.h"
#include "kf-session-keys.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

/* One transfer session, from `ev key` to its end. */
typedef struct
{
  guint             serial;
  char              session_id[KF_SESSION_ID_MAX + 1];
  KfClientRole      role;
  guint             peer_id;
  char             *peer_name;
  KfCipherMode      mode;
  KfSessionKeys    *keys;
  GCancellable     *cancellable;     /* stops link and transfer work */
  GTask            *conn_task;       /* sender: kf_client_conn_async() */
  GTask            *send_task;       /* sender: kf_client_send_file_async() */
  GCancellable     *task_cancellable;
  gulong            task_cancel_id;
  KfPeerListener   *listener;
  KfPeerLink       *link;
  gboolean          link_busy;       /* a transfer call is using the link */
  gboolean          receiving;       /* receiver: the engine is saving the file */
  gboolean          delivered;       /* the file is complete at the receiver
                                      * (saved there; the sender had DONE) */
  gboolean          cancel_pending;  /* our `cancel` awaits its answer */
  KfTransferOffer  *transfer_offer;
  KfOffer          *offer;
  gboolean          answered;        /* accept or decline was given */
  GFile            *file;
  guint64           local_blocks;
  guint64           bytes;
  gboolean          ending;          /* our `cancel` is on its way */
  KfOutcomeStatus   end_status;
  gboolean          end_local;
  char             *end_message;
  GError           *end_error;
} KfClientSession;

struct _KfClient
{
  GObject           parent_instance;

  char             *host;
  guint16           port;
  char             *name;
  KfKnownServers   *known_servers;
  char             *expected_fingerprint;
  char             *passphrase;      /* secure memory */
  guint16           peer_port_first; /* 0: an ephemeral port */
  guint16           peer_port_last;
  guint             idle_timeout;    /* seconds a transfer may wait for the peer */

  KfClientState     state;
  guint             client_id;
  char             *fingerprint;
  char             *last_error;

  KfKmConnection   *km;
  GCancellable     *cancellable;     /* cancelled on dispose */
  gboolean          saying_goodbye;  /* `end` sent: a close is expected */

  GListStore       *peers;
  gboolean          watching;        /* what the user wants */
  gboolean          watch_active;    /* what the key manager does */
  gboolean          watch_paging;    /* asking for the waiting list's further pages */

  guint             keepalive_id;
  guint             reconnect_id;
  guint             backoff;
  gboolean          resume_waiting;

  GTask            *conn_task;       /* until `ev key` moves it to the session */
  gboolean          cancel_requested;
  KfClientSession  *session;
  guint             session_serial;
};

/* A pending async call of a session: holds the client, and knows whether
 * the session it was started for is still the current one. */
typedef struct
{
  KfClient *self;
  guint     serial;
} KfSessionCall;

/* kf-client.c */
void             kf_client_task_fail            (GTask                  **slot,
                                                 GError                  *error);
void             kf_client_set_state            (KfClient                *self,
                                                 KfClientState            state);
void             kf_client_set_last_error       (KfClient                *self,
                                                 const char              *message);
void             kf_client_notify_session       (KfClient                *self);
void             kf_client_sync_watch           (KfClient                *self);
void             kf_client_emit_session_started (KfClient                *self);
void             kf_client_emit_offer           (KfClient                *self);
void             kf_client_emit_progress        (KfClient                *self,
                                                 guint64                  done,
                                                 guint64                  total,
                                                 double                   rate);
void             kf_client_emit_finished        (KfClient                *self,
                                                 KfOutcome               *outcome);
void             kf_client_emit_disconnected    (KfClient                *self,
                                                 const GError            *error);
void             kf_client_notify_watching      (KfClient                *self);
void             kf_client_set_fingerprint      (KfClient                *self,
                                                 const char              *fingerprint);
void             kf_client_set_client_id        (KfClient                *self,
                                                 guint                    client_id);
gboolean         kf_client_check_state          (KfClient                *self,
                                                 GTask                   *task,
                                                 KfClientState            allowed,
                                                 KfClientState            also_allowed);
void             kf_client_request              (KfClient                *self,
                                                 KfProtocolMessage       *msg,
                                                 GTask                   *task,
                                                 GAsyncReadyCallback      callback);

/* kf-client-connection.c */
void             kf_client_drop_connection      (KfClient                *self);

/* kf-client-commands.c */
void             kf_client_on_watch_event       (KfClient                *self,
                                                 const KfProtocolMessage *msg);

/* kf-client-session.c */
KfSessionCall   *kf_session_call_new            (KfClient                *self);
KfClientSession *kf_session_call_get            (KfSessionCall           *call);
void             kf_session_call_free           (KfSessionCall           *call);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfSessionCall, kf_session_call_free)

void             kf_client_session_free         (KfClientSession         *session);
void             kf_client_session_event        (KfClient                *self,
                                                 const KfProtocolMessage *msg);
void             kf_client_session_fail         (KfClient                *self,
                                                 KfOutcomeStatus          status,
                                                 gboolean                 is_local,
                                                 const char              *reason,
                                                 GError                  *error);
void             kf_client_session_lost         (KfClient                *self,
                                                 const GError            *error);
void             kf_client_session_record_result (KfClient                *self,
                                                 const KfTransferResult  *result);
void             kf_client_session_report       (KfClient                *self,
                                                 const KfTransferResult  *result);
void             kf_client_session_engine_done  (KfClient                *self,
                                                 const KfTransferResult  *result);
void             kf_client_session_restate      (KfClient                *self,
                                                 KfOutcomeStatus          status,
                                                 gboolean                 is_local,
                                                 GError                  *error);
void             kf_client_session_watch_task   (KfClient                *self,
                                                 GCancellable            *cancellable);
void             kf_client_conn_failed          (KfClient                *self,
                                                 GError                  *error);

/* kf-client-transfer.c */
void             kf_client_transfer_read_offer  (KfClient                *self);
void             kf_client_transfer_failed      (KfClient                *self,
                                                 GError                  *error);

G_END_DECLS
