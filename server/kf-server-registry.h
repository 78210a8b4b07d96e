/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-server-client.h"

G_BEGIN_DECLS

#define KF_TYPE_SERVER_REGISTRY (kf_server_registry_get_type ())

G_DECLARE_FINAL_TYPE (KfServerRegistry, kf_server_registry, KF, SERVER_REGISTRY, GObject)

KfServerRegistry *kf_server_registry_new          (void);
void              kf_server_registry_add          (KfServerRegistry *self,
                                                   KfServerClient   *client);
void              kf_server_registry_remove       (KfServerRegistry *self,
                                                   KfServerClient   *client);
KfServerClient   *kf_server_registry_lookup       (KfServerRegistry *self,
                                                   guint64           id);
guint             kf_server_registry_get_size     (KfServerRegistry *self);
void              kf_server_registry_set_waiting  (KfServerRegistry *self,
                                                   KfServerClient   *client,
                                                   gboolean          waiting);
gboolean          kf_server_registry_is_waiting   (KfServerRegistry *self,
                                                   KfServerClient   *client);
GPtrArray        *kf_server_registry_list_waiting_after (KfServerRegistry *self,
                                                        KfServerClient   *exclude,
                                                        guint64           after,
                                                        guint             max,
                                                        gboolean         *more);
GPtrArray        *kf_server_registry_list_waiting (KfServerRegistry *self,
                                                   KfServerClient   *exclude,
                                                   guint             max);
void              kf_server_registry_set_watching (KfServerRegistry *self,
                                                   KfServerClient   *client,
                                                   gboolean          watching);

G_END_DECLS
