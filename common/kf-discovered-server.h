/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

#include "kf-known-servers.h"

G_BEGIN_DECLS

/* What the user's pin for a discovered server's address says of the
 * fingerprint it announced (a hint: the connection checks the pin). */
typedef enum
{
  KF_DISCOVERED_TRUST_UNKNOWN,  /* no pin: first contact asks */
  KF_DISCOVERED_TRUST_TRUSTED,  /* the pin is the announced fingerprint */
  KF_DISCOVERED_TRUST_CHANGED,  /* pinned to another (or none announced) */
} KfDiscoveredTrust;

#define KF_TYPE_DISCOVERED_SERVER (kf_discovered_server_get_type ())
G_DECLARE_FINAL_TYPE (KfDiscoveredServer, kf_discovered_server, KF, DISCOVERED_SERVER, GObject)

KfDiscoveredServer *kf_discovered_server_new             (const char         *name,
                                                          const char         *host,
                                                          const char         *address,
                                                          guint16             port,
                                                          const char * const *txt);
const char         *kf_discovered_server_get_name        (KfDiscoveredServer *self);
const char         *kf_discovered_server_get_site        (KfDiscoveredServer *self);
const char         *kf_discovered_server_get_host        (KfDiscoveredServer *self);
const char         *kf_discovered_server_get_address     (KfDiscoveredServer *self);
guint16             kf_discovered_server_get_port        (KfDiscoveredServer *self);
const char         *kf_discovered_server_get_fingerprint (KfDiscoveredServer *self);
guint               kf_discovered_server_get_version     (KfDiscoveredServer *self);
char               *kf_discovered_server_dup_target      (KfDiscoveredServer *self);
KfDiscoveredTrust   kf_discovered_server_get_trust       (KfDiscoveredServer *self,
                                                          KfKnownServers     *known);

G_END_DECLS
