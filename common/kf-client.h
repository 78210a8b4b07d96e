/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-cipher.h"
#include "kf-contacts.h"
#include "kf-identity.h"
#include "kf-known-servers.h"
#include "kf-offer.h"
#include "kf-outcome.h"
#include "kf-peer.h"

G_BEGIN_DECLS

#define KF_CLIENT_DEFAULT_PORT 7745

#define KF_CLIENT_ERROR (kf_client_error_quark ())

typedef enum
{
  KF_CLIENT_ERROR_UNKNOWN_SERVER,   /* first contact: needs the user's consent */
  KF_CLIENT_ERROR_SERVER_CHANGED,   /* pinned fingerprint differs: hard failure */
  KF_CLIENT_ERROR_CONNECT,          /* could not reach the key manager */
  KF_CLIENT_ERROR_AUTH_REQUIRED,    /* server wants a passphrase, none set */
  KF_CLIENT_ERROR_AUTH_FAILED,
  KF_CLIENT_ERROR_PROTOCOL,         /* the server said something we do not understand */
  KF_CLIENT_ERROR_REFUSED,          /* err line from the server; message has its text */
  KF_CLIENT_ERROR_BAD_STATE,        /* call not allowed in the current state */
  KF_CLIENT_ERROR_NO_SUCH_PEER,     /* conn: peer not waiting (lost the race, left) */
  KF_CLIENT_ERROR_DISCONNECTED,     /* the key manager went away */
  KF_CLIENT_ERROR_NAME_OWNED,       /* another identity owns this display name */
  KF_CLIENT_ERROR_NOT_ENROLLED,     /* enrolment closed, this identity unknown */
  KF_CLIENT_ERROR_IDENTITY,         /* the peer proved another identity than the one named */
} KfClientError;

typedef enum
{
  KF_CLIENT_STATE_DISCONNECTED,
  KF_CLIENT_STATE_CONNECTING,
  KF_CLIENT_STATE_RECONNECTING,
  KF_CLIENT_STATE_IDLE,           /* greeted: may wait, send, conn, end */
  KF_CLIENT_STATE_WAITING,        /* listed for senders */
  KF_CLIENT_STATE_CONFIRMING,     /* holds key material, confirming it */
  KF_CLIENT_STATE_LINKING,        /* receiver listening / sender connecting */
  KF_CLIENT_STATE_READY_TO_SEND,  /* sender: link up, waiting for the file (step 8) */
  KF_CLIENT_STATE_OFFERED,        /* receiver: offer shown, waiting for accept/decline */
  KF_CLIENT_STATE_TRANSFERRING,
  KF_CLIENT_STATE_REPORTING,      /* counts reported, waiting for the verdict */
} KfClientState;

typedef enum
{
  KF_CLIENT_ROLE_NONE,
  KF_CLIENT_ROLE_SENDER,
  KF_CLIENT_ROLE_RECEIVER,
} KfClientRole;

#define KF_TYPE_CLIENT_STATE (kf_client_state_get_type ())
#define KF_TYPE_CLIENT_ROLE  (kf_client_role_get_type ())
#define KF_TYPE_CLIENT       (kf_client_get_type ())
G_DECLARE_FINAL_TYPE (KfClient, kf_client, KF, CLIENT, GObject)

GQuark          kf_client_error_quark              (void);
GType           kf_client_state_get_type           (void) G_GNUC_CONST;
GType           kf_client_role_get_type            (void) G_GNUC_CONST;

KfClient       *kf_client_new                      (const char           *host,
                                                    guint16               port,
                                                    const char           *name,
                                                    KfKnownServers       *known_servers);

void            kf_client_set_expected_fingerprint (KfClient             *self,
                                                    const char           *fingerprint);
void            kf_client_set_passphrase           (KfClient             *self,
                                                    const char           *passphrase);
void            kf_client_set_identity             (KfClient             *self,
                                                    KfIdentity           *identity);
KfIdentity     *kf_client_get_identity             (KfClient             *self);
void            kf_client_set_contacts             (KfClient             *self,
                                                    KfContacts           *contacts);
KfContacts     *kf_client_get_contacts             (KfClient             *self);
void            kf_client_set_peer_ports           (KfClient             *self,
                                                    guint16               first,
                                                    guint16               last);
void            kf_client_set_idle_timeout         (KfClient             *self,
                                                    guint                 seconds);

KfClientState   kf_client_get_state                (KfClient             *self);
guint           kf_client_get_client_id            (KfClient             *self);
const char     *kf_client_get_host                 (KfClient             *self);
guint16         kf_client_get_port                 (KfClient             *self);
const char     *kf_client_get_name                 (KfClient             *self);
const char     *kf_client_get_fingerprint          (KfClient             *self);
KfClientRole    kf_client_get_role                 (KfClient             *self);
guint           kf_client_get_peer_id              (KfClient             *self);
const char     *kf_client_get_peer_name            (KfClient             *self);
const guint8   *kf_client_get_peer_identity        (KfClient             *self);
const guint8   *kf_client_get_peer_public_key      (KfClient             *self);
KfCipherMode    kf_client_get_mode                 (KfClient             *self);
const char     *kf_client_get_last_error           (KfClient             *self);
KfOffer        *kf_client_get_offer                (KfClient             *self);
gboolean        kf_client_get_watching             (KfClient             *self);
gboolean        kf_client_is_connected             (KfClient             *self);
gboolean        kf_client_is_in_session            (KfClient             *self);
GListModel     *kf_client_get_peers                (KfClient             *self);

void            kf_client_connect_async            (KfClient             *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        kf_client_connect_finish           (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean        kf_client_trust_fingerprint        (KfClient             *self,
                                                    const char           *fingerprint,
                                                    GError              **error);

void            kf_client_wait_async               (KfClient             *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        kf_client_wait_finish              (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            kf_client_stop_waiting_async       (KfClient             *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
void            kf_client_block_async              (KfClient             *self,
                                                    const guint8         *public_key,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        kf_client_block_finish             (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean        kf_client_stop_waiting_finish      (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

void            kf_client_list_peers_async         (KfClient             *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GPtrArray      *kf_client_list_peers_finish        (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

void            kf_client_set_watching             (KfClient             *self,
                                                    gboolean              watching);

void            kf_client_conn_async               (KfClient             *self,
                                                    guint                 peer_id,
                                                    KfCipherMode          mode,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        kf_client_conn_finish              (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    gboolean             *session_started,
                                                    GError              **error);

void            kf_client_send_files_async         (KfClient             *self,
                                                    GFile               **files,
                                                    guint                 n_files,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
KfOutcome      *kf_client_send_files_finish        (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            kf_client_send_file_async          (KfClient             *self,
                                                    GFile                *file,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
KfOutcome      *kf_client_send_file_finish         (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

gboolean        kf_client_accept_offer             (KfClient             *self,
                                                    GFile                *destination,
                                                    gboolean              overwrite,
                                                    GError              **error);
void            kf_client_decline_offer            (KfClient             *self);

void            kf_client_cancel                   (KfClient             *self);

void            kf_client_end_async                (KfClient             *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        kf_client_end_finish               (KfClient             *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
