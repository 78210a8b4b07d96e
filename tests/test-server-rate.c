/* test-server-rate.c: the per-identity token bucket of `conn`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-server-rate.h"

#define S G_GINT64_CONSTANT (1000000)

/* A burst, then one per refill period; another key is not affected. */
static void
test_rate_burst_and_refill (void)
{
  g_autoptr(KfServerRate) rate = kf_server_rate_new (3, 6000);
  gint64 t = 1000 * S;
  guint retry = 0;

  for (guint i = 0; i < 3; i++)
    g_assert_true (kf_server_rate_take (rate, "mallory", t, NULL));
  g_assert_false (kf_server_rate_take (rate, "mallory", t, &retry));
  g_assert_cmpuint (retry, ==, 6);
  g_assert_true (kf_server_rate_take (rate, "alice", t, NULL));
  g_assert_false (kf_server_rate_take (rate, "mallory", t + 5 * S, &retry));
  g_assert_cmpuint (retry, ==, 1);
  g_assert_true (kf_server_rate_take (rate, "mallory", t + 6 * S, NULL));
  g_assert_false (kf_server_rate_take (rate, "mallory", t + 6 * S, NULL));
  /* A long pause fills the bucket, never beyond the burst. */
  for (guint i = 0; i < 3; i++)
    g_assert_true (kf_server_rate_take (rate, "mallory", t + 3600 * S, NULL));
  g_assert_false (kf_server_rate_take (rate, "mallory", t + 3600 * S, NULL));
}

/* Refused attempts do not earn anything, and time going backwards (it
 * never does with a monotonic clock) gives nothing either. */
static void
test_rate_refusals_cost_nothing (void)
{
  g_autoptr(KfServerRate) rate = kf_server_rate_new (1, 1000);
  gint64 t = 50 * S;

  g_assert_true (kf_server_rate_take (rate, "k", t, NULL));
  for (guint i = 0; i < 100; i++)
    g_assert_false (kf_server_rate_take (rate, "k", t + i * 1000, NULL));
  g_assert_true (kf_server_rate_take (rate, "k", t + 1 * S, NULL));
  g_assert_false (kf_server_rate_take (rate, "k", t, NULL));
}

/* Buckets that filled up again are swept: a flood of one-off identities
 * does not grow the table without bound. */
static void
test_rate_memory_bounded (void)
{
  g_autoptr(KfServerRate) rate = kf_server_rate_new (2, 1000);

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *key = g_strdup_printf ("id-%u", i);

      /* One identity per second: each bucket is full again 2 s later. */
      g_assert_true (kf_server_rate_take (rate, key, (gint64) i * S, NULL));
    }
  g_assert_cmpuint (kf_server_rate_size (rate), <=, 128);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-rate/burst-and-refill", test_rate_burst_and_refill);
  g_test_add_func ("/server-rate/refusals-cost-nothing", test_rate_refusals_cost_nothing);
  g_test_add_func ("/server-rate/memory-bounded", test_rate_memory_bounded);

  return g_test_run ();
}
