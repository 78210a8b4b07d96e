/* kf-server-passphrase-input.c: passphrases from files and the terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What keyferry-server reads for its admission passphrase, at start and
 * on every reload: the passphrase file (--passphrase-file, refused when
 * others may read or change it) or the stored hash file
 * (--passphrase-hash-file).  And `--hash-passphrase`, which reads a new
 * passphrase (from the terminal, twice and without echo, or the first
 * line of standard input when it is not a terminal) and prints its
 * Argon2id hash as one PHC line on standard output.  Every copy of a
 * passphrase is in secure memory; none goes through a stdio buffer.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <gcrypt.h>

#include "kf-passphrase-hash.h"
#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-server-cli.h"

/* Only the first line counts; more than this is not read. */
#define PASSPHRASE_FILE_MAX (KF_PROTOCOL_MAX_PASSPHRASE + 2)

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
gboolean
kf_server_read_admission (const KfServerCliOptions  *o,
                          KfServerConfig            *config,
                          char                     **secret,
                          GError                   **error)
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

/* --hash-passphrase: prints the new passphrase's PHC line on stdout;
 * returns the exit status. */
int
kf_server_hash_passphrase (const KfServerConfig *config)
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
