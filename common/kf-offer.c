/* kf-offer.c: what a receiver is shown before it accepts a file (step 9)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Immutable.  The sender's id and name come from the key manager; the file
 * name and the plain size come from the first record of the peer link,
 * authenticated, and the name is already sanitised (a safe basename); the
 * encrypted size is what the chosen mode makes of the plain size.  The
 * sender's identity, when given, is the key it proved on the peer link.
 */

#include "config.h"

#include "kf-enums.h"
#include "kf-identity.h"
#include "kf-offer.h"
#include "kf-transfer.h"

struct _KfOffer
{
  GObject       parent_instance;

  guint         sender_id;
  char         *sender_name;
  char         *file_name;
  guint64       plain_size;
  guint64       encrypted_size;
  KfCipherMode  mode;
  GBytes       *sender_key;   /* NULL: not known */
  char         *sender_code;
  guint         n_files;
  guint         n_folders;
  char        **top_level;
  guint         n_top_level;
  KfTransferTopEntry *top_entries;  /* one per name of top_level; NULL: not known */
  gboolean      is_tree;
};

G_DEFINE_FINAL_TYPE (KfOffer, kf_offer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SENDER_ID,
  PROP_SENDER_NAME,
  PROP_FILE_NAME,
  PROP_PLAIN_SIZE,
  PROP_ENCRYPTED_SIZE,
  PROP_MODE,
  PROP_SENDER_KEY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/*
 * kf_offer_new:
 *
 * Returns: (transfer full): an offer of @file_name (a sanitised basename).
 */
KfOffer *
kf_offer_new (guint         sender_id,
              const char   *sender_name,
              const char   *file_name,
              guint64       plain_size,
              guint64       encrypted_size,
              KfCipherMode  mode)
{
  g_return_val_if_fail (sender_name != NULL, NULL);
  g_return_val_if_fail (file_name != NULL, NULL);

  return g_object_new (KF_TYPE_OFFER,
                       "sender-id", sender_id,
                       "sender-name", sender_name,
                       "file-name", file_name,
                       "plain-size", plain_size,
                       "encrypted-size", encrypted_size,
                       "mode", mode,
                       NULL);
}

/*
 * kf_offer_new_with_key:
 * @sender_key: (nullable): the identity the sender proved on the peer
 *   link, KF_IDENTITY_PUBLIC_KEY_SIZE bytes
 *
 * Returns: (transfer full): an offer of @file_name, as kf_offer_new(), from
 * the identity @sender_key.
 */
KfOffer *
kf_offer_new_with_key (guint         sender_id,
                       const char   *sender_name,
                       const guint8 *sender_key,
                       const char   *file_name,
                       guint64       plain_size,
                       guint64       encrypted_size,
                       KfCipherMode  mode)
{
  g_autoptr(GBytes) key = NULL;

  g_return_val_if_fail (sender_name != NULL, NULL);
  g_return_val_if_fail (file_name != NULL, NULL);

  if (sender_key != NULL)
    key = g_bytes_new (sender_key, KF_IDENTITY_PUBLIC_KEY_SIZE);
  return g_object_new (KF_TYPE_OFFER,
                       "sender-id", sender_id,
                       "sender-name", sender_name,
                       "sender-key", key,
                       "file-name", file_name,
                       "plain-size", plain_size,
                       "encrypted-size", encrypted_size,
                       "mode", mode,
                       NULL);
}

/*
 * kf_offer_get_sender_key:
 *
 * Returns: (nullable): the sender's identity key as proved on the peer
 * link, or %NULL when not known.
 */
const guint8 *
kf_offer_get_sender_key (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), NULL);

  return self->sender_key != NULL ? g_bytes_get_data (self->sender_key, NULL) : NULL;
}

/*
 * kf_offer_get_sender_code:
 *
 * Returns: (nullable): the identity code of the sender's key, or %NULL.
 */
const char *
kf_offer_get_sender_code (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), NULL);

  return self->sender_code;
}

guint
kf_offer_get_sender_id (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), 0);

  return self->sender_id;
}

const char *
kf_offer_get_sender_name (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), NULL);

  return self->sender_name;
}

/*
 * _kf_offer_set_contents:
 *
 * For KfClient: what @offer holds besides its first name (counts,
 * top-level names and what each is, whether it is a tree).
 */
void
_kf_offer_set_contents (KfOffer               *self,
                        const KfTransferOffer *offer)
{
  self->n_files = offer->n_files;
  self->n_folders = offer->n_folders;
  g_strfreev (self->top_level);
  self->top_level = g_strdupv (offer->top_level);
  self->n_top_level = offer->n_top_level;
  g_free (self->top_entries);
  self->top_entries = offer->top_entries != NULL
                      ? g_memdup2 (offer->top_entries,
                                   g_strv_length (offer->top_level) * sizeof *offer->top_entries)
                      : NULL;
  self->is_tree = offer->is_tree;
}

/*
 * kf_offer_get_n_files:
 *
 * Returns: how many regular files the offer holds (1 for a single file).
 */
guint
kf_offer_get_n_files (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), 0);
  return self->n_files;
}

/*
 * kf_offer_get_n_folders:
 *
 * Returns: how many folders the offer holds, empty ones included.
 */
guint
kf_offer_get_n_folders (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), 0);
  return self->n_folders;
}

/*
 * kf_offer_get_top_level:
 * @n_top_level: (out) (optional): how many top-level entries there are in
 *   all, which may be more than the names returned
 *
 * Returns: (transfer none) (array zero-terminated=1): the sanitised
 * names of the first %KF_TRANSFER_MAX_SHOWN top-level entries.
 */
const char * const *
kf_offer_get_top_level (KfOffer *self,
                        guint   *n_top_level)
{
  static const char *none[] = { NULL };

  g_return_val_if_fail (KF_IS_OFFER (self), NULL);
  if (n_top_level != NULL)
    *n_top_level = self->n_top_level;
  return self->top_level != NULL ? (const char * const *) self->top_level : none;
}

/*
 * kf_offer_get_top_level_entry:
 * @index: of a name kf_offer_get_top_level() returns
 * @is_folder: (out) (optional): whether that entry is a folder
 * @size: (out) (optional): a file's size; a folder's: the size of all
 *   the files in it, at every level
 *
 * What the top-level entry @index is, from the manifest the receiver
 * checked (or the single file's offer).
 *
 * Returns: %FALSE, setting nothing, when @index is not one of the names
 * shown or the offer does not say.
 */
gboolean
kf_offer_get_top_level_entry (KfOffer  *self,
                              guint     index,
                              gboolean *is_folder,
                              guint64  *size)
{
  g_return_val_if_fail (KF_IS_OFFER (self), FALSE);

  if (self->top_entries == NULL || self->top_level == NULL
      || index >= g_strv_length (self->top_level))
    return FALSE;
  if (is_folder != NULL)
    *is_folder = self->top_entries[index].is_folder;
  if (size != NULL)
    *size = self->top_entries[index].size;
  return TRUE;
}

/*
 * kf_offer_get_is_tree:
 *
 * Returns: %FALSE for exactly one file offered alone (accept it into a
 * file), %TRUE for several files or folders (accept them into a folder).
 */
gboolean
kf_offer_get_is_tree (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), FALSE);
  return self->is_tree;
}

const char *
kf_offer_get_file_name (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), NULL);

  return self->file_name;
}

guint64
kf_offer_get_plain_size (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), 0);

  return self->plain_size;
}

guint64
kf_offer_get_encrypted_size (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), 0);

  return self->encrypted_size;
}

KfCipherMode
kf_offer_get_mode (KfOffer *self)
{
  g_return_val_if_fail (KF_IS_OFFER (self), KF_CIPHER_MODE_CBC);

  return self->mode;
}

static void
kf_offer_finalize (GObject *object)
{
  KfOffer *self = KF_OFFER (object);

  g_free (self->sender_name);
  g_free (self->file_name);
  g_free (self->sender_code);
  g_clear_pointer (&self->sender_key, g_bytes_unref);
  g_strfreev (self->top_level);
  g_free (self->top_entries);

  G_OBJECT_CLASS (kf_offer_parent_class)->finalize (object);
}

static void
kf_offer_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  KfOffer *self = KF_OFFER (object);

  switch (prop_id)
    {
    case PROP_SENDER_ID:
      g_value_set_uint (value, self->sender_id);
      break;
    case PROP_SENDER_NAME:
      g_value_set_string (value, self->sender_name);
      break;
    case PROP_FILE_NAME:
      g_value_set_string (value, self->file_name);
      break;
    case PROP_PLAIN_SIZE:
      g_value_set_uint64 (value, self->plain_size);
      break;
    case PROP_ENCRYPTED_SIZE:
      g_value_set_uint64 (value, self->encrypted_size);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_SENDER_KEY:
      g_value_set_boxed (value, self->sender_key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_offer_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  KfOffer *self = KF_OFFER (object);

  switch (prop_id)
    {
    case PROP_SENDER_ID:
      self->sender_id = g_value_get_uint (value);
      break;
    case PROP_SENDER_NAME:
      self->sender_name = g_value_dup_string (value);
      break;
    case PROP_FILE_NAME:
      self->file_name = g_value_dup_string (value);
      break;
    case PROP_PLAIN_SIZE:
      self->plain_size = g_value_get_uint64 (value);
      break;
    case PROP_ENCRYPTED_SIZE:
      self->encrypted_size = g_value_get_uint64 (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_SENDER_KEY:
      self->sender_key = g_value_dup_boxed (value);
      if (self->sender_key != NULL
          && g_bytes_get_size (self->sender_key) != KF_IDENTITY_PUBLIC_KEY_SIZE)
        {
          g_critical ("A sender's identity key is %d bytes", KF_IDENTITY_PUBLIC_KEY_SIZE);
          g_clear_pointer (&self->sender_key, g_bytes_unref);
        }
      if (self->sender_key != NULL)
        self->sender_code = kf_identity_code_for_key (g_bytes_get_data (self->sender_key, NULL));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_offer_class_init (KfOfferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                      G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kf_offer_finalize;
  object_class->get_property = kf_offer_get_property;
  object_class->set_property = kf_offer_set_property;

  properties[PROP_SENDER_ID] =
    g_param_spec_uint ("sender-id", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_SENDER_NAME] =
    g_param_spec_string ("sender-name", NULL, NULL, NULL, flags);
  properties[PROP_FILE_NAME] =
    g_param_spec_string ("file-name", NULL, NULL, NULL, flags);
  properties[PROP_PLAIN_SIZE] =
    g_param_spec_uint64 ("plain-size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_ENCRYPTED_SIZE] =
    g_param_spec_uint64 ("encrypted-size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, KF_TYPE_CIPHER_MODE, KF_CIPHER_MODE_CBC, flags);
  properties[PROP_SENDER_KEY] =
    g_param_spec_boxed ("sender-key", NULL, NULL, G_TYPE_BYTES, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kf_offer_init (KfOffer *self)
{
}
