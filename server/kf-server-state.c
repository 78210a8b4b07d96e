/* kf-server-state.c: the key manager's lasting state, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which identities the key manager knows, which display names they own,
 * whether enrolment is open, and an audit trail of the changes, kept in
 * STATE_DIR/keyferry-server.db (0600).  The running key manager and the
 * administrator's commands (`keyferry-server identities …`, `names …`,
 * `enrolment …`) open the same file at once: SQLite's locking keeps them
 * apart, WAL lets readers go on while one writes, and nothing is cached
 * here, so a change made by the administrator applies to the next client.
 *
 * Every change of ownership or admission is one transaction written with
 * synchronous=FULL, so that once a client is told a name is its own, a
 * crash or a power cut cannot give the name to someone else.  The
 * schema's version is PRAGMA user_version (KF_SERVER_STATE_SCHEMA); a
 * file from a newer keyferry-server is refused rather than guessed at.
 *
 *   identities (id, public_key UNIQUE, code UNIQUE, first_seen, last_seen,
 *               added_by_admin, added_at)
 *   names      (folded PRIMARY KEY, display, owner → identities ON DELETE CASCADE,
 *               registered_at)
 *   settings   (key PRIMARY KEY, value)          enrolment = open | closed
 *   audit      (id, at, event, code, name, detail)
 *
 * Times are Unix seconds.  A public key is 64 lower-case hex digits; an
 * identity the administrator added by its code alone has no key until it
 * first connects, and then it is admitted by its code.
 *
 * This file holds the file itself (opening, the schema, the SQL helpers
 * of kf-server-state-private.h) and what the running key manager asks of
 * it: admission and names.  The administrator's changes and listings are
 * in kf-server-state-admin.c.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kf-name-fold.h"
#include "kf-server-state-private.h"

/* How long a write waits for another process's lock before failing. */
#define BUSY_TIMEOUT_MS 5000

G_DEFINE_TYPE (KfServerState, kf_server_state, G_TYPE_OBJECT)
G_DEFINE_QUARK (kf-server-state-error-quark, kf_server_state_error)

static const char schema_v1[] =
  "CREATE TABLE identities ("
  "  id INTEGER PRIMARY KEY,"
  "  public_key TEXT UNIQUE,"
  "  code TEXT NOT NULL UNIQUE,"
  "  first_seen INTEGER,"
  "  last_seen INTEGER,"
  "  added_by_admin INTEGER NOT NULL DEFAULT 0,"
  "  added_at INTEGER NOT NULL);"
  "CREATE TABLE names ("
  "  folded TEXT PRIMARY KEY,"
  "  display TEXT NOT NULL,"
  "  owner INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,"
  "  registered_at INTEGER NOT NULL);"
  "CREATE INDEX names_owner ON names (owner);"
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO settings VALUES ('enrolment', 'open');"
  "CREATE TABLE audit ("
  "  id INTEGER PRIMARY KEY,"
  "  at INTEGER NOT NULL,"
  "  event TEXT NOT NULL,"
  "  code TEXT,"
  "  name TEXT,"
  "  detail TEXT);"
  "PRAGMA user_version = 1;";

static void
kf_server_state_finalize (GObject *object)
{
  KfServerState *self = KF_SERVER_STATE (object);

  sqlite3_close_v2 (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (kf_server_state_parent_class)->finalize (object);
}

static void
kf_server_state_class_init (KfServerStateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_state_finalize;
}

static void
kf_server_state_init (KfServerState *self)
{
}

/* Sets @error from the database's last error; returns %FALSE. */
gboolean
_kf_server_state_fail (KfServerState  *self,
                       GError        **error)
{
  g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_DATABASE,
               _("The key manager's database %s failed: %s"),
               self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
exec (KfServerState  *self,
      const char     *sql,
      GError        **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return _kf_server_state_fail (self, error);
  return TRUE;
}

static sqlite3_stmt *
prepare_valist (KfServerState  *self,
                GError        **error,
                const char     *sql,
                const char     *fmt,
                va_list         args)
{
  sqlite3_stmt *stmt = NULL;
  int rc = SQLITE_OK;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      _kf_server_state_fail (self, error);
      return NULL;
    }
  for (int i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++)
    {
      if (fmt[i] == 's')
        rc = sqlite3_bind_text (stmt, i + 1, va_arg (args, const char *), -1, SQLITE_TRANSIENT);
      else
        rc = sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
    }
  if (rc != SQLITE_OK)
    {
      _kf_server_state_fail (self, error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* A statement with its parameters bound from @fmt: 's' a string (or
 * NULL), 'i' a gint64.  %NULL with @error. */
sqlite3_stmt *
_kf_server_state_prepare (KfServerState  *self,
                          GError        **error,
                          const char     *sql,
                          const char     *fmt,
                          ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, fmt);
  stmt = prepare_valist (self, error, sql, fmt, args);
  va_end (args);
  return stmt;
}

/* Runs @sql, a statement that returns no rows, with its parameters bound
 * from @fmt as _kf_server_state_prepare() binds them. */
gboolean
_kf_server_state_write (KfServerState  *self,
                        GError        **error,
                        const char     *sql,
                        const char     *fmt,
                        ...)
{
  sqlite3_stmt *stmt;
  va_list args;
  int rc;

  va_start (args, fmt);
  stmt = prepare_valist (self, error, sql, fmt, args);
  va_end (args);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return _kf_server_state_fail (self, error);
  return TRUE;
}

/* A durable write: synchronous=FULL, BEGIN IMMEDIATE (the write lock at
 * once, so that the reads inside see what the write changes). */
gboolean
_kf_server_state_begin (KfServerState  *self,
                        GError        **error)
{
  return exec (self, "PRAGMA synchronous = FULL", error)
         && exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
_kf_server_state_commit (KfServerState  *self,
                         GError        **error)
{
  if (!exec (self, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return exec (self, "PRAGMA synchronous = NORMAL", error);
}

/* Ends a failed write; returns %FALSE for the caller's convenience. */
gboolean
_kf_server_state_rollback (KfServerState *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_exec (self->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  return FALSE;
}

/* Appends one row to the audit table (kf_server_state_audit()). */
gboolean
_kf_server_state_audit (KfServerState  *self,
                        const char     *event,
                        const char     *code,
                        const char     *name,
                        const char     *detail,
                        GError        **error)
{
  return _kf_server_state_write (self, error,
                                 "INSERT INTO audit (at, event, code, name, detail) "
                                 "VALUES (?, ?, ?, ?, ?)", "issss",
                                 g_get_real_time () / G_USEC_PER_SEC, event, code, name, detail);
}

/* Creates the schema in an empty file, or checks the file's version. */
static gboolean
migrate (KfServerState  *self,
         GError        **error)
{
  sqlite3_stmt *stmt = _kf_server_state_prepare (self, error, "PRAGMA user_version", "");
  gint64 version;

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_finalize (stmt);
      return _kf_server_state_fail (self, error);
    }
  version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (version > KF_SERVER_STATE_SCHEMA)
    {
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NEWER,
                   _("The key manager's database %s was written by a newer keyferry-server "
                     "(schema %lld); run that version, or restore a backup"),
                   self->path, (long long) version);
      return FALSE;
    }
  if (version == KF_SERVER_STATE_SCHEMA)
    return TRUE;
  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if (!exec (self, schema_v1, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/* Creates @path 0600 unless it exists, so that SQLite (and its -wal and
 * -shm files, which copy the file's mode) never make it readable. */
static gboolean
create_private (const char  *path,
                GError     **error)
{
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  int saved = errno;

  if (fd < 0)
    {
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_DATABASE,
                   _("Cannot open the key manager's database %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/*
 * kf_server_state_open:
 * @state_dir: the key manager's state directory (created 0700 if missing)
 *
 * Opens STATE_DIR/keyferry-server.db, creating it and its schema when
 * missing, in WAL mode with foreign keys on and a 5 s wait for another
 * process's lock.  Returns %NULL with @error when the file cannot be
 * opened, is not a database, or was written by a newer schema
 * (%KF_SERVER_STATE_ERROR_NEWER).
 */
KfServerState *
kf_server_state_open (const char  *state_dir,
                      GError     **error)
{
  g_autoptr(KfServerState) self = g_object_new (KF_TYPE_SERVER_STATE, NULL);

  g_return_val_if_fail (state_dir != NULL, NULL);

  self->path = g_build_filename (state_dir, KF_SERVER_STATE_FILE, NULL);
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_DATABASE,
                   _("Cannot create the state directory %s: %s"), state_dir, g_strerror (saved));
      return NULL;
    }
  if (!create_private (self->path, error))
    return NULL;
  if (sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      _kf_server_state_fail (self, error);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  if (!exec (self, "PRAGMA journal_mode = WAL", error)
      || !exec (self, "PRAGMA foreign_keys = ON", error)
      || !exec (self, "PRAGMA synchronous = NORMAL", error)
      || !migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
kf_server_state_get_path (KfServerState *self)
{
  g_return_val_if_fail (KF_IS_SERVER_STATE (self), NULL);

  return self->path;
}

/* The enrolment setting, read inside the caller's transaction if any. */
gboolean
_kf_server_state_read_enrolment (KfServerState  *self,
                                 gboolean       *open,
                                 GError        **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = _kf_server_state_prepare (self, error,
                                   "SELECT value FROM settings WHERE key = 'enrolment'", "");
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  *open = rc != SQLITE_ROW
          || g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "closed") != 0;
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _kf_server_state_fail (self, error);
  return TRUE;
}

/* The row id of the identity with @code (and its key into @key, which
 * may be NULL), 0 when there is none, -1 with @error. */
gint64
_kf_server_state_find_identity (KfServerState  *self,
                                const char     *code,
                                char          **key,
                                GError        **error)
{
  sqlite3_stmt *stmt;
  gint64 id = 0;
  int rc;

  stmt = _kf_server_state_prepare (self, error,
                                   "SELECT id, public_key FROM identities WHERE code = ?",
                                   "s", code);
  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      if (key != NULL)
        *key = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _kf_server_state_fail (self, error);
      return -1;
    }
  return id;
}

/* The admission of an identity this file already has. */
static gboolean
admit_known (KfServerState  *self,
             gint64          id,
             const char     *known_key,
             const char     *public_key,
             const char     *code,
             GError        **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (known_key != NULL && strcmp (known_key, public_key) != 0)
    {
      /* Two keys with one 80-bit code: never by chance. */
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_ENROLLED,
                   _("Another key already has the identity code %s"), code);
      return FALSE;
    }
  if (known_key == NULL
      && !_kf_server_state_audit (self, "identity-first-seen", code, NULL, public_key, error))
    return FALSE;
  return _kf_server_state_write (self, error,
                                 "UPDATE identities SET public_key = ?, last_seen = ?, "
                                 "first_seen = coalesce (first_seen, ?) WHERE id = ?",
                                 "siii", public_key, now, now, id);
}

/*
 * kf_server_state_admit:
 * @public_key: the connecting client's key, 64 lower-case hex digits
 * @code: its identity code (kf_identity_code_for_key())
 *
 * Decides whether a client that proved @public_key may use this key
 * manager: a known identity always may (its last-seen time is updated;
 * one the administrator added by code gets its key now); an unknown one
 * only while enrolment is open, and is then remembered.  Returns %FALSE
 * with %KF_SERVER_STATE_ERROR_NOT_ENROLLED when enrolment is closed and
 * the identity unknown, or another error when the database fails.
 */
gboolean
kf_server_state_admit (KfServerState  *self,
                       const char     *public_key,
                       const char     *code,
                       GError        **error)
{
  g_autofree char *known_key = NULL;
  gboolean open;
  gint64 id;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);
  g_return_val_if_fail (public_key != NULL && code != NULL, FALSE);

  /* The common case, a known identity coming back, only notes the time:
   * no durable transaction (and no fsync) on every connection. */
  if ((id = _kf_server_state_find_identity (self, code, &known_key, error)) < 0)
    return FALSE;
  if (id > 0 && g_strcmp0 (known_key, public_key) == 0)
    return _kf_server_state_write (self, error, "UPDATE identities SET last_seen = ? WHERE id = ?",
                                   "ii", g_get_real_time () / G_USEC_PER_SEC, id);
  g_clear_pointer (&known_key, g_free);

  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if ((id = _kf_server_state_find_identity (self, code, &known_key, error)) < 0)
    return _kf_server_state_rollback (self);
  if (id > 0)
    {
      if (!admit_known (self, id, known_key, public_key, code, error))
        return _kf_server_state_rollback (self);
      return _kf_server_state_commit (self, error);
    }
  if (!_kf_server_state_read_enrolment (self, &open, error))
    return _kf_server_state_rollback (self);
  if (!open)
    {
      _kf_server_state_rollback (self);
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_ENROLLED,
                   _("This key manager admits only the identities it knows, and %s is not "
                     "one of them: ask its administrator to add it"), code);
      return FALSE;
    }
  if (!_kf_server_state_write (self, error,
                               "INSERT INTO identities (public_key, code, first_seen, last_seen, "
                               "added_at) VALUES (?, ?, ?, ?, ?)", "ssiii", public_key, code,
                               g_get_real_time () / G_USEC_PER_SEC,
                               g_get_real_time () / G_USEC_PER_SEC,
                               g_get_real_time () / G_USEC_PER_SEC)
      || !_kf_server_state_audit (self, "identity-enrolled", code, NULL, public_key, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/* The code of the identity that owns the name folded to @folded, or %NULL
 * (and no error) when nobody does. */
static gboolean
find_owner (KfServerState  *self,
            const char     *folded,
            char          **owner_key,
            char          **owner_code,
            GError        **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = _kf_server_state_prepare (self, error,
                                   "SELECT i.public_key, i.code FROM names n "
                                   "JOIN identities i ON i.id = n.owner WHERE n.folded = ?",
                                   "s", folded);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *owner_key = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *owner_code = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _kf_server_state_fail (self, error);
  return TRUE;
}

/*
 * kf_server_state_claim_name:
 * @public_key: an admitted identity's key (kf_server_state_admit())
 * @name: the display name it asks for, a valid protocol name
 *
 * Gives @name to @public_key's identity when no identity owns a name that
 * folds (kf_name_fold()) to the same, and succeeds when it owns it
 * already.  Returns %FALSE with %KF_SERVER_STATE_ERROR_NAME_OWNED when
 * another identity owns it, %KF_SERVER_STATE_ERROR_NOT_FOUND when
 * @public_key was never admitted, or a database error.
 */
gboolean
kf_server_state_claim_name (KfServerState  *self,
                            const char     *public_key,
                            const char     *name,
                            GError        **error)
{
  g_autofree char *folded = NULL;
  g_autofree char *owner_key = NULL;
  g_autofree char *owner_code = NULL;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);
  g_return_val_if_fail (public_key != NULL && name != NULL, FALSE);

  folded = kf_name_fold (name);
  if (folded == NULL || *folded == '\0')
    {
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND,
                   _("The name is empty once spaces and invisible characters are removed: "
                     "choose another name"));
      return FALSE;
    }
  /* The common case, an identity using its own name again: no write. */
  if (!find_owner (self, folded, &owner_key, &owner_code, error))
    return FALSE;
  if (owner_key != NULL && strcmp (owner_key, public_key) == 0)
    return TRUE;
  g_clear_pointer (&owner_key, g_free);
  g_clear_pointer (&owner_code, g_free);

  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if (!find_owner (self, folded, &owner_key, &owner_code, error))
    return _kf_server_state_rollback (self);
  if (owner_key != NULL && strcmp (owner_key, public_key) == 0)
    return _kf_server_state_commit (self, error);
  if (owner_code != NULL)
    {
      _kf_server_state_rollback (self);
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NAME_OWNED,
                   _("The name “%s” (or one that looks the same) belongs to another identity "
                     "on this key manager: choose another name"), name);
      return FALSE;
    }
  if (!_kf_server_state_write (self, error,
                               "INSERT INTO names (folded, display, owner, registered_at) "
                               "SELECT ?, ?, id, ? FROM identities WHERE public_key = ?", "ssis",
                               folded, name, g_get_real_time () / G_USEC_PER_SEC, public_key))
    return _kf_server_state_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      _kf_server_state_rollback (self);
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND,
                   _("The identity was never admitted by this key manager"));
      return FALSE;
    }
  if (!_kf_server_state_audit (self, "name-registered", NULL, name, public_key, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/*
 * kf_server_state_audit:
 * @event: what happened, one word (`session-end`, `conn-limited`…)
 * @code, @name, @detail: (nullable): who and what
 *
 * Appends one row to the audit table.
 */
gboolean
kf_server_state_audit (KfServerState  *self,
                       const char     *event,
                       const char     *code,
                       const char     *name,
                       const char     *detail,
                       GError        **error)
{
  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  return _kf_server_state_audit (self, event, code, name, detail, error);
}

