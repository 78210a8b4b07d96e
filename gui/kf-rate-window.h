/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KfRateWindow KfRateWindow;

KfRateWindow *kf_rate_window_new         (gint64        span_us);
void          kf_rate_window_free        (KfRateWindow *self);
void          kf_rate_window_reset       (KfRateWindow *self);
void          kf_rate_window_add         (KfRateWindow *self,
                                          gint64        now_us,
                                          guint64       done);
double        kf_rate_window_get_rate    (KfRateWindow *self,
                                          gint64        now_us);
gint64        kf_rate_window_get_idle_us (KfRateWindow *self,
                                          gint64        now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfRateWindow, kf_rate_window_free)

G_END_DECLS
