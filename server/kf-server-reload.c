/* kf-server-reload.c: new settings for a running key manager
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A reload (SIGHUP, kf-server-main.c) hands KfServer new limits,
 * timeouts and a new admission passphrase.  Hashing a passphrase takes a
 * quarter of a second, so the new KfServerAdmission is made in a worker
 * thread; kf_server_reload_finish() then applies it all at once through
 * _kf_server_apply_reload() (kf-server.c), on the server's main context.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-secure.h"
#include "kf-server-private.h"

typedef struct
{
  KfServerConfig  config;
  char           *passphrase;   /* secure memory */
} Reload;

static void
reload_free (Reload *reload)
{
  kf_server_config_clear (&reload->config);
  kf_secure_strfree (reload->passphrase);
  g_free (reload);
}

/* In a worker: hashing a passphrase costs what Argon2id costs (0.25 s,
 * 64 MiB), which the main loop should not wait for. */
static void
reload_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Reload *reload = task_data;
  GError *error = NULL;
  KfServerAdmission *admission = kf_server_admission_new (reload->passphrase, &reload->config,
                                                          &error);

  if (admission == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, admission, g_object_unref);
}

/*
 * kf_server_reload_async:
 * @config: the new settings; copied
 * @passphrase: (nullable): the new admission passphrase (or stored hash,
 *   as @config->passphrase_is_hash says), as for kf_server_new(); copied
 *
 * Prepares the new admission off the main loop, then takes the new
 * limits, timeouts and admission for what comes next: connections
 * accepted from then on, greetings and sessions that start from then on.
 * Connected clients and running sessions keep going under the deadlines
 * they already have.  The state directory and the audit log stay the ones
 * the server started with.  Failed passphrase checks are forgotten with
 * the old passphrase.
 */
void
kf_server_reload_async (KfServer             *self,
                        const KfServerConfig *config,
                        const char           *passphrase,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  Reload *reload;

  g_return_if_fail (KF_IS_SERVER (self));
  g_return_if_fail (config != NULL);

  reload = g_new0 (Reload, 1);
  reload->config = *config;
  reload->config.state_dir = g_strdup (config->state_dir);
  reload->config.audit_log = g_strdup (config->audit_log);
  reload->passphrase = kf_secure_strdup (passphrase);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_server_reload_async);
  g_task_set_task_data (task, reload, (GDestroyNotify) reload_free);
  /* Never a server without a passphrase for want of secure memory. */
  if (passphrase != NULL && reload->passphrase == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("Out of secure memory"));
      return;
    }
  g_task_run_in_thread (task, reload_in_thread);
}

/*
 * kf_server_reload_finish:
 *
 * Returns: %FALSE with @error, and nothing changed, when the passphrase
 * could not be hashed or the stored hash is unusable.
 */
gboolean
kf_server_reload_finish (KfServer      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_autoptr(KfServerAdmission) admission = NULL;
  Reload *reload;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  admission = g_task_propagate_pointer (G_TASK (result), error);
  if (admission == NULL)
    return FALSE;
  reload = g_task_get_task_data (G_TASK (result));
  _kf_server_apply_reload (self, &reload->config, admission);
  return TRUE;
}
