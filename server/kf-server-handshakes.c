/* kf-server-handshakes.c: the key manager's TLS handshakes, a few at a time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * glib-networking (2.74) runs every TLS handshake, the blocking
 * g_tls_connection_handshake() too, as a task in GTask's shared thread
 * pool, and that task holds its thread until the handshake ends: the
 * server's side reads the ClientHello, answers, and then blocks reading
 * until the client's second flight comes.  The pool has 10 threads and
 * grows by one per 100 ms or more while they are all taken, so a peer that
 * sends a ClientHello and stalls holds a thread until its deadline, and a
 * few dozen of them queue a real client's handshake behind theirs for
 * seconds.  A pool of our own does not help: its threads would only wait
 * for GTask's.
 *
 * So at most @slots handshakes run at once (fewer than GTask's 10
 * threads, so each has a thread at once), and the others wait here for a
 * slot.  When one waits and every slot is taken, the handshake that has
 * run longest is closed as soon as it has run for @grace_ms and waits
 * for its peer (its owner knows: nothing it was sent is left unread; one
 * whose thread is late is not the peer's fault): a real client answers
 * within one round trip (a handshake on loopback takes a few
 * milliseconds), so only one that does not answer is closed, and closing
 * it (its owner cancels the handshake and closes the socket) wakes its
 * thread at once.  When none waits, nothing is closed, however long a
 * handshake takes.
 *
 * Freed slots go in turn to the newest ClientHello and to the oldest
 * waiting one.  The newest first: a real client that connects while
 * dozens of stalled handshakes wait starts within @grace_ms, not after
 * all of them.  The oldest every other time: a stream of new connections
 * cannot starve one that waits, which starts after at most twice the
 * handshakes waiting before it, @slots per @grace_ms.
 */

#include "config.h"

#include "kf-server-handshakes.h"

typedef struct
{
  GObject               *owner;     /* a reference while here */
  KfServerHandshakeFunc      start;
  KfServerHandshakeEvictFunc evict;
  gint64                 started;   /* timers' clock; 0 while waiting */
} Handshake;

struct _KfServerHandshakes
{
  GObject         parent_instance;

  KfServerTimers *timers;
  guint           slots;
  gint64          grace;            /* µs */
  GQueue          running;          /* Handshake, oldest first */
  GQueue          waiting;          /* Handshake, first come first */
  KfServerTimer  *grace_timer;      /* when the oldest running one may be closed */
  gboolean        newest_next;      /* whose turn: the newest or the oldest waiting */
  gboolean        pumping;
};

G_DEFINE_FINAL_TYPE (KfServerHandshakes, kf_server_handshakes, G_TYPE_OBJECT)

static void
handshake_free (Handshake *handshake)
{
  g_object_unref (handshake->owner);
  g_free (handshake);
}

static void
kf_server_handshakes_dispose (GObject *object)
{
  KfServerHandshakes *self = KF_SERVER_HANDSHAKES (object);

  if (self->timers != NULL)
    kf_server_timers_clear (self->timers, &self->grace_timer);
  g_queue_clear_full (&self->running, (GDestroyNotify) handshake_free);
  g_queue_clear_full (&self->waiting, (GDestroyNotify) handshake_free);
  g_clear_object (&self->timers);

  G_OBJECT_CLASS (kf_server_handshakes_parent_class)->dispose (object);
}

static void
kf_server_handshakes_class_init (KfServerHandshakesClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kf_server_handshakes_dispose;
}

static void
kf_server_handshakes_init (KfServerHandshakes *self)
{
  g_queue_init (&self->running);
  g_queue_init (&self->waiting);
  self->newest_next = TRUE;
}

/*
 * kf_server_handshakes_new:
 * @timers: the server's deadlines (and clock)
 * @slots: handshakes running at once, at least 1
 * @grace_ms: how long a handshake may run before it may be closed for
 *   one that waits
 *
 * Returns: (transfer full): the handshake queue.
 */
KfServerHandshakes *
kf_server_handshakes_new (KfServerTimers *timers,
                          guint           slots,
                          guint           grace_ms)
{
  KfServerHandshakes *self;

  g_return_val_if_fail (KF_IS_SERVER_TIMERS (timers) && slots > 0, NULL);

  self = g_object_new (KF_TYPE_SERVER_HANDSHAKES, NULL);
  self->timers = g_object_ref (timers);
  self->slots = slots;
  self->grace = (gint64) grace_ms * G_TIME_SPAN_MILLISECOND;
  return self;
}

static void pump (KfServerHandshakes *self);

static void
grace_cb (gpointer user_data)
{
  KfServerHandshakes *self = user_data;

  self->grace_timer = NULL;
  pump (self);
}

/* Closes the longest-running handshake that has run for @min_age µs and
 * waits for its peer; %FALSE if there is none. */
static gboolean
evict_oldest (KfServerHandshakes *self,
              gint64              min_age)
{
  gint64 now = kf_server_timers_get_time (self->timers);

  for (GList *l = self->running.head, *next; l != NULL; l = next)
    {
      Handshake *handshake = l->data;

      next = l->next;
      if (now - handshake->started < min_age)
        return FALSE;
      /* Out of the queue first, since closing the owner releases it; a
       * handshake that is not closed goes back where it was. */
      g_queue_unlink (&self->running, l);
      if (handshake->evict (handshake->owner))
        {
          g_list_free (l);
          handshake_free (handshake);
          return TRUE;
        }
      g_queue_insert_before_link (&self->running, next, l);
    }
  return FALSE;
}

/* Starts waiting handshakes while there are slots, or handshakes past
 * their grace period to close; then arms the timer for the next one. */
static void
pump (KfServerHandshakes *self)
{
  Handshake *oldest;

  /* Closing an owner releases it, which comes back here. */
  if (self->pumping)
    return;
  self->pumping = TRUE;
  kf_server_timers_clear (self->timers, &self->grace_timer);
  while (!g_queue_is_empty (&self->waiting)
         && (self->running.length < self->slots || evict_oldest (self, self->grace)))
    {
      Handshake *next = self->newest_next ? g_queue_pop_tail (&self->waiting)
                                          : g_queue_pop_head (&self->waiting);

      self->newest_next = !self->newest_next;
      next->started = kf_server_timers_get_time (self->timers);
      g_queue_push_tail (&self->running, next);
      next->start (next->owner);
    }
  oldest = g_queue_peek_head (&self->running);
  if (!g_queue_is_empty (&self->waiting) && oldest != NULL)
    {
      gint64 now = kf_server_timers_get_time (self->timers);
      gint64 at = oldest->started + self->grace;

      /* Past its grace period but not waiting for its peer: look again
       * a little later. */
      if (at <= now)
        at = now + self->grace / 4;

      self->grace_timer = kf_server_timers_add_at (self->timers, at, grace_cb, self);
    }
  self->pumping = FALSE;
}

/*
 * kf_server_handshakes_request:
 * @owner: the connection; held until it is released or evicted
 * @start: starts @owner's handshake, now or when a slot is free
 * @evict: closes @owner, whose handshake ran past the grace period while
 *   another waited, if it waits for its peer, and says whether it did;
 *   @owner is no longer here while it runs
 *
 * Queues @owner's handshake, which a ClientHello is there for, and starts
 * it if a slot is free.  The owner calls kf_server_handshakes_release()
 * when its handshake ends or it closes.
 */
void
kf_server_handshakes_request (KfServerHandshakes         *self,
                              GObject                    *owner,
                              KfServerHandshakeFunc       start,
                              KfServerHandshakeEvictFunc  evict)
{
  Handshake *handshake;

  g_return_if_fail (KF_IS_SERVER_HANDSHAKES (self));
  g_return_if_fail (G_IS_OBJECT (owner) && start != NULL && evict != NULL);

  handshake = g_new0 (Handshake, 1);
  handshake->owner = g_object_ref (owner);
  handshake->start = start;
  handshake->evict = evict;
  g_queue_push_tail (&self->waiting, handshake);
  pump (self);
}

static gboolean
remove_owner (GQueue  *queue,
              GObject *owner)
{
  for (GList *l = queue->head; l != NULL; l = l->next)
    {
      Handshake *handshake = l->data;

      if (handshake->owner == owner)
        {
          g_queue_delete_link (queue, l);
          handshake_free (handshake);
          return TRUE;
        }
    }
  return FALSE;
}

/*
 * kf_server_handshakes_evict_stalled:
 *
 * Closes the longest-running handshake that waits for its peer, however
 * short a time it has run, and gives its slot to one that waits: the
 * server makes room so for a new connection when all its greeting slots
 * are taken.
 *
 * Returns: %FALSE if no running handshake waits for its peer.
 */
gboolean
kf_server_handshakes_evict_stalled (KfServerHandshakes *self)
{
  g_return_val_if_fail (KF_IS_SERVER_HANDSHAKES (self), FALSE);

  if (!evict_oldest (self, 0))
    return FALSE;
  pump (self);
  return TRUE;
}

/*
 * kf_server_handshakes_release:
 *
 * @owner's handshake ended, or @owner is closing: its slot goes to the
 * next that waits.  Nothing happens if @owner is not here.
 */
void
kf_server_handshakes_release (KfServerHandshakes *self,
                              GObject            *owner)
{
  g_return_if_fail (KF_IS_SERVER_HANDSHAKES (self));

  if (remove_owner (&self->running, owner))
    pump (self);
  else
    remove_owner (&self->waiting, owner);
}

/* How many handshakes run, and how many wait for a slot. */
guint
kf_server_handshakes_get_running (KfServerHandshakes *self)
{
  g_return_val_if_fail (KF_IS_SERVER_HANDSHAKES (self), 0);
  return self->running.length;
}

guint
kf_server_handshakes_get_waiting (KfServerHandshakes *self)
{
  g_return_val_if_fail (KF_IS_SERVER_HANDSHAKES (self), 0);
  return self->waiting.length;
}
