/* test-server-blocks.c: the identities one connection blocked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-server-blocks.h"

static void
key_for (guint   n,
         guint8  key[32])
{
  memset (key, 0, 32);
  memcpy (key, &n, sizeof n);
}

/* A blocked key is blocked, another is not; twice is once. */
static void
test_blocks_contains (void)
{
  g_autoptr(KfServerBlocks) blocks = kf_server_blocks_new ();
  guint8 a[32], b[32];

  key_for (1, a);
  key_for (2, b);
  g_assert_false (kf_server_blocks_contains (blocks, a));
  kf_server_blocks_add (blocks, a);
  kf_server_blocks_add (blocks, a);
  g_assert_true (kf_server_blocks_contains (blocks, a));
  g_assert_false (kf_server_blocks_contains (blocks, b));
  g_assert_false (kf_server_blocks_contains (NULL, a));
}

/* Beyond the bound the oldest block goes, the newest stay. */
static void
test_blocks_bounded (void)
{
  g_autoptr(KfServerBlocks) blocks = kf_server_blocks_new ();
  guint8 key[32];

  for (guint i = 0; i < KF_SERVER_BLOCKS_MAX + 10; i++)
    {
      key_for (i, key);
      kf_server_blocks_add (blocks, key);
    }
  key_for (9, key);
  g_assert_false (kf_server_blocks_contains (blocks, key));
  key_for (10, key);
  g_assert_true (kf_server_blocks_contains (blocks, key));
  key_for (KF_SERVER_BLOCKS_MAX + 9, key);
  g_assert_true (kf_server_blocks_contains (blocks, key));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-blocks/contains", test_blocks_contains);
  g_test_add_func ("/server-blocks/bounded", test_blocks_bounded);

  return g_test_run ();
}
