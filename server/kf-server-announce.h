/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KF_TYPE_SERVER_ANNOUNCE (kf_server_announce_get_type ())
G_DECLARE_FINAL_TYPE (KfServerAnnounce, kf_server_announce, KF, SERVER_ANNOUNCE, GObject)

KfServerAnnounce *kf_server_announce_new   (const char       *site_name,
                                            guint16           port,
                                            const char       *fingerprint);
void              kf_server_announce_start (KfServerAnnounce *self);
KfServerAnnounce *kf_server_announce_new_for (const char     *listen,
                                              const char     *site_name,
                                              guint16         port,
                                              const char     *fingerprint);
const char       *kf_server_announce_get_service_name (KfServerAnnounce *self);

G_END_DECLS
