/* kf-fuzz.c: the start-up every fuzz target shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libgcrypt is initialised once, as in every main(); GLib's criticals and
 * warnings are fatal, so a g_return_if_fail() that input from the network
 * can reach counts as a crash, while debug messages (every refused line
 * logs one) are dropped to keep the fuzzer fast.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "kf-fuzz.h"
#include "kf-gcrypt.h"

static void
drop_log (const char     *log_domain,
          GLogLevelFlags  log_level,
          const char     *message,
          gpointer        user_data)
{
}

/*
 * LLVMFuzzerInitialize:
 *
 * Called once before the first input, by libFuzzer or the standalone
 * driver.  Always returns 0.
 */
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kf_gcrypt_init ();
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_handler (NULL, G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE,
                     drop_log, NULL);
  g_log_set_handler ("Keyferry-Common", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE,
                     drop_log, NULL);
  g_log_set_handler ("Keyferry-Server", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE,
                     drop_log, NULL);
  return 0;
}

/*
 * kf_fuzz_check:
 *
 * Aborts, naming @what, when an invariant a target checks does not hold
 * (a round trip that changed the message, say).  An abort is what
 * libFuzzer and the standalone driver both report as a finding.
 */
void
kf_fuzz_check (gboolean    condition,
               const char *what)
{
  if (condition)
    return;

  fprintf (stderr, "fuzz invariant broken: %s\n", what);
  abort ();
}
