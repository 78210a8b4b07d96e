/* kf-server-blocks.c: the identities a receiver blocked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `block <public_key>` (docs/PROTOCOL.md part 1 §5) adds an identity to
 * the blocking connection's set; every `conn` naming that connection from
 * a blocked identity is then refused, for as long as the connection
 * lasts.  The set is bounded (KF_SERVER_BLOCKS_MAX, the oldest block is
 * forgotten first), so that blocking cannot be used to grow the key
 * manager's memory.
 */

#include "config.h"

#include <string.h>

#include "kf-server-blocks.h"

struct _KfServerBlocks
{
  GQueue      order;  /* GBytes, oldest first */
  GHashTable *set;    /* GBytes → itself */
};

KfServerBlocks *
kf_server_blocks_new (void)
{
  KfServerBlocks *self = g_new0 (KfServerBlocks, 1);

  g_queue_init (&self->order);
  self->set = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                     (GDestroyNotify) g_bytes_unref, NULL);
  return self;
}

void
kf_server_blocks_free (KfServerBlocks *self)
{
  if (self == NULL)
    return;
  g_queue_clear (&self->order);
  g_hash_table_unref (self->set);
  g_free (self);
}

/* Blocks @public_key; blocking it again changes nothing. */
void
kf_server_blocks_add (KfServerBlocks *self,
                      const guint8    public_key[32])
{
  GBytes *key = g_bytes_new (public_key, 32);

  if (g_hash_table_contains (self->set, key))
    {
      g_bytes_unref (key);
      return;
    }
  if (g_queue_get_length (&self->order) >= KF_SERVER_BLOCKS_MAX)
    g_hash_table_remove (self->set, g_queue_pop_head (&self->order));
  g_queue_push_tail (&self->order, key);
  g_hash_table_add (self->set, key);
}

gboolean
kf_server_blocks_contains (KfServerBlocks *self,
                           const guint8    public_key[32])
{
  g_autoptr(GBytes) key = g_bytes_new_static (public_key, 32);

  return self != NULL && g_hash_table_contains (self->set, key);
}
