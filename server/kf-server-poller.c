/* kf-server-poller.c: every client's socket behind one GSource
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A pending g_input_stream_read_async() per client is a GSource per
 * client, and GLib prepares, polls and checks every source on every
 * iteration of the main loop: with thousands of idle clients each
 * iteration cost milliseconds even when one client was talking.  The
 * poller instead registers each client's socket in one epoll set, and
 * only the epoll descriptor is in the main context.  When it is readable,
 * one epoll_wait() says which sockets are, and only their owners are
 * called: the cost of an iteration follows the clients that spoke, not
 * the clients that are connected.
 *
 * The epoll set is level-triggered: an owner that reads less than there
 * is gets called again on the next turn.  Some bytes are not visible to
 * epoll at all (TLS may hold decrypted data after the socket was drained;
 * a reader that paused has lines buffered), so an owner can also be
 * scheduled by hand, and one that returns %TRUE from its callback (it
 * used its share of the turn) is called again on the next turn whatever
 * the socket says.
 *
 * A watch removed while the poller is calling owners is only marked and
 * freed when that turn is over, so no stale pointer from the same
 * epoll_wait() is ever followed.
 */

#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "kf-server-poller.h"

/* Sockets taken from epoll per turn; the rest wait for the next turn. */
#define MAX_EVENTS 256

struct _KfServerWatch
{
  int                fd;
  KfServerWatchFunc  func;
  gpointer           user_data;
  GList              link;    /* in the poller's ready queue when queued */
  gboolean           queued;
  gboolean           active;  /* in the epoll set */
  gboolean           dead;
};

typedef struct
{
  GSource         source;
  KfServerPoller *poller;  /* borrowed: the poller destroys the source first */
} PollerSource;

struct _KfServerPoller
{
  GObject    parent_instance;

  int        epoll_fd;
  GSource   *source;
  GQueue     ready;        /* KfServerWatch to call on the next turn */
  GPtrArray *zombies;      /* removed during a turn, freed after it */
  gboolean   dispatching;
  guint      n_watches;
};

G_DEFINE_FINAL_TYPE (KfServerPoller, kf_server_poller, G_TYPE_OBJECT)

static void
kf_server_poller_finalize (GObject *object)
{
  KfServerPoller *self = KF_SERVER_POLLER (object);

  /* Owners keep the poller alive while they have watches. */
  g_warn_if_fail (self->n_watches == 0);
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_source_unref (self->source);
    }
  if (self->epoll_fd >= 0)
    close (self->epoll_fd);
  g_ptr_array_unref (self->zombies);

  G_OBJECT_CLASS (kf_server_poller_parent_class)->finalize (object);
}

static void
kf_server_poller_class_init (KfServerPollerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_poller_finalize;
}

static void
kf_server_poller_init (KfServerPoller *self)
{
  self->epoll_fd = -1;
  g_queue_init (&self->ready);
  self->zombies = g_ptr_array_new_with_free_func (g_free);
}

static void dispatch_turn (KfServerPoller *self);

static gboolean
poller_source_prepare (GSource *source,
                       gint    *timeout)
{
  KfServerPoller *self = ((PollerSource *) source)->poller;

  *timeout = g_queue_is_empty (&self->ready) ? -1 : 0;
  return !g_queue_is_empty (&self->ready);
}

static gboolean
poller_source_check (GSource *source)
{
  /* GLib itself looks at the epoll descriptor's revents. */
  return !g_queue_is_empty (&((PollerSource *) source)->poller->ready);
}

static gboolean
poller_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  dispatch_turn (((PollerSource *) source)->poller);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs poller_source_funcs = {
  .prepare = poller_source_prepare,
  .check = poller_source_check,
  .dispatch = poller_source_dispatch,
};

/*
 * kf_server_poller_new:
 * @context: (nullable): where owners are called; %NULL for the default
 *   main context
 *
 * Returns: (transfer full): a poller, or %NULL with @error when the
 * system refuses an epoll descriptor.
 */
KfServerPoller *
kf_server_poller_new (GMainContext  *context,
                      GError       **error)
{
  g_autoptr(KfServerPoller) self = g_object_new (KF_TYPE_SERVER_POLLER, NULL);
  int saved_errno;

  self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epoll_fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create an epoll descriptor: %s"), g_strerror (saved_errno));
      return NULL;
    }
  self->source = g_source_new (&poller_source_funcs, sizeof (PollerSource));
  ((PollerSource *) self->source)->poller = self;
  g_source_set_name (self->source, "KfServerPoller");
  g_source_add_unix_fd (self->source, self->epoll_fd, G_IO_IN);
  g_source_attach (self->source, context);

  return g_steal_pointer (&self);
}

/* Adds @fd to the epoll set (@add) or takes it out. */
static gboolean
epoll_change (KfServerPoller  *self,
              KfServerWatch   *watch,
              gboolean         add,
              GError         **error)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = watch };
  int saved_errno;

  if (epoll_ctl (self->epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, watch->fd, &event) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Cannot watch a connection: %s"), g_strerror (saved_errno));
  return FALSE;
}

/* Queues @watch for the next turn, once. */
static void
queue_watch (KfServerPoller *self,
             KfServerWatch  *watch)
{
  if (watch->queued || watch->dead || !watch->active)
    return;
  watch->queued = TRUE;
  g_queue_push_tail_link (&self->ready, &watch->link);
}

/* One turn: the sockets epoll reports and the watches queued by hand,
 * each owner called once. */
static void
dispatch_turn (KfServerPoller *self)
{
  g_autoptr(KfServerPoller) hold = g_object_ref (self);
  struct epoll_event events[MAX_EVENTS];
  GQueue turn;
  GList *link;
  int n;

  n = epoll_wait (self->epoll_fd, events, MAX_EVENTS, 0);
  for (int i = 0; i < n; i++)
    queue_watch (self, events[i].data.ptr);
  turn = self->ready;
  g_queue_init (&self->ready);

  self->dispatching = TRUE;
  while ((link = g_queue_pop_head_link (&turn)) != NULL)
    {
      KfServerWatch *watch = link->data;

      watch->queued = FALSE;
      if (watch->dead || !watch->active)
        continue;
      if (watch->func (watch->user_data))
        queue_watch (self, watch);
    }
  self->dispatching = FALSE;

  for (guint i = 0; i < self->zombies->len; i++)
    {
      KfServerWatch *watch = g_ptr_array_index (self->zombies, i);

      if (watch->queued)
        g_queue_unlink (&self->ready, &watch->link);
    }
  g_ptr_array_set_size (self->zombies, 0);
}

/*
 * kf_server_poller_add:
 * @fd: a descriptor to watch for reading; it must stay open until the
 *   watch is removed
 *
 * Calls @func (@user_data) whenever @fd is readable (or hung up, or in
 * error), on the poller's main context.  The watch starts active.
 *
 * Returns: (transfer none): the watch, for kf_server_poller_remove(); or
 * %NULL with @error when epoll refuses @fd.
 */
KfServerWatch *
kf_server_poller_add (KfServerPoller     *self,
                      int                 fd,
                      KfServerWatchFunc   func,
                      gpointer            user_data,
                      GError            **error)
{
  KfServerWatch *watch;

  g_return_val_if_fail (KF_IS_SERVER_POLLER (self), NULL);
  g_return_val_if_fail (fd >= 0 && func != NULL, NULL);

  watch = g_new0 (KfServerWatch, 1);
  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;
  watch->link.data = watch;
  if (!epoll_change (self, watch, TRUE, error))
    {
      g_free (watch);
      return NULL;
    }
  watch->active = TRUE;
  self->n_watches++;

  return watch;
}

/*
 * kf_server_poller_remove:
 *
 * Stops watching; the owner is not called for @watch again.  Call it
 * before closing the descriptor.
 */
void
kf_server_poller_remove (KfServerPoller *self,
                         KfServerWatch  *watch)
{
  g_return_if_fail (KF_IS_SERVER_POLLER (self));
  g_return_if_fail (watch != NULL && !watch->dead);

  if (watch->active && !epoll_change (self, watch, FALSE, NULL))
    g_warn_if_reached ();
  watch->active = FALSE;
  watch->dead = TRUE;
  self->n_watches--;
  if (self->dispatching)
    {
      g_ptr_array_add (self->zombies, watch);
      return;
    }
  if (watch->queued)
    g_queue_unlink (&self->ready, &watch->link);
  g_free (watch);
}

/*
 * kf_server_poller_set_active:
 *
 * Takes @watch out of the epoll set (its owner holds off reading) or puts
 * it back.  Bytes that arrived meanwhile are reported once it is active
 * again; bytes the owner already holds are not, so schedule it as well.
 *
 * Returns: %FALSE with @error when epoll refuses the descriptor again.
 */
gboolean
kf_server_poller_set_active (KfServerPoller  *self,
                             KfServerWatch   *watch,
                             gboolean         active,
                             GError         **error)
{
  g_return_val_if_fail (KF_IS_SERVER_POLLER (self), FALSE);
  g_return_val_if_fail (watch != NULL && !watch->dead, FALSE);

  if (watch->active == active)
    return TRUE;
  if (!epoll_change (self, watch, active, error))
    return FALSE;
  watch->active = active;
  return TRUE;
}

/*
 * kf_server_poller_schedule:
 *
 * Calls @watch's owner on the next turn even if its descriptor is not
 * readable: for bytes a lower layer holds.  Does nothing while @watch is
 * inactive.
 */
void
kf_server_poller_schedule (KfServerPoller *self,
                           KfServerWatch  *watch)
{
  g_return_if_fail (KF_IS_SERVER_POLLER (self));
  g_return_if_fail (watch != NULL && !watch->dead);

  queue_watch (self, watch);
}

/* The number of watches. */
guint
kf_server_poller_get_size (KfServerPoller *self)
{
  g_return_val_if_fail (KF_IS_SERVER_POLLER (self), 0);
  return self->n_watches;
}
