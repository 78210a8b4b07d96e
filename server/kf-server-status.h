/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-server.h"

G_BEGIN_DECLS

/* The socket's name in its directory, and the snapshot's GVariant type:
 * (version, started and now in µs since the epoch,
 *  clients [(id, name, address, state, session id)],
 *  sessions [(id, mode, (sender id, phase), (receiver id, phase))],
 *  totals {name: count}). */
#define KF_SERVER_STATUS_SOCKET  "status.socket"
#define KF_SERVER_STATUS_MAGIC   "keyferry-status 1\n"
#define KF_SERVER_STATUS_TYPE    "(uxxa(tssss)a(ss(ts)(ts))a{st})"

#define KF_TYPE_SERVER_STATUS (kf_server_status_get_type ())

G_DECLARE_FINAL_TYPE (KfServerStatus, kf_server_status, KF, SERVER_STATUS, GSocketService)

char           *kf_server_status_dir      (const char  *runtime_dir,
                                           const char  *state_dir);
KfServerStatus *kf_server_status_new      (KfServer    *server,
                                           const char  *dir,
                                           GError     **error);
void            kf_server_status_stop     (KfServerStatus *self);
GVariant       *kf_server_status_snapshot (KfServer    *server);

G_END_DECLS
