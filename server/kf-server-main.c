/* kf-server-main.c: the keyferry-server command line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Parses the options (a bad one is one line on stderr and exit status 2),
 * starts a KfServer on the default main context, prints the two stable
 * start-up lines scripts look for:
 *
 *   keyferry-server: fingerprint <16 groups of 4 hex digits>
 *   keyferry-server: listening on <address or *> port <n>
 *
 * and runs until SIGTERM or SIGINT, when every client is told
 * `ev shutdown` before the connections close.
 *
 * `--hash-passphrase` instead reads a passphrase (from the terminal, twice
 * and without echo, or the first line of standard input when it is not a
 * terminal) and prints its Argon2id hash as one PHC line on standard
 * output, for `--passphrase-hash-file`.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gcrypt.h>

#include "kf-discovery.h"
#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-passphrase-hash.h"
#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-server.h"
#include "kf-server-admin.h"
#include "kf-server-announce.h"
#include "kf-server-link.h"
#include "kf-server-log.h"
#include "kf-server-notify.h"
#include "kf-server-options.h"
#include "kf-server-status.h"
#include "kf-server-status-print.h"
#include "kf-tls.h"

#define EXIT_USAGE 2

/* Only the first line counts; more than this is not read. */
#define PASSPHRASE_FILE_MAX (KF_PROTOCOL_MAX_PASSPHRASE + 2)

typedef struct
{
  char     *config_file;
  char     *listen;
  char     *port;
  char     *state_dir;
  char     *passphrase_file;
  char     *passphrase_hash_file;
  char     *max_clients;
  char     *max_clients_per_address;
  char     *max_pending;
  char     *max_pending_per_address;
  char     *handshake_timeout;
  char     *idle_timeout;
  char     *confirm_timeout;
  char     *conn_burst;
  char     *conn_refill;
  char     *audit_log;
  char     *site_name;
  gboolean  no_announce;
  gboolean  print_link;
  char     *log_format;
  char     *runtime_dir;
  gboolean  verbose;
  gboolean  status;
  gboolean  json;
  char    **admin;          /* an administrator's command: its words, or NULL */
  gboolean  print_fingerprint;
  gboolean  hash_passphrase;
  gboolean  version;
} Options;

typedef struct
{
  GMainLoop                  *loop;
  KfServer                   *server;
  gboolean                    stopping;
  Options                    *options;
  const GOptionEntry         *entries;
  const KfServerOptionsSaved *command_line;
  char                       *fixed;     /* what only a restart changes */
  gboolean                    reloading;
  gboolean                    reload_again;
} Run;

/* Options that ask for one action, not settings: not in --config files. */
static const char * const not_in_file[] = {
  "config", "print-fingerprint", "hash-passphrase", "version", "status", "json", "print-link", NULL
};

static void
options_clear (Options *o)
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

static int
usage_error (const char *message)
{
  g_autofree char *text = g_strdup_printf (_("%s (see keyferry-server --help)"), message);

  g_printerr ("keyferry-server: %s\n", text);
  return EXIT_USAGE;
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

/* Applies the numeric options to @config; timeouts are given in seconds. */
static gboolean
apply_options (const Options   *o,
               KfServerConfig  *config,
               guint           *port,
               GError         **error)
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

/* Opens the passphrase file, refusing one that is not a regular file or
 * that other users may read or change.  Returns the descriptor, or -1 with
 * a one-line @error that says what to do. */
static int
open_passphrase_file (const char  *path,
                      GError     **error)
{
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  int saved = errno;

  if (fd < 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                 _("Cannot open the passphrase file %s: %s"), path, g_strerror (saved));
  else if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 _("The passphrase file %s is not a regular file"), path);
  else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                 _("The passphrase file %s may be read or changed by other users (mode %04o); "
                   "chmod go= it"), path, (guint) (st.st_mode & 07777));
  else
    return fd;
  if (fd >= 0)
    close (fd);
  return -1;
}

/* Reads the passphrase file into secure memory, without its final line
 * break.  Returns %NULL with @error when it cannot be read or is empty. */
static char *
read_passphrase (const char  *path,
                 GError     **error)
{
  char *secure;
  gsize len = 0;
  int fd;

  if ((fd = open_passphrase_file (path, error)) < 0)
    return NULL;
  secure = gcry_calloc_secure (1, PASSPHRASE_FILE_MAX + 1);
  while (secure != NULL && len < PASSPHRASE_FILE_MAX)
    {
      gssize n = read (fd, secure + len, PASSPHRASE_FILE_MAX - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  close (fd);
  if (secure == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("Out of secure memory"));
      return NULL;
    }
  secure[strcspn (secure, "\r\n")] = '\0';
  if (secure[0] == '\0' || strlen (secure) > KF_PROTOCOL_MAX_PASSPHRASE)
    {
      gcry_free (secure);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The passphrase file %s must hold a passphrase of 1 to %d bytes on its first line"),
                   path, KF_PROTOCOL_MAX_PASSPHRASE);
      return NULL;
    }
  return secure;
}

/* Reads what admission needs into *@secret (secure memory): the
 * passphrase (--passphrase-file), or the stored hash's PHC string
 * (--passphrase-hash-file, which sets @config->passphrase_is_hash), or
 * %NULL when neither is given.  A hash file others may read is accepted
 * with a warning on stderr; a malformed one, or one others may write, is
 * an error. */
static gboolean
read_admission (const Options   *o,
                KfServerConfig  *config,
                char           **secret,
                GError         **error)
{
  g_autoptr(KfPassphraseHash) hash = NULL;
  g_autofree char *warning = NULL;

  *secret = NULL;
  if (o->passphrase_file != NULL)
    return (*secret = read_passphrase (o->passphrase_file, error)) != NULL;
  if (o->passphrase_hash_file == NULL)
    return TRUE;
  hash = kf_passphrase_hash_load (o->passphrase_hash_file, &warning, error);
  if (hash == NULL)
    return FALSE;
  if (warning != NULL)
    g_printerr ("keyferry-server: %s: %s\n", _("warning"), warning);
  *secret = kf_passphrase_hash_to_string (hash);
  if (*secret == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("Out of secure memory"));
      return FALSE;
    }
  config->passphrase_is_hash = TRUE;
  return TRUE;
}

/* Reads one line from standard input into secure memory, without its line
 * break (nor anything from a CR on, as --passphrase-file does), one byte at
 * a time so that no copy lands in a stdio buffer.  Returns %NULL with
 * @error at the end of input, or when the line is empty, longer than a
 * passphrase may be, or holds a NUL byte. */
static char *
read_secret_line (GError **error)
{
  char *line = gcry_calloc_secure (1, KF_PROTOCOL_MAX_PASSPHRASE + 2);
  gsize len = 0;

  if (line == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("Out of secure memory"));
      return NULL;
    }
  while (len <= KF_PROTOCOL_MAX_PASSPHRASE)
    {
      gssize n = read (STDIN_FILENO, line + len, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || line[len] == '\n')
        break;
      len++;
    }
  line[len] = '\0';
  if (len <= KF_PROTOCOL_MAX_PASSPHRASE && memchr (line, '\0', len) == NULL)
    line[strcspn (line, "\r")] = '\0';
  else
    line[0] = '\0';
  if (line[0] == '\0')
    {
      explicit_bzero (line, KF_PROTOCOL_MAX_PASSPHRASE + 2);
      gcry_free (line);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The passphrase must be one line of 1 to %d bytes, without NUL"),
                   KF_PROTOCOL_MAX_PASSPHRASE);
      return NULL;
    }
  return line;
}

/* Asks for a secret on the terminal (standard input) with echo off. */
static char *
prompt_secret (const char  *prompt,
               GError     **error)
{
  struct termios saved, quiet;
  gboolean restore;
  char *secret;

  restore = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  /* After the flush, so that nothing typed after the prompt is lost. */
  g_printerr ("%s", prompt);
  secret = read_secret_line (error);
  if (restore)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  g_printerr ("\n");
  return secret;
}

/* The new passphrase: asked twice on a terminal, else standard input's
 * first line.  Returns %NULL with @error. */
static char *
read_new_passphrase (GError **error)
{
  char *passphrase, *again;
  gboolean same;

  if (!isatty (STDIN_FILENO))
    return read_secret_line (error);
  passphrase = prompt_secret (_("New admission passphrase: "), error);
  if (passphrase == NULL)
    return NULL;
  again = prompt_secret (_("The same passphrase again: "), error);
  same = again != NULL && strcmp (passphrase, again) == 0;
  if (again != NULL && !same)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         _("The two passphrases differ; nothing was hashed"));
  kf_secure_strfree (again);
  if (!same)
    g_clear_pointer (&passphrase, kf_secure_strfree);
  return passphrase;
}

/* Writes all of @text and a line break to standard output. */
static gboolean
write_line (const char *text)
{
  gsize len = strlen (text);

  for (gsize done = 0; done < len;)
    {
      gssize n = write (STDOUT_FILENO, text + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += (gsize) n;
    }
  return write (STDOUT_FILENO, "\n", 1) == 1;
}

/* --hash-passphrase: prints the new passphrase's PHC line on stdout. */
static int
hash_passphrase (const KfServerConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPassphraseHash) hash = NULL;
  char *passphrase = NULL;
  char *line = NULL;

  if (gcry_fips_mode_active ())
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                         _("libgcrypt runs in FIPS mode, where the key manager does not use "
                           "Argon2id: use --passphrase-file instead"));
  else if ((passphrase = read_new_passphrase (&error)) != NULL)
    hash = kf_passphrase_hash_new (passphrase, config->kdf_iterations, config->kdf_memory_kib,
                                   config->kdf_parallelism, &error);
  kf_secure_strfree (passphrase);
  if (hash != NULL && (line = kf_passphrase_hash_to_string (hash)) == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("Out of secure memory"));
  if (line != NULL && !write_line (line))
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                 _("Cannot write the hash to standard output: %s"), g_strerror (errno));
  kf_secure_strfree (line);
  if (error != NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;

  kf_server_shutdown_finish (KF_SERVER (source), result, NULL);
  g_main_loop_quit (run->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  if (run->stopping)
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_CONTINUE;
    }
  run->stopping = TRUE;
  kf_server_notify ("STOPPING=1");
  kf_server_shutdown_async (run->server, _("The key manager is stopping"), NULL, shutdown_cb, run);
  return G_SOURCE_CONTINUE;
}

/* Keeps the command line's options in *@command_line (for reloads) and
 * fills in what they left unset from the --config file, if any. */
static gboolean
load_config (const Options         *o,
             const GOptionEntry    *entries,
             KfServerOptionsSaved **command_line,
             GError               **error)
{
  *command_line = kf_server_options_save (entries);
  return o->config_file == NULL
         || kf_server_options_load_file (entries, not_in_file, o->config_file, error);
}

/* The settings a reload cannot change, as one string to compare. */
static char *
fixed_settings (const Options *o)
{
  return g_strjoin ("\n", o->listen ? o->listen : "", o->port ? o->port : "",
                    o->state_dir ? o->state_dir : "", o->audit_log ? o->audit_log : "",
                    o->log_format ? o->log_format : "",
                    o->runtime_dir ? o->runtime_dir : "",
                    o->site_name ? o->site_name : "", o->no_announce ? "no-announce" : "",
                    NULL);
}

/* Reads the command line's options and the --config file again and
 * starts handing the new limits and passphrase to the server (reload_cb()
 * finishes).  Returns %FALSE with @error, the server unchanged, when one
 * of them is unusable. */
static gboolean
reload_start (Run     *run,
              GError **error);

static void
reload_failed (const GError *error)
{
  g_autofree char *status = NULL;

  kf_server_log_event (&(KfServerLogEvent) { .level = G_LOG_LEVEL_WARNING,
                                             .message_id = KF_LOG_RELOAD_FAILED },
                       "Reload failed, the settings in force stay: %s", error->message);
  /* `systemctl status` shows it. */
  status = g_strdelimit (g_strdup (error->message), "\n", ' ');
  kf_server_notify_printf ("READY=1\nSTATUS=Reload failed, the settings in force stay: %s",
                           status);
}

static void
reload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *fixed = NULL;
  Options *o = run->options;

  run->reloading = FALSE;
  if (!kf_server_reload_finish (KF_SERVER (source), result, &error))
    {
      if (!run->stopping)
        reload_failed (error);
    }
  else if (run->stopping)
    return;
  else
    {
      g_log_set_debug_enabled (o->verbose);
      fixed = fixed_settings (o);
      if (strcmp (fixed, run->fixed) != 0)
        g_warning ("The listening address, port, state, runtime directories, audit log, "
                   "log format, site name and announcement change only when the key "
                   "manager restarts");
      kf_server_log (KF_LOG_RELOADED, NULL, NULL, "Reloaded: %s",
                     o->passphrase_hash_file != NULL ? "passphrase hash from a file"
                     : o->passphrase_file != NULL ? "passphrase from a file" : "no passphrase");
      kf_server_notify ("READY=1\nSTATUS=Reloaded");
    }
  /* A SIGHUP that came meanwhile may have followed a newer file. */
  if (run->reload_again && !run->stopping)
    {
      run->reload_again = FALSE;
      if (!reload_start (run, &error))
        reload_failed (error);
    }
}

static gboolean
reload_start (Run     *run,
              GError **error)
{
  g_auto(KfServerConfig) config = { 0 };
  g_autofree char *warning = NULL;
  Options *o = run->options;
  char *secret = NULL;
  guint port = 0;

  kf_server_notify_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                           g_get_monotonic_time ());
  kf_server_config_init (&config);
  kf_server_options_restore (run->entries, run->command_line);
  if ((o->config_file != NULL
       && !kf_server_options_load_file (run->entries, not_in_file, o->config_file, error))
      || !apply_options (o, &config, &port, error)
      || !read_admission (o, &config, &secret, error))
    return FALSE;
  /* New limits must fit the descriptors as the first ones did. */
  warning = kf_server_config_fit_descriptors (&config);
  if (warning != NULL)
    g_message ("%s", warning);
  run->reloading = TRUE;
  kf_server_reload_async (run->server, &config, secret, NULL, reload_cb, run);
  kf_secure_strfree (secret);
  return TRUE;
}

/* SIGHUP: reload, telling systemd while it runs (sd_notify(3)). */
static gboolean
on_reload (gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (run->stopping)
    return G_SOURCE_CONTINUE;
  if (run->reloading)
    {
      run->reload_again = TRUE;
      return G_SOURCE_CONTINUE;
    }
  if (!reload_start (run, &error))
    reload_failed (error);
  return G_SOURCE_CONTINUE;
}

/* Creates the server, listens and runs until a signal stops it. */
static int
serve (Options                    *o,
       const GOptionEntry         *entries,
       const KfServerOptionsSaved *command_line,
       KfServerConfig             *config,
       guint                       port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = NULL;
  g_autoptr(KfServerAnnounce) announce = NULL;
  g_autoptr(KfServerStatus) status = NULL;
  g_autofree char *status_dir = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *pretty = NULL;
  char *secret = NULL;
  Run run = { 0 };
  guint sigterm, sigint, sighup;

  warning = kf_server_config_fit_descriptors (config);
  if (warning != NULL)
    g_printerr ("keyferry-server: %s: %s\n", _("warning"), warning);
  if (!read_admission (o, config, &secret, &error))
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  server = kf_server_new (config, secret, &error);
  kf_secure_strfree (secret);
  if (server != NULL)
    status_dir = kf_server_status_dir (o->runtime_dir, config->state_dir);
  if (server == NULL || !kf_server_listen (server, o->listen, (guint16) port, &error)
      || (status = kf_server_status_new (server, status_dir, &error)) == NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  pretty = kf_fingerprint_format_pretty (kf_server_get_fingerprint (server));
  g_printerr ("keyferry-server: fingerprint %s\n", pretty);
  g_printerr ("keyferry-server: listening on %s port %u\n", o->listen ? o->listen : "*",
              kf_server_get_port (server));
  kf_server_link_print (o->listen, kf_server_get_port (server),
                        kf_server_get_fingerprint (server), stderr);
  if (!o->no_announce)
    announce = kf_server_announce_new_for (o->listen, o->site_name, kf_server_get_port (server),
                                           kf_server_get_fingerprint (server));
  kf_server_log (KF_LOG_STARTED, NULL, NULL, "Listening on %s port %u, fingerprint %s",
                 o->listen ? o->listen : "*", kf_server_get_port (server), pretty);

  run.loop = g_main_loop_new (NULL, FALSE);
  run.server = server;
  run.options = o;
  run.entries = entries;
  run.command_line = command_line;
  run.fixed = fixed_settings (o);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sighup = g_unix_signal_add (SIGHUP, on_reload, &run);
  /* The port accepts connections from here on, and the signals are
   * handled (systemd sends ExecReload's SIGHUP only after READY=1):
   * systemd may start what comes After= the key manager. */
  kf_server_notify_printf ("READY=1\nSTATUS=Listening on %s port %u",
                           o->listen ? o->listen : "*", kf_server_get_port (server));
  g_main_loop_run (run.loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (sighup);
  kf_server_status_stop (status);
  g_free (run.fixed);
  g_main_loop_unref (run.loop);
  kf_server_log (KF_LOG_STOPPED, NULL, NULL, "Stopped");

  return EXIT_SUCCESS;
}

/* --status: where to ask.  As the server chooses (--runtime-dir, else
 * $RUNTIME_DIRECTORY, else the state directory), except that without any
 * of them the systemd unit's /run/keyferry-server comes first when its
 * socket is there: root asking about the service. */
static int
print_status (const Options        *o,
              const KfServerConfig *config)
{
  g_autofree char *dir = NULL;
  const char *unit_dir = "/run/keyferry-server";
  g_autofree char *unit_socket = g_build_filename (unit_dir, KF_SERVER_STATUS_SOCKET, NULL);

  if (o->runtime_dir == NULL && o->state_dir == NULL && g_getenv ("RUNTIME_DIRECTORY") == NULL
      && g_file_test (unit_socket, G_FILE_TEST_EXISTS))
    dir = g_strdup (unit_dir);
  else
    dir = kf_server_status_dir (o->runtime_dir, config->state_dir);
  return kf_server_status_print (dir, o->json);
}

/* `identities …`, `names …`, `enrolment …` on the state directory's
 * database (kf-server-admin.c). */
static int
run_admin (const Options        *o,
           const KfServerConfig *config)
{
  gboolean chosen = o->state_dir != NULL || g_getenv ("STATE_DIRECTORY") != NULL;
  g_autofree char *dir = kf_server_admin_state_dir (config->state_dir, chosen);

  return kf_server_admin_run (dir, (const char * const *) o->admin, o->json);
}

static int
print_fingerprint (const KfServerConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = kf_server_new (config, NULL, &error);
  g_autofree char *pretty = NULL;

  if (server == NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  pretty = kf_fingerprint_format_pretty (kf_server_get_fingerprint (server));
  g_print ("%s\n", pretty);
  return EXIT_SUCCESS;
}

static int
print_link (const Options        *o,
            const KfServerConfig *config,
            guint                 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = kf_server_new (config, NULL, &error);

  if (server == NULL)
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  kf_server_link_print (o->listen, port != 0 ? port : KF_PROTOCOL_DEFAULT_PORT,
                        kf_server_get_fingerprint (server), stdout);
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(KfServerConfig) config = { 0 };
  Options o = { 0 };
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_file, N_("Read settings from this key file's [keyferry-server] group (keys: the long options); options given here win; read again on SIGHUP"), N_("F") },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &o.listen, N_("Listen on this IP address only (default: all)"), N_("ADDR") },
    { "port", 'p', 0, G_OPTION_ARG_STRING, &o.port, N_("TCP port (default 7745; 0 picks a free one)"), N_("N") },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &o.state_dir, N_("Where the TLS certificate and key and the database of identities and names live (default $STATE_DIRECTORY or ~/.local/state/keyferry-server)"), N_("DIR") },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o.passphrase_file, N_("Require the passphrase on this file's first line from every client (the file must not be readable by group or others)"), N_("F") },
    { "passphrase-hash-file", 0, 0, G_OPTION_ARG_FILENAME, &o.passphrase_hash_file, N_("Require the passphrase whose Argon2id hash (a line from --hash-passphrase) is in this file"), N_("F") },
    { "max-clients", 0, 0, G_OPTION_ARG_STRING, &o.max_clients, N_("Most connections at once (default 1000; fewer, with a warning, when the open-file limit is too low)"), N_("N") },
    { "max-clients-per-address", 0, 0, G_OPTION_ARG_STRING, &o.max_clients_per_address, N_("Most greeted clients from one source address (default 32)"), N_("N") },
    { "max-pending", 0, 0, G_OPTION_ARG_STRING, &o.max_pending, N_("Most connections still in their handshake and greeting (default 64)"), N_("N") },
    { "max-pending-per-address", 0, 0, G_OPTION_ARG_STRING, &o.max_pending_per_address, N_("The same, per source address (default 8)"), N_("N") },
    { "handshake-timeout", 0, 0, G_OPTION_ARG_STRING, &o.handshake_timeout, N_("Seconds from connecting to the end of the greeting (default 10)"), N_("S") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_STRING, &o.idle_timeout, N_("Seconds an idle or waiting client may stay silent, 0 for ever (default 900)"), N_("S") },
    { "confirm-timeout", 0, 0, G_OPTION_ARG_STRING, &o.confirm_timeout, N_("Seconds from conn until both confirmed and the receiver sent its port (default 30)"), N_("S") },
    { "conn-burst", 0, 0, G_OPTION_ARG_STRING, &o.conn_burst, N_("Pairings (conn) one identity may start at once, from any of its connections (default 20)"), N_("N") },
    { "conn-refill", 0, 0, G_OPTION_ARG_STRING, &o.conn_refill, N_("Then one more pairing per this many seconds (default 3)"), N_("S") },
    { "audit-log", 0, 0, G_OPTION_ARG_FILENAME, &o.audit_log, N_("Append one line per session outcome to this file"), N_("F") },
    { "site-name", 0, 0, G_OPTION_ARG_STRING, &o.site_name, N_("The name people see when their app or keyferry-cli finds this key manager on the network (default: Keyferry on HOST)"), N_("NAME") },
    { "no-announce", 0, 0, G_OPTION_ARG_NONE, &o.no_announce, N_("Do not announce the key manager on the network (DNS-SD through Avahi)"), NULL },
    { "print-link", 0, 0, G_OPTION_ARG_NONE, &o.print_link, N_("Print the join link (keyferry://HOST:PORT/?fp=…, and a QR code on a terminal) and exit"), NULL },
    { "log-format", 0, 0, G_OPTION_ARG_STRING, &o.log_format, N_("Log as “text” (the default; under systemd the journal gets every field) or as “json”, one object with every field per line on standard error"), N_("FORMAT") },
    { "runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.runtime_dir, N_("Where the --status socket lives (default $RUNTIME_DIRECTORY, else the state directory; --status looks in /run/keyferry-server first)"), N_("DIR") },
    { "status", 0, 0, G_OPTION_ARG_NONE, &o.status, N_("Print the running key manager's clients, waiting peers, sessions, transfers and totals since start, and exit (root or the server's user only)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, N_("With --status, identities list, names list or enrolment status: print JSON instead of a table"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, N_("Log debug messages too"), NULL },
    { "print-fingerprint", 0, 0, G_OPTION_ARG_NONE, &o.print_fingerprint, N_("Print the certificate's SHA-256 fingerprint and exit"), NULL },
    { "hash-passphrase", 0, 0, G_OPTION_ARG_NONE, &o.hash_passphrase, N_("Read a passphrase (twice from a terminal, else standard input's first line), print its Argon2id hash for --passphrase-hash-file and exit"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o.version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerOptionsSaved) command_line = NULL;
  g_autofree char *description = NULL;
  guint port = KF_PROTOCOL_DEFAULT_PORT;
  int status;

  setlocale (LC_ALL, "");
  /* KEYFERRY_LOCALEDIR: the catalogues of an uninstalled build (script/run). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("KEYFERRY_LOCALEDIR") ? g_getenv ("KEYFERRY_LOCALEDIR")
                                                                  : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  kf_gcrypt_init ();
  kf_tls_init ();
  kf_process_harden ();
  kf_server_config_init (&config);

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
  if (g_option_context_parse (context, &argc, &argv, &error) && argc > 1
      && kf_server_admin_is_command (argv[1]))
    o.admin = g_strdupv (argv + 1);
  if (error != NULL)
    status = usage_error (error->message);
  else if (argc > 1 && o.admin == NULL)
    status = usage_error (_("unexpected argument"));
  else if (!load_config (&o, entries, &command_line, &error))
    status = usage_error (error->message);
  else if (!apply_options (&o, &config, &port, &error))
    status = usage_error (error->message);
  else if (o.version)
    {
      g_print ("keyferry-server %s\n", PACKAGE_VERSION);
      status = EXIT_SUCCESS;
    }
  else
    {
      if (o.verbose)
        g_log_set_debug_enabled (TRUE);
      if (g_strcmp0 (o.log_format, "json") == 0)
        kf_server_log_use_json ();
      if (o.hash_passphrase)
        status = hash_passphrase (&config);
      else if (o.print_link)
        status = print_link (&o, &config, port);
      else if (o.admin != NULL)
        status = run_admin (&o, &config);
      else if (o.status)
        status = print_status (&o, &config);
      else
        status = o.print_fingerprint ? print_fingerprint (&config) : serve (&o, entries, command_line, &config, port);
    }
  options_clear (&o);
  return status;
}
