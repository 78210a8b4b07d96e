/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KF_TYPE_PASSPHRASE_DIALOG (kf_passphrase_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KfPassphraseDialog, kf_passphrase_dialog, KF, PASSPHRASE_DIALOG,
                      AdwMessageDialog)

GtkWidget *kf_passphrase_dialog_new            (GtkWindow          *parent,
                                                const char         *host,
                                                gboolean            retry);
char      *kf_passphrase_dialog_dup_passphrase (KfPassphraseDialog *self);

G_END_DECLS
