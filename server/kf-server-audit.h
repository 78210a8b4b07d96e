/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KfServerAudit KfServerAudit;

/* One finished (or abandoned) session, as the audit log records it. */
typedef struct
{
  const char *session_id;
  guint64     sender_id;
  const char *sender_name;
  guint64     receiver_id;
  const char *receiver_name;
  const char *mode;
  gboolean    reported[2];     /* [0] sender, [1] receiver */
  guint64     blocks[2];
  const char *outcome;         /* ok, mismatch, digest-mismatch, cancelled */
  const char *reason;          /* why it was cancelled, or NULL */
} KfServerAuditRecord;

KfServerAudit *kf_server_audit_open   (const char                *path,
                                       GError                   **error);
void           kf_server_audit_record (KfServerAudit             *self,
                                       const KfServerAuditRecord *record);
void           kf_server_audit_free   (KfServerAudit             *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfServerAudit, kf_server_audit_free)

G_END_DECLS
