/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-file-store.h"

G_BEGIN_DECLS

#define KF_TYPE_KNOWN_SERVERS (kf_known_servers_get_type ())
G_DECLARE_FINAL_TYPE (KfKnownServers, kf_known_servers, KF, KNOWN_SERVERS, KfFileStore)

KfKnownServers *kf_known_servers_new          (const char      *path);
const char     *kf_known_servers_get_path     (KfKnownServers  *self);
gboolean        kf_known_servers_load         (KfKnownServers  *self,
                                               GError         **error);
const char     *kf_known_servers_lookup       (KfKnownServers  *self,
                                               const char      *host,
                                               guint16          port);
gboolean        kf_known_servers_add          (KfKnownServers  *self,
                                               const char      *host,
                                               guint16          port,
                                               const char      *fingerprint,
                                               GError         **error);
gboolean        kf_known_servers_remove       (KfKnownServers  *self,
                                               const char      *host,
                                               guint16          port,
                                               GError         **error);
gboolean        kf_known_servers_clear        (KfKnownServers  *self,
                                               GError         **error);
GStrv           kf_known_servers_dup_targets  (KfKnownServers  *self);
char           *kf_known_servers_default_path (void);

G_END_DECLS
