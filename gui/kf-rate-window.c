/* kf-rate-window.c: a transfer's rate over the last few seconds, and how
 * long nothing has moved
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-rate-window.h"

typedef struct
{
  gint64  time_us;
  guint64 done;
} Sample;

struct _KfRateWindow
{
  gint64  span_us;
  GQueue  samples;        /* of Sample, oldest first, within span_us of the newest */
  gint64  last_change_us; /* when done last grew; 0 before the first sample */
};

/* Returns a window that measures over the last @span_us microseconds. */
KfRateWindow *
kf_rate_window_new (gint64 span_us)
{
  KfRateWindow *self = g_new0 (KfRateWindow, 1);

  g_return_val_if_fail (span_us > 0, NULL);

  self->span_us = span_us;
  g_queue_init (&self->samples);
  return self;
}

void
kf_rate_window_free (KfRateWindow *self)
{
  if (self == NULL)
    return;
  g_queue_clear_full (&self->samples, g_free);
  g_free (self);
}

/* Forgets every sample: a new transfer starts. */
void
kf_rate_window_reset (KfRateWindow *self)
{
  g_queue_clear_full (&self->samples, g_free);
  g_queue_init (&self->samples);
  self->last_change_us = 0;
}

/* Drops the samples older than the span before @now_us, keeping one
 * before it so that the span is measured whole. */
static void
trim (KfRateWindow *self,
      gint64        now_us)
{
  while (self->samples.length > 2)
    {
      Sample *second = g_queue_peek_nth (&self->samples, 1);

      if (now_us - second->time_us < self->span_us)
        break;
      g_free (g_queue_pop_head (&self->samples));
    }
}

/* Records that @done bytes had moved at @now_us (monotonic time). */
void
kf_rate_window_add (KfRateWindow *self,
                    gint64        now_us,
                    guint64       done)
{
  Sample *last = g_queue_peek_tail (&self->samples);
  Sample *sample;

  if (last == NULL || done > last->done)
    self->last_change_us = now_us;
  if (last != NULL && done < last->done)
    kf_rate_window_reset (self);

  sample = g_new (Sample, 1);
  sample->time_us = now_us;
  sample->done = done;
  g_queue_push_tail (&self->samples, sample);
  trim (self, now_us);
}

/*
 * kf_rate_window_get_rate:
 *
 * Returns the bytes per second over the last span up to @now_us: time
 * without progress counts, so the rate falls while a transfer stalls.
 * Returns 0 until half a second has been measured.
 */
double
kf_rate_window_get_rate (KfRateWindow *self,
                         gint64        now_us)
{
  Sample *first, *last;
  gint64 from_us, elapsed_us;

  trim (self, now_us);
  first = g_queue_peek_head (&self->samples);
  last = g_queue_peek_tail (&self->samples);
  if (first == NULL || first == last)
    return 0.0;

  from_us = MAX (first->time_us, now_us - self->span_us);
  elapsed_us = now_us - first->time_us;
  if (now_us - from_us < G_USEC_PER_SEC / 2 || elapsed_us <= 0)
    return 0.0;
  return (double) (last->done - first->done) * G_USEC_PER_SEC / elapsed_us;
}

/* Returns how long nothing has moved, at @now_us (0 before any sample). */
gint64
kf_rate_window_get_idle_us (KfRateWindow *self,
                            gint64        now_us)
{
  if (self->last_change_us == 0)
    return 0;
  return MAX (now_us - self->last_change_us, 0);
}
