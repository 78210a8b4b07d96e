/* kf-secret.c: the admission passphrase in the user's keyring (libsecret), when there is one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#ifdef HAVE_LIBSECRET
#include <libsecret/secret.h>
#endif

#include "kf-secret.h"

#ifdef HAVE_LIBSECRET
static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "org.keyferry.Keyferry.Passphrase", SECRET_SCHEMA_NONE,
    {
      { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "port", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
      { NULL, 0 },
    }
  };

  return &schema;
}

static void
on_lookup (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *passphrase;

  passphrase = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_strdup (passphrase), (GDestroyNotify) kf_secret_free);
  secret_password_free (passphrase);
}

static void
on_store (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}
#endif

/* Returns TRUE when the app was built with libsecret. */
gboolean
kf_secret_is_available (void)
{
#ifdef HAVE_LIBSECRET
  return TRUE;
#else
  return FALSE;
#endif
}

/*
 * kf_secret_lookup_async:
 *
 * Looks up the stored passphrase for the key manager at @host:@port.
 * Without libsecret it completes at once with no passphrase.
 */
void
kf_secret_lookup_async (const char          *host,
                        guint16              port,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, kf_secret_lookup_async);
#ifdef HAVE_LIBSECRET
  secret_password_lookup (get_schema (), cancellable, on_lookup, g_steal_pointer (&task),
                          "host", host, "port", (int) port, NULL);
#else
  g_task_return_pointer (task, NULL, NULL);
#endif
}

/*
 * kf_secret_lookup_finish:
 *
 * Returns the passphrase (free with kf_secret_free()), or NULL: with
 * @error set when the keyring failed, without when none is stored.
 */
char *
kf_secret_lookup_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/*
 * kf_secret_store_async:
 *
 * Stores @passphrase for @host:@port in the keyring, or removes it when
 * @passphrase is empty.  Fails with G_IO_ERROR_NOT_SUPPORTED without
 * libsecret.
 */
void
kf_secret_store_async (const char          *host,
                       guint16              port,
                       const char          *passphrase,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, kf_secret_store_async);
#ifdef HAVE_LIBSECRET
  if (passphrase == NULL || passphrase[0] == '\0')
    {
      secret_password_clear (get_schema (), cancellable, NULL, NULL,
                             "host", host, "port", (int) port, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  {
    g_autofree char *label = g_strdup_printf (_("Keyferry passphrase for %s"), host);
    secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, passphrase,
                           cancellable, on_store, g_steal_pointer (&task),
                           "host", host, "port", (int) port, NULL);
  }
#else
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This build of Keyferry cannot store passphrases"));
#endif
}

gboolean
kf_secret_store_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Wipes and frees a passphrase from kf_secret_lookup_finish() or the user. */
void
kf_secret_free (char *passphrase)
{
  if (passphrase == NULL)
    return;
  explicit_bzero (passphrase, strlen (passphrase));
  g_free (passphrase);
}
