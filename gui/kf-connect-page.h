/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-known-servers.h"

G_BEGIN_DECLS

#define KF_TYPE_CONNECT_PAGE (kf_connect_page_get_type ())
G_DECLARE_FINAL_TYPE (KfConnectPage, kf_connect_page, KF, CONNECT_PAGE, AdwBin)

void      kf_connect_page_set_values (KfConnectPage  *self,
                                      const char     *host,
                                      guint16         port,
                                      const char     *name);
gboolean  kf_connect_page_get_values (KfConnectPage  *self,
                                      char          **host,
                                      guint16        *port,
                                      char          **name,
                                      GError        **error);
void      kf_connect_page_set_busy   (KfConnectPage  *self,
                                      gboolean        busy);
void      kf_connect_page_set_error  (KfConnectPage  *self,
                                      const char     *message);
void      kf_connect_page_set_servers (KfConnectPage  *self,
                                       GListModel     *servers,
                                       KfKnownServers *known_servers);
void      kf_connect_page_set_settled (KfConnectPage  *self,
                                       gboolean        settled);

G_END_DECLS
