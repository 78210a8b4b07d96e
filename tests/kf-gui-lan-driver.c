/* kf-gui-lan-driver.c: the app's connect page on a host of a LAN in a box,
 * for test-lan-gui-discovery.py: real Avahi, a real key manager on another
 * host.
 *
 * It opens the window, waits until the list shows the key manager named
 * $KF_LAN_SITE, checks that its row says $KF_LAN_TARGET and that it is new,
 * chooses it, trusts it in the trust dialog (first contact asks, whatever
 * was announced) and waits until connected.  TAP, one test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "kf-gui-flow-fixture.h"
#include "kf-gui-test-util.h"
#include "kf-trust-dialog.h"

typedef struct
{
  KfWindow   *window;
  const char *site;
} RowWait;

/* The row of the connect page's list titled @wait->site, or NULL. */
static GtkListBoxRow *
find_site_row (RowWait *wait)
{
  GtkWidget *row;

  for (guint i = 0; (row = kf_gui_test_find_child (GTK_WIDGET (wait->window),
                                                   ADW_TYPE_ACTION_ROW, i)) != NULL; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), wait->site) == 0)
      return GTK_LIST_BOX_ROW (row);
  return NULL;
}

static gboolean
site_listed (gpointer data)
{
  return find_site_row (data) != NULL;
}

static void
test_discover_and_connect (void)
{
  RowWait wait = { NULL, g_getenv ("KF_LAN_SITE") };
  g_autofree char *subtitle = NULL;
  GtkListBoxRow *row;
  GtkWidget *dialog;

  g_assert_nonnull (wait.site);
  kf_application_set_overrides (flow_app, NULL, 0, "Lan", NULL);
  wait.window = kf_window_new (flow_app);
  gtk_window_present (GTK_WINDOW (wait.window));
  kf_window_start (wait.window);

  g_assert_true (kf_gui_test_wait_for (site_listed, &wait, TIMEOUT_MS));
  row = find_site_row (&wait);
  subtitle = g_strdup_printf ("%s · %s", g_getenv ("KF_LAN_TARGET"),
                              _("New — you will be asked to compare its fingerprint"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, subtitle);

  g_signal_emit_by_name (row, "activate");
  dialog = flow_wait_for_window (KF_TYPE_TRUST_DIALOG);
  g_test_message ("the trust dialog asks, for %s", kf_trust_dialog_get_fingerprint (
                    KF_TRUST_DIALOG (dialog)));
  kf_gui_test_respond (dialog, "trust");
  flow_wait_for_page (wait.window, "main");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (wait.window)), ==,
                   KF_CLIENT_STATE_IDLE);
  gtk_window_destroy (GTK_WINDOW (wait.window));
  kf_gui_test_settle (100);
}

int
main (int    argc,
      char **argv)
{
  flow_init (&argc, &argv);
  g_test_add_func ("/gui/lan/discover-and-connect", test_discover_and_connect);
  return flow_run ();
}
