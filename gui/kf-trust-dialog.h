/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KF_TYPE_TRUST_DIALOG (kf_trust_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KfTrustDialog, kf_trust_dialog, KF, TRUST_DIALOG, AdwMessageDialog)

GtkWidget  *kf_trust_dialog_new             (GtkWindow     *parent,
                                             const char    *host,
                                             guint16        port,
                                             const char    *fingerprint);
const char *kf_trust_dialog_get_fingerprint (KfTrustDialog *self);

G_END_DECLS
