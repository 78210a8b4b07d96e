/* kf-no-tmpfile.c: a file system without O_TMPFILE, for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Preloaded (LD_PRELOAD) into a real keyferry-cli, this shim makes every
 * open() or openat() that asks for O_TMPFILE fail with EOPNOTSUPP, as on
 * a file system without anonymous temporary files (NFS, vfat, older
 * kernels), so the receiver takes its named ".keyferry-XXXXXXXX.part"
 * fallback.  Every other call goes through untouched.  When
 * KF_NO_TMPFILE_LOG names a file, each refusal appends a line to it, so a
 * test can see that the fallback really ran.  The shipped code is not
 * changed for it.
 */

#define _GNU_SOURCE
/* Each of the four symbols under its own name: no redirection to *64. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*OpenFunc) (const char *path, int flags, ...);
typedef int (*OpenatFunc) (int dir_fd, const char *path, int flags, ...);

/* Notes one refusal in $KF_NO_TMPFILE_LOG, if set. */
static void
note_refusal (void)
{
  const char *log = getenv ("KF_NO_TMPFILE_LOG");
  static const char line[] = "O_TMPFILE refused\n";
  int errsv = errno;
  OpenFunc real_open = (OpenFunc) dlsym (RTLD_NEXT, "open");
  int fd;

  if (log == NULL || real_open == NULL)
    return;
  fd = real_open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      ssize_t ignored = write (fd, line, strlen (line));

      (void) ignored;
      close (fd);
    }
  errno = errsv;
}

/* Whether @flags ask for an anonymous temporary file: refused. */
static int
refused (int flags)
{
  if ((flags & O_TMPFILE) != O_TMPFILE)
    return 0;
  note_refusal ();
  errno = EOPNOTSUPP;
  return 1;
}

/* The mode argument, present when a file may be created. */
static mode_t
mode_of (int     flags,
         va_list ap)
{
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg (ap, mode_t) : 0;
}

#define WRAP_OPEN(sym)                                                  \
  int sym (const char *path, int flags, ...)                            \
  {                                                                     \
    OpenFunc real = (OpenFunc) dlsym (RTLD_NEXT, #sym);                 \
    va_list ap;                                                         \
    mode_t mode;                                                        \
                                                                        \
    va_start (ap, flags);                                               \
    mode = mode_of (flags, ap);                                         \
    va_end (ap);                                                        \
    if (refused (flags))                                                \
      return -1;                                                        \
    return real (path, flags, mode);                                    \
  }

#define WRAP_OPENAT(sym)                                                \
  int sym (int dir_fd, const char *path, int flags, ...)                \
  {                                                                     \
    OpenatFunc real = (OpenatFunc) dlsym (RTLD_NEXT, #sym);             \
    va_list ap;                                                         \
    mode_t mode;                                                        \
                                                                        \
    va_start (ap, flags);                                               \
    mode = mode_of (flags, ap);                                         \
    va_end (ap);                                                        \
    if (refused (flags))                                                \
      return -1;                                                        \
    return real (dir_fd, path, flags, mode);                            \
  }

WRAP_OPEN (open)
WRAP_OPEN (open64)
WRAP_OPENAT (openat)
WRAP_OPENAT (openat64)
