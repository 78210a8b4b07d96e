/* kf-peer.c: a waiting client, as the key manager lists it for senders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Immutable: the key manager's client id, the display name it chose and,
 * from a version 2 key manager, the identity it proved (its Ed25519
 * public key and identity code).  A GObject so that KfClient can keep the
 * waiting list in a GListModel.
 */

#include "config.h"

#include <string.h>

#include "kf-identity.h"
#include "kf-peer.h"

struct _KfPeer
{
  GObject  parent_instance;

  guint    id;
  char    *name;
  GBytes  *public_key;   /* NULL: the key manager named none */
  char    *code;
};

G_DEFINE_FINAL_TYPE (KfPeer, kf_peer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_PUBLIC_KEY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/*
 * kf_peer_new:
 *
 * Returns: (transfer full): a peer with the key manager's @id and @name.
 */
KfPeer *
kf_peer_new (guint       id,
             const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (KF_TYPE_PEER, "id", id, "name", name, NULL);
}

/*
 * kf_peer_new_with_key:
 * @public_key: (nullable): the identity the key manager says the peer
 *   proved, KF_IDENTITY_PUBLIC_KEY_SIZE bytes
 *
 * Returns: (transfer full): a peer with the key manager's @id, @name and
 * identity.
 */
KfPeer *
kf_peer_new_with_key (guint         id,
                      const char   *name,
                      const guint8 *public_key)
{
  g_autoptr(GBytes) key = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (public_key != NULL)
    key = g_bytes_new (public_key, KF_IDENTITY_PUBLIC_KEY_SIZE);
  return g_object_new (KF_TYPE_PEER, "id", id, "name", name, "public-key", key, NULL);
}

/*
 * kf_peer_get_public_key:
 *
 * Returns: (nullable): the peer's identity key, KF_IDENTITY_PUBLIC_KEY_SIZE
 * bytes, or %NULL when the key manager named none.
 */
const guint8 *
kf_peer_get_public_key (KfPeer *self)
{
  g_return_val_if_fail (KF_IS_PEER (self), NULL);

  return self->public_key != NULL ? g_bytes_get_data (self->public_key, NULL) : NULL;
}

/*
 * kf_peer_get_code:
 *
 * Returns: (nullable): the identity code of the peer's key, or %NULL.
 */
const char *
kf_peer_get_code (KfPeer *self)
{
  g_return_val_if_fail (KF_IS_PEER (self), NULL);

  return self->code;
}

guint
kf_peer_get_id (KfPeer *self)
{
  g_return_val_if_fail (KF_IS_PEER (self), 0);

  return self->id;
}

const char *
kf_peer_get_name (KfPeer *self)
{
  g_return_val_if_fail (KF_IS_PEER (self), NULL);

  return self->name;
}

/*
 * kf_peer_set_public_key:
 *
 * Sets the identity the key manager named for this peer
 * (KF_IDENTITY_PUBLIC_KEY_SIZE bytes), as its list arrives; once.
 */
void
kf_peer_set_public_key (KfPeer       *self,
                        const guint8  public_key[KF_IDENTITY_PUBLIC_KEY_SIZE])
{
  g_return_if_fail (KF_IS_PEER (self));
  g_return_if_fail (public_key != NULL);

  g_clear_pointer (&self->public_key, g_bytes_unref);
  g_free (self->code);
  self->public_key = g_bytes_new (public_key, KF_IDENTITY_PUBLIC_KEY_SIZE);
  self->code = kf_identity_code_for_key (public_key);
}

static void
kf_peer_finalize (GObject *object)
{
  KfPeer *self = KF_PEER (object);

  g_free (self->name);
  g_free (self->code);
  g_clear_pointer (&self->public_key, g_bytes_unref);

  G_OBJECT_CLASS (kf_peer_parent_class)->finalize (object);
}

static void
kf_peer_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  KfPeer *self = KF_PEER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_PUBLIC_KEY:
      g_value_set_boxed (value, self->public_key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_peer_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  KfPeer *self = KF_PEER (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_get_uint (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_PUBLIC_KEY:
      self->public_key = g_value_dup_boxed (value);
      if (self->public_key != NULL
          && g_bytes_get_size (self->public_key) != KF_IDENTITY_PUBLIC_KEY_SIZE)
        {
          g_critical ("A peer's public key is %d bytes", KF_IDENTITY_PUBLIC_KEY_SIZE);
          g_clear_pointer (&self->public_key, g_bytes_unref);
        }
      if (self->public_key != NULL)
        self->code = kf_identity_code_for_key (g_bytes_get_data (self->public_key, NULL));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_peer_class_init (KfPeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kf_peer_finalize;
  object_class->get_property = kf_peer_get_property;
  object_class->set_property = kf_peer_set_property;

  properties[PROP_ID] =
    g_param_spec_uint ("id", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PUBLIC_KEY] =
    g_param_spec_boxed ("public-key", NULL, NULL, G_TYPE_BYTES,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kf_peer_init (KfPeer *self)
{
}
