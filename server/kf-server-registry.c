/* kf-server-registry.c: who is connected, who is waiting, who watches
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The registry knows every greeted client by id, the waiting clients in
 * the order they started waiting (oldest first, as `send` lists them), and
 * the idle clients watching that list.  Whenever a client starts or stops
 * waiting, the watchers are told at once (`ev waiting`, `ev unwaiting`);
 * that is the only line the registry sends itself.
 */

#include "config.h"

#include <string.h>

#include "kf-server-registry.h"

struct _KfServerRegistry
{
  GObject     parent_instance;

  GHashTable *clients;   /* id → KfServerClient (owned) */
  GQueue      waiting;   /* KfServerClient, oldest first (borrowed) */
  GHashTable *watchers;  /* set of KfServerClient (borrowed) */
};

G_DEFINE_FINAL_TYPE (KfServerRegistry, kf_server_registry, G_TYPE_OBJECT)

static void
kf_server_registry_finalize (GObject *object)
{
  KfServerRegistry *self = KF_SERVER_REGISTRY (object);

  g_queue_clear (&self->waiting);
  g_hash_table_unref (self->watchers);
  g_hash_table_unref (self->clients);

  G_OBJECT_CLASS (kf_server_registry_parent_class)->finalize (object);
}

static void
kf_server_registry_class_init (KfServerRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_registry_finalize;
}

static void
kf_server_registry_init (KfServerRegistry *self)
{
  self->clients = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->watchers = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->waiting);
}

KfServerRegistry *
kf_server_registry_new (void)
{
  return g_object_new (KF_TYPE_SERVER_REGISTRY, NULL);
}

/*
 * kf_server_registry_add:
 *
 * Registers a greeted client under its id (which must be unique).
 */
void
kf_server_registry_add (KfServerRegistry *self,
                        KfServerClient   *client)
{
  gint64 *key;

  g_return_if_fail (KF_IS_SERVER_REGISTRY (self));

  key = g_new (gint64, 1);
  *key = (gint64) kf_server_client_get_id (client);
  g_assert (!g_hash_table_contains (self->clients, key));
  g_hash_table_insert (self->clients, key, g_object_ref (client));
}

/*
 * kf_server_registry_remove:
 *
 * Forgets @client: it stops waiting (watchers are told) and watching.
 * Unknown clients are ignored.
 */
void
kf_server_registry_remove (KfServerRegistry *self,
                           KfServerClient   *client)
{
  gint64 key;

  g_return_if_fail (KF_IS_SERVER_REGISTRY (self));

  kf_server_registry_set_waiting (self, client, FALSE);
  kf_server_registry_set_watching (self, client, FALSE);
  key = (gint64) kf_server_client_get_id (client);
  if (g_hash_table_lookup (self->clients, &key) == client)
    g_hash_table_remove (self->clients, &key);
}

/*
 * kf_server_registry_lookup:
 *
 * Returns: (transfer none) (nullable): the greeted client with @id.
 */
KfServerClient *
kf_server_registry_lookup (KfServerRegistry *self,
                           guint64           id)
{
  gint64 key = (gint64) id;

  g_return_val_if_fail (KF_IS_SERVER_REGISTRY (self), NULL);
  return g_hash_table_lookup (self->clients, &key);
}

guint
kf_server_registry_get_size (KfServerRegistry *self)
{
  g_return_val_if_fail (KF_IS_SERVER_REGISTRY (self), 0);
  return g_hash_table_size (self->clients);
}

/* Sends @msg to every watcher. */
static void
tell_watchers (KfServerRegistry  *self,
               KfProtocolMessage *msg)
{
  GHashTableIter iter;
  gpointer watcher;

  g_hash_table_iter_init (&iter, self->watchers);
  while (g_hash_table_iter_next (&iter, &watcher, NULL))
    kf_server_client_send (watcher, msg);
}

gboolean
kf_server_registry_is_waiting (KfServerRegistry *self,
                               KfServerClient   *client)
{
  g_return_val_if_fail (KF_IS_SERVER_REGISTRY (self), FALSE);
  return g_queue_find (&self->waiting, client) != NULL;
}

/*
 * kf_server_registry_set_waiting:
 *
 * Lists @client for senders (at the end) or takes it off the list, and
 * tells the watchers.  Setting the current state again does nothing.
 */
void
kf_server_registry_set_waiting (KfServerRegistry *self,
                                KfServerClient   *client,
                                gboolean          waiting)
{
  g_autoptr(KfProtocolMessage) msg = NULL;

  g_return_if_fail (KF_IS_SERVER_REGISTRY (self));

  if (waiting == kf_server_registry_is_waiting (self, client))
    return;
  if (waiting)
    {
      g_queue_push_tail (&self->waiting, client);
      msg = kf_protocol_message_new (KF_MSG_EV_WAITING);
      kf_protocol_message_set_name (msg, kf_server_client_get_name (client));
      memcpy (msg->public_key, kf_server_client_get_public_key (client),
              sizeof msg->public_key);
    }
  else
    {
      g_queue_remove (&self->waiting, client);
      msg = kf_protocol_message_new (KF_MSG_EV_UNWAITING);
    }
  msg->id = kf_server_client_get_id (client);
  tell_watchers (self, msg);
}

/*
 * kf_server_registry_list_waiting:
 *
 * Returns: (transfer container): up to @max waiting clients other than
 * @exclude, oldest first.
 */
GPtrArray *
kf_server_registry_list_waiting (KfServerRegistry *self,
                                 KfServerClient   *exclude,
                                 guint             max)
{
  GPtrArray *list = g_ptr_array_new ();

  g_return_val_if_fail (KF_IS_SERVER_REGISTRY (self), list);

  for (GList *l = self->waiting.head; l != NULL && list->len < max; l = l->next)
    if (l->data != exclude)
      g_ptr_array_add (list, l->data);

  return list;
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint64 x = kf_server_client_get_id (*(KfServerClient * const *) a);
  guint64 y = kf_server_client_get_id (*(KfServerClient * const *) b);

  return x < y ? -1 : x > y;
}

/*
 * kf_server_registry_list_waiting_after:
 * @after: list only clients whose id is greater (0: all)
 * @more: (out): set to whether more than @max qualified
 *
 * One page of the waiting list for `send` and `watch`: up to @max waiting
 * clients other than @exclude, by increasing id, so that asking again
 * after the last id of a page gives the next page.  Costs one pass over
 * the waiting clients and a sort of those after @after.
 *
 * Returns: (transfer container): the page.
 */
GPtrArray *
kf_server_registry_list_waiting_after (KfServerRegistry *self,
                                       KfServerClient   *exclude,
                                       guint64           after,
                                       guint             max,
                                       gboolean         *more)
{
  GPtrArray *list = g_ptr_array_new ();

  *more = FALSE;
  g_return_val_if_fail (KF_IS_SERVER_REGISTRY (self), list);

  for (GList *l = self->waiting.head; l != NULL; l = l->next)
    if (l->data != exclude && kf_server_client_get_id (l->data) > after)
      g_ptr_array_add (list, l->data);
  g_ptr_array_sort (list, compare_ids);
  if (list->len > max)
    {
      *more = TRUE;
      g_ptr_array_set_size (list, max);
    }
  return list;
}

/*
 * kf_server_registry_set_watching:
 *
 * Adds @client to (or removes it from) the watchers and mirrors it in the
 * client's own flag.
 */
void
kf_server_registry_set_watching (KfServerRegistry *self,
                                 KfServerClient   *client,
                                 gboolean          watching)
{
  g_return_if_fail (KF_IS_SERVER_REGISTRY (self));

  if (watching)
    g_hash_table_add (self->watchers, client);
  else
    g_hash_table_remove (self->watchers, client);
  kf_server_client_set_watching (client, watching);
}
