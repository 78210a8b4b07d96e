/* kf-cli-crypt.c: `keyferry-cli encrypt|decrypt`, openssl-compatible AES-256
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Byte for byte what `openssl enc -aes-256-cbc|-aes-256-cfb -K KEY -iv IV`
 * writes and reads, streamed through a fixed buffer.  An output file is
 * written under a temporary name beside it and renamed into place only once
 * the last byte (and, decrypting CBC, the padding) checked out, so a failure
 * or Ctrl-C never leaves a half-written file under the name asked for.
 */

#include "config.h"

#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gcrypt.h>

#include "kf-cipher.h"
#include "kf-cli-crypt.h"
#include "kf-cli-exit.h"
#include "kf-cli-output.h"
#include "kf-hex.h"

#define CHUNK_SIZE (1024 * 1024)
#define KEY_FILE_MAX 4096

typedef struct
{
  KfCipherDirection direction;
  KfCipherMode      mode;
  guint8           *key;          /* secure memory */
  guint8            iv[KF_CIPHER_IV_SIZE];
  const char       *input_path;
  const char       *output_path;
  int               in_fd;
  int               out_fd;
  char             *tmp_path;
} CryptJob;

/* The temporary file a signal must not leave behind.  Written before the
 * handler can see it and read only by it. */
static volatile sig_atomic_t tmp_armed;
static char tmp_for_signal[4096];

static void
on_fatal_signal (int signum)
{
  if (tmp_armed)
    unlink (tmp_for_signal);
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
arm_signal_cleanup (const char *path)
{
  if (strlen (path) >= sizeof tmp_for_signal)
    return;
  strcpy (tmp_for_signal, path);
  tmp_armed = 1;
  signal (SIGINT, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);
  signal (SIGHUP, on_fatal_signal);
  signal (SIGPIPE, on_fatal_signal);
}

static void
disarm_signal_cleanup (void)
{
  tmp_armed = 0;
}

/* Reads a key file: 64 hex digits (surrounding white space ignored) or
 * exactly 32 raw bytes.  The contents never leave secure memory. */
static gboolean
read_key_file (const char  *path,
               guint8      *key,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  gboolean ok;
  char *hex;
  char *secure;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  if (len > KEY_FILE_MAX)
    {
      explicit_bzero (contents, len);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("key file %s is too large to hold a key"), path);
      return FALSE;
    }
  if (len == KF_CIPHER_KEY_SIZE)
    {
      memcpy (key, contents, len);
      explicit_bzero (contents, len);
      return TRUE;
    }

  secure = gcry_malloc_secure (len + 1);
  memcpy (secure, contents, len);
  secure[len] = '\0';
  explicit_bzero (contents, len);
  hex = g_strstrip (secure);
  ok = kf_hex_decode (hex, key, KF_CIPHER_KEY_SIZE, &local_error);
  explicit_bzero (secure, len + 1);
  gcry_free (secure);

  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("key file %s must hold 64 hex digits or 32 raw bytes: %s"),
                 path, local_error->message);
  return ok;
}

static gboolean
open_input (CryptJob  *job,
            GError   **error)
{
  int saved_errno;

  if (job->input_path == NULL || g_str_equal (job->input_path, "-"))
    {
      job->in_fd = STDIN_FILENO;
      return TRUE;
    }

  job->in_fd = g_open (job->input_path, O_RDONLY | O_CLOEXEC, 0);
  if (job->in_fd >= 0)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("cannot open %s: %s"), job->input_path, g_strerror (saved_errno));
  return FALSE;
}

/* Creates OUTPUT's temporary twin, ".NAME.XXXXXX.part" in the same folder,
 * so that the final rename stays on one file system. */
static gboolean
open_output (CryptJob  *job,
             GError   **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmpl = NULL;
  int saved_errno;

  if (job->output_path == NULL || g_str_equal (job->output_path, "-"))
    {
      job->out_fd = STDOUT_FILENO;
      return TRUE;
    }

  dir = g_path_get_dirname (job->output_path);
  base = g_path_get_basename (job->output_path);
  tmpl = g_strdup_printf (".%s.XXXXXX.part", base);
  job->tmp_path = g_build_filename (dir, tmpl, NULL);
  job->out_fd = g_mkstemp_full (job->tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (job->out_fd >= 0)
    {
      arm_signal_cleanup (job->tmp_path);
      return TRUE;
    }

  saved_errno = errno;
  g_clear_pointer (&job->tmp_path, g_free);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("cannot write %s: %s"), job->output_path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (CryptJob      *job,
           const guint8  *data,
           gsize          len,
           GError       **error)
{
  while (len > 0)
    {
      ssize_t n = write (job->out_fd, data, len);
      int saved_errno = errno;

      if (n < 0 && saved_errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("cannot write %s: %s"),
                       job->output_path ? job->output_path : _("standard output"),
                       g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }

  return TRUE;
}

static gssize
read_some (CryptJob  *job,
           guint8    *buf,
           gsize      size,
           GError   **error)
{
  for (;;)
    {
      ssize_t n = read (job->in_fd, buf, size);
      int saved_errno = errno;

      if (n >= 0)
        return n;
      if (saved_errno == EINTR)
        continue;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("cannot read %s: %s"),
                   job->input_path ? job->input_path : _("standard input"),
                   g_strerror (saved_errno));
      return -1;
    }
}

/* Streams input through the cipher to the output; constant memory. */
static gboolean
run_stream (CryptJob  *job,
            KfCipher  *cipher,
            GError   **error)
{
  g_autofree guint8 *in = g_malloc (CHUNK_SIZE);
  g_autofree guint8 *out = g_malloc (CHUNK_SIZE + KF_CIPHER_BLOCK_SIZE);
  gsize out_len = 0;
  gssize n;

  while ((n = read_some (job, in, CHUNK_SIZE, error)) > 0)
    {
      if (!kf_cipher_update (cipher, in, (gsize) n, out,
                             CHUNK_SIZE + KF_CIPHER_BLOCK_SIZE, &out_len, error)
          || !write_all (job, out, out_len, error))
        return FALSE;
    }
  if (n < 0)
    return FALSE;

  if (!kf_cipher_finish (cipher, out, CHUNK_SIZE + KF_CIPHER_BLOCK_SIZE, &out_len, error))
    return FALSE;
  return write_all (job, out, out_len, error);
}

/* Makes the output visible under its name, or removes every trace of it. */
static gboolean
close_output (CryptJob  *job,
              gboolean   success,
              GError   **error)
{
  int saved_errno;

  if (job->tmp_path == NULL)
    return success;

  if (success && g_close (job->out_fd, error)
      && g_rename (job->tmp_path, job->output_path) == 0)
    {
      disarm_signal_cleanup ();
      return TRUE;
    }

  saved_errno = errno;
  if (success && error != NULL && *error == NULL)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("cannot write %s: %s"), job->output_path, g_strerror (saved_errno));
  if (!success)
    g_close (job->out_fd, NULL);
  g_unlink (job->tmp_path);
  disarm_signal_cleanup ();
  return FALSE;
}

static gboolean
parse_arguments (CryptJob   *job,
                 int        *argc,
                 char     ***argv,
                 GError    **error)
{
  g_autofree char *mode = NULL;
  g_autofree char *key_hex = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *iv_hex = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  GOptionEntry entries[] = {
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &mode, N_("Mode of operation: cbc or cfb"), "MODE" },
    { "key", 'k', 0, G_OPTION_ARG_STRING, &key_hex, N_("AES-256 key as 64 hex digits"), "HEX" },
    { "key-file", 'f', 0, G_OPTION_ARG_FILENAME, &key_file,
      N_("Read the key from FILE (64 hex digits or 32 raw bytes)"), "FILE" },
    { "iv", 'i', 0, G_OPTION_ARG_STRING, &iv_hex, N_("IV as 32 hex digits"), "HEX" },
    { NULL }
  };

  context = g_option_context_new (_("[INPUT [OUTPUT]] — AES-256 compatible with openssl enc"));
  g_option_context_set_summary (context,
    _("Encrypts or decrypts INPUT (default: standard input) into OUTPUT (default: standard\n"
      "output) exactly as `openssl enc -aes-256-cbc|-aes-256-cfb -K KEY -iv IV` does, and\n"
      "prints how many AES blocks it processed on standard error."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (mode == NULL || !kf_cipher_mode_from_string (mode, &job->mode))
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("--mode must be cbc or cfb")), FALSE);
  if ((key_hex == NULL) == (key_file == NULL))
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("give the key with exactly one of --key or --key-file")), FALSE);
  if (iv_hex == NULL)
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("--iv is required")), FALSE);
  if (*argc > 3)
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("too many arguments: expected at most INPUT and OUTPUT")), FALSE);

  if (key_hex != NULL && !kf_hex_decode (key_hex, job->key, KF_CIPHER_KEY_SIZE, &local_error))
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("bad --key: %s"), local_error->message), FALSE);
  if (key_hex != NULL)
    explicit_bzero (key_hex, strlen (key_hex));
  if (key_file != NULL && !read_key_file (key_file, job->key, error))
    return FALSE;
  if (!kf_hex_decode (iv_hex, job->iv, KF_CIPHER_IV_SIZE, &local_error))
    return (g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("bad --iv: %s"), local_error->message), FALSE);

  job->input_path = *argc > 1 ? (*argv)[1] : NULL;
  job->output_path = *argc > 2 ? (*argv)[2] : NULL;
  return TRUE;
}

static int
run_job (CryptJob *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfCipher) cipher = NULL;
  gboolean ok;

  cipher = kf_cipher_new (job->mode, job->direction, job->key, KF_CIPHER_KEY_SIZE,
                          job->iv, KF_CIPHER_IV_SIZE, &error);
  explicit_bzero (job->key, KF_CIPHER_KEY_SIZE);
  if (cipher == NULL || !open_input (job, &error) || !open_output (job, &error))
    {
      kf_cli_error ("%s", error->message);
      return KF_CLI_EXIT_FAILED;
    }

  ok = run_stream (job, cipher, &error);
  ok = close_output (job, ok, error ? NULL : &error);
  if (!ok)
    {
      kf_cli_error ("%s", error->message);
      return KF_CLI_EXIT_FAILED;
    }

  kf_cli_status (job->direction == KF_CIPHER_ENCRYPT
                 ? g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " block encrypted",
                                "%" PRIu64 " blocks encrypted",
                                kf_cipher_get_blocks (cipher))
                 : g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " block decrypted",
                                "%" PRIu64 " blocks decrypted",
                                kf_cipher_get_blocks (cipher)),
                 kf_cipher_get_blocks (cipher));
  return KF_CLI_EXIT_OK;
}

/*
 * kf_cli_crypt_main:
 * @argv: argv[0] is "encrypt" or "decrypt"
 *
 * Runs the utility.  Returns the process exit status: 0 on success,
 * %KF_CLI_EXIT_USAGE for bad arguments, %KF_CLI_EXIT_FAILED otherwise,
 * each after one line on stderr.
 */
int
kf_cli_crypt_main (int    argc,
                   char **argv)
{
  g_autoptr(GError) error = NULL;
  CryptJob job = { 0 };
  int status;

  job.direction = g_str_equal (argv[0], "encrypt") ? KF_CIPHER_ENCRYPT : KF_CIPHER_DECRYPT;
  job.key = gcry_calloc_secure (1, KF_CIPHER_KEY_SIZE);
  job.in_fd = job.out_fd = -1;

  if (!parse_arguments (&job, &argc, &argv, &error))
    {
      kf_cli_error ("%s", error->message);
      status = error->domain == G_OPTION_ERROR ? KF_CLI_EXIT_USAGE : KF_CLI_EXIT_FAILED;
    }
  else
    status = run_job (&job);

  if (job.in_fd > STDERR_FILENO)
    g_close (job.in_fd, NULL);
  g_free (job.tmp_path);
  explicit_bzero (job.key, KF_CIPHER_KEY_SIZE);
  gcry_free (job.key);
  return status;
}
