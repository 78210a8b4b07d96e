/* test-discovery.c: join links and announced key managers, as pure functions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network parts (Avahi between hosts) are tests/test-lan-discovery.py;
 * here: the join link's grammar both ways, and what a hostile announcement
 * can (not) do to the names and TXT values people are shown.
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "kf-discovered-server.h"
#include "kf-discovery.h"
#include "kf-gcrypt.h"
#include "kf-join-link.h"
#include "kf-protocol.h"

#define FP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP_PRETTY "SHA256:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:" \
                  "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"

static void
assert_link (const char *link,
             const char *host,
             guint16     port)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *got_host = NULL;
  g_autofree char *got_fp = NULL;
  guint16 got_port = 0;

  g_assert_true (kf_join_link_parse (link, &got_host, &got_port, &got_fp, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (got_host, ==, host);
  g_assert_cmpuint (got_port, ==, port);
  g_assert_cmpstr (got_fp, ==, FP);
}

static void
test_link_parse (void)
{
  assert_link ("keyferry://198.18.0.10:7745/?fp=" FP, "198.18.0.10", 7745);
  assert_link ("keyferry://198.18.0.10:7745?fp=" FP, "198.18.0.10", 7745);
  assert_link ("KEYFERRY://km.example:9000/?fp=" FP "&future=1#x", "km.example", 9000);
  assert_link ("keyferry://km.local/?fp=" FP, "km.local", KF_PROTOCOL_DEFAULT_PORT);
  assert_link ("keyferry://[fd00::1]:7745/?fp=" FP, "fd00::1", 7745);
  /* The forms --fingerprint accepts: prefix, colons, upper case, escaped. */
  assert_link ("keyferry://h:1/?fp=" FP_PRETTY, "h", 1);
  assert_link ("keyferry://h:1/?fp=SHA256%3A0123456789ABCDEF0123456789abcdef"
               "0123456789abcdef0123456789abcdef", "h", 1);
}

static void
test_link_rejects (void)
{
  const char *bad[] = {
    "http://h:1/?fp=" FP,
    "keyferry:h?fp=" FP,
    "keyferry://:1/?fp=" FP,
    "keyferry://h:1/",
    "keyferry://h:1/?fp=0123",
    "keyferry://h:1/?fp=" FP "00",
    "keyferry://h:1/other?fp=" FP,
    "keyferry://user@h:1/?fp=" FP,
    "keyferry://h:0/?fp=" FP,
    "keyferry://h:65536/?fp=" FP,
    "keyferry://h:1/?f=" FP,
    "keyferry://h%0a:1/?fp=" FP,
    "keyferry://h\xe2\x80\xae:1/?fp=" FP,
    "keyferry://h%20x:1/?fp=" FP,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      g_autofree char *fp = NULL;
      guint16 port = 0;

      g_test_message ("%s", bad[i]);
      g_assert_false (kf_join_link_parse (bad[i], &host, &port, &fp, &error));
      g_assert_nonnull (error);
      g_assert_null (host);
      g_assert_null (fp);
    }
}

static void
test_link_round_trip (void)
{
  g_autofree char *v4 = kf_join_link_format ("198.18.0.10", 7745, FP);
  g_autofree char *v6 = kf_join_link_format ("fd00::1", 7746, FP);

  g_assert_cmpstr (v4, ==, "keyferry://198.18.0.10:7745/?fp=" FP);
  g_assert_cmpstr (v6, ==, "keyferry://[fd00::1]:7746/?fp=" FP);
  assert_link (v4, "198.18.0.10", 7745);
  assert_link (v6, "fd00::1", 7746);
  g_assert_true (kf_join_link_is_link (v4));
  {
    g_autofree char *zoned = kf_join_link_format ("fe80::1%eth0", 7745, FP);

    g_assert_cmpstr (zoned, ==, "keyferry://[fe80::1%25eth0]:7745/?fp=" FP);
    assert_link (zoned, "fe80::1%eth0", 7745);
  }
  g_assert_true (kf_join_link_is_link ("KeyFerry://x"));
  g_assert_false (kf_join_link_is_link ("198.18.0.10:7745"));
  g_assert_false (kf_join_link_is_link (NULL));
}

static void
test_announcement (void)
{
  const char *txt[] = { "v=1", "fp=" FP_PRETTY, "site=Lab 3", "site=Other", "x=y", NULL };
  g_autoptr(KfDiscoveredServer) server = kf_discovered_server_new ("Lab 3", "km.local",
                                                                   "198.18.0.10", 7745, txt);
  g_autofree char *target = kf_discovered_server_dup_target (server);

  g_assert_cmpstr (kf_discovered_server_get_name (server), ==, "Lab 3");
  g_assert_cmpstr (kf_discovered_server_get_site (server), ==, "Lab 3");
  g_assert_cmpstr (kf_discovered_server_get_host (server), ==, "km.local");
  g_assert_cmpstr (kf_discovered_server_get_fingerprint (server), ==, FP);
  g_assert_cmpuint (kf_discovered_server_get_version (server), ==, 1);
  g_assert_cmpstr (target, ==, "198.18.0.10:7745");
}

/* The trust shown beside an announced key manager: the user's pin for
 * its address against what it announced, never the announcement alone. */
static void
test_trust (void)
{
  const char *txt[] = { "v=1", "fp=" FP, NULL };
  const char *bare[] = { "v=1", NULL };
  g_autofree char *dir = g_dir_make_tmp ("kf-discovery-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "known-servers", NULL);
  g_autoptr(KfKnownServers) known = kf_known_servers_new (path);
  g_autoptr(KfDiscoveredServer) server = kf_discovered_server_new ("Lab 3", "km.local",
                                                                   "198.18.0.10", 7745, txt);
  g_autoptr(KfDiscoveredServer) silent = kf_discovered_server_new ("Lab 4", "km.local",
                                                                   "198.18.0.10", 7745, bare);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (kf_discovered_server_get_trust (server, known), ==,
                   KF_DISCOVERED_TRUST_UNKNOWN);
  g_assert_true (kf_known_servers_add (known, "198.18.0.10", 7745, FP, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kf_discovered_server_get_trust (server, known), ==,
                   KF_DISCOVERED_TRUST_TRUSTED);
  g_assert_cmpint (kf_discovered_server_get_trust (silent, known), ==,
                   KF_DISCOVERED_TRUST_CHANGED);
  g_assert_true (kf_known_servers_remove (known, "198.18.0.10", 7745, &error));
  g_assert_true (kf_known_servers_add (known, "198.18.0.10", 7745,
                                       "ff23456789abcdef0123456789abcdef"
                                       "0123456789abcdef0123456789abcdef", &error));
  g_assert_no_error (error);
  g_assert_cmpint (kf_discovered_server_get_trust (server, known), ==,
                   KF_DISCOVERED_TRUST_CHANGED);
  g_assert_true (kf_known_servers_clear (known, &error));
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_hostile_announcement (void)
{
  /* Control, bidi and zero-width characters, invalid UTF-8, a malformed
   * fingerprint and version, an overlong site name. */
  const char *txt[] = { "V=99999999", "fp=not-a-fingerprint",
                        "site=\x1b[31mred\xe2\x80\xae" "cba\xe2\x80\x8b" "z\xff"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                        NULL };
  g_autoptr(KfDiscoveredServer) server = kf_discovered_server_new ("a\nb\xe2\x80\xaex",
                                                                   "h\x07.local", "fd00::1",
                                                                   7745, txt);
  g_autofree char *target = kf_discovered_server_dup_target (server);
  const char *site = kf_discovered_server_get_site (server);

  g_assert_cmpstr (kf_discovered_server_get_name (server), ==, "a b\xef\xbf\xbdx");
  g_assert_cmpstr (kf_discovered_server_get_host (server), ==, "h\xef\xbf\xbd.local");
  g_assert_null (kf_discovered_server_get_fingerprint (server));
  g_assert_cmpuint (kf_discovered_server_get_version (server), ==, 0);
  g_assert_true (g_str_has_prefix (site, "\xef\xbf\xbd[31mred\xef\xbf\xbd" "cba"
                                         "\xef\xbf\xbd" "z\xef\xbf\xbd" "aaa"));
  g_assert_cmpuint (strlen (site), <=, KF_DISCOVERY_MAX_NAME);
  g_assert_true (g_utf8_validate (site, -1, NULL));
  g_assert_cmpstr (target, ==, "[fd00::1]:7745");
}

static void
test_site_name (void)
{
  g_autofree char *long_name = g_strnfill (KF_DISCOVERY_MAX_NAME + 1, 'a');

  g_assert_true (kf_discovery_site_name_is_valid ("Lab 3"));
  g_assert_true (kf_discovery_site_name_is_valid ("Laborator 3 — etajul 2"));
  g_assert_false (kf_discovery_site_name_is_valid (""));
  g_assert_false (kf_discovery_site_name_is_valid ("a\tb"));
  g_assert_false (kf_discovery_site_name_is_valid ("evil\xe2\x80\xae"));
  g_assert_false (kf_discovery_site_name_is_valid ("\xff"));
  g_assert_false (kf_discovery_site_name_is_valid (long_name));
  long_name[KF_DISCOVERY_MAX_NAME] = '\0';
  g_assert_true (kf_discovery_site_name_is_valid (long_name));
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/join-link/parse", test_link_parse);
  g_test_add_func ("/join-link/rejects", test_link_rejects);
  g_test_add_func ("/join-link/round-trip", test_link_round_trip);
  g_test_add_func ("/discovery/announcement", test_announcement);
  g_test_add_func ("/discovery/trust", test_trust);
  g_test_add_func ("/discovery/hostile-announcement", test_hostile_announcement);
  g_test_add_func ("/discovery/site-name", test_site_name);

  return g_test_run ();
}
