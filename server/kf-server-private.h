/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-server.h"
#include "kf-server-admission.h"
#include "kf-server-audit.h"
#include "kf-server-client.h"
#include "kf-server-rate.h"
#include "kf-server-registry.h"
#include "kf-server-state.h"

G_BEGIN_DECLS

/* Counts since the server was created, for `keyferry-server --status`. */
typedef struct
{
  gint64  started;              /* g_get_real_time() at kf_server_new() */
  guint64 clients_served;       /* greeted */
  guint64 sessions_started;
  guint64 sessions_confirmed;   /* verdict ok */
  guint64 sessions_failed;      /* any other verdict */
  guint64 sessions_cancelled;
  guint64 blocks_confirmed;     /* the senders' blocks of confirmed sessions */
  guint64 connections_refused;  /* by a limit */
  guint64 auth_failures;        /* wrong passphrase, or too many checks */
} KfServerTotals;

/* KfServer's private calls, shared by the files of the class
 * (kf-server.c, kf-server-greeting.c, kf-server-commands.c,
 * kf-server-reload.c); KfServerStatus (kf-server-status.c) reads the
 * connections and totals through them, and the detached tests and the
 * server-sm fuzzer drive the server through them too. */
KfServerRegistry     *_kf_server_get_registry      (KfServer              *self);
KfServerAdmission    *_kf_server_get_admission     (KfServer              *self);
KfServerState        *_kf_server_get_state         (KfServer              *self);
KfServerRate         *_kf_server_get_conn_rate     (KfServer              *self);
const KfServerConfig *_kf_server_get_config        (KfServer              *self);
KfServerTimers       *_kf_server_get_timers        (KfServer              *self);
KfServerTotals       *_kf_server_get_totals        (KfServer              *self);
GPtrArray            *_kf_server_list_connections  (KfServer              *self);
guint                 _kf_server_get_n_connections (KfServer              *self);
void                  _kf_server_apply_reload      (KfServer              *self,
                                                    const KfServerConfig  *config,
                                                    KfServerAdmission     *admission);
void                  _kf_server_register          (KfServer              *self,
                                                    KfServerClient        *client,
                                                    const char            *name);
KfServerSession      *_kf_server_open_session      (KfServer              *self,
                                                    KfCipherMode           mode,
                                                    GError               **error);
void                  _kf_server_handle_message    (KfServer              *self,
                                                    KfServerClient        *client,
                                                    KfProtocolMessage     *msg);

/* The greeting, kf-server-greeting.c. */
void                  _kf_server_greeting_start    (KfServer              *self,
                                                    KfServerClient        *client);
void                  _kf_server_greeting_auth     (KfServer              *self,
                                                    KfServerClient        *client,
                                                    KfProtocolMessage     *msg);
void                  _kf_server_greeting_hello    (KfServer              *self,
                                                    KfServerClient        *client,
                                                    KfProtocolMessage     *msg);

/* A way in without sockets, for tests and the fuzzer: detached clients
 * (kf_server_client_new_detached()) are added like connections. */
gboolean              _kf_server_add_client        (KfServer              *self,
                                                    KfServerClient        *client);

G_END_DECLS
