/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One descriptor watched for reading. */
typedef struct _KfServerWatch KfServerWatch;

/* The descriptor is readable, or the watch was scheduled.  Returns %TRUE
 * when it stopped before reading all there was (its share of this turn is
 * used up) and wants another turn soon. */
typedef gboolean (*KfServerWatchFunc) (gpointer user_data);

#define KF_TYPE_SERVER_POLLER (kf_server_poller_get_type ())

G_DECLARE_FINAL_TYPE (KfServerPoller, kf_server_poller, KF, SERVER_POLLER, GObject)

KfServerPoller *kf_server_poller_new        (GMainContext       *context,
                                             GError            **error);
KfServerWatch  *kf_server_poller_add        (KfServerPoller     *self,
                                             int                 fd,
                                             KfServerWatchFunc   func,
                                             gpointer            user_data,
                                             GError            **error);
void            kf_server_poller_remove     (KfServerPoller     *self,
                                             KfServerWatch      *watch);
gboolean        kf_server_poller_set_active (KfServerPoller     *self,
                                             KfServerWatch      *watch,
                                             gboolean            active,
                                             GError            **error);
void            kf_server_poller_schedule   (KfServerPoller     *self,
                                             KfServerWatch      *watch);
guint           kf_server_poller_get_size   (KfServerPoller     *self);

G_END_DECLS
