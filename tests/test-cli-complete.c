/* test-cli-complete.c: what Tab offers at keyferry-cli's prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-cli-complete.h"
#include "kf-peer.h"

static GListModel *
make_peers (void)
{
  GListStore *store = g_list_store_new (KF_TYPE_PEER);
  g_autoptr(KfPeer) alice = kf_peer_new (3, "Alice");
  g_autoptr(KfPeer) albert = kf_peer_new (31, "albert");
  g_autoptr(KfPeer) bob = kf_peer_new (12, "Bob");

  g_list_store_append (store, alice);
  g_list_store_append (store, albert);
  g_list_store_append (store, bob);
  return G_LIST_MODEL (store);
}

/* Asserts that Tab after @before with @word offers exactly @want
 * (space-separated words, "" for nothing). */
static void
assert_offers (GListModel *peers,
               const char *before,
               const char *word,
               const char *want)
{
  g_auto(GStrv) words = NULL;
  g_auto(GStrv) labels = NULL;
  g_autofree char *got = NULL;

  kf_cli_complete_command (before, word, peers, &words, &labels);
  got = g_strjoinv (" ", words);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpuint (g_strv_length (labels), ==, g_strv_length (words));
}

static void
test_commands (void)
{
  assert_offers (NULL, "", "", "wait send conn cancel end help");
  assert_offers (NULL, "", "c", "conn cancel");
  assert_offers (NULL, "  ", "co", "conn");
  assert_offers (NULL, "", "x", "");
  assert_offers (NULL, "wait ", "", "");
}

static void
test_peers_by_id_and_name (void)
{
  g_autoptr(GListModel) peers = make_peers ();
  g_auto(GStrv) words = NULL;
  g_auto(GStrv) labels = NULL;

  assert_offers (peers, "conn ", "", "3 31 12");
  assert_offers (peers, "conn ", "3", "3 31");
  assert_offers (peers, "conn  ", "1", "12");
  /* A name, in any case, offers its peer's id: conn takes ids. */
  assert_offers (peers, "conn ", "AL", "3 31");
  assert_offers (peers, "conn ", "bo", "12");
  assert_offers (peers, "conn ", "zed", "");
  assert_offers (NULL, "conn ", "", "");

  kf_cli_complete_command ("conn ", "b", peers, &words, &labels);
  g_assert_cmpstr (labels[0], ==, "12 (Bob)");
}

static void
test_modes (void)
{
  g_autoptr(GListModel) peers = make_peers ();

  assert_offers (peers, "conn 3 ", "", "cbc cfb");
  assert_offers (peers, "conn 3 ", "cf", "cfb");
  assert_offers (peers, "conn 3 cbc ", "", "");
  assert_offers (peers, "send ", "", "");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli-complete/commands", test_commands);
  g_test_add_func ("/cli-complete/peers-by-id-and-name", test_peers_by_id_and_name);
  g_test_add_func ("/cli-complete/modes", test_modes);

  return g_test_run ();
}
