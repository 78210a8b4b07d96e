/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-server-timers.h"

G_BEGIN_DECLS

#define KF_TYPE_SERVER_TRIM (kf_server_trim_get_type ())

G_DECLARE_FINAL_TYPE (KfServerTrim, kf_server_trim, KF, SERVER_TRIM, GObject)

KfServerTrim *kf_server_trim_new      (KfServerTimers *timers);
void          kf_server_trim_arrived  (KfServerTrim   *self);
void          kf_server_trim_departed (KfServerTrim   *self);

G_END_DECLS
