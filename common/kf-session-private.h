/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* KfSession's insides, shared with the KfClient files that drive a
 * session through its steps (kf-client-session.c, kf-client-transfer.c).
 * kf-session.c owns its life: creation from `ev key`, the phase, the
 * account of its end and the outcome built from it, ::ended, and the
 * release of everything it holds. */

#include "kf-km-connection.h"
#include "kf-peer-link.h"
#include "kf-peer-listener.h"
#include "kf-session.h"
#include "kf-session-keys.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

/* Who gives an account of why a session ends; it decides whether a later
 * account replaces the first (see _kf_session_explain_end()). */
typedef enum
{
  KF_SESSION_WITNESS_SELF,         /* this side chose or failed: the user, a local check */
  KF_SESSION_WITNESS_OWN_FILES,    /* this side's own files failed: disk full, unreadable */
  KF_SESSION_WITNESS_OBSERVED,     /* this side only saw the effect: a link or request lost */
  KF_SESSION_WITNESS_PEER,         /* the other side's own account, through the key manager */
  KF_SESSION_WITNESS_PEER_LEFT,    /* the key manager's word that the other side left */
  KF_SESSION_WITNESS_KEY_MANAGER,  /* the key manager's own decision (a confirmation failed) */
} KfSessionWitness;

/* What the session's peer link is doing: who may close it (an engine
 * working with it closes it itself) and what an ending session waits for
 * (an engine receiving or sending, so that the outcome says whether the
 * file is there, and which files went whole). */
typedef enum
{
  KF_SESSION_LINK_IDLE,            /* no link yet, or nothing uses it */
  KF_SESSION_LINK_READING_OFFER,   /* receiver: the sender's offer is being read */
  KF_SESSION_LINK_DECLINING,       /* receiver: the decline record is going out */
  KF_SESSION_LINK_RECEIVING,       /* receiver: the engine saves the file */
  KF_SESSION_LINK_SENDING,         /* sender: the engine sends the file */
} KfSessionLinkUse;

struct _KfSession
{
  GObject           parent_instance;

  KfClient         *client;          /* unowned: the client closes us before it goes */
  KfSessionPhase    phase;
  char              session_id[KF_SESSION_ID_MAX + 1];
  KfClientRole      role;
  guint             peer_id;
  char             *peer_name;
  guint8            peer_public_key[32];  /* the identity the key manager named */
  KfCipherMode      mode;
  KfSessionKeys    *keys;            /* NULL when secure memory ran out */
  GCancellable     *cancellable;     /* stops link and transfer work */
  GTask            *conn_task;       /* sender: kf_client_conn_async() */
  GTask            *send_task;       /* sender: kf_client_send_file_async() */
  GCancellable     *task_cancellable;
  gulong            task_cancel_id;
  KfPeerListener   *listener;
  KfPeerLink       *link;
  guint8            peer_identity[KF_IDENTITY_PUBLIC_KEY_SIZE];  /* proven on the link */
  gboolean          has_peer_identity;
  KfSessionLinkUse  link_use;
  KfKmConnection   *cancel_sent_to;  /* the connection our `cancel` went to, until
                                      * it answers: awaited while it is the client's */
  KfTransferOffer  *transfer_offer;  /* what was offered, as the receiver read it
                                      * (or the sender's engine reported it) */
  KfOffer          *offer;
  GFile            *file;
  KfTransferResult *result;          /* the engine's, once the file is complete at the
                                      * receiver (saved there; the sender had DONE) */
  KfTransferFiles  *files;           /* what landed, once a receiving engine returned
                                      * (kf_transfer_receive_get_files()); else NULL */

  /* The account of its end, once ENDING (_kf_session_explain_end()). */
  KfSessionWitness  end_witness;
  KfOutcomeStatus   end_status;
  GError           *end_error;
};

KfSession      *_kf_session_new                 (KfClient                *client,
                                                 const KfProtocolMessage *key_msg);
KfClient       *_kf_session_ref_client          (KfSession               *self,
                                                 KfSessionPhase           latest,
                                                 GError                 **dropped);
const char     *_kf_session_peer_label          (KfSession               *self);
gboolean        _kf_session_explain_end         (KfSession               *self,
                                                 KfSessionWitness         witness,
                                                 KfOutcomeStatus          status,
                                                 GError                  *error);
GError         *_kf_session_explain_cancelled   (KfSession               *self,
                                                 const KfProtocolMessage *msg,
                                                 KfOutcomeStatus         *status,
                                                 KfSessionWitness        *witness);
void            _kf_session_record_result       (KfSession               *self,
                                                 const KfTransferResult  *result);
KfOutcome      *_kf_session_new_outcome         (KfSession               *self,
                                                 KfOutcomeStatus          status,
                                                 gboolean                 is_local,
                                                 const char              *message,
                                                 const GError            *error,
                                                 guint64                  sender_blocks,
                                                 guint64                  receiver_blocks);
KfOutcome      *_kf_session_recorded_outcome    (KfSession               *self);
gboolean        _kf_session_is_delivered        (KfSession               *self);
void            _kf_session_end                 (KfSession               *self,
                                                 KfOutcome               *outcome);
void            _kf_session_close               (KfSession               *self);
gboolean        _kf_session_take_link           (KfSession               *self,
                                                 KfPeerLink              *link,
                                                 GError                 **error);

G_END_DECLS
