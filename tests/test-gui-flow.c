/* test-gui-flow.c: the desktop app against a real key manager on loopback and a
 * second client, through the window's own pages, dialogs and actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "kf-application.h"
#include "kf-client.h"
#include "kf-connect-page.h"
#include "kf-gcrypt.h"
#include "kf-gui-test-util.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-main-page.h"
#include "kf-offer-dialog.h"
#include "kf-passphrase-dialog.h"
#include "kf-peer-row.h"
#include "kf-preferences-window.h"
#include "kf-result-page.h"
#include "kf-server.h"
#include "kf-trust-dialog.h"
#include "kf-window.h"

#define TIMEOUT_MS 20000

/* One application for the whole program (it stays registered on the bus);
 * each test opens its own window on its own key manager. */
static KfApplication *the_app;
static GPtrArray *notifications;

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

/* ------------------------------------------------------------------ */
/* Waiting for things                                                   */

typedef struct
{
  GAsyncResult *result;
} AsyncWait;

static void
on_async_done (GObject      *source,
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

static GAsyncResult *
wait_async (AsyncWait *wait)
{
  g_assert_true (kf_gui_test_wait_for (async_done, wait, TIMEOUT_MS));
  return wait->result;
}

typedef struct
{
  KfWindow   *window;
  const char *page;
} PageWait;

static gboolean
widget_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

static gboolean
page_is (gpointer data)
{
  PageWait *wait = data;

  return g_strcmp0 (kf_window_get_page_name (wait->window), wait->page) == 0;
}

static void
wait_for_page (KfWindow   *window,
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

static GtkWidget *
wait_for_window (GType type)
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

static guint
count_peer_rows (KfWindow *window)
{
  guint n = 0;

  while (kf_gui_test_find_child (GTK_WIDGET (window), KF_TYPE_PEER_ROW, n) != NULL)
    n++;
  return n;
}

static gboolean
rows_are (gpointer data)
{
  RowsWait *wait = data;

  return count_peer_rows (wait->window) == wait->rows;
}

static void
wait_for_rows (KfWindow *window,
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

static void
wait_for_state (KfClient      *client,
                KfClientState  state)
{
  StateWait wait = { client, state };

  g_assert_true (kf_gui_test_wait_for (state_is, &wait, TIMEOUT_MS));
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *peer_known = NULL;
  KfServerConfig config;

  fx->tmpdir = g_dir_make_tmp ("kf-gui-flow-XXXXXX", &error);
  g_assert_no_error (error);

  kf_server_config_init (&config);
  state_dir = g_build_filename (fx->tmpdir, "state", NULL);
  config.state_dir = g_strdup (state_dir);
  config.kdf_iterations = 1;
  config.kdf_memory_kib = 8 * 1024;
  config.auth_penalty_ms = 10;
  config.auth_penalty_max_ms = 20;
  fx->server = kf_server_new (&config, data, &error);
  kf_server_config_clear (&config);
  g_assert_no_error (error);
  g_assert_true (kf_server_listen (fx->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fx->port = kf_server_get_port (fx->server);
  fx->fingerprint = g_strdup (kf_server_get_fingerprint (fx->server));

  peer_known = g_build_filename (fx->tmpdir, "peer-known-servers", NULL);
  fx->peer_known = kf_known_servers_new (peer_known);
  fx->peers = g_ptr_array_new_with_free_func (g_object_unref);

  fx->app = g_object_ref (the_app);
  g_assert_true (kf_known_servers_clear (kf_application_get_known_servers (fx->app), &error));
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
fixture_tear_down (Fixture       *fx,
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

  kf_server_shutdown_async (fx->server, "test over", NULL, on_async_done, &wait);
  g_assert_true (kf_server_shutdown_finish (fx->server, wait_async (&wait), NULL));
  g_clear_object (&wait.result);
  g_clear_object (&fx->server);
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
static void
start_window (Fixture  *fx,
              gboolean  pretrust)
{
  kf_application_set_overrides (fx->app, "127.0.0.1", fx->port, "Gui",
                                pretrust ? fx->fingerprint : NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
}

static void
start_connected_window (Fixture *fx)
{
  start_window (fx, TRUE);
  wait_for_page (fx->window, "main");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_IDLE);
}

/* A second client, named @name, connected and pre-trusting the key manager. */
static KfClient *
connect_peer (Fixture    *fx,
              const char *name)
{
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { NULL };
  KfClient *peer = kf_client_new ("127.0.0.1", fx->port, name, fx->peer_known);

  kf_client_set_expected_fingerprint (peer, fx->fingerprint);
  kf_client_connect_async (peer, NULL, on_async_done, &wait);
  g_assert_true (kf_client_connect_finish (peer, wait_async (&wait), &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
  g_ptr_array_add (fx->peers, peer);
  return peer;
}

static void
peer_wait (KfClient *peer)
{
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { NULL };

  kf_client_wait_async (peer, NULL, on_async_done, &wait);
  g_assert_true (kf_client_wait_finish (peer, wait_async (&wait), &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
}

/* Writes @size bytes of a fixed pattern to @name in the fixture's folder. */
static GFile *
make_file (Fixture    *fx,
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

static void
assert_same_contents (GFile *a,
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
static GtkWidget *
find_action_button (GtkWidget  *root,
                    const char *action_name)
{
  GtkWidget *button;

  for (guint i = 0; (button = kf_gui_test_find_child (root, GTK_TYPE_BUTTON, i)) != NULL; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), action_name) == 0
        && gtk_widget_is_drawable (button))
      return button;
  return NULL;
}

static void
click (GtkWidget  *root,
       const char *action_name)
{
  GtkWidget *button = find_action_button (root, action_name);

  if (button == NULL || !gtk_widget_is_sensitive (button))
    g_error ("cannot click %s: %s", action_name, button == NULL ? "no button" : "disabled");
  g_signal_emit_by_name (button, "clicked");
}

static const char *
row_subtitle (GtkWidget *root,
              guint      index)
{
  GtkWidget *row = kf_gui_test_find_child (root, ADW_TYPE_ACTION_ROW, index);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static void
test_trust_and_connect (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *grouped = kf_gui_format_fingerprint (fx->fingerprint);
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  GtkWidget *dialog, *label;
  KfClient *client;

  start_window (fx, FALSE);
  dialog = wait_for_window (KF_TYPE_TRUST_DIALOG);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  label = kf_gui_test_find_child (dialog, GTK_TYPE_LABEL, 2);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, grouped);
  g_assert_null (kf_known_servers_lookup (known, "127.0.0.1", fx->port));

  kf_gui_test_respond (dialog, "trust");
  wait_for_page (fx->window, "main");

  client = kf_window_get_client (fx->window);
  g_assert_cmpuint (kf_client_get_client_id (client), >, 0);
  g_assert_nonnull (strstr (kf_window_get_status (fx->window), "Connected as #"));
  g_assert_cmpstr (kf_known_servers_lookup (known, "127.0.0.1", fx->port), ==, fx->fingerprint);
}

/* First launch: the connect page, filled by hand and sent with Enter;
 * the choice is remembered; Disconnect goes back to the page. */
static void
test_connect_page (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *port = g_strdup_printf ("%u", fx->port);
  g_autofree char *saved_host = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  GtkWidget *page, *host_row, *port_row, *name_row, *dialog;
  guint16 saved_port = 0;

  g_settings_reset (settings, "server-host");
  kf_application_set_overrides (fx->app, NULL, 0, NULL, NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");

  page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_CONNECT_PAGE, 0);
  host_row = kf_gui_test_find_child (page, ADW_TYPE_ENTRY_ROW, 0);
  port_row = kf_gui_test_find_child (page, ADW_TYPE_ENTRY_ROW, 1);
  name_row = kf_gui_test_find_child (page, ADW_TYPE_ENTRY_ROW, 2);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), !=, "");

  gtk_editable_set_text (GTK_EDITABLE (host_row), "127.0.0.1");
  gtk_editable_set_text (GTK_EDITABLE (port_row), port);
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Elena");
  g_signal_emit_by_name (host_row, "entry-activated");

  dialog = wait_for_window (KF_TYPE_TRUST_DIALOG);
  kf_gui_test_respond (dialog, "trust");
  wait_for_page (fx->window, "main");
  g_assert_cmpstr (kf_client_get_name (kf_window_get_client (fx->window)), ==, "Elena");

  saved_host = g_settings_get_string (settings, "server-host");
  g_settings_get (settings, "server-port", "q", &saved_port);
  g_assert_cmpstr (saved_host, ==, "127.0.0.1");
  g_assert_cmpuint (saved_port, ==, fx->port);

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "disconnect", NULL);
  wait_for_page (fx->window, "connect");
  g_assert_cmpstr (kf_window_get_status (fx->window), ==, "Not connected");

  g_settings_reset (settings, "server-host");
  g_settings_reset (settings, "server-port");
  g_settings_reset (settings, "name");
}

static void
test_trust_cancelled (Fixture       *fx,
                      gconstpointer  data)
{
  GtkWidget *dialog;

  start_window (fx, FALSE);
  dialog = wait_for_window (KF_TYPE_TRUST_DIALOG);
  kf_gui_test_respond (dialog, "cancel");
  kf_gui_test_settle (200);

  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  g_assert_nonnull (strstr (kf_window_get_status (fx->window), "Not connected"));
  g_assert_null (kf_known_servers_lookup (kf_application_get_known_servers (fx->app),
                                          "127.0.0.1", fx->port));
}

static void
test_changed_fingerprint_blocks (Fixture       *fx,
                                 gconstpointer  data)
{
  static const char *other =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  g_autoptr(GError) error = NULL;
  GtkWidget *warning;

  g_assert_true (kf_known_servers_add (known, "127.0.0.1", fx->port, other, &error));
  start_window (fx, FALSE);
  warning = wait_for_window (KF_TYPE_IDENTITY_WARNING);

  /* Nothing in the warning connects; closing it leaves us disconnected. */
  g_assert_false (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (warning), "trust"));
  g_assert_null (kf_gui_test_find_window (KF_TYPE_TRUST_DIALOG));
  kf_gui_test_respond (warning, "close");
  kf_gui_test_settle (200);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_DISCONNECTED);
  g_assert_cmpstr (kf_known_servers_lookup (known, "127.0.0.1", fx->port), ==, other);
}

static void
test_wait_and_stop (Fixture       *fx,
                    gconstpointer  data)
{
  KfClient *client;

  start_connected_window (fx);
  client = kf_window_get_client (fx->window);
  click (GTK_WIDGET (fx->window), "app.wait");
  wait_for_state (client, KF_CLIENT_STATE_WAITING);
  kf_gui_test_settle (100);
  g_assert_nonnull (strstr (kf_window_get_status (fx->window), "waiting"));
  g_assert_nonnull (find_action_button (GTK_WIDGET (fx->window), "app.stop-waiting"));

  click (GTK_WIDGET (fx->window), "app.stop-waiting");
  wait_for_state (client, KF_CLIENT_STATE_IDLE);
  kf_gui_test_settle (100);
  g_assert_nonnull (find_action_button (GTK_WIDGET (fx->window), "app.wait"));
}

typedef struct
{
  GFile    *destination;
  KfOffer  *offer;
  KfOutcome *outcome;
} PeerReceiver;

static void
on_peer_offer (KfClient     *peer,
               KfOffer      *offer,
               PeerReceiver *receiver)
{
  g_autoptr(GError) error = NULL;

  receiver->offer = g_object_ref (offer);
  g_assert_true (kf_client_accept_offer (peer, receiver->destination, FALSE, &error));
  g_assert_no_error (error);
}

static void
on_peer_finished (KfClient     *peer,
                  KfOutcome    *outcome,
                  PeerReceiver *receiver)
{
  g_set_object (&receiver->outcome, outcome);
}

static gboolean
receiver_finished (gpointer data)
{
  return ((PeerReceiver *) data)->outcome != NULL;
}

static void
test_send_to_peer (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GFile) file = make_file (fx, "report.pdf", 3 * 1024 * 1024 + 5);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "received.pdf", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  KfClient *ion, *maria;
  GtkWidget *row, *check, *result;

  start_connected_window (fx);
  ion = connect_peer (fx, "Ion");
  g_signal_connect (ion, "offer", G_CALLBACK (on_peer_offer), &receiver);
  g_signal_connect (ion, "finished", G_CALLBACK (on_peer_finished), &receiver);

  click (GTK_WIDGET (fx->window), "app.send");
  wait_for_rows (fx->window, 0);
  peer_wait (ion);
  wait_for_rows (fx->window, 1);

  /* The list is live: another peer comes and goes. */
  maria = connect_peer (fx, "Maria");
  peer_wait (maria);
  wait_for_rows (fx->window, 2);
  g_ptr_array_remove (fx->peers, maria);
  wait_for_rows (fx->window, 1);

  row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Ion");
  g_assert_cmpuint (kf_peer_row_get_peer_id (KF_PEER_ROW (row)), ==,
                    kf_client_get_client_id (ion));

  /* Connect stays disabled until peer, mode and file are chosen. */
  g_assert_false (gtk_widget_is_sensitive (find_action_button (GTK_WIDGET (fx->window),
                                                               "win.conn")));
  g_assert_true (kf_gui_test_drop_file (row, file));
  g_assert_false (gtk_widget_is_sensitive (find_action_button (GTK_WIDGET (fx->window),
                                                               "win.conn")));
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  click (GTK_WIDGET (fx->window), "win.conn");

  wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (receiver_finished, &receiver, TIMEOUT_MS));

  /* The receiver was offered the right name and sizes. */
  g_assert_cmpstr (kf_offer_get_sender_name (receiver.offer), ==, "Gui");
  g_assert_cmpstr (kf_offer_get_file_name (receiver.offer), ==, "report.pdf");
  g_assert_cmpuint (kf_offer_get_plain_size (receiver.offer), ==, 3 * 1024 * 1024 + 5);
  g_assert_cmpuint (kf_offer_get_encrypted_size (receiver.offer), ==,
                    kf_cipher_encrypted_size (KF_CIPHER_MODE_CBC, 3 * 1024 * 1024 + 5));

  /* Both block counts and the verdict are on the page. */
  result = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CONFIRMED);
  {
    g_autofree char *blocks = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                               kf_outcome_get_sender_blocks (receiver.outcome));
    g_assert_cmpstr (row_subtitle (result, 0), ==, blocks);
    g_assert_cmpstr (row_subtitle (result, 1), ==, blocks);
    g_assert_cmpstr (blocks, ==, "196609");
  }
  g_assert_cmpstr (row_subtitle (result, 2), ==, "The key manager confirmed the block counts");
  assert_same_contents (file, receiver.destination);

  click (GTK_WIDGET (fx->window), "win.back-to-start");
  wait_for_page (fx->window, "main");

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

/* The GUI waits; the peer @sender connects to it and offers @file. */
static void
offer_to_window (Fixture   *fx,
                 KfClient  *sender,
                 GFile     *file,
                 AsyncWait *send_wait)
{
  g_autoptr(GError) error = NULL;
  KfClient *client = kf_window_get_client (fx->window);
  AsyncWait conn_wait = { NULL };

  click (GTK_WIDGET (fx->window), "app.wait");
  wait_for_state (client, KF_CLIENT_STATE_WAITING);

  kf_client_conn_async (sender, kf_client_get_client_id (client), KF_CIPHER_MODE_CFB, NULL,
                        on_async_done, &conn_wait);
  g_assert_true (kf_client_conn_finish (sender, wait_async (&conn_wait), &error));
  g_assert_no_error (error);
  g_clear_object (&conn_wait.result);
  kf_client_send_file_async (sender, file, NULL, on_async_done, send_wait);
}

static KfOutcome *
finish_sending (KfClient  *sender,
                AsyncWait *send_wait)
{
  KfOutcome *outcome;

  outcome = kf_client_send_file_finish (sender, wait_async (send_wait), NULL);
  g_clear_object (&send_wait->result);
  return outcome;
}

static gboolean
chooser_has_folder (gpointer data)
{
  g_autoptr(GFile) folder = gtk_file_chooser_get_current_folder (data);

  return folder != NULL;
}

static void
test_receive_accept (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GFile) file = make_file (fx, "photo.jpg", 1000003);
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);
  g_autoptr(GFile) downloads_dir = g_file_new_for_path (downloads);
  g_autoptr(GFile) current = NULL;
  g_autoptr(GFile) saved = g_file_get_child (downloads_dir, "photo-saved.jpg");
  g_autoptr(KfOutcome) outcome = NULL;
  g_autofree char *from = NULL;
  g_autofree char *name = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *chooser, *result;
  KfClient *ion;

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", downloads);
  start_connected_window (fx);
  ion = connect_peer (fx, "Ion");
  offer_to_window (fx, ion, file, &send_wait);

  /* The offer shows who sends what, both sizes and the mode. */
  dialog = wait_for_window (KF_TYPE_OFFER_DIALOG);
  from = g_strdup_printf ("Ion (#%u)", kf_client_get_client_id (ion));
  g_assert_cmpstr (row_subtitle (dialog, 0), ==, from);
  g_assert_cmpstr (row_subtitle (dialog, 1), ==, "photo.jpg");
  g_assert_nonnull (strstr (row_subtitle (dialog, 2), "1000003 bytes"));
  g_assert_nonnull (strstr (row_subtitle (dialog, 3), "1000003 bytes"));
  g_assert_cmpstr (row_subtitle (dialog, 4), ==, "AES-256-CFB");
  kf_gui_test_respond (dialog, "accept");

  /* The save dialog opens in the download folder with the offered name. */
  chooser = wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (kf_gui_test_wait_for (chooser_has_folder, chooser, TIMEOUT_MS));
  current = gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (chooser));
  name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
  g_assert_true (g_file_equal (current, downloads_dir));
  g_assert_cmpstr (name, ==, "photo.jpg");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "photo-saved.jpg");
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);

  wait_for_page (fx->window, "result");
  outcome = finish_sending (ion, &send_wait);
  g_assert_nonnull (outcome);
  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CONFIRMED);
  assert_same_contents (file, saved);

  result = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_RESULT_PAGE, 0);
  {
    g_autofree char *blocks = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                               kf_outcome_get_sender_blocks (outcome));
    g_assert_cmpstr (row_subtitle (result, 0), ==, blocks);
    g_assert_cmpstr (row_subtitle (result, 1), ==, blocks);
    g_assert_cmpstr (blocks, ==, "62501");
  }
  g_assert_nonnull (find_action_button (result, "result.open-file"));
  g_assert_nonnull (find_action_button (result, "result.open-folder"));
  g_settings_reset (settings, "download-folder");
}

static void
run_refusal (Fixture  *fx,
             gboolean  through_save_dialog)
{
  g_autoptr(GFile) file = make_file (fx, "notes.txt", 4000);
  g_autoptr(KfOutcome) outcome = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *status;
  KfClient *ion;

  start_connected_window (fx);
  ion = connect_peer (fx, "Ion");
  offer_to_window (fx, ion, file, &send_wait);

  dialog = wait_for_window (KF_TYPE_OFFER_DIALOG);
  if (through_save_dialog)
    {
      GtkWidget *chooser;

      kf_gui_test_respond (dialog, "accept");
      chooser = wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
      gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
    }
  else
    kf_gui_test_respond (dialog, "decline");

  wait_for_page (fx->window, "result");
  status = kf_gui_test_find_child (GTK_WIDGET (fx->window), ADW_TYPE_STATUS_PAGE, 0);
  status = kf_gui_test_find_child (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_RESULT_PAGE, 0),
                                   ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "File Declined");

  outcome = finish_sending (ion, &send_wait);
  if (outcome != NULL)
    g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_DECLINED);
  g_assert_false (g_file_test (g_build_filename (fx->tmpdir, "notes.txt.part", NULL),
                               G_FILE_TEST_EXISTS));
}

static void
test_receive_decline (Fixture       *fx,
                      gconstpointer  data)
{
  run_refusal (fx, FALSE);
}

static void
test_save_cancel_declines (Fixture       *fx,
                           gconstpointer  data)
{
  run_refusal (fx, TRUE);
}

/* The sender gives up while the offer is shown: the dialog goes away and
 * the receiver is told who cancelled. */
static void
test_sender_cancels_offer (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(GFile) file = make_file (fx, "draft.odt", 5000);
  g_autoptr(KfOutcome) outcome = NULL;
  g_autoptr(GtkWidget) dialog = NULL;
  AsyncWait send_wait = { NULL };
  GtkWidget *status;
  KfClient *ion;

  start_connected_window (fx);
  ion = connect_peer (fx, "Ion");
  offer_to_window (fx, ion, file, &send_wait);
  dialog = g_object_ref (wait_for_window (KF_TYPE_OFFER_DIALOG));

  kf_client_cancel (ion);
  wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (widget_hidden, dialog, TIMEOUT_MS));
  status = kf_gui_test_find_child (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_RESULT_PAGE, 0),
                                   ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Transfer Cancelled");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "The other person cancelled the transfer. Nothing was saved.");
  outcome = finish_sending (ion, &send_wait);
}

static void
on_progress_cancel (KfClient *client,
                    guint64   done,
                    guint64   total,
                    double    rate,
                    Fixture  *fx)
{
  GtkWidget *button = find_action_button (GTK_WIDGET (fx->window), "win.cancel");

  if (done == 0 || done >= total || button == NULL || !gtk_widget_is_sensitive (button))
    return;
  g_signal_emit_by_name (button, "clicked");
}

static void
test_cancel_transfer (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *big_path = g_build_filename (fx->tmpdir, "big.iso", NULL);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "big-received.iso", NULL);
  g_autoptr(GFile) big = g_file_new_for_path (big_path);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  GtkWidget *row, *check, *status;
  KfClient *ion;
  int fd;

  /* A sparse 512 MiB file: long enough to be cancelled half way. */
  fd = g_open (big_path, O_CREAT | O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 512 * 1024 * 1024), ==, 0);
  g_close (fd, NULL);

  start_connected_window (fx);
  ion = connect_peer (fx, "Ion");
  g_signal_connect (ion, "offer", G_CALLBACK (on_peer_offer), &receiver);
  g_signal_connect (ion, "finished", G_CALLBACK (on_peer_finished), &receiver);
  peer_wait (ion);

  click (GTK_WIDGET (fx->window), "app.send");
  wait_for_rows (fx->window, 1);
  row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
  g_assert_true (kf_gui_test_drop_file (row, big));
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 1);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  g_signal_connect (kf_window_get_client (fx->window), "progress",
                    G_CALLBACK (on_progress_cancel), fx);
  click (GTK_WIDGET (fx->window), "win.conn");

  wait_for_page (fx->window, "result");
  status = kf_gui_test_find_child (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                           KF_TYPE_RESULT_PAGE, 0),
                                   ADW_TYPE_STATUS_PAGE, 0);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==,
                   "Transfer Cancelled");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "You cancelled the transfer. Nothing was saved.");

  /* The other side learns at once, and nothing is left under the name. */
  g_assert_true (kf_gui_test_wait_for (receiver_finished, &receiver, TIMEOUT_MS));
  g_assert_cmpint (kf_outcome_get_status (receiver.outcome), ==, KF_OUTCOME_CANCELLED);
  g_assert_false (kf_outcome_get_is_local (receiver.outcome));
  g_assert_false (g_file_query_exists (receiver.destination, NULL));

  g_object_unref (receiver.destination);
  g_clear_object (&receiver.offer);
  g_clear_object (&receiver.outcome);
}

/* Types @passphrase into the passphrase dialog and answers Connect. */
static void
answer_passphrase (const char *passphrase)
{
  g_autoptr(GtkWidget) dialog = g_object_ref (wait_for_window (KF_TYPE_PASSPHRASE_DIALOG));
  GtkWidget *entry = kf_gui_test_find_child (dialog, GTK_TYPE_PASSWORD_ENTRY, 0);

  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), passphrase);
  kf_gui_test_respond (dialog, "connect");
  g_assert_true (kf_gui_test_wait_for (widget_hidden, dialog, TIMEOUT_MS));
}

/* A key manager with an admission passphrase: asked, refused, asked again. */
static void
test_passphrase_asked (Fixture       *fx,
                       gconstpointer  data)
{
  start_window (fx, TRUE);
  answer_passphrase ("not the passphrase");
  answer_passphrase (data);
  wait_for_page (fx->window, "main");
  g_assert_cmpuint (kf_client_get_client_id (kf_window_get_client (fx->window)), >, 0);
}

static gboolean
has_accel (const char *action,
           const char *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (the_app),
                                                                action);

  return g_strv_contains ((const char * const *) accels, accel);
}

/* Shortcuts, the help overlay, About and Preferences, all reachable. */
static void
test_shortcuts_and_windows (Fixture       *fx,
                            gconstpointer  data)
{
  GSettings *settings = kf_application_get_settings (fx->app);
  KfKnownServers *known = kf_application_get_known_servers (fx->app);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  GtkWidget *about, *prefs, *row;
  guint16 port = 0;

  g_assert_true (has_accel ("app.quit", "<Control>q"));
  g_assert_true (has_accel ("win.choose-file", "<Control>o"));
  g_assert_true (has_accel ("win.show-help-overlay", "F1"));

  start_connected_window (fx);
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (fx->window)));

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "about", NULL);
  about = wait_for_window (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==,
                   "Keyferry");
  gtk_window_destroy (GTK_WINDOW (about));

  /* Preferences write the settings; Forget empties the trusted servers. */
  g_assert_nonnull (kf_known_servers_lookup (known, "127.0.0.1", fx->port));
  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "preferences", NULL);
  prefs = wait_for_window (KF_TYPE_PREFERENCES_WINDOW);
  row = kf_gui_test_find_child (prefs, ADW_TYPE_ENTRY_ROW, 0);
  gtk_editable_set_text (GTK_EDITABLE (row), "km.example.lan");
  row = kf_gui_test_find_child (prefs, ADW_TYPE_ENTRY_ROW, 1);
  gtk_editable_set_text (GTK_EDITABLE (row), "7800");
  host = g_settings_get_string (settings, "server-host");
  g_settings_get (settings, "server-port", "q", &port);
  g_assert_cmpstr (host, ==, "km.example.lan");
  g_assert_cmpuint (port, ==, 7800);
  click (prefs, "prefs.forget-servers");
  g_assert_null (kf_known_servers_lookup (known, "127.0.0.1", fx->port));
  gtk_window_destroy (GTK_WINDOW (prefs));

  g_settings_reset (settings, "server-host");
  g_settings_reset (settings, "server-port");
}

/* Renders @widget in the light and the dark style, named by state and language. */
static void
shoot (GtkWidget  *widget,
       const char *state)
{
  const char *language = g_getenv ("LANGUAGE");
  const char *lang = language != NULL && g_str_has_prefix (language, "ro") ? "ro" : "en";
  AdwStyleManager *style = adw_style_manager_get_default ();
  static const struct { AdwColorScheme scheme; const char *name; } styles[] = {
    { ADW_COLOR_SCHEME_FORCE_LIGHT, "light" },
    { ADW_COLOR_SCHEME_FORCE_DARK, "dark" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%s-%s", state, styles[i].name, lang);

      adw_style_manager_set_color_scheme (style, styles[i].scheme);
      kf_gui_test_settle (300);
      g_assert_cmpint (adw_style_manager_get_dark (style), ==,
                       styles[i].scheme == ADW_COLOR_SCHEME_FORCE_DARK);
      kf_gui_test_screenshot (widget, name);
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

typedef struct
{
  double fraction;
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
progress_started (gpointer data)
{
  return ((ProgressSeen *) data)->fraction > 0.02;
}

/* Sends a large sparse file to @receiver and renders the transfer page
 * while it runs; then cancels it. */
static void
shoot_transfer (Fixture      *fx,
                PeerReceiver *receiver)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, "holiday-video.mkv", NULL);
  g_autoptr(GFile) video = g_file_new_for_path (path);
  ProgressSeen seen = { 0.0 };
  gulong id;
  int fd;

  fd = g_open (path, O_CREAT | O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (goffset) 8 * 1024 * 1024 * 1024), ==, 0);
  g_close (fd, NULL);

  kf_main_page_set_file (KF_MAIN_PAGE (kf_gui_test_find_child (GTK_WIDGET (fx->window),
                                                               KF_TYPE_MAIN_PAGE, 0)),
                         video);
  id = g_signal_connect (kf_window_get_client (fx->window), "progress",
                         G_CALLBACK (on_progress_seen), &seen);
  click (GTK_WIDGET (fx->window), "win.conn");
  g_assert_true (kf_gui_test_wait_for (progress_started, &seen, TIMEOUT_MS));
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "transfer");
  shoot (GTK_WIDGET (fx->window), "transfer");
  g_signal_handler_disconnect (kf_window_get_client (fx->window), id);

  click (GTK_WIDGET (fx->window), "win.cancel");
  wait_for_page (fx->window, "result");
  g_assert_true (kf_gui_test_wait_for (receiver_finished, receiver, TIMEOUT_MS));
  g_clear_object (&receiver->outcome);
  g_clear_object (&receiver->offer);
  g_assert_true (g_file_delete (receiver->destination, NULL, NULL) || TRUE);
}

/* The main states of the app, light and dark, for docs/screenshots. */
static void
test_screenshots (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GFile) report = make_file (fx, "quarterly-report.pdf", 2 * 1024 * 1024 + 77);
  g_autofree char *dest_path = g_build_filename (fx->tmpdir, "video-received.mkv", NULL);
  g_autofree char *downloads = g_build_filename (fx->tmpdir, "downloads", NULL);
  PeerReceiver receiver = { g_file_new_for_path (dest_path), NULL, NULL };
  g_autoptr(KfOutcome) outcome = NULL;
  GSettings *settings = kf_application_get_settings (fx->app);
  AsyncWait send_wait = { NULL };
  GtkWidget *dialog, *chooser, *row, *check, *warning, *prefs;
  KfClient *ana, *mihai;

  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", downloads);

  /* First launch: the connect page. */
  kf_application_set_overrides (fx->app, NULL, 0, "Elena Marin", NULL);
  fx->window = kf_window_new (fx->app);
  gtk_window_present (GTK_WINDOW (fx->window));
  kf_window_start (fx->window);
  g_assert_cmpstr (kf_window_get_page_name (fx->window), ==, "connect");
  shoot (GTK_WIDGET (fx->window), "connect");
  gtk_window_destroy (GTK_WINDOW (fx->window));

  start_window (fx, FALSE);
  dialog = wait_for_window (KF_TYPE_TRUST_DIALOG);
  shoot (dialog, "trust");
  kf_gui_test_respond (dialog, "trust");
  wait_for_page (fx->window, "main");
  shoot (GTK_WIDGET (fx->window), "home");

  ana = connect_peer (fx, "Ana Popescu");
  mihai = connect_peer (fx, "Mihai Ionescu");
  g_signal_connect (ana, "offer", G_CALLBACK (on_peer_offer), &receiver);
  g_signal_connect (ana, "finished", G_CALLBACK (on_peer_finished), &receiver);
  peer_wait (ana);
  peer_wait (mihai);
  click (GTK_WIDGET (fx->window), "app.send");
  wait_for_rows (fx->window, 2);
  row = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_PEER_ROW, 0);
  g_assert_true (kf_gui_test_drop_file (row, report));
  check = kf_gui_test_find_child (GTK_WIDGET (fx->window), GTK_TYPE_CHECK_BUTTON, 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  shoot (GTK_WIDGET (fx->window), "send");

  shoot_transfer (fx, &receiver);
  click (GTK_WIDGET (fx->window), "win.back-to-start");
  wait_for_page (fx->window, "main");

  {
    g_autoptr(GError) error = NULL;
    AsyncWait stop = { NULL };

    kf_client_stop_waiting_async (mihai, NULL, on_async_done, &stop);
    g_assert_true (kf_client_stop_waiting_finish (mihai, wait_async (&stop), &error));
    g_assert_no_error (error);
    g_clear_object (&stop.result);
  }
  offer_to_window (fx, mihai, report, &send_wait);
  dialog = wait_for_window (KF_TYPE_OFFER_DIALOG);
  shoot (dialog, "offer");
  kf_gui_test_respond (dialog, "accept");
  chooser = wait_for_window (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (kf_gui_test_wait_for (chooser_has_folder, chooser, TIMEOUT_MS));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  wait_for_page (fx->window, "result");
  outcome = finish_sending (mihai, &send_wait);
  g_assert_nonnull (outcome);
  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CONFIRMED);
  shoot (GTK_WIDGET (fx->window), "result");

  warning = kf_identity_warning_new (GTK_WINDOW (fx->window), "127.0.0.1", fx->port,
                                     "00112233445566778899aabbccddeeff"
                                     "00112233445566778899aabbccddeeff",
                                     fx->fingerprint);
  gtk_window_present (GTK_WINDOW (warning));
  shoot (warning, "changed-identity");
  gtk_window_destroy (GTK_WINDOW (warning));

  g_action_group_activate_action (G_ACTION_GROUP (fx->app), "preferences", NULL);
  prefs = wait_for_window (KF_TYPE_PREFERENCES_WINDOW);
  shoot (prefs, "preferences");
  gtk_window_destroy (GTK_WINDOW (prefs));

  g_settings_reset (settings, "download-folder");
  g_object_unref (receiver.destination);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("kf-gui-home-XXXXXX", NULL);
  g_autofree char *data_home = g_build_filename (home, "data", NULL);
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("HOME", home, TRUE);
  kf_gcrypt_init ();
  kf_gui_test_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  notifications = g_ptr_array_new_with_free_func (g_free);
  kf_gui_test_own_notifications (notifications);

  the_app = kf_application_new ();
  g_application_set_flags (G_APPLICATION (the_app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (the_app), NULL, &error))
    g_error ("Could not register the application: %s", error->message);

  g_test_add ("/gui/flow/trust-and-connect", Fixture, NULL,
              fixture_set_up, test_trust_and_connect, fixture_tear_down);
  g_test_add ("/gui/flow/connect-page-remembers-and-disconnects", Fixture, NULL,
              fixture_set_up, test_connect_page, fixture_tear_down);
  g_test_add ("/gui/flow/trust-cancelled", Fixture, NULL,
              fixture_set_up, test_trust_cancelled, fixture_tear_down);
  g_test_add ("/gui/flow/changed-fingerprint-blocks", Fixture, NULL,
              fixture_set_up, test_changed_fingerprint_blocks, fixture_tear_down);
  g_test_add ("/gui/flow/wait-and-stop-waiting", Fixture, NULL,
              fixture_set_up, test_wait_and_stop, fixture_tear_down);
  g_test_add ("/gui/flow/send-to-peer-by-drop", Fixture, NULL,
              fixture_set_up, test_send_to_peer, fixture_tear_down);

  g_test_add ("/gui/flow/receive-accept-into-folder", Fixture, NULL,
              fixture_set_up, test_receive_accept, fixture_tear_down);
  g_test_add ("/gui/flow/receive-decline", Fixture, NULL,
              fixture_set_up, test_receive_decline, fixture_tear_down);
  g_test_add ("/gui/flow/save-dialog-cancel-declines", Fixture, NULL,
              fixture_set_up, test_save_cancel_declines, fixture_tear_down);
  g_test_add ("/gui/flow/sender-cancels-during-offer", Fixture, NULL,
              fixture_set_up, test_sender_cancels_offer, fixture_tear_down);
  g_test_add ("/gui/flow/cancel-transfer", Fixture, NULL,
              fixture_set_up, test_cancel_transfer, fixture_tear_down);

  g_test_add ("/gui/flow/passphrase-asked-each-time", Fixture, "correct horse battery",
              fixture_set_up, test_passphrase_asked, fixture_tear_down);
  g_test_add ("/gui/app/shortcuts-about-preferences", Fixture, NULL,
              fixture_set_up, test_shortcuts_and_windows, fixture_tear_down);
  g_test_add ("/gui/screenshots/main-states", Fixture, NULL,
              fixture_set_up, test_screenshots, fixture_tear_down);

  status = g_test_run ();
  g_clear_object (&the_app);
  g_ptr_array_unref (notifications);
  return status;
}
