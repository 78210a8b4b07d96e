/* kf-outcome.c: how one transfer session ended, for either side (steps 10-11)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Immutable, built by KfClient with g_object_new() and its construct-only
 * properties.  The block counts of both sides are the ones the key manager
 * compared in its verdict (zero when there was no verdict); "local-blocks"
 * is what this side's cipher counted.  "message" is a translated sentence
 * a user can read as it is; "error", for sessions that ended without a
 * verdict, is the error behind it, for callers that map errors to codes.
 */

#include "config.h"

#include "kf-enums.h"
#include "kf-outcome.h"

struct _KfOutcome
{
  GObject          parent_instance;

  KfOutcomeStatus  status;
  gboolean         is_sender;
  gboolean         is_local;
  guint64          sender_blocks;
  guint64          receiver_blocks;
  guint64          local_blocks;
  guint64          bytes;
  char            *message;
  GFile           *file;
  KfCipherMode     mode;
  GError          *error;
  gboolean         waits_again;
  gboolean         is_tree;
  KfTransferFiles *list;       /* NULL: no file got that far */
  GPtrArray       *files;      /* set, or built from @list when first asked for */
};

G_DEFINE_FINAL_TYPE (KfOutcome, kf_outcome, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (KfOutcomeStatus, kf_outcome_status,
                    G_DEFINE_ENUM_VALUE (KF_OUTCOME_CONFIRMED, "confirmed"),
                    G_DEFINE_ENUM_VALUE (KF_OUTCOME_MISMATCH, "mismatch"),
                    G_DEFINE_ENUM_VALUE (KF_OUTCOME_DIGEST_MISMATCH, "digest-mismatch"),
                    G_DEFINE_ENUM_VALUE (KF_OUTCOME_DECLINED, "declined"),
                    G_DEFINE_ENUM_VALUE (KF_OUTCOME_CANCELLED, "cancelled"),
                    G_DEFINE_ENUM_VALUE (KF_OUTCOME_FAILED, "failed"))

enum {
  PROP_0,
  PROP_STATUS,
  PROP_IS_SENDER,
  PROP_IS_LOCAL,
  PROP_SENDER_BLOCKS,
  PROP_RECEIVER_BLOCKS,
  PROP_LOCAL_BLOCKS,
  PROP_BYTES,
  PROP_MESSAGE,
  PROP_FILE,
  PROP_MODE,
  PROP_ERROR,
  PROP_WAITS_AGAIN,
  PROP_IS_TREE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/*
 * kf_outcome_status_to_string:
 *
 * Returns: a stable machine word for @status ("confirmed", "mismatch",
 * "digest-mismatch", "declined", "cancelled", "failed"), for scripts.
 */
const char *
kf_outcome_status_to_string (KfOutcomeStatus status)
{
  GEnumClass *klass = g_type_class_ref (KF_TYPE_OUTCOME_STATUS);
  GEnumValue *value = g_enum_get_value (klass, status);

  g_type_class_unref (klass);
  g_return_val_if_fail (value != NULL, NULL);

  return value->value_nick;
}

KfOutcomeStatus
kf_outcome_get_status (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), KF_OUTCOME_FAILED);

  return self->status;
}

gboolean
kf_outcome_get_is_sender (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), FALSE);

  return self->is_sender;
}

gboolean
kf_outcome_get_is_local (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), FALSE);

  return self->is_local;
}

guint64
kf_outcome_get_sender_blocks (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), 0);

  return self->sender_blocks;
}

guint64
kf_outcome_get_receiver_blocks (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), 0);

  return self->receiver_blocks;
}

guint64
kf_outcome_get_local_blocks (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), 0);

  return self->local_blocks;
}

guint64
kf_outcome_get_bytes (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), 0);

  return self->bytes;
}

const char *
kf_outcome_get_message (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), NULL);

  return self->message;
}

/*
 * kf_outcome_get_files:
 *
 * Returns: (transfer none) (element-type KfTransferFileResult): every file
 * and folder of the transfer with its own status and block count: what
 * arrived (receiver) or was delivered (sender), what the sender skipped,
 * and, after a failure, what had arrived or (sender) gone whole, SENT,
 * and what never did, INCOMPLETE.  Empty when nothing got that far.
 * Built on the first call and kept with the outcome: about 80 bytes per
 * entry, so callers that only go through them once use
 * kf_outcome_foreach_file().
 */
GPtrArray *
kf_outcome_get_files (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), NULL);

  if (self->files == NULL)
    self->files = self->list != NULL ? kf_transfer_files_to_array (self->list)
                                     : g_ptr_array_new ();
  return self->files;
}

/*
 * kf_outcome_get_n_files:
 *
 * Returns: how many entries kf_outcome_get_files() has, without building
 * them.
 */
guint
kf_outcome_get_n_files (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), 0);

  if (self->files != NULL)
    return self->files->len;
  return self->list != NULL ? kf_transfer_files_get_length (self->list) : 0;
}

/*
 * kf_outcome_foreach_file:
 * @func: called with each entry of kf_outcome_get_files(), in order, each
 *   built for the call only; returns %FALSE to stop
 *
 * Goes through the files without keeping them.
 *
 * Returns: %FALSE when @func stopped.
 */
gboolean
kf_outcome_foreach_file (KfOutcome           *self,
                         KfTransferFilesFunc  func,
                         gpointer             user_data)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  for (guint i = 0; self->files != NULL && i < self->files->len; i++)
    if (!func (self->files->pdata[i], user_data))
      return FALSE;
  return self->files != NULL || self->list == NULL
         || kf_transfer_files_foreach (self->list, func, user_data);
}

/*
 * _kf_outcome_set_transfer_files:
 * @files: (transfer full) (nullable)
 *
 * For KfSession: sets the transfer's per-file list, which
 * kf_outcome_get_files() builds its entries from when first called.
 */
void
_kf_outcome_set_transfer_files (KfOutcome       *self,
                                KfTransferFiles *files)
{
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->list, kf_transfer_files_unref);
  self->list = files;
}

/*
 * _kf_outcome_set_files:
 * @files: (transfer full) (element-type KfTransferFileResult)
 *
 * Sets the entries kf_outcome_get_files() returns as they are (for
 * tests).
 */
void
_kf_outcome_set_files (KfOutcome *self,
                       GPtrArray *files)
{
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->list, kf_transfer_files_unref);
  self->files = files;
}

/*
 * kf_outcome_get_file:
 *
 * Returns: (transfer none) (nullable): the file sent, or the file saved
 * (only when the transfer completed), else %NULL.
 */
GFile *
kf_outcome_get_file (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), NULL);

  return self->file;
}

KfCipherMode
kf_outcome_get_mode (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), KF_CIPHER_MODE_CBC);

  return self->mode;
}

/*
 * kf_outcome_get_error:
 *
 * Returns: (transfer none) (nullable): why the session ended without a
 * verdict (declined, cancelled, failed), or %NULL.
 */
const GError *
kf_outcome_get_error (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), NULL);

  return self->error;
}

/*
 * kf_outcome_get_waits_again:
 *
 * Returns: whether this receiver's pairing fell through before any offer
 * came (the sender cancelled or left, its link died, the key manager
 * gave up on a confirmation) and the client is waiting again, as it was
 * before a sender chose it: the user's wait goes on.
 */
gboolean
kf_outcome_get_waits_again (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), FALSE);

  return self->waits_again;
}

/*
 * kf_outcome_get_is_tree:
 *
 * Returns: whether several files or folders were offered (a tree,
 * accepted into a folder), as the offer said; %FALSE for one file
 * offered alone, and when the session ended before anything was
 * offered.
 */
gboolean
kf_outcome_get_is_tree (KfOutcome *self)
{
  g_return_val_if_fail (KF_IS_OUTCOME (self), FALSE);

  return self->is_tree;
}

static void
kf_outcome_finalize (GObject *object)
{
  KfOutcome *self = KF_OUTCOME (object);

  g_clear_error (&self->error);
  g_free (self->message);
  g_clear_object (&self->file);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->list, kf_transfer_files_unref);

  G_OBJECT_CLASS (kf_outcome_parent_class)->finalize (object);
}

static void
kf_outcome_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  KfOutcome *self = KF_OUTCOME (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_IS_SENDER:
      g_value_set_boolean (value, self->is_sender);
      break;
    case PROP_IS_LOCAL:
      g_value_set_boolean (value, self->is_local);
      break;
    case PROP_SENDER_BLOCKS:
      g_value_set_uint64 (value, self->sender_blocks);
      break;
    case PROP_RECEIVER_BLOCKS:
      g_value_set_uint64 (value, self->receiver_blocks);
      break;
    case PROP_LOCAL_BLOCKS:
      g_value_set_uint64 (value, self->local_blocks);
      break;
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_WAITS_AGAIN:
      g_value_set_boolean (value, self->waits_again);
      break;
    case PROP_IS_TREE:
      g_value_set_boolean (value, self->is_tree);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_outcome_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  KfOutcome *self = KF_OUTCOME (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      self->status = g_value_get_enum (value);
      break;
    case PROP_IS_SENDER:
      self->is_sender = g_value_get_boolean (value);
      break;
    case PROP_IS_LOCAL:
      self->is_local = g_value_get_boolean (value);
      break;
    case PROP_SENDER_BLOCKS:
      self->sender_blocks = g_value_get_uint64 (value);
      break;
    case PROP_RECEIVER_BLOCKS:
      self->receiver_blocks = g_value_get_uint64 (value);
      break;
    case PROP_LOCAL_BLOCKS:
      self->local_blocks = g_value_get_uint64 (value);
      break;
    case PROP_BYTES:
      self->bytes = g_value_get_uint64 (value);
      break;
    case PROP_MESSAGE:
      self->message = g_value_dup_string (value);
      break;
    case PROP_FILE:
      self->file = g_value_dup_object (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_ERROR:
      self->error = g_value_dup_boxed (value);
      break;
    case PROP_WAITS_AGAIN:
      self->waits_again = g_value_get_boolean (value);
      break;
    case PROP_IS_TREE:
      self->is_tree = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_outcome_class_init (KfOutcomeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                      G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kf_outcome_finalize;
  object_class->get_property = kf_outcome_get_property;
  object_class->set_property = kf_outcome_set_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, KF_TYPE_OUTCOME_STATUS, KF_OUTCOME_FAILED, flags);
  properties[PROP_IS_SENDER] =
    g_param_spec_boolean ("is-sender", NULL, NULL, FALSE, flags);
  properties[PROP_IS_LOCAL] =
    g_param_spec_boolean ("is-local", NULL, NULL, FALSE, flags);
  properties[PROP_SENDER_BLOCKS] =
    g_param_spec_uint64 ("sender-blocks", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_RECEIVER_BLOCKS] =
    g_param_spec_uint64 ("receiver-blocks", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_LOCAL_BLOCKS] =
    g_param_spec_uint64 ("local-blocks", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_BYTES] =
    g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL, flags);
  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE, flags);
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, KF_TYPE_CIPHER_MODE, KF_CIPHER_MODE_CBC, flags);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_WAITS_AGAIN] =
    g_param_spec_boolean ("waits-again", NULL, NULL, FALSE, flags);
  properties[PROP_IS_TREE] =
    g_param_spec_boolean ("is-tree", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kf_outcome_init (KfOutcome *self)
{
  self->status = KF_OUTCOME_FAILED;
}
