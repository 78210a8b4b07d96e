/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* kf-window-private.h: KfWindow's instance, shared by kf-window.c (how the
 * window maps its client's state to a page and its actions),
 * kf-window-connection.c (reaching the key manager), kf-window-session.c
 * (a transfer session's pages) and kf-window-actions.c (its win.*
 * actions). */

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

/* kf-window.c */
GSettings *_kf_window_get_settings     (KfWindow       *self);
KfKnownServers *_kf_window_get_known_servers (KfWindow  *self);
void       _kf_window_show_toast       (KfWindow       *self,
                                        const char     *text);
void       _kf_window_notify_user      (KfWindow       *self,
                                        const char     *id,
                                        const char     *title,
                                        const char     *body);
void       _kf_window_set_failure      (KfWindow       *self,
                                        const char     *message);
gboolean   _kf_window_in_session       (KfWindow       *self);
void       _kf_window_follow_client    (KfWindow       *self);
void       _kf_window_close_offer      (KfWindow       *self);
char      *_kf_window_name_peer        (KfWindow       *self,
                                        guint           peer_id,
                                        const char     *name);

/* kf-window-connection.c */
void       _kf_window_follow_connection (KfWindow      *self);
void       _kf_window_watch_network    (KfWindow       *self);
void       _kf_window_drop_client      (KfWindow       *self);

/* kf-window-session.c */
void       _kf_window_follow_sessions  (KfWindow       *self);

/* kf-window-actions.c */
void       _kf_window_install_actions  (GtkWidgetClass *widget_class);

G_END_DECLS
