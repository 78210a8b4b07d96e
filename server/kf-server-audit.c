/* kf-server-audit.c: one line per session outcome
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The audit trail says who sent to whom, in which mode, the block counts
 * and the verdict or the reason a session ended.  It never holds keys,
 * file names or file contents: the key manager never sees the latter two
 * and the former are never passed here.  Lines are key=value words with
 * names URI-escaped, so each record is exactly one line whatever a client
 * calls itself.  Without a file the same line goes to the log (journald)
 * with the field KEYFERRY_AUDIT=1.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kf-protocol.h"
#include "kf-server-audit.h"

struct _KfServerAudit
{
  FILE *file;
};

/*
 * kf_server_audit_open:
 * @path: (nullable): the file to append to, created 0640 if missing; %NULL
 *   to send audit lines to the log only
 *
 * Returns: (transfer full): the audit trail, or %NULL with @error when
 * @path cannot be opened for appending.
 */
KfServerAudit *
kf_server_audit_open (const char  *path,
                      GError     **error)
{
  KfServerAudit *self = g_new0 (KfServerAudit, 1);
  int fd;

  if (path == NULL)
    return self;

  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd >= 0)
    self->file = fdopen (fd, "a");
  if (self->file == NULL)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the audit log %s: %s"), path, g_strerror (saved));
      g_free (self);
      return NULL;
    }

  return self;
}

static void
append_count (GString  *line,
              const char *key,
              gboolean  reported,
              guint64   blocks)
{
  if (reported)
    g_string_append_printf (line, " %s=%" G_GUINT64_FORMAT, key, blocks);
  else
    g_string_append_printf (line, " %s=-", key);
}

/* Builds the record's line, without a trailing newline. */
static char *
format_record (const KfServerAuditRecord *r)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format_iso8601 (now);
  g_autofree char *sender = kf_protocol_escape (r->sender_name ? r->sender_name : "");
  g_autofree char *receiver = kf_protocol_escape (r->receiver_name ? r->receiver_name : "");
  GString *line = g_string_new (time);

  g_string_append_printf (line, " session=%s sender=%" G_GUINT64_FORMAT "/%s"
                          " receiver=%" G_GUINT64_FORMAT "/%s mode=%s",
                          r->session_id, r->sender_id, sender, r->receiver_id, receiver,
                          r->mode);
  append_count (line, "sender_blocks", r->reported[0], r->blocks[0]);
  append_count (line, "receiver_blocks", r->reported[1], r->blocks[1]);
  g_string_append_printf (line, " outcome=%s", r->outcome);
  if (r->reason != NULL)
    {
      g_autofree char *reason = kf_protocol_escape (r->reason);

      g_string_append_printf (line, " reason=%s", reason);
    }

  return g_string_free (line, FALSE);
}

/*
 * kf_server_audit_record:
 *
 * Appends one line for @record and flushes it, so a crash loses nothing
 * that was recorded.  A failing write is logged as a warning; the session
 * outcome itself is not affected.
 */
void
kf_server_audit_record (KfServerAudit             *self,
                        const KfServerAuditRecord *record)
{
  g_autofree char *line = NULL;

  g_return_if_fail (self != NULL && record != NULL);

  line = format_record (record);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "KEYFERRY_AUDIT", "1",
                    "MESSAGE", "audit: %s", line);
  if (self->file == NULL)
    return;
  if (fprintf (self->file, "%s\n", line) < 0 || fflush (self->file) != 0)
    g_warning ("Could not write to the audit log: %s", g_strerror (errno));
}

/*
 * kf_server_audit_free:
 *
 * Closes the audit file.  %NULL is allowed.
 */
void
kf_server_audit_free (KfServerAudit *self)
{
  if (self == NULL)
    return;

  if (self->file != NULL)
    fclose (self->file);
  g_free (self);
}
