/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-contacts.h"

G_BEGIN_DECLS

#define KF_TYPE_PEER_ROW (kf_peer_row_get_type ())
G_DECLARE_FINAL_TYPE (KfPeerRow, kf_peer_row, KF, PEER_ROW, AdwActionRow)

GtkWidget  *kf_peer_row_new      (guint        peer_id,
                                  const char  *peer_name);
guint       kf_peer_row_get_peer_id (KfPeerRow *self);
const char *kf_peer_row_get_peer_name (KfPeerRow *self);
void        kf_peer_row_set_chosen    (KfPeerRow *self,
                                       gboolean   chosen);
gboolean    kf_peer_row_get_chosen    (KfPeerRow *self);
void        kf_peer_row_set_show_id   (KfPeerRow *self,
                                       gboolean   show_id);
void        kf_peer_row_set_contact   (KfPeerRow      *self,
                                       KfContactCheck  check,
                                       const char     *code);
KfContactCheck kf_peer_row_get_contact (KfPeerRow *self);

G_END_DECLS
