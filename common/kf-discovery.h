/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-discovered-server.h"

G_BEGIN_DECLS

/* DNS-SD: the service type and the TXT keys (docs/PROTOCOL.md,
 * "Discovery and join links"). */
#define KF_DISCOVERY_SERVICE_TYPE "_keyferry._tcp"
#define KF_DISCOVERY_TXT_VERSION  "v"
#define KF_DISCOVERY_TXT_FP       "fp"
#define KF_DISCOVERY_TXT_SITE     "site"
/* A DNS label, so a service instance name, holds at most 63 bytes. */
#define KF_DISCOVERY_MAX_NAME     63

gboolean kf_discovery_site_name_is_valid (const char *site_name);
char    *kf_discovery_clean_text         (const char *text,
                                          gsize       max_bytes);

#define KF_TYPE_DISCOVERY (kf_discovery_get_type ())
G_DECLARE_FINAL_TYPE (KfDiscovery, kf_discovery, KF, DISCOVERY, GObject)

KfDiscovery *kf_discovery_new         (void);
gboolean     kf_discovery_start       (KfDiscovery  *self,
                                       GError      **error);
GListModel  *kf_discovery_get_servers (KfDiscovery  *self);
gboolean     kf_discovery_is_settled  (KfDiscovery  *self);
const GError *kf_discovery_get_error  (KfDiscovery  *self);

G_END_DECLS
