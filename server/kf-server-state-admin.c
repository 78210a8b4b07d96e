/* kf-server-state-admin.c: the administrator's side of KfServerState
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What `keyferry-server identities …`, `names …` and `enrolment …`
 * (kf-server-admin.c) change and list in the key manager's database:
 * enrolment open or closed, identities added and removed, names released,
 * and the lists of identities and names.  Each change is one durable
 * transaction with its audit row, made with the helpers of
 * kf-server-state-private.h; the file, its schema and the running key
 * manager's admission and names are in kf-server-state.c.
 */

#include "config.h"

#include <sqlite3.h>
#include <glib/gi18n.h>

#include "kf-name-fold.h"
#include "kf-server-state-private.h"

/*
 * kf_server_state_get_enrolment_open:
 *
 * Returns: %TRUE when unknown identities are admitted (the default);
 * %FALSE when enrolment is closed or on error (with @error set).
 */
gboolean
kf_server_state_get_enrolment_open (KfServerState  *self,
                                    GError        **error)
{
  gboolean open = FALSE;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);

  return _kf_server_state_read_enrolment (self, &open, error) && open;
}

/*
 * kf_server_state_set_enrolment_open:
 *
 * Opens or closes enrolment, for every later client.
 */
gboolean
kf_server_state_set_enrolment_open (KfServerState  *self,
                                    gboolean        open,
                                    GError        **error)
{
  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);

  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if (!_kf_server_state_write (self, error,
                               "INSERT OR REPLACE INTO settings VALUES ('enrolment', ?)", "s",
                               open ? "open" : "closed")
      || !_kf_server_state_audit (self, open ? "enrolment-opened" : "enrolment-closed",
                                  NULL, NULL, NULL, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/*
 * kf_server_state_add_identity:
 * @public_key: (nullable): the key, when the administrator has it
 * @code: its identity code (of @public_key, when given)
 *
 * Lets an identity in while enrolment is closed.  Returns %FALSE with
 * %KF_SERVER_STATE_ERROR_EXISTS when it is already known.
 */
gboolean
kf_server_state_add_identity (KfServerState  *self,
                              const char     *public_key,
                              const char     *code,
                              GError        **error)
{
  gint64 id;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if ((id = _kf_server_state_find_identity (self, code, NULL, error)) < 0)
    return _kf_server_state_rollback (self);
  if (id > 0)
    {
      _kf_server_state_rollback (self);
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_EXISTS,
                   _("The identity %s is already known to this key manager"), code);
      return FALSE;
    }
  if (!_kf_server_state_write (self, error,
                               "INSERT INTO identities (public_key, code, added_by_admin, "
                               "added_at) VALUES (?, ?, 1, ?)", "ssi", public_key, code,
                               g_get_real_time () / G_USEC_PER_SEC)
      || !_kf_server_state_audit (self, "identity-added", code, NULL, public_key, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/*
 * kf_server_state_remove_identity:
 *
 * Forgets the identity with @code and releases every name it owns.  While
 * enrolment is open it is enrolled again when it next connects.  Returns
 * %FALSE with %KF_SERVER_STATE_ERROR_NOT_FOUND when it is not known.
 */
gboolean
kf_server_state_remove_identity (KfServerState  *self,
                                 const char     *code,
                                 GError        **error)
{
  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if (!_kf_server_state_write (self, error, "DELETE FROM identities WHERE code = ?", "s", code))
    return _kf_server_state_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      _kf_server_state_rollback (self);
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND,
                   _("No identity %s is known to this key manager (see keyferry-server "
                     "identities list)"), code);
      return FALSE;
    }
  if (!_kf_server_state_audit (self, "identity-removed", code, NULL, NULL, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/*
 * kf_server_state_release_name:
 *
 * Releases the name that folds as @name does, so that the next identity
 * to ask for it gets it.  Returns %FALSE with
 * %KF_SERVER_STATE_ERROR_NOT_FOUND when no identity owns it.
 */
gboolean
kf_server_state_release_name (KfServerState  *self,
                              const char     *name,
                              GError        **error)
{
  g_autofree char *folded = NULL;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  folded = kf_name_fold (name);
  if (!_kf_server_state_begin (self, error))
    return FALSE;
  if (!_kf_server_state_write (self, error, "DELETE FROM names WHERE folded = ?", "s",
                               folded != NULL ? folded : ""))
    return _kf_server_state_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      _kf_server_state_rollback (self);
      g_set_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND,
                   _("No identity owns the name “%s” on this key manager (see "
                     "keyferry-server names list)"), name);
      return FALSE;
    }
  if (!_kf_server_state_audit (self, "name-released", NULL, name, NULL, error))
    return _kf_server_state_rollback (self);
  return _kf_server_state_commit (self, error);
}

/* The display names the identity @id owns, sorted. */
static char **
names_of (KfServerState  *self,
          gint64          id,
          GError        **error)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = _kf_server_state_prepare (self, error,
                                   "SELECT display FROM names WHERE owner = ? ORDER BY folded",
                                   "i", id);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (names, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _kf_server_state_fail (self, error);
      return NULL;
    }
  return g_strv_builder_end (names);
}

/*
 * kf_server_state_list_identities:
 *
 * Returns: (transfer full) (element-type KfServerStateIdentity): every
 * known identity, by code, or %NULL with @error.
 */
GPtrArray *
kf_server_state_list_identities (KfServerState  *self,
                                 GError        **error)
{
  g_autoptr(GPtrArray) list =
    g_ptr_array_new_with_free_func ((GDestroyNotify) kf_server_state_identity_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), NULL);

  stmt = _kf_server_state_prepare (self, error,
                                   "SELECT id, public_key, code, coalesce (first_seen, 0), "
                                   "coalesce (last_seen, 0), added_by_admin "
                                   "FROM identities ORDER BY code", "");
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KfServerStateIdentity *identity = g_new0 (KfServerStateIdentity, 1);

      g_ptr_array_add (list, identity);
      identity->public_key = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      identity->code = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      identity->first_seen = sqlite3_column_int64 (stmt, 3);
      identity->last_seen = sqlite3_column_int64 (stmt, 4);
      identity->added_by_admin = sqlite3_column_int (stmt, 5) != 0;
      identity->names = names_of (self, sqlite3_column_int64 (stmt, 0), error);
      if (identity->names == NULL)
        break;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      if (error == NULL || *error == NULL)
        _kf_server_state_fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&list);
}

/*
 * kf_server_state_list_names:
 *
 * Returns: (transfer full) (element-type KfServerStateName): every owned
 * name, by folded form, or %NULL with @error.
 */
GPtrArray *
kf_server_state_list_names (KfServerState  *self,
                            GError        **error)
{
  g_autoptr(GPtrArray) list =
    g_ptr_array_new_with_free_func ((GDestroyNotify) kf_server_state_name_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KF_IS_SERVER_STATE (self), NULL);

  stmt = _kf_server_state_prepare (self, error,
                                   "SELECT n.display, n.folded, i.code, n.registered_at "
                                   "FROM names n JOIN identities i ON i.id = n.owner "
                                   "ORDER BY n.folded", "");
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KfServerStateName *name = g_new0 (KfServerStateName, 1);

      name->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      name->folded = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      name->owner_code = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      name->registered_at = sqlite3_column_int64 (stmt, 3);
      g_ptr_array_add (list, name);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _kf_server_state_fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&list);
}

void
kf_server_state_identity_free (KfServerStateIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->public_key);
  g_free (identity->code);
  g_strfreev (identity->names);
  g_free (identity);
}

void
kf_server_state_name_free (KfServerStateName *name)
{
  if (name == NULL)
    return;
  g_free (name->name);
  g_free (name->folded);
  g_free (name->owner_code);
  g_free (name);
}
