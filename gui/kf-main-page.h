/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-cipher.h"

G_BEGIN_DECLS

typedef enum
{
  KF_MAIN_VIEW_HOME,
  KF_MAIN_VIEW_WAITING,
  KF_MAIN_VIEW_SEND,
} KfMainView;

#define KF_TYPE_MAIN_PAGE (kf_main_page_get_type ())
G_DECLARE_FINAL_TYPE (KfMainPage, kf_main_page, KF, MAIN_PAGE, AdwBin)

void        kf_main_page_set_view    (KfMainPage    *self,
                                      KfMainView     view);
KfMainView  kf_main_page_get_view    (KfMainPage    *self);
void        kf_main_page_set_peers   (KfMainPage    *self,
                                      GListModel    *peers,
                                      KfContacts    *contacts);
gboolean    kf_main_page_select_peer (KfMainPage    *self,
                                      guint          peer_id);
void        kf_main_page_set_mode    (KfMainPage    *self,
                                      KfCipherMode   mode);
void        kf_main_page_set_file    (KfMainPage    *self,
                                      GFile         *file);
void        kf_main_page_set_files   (KfMainPage    *self,
                                      GFile        **files,
                                      guint          n_files);
GPtrArray  *kf_main_page_dup_files   (KfMainPage    *self);
char       *kf_main_page_format_sending (KfMainPage *self,
                                         const char *who);
gboolean    kf_main_page_get_choice  (KfMainPage    *self,
                                      guint         *peer_id,
                                      char         **peer_name,
                                      KfCipherMode  *mode,
                                      GPtrArray    **files);
void        kf_main_page_reset_send  (KfMainPage    *self);
void        kf_main_page_choose_file (KfMainPage    *self);
void        kf_main_page_set_online  (KfMainPage    *self,
                                      gboolean       online);

G_END_DECLS
