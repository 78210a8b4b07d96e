/* kf-gui-flow-fixture.c: what the GUI flow tests share: a key manager on
 * loopback, the app registered once, peers as second clients, waits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "kf-connect-page.h"
#include "kf-discovered-server.h"
#include "kf-gcrypt.h"
#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-peer-row.h"
#include "kf-send-files.h"

KfApplication *flow_app;
GPtrArray *flow_notifications;


/* ------------------------------------------------------------------ */
/* Waiting for things                                                   */


void
flow_on_async_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  AsyncWait *wait = user_data;

  wait->result = g_object_ref (result);
}

static gboolean
async_done (gpointer data)
{
  return ((AsyncWait *) data)->result != NULL;
}

GAsyncResult *
flow_wait_async (AsyncWait *wait)
{
  g_assert_true (kf_gui_test_wait_for (async_done, wait, TIMEOUT_MS));
  return wait->result;
}

typedef struct
{
  KfWindow   *window;
  const char *page;
} PageWait;

gboolean
flow_widget_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

static gboolean
page_is (gpointer data)
{
  PageWait *wait = data;

  return g_strcmp0 (kf_window_get_page_name (wait->window), wait->page) == 0;
}

void
flow_wait_for_page (KfWindow   *window,
                    const char *page)
{
  PageWait wait = { window, page };

  if (!kf_gui_test_wait_for (page_is, &wait, TIMEOUT_MS))
    g_error ("page %s never shown (still %s, status “%s”)", page,
             kf_window_get_page_name (window), kf_window_get_status (window));
}

static gboolean
window_of_type_shown (gpointer data)
{
  return kf_gui_test_find_window (GPOINTER_TO_SIZE (data)) != NULL;
}

GtkWidget *
flow_wait_for_window (GType type)
{
  g_assert_true (kf_gui_test_wait_for (window_of_type_shown, GSIZE_TO_POINTER (type),
                                       TIMEOUT_MS));
  return kf_gui_test_find_window (type);
}

typedef struct
{
  KfWindow *window;
  guint     rows;
} RowsWait;

guint
flow_count_peer_rows (KfWindow *window)
{
  return kf_gui_test_count_children (GTK_WIDGET (window), KF_TYPE_PEER_ROW);
}

static gboolean
rows_are (gpointer data)
{
  RowsWait *wait = data;

  return flow_count_peer_rows (wait->window) == wait->rows;
}

void
flow_wait_for_rows (KfWindow *window,
                    guint     rows)
{
  RowsWait wait = { window, rows };

  g_assert_true (kf_gui_test_wait_for (rows_are, &wait, TIMEOUT_MS));
}

typedef struct
{
  KfClient      *client;
  KfClientState  state;
} StateWait;

static gboolean
state_is (gpointer data)
{
  StateWait *wait = data;

  return kf_client_get_state (wait->client) == wait->state;
}

void
flow_wait_for_state (KfClient      *client,
                     KfClientState  state)
{
  StateWait wait = { client, state };

  g_assert_true (kf_gui_test_wait_for (state_is, &wait, TIMEOUT_MS));
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */

/* Starts the key manager on @port (0: any) with its state in the fixture's
 * folder, so that a restart keeps its identity. */
static void
start_server (Fixture    *fx,
              const char *state,
              const char *passphrase,
              guint16     port)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_build_filename (fx->tmpdir, state, NULL);
  KfServerConfig config;

  kf_server_config_init (&config);
  g_free (config.state_dir);
  config.state_dir = g_strdup (state_dir);
  config.kdf_iterations = 1;
  config.kdf_memory_kib = 8 * 1024;
  config.auth_penalty_ms = 10;
  config.auth_penalty_max_ms = 20;
  /* Every peer of these tests comes from 127.0.0.1, up to 50 of them. */
  config.max_clients_per_address = config.max_clients;
  fx->server = kf_server_new (&config, passphrase, &error);
  kf_server_config_clear (&config);
  g_assert_no_error (error);
  g_assert_true (kf_server_listen (fx->server, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  fx->port = kf_server_get_port (fx->server);
}

void
flow_fixture_set_up (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *peer_known = NULL;

  fx->tmpdir = g_dir_make_tmp ("kf-gui-flow-XXXXXX", &error);
  g_assert_no_error (error);

  start_server (fx, "state", data, 0);
  fx->fingerprint = g_strdup (kf_server_get_fingerprint (fx->server));

  peer_known = g_build_filename (fx->tmpdir, "peer-known-servers", NULL);
  fx->peer_known = kf_known_servers_new (peer_known);
  fx->peers = g_ptr_array_new_with_free_func (g_object_unref);

  fx->app = g_object_ref (flow_app);
  g_assert_true (kf_known_servers_clear (kf_application_get_known_servers (fx->app), &error));
  /* No contacts either: the peers of earlier tests had identities of
   * their own, and a new peer under the same name would be "changed". */
  g_unlink (kf_contacts_get_path (kf_application_get_contacts (fx->app)));
  g_assert_true (kf_contacts_load (kf_application_get_contacts (fx->app), &error));
}

/* Stops the key manager (its clients start reconnecting). */
void
flow_stop_server (Fixture *fx)
{
  AsyncWait wait = { NULL };

  kf_server_shutdown_async (fx->server, "restart", NULL, flow_on_async_done, &wait);
  g_assert_true (kf_server_shutdown_finish (fx->server, flow_wait_async (&wait), NULL));
  g_clear_object (&wait.result);
  g_clear_object (&fx->server);
}

/* Starts the key manager again on the same port with the same identity. */
void
flow_restart_server (Fixture *fx)
{
  start_server (fx, "state", NULL, fx->port);
  g_assert_cmpstr (kf_server_get_fingerprint (fx->server), ==, fx->fingerprint);
}

/* Starts another key manager on the same port: same address, another
 * certificate, as an impostor (or a reinstalled one) would have. */
void
flow_restart_server_as_other (Fixture *fx)
{
  start_server (fx, "other-state", NULL, fx->port);
  g_assert_cmpstr (kf_server_get_fingerprint (fx->server), !=, fx->fingerprint);
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
flow_fixture_tear_down (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  AsyncWait wait = { NULL };

  if (fx->window != NULL)
    {
      /* The window and its client go away with nothing left running. */
      g_object_add_weak_pointer (G_OBJECT (fx->window), (gpointer *) &fx->window);
      gtk_window_destroy (GTK_WINDOW (fx->window));
      g_assert_true (kf_gui_test_wait_for (is_null, &fx->window, TIMEOUT_MS));
    }
  g_ptr_array_unref (fx->peers);
  kf_gui_test_settle (100);

  if (fx->server != NULL)
    {
      kf_server_shutdown_async (fx->server, "test over", NULL, flow_on_async_done, &wait);
      g_assert_true (kf_server_shutdown_finish (fx->server, flow_wait_async (&wait), NULL));
      g_clear_object (&wait.result);
      g_clear_object (&fx->server);
    }
  g_clear_object (&fx->peer_known);
  g_clear_object (&fx->app);
  g_free (fx->fingerprint);

  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fx->tmpdir);
    g_assert_cmpint (system (command), ==, 0);
  }
  g_free (fx->tmpdir);
}

/* Opens the app's window on the test key manager (pre-trusted or not). */
void
flow_start_window (Fixture  *fx,
                   gboolean  pretrust)
{
  kf_application_set_overrides (fx->app, "127.0.0.1", fx->port, "Gui",
                                pretrust ? fx->fingerprint : NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
}

void
flow_start_connected_window (Fixture *fx)
{
  flow_start_window (fx, TRUE);
  flow_wait_for_page (fx->window, "main");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_IDLE);
}

/* A second client, named @name, connected and pre-trusting the key manager. */
KfClient *
flow_connect_peer (Fixture    *fx,
                   const char *name)
{
  return flow_connect_peer_as (fx, name, NULL);
}

/* The same as the person @identity (a new one when %NULL): a name belongs
 * to one identity on the key manager. */
KfClient *
flow_connect_peer_as (Fixture    *fx,
                      const char *name,
                      KfIdentity *identity)
{
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { NULL };
  KfClient *peer = kf_client_new ("127.0.0.1", fx->port, name, fx->peer_known);

  if (identity != NULL)
    kf_client_set_identity (peer, identity);
  kf_client_set_expected_fingerprint (peer, fx->fingerprint);
  kf_client_connect_async (peer, NULL, flow_on_async_done, &wait);
  g_assert_true (kf_client_connect_finish (peer, flow_wait_async (&wait), &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
  g_ptr_array_add (fx->peers, peer);
  return peer;
}

void
flow_peer_wait (KfClient *peer)
{
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { NULL };

  kf_client_wait_async (peer, NULL, flow_on_async_done, &wait);
  g_assert_true (kf_client_wait_finish (peer, flow_wait_async (&wait), &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
}

/* Writes @size bytes of a fixed pattern to @name in the fixture's folder. */
GFile *
flow_make_file (Fixture    *fx,
                const char *name,
                gsize       size)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 31 + i / 251);
  g_assert_true (g_file_set_contents (path, (const char *) data, size, &error));
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

void
flow_assert_same_contents (GFile *a,
                           GFile *b)
{
  g_autofree char *data_a = NULL;
  g_autofree char *data_b = NULL;
  gsize len_a = 0, len_b = 0;

  g_assert_true (g_file_load_contents (a, NULL, &data_a, &len_a, NULL, NULL));
  g_assert_true (g_file_load_contents (b, NULL, &data_b, &len_b, NULL, NULL));
  g_assert_cmpmem (data_a, len_a, data_b, len_b);
}

/* Returns the button of the window that runs @action_name. */
GtkWidget *
flow_find_action_button (GtkWidget  *root,
                         const char *action_name)
{
  GtkWidget *button;

  for (guint i = 0; (button = kf_gui_test_find_child (root, GTK_TYPE_BUTTON, i)) != NULL; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), action_name) == 0
        && gtk_widget_is_drawable (button))
      return button;
  return NULL;
}

void
flow_click (GtkWidget  *root,
            const char *action_name)
{
  GtkWidget *button = flow_find_action_button (root, action_name);

  if (button == NULL || !gtk_widget_is_sensitive (button))
    g_error ("cannot flow_click %s: %s", action_name, button == NULL ? "no button" : "disabled");
  g_signal_emit_by_name (button, "clicked");
}

const char *
flow_row_subtitle (GtkWidget *root,
                   guint      index)
{
  GtkWidget *row = kf_gui_test_find_child (root, ADW_TYPE_ACTION_ROW, index);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}


void
flow_on_peer_offer (KfClient     *peer,
                    KfOffer      *offer,
                    PeerReceiver *receiver)
{
  g_autoptr(GError) error = NULL;

  receiver->offer = g_object_ref (offer);
  g_assert_true (kf_client_accept_offer (peer, receiver->destination, FALSE, &error));
  g_assert_no_error (error);
}

void
flow_on_peer_finished (KfClient     *peer,
                       KfOutcome    *outcome,
                       PeerReceiver *receiver)
{
  g_set_object (&receiver->outcome, outcome);
}

gboolean
flow_receiver_finished (gpointer data)
{
  return ((PeerReceiver *) data)->outcome != NULL;
}

/* The GUI waits; the peer @sender connects to it and offers @file. */
void
flow_offer_to_window (Fixture   *fx,
                      KfClient  *sender,
                      GFile     *file,
                      AsyncWait *send_wait)
{
  flow_offer_files_to_window (fx, sender, &file, 1, send_wait);
}

/* The GUI waits; the peer @sender connects to it and offers @files
 * (files and folders, as one offer). */
void
flow_offer_files_to_window (Fixture    *fx,
                            KfClient   *sender,
                            GFile     **files,
                            guint       n_files,
                            AsyncWait  *send_wait)
{
  g_autoptr(GError) error = NULL;
  KfClient *client = kf_window_get_client (fx->window);
  AsyncWait conn_wait = { NULL };

  if (kf_client_get_state (client) != KF_CLIENT_STATE_WAITING)
    flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (client, KF_CLIENT_STATE_WAITING);

  kf_client_conn_async (sender, kf_client_get_client_id (client), KF_CIPHER_MODE_CFB, NULL,
                        flow_on_async_done, &conn_wait);
  g_assert_true (kf_client_conn_finish (sender, flow_wait_async (&conn_wait), NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&conn_wait.result);
  kf_client_send_files_async (sender, files, n_files, NULL, flow_on_async_done, send_wait);
}

KfOutcome *
flow_finish_sending (KfClient  *sender,
                     AsyncWait *send_wait)
{
  KfOutcome *outcome;

  outcome = kf_client_send_files_finish (sender, flow_wait_async (send_wait), NULL);
  g_clear_object (&send_wait->result);
  return outcome;
}

gboolean
flow_chooser_has_folder (gpointer data)
{
  g_autoptr(GFile) folder = gtk_file_chooser_get_current_folder (data);

  return folder != NULL;
}

/* A fingerprint the second announced key manager announces and is pinned to. */
#define FRONT_DESK_FP "5b3f5474cd57b8bb0123456789abcdef0123456789abcdef0123456789abcdef"

/*
 * flow_show_discovered:
 *
 * Fills the connect page's list as Avahi would, with two key managers:
 * "Lab 3", the fixture's own (127.0.0.1, its real fingerprint announced,
 * not trusted yet), and "Front desk" at 127.0.0.2:7745, already trusted.
 * Returns the list, for the test to change.
 */
GListStore *
flow_show_discovered (Fixture *fx)
{
  g_autofree char *fp_txt = g_strdup_printf ("fp=%s", fx->fingerprint);
  const char *lab_txt[] = { "v=1", fp_txt, "site=Lab 3", NULL };
  const char *desk_txt[] = { "v=1", "fp=" FRONT_DESK_FP, "site=Front desk", NULL };
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  GListStore *servers = g_list_store_new (KF_TYPE_DISCOVERED_SERVER);
  g_autoptr(KfDiscoveredServer) lab = NULL;
  g_autoptr(KfDiscoveredServer) desk = NULL;
  g_autoptr(GError) error = NULL;
  KfConnectPage *page;

  lab = kf_discovered_server_new ("keyferry on lab3", "lab3.local", "127.0.0.1", fx->port,
                                  lab_txt);
  desk = kf_discovered_server_new ("keyferry on desk", "desk.local", "127.0.0.2", 7745,
                                   desk_txt);
  g_assert_true (kf_known_servers_add (known, "127.0.0.2", 7745, FRONT_DESK_FP, &error));
  g_assert_no_error (error);
  g_list_store_append (servers, lab);
  g_list_store_append (servers, desk);

  page = KF_CONNECT_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_CONNECT_PAGE,
                                                  0));
  g_assert_nonnull (page);
  kf_connect_page_set_servers (page, G_LIST_MODEL (servers), known);
  kf_connect_page_set_settled (page, TRUE);
  return servers;
}

/*
 * flow_init:
 *
 * Private home folders, libgcrypt, the build's catalogues, GTK, a
 * notification server on the session bus and the registered app.
 */
void
flow_init (int    *argc,
           char ***argv)
{
  g_autofree char *home = g_dir_make_tmp ("kf-gui-home-XXXXXX", NULL);
  g_autofree char *data_home = g_build_filename (home, "data", NULL);
  g_autoptr(GError) error = NULL;

  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("HOME", home, TRUE);
  kf_gcrypt_init ();
  kf_gui_test_init_i18n ();
  gtk_test_init (argc, argv, NULL);
  kf_gui_test_tolerate_unallocated_snapshot ();

  flow_notifications = g_ptr_array_new_with_free_func (g_free);
  kf_gui_test_own_notifications (flow_notifications);

  flow_app = kf_application_new ();
  g_application_set_flags (G_APPLICATION (flow_app),
                           g_application_get_flags (G_APPLICATION (flow_app))
                           | G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (flow_app), NULL, &error))
    g_error ("Could not register the application: %s", error->message);
}

/* Runs the tests, then drops the app. */
int
flow_run (void)
{
  int status = g_test_run ();

  g_clear_object (&flow_app);
  g_ptr_array_unref (flow_notifications);
  return status;
}

/*
 * flow_sparse_file:
 *
 * Creates @name in the fixture's folder as an 8 GiB sparse file: long
 * enough that a transfer of it is still under way whatever a test does
 * meanwhile, yet it takes no disk space.
 *
 * Returns: (transfer full): the file.
 */
GFile *
flow_sparse_file (Fixture    *fx,
                  const char *name)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, name, NULL);
  int fd = g_open (path, O_CREAT | O_WRONLY, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (goffset) 8 * 1024 * 1024 * 1024), ==, 0);
  g_close (fd, NULL);
  return g_file_new_for_path (path);
}

typedef struct
{
  double fraction;
  double wanted;
} ProgressSeen;

static void
on_progress_seen (KfClient     *client,
                  guint64       done,
                  guint64       total,
                  double        rate,
                  ProgressSeen *seen)
{
  if (total > 0)
    seen->fraction = (double) done / total;
}

static gboolean
progress_past (gpointer data)
{
  ProgressSeen *seen = data;

  return seen->fraction > seen->wanted;
}

/*
 * flow_conn_until_progress:
 *
 * Presses the window's Send (win.conn), with a peer and a file already
 * chosen, and returns once the window's client reports more than
 * @fraction of the file done.
 */
void
flow_conn_until_progress (Fixture *fx,
                          double   fraction)
{
  KfClient *client = kf_window_get_client (fx->window);
  ProgressSeen seen = { 0.0, fraction };
  gulong id;

  id = g_signal_connect (client, "progress", G_CALLBACK (on_progress_seen), &seen);
  flow_click (GTK_WIDGET (fx->window), "win.conn");
  g_assert_true (kf_gui_test_wait_for (progress_past, &seen, TIMEOUT_MS));
  g_signal_handler_disconnect (client, id);
}

/* Writes @size bytes of a pattern seeded by @seed to @path, making its folders. */
static void
write_pattern (const char *path,
               gsize       size,
               guint       seed)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree guint8 *data = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 31 + seed + i / 251);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, (const char *) data, size, &error));
  g_assert_no_error (error);
}

/*
 * flow_make_tree:
 *
 * Makes the folder @name in the fixture's folder holding a small tree:
 * files at two depths, a Unicode name, an empty file and an empty
 * folder, four files in four folders (@name included).
 *
 * Returns: (transfer full): the folder.
 */
GFile *
flow_make_tree (Fixture    *fx,
                const char *name)
{
  g_autofree char *root = g_build_filename (fx->tmpdir, name, NULL);
  g_autofree char *a = g_build_filename (root, "a.txt", NULL);
  g_autofree char *unicode = g_build_filename (root, "Înțelegeți ünïcode ✓.txt", NULL);
  g_autofree char *empty_file = g_build_filename (root, "empty.txt", NULL);
  g_autofree char *deep = g_build_filename (root, "photos", "2024", "b.jpg", NULL);
  g_autofree char *empty_folder = g_build_filename (root, "photos", "empty", NULL);

  write_pattern (a, 70000, 1);
  write_pattern (unicode, 1234, 2);
  write_pattern (empty_file, 0, 3);
  write_pattern (deep, 300001, 4);
  g_assert_cmpint (g_mkdir_with_parents (empty_folder, 0700), ==, 0);
  return g_file_new_for_path (root);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Returns the sorted names of the entries of @folder. */
static GPtrArray *
list_names (GFile *folder)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GFileInfo *info;

  children = g_file_enumerate_children (folder, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);
  while (g_file_enumerator_iterate (children, &info, NULL, NULL, &error) && info != NULL)
    g_ptr_array_add (names, g_strdup (g_file_info_get_name (info)));
  g_assert_no_error (error);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/*
 * flow_assert_same_tree:
 *
 * Fails unless @a and @b hold the same names, folders where folders
 * are, and files of the same bytes, at every depth.
 */
void
flow_assert_same_tree (GFile *a,
                       GFile *b)
{
  g_autoptr(GPtrArray) names_a = list_names (a);
  g_autoptr(GPtrArray) names_b = list_names (b);

  g_assert_cmpuint (names_a->len, ==, names_b->len);
  for (guint i = 0; i < names_a->len; i++)
    {
      g_autoptr(GFile) child_a = g_file_get_child (a, names_a->pdata[i]);
      g_autoptr(GFile) child_b = g_file_get_child (b, names_b->pdata[i]);
      GFileType type = g_file_query_file_type (child_a, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                               NULL);

      g_assert_cmpstr (names_a->pdata[i], ==, names_b->pdata[i]);
      g_assert_cmpint (g_file_query_file_type (child_b, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                               NULL), ==, type);
      if (type == G_FILE_TYPE_DIRECTORY)
        flow_assert_same_tree (child_a, child_b);
      else
        flow_assert_same_contents (child_a, child_b);
    }
}

/*
 * flow_send_sparse_file:
 *
 * The window, on its main page with a peer chosen, sends an 8 GiB sparse
 * file called @name: returns once more than @fraction of it is done.
 */
void
flow_send_sparse_file (Fixture    *fx,
                       const char *name,
                       double      fraction)
{
  g_autoptr(GFile) file = flow_sparse_file (fx, name);
  GtkWidget *main_page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_MAIN_PAGE, 0);

  kf_main_page_set_file (KF_MAIN_PAGE (main_page), file);
  flow_conn_until_progress (fx, fraction);
}

/*
 * flow_cancel_sending:
 *
 * Presses Cancel during the window's transfer to @receiver: returns on
 * the result page once @receiver's session ended too, its offer and
 * outcome dropped.
 */
void
flow_cancel_sending (Fixture      *fx,
                     PeerReceiver *receiver)
{
  flow_click (GTK_WIDGET (fx->window), "win.cancel");
  flow_wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (flow_receiver_finished, receiver, TIMEOUT_MS));
  g_clear_object (&receiver->outcome);
  g_clear_object (&receiver->offer);
}

/* Chooses the peer as soon as the list shows them. */
typedef struct
{
  KfMainPage *page;
  guint       peer_id;
} PeerChoice;

static gboolean
peer_chosen (gpointer data)
{
  PeerChoice *choice = data;

  return kf_main_page_select_peer (choice->page, choice->peer_id);
}

static gboolean
files_counted (gpointer data)
{
  return kf_send_files_is_counted (data, NULL, NULL);
}

/*
 * flow_choose_tree:
 * @peer: a peer that receives into @receiver
 * @items: (array length=n_items): the folders and files to send
 *
 * Has @receiver save into a new folder "ana-inbox" (a tree is saved into
 * a folder); once @peer waits, opens the window's Send view, chooses
 * @peer as soon as the list shows it, then @items, and returns once the
 * view has counted them.
 */
void
flow_choose_tree (Fixture       *fx,
                  KfClient      *peer,
                  PeerReceiver  *receiver,
                  GFile        **items,
                  guint          n_items)
{
  g_autofree char *inbox = g_build_filename (fx->tmpdir, "ana-inbox", NULL);
  KfMainPage *page = KF_MAIN_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_MAIN_PAGE, 0));
  PeerChoice choice = { page, kf_client_get_client_id (peer) };

  g_assert_cmpint (g_mkdir (inbox, 0700), ==, 0);
  g_object_unref (receiver->destination);
  receiver->destination = g_file_new_for_path (inbox);
  flow_peer_wait (peer);
  flow_click (GTK_WIDGET (fx->window), "win.send");
  g_assert_true (kf_gui_test_wait_for (peer_chosen, &choice, TIMEOUT_MS));
  kf_main_page_set_files (page, items, n_items);
  g_assert_true (kf_gui_test_wait_for (files_counted,
                                       kf_gui_test_find_child (GTK_WIDGET (page),
                                                               KF_TYPE_SEND_FILES, 0),
                                       TIMEOUT_MS));
}

/*
 * flow_offer_tree_to_window:
 *
 * From the main page, @sender offers the waiting window @folder and
 * @file as one offer.
 *
 * Returns: (transfer none): the window's offer dialog.
 */
GtkWidget *
flow_offer_tree_to_window (Fixture   *fx,
                           KfClient  *sender,
                           GFile     *folder,
                           GFile     *file,
                           AsyncWait *send_wait)
{
  GFile *items[] = { folder, file };

  flow_click (GTK_WIDGET (fx->window), "win.back-to-start");
  flow_wait_for_page (fx->window, "main");
  flow_offer_files_to_window (fx, sender, items, G_N_ELEMENTS (items), send_wait);
  return flow_wait_for_window (KF_TYPE_OFFER_DIALOG);
}

/*
 * flow_accept_to_result:
 * @dialog: the window's offer dialog, from @sender
 *
 * Accepts into the folder the save dialog opens in and waits for the
 * result page and for @sender's end of the transfer.
 *
 * Returns: (transfer full): @sender's outcome.
 */
KfOutcome *
flow_accept_to_result (Fixture   *fx,
                       GtkWidget *dialog,
                       KfClient  *sender,
                       AsyncWait *send_wait)
{
  KfOutcome *outcome;

  flow_accept_offer (dialog, NULL, NULL);
  flow_wait_for_page (fx->window, "result");
  outcome = flow_finish_sending (sender, send_wait);
  g_assert_nonnull (outcome);
  return outcome;
}

/* @peer stops waiting, and the window waits in its place. */
void
flow_window_waits_instead (Fixture  *fx,
                           KfClient *peer)
{
  g_autoptr(GError) error = NULL;
  AsyncWait stop = { NULL };

  kf_client_stop_waiting_async (peer, NULL, flow_on_async_done, &stop);
  g_assert_true (kf_client_stop_waiting_finish (peer, flow_wait_async (&stop), &error));
  g_assert_no_error (error);
  g_clear_object (&stop.result);
  flow_click (GTK_WIDGET (fx->window), "win.wait");
  flow_wait_for_state (kf_window_get_client (fx->window), KF_CLIENT_STATE_WAITING);
}

/*
 * flow_accept_offer:
 * @dialog: the window's offer dialog
 * @folder: (nullable): where to save; %NULL: the folder the save dialog
 *   opens in (the download folder)
 * @name: (nullable): the name to save as; %NULL: the offered one
 *
 * Accepts the offer, waits for the save dialog to show its folder, and
 * saves there.
 */
void
flow_accept_offer (GtkWidget  *dialog,
                   GFile      *folder,
                   const char *name)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *chooser;

  kf_gui_test_respond (dialog, "accept");
  chooser = flow_wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (kf_gui_test_wait_for (flow_chooser_has_folder, chooser, TIMEOUT_MS));
  if (folder != NULL)
    g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder,
                                                        &error));
  g_assert_no_error (error);
  if (name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
}

/*
 * flow_send_view_with_receiver:
 *
 * Starts the connected window; the peer @name connects, waits and
 * receives into @receiver; the window's Send view lists it alone.
 *
 * Returns: (transfer none): the peer's row, to drop files on
 */
GtkWidget *
flow_send_view_with_receiver (Fixture      *fx,
                              const char   *name,
                              PeerReceiver *receiver)
{
  KfClient *peer;

  flow_start_connected_window (fx);
  peer = flow_connect_peer (fx, name);
  g_signal_connect (peer, "offer", G_CALLBACK (flow_on_peer_offer), receiver);
  g_signal_connect (peer, "finished", G_CALLBACK (flow_on_peer_finished), receiver);
  flow_peer_wait (peer);
  flow_click (GTK_WIDGET (fx->window), "win.send");
  flow_wait_for_rows (fx->window, 1);
  return kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
}

/*
 * flow_drop_on_receiver:
 *
 * The tour's Send view: Ana Popescu, who accepts into @receiver, and
 * Mihai Ionescu wait; the window lists both, and @file is dropped on
 * Ana's row.  Returns Mihai, the peer left for the other direction.
 */
KfClient *
flow_drop_on_receiver (Fixture      *fx,
                       PeerReceiver *receiver,
                       GFile        *file)
{
  KfClient *ana = flow_connect_peer (fx, "Ana Popescu");
  KfClient *mihai = flow_connect_peer (fx, "Mihai Ionescu");
  GtkWidget *row;

  g_signal_connect (ana, "offer", G_CALLBACK (flow_on_peer_offer), receiver);
  g_signal_connect (ana, "finished", G_CALLBACK (flow_on_peer_finished), receiver);
  flow_peer_wait (ana);
  flow_peer_wait (mihai);
  flow_click (GTK_WIDGET (fx->window), "win.send");
  flow_wait_for_rows (fx->window, 2);
  row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
  g_assert_true (kf_gui_test_drop_file (row, file));
  return mihai;
}
