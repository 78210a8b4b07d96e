/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* KfClient's insides, shared by kf-client.c (connection, idle commands,
 * properties and signals), kf-client-session.c (a session's life with the
 * key manager: key, confirmation, verdict, cancel), kf-client-session-link.c
 * (its peer link and report), kf-client-transfer.c (offer and file transfer
 * over the peer link) and kf-client-options.c (the per-run settings). */

#include "kf-client.h"
#include "kf-identity.h"
#include "kf-km-connection.h"
#include "kf-peer-link.h"
#include "kf-peer-listener.h"
#include "kf-session-private.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

struct _KfClient
{
  GObject           parent_instance;

  char             *host;
  guint16           port;
  char             *name;
  KfKnownServers   *known_servers;
  char             *expected_fingerprint;
  char             *passphrase;      /* secure memory */
  KfIdentity       *identity;        /* this person's; made in memory when none was set */
  KfContacts       *contacts;        /* NULL: peers are not remembered */
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
  KfSession        *session;         /* from `ev key` until it ends */
};

/* kf-client.c */
void             _kf_client_task_fail            (GTask                  **slot,
                                                  GError                  *error);
void             _kf_client_set_state            (KfClient                *self,
                                                  KfClientState            state);
void             _kf_client_set_last_error       (KfClient                *self,
                                                  const char              *message);
void             _kf_client_notify_session       (KfClient                *self);
void             _kf_client_sync_watch           (KfClient                *self);
void             _kf_client_install_signals      (GObjectClass            *klass);
void             _kf_client_emit_session_started (KfClient                *self);
void             _kf_client_emit_offer           (KfClient                *self);
void             _kf_client_emit_file_landed     (KfClient                *self,
                                                  const KfTransferFileResult *file);
void             _kf_client_emit_progress        (KfClient                *self,
                                                  const KfTransferProgress *progress);
void             _kf_client_emit_finished        (KfClient                *self,
                                                  KfOutcome               *outcome);
void             _kf_client_emit_disconnected    (KfClient                *self,
                                                  const GError            *error);
void             _kf_client_notify_watching      (KfClient                *self);
void             _kf_client_set_fingerprint      (KfClient                *self,
                                                  const char              *fingerprint);
void             _kf_client_set_client_id        (KfClient                *self,
                                                  guint                    client_id);
/* kf-client-connection.c */
void             _kf_client_drop_connection      (KfClient                *self);

/* kf-client-commands.c */
gboolean         _kf_client_check_state          (KfClient                *self,
                                                  GTask                   *task,
                                                  KfClientState            allowed,
                                                  KfClientState            also_allowed);
void             _kf_client_request              (KfClient                *self,
                                                  KfProtocolMessage       *msg,
                                                  GTask                   *task,
                                                  GAsyncReadyCallback      callback);
GTask           *_kf_client_new_task             (KfClient                *self,
                                                  gpointer                 source_tag,
                                                  GCancellable            *cancellable,
                                                  GAsyncReadyCallback      callback,
                                                  gpointer                 user_data);
gboolean         _kf_client_finish_boolean       (KfClient                *self,
                                                  GAsyncResult            *result,
                                                  gpointer                 source_tag,
                                                  GError                 **error);
gboolean         _kf_client_is_result            (KfClient                *self,
                                                  GAsyncResult            *result,
                                                  gpointer                 source_tag);
void             _kf_client_command              (KfClient                *self,
                                                  KfMsgType                type,
                                                  GTask                   *task,
                                                  KfClientState            allowed,
                                                  KfClientState            also_allowed,
                                                  GAsyncReadyCallback      callback);
KfProtocolMessage *_kf_client_reply_or_fail      (GObject                 *source,
                                                  GAsyncResult            *result,
                                                  GTask                   *task,
                                                  GPtrArray              **lines);
void             _kf_client_on_watch_event       (KfClient                *self,
                                                  const KfProtocolMessage *msg);

/* kf-client-session.c */
void             _kf_client_session_event        (KfClient                *self,
                                                  const KfProtocolMessage *msg);
void             _kf_client_session_fail         (KfClient                *self,
                                                  KfSessionWitness         witness,
                                                  KfOutcomeStatus          status,
                                                  const char              *reason,
                                                  GError                  *error);
void             _kf_client_session_lost         (KfClient                *self,
                                                  const GError            *error);
void             _kf_client_session_declined     (KfClient                *self);
void             _kf_client_session_engine_done  (KfClient                *self,
                                                  const KfTransferResult  *result);
void             _kf_client_session_watch_task   (KfClient                *self,
                                                  GCancellable            *cancellable);
void             _kf_client_session_close        (KfClient                *self);
gboolean         _kf_client_session_key_manager_gone (const GError        *error);

/* kf-client-session-link.c */
void             _kf_client_session_listen       (KfClient                *self);
void             _kf_client_session_connect      (KfClient                *self,
                                                  const KfProtocolMessage *msg);
void             _kf_client_session_report       (KfClient                *self,
                                                  const KfTransferResult  *result);

/* kf-client-transfer.c */
void             _kf_client_transfer_read_offer  (KfClient                *self);
void             _kf_client_transfer_failed      (KfClient                *self,
                                                  GError                  *error);

G_END_DECLS
