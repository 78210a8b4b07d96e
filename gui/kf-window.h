/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "kf-application.h"
#include "kf-client.h"

G_BEGIN_DECLS

#define KF_TYPE_WINDOW (kf_window_get_type ())
G_DECLARE_FINAL_TYPE (KfWindow, kf_window, KF, WINDOW, AdwApplicationWindow)

KfWindow   *kf_window_new              (KfApplication *application);
void        kf_window_start            (KfWindow      *self);
void        kf_window_connect_to       (KfWindow      *self,
                                        const char    *host,
                                        guint16        port,
                                        const char    *name,
                                        const char    *fingerprint);
void        kf_window_open_link        (KfWindow      *self,
                                        const char    *link);
KfClient   *kf_window_get_client       (KfWindow      *self);
const char *kf_window_get_page_name    (KfWindow      *self);
const char *kf_window_get_status       (KfWindow      *self);

G_END_DECLS
