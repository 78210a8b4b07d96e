/* test-address.c: the HOST[:PORT] parser and the default display name that
 * the app and the CLI share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "kf-address.h"
#include "kf-protocol.h"

static void
test_parse_good (void)
{
  static const struct { const char *text; const char *host; guint16 port; } good[] = {
    { "km.local", "km.local", 0 },
    { "localhost:7745", "localhost", 7745 },
    { " 192.168.1.5:7745 ", "192.168.1.5", 7745 },
    { "\tkm.local:1\n", "km.local", 1 },
    { "km.local:65535", "km.local", 65535 },
    { "[::1]:7000", "::1", 7000 },
    { " [::1]:99 ", "::1", 99 },
    { "[fe80::1]", "fe80::1", 0 },
    { "[fe80::1%eth0]:7745", "fe80::1%eth0", 7745 },
    { "::1", "::1", 0 },
    { " 2001:db8::5 ", "2001:db8::5", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 1;

      g_test_message ("“%s”", good[i].text);
      g_assert_true (kf_address_parse (good[i].text, &host, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (host, ==, good[i].host);
      g_assert_cmpuint (port, ==, good[i].port);
    }
}

static void
test_parse_bad (void)
{
  /* What the message must contain: the user's text, or what to do. */
  static const struct { const char *text; const char *says; } bad[] = {
    { "", "HOST:PORT" },
    { "  ", "HOST:PORT" },
    { "host:0", "1 to 65535" },
    { "host:65536", "1 to 65535" },
    { "host:99999999999999999999", "1 to 65535" },
    { "host:-1", "1 to 65535" },
    { "host:abc", "“abc”" },
    { "host:", "1 to 65535" },
    { ":7745", "“:7745”" },
    { "a b", "“a b”" },
    { "a b:7745", "[IPv6]:PORT" },
    { "host/path", "“host/path”" },
    { "user@host", "“user@host”" },
    { "[::1", "“[::1”" },
    { "[::1]x", "“[::1]x”" },
    { "[::1]:", "1 to 65535" },
    { "[::1]:70000", "1 to 65535" },
    { "[]:5", "“[]:5”" },
    { "[km.local]:5", "“[km.local]:5”" },
    { "a:b:c", "“a:b:c”" },
    { "::1:7000x", "“::1:7000x”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 9;

      g_test_message ("“%s”", bad[i].text);
      g_assert_false (kf_address_parse (bad[i].text, &host, &port, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, bad[i].says));
      g_assert_null (host);
      g_assert_cmpuint (port, ==, 9);
    }
}

static void
test_parse_port (void)
{
  g_autoptr(GError) error = NULL;
  guint16 port = 0;

  g_assert_true (kf_address_parse_port (" 7745 ", &port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (port, ==, 7745);
  g_assert_false (kf_address_parse_port ("+7745", &port, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (port, ==, 7745);
}

static void
test_display_name (void)
{
  g_autofree char *x64 = g_strnfill (64, 'x');
  g_autofree char *x65 = g_strnfill (65, 'x');
  /* 70 characters of two bytes each: the cut falls between characters. */
  g_autoptr(GString) a70 = g_string_new (NULL);
  g_autoptr(GString) a64 = g_string_new (NULL);
  struct { const char *real; const char *host; const char *name; } cases[] = {
    { "Ana Pop", "laptop", "Ana Pop" },
    { "  Ana Pop\t", "laptop", "Ana Pop" },
    { NULL, "laptop", "laptop" },
    { "", "laptop", "laptop" },
    { "   ", "laptop", "laptop" },
    { "Unknown", "laptop", "laptop" },
    { "Ana\x01Pop\x7f", "laptop", "Ana Pop" },
    { "Ana\xc2\x85Pop", "laptop", "Ana Pop" },
    { "Ana \xff", "laptop", "Ana \xef\xbf\xbd" },
    { x64, "laptop", x64 },
    { x65, "laptop", x64 },
    { NULL, x65, x64 },
    { NULL, NULL, NULL },
  };

  for (guint i = 0; i < 70; i++)
    g_string_append (a70, "ă");
  for (guint i = 0; i < 64; i++)
    g_string_append (a64, "ă");
  cases[G_N_ELEMENTS (cases) - 1].real = a70->str;
  cases[G_N_ELEMENTS (cases) - 1].host = "laptop";
  cases[G_N_ELEMENTS (cases) - 1].name = a64->str;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = kf_display_name_choose (cases[i].real, cases[i].host);

      g_test_message ("case %u", i);
      g_assert_cmpstr (name, ==, cases[i].name);
      g_assert_true (kf_protocol_validate_name (name, NULL));
    }
}

/* Whatever this account's real name, the default is a name the key
 * manager accepts. */
static void
test_display_name_default (void)
{
  g_autofree char *name = kf_display_name_default ();

  g_assert_true (kf_protocol_validate_name (name, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/address/parse-good", test_parse_good);
  g_test_add_func ("/address/parse-bad", test_parse_bad);
  g_test_add_func ("/address/parse-port", test_parse_port);
  g_test_add_func ("/address/display-name", test_display_name);
  g_test_add_func ("/address/display-name-default", test_display_name_default);

  return g_test_run ();
}
