/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KF_TYPE_SERVER_STATE (kf_server_state_get_type ())
G_DECLARE_FINAL_TYPE (KfServerState, kf_server_state, KF, SERVER_STATE, GObject)

#define KF_SERVER_STATE_ERROR (kf_server_state_error_quark ())

typedef enum
{
  KF_SERVER_STATE_ERROR_DATABASE,      /* SQLite failed: the file, the disk, a lock held too long */
  KF_SERVER_STATE_ERROR_NEWER,         /* the file was made by a newer keyferry-server */
  KF_SERVER_STATE_ERROR_NAME_OWNED,    /* another identity owns the (folded) name */
  KF_SERVER_STATE_ERROR_NOT_ENROLLED,  /* enrolment is closed and the identity is unknown */
  KF_SERVER_STATE_ERROR_NOT_FOUND,     /* no such identity or name */
  KF_SERVER_STATE_ERROR_EXISTS,        /* the identity is already known */
} KfServerStateError;

/* The file in the state directory. */
#define KF_SERVER_STATE_FILE "keyferry-server.db"
/* PRAGMA user_version of the schema this build writes. */
#define KF_SERVER_STATE_SCHEMA 1

typedef struct
{
  char     *public_key;      /* 64 hex digits, or NULL: added by code, never connected */
  char     *code;            /* ABCD-EFGH-IJKL-MNOP */
  gint64    first_seen;      /* Unix seconds, 0: never connected */
  gint64    last_seen;
  gboolean  added_by_admin;
  char    **names;           /* the display names it owns */
} KfServerStateIdentity;

typedef struct
{
  char   *name;              /* as first registered */
  char   *folded;            /* kf_name_fold (name) */
  char   *owner_code;
  gint64  registered_at;
} KfServerStateName;

GQuark         kf_server_state_error_quark       (void);

KfServerState *kf_server_state_open              (const char     *state_dir,
                                                  GError        **error);
const char    *kf_server_state_get_path          (KfServerState  *self);

gboolean       kf_server_state_admit             (KfServerState  *self,
                                                  const char     *public_key,
                                                  const char     *code,
                                                  GError        **error);
gboolean       kf_server_state_claim_name        (KfServerState  *self,
                                                  const char     *public_key,
                                                  const char     *name,
                                                  GError        **error);

gboolean       kf_server_state_get_enrolment_open (KfServerState *self,
                                                   GError       **error);
gboolean       kf_server_state_set_enrolment_open (KfServerState *self,
                                                   gboolean       open,
                                                   GError       **error);
gboolean       kf_server_state_add_identity      (KfServerState  *self,
                                                  const char     *public_key,
                                                  const char     *code,
                                                  GError        **error);
gboolean       kf_server_state_remove_identity   (KfServerState  *self,
                                                  const char     *code,
                                                  GError        **error);
gboolean       kf_server_state_release_name      (KfServerState  *self,
                                                  const char     *name,
                                                  GError        **error);
GPtrArray     *kf_server_state_list_identities   (KfServerState  *self,
                                                  GError        **error);
GPtrArray     *kf_server_state_list_names        (KfServerState  *self,
                                                  GError        **error);
gboolean       kf_server_state_audit             (KfServerState  *self,
                                                  const char     *event,
                                                  const char     *code,
                                                  const char     *name,
                                                  const char     *detail,
                                                  GError        **error);

void           kf_server_state_identity_free     (KfServerStateIdentity *identity);
void           kf_server_state_name_free         (KfServerStateName     *name);

G_END_DECLS
