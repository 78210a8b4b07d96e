/* kf-server-trim.c: handing freed memory back when clients have left
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * When many clients have left, glibc keeps the freed heap for reuse; the
 * server hands it back with malloc_trim() once the number of client
 * objects alive has fallen to half of its peak since the last time.  The
 * server tells KfServerTrim of each client object made and freed; this
 * file decides when to trim, and trims in a worker thread.  Without
 * malloc_trim() (not glibc) it only counts.
 */

#include "config.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <gio/gio.h>

#include "kf-server-trim.h"

/* Memory is handed back when the clients alive have fallen to half of a
 * peak of at least this many, once no client has gone for a moment (a
 * crowd leaving is trimmed once, not once per step), or at the latest
 * TRIM_MAX_DELAY_MS after they fell. */
#define TRIM_MIN_PEAK     256
#define TRIM_QUIET_MS     500
#define TRIM_MAX_DELAY_MS 5000

struct _KfServerTrim
{
  GObject         parent_instance;

  KfServerTimers *timers;
  guint           alive;          /* client objects not freed yet */
  guint           peak_alive;     /* most clients alive since the last trim */
  KfServerTimer  *timer;
  gint64          wanted;         /* when the clients fell to half their peak */
  gint64          started;
  gboolean        trimming;       /* malloc_trim() runs in a worker */
  gint64          last_departure; /* when a client object was last freed */
};

G_DEFINE_FINAL_TYPE (KfServerTrim, kf_server_trim, G_TYPE_OBJECT)

static void
kf_server_trim_dispose (GObject *object)
{
  KfServerTrim *self = KF_SERVER_TRIM (object);

  if (self->timers != NULL)
    kf_server_timers_clear (self->timers, &self->timer);
  g_clear_object (&self->timers);

  G_OBJECT_CLASS (kf_server_trim_parent_class)->dispose (object);
}

static void
kf_server_trim_class_init (KfServerTrimClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kf_server_trim_dispose;
}

static void
kf_server_trim_init (KfServerTrim *self)
{
}

/*
 * kf_server_trim_new:
 * @timers: where the trim waits for the departures to calm down
 *
 * Returns: (transfer full): the policy, with no client alive yet.
 */
KfServerTrim *
kf_server_trim_new (KfServerTimers *timers)
{
  KfServerTrim *self = g_object_new (KF_TYPE_SERVER_TRIM, NULL);

  self->timers = g_object_ref (timers);
  return self;
}

/* A client object was made. */
void
kf_server_trim_arrived (KfServerTrim *self)
{
  g_return_if_fail (KF_IS_SERVER_TRIM (self));

  self->alive++;
  self->peak_alive = MAX (self->peak_alive, self->alive);
}

#ifdef HAVE_MALLOC_TRIM
/* Gives the free heap back.  In a worker thread: handing back 100 MiB
 * makes the kernel unmap 25,000 pages and flush the other CPUs' TLBs,
 * 0.8 to 1.9 s on this busy virtual machine for 5,000 clients' worth,
 * which the main loop should not wait for (a malloc() there that misses
 * its thread cache can still wait for the arena being trimmed). */
static void
trim_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  malloc_trim (0);
  g_task_return_boolean (task, TRUE);
}

static void
trim_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KfServerTrim *self = KF_SERVER_TRIM (source);

  self->trimming = FALSE;
  g_debug ("Freed memory handed back in %.1f ms",
           (g_get_monotonic_time () - self->started) / 1000.0);
}

/* Trims once no client has gone for TRIM_QUIET_MS (or TRIM_MAX_DELAY_MS
 * after the clients fell to half their peak), and not while a trim runs. */
static void
trim_cb (gpointer user_data)
{
  KfServerTrim *self = user_data;
  g_autoptr(GTask) task = NULL;
  gint64 now = kf_server_timers_get_time (self->timers);
  gint64 quiet_at = self->last_departure + TRIM_QUIET_MS * G_TIME_SPAN_MILLISECOND;

  self->timer = NULL;
  if (self->trimming)
    quiet_at = MAX (quiet_at, now + TRIM_QUIET_MS * G_TIME_SPAN_MILLISECOND);
  if (now < quiet_at
      && (self->trimming || now < self->wanted + TRIM_MAX_DELAY_MS * G_TIME_SPAN_MILLISECOND))
    {
      self->timer = kf_server_timers_add_at (self->timers, quiet_at, trim_cb, self);
      return;
    }
  g_debug ("%u clients, down from %u: handing freed memory back", self->alive, self->peak_alive);
  self->peak_alive = self->alive;
  self->trimming = TRUE;
  self->started = g_get_monotonic_time ();
  task = g_task_new (self, NULL, trim_done, NULL);
  g_task_set_source_tag (task, trim_cb);
  g_task_run_in_thread (task, trim_in_thread);
}
#endif

/* A client object was freed: arms the trim when the clients alive have
 * fallen to half their peak. */
void
kf_server_trim_departed (KfServerTrim *self)
{
  g_return_if_fail (KF_IS_SERVER_TRIM (self));
  g_return_if_fail (self->alive > 0);

  self->alive--;
  self->last_departure = kf_server_timers_get_time (self->timers);
#ifdef HAVE_MALLOC_TRIM
  if (self->timer == NULL && self->peak_alive >= TRIM_MIN_PEAK
      && self->alive <= self->peak_alive / 2)
    {
      self->wanted = self->last_departure;
      self->timer = kf_server_timers_add (self->timers, TRIM_QUIET_MS, trim_cb, self);
    }
#endif
}
