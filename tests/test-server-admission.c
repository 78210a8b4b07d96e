/* test-server-admission.c: the key manager's passphrase checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Guesses from many addresses at once, one each (so no address's own
 * penalty applies): the global budget must space them out, so the guess
 * rate does not grow with the number of addresses.  The bound asserted is
 * a lower one (a loaded machine only makes it slower); the rate is printed.
 */

#include "config.h"

#include "kf-gcrypt.h"
#include "kf-protocol.h"
#include "kf-server-admission.h"
#include "kf-server-config.h"

#define ADDRESSES 24
#define BURST     4
#define SPACING   100   /* ms */

typedef struct
{
  guint  done;
  guint  failed;
  guint  admitted;
} Tally;

static void
check_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Tally *tally = user_data;
  g_autoptr(GError) error = NULL;

  if (kf_server_admission_check_finish (KF_SERVER_ADMISSION (source), result, &error))
    tally->admitted++;
  else if (g_error_matches (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_AUTH_FAILED))
    tally->failed++;
  else
    g_error ("unexpected: %s", error->message);
  tally->done++;
}

static KfServerAdmission *
cheap_admission (void)
{
  g_auto(KfServerConfig) config = { 0 };
  g_autoptr(GError) error = NULL;
  KfServerAdmission *admission;

  kf_server_config_init (&config);
  config.kdf_iterations = 1;
  config.kdf_memory_kib = 8;
  config.kdf_parallelism = 1;
  config.kdf_max_queued = 2 * ADDRESSES;
  config.auth_global_burst = BURST;
  config.auth_global_penalty_ms = SPACING;
  config.auth_global_penalty_max_ms = 4 * SPACING;
  config.auth_global_forget_ms = 600000;
  admission = kf_server_admission_new ("sesame", &config, &error);
  g_assert_no_error (error);
  return admission;
}

/* ADDRESSES wrong guesses from as many addresses, all at once. */
static void
test_global_budget (void)
{
  g_autoptr(KfServerAdmission) admission = cheap_admission ();
  Tally tally = { 0 };
  gint64 start = g_get_monotonic_time ();
  double seconds;

  for (guint i = 0; i < ADDRESSES; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.%u", i + 2);

      kf_server_admission_check_async (admission, address, "guess", NULL, check_cb, &tally);
    }
  while (tally.done < ADDRESSES)
    g_main_context_iteration (NULL, TRUE);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("%u guesses from %u addresses took %.2f s: %.1f guesses/s",
                  ADDRESSES, ADDRESSES, seconds, ADDRESSES / seconds);
  g_printerr ("# %u guesses from %u addresses took %.2f s (%.1f guesses/s)\n",
              ADDRESSES, ADDRESSES, seconds, ADDRESSES / seconds);
  g_assert_cmpuint (tally.failed, ==, ADDRESSES);
  /* After the burst, one check per SPACING ms at the very least. */
  g_assert_cmpfloat (seconds, >=, (ADDRESSES - BURST - 1) * SPACING / 1000.0);

  /* The right passphrase from a new address is still admitted. */
  kf_server_admission_check_async (admission, "127.0.0.200", "sesame", NULL, check_cb, &tally);
  while (tally.done < ADDRESSES + 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (tally.admitted, ==, 1);
}

/* Below the burst nobody waits: a handful of honest typos cost nothing. */
static void
test_within_budget (void)
{
  g_autoptr(KfServerAdmission) admission = cheap_admission ();
  Tally tally = { 0 };

  for (guint i = 0; i < BURST; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.1.%u", i + 2);

      kf_server_admission_check_async (admission, address, i + 1 < BURST ? "typo" : "sesame",
                                       NULL, check_cb, &tally);
    }
  while (tally.done < BURST)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (tally.admitted, ==, 1);
  g_assert_cmpuint (tally.failed, ==, BURST - 1);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/admission/global-guess-budget", test_global_budget);
  g_test_add_func ("/server/admission/within-the-budget", test_within_budget);
  return g_test_run ();
}
