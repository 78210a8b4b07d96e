/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* kf-window-private.h: KfWindow's instance, shared by kf-window.c (how the
 * window follows its client) and kf-window-actions.c (its win.* actions). */

#include "kf-connect-page.h"
#include "kf-discovery.h"
#include "kf-main-page.h"
#include "kf-result-page.h"
#include "kf-transfer-page.h"
#include "kf-window.h"

G_BEGIN_DECLS

/* What the window shows beyond what the client's state says. */
typedef enum
{
  KF_WINDOW_HOLD_NONE,
  KF_WINDOW_HOLD_CONN,    /* the sender asked for a session; the key manager has not answered */
  KF_WINDOW_HOLD_RESULT,  /* a session ended: its result stays until Back to Start */
} KfWindowHold;

struct _KfWindow
{
  AdwApplicationWindow  parent_instance;

  AdwWindowTitle       *window_title;
  GtkWidget            *back_button;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *page_stack;
  KfConnectPage        *connect_page;
  KfMainPage           *main_page;
  KfTransferPage       *transfer_page;
  KfResultPage         *result_page;

  KfDiscovery          *discovery;    /* NULL without Avahi */
  KfClient             *client;
  GSignalGroup         *client_signals;
  GCancellable         *cancellable;
  GCancellable         *connecting;   /* while the connect flow runs */
  GCancellable         *offer_cancellable;
  char                 *failure;
  KfWindowHold          hold;
  gboolean              closing;
  gboolean              joining;      /* connecting from a join link: saved once connected */
};

GSettings *_kf_window_get_settings     (KfWindow       *self);
void       _kf_window_show_toast       (KfWindow       *self,
                                        const char     *text);
void       _kf_window_follow_client    (KfWindow       *self);
void       _kf_window_close_offer      (KfWindow       *self);
void       _kf_window_drop_client      (KfWindow       *self);
char      *_kf_window_name_peer        (KfWindow       *self,
                                        guint           peer_id,
                                        const char     *name);
void       _kf_window_install_actions  (GtkWidgetClass *widget_class);

G_END_DECLS
