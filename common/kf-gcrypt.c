/* kf-gcrypt.c: the one place libgcrypt is initialised
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"

/* libgcrypt wants its version checked, its secure memory set up and its
 * initialisation declared finished before any other call.  The pool is
 * allowed to grow: a key manager holds one cipher handle per live session. */
#define KF_SECMEM_POOL_SIZE   (256 * 1024)
#define KF_SECMEM_CHUNK_SIZE  (256 * 1024)
#define KF_GCRYPT_MIN_VERSION "1.10.0"

/*
 * kf_gcrypt_init:
 *
 * Initialises libgcrypt for this process.  Call it once at the top of every
 * main(), tests included, before any other thread exists.  Calling it again
 * does nothing.  Aborts when the linked libgcrypt is older than the one the
 * program was built for, since nothing cryptographic can be trusted then.
 */
void
kf_gcrypt_init (void)
{
  if (gcry_control (GCRYCTL_INITIALIZATION_FINISHED_P))
    return;

  if (gcry_check_version (KF_GCRYPT_MIN_VERSION) == NULL)
    g_error ("libgcrypt %s or newer is required, found %s",
             KF_GCRYPT_MIN_VERSION, gcry_check_version (NULL));

  /* Without CAP_IPC_LOCK or a large RLIMIT_MEMLOCK the pool cannot be
   * locked; libgcrypt then still keeps secrets apart and wipes them, so a
   * warning on every start would only teach people to ignore warnings. */
  gcry_control (GCRYCTL_SUSPEND_SECMEM_WARN);
  gcry_control (GCRYCTL_INIT_SECMEM, KF_SECMEM_POOL_SIZE, 0);
  gcry_control (GCRYCTL_AUTO_EXPAND_SECMEM, KF_SECMEM_CHUNK_SIZE, 0);
  gcry_control (GCRYCTL_DISABLE_SECMEM_WARN);
  gcry_control (GCRYCTL_RESUME_SECMEM_WARN);
  gcry_control (GCRYCTL_INITIALIZATION_FINISHED, 0);
}

/*
 * kf_gcrypt_is_ready:
 *
 * Returns: %TRUE once kf_gcrypt_init() has run.  Library code guards its
 * entry points with it, so a forgotten init is a loud programming error
 * instead of libgcrypt silently initialising itself without secure memory.
 */
gboolean
kf_gcrypt_is_ready (void)
{
  return gcry_control (GCRYCTL_INITIALIZATION_FINISHED_P) != 0;
}

/*
 * kf_process_harden:
 *
 * Keeps this process's memory, where session keys and passphrases live,
 * out of core dumps and away from other processes of the same user: no
 * core file (RLIMIT_CORE 0) and not dumpable (PR_SET_DUMPABLE 0, which
 * also bars ptrace attachment and /proc/PID/mem reading by unprivileged
 * processes of the same user).  Call it at the top of main(), before any
 * key material exists.
 *
 * Returns: %FALSE (after a g_warning()) when one of them could not be set;
 * the caller may go on, less protected.
 */
gboolean
kf_process_harden (void)
{
  const struct rlimit none = { 0, 0 };
  gboolean ok = TRUE;

  if (setrlimit (RLIMIT_CORE, &none) != 0)
    {
      g_warning ("Could not disable core dumps: %s", g_strerror (errno));
      ok = FALSE;
    }
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    {
      g_warning ("Could not make the process non-dumpable: %s", g_strerror (errno));
      ok = FALSE;
    }

  return ok;
}
