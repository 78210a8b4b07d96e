/* test-name-fold.c: which display names kf_name_fold() makes one name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-name-fold.h"

typedef struct
{
  const char *what;
  const char *name;
  const char *folded;
} Case;

static const Case cases[] = {
  { "plain", "Bob", "bob" },
  { "capitals", "BOB", "bob" },
  { "full width", "\xef\xbc\xa2\xef\xbd\x8f\xef\xbd\x82", "bob" },             /* Ｂｏｂ */
  { "Cyrillic capital ve and small o", "\xd0\x92\xd0\xbe" "b", "bob" },       /* Воb */
  { "zero for o", "B0b", "bob" },
  { "Greek capitals", "\xce\x92\xce\x9f\xce\x92", "bob" },                     /* ΒΟΒ */
  { "all Cyrillic, small", "\xd0\xb2\xd0\xbe\xd0\xb2", "bob" },                /* вов */
  { "zero-width space inside", "B\xe2\x80\x8b" "ob", "bob" },
  { "spaces collapse and trim", "  Ana \xc2\xa0  Pop ", "ana pop" },
  { "capital I is small l", "BILL", "blll" },
  { "small l", "bill", "blll" },
  { "digit one", "bi11", "blll" },
  { "Cyrillic palochka", "b\xd3\x8fll", "blll" },                               /* bӏll */
  { "Greek capital eta is H", "\xce\x97" "ans", "hans" },                      /* Ηans */
  { "Cyrillic en is H", "\xd0\x9d" "ANS", "hans" },                            /* НANS */
  { "ligature", "\xef\xac\x81" "na", "flna" },                                 /* ﬁna */
  { "sharp s folds to ss", "Stra\xc3\x9f" "e", "strasse" },
  { "accent kept", "Zo\xc3\xab", "zo\xc3\xab" },
  { "decomposed accent composes", "Zoe\xcc\x88", "zo\xc3\xab" },
  { "CJK unchanged", "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
};

/* Every name folds to what the table says. */
static void
test_fold_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *folded = kf_name_fold (cases[i].name);

      g_test_message ("%s", cases[i].what);
      g_assert_cmpstr (folded, ==, cases[i].folded);
    }
}

/* Folding a folded name changes nothing. */
static void
test_fold_idempotent (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *once = kf_name_fold (cases[i].name);
      g_autofree char *twice = kf_name_fold (once);

      g_assert_cmpstr (once, ==, twice);
    }
}

/* The impersonations of issue 14 are all "bob"; different people are not. */
static void
test_fold_same (void)
{
  const char *bobs[] = { "bob", "Bob", "BOB", "\xef\xbc\xa2\xef\xbd\x8f\xef\xbd\x82",
                         "\xd0\x92\xd0\xbe" "b", "B0b", "b\xce\xbf" "b", "bob " };
  const char *others[] = { "rob", "bobby", "Bób", "b o b", "dob", "ana", "Anna" };

  for (gsize i = 0; i < G_N_ELEMENTS (bobs); i++)
    {
      for (gsize j = 0; j < G_N_ELEMENTS (bobs); j++)
        g_assert_true (kf_name_fold_same (bobs[i], bobs[j]));
      for (gsize j = 0; j < G_N_ELEMENTS (others); j++)
        {
          g_test_message ("%s / %s", bobs[i], others[j]);
          g_assert_false (kf_name_fold_same (bobs[i], others[j]));
        }
    }
  g_assert_false (kf_name_fold_same ("ana", "anna"));
  g_assert_false (kf_name_fold_same ("Zoë", "Zoe"));
}

/* Bytes that are not UTF-8 fold to nothing and match nothing. */
static void
test_fold_invalid (void)
{
  g_assert_null (kf_name_fold ("b\xff" "ob"));
  g_assert_false (kf_name_fold_same ("b\xff" "ob", "b\xff" "ob"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/name-fold/table", test_fold_table);
  g_test_add_func ("/name-fold/idempotent", test_fold_idempotent);
  g_test_add_func ("/name-fold/same", test_fold_same);
  g_test_add_func ("/name-fold/invalid", test_fold_invalid);

  return g_test_run ();
}
