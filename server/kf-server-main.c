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

#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-passphrase-hash.h"
#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-server.h"
#include "kf-tls.h"

#define EXIT_USAGE 2

/* Only the first line counts; more than this is not read. */
#define PASSPHRASE_FILE_MAX (KF_PROTOCOL_MAX_PASSPHRASE + 2)

typedef struct
{
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
  char     *audit_log;
  gboolean  verbose;
  gboolean  print_fingerprint;
  gboolean  hash_passphrase;
  gboolean  version;
} Options;

typedef struct
{
  GMainLoop *loop;
  KfServer  *server;
  gboolean   stopping;
} Run;

static void
options_clear (Options *o)
{
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
  g_free (o->audit_log);
}

static int
usage_error (const char *message)
{
  g_printerr ("keyferry-server: %s (see keyferry-server --help)\n", message);
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
                   _("%s needs a whole number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
                     ", not “%s”"), option, min, max, text);
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

  if (!parse_number ("--port", o->port, 0, 65535, port, error)
      || !parse_number ("--max-clients", o->max_clients, 1, 1000000, &config->max_clients, error)
      || !parse_number ("--max-clients-per-address", o->max_clients_per_address, 1, 1000000,
                        &config->max_clients_per_address, error)
      || !parse_number ("--max-pending", o->max_pending, 1, 100000, &config->max_pending, error)
      || !parse_number ("--max-pending-per-address", o->max_pending_per_address, 1, 100000,
                        &config->max_pending_per_address, error)
      || !parse_number ("--handshake-timeout", o->handshake_timeout, 1, 3600, &handshake_s, error)
      || !parse_number ("--idle-timeout", o->idle_timeout, 0, 7 * 86400, &idle_s, error)
      || !parse_number ("--confirm-timeout", o->confirm_timeout, 1, 3600, &confirm_s, error))
    return FALSE;
  if (o->passphrase_file != NULL && o->passphrase_hash_file != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("give either --passphrase-file or --passphrase-hash-file, not both"));
      return FALSE;
    }
  if (o->listen != NULL && !g_hostname_is_ip_address (o->listen))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--listen needs an IP address, not “%s”"), o->listen);
      return FALSE;
    }
  config->handshake_timeout_ms = handshake_s * 1000;
  config->idle_timeout_ms = idle_s * 1000;
  config->confirm_timeout_ms = confirm_s * 1000;
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
  kf_server_shutdown_async (run->server, _("The key manager is stopping"), NULL, shutdown_cb, run);
  return G_SOURCE_CONTINUE;
}

/* Creates the server, listens and runs until a signal stops it. */
static int
serve (const Options  *o,
       KfServerConfig *config,
       guint           port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServer) server = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *pretty = NULL;
  char *secret = NULL;
  Run run = { 0 };
  guint sigterm, sigint;

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
  if (server == NULL || !kf_server_listen (server, o->listen, (guint16) port, &error))
    {
      g_printerr ("keyferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  pretty = kf_fingerprint_format_pretty (kf_server_get_fingerprint (server));
  g_printerr ("keyferry-server: fingerprint %s\n", pretty);
  g_printerr ("keyferry-server: listening on %s port %u\n", o->listen ? o->listen : "*",
              kf_server_get_port (server));

  run.loop = g_main_loop_new (NULL, FALSE);
  run.server = server;
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  g_main_loop_run (run.loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_main_loop_unref (run.loop);
  g_message ("Stopped");

  return EXIT_SUCCESS;
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

int
main (int   argc,
      char *argv[])
{
  g_auto(KfServerConfig) config = { 0 };
  Options o = { 0 };
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &o.listen, N_("Listen on this IP address only (default: all)"), N_("ADDR") },
    { "port", 'p', 0, G_OPTION_ARG_STRING, &o.port, N_("TCP port (default 7745; 0 picks a free one)"), N_("N") },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &o.state_dir, N_("Where the TLS certificate and key live (default $STATE_DIRECTORY or ~/.local/state/keyferry-server)"), N_("DIR") },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o.passphrase_file, N_("Require the passphrase on this file's first line from every client (the file must not be readable by group or others)"), N_("F") },
    { "passphrase-hash-file", 0, 0, G_OPTION_ARG_FILENAME, &o.passphrase_hash_file, N_("Require the passphrase whose Argon2id hash (a line from --hash-passphrase) is in this file"), N_("F") },
    { "max-clients", 0, 0, G_OPTION_ARG_STRING, &o.max_clients, N_("Most connections at once (default 1000; fewer, with a warning, when the open-file limit is too low)"), N_("N") },
    { "max-clients-per-address", 0, 0, G_OPTION_ARG_STRING, &o.max_clients_per_address, N_("Most greeted clients from one source address (default 32)"), N_("N") },
    { "max-pending", 0, 0, G_OPTION_ARG_STRING, &o.max_pending, N_("Most connections still in their handshake and greeting (default 64)"), N_("N") },
    { "max-pending-per-address", 0, 0, G_OPTION_ARG_STRING, &o.max_pending_per_address, N_("The same, per source address (default 8)"), N_("N") },
    { "handshake-timeout", 0, 0, G_OPTION_ARG_STRING, &o.handshake_timeout, N_("Seconds from connecting to the end of the greeting (default 10)"), N_("S") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_STRING, &o.idle_timeout, N_("Seconds an idle or waiting client may stay silent, 0 for ever (default 900)"), N_("S") },
    { "confirm-timeout", 0, 0, G_OPTION_ARG_STRING, &o.confirm_timeout, N_("Seconds from conn until both confirmed and the receiver sent its port (default 30)"), N_("S") },
    { "audit-log", 0, 0, G_OPTION_ARG_FILENAME, &o.audit_log, N_("Append one line per session outcome to this file"), N_("F") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, N_("Log debug messages too"), NULL },
    { "print-fingerprint", 0, 0, G_OPTION_ARG_NONE, &o.print_fingerprint, N_("Print the certificate's SHA-256 fingerprint and exit"), NULL },
    { "hash-passphrase", 0, 0, G_OPTION_ARG_NONE, &o.hash_passphrase, N_("Read a passphrase (twice from a terminal, else standard input's first line), print its Argon2id hash for --passphrase-hash-file and exit"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o.version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  guint port = KF_PROTOCOL_DEFAULT_PORT;
  int status;

  setlocale (LC_ALL, "");
  kf_gcrypt_init ();
  kf_tls_init ();
  kf_process_harden ();
  kf_server_config_init (&config);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The Keyferry key manager: pairs senders with receivers "
                                           "and hands both a fresh AES key over TLS."));
  g_option_context_set_description (context, _(
    "At start it prints, on standard error, two lines for scripts:\n"
    "  keyferry-server: fingerprint <16 groups of 4 hex digits>\n"
    "  keyferry-server: listening on <address or *> port <n>\n"
    "Clients pin that fingerprint.  SIGTERM or SIGINT tells every client and stops.\n"
    "Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for bad options\n"
    "or an unusable passphrase or passphrase hash file; --hash-passphrase exits 1 when it\n"
    "cannot read or hash a passphrase.\n"
    "The protocol is specified in docs/PROTOCOL.md."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = usage_error (error->message);
  else if (argc > 1)
    status = usage_error (_("unexpected argument"));
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
      if (o.hash_passphrase)
        status = hash_passphrase (&config);
      else
        status = o.print_fingerprint ? print_fingerprint (&config) : serve (&o, &config, port);
    }
  options_clear (&o);
  return status;
}
