/* kf-cli-servers.c: `keyferry-cli servers`, and --server left out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A join link given as --server (keyferry://HOST:PORT/?fp=…) names the key
 * manager and the fingerprint its administrator vouches for.
 *
 * `servers` lists the key managers announced on the network (DNS-SD
 * through Avahi, common/kf-discovery.c): name, address, the announced
 * fingerprint and whether this user already trusts it.  Without --server,
 * keyferry-cli connects to the only key manager it already trusts, else
 * to the only one on the network, else to localhost as before; with
 * several it says so and lists them.  Either way an announced fingerprint
 * is a hint only: the connection still asks on first contact, or takes
 * --fingerprint or a join link.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-cli-exit.h"
#include "kf-cli-output.h"
#include "kf-cli-servers.h"
#include "kf-discovery.h"
#include "kf-fingerprint.h"
#include "kf-join-link.h"
#include "kf-known-servers.h"

/* How long to look: mDNS answers within about a second on a LAN. */
#define DISCOVERY_TIMEOUT_MS 3000

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Browses until Avahi has said what is there, or DISCOVERY_TIMEOUT_MS.
 * Returns %NULL with @error when Avahi is not available. */
static KfDiscovery *
discover (GError **error)
{
  g_autoptr(KfDiscovery) discovery = kf_discovery_new ();
  gboolean expired = FALSE;
  guint timeout;

  if (!kf_discovery_start (discovery, error))
    return NULL;
  timeout = g_timeout_add (DISCOVERY_TIMEOUT_MS, timeout_cb, &expired);
  while (!expired && !kf_discovery_is_settled (discovery))
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timeout);
  if (kf_discovery_get_error (discovery) != NULL)
    {
      g_propagate_error (error, g_error_copy (kf_discovery_get_error (discovery)));
      return NULL;
    }
  return g_steal_pointer (&discovery);
}

/* "trusted", "unknown" or "changed": the user's pin for @server's
 * address against the fingerprint it announced. */
static const char *
trust_of (KfKnownServers     *known,
          KfDiscoveredServer *server)
{
  switch (kf_discovered_server_get_trust (server, known))
    {
    case KF_DISCOVERED_TRUST_TRUSTED:
      return "trusted";
    case KF_DISCOVERED_TRUST_CHANGED:
      return "changed";
    case KF_DISCOVERED_TRUST_UNKNOWN:
    default:
      return "unknown";
    }
}

static const char *
trust_words (const char *trust)
{
  if (g_str_equal (trust, "trusted"))
    return _("trusted");
  if (g_str_equal (trust, "changed"))
    return _("DIFFERENT from the fingerprint you trust for this address");
  return _("not trusted yet: you will be asked on first contact");
}

static void
print_server (KfKnownServers     *known,
              KfDiscoveredServer *server)
{
  const char *site = kf_discovered_server_get_site (server);
  const char *fp = kf_discovered_server_get_fingerprint (server);
  const char *trust = trust_of (known, server);
  g_autofree char *target = kf_discovered_server_dup_target (server);
  g_autofree char *pretty = fp != NULL ? kf_fingerprint_format_pretty (fp) : NULL;
  KfCliJson *json = kf_cli_json_begin ("server");

  kf_cli_json_string (json, "name", kf_discovered_server_get_name (server));
  kf_cli_json_string (json, "site", site);
  kf_cli_json_string (json, "host", kf_discovered_server_get_host (server));
  kf_cli_json_string (json, "address", kf_discovered_server_get_address (server));
  kf_cli_json_uint (json, "port", kf_discovered_server_get_port (server));
  kf_cli_json_string (json, "fingerprint", fp);
  kf_cli_json_uint (json, "version", kf_discovered_server_get_version (server));
  kf_cli_json_string (json, "trust", trust);
  kf_cli_json_end (json);
  if (kf_cli_get_json ())
    return;
  kf_cli_print ("%s  %s  (%s)", site != NULL ? site : kf_discovered_server_get_name (server),
                target, kf_discovered_server_get_host (server));
  if (pretty != NULL)
    kf_cli_print (_("    announced fingerprint %s — %s"), pretty, trust_words (trust));
  else
    kf_cli_print (_("    no fingerprint announced — %s"), trust_words (trust));
}

/*
 * kf_cli_servers_main:
 *
 * `keyferry-cli servers`: prints the key managers on the network.
 * Returns: the exit status: 0, or %KF_CLI_EXIT_CONNECTION when Avahi
 * cannot be asked.
 */
int
kf_cli_servers_main (KfCliApp *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfDiscovery) discovery = discover (&error);
  g_autoptr(KfKnownServers) known = kf_known_servers_new (NULL);
  GListModel *servers;
  KfCliJson *json;

  if (discovery == NULL)
    {
      kf_cli_error ("%s", error->message);
      kf_cli_json_event ("error", "message", error->message, NULL);
      return KF_CLI_EXIT_CONNECTION;
    }
  kf_known_servers_load (known, NULL);
  servers = kf_discovery_get_servers (discovery);
  for (guint i = 0; i < g_list_model_get_n_items (servers); i++)
    {
      g_autoptr(KfDiscoveredServer) server = g_list_model_get_item (servers, i);

      print_server (known, server);
    }
  json = kf_cli_json_begin ("servers-done");
  kf_cli_json_uint (json, "count", g_list_model_get_n_items (servers));
  kf_cli_json_end (json);
  if (g_list_model_get_n_items (servers) == 0 && !kf_cli_get_json ())
    kf_cli_print ("%s", _("No key manager announces itself on this network. Ask its "
                          "administrator for its address or a join link."));
  return KF_CLI_EXIT_OK;
}

/* The only server found, or %NULL (then @error says why when there were
 * several). */
static char *
only_discovered (GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(KfDiscovery) discovery = discover (&local_error);
  g_autoptr(GString) names = NULL;
  GListModel *servers;
  guint n;

  if (discovery == NULL)
    {
      g_debug ("No discovery: %s", local_error->message);
      return NULL;
    }
  servers = kf_discovery_get_servers (discovery);
  n = g_list_model_get_n_items (servers);
  if (n == 1)
    {
      g_autoptr(KfDiscoveredServer) server = g_list_model_get_item (servers, 0);

      return kf_discovered_server_dup_target (server);
    }
  if (n == 0)
    return NULL;
  names = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KfDiscoveredServer) server = g_list_model_get_item (servers, i);
      g_autofree char *target = kf_discovered_server_dup_target (server);

      g_string_append_printf (names, "%s%s (%s)", i ? ", " : "",
                              kf_discovered_server_get_name (server), target);
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("%u key managers announce themselves on this network: %s. Choose one with "
                 "--server (keyferry-cli servers lists them)."), n, names->str);
  return NULL;
}

/*
 * kf_cli_choose_server:
 *
 * For a run without --server: sets app->server to the only key manager
 * the user trusts, else the only one on the network, else leaves it
 * %NULL (localhost).  Returns %FALSE with @error when several are on the
 * network and none or several are trusted.
 */
gboolean
kf_cli_choose_server (KfCliApp  *app,
                      GError   **error)
{
  g_autoptr(KfKnownServers) known = kf_known_servers_new (NULL);
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) trusted = NULL;

  g_return_val_if_fail (app->server == NULL, FALSE);

  kf_known_servers_load (known, NULL);
  trusted = kf_known_servers_dup_targets (known);
  if (g_strv_length (trusted) == 1)
    app->server = g_strdup (trusted[0]);
  else
    app->server = only_discovered (&local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (app->server != NULL)
    kf_cli_status (_("Using the key manager at %s (give --server to choose another)."),
                   app->server);
  return TRUE;
}

/*
 * kf_cli_take_join_link:
 *
 * `--server keyferry://HOST:PORT/?fp=…`: the link's address, and its
 * fingerprint as the expected one (the administrator vouched for it, so
 * a match is trusted and remembered without asking, and a mismatch is the
 * hard failure that names both).  app->server becomes "HOST:PORT" for
 * messages.  Returns %FALSE with @error for a malformed link, or one
 * whose fingerprint contradicts --fingerprint.
 */
gboolean
kf_cli_take_join_link (KfCliApp  *app,
                       GError   **error)
{
  g_autofree char *fp = NULL;
  g_autofree char *given = NULL;

  if (!kf_join_link_parse (app->server, &app->host, &app->port, &fp, error))
    {
      g_prefix_error (error, "--server: ");
      return FALSE;
    }
  if (app->fingerprint != NULL
      && ((given = kf_fingerprint_normalize (app->fingerprint, error)) == NULL
          || !kf_fingerprint_equal (given, fp)))
    {
      if (given != NULL)
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("--fingerprint %s contradicts the join link’s fingerprint %s"), given, fp);
      return FALSE;
    }
  g_free (app->fingerprint);
  app->fingerprint = g_steal_pointer (&fp);
  g_free (app->server);
  app->server = strchr (app->host, ':') != NULL
                ? g_strdup_printf ("[%s]:%u", app->host, app->port)
                : g_strdup_printf ("%s:%u", app->host, app->port);
  return TRUE;
}
