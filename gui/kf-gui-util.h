/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>
#include <gtk/gtk.h>

#include "kf-cipher.h"
#include "kf-client.h"

G_BEGIN_DECLS

#define KF_GUI_ERROR (kf_gui_error_quark ())

typedef enum
{
  KF_GUI_ERROR_INVALID_NAME,
  KF_GUI_ERROR_NOT_TRUSTED,
  KF_GUI_ERROR_NO_PASSPHRASE,
  KF_GUI_ERROR_INVALID_PORTS,
} KfGuiError;

GQuark      kf_gui_error_quark          (void);

gboolean    kf_gui_parse_port_range     (const char    *text,
                                         guint16       *first,
                                         guint16       *last,
                                         GError       **error);
char       *kf_gui_check_name           (const char    *text,
                                         GError       **error);
const char *kf_gui_mode_label           (KfCipherMode   mode);
KfContactCheck kf_gui_check_contact     (KfContacts    *contacts,
                                         const char    *name,
                                         const guint8  *key,
                                         char         **known_code);
AdwToast   *kf_gui_toast_new            (const char    *text);
char       *kf_gui_format_progress      (guint64        done,
                                         guint64        total);
char       *kf_gui_format_contents      (guint          n_files,
                                         guint          n_folders);
char       *kf_gui_format_offer_news    (KfOffer       *offer);
char       *kf_gui_format_receiving     (KfOffer       *offer,
                                         const char    *who);
char       *kf_gui_format_rate          (guint64        done,
                                         guint64        total,
                                         double         bytes_per_second);
char       *kf_gui_format_fingerprint   (const char    *fingerprint);
GFile      *kf_gui_download_folder      (GSettings     *settings);
char       *kf_gui_format_status        (KfClientState  state,
                                         guint          client_id,
                                         const char    *host,
                                         const char    *failure);
void        kf_gui_stack_hide_unseen    (GtkStack      *stack);
void        kf_gui_install_a11y_fixes   (void);

G_END_DECLS
