/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <sqlite3.h>

#include "kf-server-state.h"

G_BEGIN_DECLS

/* KfServerState is two files: kf-server-state.c (the file, its schema,
 * the SQL helpers, and what the running key manager asks: admission and
 * names) and kf-server-state-admin.c (the administrator's changes and
 * listings).  What they share: */

struct _KfServerState
{
  GObject  parent_instance;
  sqlite3 *db;
  char    *path;
};

gboolean      _kf_server_state_fail           (KfServerState  *self,
                                               GError        **error);
sqlite3_stmt *_kf_server_state_prepare        (KfServerState  *self,
                                               GError        **error,
                                               const char     *sql,
                                               const char     *fmt,
                                               ...);
gboolean      _kf_server_state_write          (KfServerState  *self,
                                               GError        **error,
                                               const char     *sql,
                                               const char     *fmt,
                                               ...);
gboolean      _kf_server_state_begin          (KfServerState  *self,
                                               GError        **error);
gboolean      _kf_server_state_commit         (KfServerState  *self,
                                               GError        **error);
gboolean      _kf_server_state_rollback       (KfServerState  *self);
gboolean      _kf_server_state_audit          (KfServerState  *self,
                                               const char     *event,
                                               const char     *code,
                                               const char     *name,
                                               const char     *detail,
                                               GError        **error);
gboolean      _kf_server_state_read_enrolment (KfServerState  *self,
                                               gboolean       *open,
                                               GError        **error);
gint64        _kf_server_state_find_identity  (KfServerState  *self,
                                               const char     *code,
                                               char          **key,
                                               GError        **error);

G_END_DECLS
