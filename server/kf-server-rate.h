/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KfServerRate KfServerRate;

KfServerRate *kf_server_rate_new     (guint         burst,
                                      guint         refill_ms);
void          kf_server_rate_free    (KfServerRate *self);
void          kf_server_rate_set     (KfServerRate *self,
                                      guint         burst,
                                      guint         refill_ms);
gboolean      kf_server_rate_take    (KfServerRate *self,
                                      const char   *key,
                                      gint64        now_us,
                                      guint        *retry_after_s);
guint         kf_server_rate_size    (KfServerRate *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfServerRate, kf_server_rate_free)

G_END_DECLS
