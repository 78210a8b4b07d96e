/* kf-connect-flow.c: connecting a client with the user's consent: the keyring's
 * passphrase, the trust dialog on first contact, the changed-identity warning and
 * the passphrase dialog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-connect-flow.h"
#include "kf-gui-util.h"
#include "kf-identity-warning.h"
#include "kf-passphrase-dialog.h"
#include "kf-secret.h"
#include "kf-trust-dialog.h"

typedef struct
{
  KfClient       *client;
  GtkWindow      *parent;
  KfKnownServers *known_servers;
  char           *expected;    /* the fingerprint given (join link, --fingerprint) */
  char           *passphrase;
  gboolean        asked;       /* the user typed the passphrase */
  gboolean        answered;    /* the open dialog got its response */
  gboolean        done;
} ConnectFlow;

static void connect_once (GTask *task);

/* Drops the reference a signal handler held on the flow's task. */
static void
release_task (gpointer  task,
              GClosure *closure)
{
  g_object_unref (task);
}

static void
connect_flow_free (ConnectFlow *flow)
{
  g_clear_object (&flow->client);
  g_clear_object (&flow->parent);
  g_clear_object (&flow->known_servers);
  g_free (flow->expected);
  kf_secret_free (flow->passphrase);
  g_free (flow);
}

static void
finish_error (GTask  *task,
              GError *error)
{
  ConnectFlow *flow = g_task_get_task_data (task);

  if (flow->done)
    {
      g_error_free (error);
      return;
    }
  flow->done = TRUE;
  g_task_return_error (task, error);
}

/* A dialog closed without an answer (the flow was cancelled). */
static void
on_dialog_destroyed (GtkWidget *dialog,
                     GTask     *task)
{
  ConnectFlow *flow = g_task_get_task_data (task);

  if (!flow->answered)
    finish_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             _("Connecting was cancelled")));
}

/*
 * show_dialog:
 *
 * Presents @dialog for this flow: @on_response gets the answer; a
 * cancelled flow closes it.
 */
static void
show_dialog (GTask     *task,
             GtkWidget *dialog,
             GCallback  on_response)
{
  ConnectFlow *flow = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  flow->answered = FALSE;
  if (on_response != NULL)
    g_signal_connect_data (dialog, "response", on_response, g_object_ref (task),
                           release_task, 0);
  g_signal_connect_data (dialog, "destroy", G_CALLBACK (on_dialog_destroyed),
                         g_object_ref (task), release_task, 0);
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (gtk_window_destroy), dialog,
                             G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_trust_response (AdwMessageDialog *dialog,
                   const char       *response,
                   GTask            *task)
{
  ConnectFlow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  flow->answered = TRUE;
  if (g_strcmp0 (response, "trust") != 0)
    {
      finish_error (task, g_error_new_literal (KF_GUI_ERROR, KF_GUI_ERROR_NOT_TRUSTED,
                                               _("the key manager was not trusted")));
      return;
    }

  if (!kf_client_trust_fingerprint (flow->client,
                                    kf_trust_dialog_get_fingerprint (KF_TRUST_DIALOG (dialog)),
                                    &error))
    {
      finish_error (task, error);
      return;
    }
  connect_once (task);
}

static void
on_passphrase_response (AdwMessageDialog *dialog,
                        const char       *response,
                        GTask            *task)
{
  ConnectFlow *flow = g_task_get_task_data (task);

  flow->answered = TRUE;
  if (g_strcmp0 (response, "connect") != 0)
    {
      finish_error (task, g_error_new_literal (KF_GUI_ERROR, KF_GUI_ERROR_NO_PASSPHRASE,
                                               _("no passphrase given")));
      return;
    }

  kf_secret_free (flow->passphrase);
  flow->passphrase = kf_passphrase_dialog_dup_passphrase (KF_PASSPHRASE_DIALOG (dialog));
  flow->asked = TRUE;
  kf_client_set_passphrase (flow->client, flow->passphrase);
  connect_once (task);
}

/* The changed-identity warning: its only answer ends the flow with @error. */
static void
warn_identity_changed (GTask  *task,
                       GError *error)
{
  ConnectFlow *flow = g_task_get_task_data (task);
  const char *host = kf_client_get_host (flow->client);
  guint16 port = kf_client_get_port (flow->client);
  const char *trusted = kf_known_servers_lookup (flow->known_servers, host, port);
  GtkWidget *dialog;

  dialog = kf_identity_warning_new (flow->parent, host, port, trusted,
                                    kf_client_get_fingerprint (flow->client));
  kf_identity_warning_set_expected (KF_IDENTITY_WARNING (dialog), flow->expected);
  gtk_window_present (GTK_WINDOW (dialog));
  finish_error (task, error);
}

/*
 * handle_error:
 *
 * Asks the user what a failed attempt calls for (trust, passphrase) and
 * tries again, or ends the flow with the error.
 */
static void
handle_error (GTask  *task,
              GError *error)
{
  ConnectFlow *flow = g_task_get_task_data (task);
  const char *presented = kf_client_get_fingerprint (flow->client);
  const char *host = kf_client_get_host (flow->client);

  if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_UNKNOWN_SERVER) && presented)
    {
      show_dialog (task, kf_trust_dialog_new (flow->parent, host,
                                              kf_client_get_port (flow->client), presented),
                   G_CALLBACK (on_trust_response));
      g_error_free (error);
    }
  else if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_SERVER_CHANGED))
    warn_identity_changed (task, error);
  else if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED)
           || g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_FAILED))
    {
      show_dialog (task, kf_passphrase_dialog_new (flow->parent, host,
                                                   error->code == KF_CLIENT_ERROR_AUTH_FAILED),
                   G_CALLBACK (on_passphrase_response));
      g_error_free (error);
    }
  else
    finish_error (task, error);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectFlow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  if (!kf_client_connect_finish (KF_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        finish_error (task, error);
      else
        handle_error (task, error);
      return;
    }

  if (flow->asked && kf_secret_is_available ())
    kf_secret_store_async (kf_client_get_host (flow->client), kf_client_get_port (flow->client),
                           flow->passphrase, NULL, NULL, NULL);
  flow->done = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
connect_once (GTask *task)
{
  ConnectFlow *flow = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      flow->done = TRUE;
      return;
    }
  kf_client_connect_async (flow->client, g_task_get_cancellable (task), on_connected,
                           g_object_ref (task));
}

static void
on_passphrase_found (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectFlow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  flow->passphrase = kf_secret_lookup_finish (result, &error);
  if (error != NULL)
    g_debug ("No passphrase from the keyring: %s", error->message);
  if (flow->passphrase != NULL)
    kf_client_set_passphrase (flow->client, flow->passphrase);
  connect_once (task);
}

/*
 * kf_connect_flow_run_async:
 *
 * Connects @client to its key manager, asking the user (dialogs over
 * @parent) whatever that takes: trust on first contact, the admission
 * passphrase when the keyring has none.  @expected is the fingerprint
 * set with kf_client_set_expected_fingerprint(), if any.  A changed
 * identity, or one other than @expected, shows the blocking warning
 * (naming both) and fails with KF_CLIENT_ERROR_SERVER_CHANGED.
 */
void
kf_connect_flow_run_async (KfClient            *client,
                           GtkWindow           *parent,
                           KfKnownServers      *known_servers,
                           const char          *expected,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ConnectFlow *flow;

  g_return_if_fail (KF_IS_CLIENT (client));
  g_return_if_fail (KF_IS_KNOWN_SERVERS (known_servers));

  flow = g_new0 (ConnectFlow, 1);
  flow->client = g_object_ref (client);
  flow->parent = parent != NULL ? g_object_ref (parent) : NULL;
  flow->known_servers = g_object_ref (known_servers);
  flow->expected = g_strdup (expected);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_connect_flow_run_async);
  g_task_set_task_data (task, flow, (GDestroyNotify) connect_flow_free);
  kf_secret_lookup_async (kf_client_get_host (client), kf_client_get_port (client),
                          cancellable, on_passphrase_found, g_steal_pointer (&task));
}

/*
 * kf_connect_flow_run_finish:
 *
 * Returns TRUE when connected.  Errors: the client's, KF_GUI_ERROR_NOT_TRUSTED,
 * KF_GUI_ERROR_NO_PASSPHRASE, or G_IO_ERROR_CANCELLED.
 */
gboolean
kf_connect_flow_run_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
