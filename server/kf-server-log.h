/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-server-client.h"

G_BEGIN_DECLS

/* MESSAGE_ID of each kind of lifecycle message: stable, listed in
 * docs/LOGGING.md, so that `journalctl MESSAGE_ID=…` finds one kind. */
#define KF_LOG_STARTED            "1f857c0251804303b9e1241ee127f3a9"
#define KF_LOG_STOPPING           "54f25cb396124a0fb7de38e8227d4f6b"
#define KF_LOG_STOPPED            "de048bda3ed74291b995c4a714f1e121"
#define KF_LOG_RELOADED           "4074ace6bdf34cbfae5a9f81dbfc3514"
#define KF_LOG_RELOAD_FAILED      "8eb40262599b42bcb55b074011658b91"
#define KF_LOG_CLIENT_JOINED      "7381bed1fa3740e69e044910989fe91a"
#define KF_LOG_CLIENT_LEFT        "ef6c649d76da4f4ea4b22f8cf2dbe473"
#define KF_LOG_SESSION_STARTED    "63e9b7c8cc2f4b028dea73e36b803073"
#define KF_LOG_SESSION_FINISHED   "c6c8272f08e34181b9f4b73d46ebc909"
#define KF_LOG_SESSION_CANCELLED  "2cb2fb69fc3044b99a85c403fd617c05"
#define KF_LOG_ADMISSION_REFUSED  "31b24053a8be48bcb5652167aeddd4c8"
#define KF_LOG_AUTH_FAILED        "73f110138a8e4f7495af4b68ee1f6502"
#define KF_LOG_STATUS_REFUSED     "090463dd57294cc587203f22f1937d55"

/* One structured message; every field but the level, the id and the text
 * may be left 0 or %NULL, and is then not logged. */
typedef struct
{
  GLogLevelFlags  level;        /* 0 means G_LOG_LEVEL_MESSAGE */
  const char     *message_id;   /* MESSAGE_ID */
  guint64         client_id;    /* KF_CLIENT_ID */
  const char     *client_name;  /* KF_CLIENT_NAME */
  const char     *address;      /* KF_ADDRESS */
  guint64         peer_id;      /* KF_PEER_ID: a session's receiver */
  const char     *session_id;   /* KF_SESSION_ID */
  const char     *outcome;      /* KF_OUTCOME */
} KfServerLogEvent;

void kf_server_log_event    (const KfServerLogEvent *event,
                             const char             *format,
                             ...) G_GNUC_PRINTF (2, 3);
void kf_server_log          (const char             *message_id,
                             KfServerClient         *client,
                             const char             *session_id,
                             const char             *format,
                             ...) G_GNUC_PRINTF (4, 5);
void kf_server_log_use_json (void);
void kf_server_append_json  (GString                *out,
                             const char             *text,
                             gssize                  len);

G_END_DECLS
