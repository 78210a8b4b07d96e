/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One armed deadline; valid until it fires or is removed. */
typedef struct _KfServerTimer KfServerTimer;

/* Called once when a timer's time has come; the timer is gone by then. */
typedef void   (*KfServerTimerFunc) (gpointer user_data);
/* Monotonic time in microseconds. */
typedef gint64 (*KfServerClockFunc) (gpointer user_data);

#define KF_TYPE_SERVER_TIMERS (kf_server_timers_get_type ())

G_DECLARE_FINAL_TYPE (KfServerTimers, kf_server_timers, KF, SERVER_TIMERS, GObject)

KfServerTimers *kf_server_timers_new       (GMainContext       *context);
KfServerTimer  *kf_server_timers_add       (KfServerTimers     *self,
                                            guint               timeout_ms,
                                            KfServerTimerFunc   func,
                                            gpointer            user_data);
KfServerTimer  *kf_server_timers_add_at    (KfServerTimers     *self,
                                            gint64              ready_time,
                                            KfServerTimerFunc   func,
                                            gpointer            user_data);
void            kf_server_timers_remove    (KfServerTimers     *self,
                                            KfServerTimer      *timer);
void            kf_server_timers_clear     (KfServerTimers     *self,
                                            KfServerTimer     **timer);
gint64          kf_server_timers_get_time  (KfServerTimers     *self);
guint           kf_server_timers_get_size  (KfServerTimers     *self);
void            kf_server_timers_set_clock (KfServerTimers     *self,
                                            KfServerClockFunc   clock,
                                            gpointer            user_data);
guint           kf_server_timers_run_due   (KfServerTimers     *self);

G_END_DECLS
