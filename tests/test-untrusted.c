/* test-untrusted.c: what kf_untrusted_clean() makes of hostile text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-file-name.h"
#include "kf-untrusted.h"

typedef struct
{
  const char *what;
  const char *in;
  gssize      len;
  const char *out;
  gboolean    clean;
} Case;

#define FFFD "\xef\xbf\xbd"

static const Case cases[] = {
  { "plain ASCII", "Ana's laptop", -1, "Ana's laptop", TRUE },
  { "quotes, hash, backslash", "#\"ana\",\\x", -1, "#\"ana\",\\x", TRUE },
  { "accents and CJK", "Zoë 日本", -1, "Zoë 日本", TRUE },
  { "emoji", "\xf0\x9f\x99\x82", -1, "\xf0\x9f\x99\x82", TRUE },
  { "LF", "a\nb", -1, "a b", FALSE },
  { "CR", "a\rSaved x", -1, "a Saved x", FALSE },
  { "TAB", "a\tb", -1, "a b", FALSE },
  { "VT and FF", "a\vb\fc", -1, "a b c", FALSE },
  { "ESC: title change", "\033]0;pwned\007x", -1, FFFD "]0;pwned" FFFD "x", FALSE },
  { "ESC: clear screen", "\033[2J\033[H", -1, FFFD "[2J" FFFD "[H", FALSE },
  { "other C0", "\001\037", -1, FFFD FFFD, FALSE },
  { "DEL", "a\177", -1, "a" FFFD, FALSE },
  { "C1 CSI", "a\xc2\x9b" "2J", -1, "a" FFFD "2J", FALSE },
  { "C1 NEL", "a\xc2\x85" "b", -1, "a b", FALSE },
  { "LRM, RLM, ALM", "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", -1, FFFD FFFD FFFD, FALSE },
  { "RLO override", "a\xe2\x80\xaetxt.exe", -1, "a" FFFD "txt.exe", FALSE },
  { "LRE..PDF", "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", -1,
    FFFD FFFD FFFD FFFD, FALSE },
  { "isolates LRI..PDI", "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", -1,
    FFFD FFFD FFFD FFFD, FALSE },
  { "ZWSP, ZWNJ, ZWJ", "a\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d" "b", -1,
    "a" FFFD FFFD FFFD "b", FALSE },
  { "word joiner, BOM", "\xe2\x81\xa0\xef\xbb\xbf", -1, FFFD FFFD, FALSE },
  { "line separator", "a\xe2\x80\xa8" "b", -1, "a b", FALSE },
  { "paragraph separator", "a\xe2\x80\xa9" "b", -1, "a b", FALSE },
  { "tag characters", "a\xf3\xa0\x80\x81", -1, "a" FFFD, FALSE },
  { "invalid byte", "a\xff" "b", -1, "a" FFFD "b", FALSE },
  { "truncated sequence", "a\xe2\x80", -1, "a" FFFD FFFD, FALSE },
  { "overlong slash", "\xc0\xaf", -1, FFFD FFFD, FALSE },
  { "UTF-16 surrogate", "\xed\xa0\x80", -1, FFFD FFFD FFFD, FALSE },
  { "embedded NUL", "a\0b", 3, "a" FFFD "b", FALSE },
  { "empty", "", -1, "", TRUE },
};

/* Every class of unwanted character is replaced, everything else kept. */
static void
test_clean_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = kf_untrusted_clean (cases[i].in, cases[i].len);

      g_test_message ("%s", cases[i].what);
      g_assert_cmpstr (out, ==, cases[i].out);
      g_assert_true (g_utf8_validate (out, -1, NULL));
      g_assert_true (kf_untrusted_is_clean (out));
      if (cases[i].len < 0)
        g_assert_cmpint (kf_untrusted_is_clean (cases[i].in), ==, cases[i].clean);
    }
  g_assert_null (kf_untrusted_clean (NULL, -1));
}

/* Cleaning twice changes nothing: the client may clean at more than one
 * boundary without mangling a text further. */
static void
test_clean_idempotent (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *once = kf_untrusted_clean (cases[i].in, cases[i].len);
      g_autofree char *twice = kf_untrusted_clean (once, -1);

      g_assert_cmpstr (once, ==, twice);
    }
}

/* Every code point is either kept or replaced, and a kept one is never a
 * control, format or separator character. */
static void
test_clean_every_code_point (void)
{
  for (gunichar c = 1; c <= 0x10ffff; c++)
    {
      char buf[8] = { 0 };
      g_autofree char *out = NULL;

      if (c >= 0xd800 && c <= 0xdfff)
        continue;
      g_unichar_to_utf8 (c, buf);
      out = kf_untrusted_clean (buf, -1);
      if (kf_untrusted_is_unwanted (c))
        g_assert_true (strcmp (out, " ") == 0 || strcmp (out, FFFD) == 0);
      else
        g_assert_cmpstr (out, ==, buf);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/untrusted/clean-table", test_clean_table);
  g_test_add_func ("/untrusted/clean-idempotent", test_clean_idempotent);
  g_test_add_func ("/untrusted/clean-every-code-point", test_clean_every_code_point);

  return g_test_run ();
}
