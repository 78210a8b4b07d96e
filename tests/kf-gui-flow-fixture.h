/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* kf-gui-flow-fixture.h: a key manager on loopback, the app registered once
 * per program, peers as second clients, and waits on what a person sees. */

#include <adwaita.h>

#include "kf-application.h"
#include "kf-client.h"
#include "kf-server.h"
#include "kf-window.h"

G_BEGIN_DECLS

#define TIMEOUT_MS 20000

typedef struct
{
  char           *tmpdir;
  KfServer       *server;
  guint16         port;
  char           *fingerprint;
  KfApplication  *app;
  KfWindow       *window;
  KfKnownServers *peer_known;
  GPtrArray      *peers;
} Fixture;

typedef struct
{
  GAsyncResult *result;
} AsyncWait;

typedef struct
{
  GFile    *destination;
  KfOffer  *offer;
  KfOutcome *outcome;
} PeerReceiver;

/* One application for the whole program (it stays registered on the bus);
 * each test opens its own window on its own key manager. */
extern KfApplication *flow_app;
extern GPtrArray     *flow_notifications;

void       flow_init (int    *argc,
                      char ***argv);
int        flow_run  (void);

void           flow_on_async_done          (GObject      *source,
                                            GAsyncResult *result,
                                            gpointer      user_data);
GAsyncResult  *flow_wait_async             (AsyncWait *wait);
gboolean       flow_widget_hidden          (gpointer data);
void           flow_wait_for_page          (KfWindow   *window,
                                            const char *page);
GtkWidget     *flow_wait_for_window        (GType type);
guint          flow_count_peer_rows        (KfWindow *window);
void           flow_wait_for_rows          (KfWindow *window,
                                            guint     rows);
void           flow_wait_for_state         (KfClient      *client,
                                            KfClientState  state);
void           flow_fixture_set_up         (Fixture       *fx,
                                            gconstpointer  data);
void           flow_fixture_tear_down      (Fixture       *fx,
                                            gconstpointer  data);
/* Adds the test @path, which runs @fn between flow_fixture_set_up() and
 * flow_fixture_tear_down(). */
#define flow_add_test(path, fn) \
  g_test_add ((path), Fixture, NULL, flow_fixture_set_up, (fn), flow_fixture_tear_down)
void           flow_stop_server            (Fixture *fx);
void           flow_restart_server         (Fixture *fx);
void           flow_restart_server_as_other (Fixture *fx);
void           flow_start_window           (Fixture  *fx,
                                            gboolean  pretrust);
void           flow_start_connected_window (Fixture *fx);
KfClient      *flow_connect_peer           (Fixture    *fx,
                                            const char *name);
KfClient      *flow_connect_peer_as        (Fixture    *fx,
                                            const char *name,
                                            KfIdentity *identity);
void           flow_peer_wait              (KfClient *peer);
GFile         *flow_make_file              (Fixture    *fx,
                                            const char *name,
                                            gsize       size);
void           flow_assert_same_contents   (GFile *a,
                                            GFile *b);
GtkWidget     *flow_find_action_button     (GtkWidget  *root,
                                            const char *action_name);
void           flow_click                  (GtkWidget  *root,
                                            const char *action_name);
const char    *flow_row_subtitle           (GtkWidget *root,
                                            guint      index);
void           flow_on_peer_offer          (KfClient     *peer,
                                            KfOffer      *offer,
                                            PeerReceiver *receiver);
void           flow_on_peer_finished       (KfClient     *peer,
                                            KfOutcome    *outcome,
                                            PeerReceiver *receiver);
gboolean       flow_receiver_finished      (gpointer data);
void           flow_offer_to_window        (Fixture   *fx,
                                            KfClient  *sender,
                                            GFile     *file,
                                            AsyncWait *send_wait);
void           flow_offer_files_to_window  (Fixture    *fx,
                                            KfClient   *sender,
                                            GFile     **files,
                                            guint       n_files,
                                            AsyncWait  *send_wait);
GFile         *flow_make_tree              (Fixture    *fx,
                                            const char *name);
void           flow_assert_same_tree       (GFile *a,
                                            GFile *b);
KfOutcome     *flow_finish_sending         (KfClient  *sender,
                                            AsyncWait *send_wait);
gboolean       flow_chooser_has_folder     (gpointer data);
GListStore    *flow_show_discovered        (Fixture *fx);
GFile         *flow_sparse_file            (Fixture    *fx,
                                            const char *name);
void           flow_conn_until_progress    (Fixture *fx,
                                            double   fraction);
void           flow_send_sparse_file       (Fixture    *fx,
                                            const char *name,
                                            double      fraction);
void           flow_cancel_sending         (Fixture      *fx,
                                            PeerReceiver *receiver);
void           flow_accept_offer           (GtkWidget  *dialog,
                                            GFile      *folder,
                                            const char *name);
KfClient      *flow_drop_on_receiver       (Fixture      *fx,
                                            PeerReceiver *receiver,
                                            GFile        *file);
void           flow_choose_tree            (Fixture       *fx,
                                            KfClient      *peer,
                                            PeerReceiver  *receiver,
                                            GFile        **items,
                                            guint          n_items);
GtkWidget     *flow_offer_tree_to_window   (Fixture   *fx,
                                            KfClient  *sender,
                                            GFile     *folder,
                                            GFile     *file,
                                            AsyncWait *send_wait);
KfOutcome     *flow_accept_to_result       (Fixture   *fx,
                                            GtkWidget *dialog,
                                            KfClient  *sender,
                                            AsyncWait *send_wait);
void           flow_window_waits_instead   (Fixture  *fx,
                                            KfClient *peer);
GtkWidget     *flow_send_view_with_receiver (Fixture      *fx,
                                             const char   *name,
                                             PeerReceiver *receiver);

G_END_DECLS
