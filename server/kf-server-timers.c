/* kf-server-timers.c: every deadline of the key manager behind one GSource
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GLib timeout source per client would put thousands of sources in the
 * main context, and GLib looks at every source on every iteration of the
 * loop, so an idle client's timer would cost something each time any
 * other client spoke.  KfServerTimers keeps the deadlines in one ordered
 * GSequence (soonest first, ties in the order they were added) and one
 * GSource whose ready time is the soonest deadline: arming and removing a
 * timer is O(log n), an iteration of the main loop O(1).
 *
 * The clock is g_get_monotonic_time() unless kf_server_timers_set_clock()
 * gives another; then nothing fires by itself, and the owner (a test, the
 * fuzzer) fires what is due with kf_server_timers_run_due() after moving
 * its clock, so that timeouts happen exactly when it says.
 */

#include "config.h"

#include "kf-server-timers.h"

struct _KfServerTimer
{
  gint64             ready_time;
  guint64            serial;
  KfServerTimerFunc  func;
  gpointer           user_data;
  GSequenceIter     *iter;
};

typedef struct
{
  GSource         source;
  KfServerTimers *timers;  /* borrowed: the timers destroy the source first */
} TimersSource;

struct _KfServerTimers
{
  GObject             parent_instance;

  GSequence          *queue;     /* KfServerTimer, soonest first (owned) */
  guint64             next_serial;
  GSource            *source;
  KfServerClockFunc   clock;
  gpointer            clock_data;
};

G_DEFINE_FINAL_TYPE (KfServerTimers, kf_server_timers, G_TYPE_OBJECT)

static void
kf_server_timers_finalize (GObject *object)
{
  KfServerTimers *self = KF_SERVER_TIMERS (object);

  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_sequence_free (self->queue);

  G_OBJECT_CLASS (kf_server_timers_parent_class)->finalize (object);
}

static void
kf_server_timers_class_init (KfServerTimersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_timers_finalize;
}

static void
kf_server_timers_init (KfServerTimers *self)
{
  self->queue = g_sequence_new (g_free);
}

static gint
compare_timers (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  const KfServerTimer *x = a;
  const KfServerTimer *y = b;

  if (x->ready_time != y->ready_time)
    return x->ready_time < y->ready_time ? -1 : 1;
  if (x->serial != y->serial)
    return x->serial < y->serial ? -1 : 1;
  return 0;
}

/* The soonest timer, or %NULL. */
static KfServerTimer *
first_timer (KfServerTimers *self)
{
  GSequenceIter *begin = g_sequence_get_begin_iter (self->queue);

  return g_sequence_iter_is_end (begin) ? NULL : g_sequence_get (begin);
}

/* Points the source at the soonest deadline (never, with a clock of the
 * owner's). */
static void
update_source (KfServerTimers *self)
{
  KfServerTimer *first = first_timer (self);

  if (first == NULL || self->clock != NULL)
    g_source_set_ready_time (self->source, -1);
  else
    g_source_set_ready_time (self->source, first->ready_time);
}

static gboolean
timers_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  kf_server_timers_run_due (((TimersSource *) source)->timers);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timers_source_funcs = {
  .dispatch = timers_source_dispatch,
};

/*
 * kf_server_timers_new:
 * @context: (nullable): where the timers fire; %NULL for the default
 *   main context
 *
 * Returns: (transfer full): an empty set of timers.
 */
KfServerTimers *
kf_server_timers_new (GMainContext *context)
{
  KfServerTimers *self = g_object_new (KF_TYPE_SERVER_TIMERS, NULL);

  self->source = g_source_new (&timers_source_funcs, sizeof (TimersSource));
  ((TimersSource *) self->source)->timers = self;
  g_source_set_name (self->source, "KfServerTimers");
  g_source_attach (self->source, context);

  return self;
}

/*
 * kf_server_timers_add_at:
 * @ready_time: when, on the timers' clock (kf_server_timers_get_time())
 *
 * Arms a one-shot timer that calls @func (@user_data) at @ready_time or
 * soon after.  Timers due at the same time fire in the order they were
 * added.
 *
 * Returns: (transfer none): the timer, for kf_server_timers_remove();
 * it is gone once @func has been called.
 */
KfServerTimer *
kf_server_timers_add_at (KfServerTimers    *self,
                         gint64             ready_time,
                         KfServerTimerFunc  func,
                         gpointer           user_data)
{
  KfServerTimer *timer;

  g_return_val_if_fail (KF_IS_SERVER_TIMERS (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  timer = g_new (KfServerTimer, 1);
  *timer = (KfServerTimer) {
    .ready_time = ready_time,
    .serial = self->next_serial++,
    .func = func,
    .user_data = user_data,
  };
  timer->iter = g_sequence_insert_sorted (self->queue, timer, compare_timers, NULL);
  if (g_sequence_iter_is_begin (timer->iter))
    update_source (self);

  return timer;
}

/*
 * kf_server_timers_add:
 *
 * Arms a one-shot timer @timeout_ms from now; see kf_server_timers_add_at().
 */
KfServerTimer *
kf_server_timers_add (KfServerTimers    *self,
                      guint              timeout_ms,
                      KfServerTimerFunc  func,
                      gpointer           user_data)
{
  g_return_val_if_fail (KF_IS_SERVER_TIMERS (self), NULL);

  return kf_server_timers_add_at (self,
                                  kf_server_timers_get_time (self)
                                  + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND,
                                  func, user_data);
}

/*
 * kf_server_timers_remove:
 *
 * Disarms @timer, which must not have fired yet.
 */
void
kf_server_timers_remove (KfServerTimers *self,
                         KfServerTimer  *timer)
{
  gboolean was_first;

  g_return_if_fail (KF_IS_SERVER_TIMERS (self));
  g_return_if_fail (timer != NULL);

  was_first = g_sequence_iter_is_begin (timer->iter);
  g_sequence_remove (timer->iter);
  if (was_first)
    update_source (self);
}

/*
 * kf_server_timers_clear:
 * @timer: (inout) (nullable): an armed timer, or %NULL
 *
 * Disarms *@timer if it is set and sets it to %NULL.
 */
void
kf_server_timers_clear (KfServerTimers  *self,
                        KfServerTimer  **timer)
{
  g_return_if_fail (timer != NULL);

  if (*timer != NULL)
    kf_server_timers_remove (self, g_steal_pointer (timer));
}

/* Now, on the timers' clock, in microseconds. */
gint64
kf_server_timers_get_time (KfServerTimers *self)
{
  g_return_val_if_fail (KF_IS_SERVER_TIMERS (self), 0);

  if (self->clock != NULL)
    return self->clock (self->clock_data);
  return g_get_monotonic_time ();
}

/* The number of armed timers. */
guint
kf_server_timers_get_size (KfServerTimers *self)
{
  g_return_val_if_fail (KF_IS_SERVER_TIMERS (self), 0);
  return (guint) g_sequence_get_length (self->queue);
}

/*
 * kf_server_timers_set_clock:
 * @clock: (nullable): the clock, or %NULL for g_get_monotonic_time()
 *
 * For tests and fuzzing: with a clock of its own nothing fires by itself
 * any more; kf_server_timers_run_due() fires what is due on it.
 */
void
kf_server_timers_set_clock (KfServerTimers    *self,
                            KfServerClockFunc  clock,
                            gpointer           user_data)
{
  g_return_if_fail (KF_IS_SERVER_TIMERS (self));

  self->clock = clock;
  self->clock_data = user_data;
  update_source (self);
}

/*
 * kf_server_timers_run_due:
 *
 * Fires every timer whose time has come, soonest first.  A callback may
 * add and remove timers; one it adds that is already due fires in the
 * same call.
 *
 * Returns: how many fired.
 */
guint
kf_server_timers_run_due (KfServerTimers *self)
{
  g_autoptr(KfServerTimers) hold = NULL;
  KfServerTimer *timer;
  gint64 now;
  guint fired = 0;

  g_return_val_if_fail (KF_IS_SERVER_TIMERS (self), 0);

  hold = g_object_ref (self);
  now = kf_server_timers_get_time (self);
  while ((timer = first_timer (self)) != NULL && timer->ready_time <= now)
    {
      KfServerTimerFunc func = timer->func;
      gpointer user_data = timer->user_data;

      g_sequence_remove (timer->iter);
      func (user_data);
      fired++;
    }
  update_source (self);

  return fired;
}
