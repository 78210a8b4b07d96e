/* kf-file-store.c: a file of the client's own, private to this user
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The base of the contacts and the known servers: the file's path (the
 * subclass's default when none is given) and how it is written: whole and
 * atomically, mode 0600, in a folder of mode 0700.  What the file holds,
 * and the noun that names it in an error, belong to each store.
 */

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kf-file-store.h"

typedef struct
{
  char *path;
} KfFileStorePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (KfFileStore, kf_file_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
kf_file_store_get_path (KfFileStore *self)
{
  KfFileStorePrivate *priv = kf_file_store_get_instance_private (self);

  g_return_val_if_fail (KF_IS_FILE_STORE (self), NULL);

  return priv->path;
}

/*
 * kf_file_store_save:
 * @data: what the file holds
 * @len: the length of @data
 * @what: what the file holds, for a person, translated: a noun phrase
 *   that completes “Could not save …” (“your contacts”)
 *
 * Creates the file's folder (mode 0700) and replaces the file atomically
 * with @data, mode 0600.  Returns %FALSE, in the domain and code of the
 * cause, when either step fails: “Could not create the folder F for
 * @what: reason” or “Could not save @what: reason”.
 */
gboolean
kf_file_store_save (KfFileStore  *self,
                    const char   *data,
                    gsize         len,
                    const char   *what,
                    GError      **error)
{
  KfFileStorePrivate *priv = kf_file_store_get_instance_private (self);
  g_autofree char *dir = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (KF_IS_FILE_STORE (self), FALSE);
  g_return_val_if_fail (what != NULL, FALSE);

  dir = g_path_get_dirname (priv->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      /* Translators: the folder, then what it holds ("your contacts"),
       * then why. */
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s for %s: %s"), dir, what,
                   g_strerror (saved_errno));
      return FALSE;
    }

  if (!g_file_set_contents_full (priv->path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &local_error))
    {
      /* Translators: what the file holds ("your contacts"), then why. */
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not save %s: %s"), what, local_error->message);
      return FALSE;
    }

  return TRUE;
}

static void
kf_file_store_finalize (GObject *object)
{
  KfFileStore *self = KF_FILE_STORE (object);
  KfFileStorePrivate *priv = kf_file_store_get_instance_private (self);

  g_free (priv->path);

  G_OBJECT_CLASS (kf_file_store_parent_class)->finalize (object);
}

static void
kf_file_store_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KfFileStore *self = KF_FILE_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, kf_file_store_get_path (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_file_store_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  KfFileStore *self = KF_FILE_STORE (object);
  KfFileStorePrivate *priv = kf_file_store_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PATH:
      priv->path = g_value_dup_string (value);
      if (priv->path == NULL)
        priv->path = KF_FILE_STORE_GET_CLASS (self)->default_path ();
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_file_store_class_init (KfFileStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kf_file_store_finalize;
  object_class->get_property = kf_file_store_get_property;
  object_class->set_property = kf_file_store_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kf_file_store_init (KfFileStore *self)
{
}
