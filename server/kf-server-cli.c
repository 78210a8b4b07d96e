/* kf-server-cli.c: keyferry-server's options
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one table of keyferry-server's options, which drives both the
 * command line and the --config key file (kf-server-options.c), the
 * --help text, and the checks that turn the options into a
 * KfServerConfig.  The options are read into one static
 * KfServerCliOptions, as GOptionEntry wants fixed addresses.
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "kf-discovery.h"
#include "kf-server-cli.h"

static KfServerCliOptions options;

static const GOptionEntry entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options.config_file, N_("Read settings from this key file's [keyferry-server] group (keys: the long options); options given here win; read again on SIGHUP"), N_("F") },
  { "listen", 'l', 0, G_OPTION_ARG_STRING, &options.listen, N_("Listen on this IP address only (default: all)"), N_("ADDR") },
  { "port", 'p', 0, G_OPTION_ARG_STRING, &options.port, N_("TCP port (default 7745; 0 picks a free one)"), N_("N") },
  { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &options.state_dir, N_("Where the TLS certificate and key and the database of identities and names live (default $STATE_DIRECTORY or ~/.local/state/keyferry-server)"), N_("DIR") },
  { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &options.passphrase_file, N_("Require the passphrase on this file's first line from every client (the file must not be readable by group or others)"), N_("F") },
  { "passphrase-hash-file", 0, 0, G_OPTION_ARG_FILENAME, &options.passphrase_hash_file, N_("Require the passphrase whose Argon2id hash (a line from --hash-passphrase) is in this file"), N_("F") },
  { "max-clients", 0, 0, G_OPTION_ARG_STRING, &options.max_clients, N_("Most connections at once (default 1000; fewer, with a warning, when the open-file limit is too low)"), N_("N") },
  { "max-clients-per-address", 0, 0, G_OPTION_ARG_STRING, &options.max_clients_per_address, N_("Most greeted clients from one source address (default 32)"), N_("N") },
  { "max-pending", 0, 0, G_OPTION_ARG_STRING, &options.max_pending, N_("Most connections still in their handshake and greeting (default 64)"), N_("N") },
  { "max-pending-per-address", 0, 0, G_OPTION_ARG_STRING, &options.max_pending_per_address, N_("The same, per source address (default 8)"), N_("N") },
  { "handshake-timeout", 0, 0, G_OPTION_ARG_STRING, &options.handshake_timeout, N_("Seconds from connecting to the end of the greeting (default 10)"), N_("S") },
  { "idle-timeout", 0, 0, G_OPTION_ARG_STRING, &options.idle_timeout, N_("Seconds an idle or waiting client may stay silent, 0 for ever (default 900)"), N_("S") },
  { "confirm-timeout", 0, 0, G_OPTION_ARG_STRING, &options.confirm_timeout, N_("Seconds from conn until both confirmed and the receiver sent its port (default 30)"), N_("S") },
  { "conn-burst", 0, 0, G_OPTION_ARG_STRING, &options.conn_burst, N_("Pairings (conn) one identity may start at once, from any of its connections (default 20)"), N_("N") },
  { "conn-refill", 0, 0, G_OPTION_ARG_STRING, &options.conn_refill, N_("Then one more pairing per this many seconds (default 3)"), N_("S") },
  { "audit-log", 0, 0, G_OPTION_ARG_FILENAME, &options.audit_log, N_("Append one line per session outcome to this file"), N_("F") },
  { "site-name", 0, 0, G_OPTION_ARG_STRING, &options.site_name, N_("The name people see when their app or keyferry-cli finds this key manager on the network (default: Keyferry on HOST)"), N_("NAME") },
  { "no-announce", 0, 0, G_OPTION_ARG_NONE, &options.no_announce, N_("Do not announce the key manager on the network (DNS-SD through Avahi)"), NULL },
  { "print-link", 0, 0, G_OPTION_ARG_NONE, &options.print_link, N_("Print the join link (keyferry://HOST:PORT/?fp=…, and a QR code on a terminal) and exit"), NULL },
  { "log-format", 0, 0, G_OPTION_ARG_STRING, &options.log_format, N_("Log as “text” (the default; under systemd the journal gets every field) or as “json”, one object with every field per line on standard error"), N_("FORMAT") },
  { "runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.runtime_dir, N_("Where the --status socket lives (default $RUNTIME_DIRECTORY, else the state directory; --status looks in /run/keyferry-server first)"), N_("DIR") },
  { "status", 0, 0, G_OPTION_ARG_NONE, &options.status, N_("Print the running key manager's clients, waiting peers, sessions, transfers and totals since start, and exit (root or the server's user only)"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &options.json, N_("With --status, identities list, names list or enrolment status: print JSON instead of a table"), NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options.verbose, N_("Log debug messages too"), NULL },
  { "print-fingerprint", 0, 0, G_OPTION_ARG_NONE, &options.print_fingerprint, N_("Print the certificate's SHA-256 fingerprint and exit"), NULL },
  { "hash-passphrase", 0, 0, G_OPTION_ARG_NONE, &options.hash_passphrase, N_("Read a passphrase (twice from a terminal, else standard input's first line), print its Argon2id hash for --passphrase-hash-file and exit"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &options.version, N_("Print the version and exit"), NULL },
  { NULL }
};

/* Options that ask for one action, not settings: not in --config files. */
static const char * const not_in_file[] = {
  "config", "print-fingerprint", "hash-passphrase", "version", "status", "json", "print-link", NULL
};

/* Where g_option_context_parse() puts the options (kf_server_cli_get_entries()). */
KfServerCliOptions *
kf_server_cli_get_options (void)
{
  return &options;
}

const GOptionEntry *
kf_server_cli_get_entries (void)
{
  return entries;
}

/* The command line's parser, with its --help text. */
GOptionContext *
kf_server_cli_context_new (void)
{
  GOptionContext *context;
  g_autofree char *description = NULL;

  context = g_option_context_new (_("[identities list|add CODE-or-KEY|remove CODE-or-KEY | "
                                     "names list|release NAME | enrolment open|close|status]"));
  g_option_context_set_summary (context, _("The Keyferry key manager: pairs senders with receivers "
                                           "and hands both a fresh AES key over TLS."));
  description = g_strconcat (_(
    "At start it prints, on standard error, two lines for scripts:\n"
    "  keyferry-server: fingerprint <16 groups of 4 hex digits>\n"
    "  keyferry-server: listening on <address or *> port <n>\n"
    "then the join link (keyferry-server: link keyferry://…) and, on a terminal, its QR code.\n"
    "Clients pin that fingerprint; opening the link pins it in one step.\n"
    "The key manager announces itself on the network through Avahi (_keyferry._tcp)\n"
    "unless --no-announce is given; without Avahi it says so once and runs all the same.\n"
    "SIGTERM or SIGINT tells every client and stops.\n"
    "SIGHUP reads the passphrase (or hash) file and the --config file again: new limits\n"
    "and the new passphrase apply to new connections, connected clients stay.  An option\n"
    "on the command line wins over the same key in the --config file.\n"
    "Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for bad options\n"
    "or an unusable passphrase or passphrase hash file; --hash-passphrase exits 1 when it\n"
    "cannot read or hash a passphrase; --status exits 1 when no key manager answers or it\n"
    "refuses (only root and the user it runs as may ask).\n"
    "The protocol is specified in docs/PROTOCOL.md."), "\n", _(
    "Every client proves its identity (an Ed25519 key) when it connects; a display name\n"
    "belongs to the first identity that uses it (names that differ only in case, Unicode\n"
    "form or look-alike letters are one name), kept in keyferry-server.db in the state\n"
    "directory.  The administrator's commands work on that database, safely while the\n"
    "key manager runs:\n"
    "  identities list              known identities, when seen, the names they own\n"
    "  identities add CODE-or-KEY   admit this identity even while enrolment is closed\n"
    "  identities remove CODE-or-KEY  forget it and release its names\n"
    "  names list                   owned names and their owners\n"
    "  names release NAME           the next identity to ask for NAME gets it\n"
    "  enrolment open|close|status  admit new identities, or only known ones\n"
    "They exit 1 when the change cannot be made, 2 for a bad command."), NULL);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return context;
}

/* Frees what parsing the options stored in @o. */
void
kf_server_cli_options_clear (KfServerCliOptions *o)
{
  g_free (o->config_file);
  g_free (o->listen);
  g_free (o->port);
  g_free (o->state_dir);
  g_free (o->passphrase_file);
  g_free (o->passphrase_hash_file);
  g_free (o->max_clients);
  g_free (o->max_clients_per_address);
  g_free (o->max_pending);
  g_free (o->max_pending_per_address);
  g_free (o->handshake_timeout);
  g_free (o->idle_timeout);
  g_free (o->confirm_timeout);
  g_free (o->conn_burst);
  g_free (o->conn_refill);
  g_free (o->audit_log);
  g_free (o->site_name);
  g_free (o->log_format);
  g_free (o->runtime_dir);
  g_strfreev (o->admin);
}

/* Parses @text as a whole number in [@min, @max] into @out; %NULL leaves
 * @out alone.  Returns %FALSE with a one-line @error otherwise. */
static gboolean
parse_number (const char  *option,
              const char  *text,
              guint64      min,
              guint64      max,
              guint       *out,
              GError     **error)
{
  guint64 value;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("%s needs a whole number from %" PRIu64 " to %" PRIu64 ", not “%s”"),
                   option, min, max, text);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

/* Checks the options that are not numbers: the ones that exclude or need
 * each other, and the values a word or an address must have.  Returns
 * %FALSE with a one-line @error for the first that is wrong. */
static gboolean
check_choices (const KfServerCliOptions  *o,
               GError                   **error)
{
  if (o->passphrase_file != NULL && o->passphrase_hash_file != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("give either --passphrase-file or --passphrase-hash-file, not both"));
      return FALSE;
    }
  if (o->json && !o->status && o->admin == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--json goes with --status"));
      return FALSE;
    }
  if (o->log_format != NULL && strcmp (o->log_format, "text") != 0
      && strcmp (o->log_format, "json") != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--log-format needs “text” or “json”, not “%s”"), o->log_format);
      return FALSE;
    }
  if (o->listen != NULL && !g_hostname_is_ip_address (o->listen))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--listen needs an IP address, not “%s”"), o->listen);
      return FALSE;
    }
  if (o->site_name != NULL && !kf_discovery_site_name_is_valid (o->site_name))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--site-name needs 1 to %d bytes of text without control, bidirectional or invisible characters"),
                   KF_DISCOVERY_MAX_NAME);
      return FALSE;
    }
  return TRUE;
}

/* Checks the options and applies the numeric ones to @config (timeouts
 * are given in seconds).  Returns %FALSE with a one-line @error. */
gboolean
kf_server_cli_apply (const KfServerCliOptions  *o,
                     KfServerConfig            *config,
                     guint                     *port,
                     GError                   **error)
{
  guint handshake_s = config->handshake_timeout_ms / 1000;
  guint idle_s = config->idle_timeout_ms / 1000;
  guint confirm_s = config->confirm_timeout_ms / 1000;
  guint refill_s = config->conn_refill_ms / 1000;

  if (!parse_number ("--port", o->port, 0, 65535, port, error)
      || !parse_number ("--max-clients", o->max_clients, 1, 1000000, &config->max_clients, error)
      || !parse_number ("--max-clients-per-address", o->max_clients_per_address, 1, 1000000,
                        &config->max_clients_per_address, error)
      || !parse_number ("--max-pending", o->max_pending, 1, 100000, &config->max_pending, error)
      || !parse_number ("--max-pending-per-address", o->max_pending_per_address, 1, 100000,
                        &config->max_pending_per_address, error)
      || !parse_number ("--handshake-timeout", o->handshake_timeout, 1, 3600, &handshake_s, error)
      || !parse_number ("--idle-timeout", o->idle_timeout, 0, 7 * 86400, &idle_s, error)
      || !parse_number ("--confirm-timeout", o->confirm_timeout, 1, 3600, &confirm_s, error)
      || !parse_number ("--conn-burst", o->conn_burst, 1, 1000, &config->conn_burst, error)
      || !parse_number ("--conn-refill", o->conn_refill, 1, 3600, &refill_s, error))
    return FALSE;
  if (!check_choices (o, error))
    return FALSE;
  config->handshake_timeout_ms = handshake_s * 1000;
  config->idle_timeout_ms = idle_s * 1000;
  config->confirm_timeout_ms = confirm_s * 1000;
  config->conn_refill_ms = refill_s * 1000;
  if (o->state_dir != NULL)
    {
      g_free (config->state_dir);
      config->state_dir = g_strdup (o->state_dir);
    }
  config->audit_log = g_strdup (o->audit_log);
  return TRUE;
}

/* Keeps the command line's options in *@command_line (for reloads) and
 * fills in what they left unset from the --config file, if any. */
gboolean
kf_server_cli_load_config (const KfServerCliOptions  *o,
                           KfServerOptionsSaved     **command_line,
                           GError                   **error)
{
  *command_line = kf_server_options_save (entries);
  return o->config_file == NULL
         || kf_server_options_load_file (entries, not_in_file, o->config_file, error);
}

/* Reads the command line's options and the --config file again, for a
 * reload.  Returns %FALSE with @error when the file is unusable. */
gboolean
kf_server_cli_reload_config (const KfServerCliOptions    *o,
                             const KfServerOptionsSaved  *command_line,
                             GError                     **error)
{
  kf_server_options_restore (entries, command_line);
  return o->config_file == NULL
         || kf_server_options_load_file (entries, not_in_file, o->config_file, error);
}

/* The settings a reload cannot change, as one string to compare. */
char *
kf_server_cli_fixed_settings (const KfServerCliOptions *o)
{
  return g_strjoin ("\n", o->listen ? o->listen : "", o->port ? o->port : "",
                    o->state_dir ? o->state_dir : "", o->audit_log ? o->audit_log : "",
                    o->log_format ? o->log_format : "",
                    o->runtime_dir ? o->runtime_dir : "",
                    o->site_name ? o->site_name : "", o->no_announce ? "no-announce" : "",
                    NULL);
}
