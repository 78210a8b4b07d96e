/* kf-cli-connect.c: reaching the key manager, pinning it, being admitted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * First contact with a key manager needs the user's consent: on a terminal
 * its fingerprint is shown and the user asked; a script passes
 * --fingerprint (or --accept-new-server).  A changed certificate is never
 * accepted here: the error says what to do.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "kf-address.h"
#include "kf-cli-connect.h"
#include "kf-cli-exit.h"
#include "kf-cli-input.h"
#include "kf-cli-output.h"
#include "kf-fingerprint.h"
#include "kf-cli-servers.h"
#include "kf-join-link.h"
#include "kf-secure.h"

#define PASSPHRASE_FILE_MAX 4096

/*
 * kf_cli_parse_server:
 * @text: --server: what kf_address_parse() reads
 *
 * Returns: %FALSE with %G_OPTION_ERROR_BAD_VALUE (a usage error) naming
 * --server and saying what to write; otherwise @host and @port (0: the
 * default).
 */
gboolean
kf_cli_parse_server (const char  *text,
                     char       **host,
                     guint16     *port,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (kf_address_parse (text, host, port, &local_error))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--server: %s",
               local_error->message);
  return FALSE;
}

static char *
read_passphrase_file (const char  *path,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  char *secret;

  if (g_str_equal (path, "-"))
    {
      char buf[PASSPHRASE_FILE_MAX];

      len = (gsize) MAX (read (STDIN_FILENO, buf, sizeof buf - 1), 0);
      contents = g_strndup (buf, len);
      explicit_bzero (buf, sizeof buf);
    }
  else if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;

  len = strcspn (contents, "\r\n");
  secret = kf_secure_strndup (contents, len);
  explicit_bzero (contents, strlen (contents));

  return secret;
}

/* --peer-ports FIRST[-LAST]. */
static gboolean
set_peer_ports (KfCliApp  *app,
                GError   **error)
{
  g_auto(GStrv) parts = g_strsplit (app->peer_ports, "-", 3);
  guint64 first = 0, last = 0;

  if (g_strv_length (parts) > 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 1, 65535, &first, NULL)
      || !g_ascii_string_to_unsigned (parts[1] != NULL ? parts[1] : parts[0], 10, first, 65535,
                                      &last, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--peer-ports needs a port or a range FIRST-LAST of ports from 1 to 65535, "
                     "not “%s”"), app->peer_ports);
      return FALSE;
    }
  kf_client_set_peer_ports (app->client, (guint16) first, (guint16) last);
  return TRUE;
}

/*
 * kf_cli_setup_client:
 *
 * Creates @app's KfClient from its options: server address, display name,
 * expected fingerprint and passphrase, with the user's identity and
 * contacts.
 *
 * Returns: %FALSE with @error set for a bad --server, --fingerprint or an
 * unreadable --passphrase-file or contacts file.
 */
gboolean
kf_cli_setup_client (KfCliApp  *app,
                     GError   **error)
{
  g_autoptr(KfKnownServers) known = NULL;
  g_autoptr(KfContacts) contacts = kf_contacts_new (NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  if (kf_join_link_is_link (app->server))
    {
      if (!kf_cli_take_join_link (app, error))
        return FALSE;
    }
  else if (!kf_cli_parse_server (app->server ? app->server : "localhost",
                                 &app->host, &app->port, error))
    return FALSE;

  name = app->name ? g_strdup (app->name) : kf_display_name_default ();
  known = kf_known_servers_new (NULL);
  if (!kf_known_servers_load (known, &local_error))
    kf_cli_error (_("ignoring the known-servers file: %s"), local_error->message);

  /* Contacts guard who a file goes to: without them, no transfer. */
  if (!kf_contacts_load (contacts, error))
    return FALSE;

  app->client = kf_client_new (app->host, app->port, name, known);
  kf_client_set_identity (app->client, app->identity);
  kf_client_set_contacts (app->client, contacts);
  if (app->peer_ports != NULL && !set_peer_ports (app, error))
    return FALSE;
  if (app->idle_timeout >= 0)
    kf_client_set_idle_timeout (app->client, (guint) app->idle_timeout);

  if (app->fingerprint != NULL)
    {
      g_autofree char *fp = kf_fingerprint_normalize (app->fingerprint, error);

      if (fp == NULL)
        return FALSE;
      kf_client_set_expected_fingerprint (app->client, fp);
    }

  if (app->passphrase_file != NULL)
    {
      app->passphrase = read_passphrase_file (app->passphrase_file, error);
      if (app->passphrase == NULL)
        return FALSE;
      kf_client_set_passphrase (app->client, app->passphrase);
    }

  return TRUE;
}

/*
 * kf_cli_forget_server:
 *
 * --forget-server: removes the pinned fingerprint of the --server key
 * manager, the one deliberate way to trust a changed certificate.
 *
 * Returns: the exit status: 0, 2 for a bad --server, 1 when the
 * known-servers file cannot be written.
 */
int
kf_cli_forget_server (KfCliApp *app)
{
  g_autoptr(KfKnownServers) known = kf_known_servers_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *pinned;

  if (!kf_cli_parse_server (app->server ? app->server : "localhost",
                            &app->host, &app->port, &error))
    {
      kf_cli_error ("%s", error->message);
      return KF_CLI_EXIT_USAGE;
    }
  if (app->port == 0)
    app->port = KF_CLIENT_DEFAULT_PORT;

  if (!kf_known_servers_load (known, &error))
    {
      kf_cli_error (_("cannot read the known-servers file: %s"), error->message);
      return KF_CLI_EXIT_FAILED;
    }
  pinned = kf_known_servers_lookup (known, app->host, app->port);
  if (pinned == NULL)
    {
      kf_cli_print (_("No fingerprint is pinned for the key manager at %s port %u."),
                    app->host, app->port);
      return KF_CLI_EXIT_OK;
    }
  if (!kf_known_servers_remove (known, app->host, app->port, &error))
    {
      kf_cli_error (_("cannot forget the key manager: %s"), error->message);
      return KF_CLI_EXIT_FAILED;
    }

  kf_cli_print (_("Forgot the pinned fingerprint of the key manager at %s port %u. Connect with "
                  "--fingerprint and its new fingerprint, checked with its administrator."),
                app->host, app->port);
  return KF_CLI_EXIT_OK;
}

typedef struct
{
  KfCliApp           *app;
  KfCliConnectedFunc  func;
} ConnectData;

static void start_connect (ConnectData *data);

static void
fail (ConnectData *data,
      const char  *message)
{
  kf_cli_error ("%s", message);
  kf_cli_json_event ("error", "message", message, NULL);
  kf_cli_app_quit (data->app, KF_CLI_EXIT_CONNECTION);
  g_free (data);
}

static void
on_trust_answer (const char *answer,
                 gpointer    user_data)
{
  ConnectData *data = user_data;
  g_autoptr(GError) error = NULL;
  const char *fp = kf_client_get_fingerprint (data->app->client);

  if (!kf_cli_input_is_yes (answer))
    {
      fail (data, _("Not connected: the key manager was not trusted."));
      return;
    }
  if (!kf_client_trust_fingerprint (data->app->client, fp, &error))
    {
      fail (data, error->message);
      return;
    }
  start_connect (data);
}

static void
ask_trust (ConnectData *data)
{
  KfCliApp *app = data->app;
  g_autofree char *pretty = kf_fingerprint_format_pretty (kf_client_get_fingerprint (app->client));
  g_autofree char *message = NULL;

  if (app->accept_new_server)
    {
      on_trust_answer ("y", data);
      return;
    }
  if (!app->stdin_is_tty)
    {
      message = g_strdup_printf (_("The key manager at %s is not known yet. Its fingerprint is "
                                   "%s. Compare it with what keyferry-server printed, then run "
                                   "again with --fingerprint %s (or --accept-new-server)."),
                                 app->server ? app->server : "localhost", pretty,
                                 kf_client_get_fingerprint (app->client));
      fail (data, message);
      return;
    }

  kf_cli_print (_("The key manager at %s is not known yet. Its SHA-256 fingerprint is:"),
                app->server ? app->server : "localhost");
  kf_cli_print ("  %s", pretty);
  kf_cli_print ("%s", _("Compare it with the fingerprint keyferry-server printed when it started."));
  kf_cli_prompt (_("Trust this key manager? [y/N] "));
  kf_cli_input_read_line (on_trust_answer, data);
}

static gboolean
ask_passphrase (ConnectData *data)
{
  KfCliApp *app = data->app;

  if (!app->stdin_is_tty)
    return FALSE;
  kf_secure_strfree (app->passphrase);
  app->passphrase = kf_cli_input_read_secret (_("Passphrase for the key manager: "));
  if (app->passphrase == NULL)
    return FALSE;
  kf_client_set_passphrase (app->client, app->passphrase);
  start_connect (data);
  return TRUE;
}

static void
report_connected (KfCliApp *app)
{
  KfCliJson *json = kf_cli_json_begin ("connected");

  kf_cli_json_uint (json, "client_id", kf_client_get_client_id (app->client));
  kf_cli_json_string (json, "name", kf_client_get_name (app->client));
  kf_cli_json_string (json, "fingerprint", kf_client_get_fingerprint (app->client));
  kf_cli_json_end (json);
  kf_cli_print (_("Connected to the key manager at %s as #%u (%s)."),
                app->server ? app->server : "localhost",
                kf_client_get_client_id (app->client), kf_client_get_name (app->client));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ConnectData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (kf_client_connect_finish (KF_CLIENT (source), result, &error))
    {
      report_connected (data->app);
      data->func (data->app);
      g_free (data);
      return;
    }

  if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_UNKNOWN_SERVER))
    ask_trust (data);
  else if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED)
           && ask_passphrase (data))
    return;
  else if (g_error_matches (error, KF_CLIENT_ERROR, KF_CLIENT_ERROR_AUTH_REQUIRED))
    fail (data, _("The key manager asks for a passphrase: give it with --passphrase-file FILE "
                  "(or - to read it from standard input)."));
  else
    fail (data, error->message);
}

static void
start_connect (ConnectData *data)
{
  kf_client_connect_async (data->app->client, data->app->cancellable, on_connected, data);
}

/*
 * kf_cli_connect:
 *
 * Connects @app's client (step 1), asking for trust or a passphrase where
 * a person is there to answer, then calls @func.  On failure prints one
 * line and quits @app's loop with %KF_CLI_EXIT_CONNECTION.
 */
void
kf_cli_connect (KfCliApp           *app,
                KfCliConnectedFunc  func)
{
  ConnectData *data = g_new0 (ConnectData, 1);
  g_autofree char *shown = g_strstrip (g_strdup (app->server ? app->server : "localhost"));

  data->app = app;
  data->func = func;
  kf_cli_status (_("Connecting to the key manager at %s…"), shown);
  start_connect (data);
}

/* The key manager went away: say so, and whether the client tries again
 * (it does, with a growing pause, unless a person must decide). */
static void
on_disconnected (KfClient     *client,
                 const GError *error,
                 KfCliApp     *app)
{
  const char *message = error ? error->message : _("connection closed");
  KfCliJson *json = kf_cli_json_begin ("disconnected");

  app->reconnecting = kf_client_get_state (client) == KF_CLIENT_STATE_RECONNECTING;
  kf_cli_json_string (json, "message", message);
  kf_cli_json_bool (json, "reconnecting", app->reconnecting);
  kf_cli_json_end (json);
  if (app->reconnecting)
    kf_cli_error (_("lost the key manager: %s; trying to reconnect…"), message);
  else
    kf_cli_error (_("lost the key manager: %s"), message);
}

/* Back in touch after a reconnection: the pin matched again, and the key
 * manager gave a new client id, which senders must use from now on. */
static void
on_state (KfClient   *client,
          GParamSpec *pspec,
          KfCliApp   *app)
{
  KfCliJson *json;

  if (!app->reconnecting || kf_client_get_state (client) != KF_CLIENT_STATE_IDLE)
    return;

  app->reconnecting = FALSE;
  json = kf_cli_json_begin ("reconnected");
  kf_cli_json_uint (json, "client_id", kf_client_get_client_id (client));
  kf_cli_json_string (json, "fingerprint", kf_client_get_fingerprint (client));
  kf_cli_json_end (json);
  kf_cli_print (_("Reconnected to the key manager as #%u (%s)."),
                kf_client_get_client_id (client), kf_client_get_name (client));
}

/*
 * kf_cli_follow_reconnects:
 *
 * Says when the key manager goes away and when the client is back (with
 * its new client id), on stderr and as JSON "disconnected" and
 * "reconnected" events: at the prompt and in scripted commands alike.
 */
void
kf_cli_follow_reconnects (KfCliApp *app)
{
  g_signal_connect (app->client, "disconnected", G_CALLBACK (on_disconnected), app);
  g_signal_connect (app->client, "notify::state", G_CALLBACK (on_state), app);
}
