/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KF_TYPE_IDENTITY_WARNING (kf_identity_warning_get_type ())
G_DECLARE_FINAL_TYPE (KfIdentityWarning, kf_identity_warning, KF, IDENTITY_WARNING,
                      AdwMessageDialog)

GtkWidget *kf_identity_warning_new (GtkWindow  *parent,
                                    const char *host,
                                    guint16     port,
                                    const char *trusted,
                                    const char *presented);
void       kf_identity_warning_set_expected (KfIdentityWarning *self,
                                             const char        *expected);

G_END_DECLS
