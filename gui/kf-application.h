/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-contacts.h"
#include "kf-identity.h"
#include "kf-known-servers.h"

G_BEGIN_DECLS

#define KF_APPLICATION_ID "org.keyferry.Keyferry"

#define KF_TYPE_APPLICATION (kf_application_get_type ())
G_DECLARE_FINAL_TYPE (KfApplication, kf_application, KF, APPLICATION, AdwApplication)

KfApplication  *kf_application_new               (void);
GSettings      *kf_application_get_settings      (KfApplication  *self);
KfKnownServers *kf_application_get_known_servers (KfApplication  *self);
KfContacts     *kf_application_get_contacts      (KfApplication  *self);
KfIdentity     *kf_application_get_identity      (KfApplication  *self,
                                                  GError        **error);
gboolean        kf_application_get_server        (KfApplication  *self,
                                                  char          **host,
                                                  guint16        *port,
                                                  char          **name,
                                                  char          **fingerprint);
void            kf_application_notify            (KfApplication  *self,
                                                  const char     *id,
                                                  const char     *title,
                                                  const char     *body);
void            kf_application_set_overrides     (KfApplication  *self,
                                                  const char     *host,
                                                  guint16         port,
                                                  const char     *name,
                                                  const char     *fingerprint);

G_END_DECLS
