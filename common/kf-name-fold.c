/* kf-name-fold.c: the one form of a display name that names are compared in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A key manager gives a display name to the first identity that registers
 * it (docs/PROTOCOL.md part 1 §4.4 specifies this folding), and a client
 * remembers which identity it knows under a name.  Two names that a person reading a peer list could
 * take for one another must therefore be the same name: "Bob", "BOB",
 * "Ｂｏｂ" (full width), "Воb" (a Cyrillic В and о) and "B0b" all fold to
 * "bob".  kf_name_fold() is the single place that decides it:
 *
 *   1. NFKC: compatibility forms (full width, ligatures, superscripts,
 *      circled letters) become the plain letters they show;
 *   2. format characters (zero-width, bidirectional marks, soft hyphen)
 *      are dropped and each run of white space becomes one space, none at
 *      either end;
 *   3. capital Greek and Cyrillic letters drawn like a Latin capital become
 *      that Latin capital (before case folding, which would turn a Greek Η,
 *      drawn as H, into η, drawn as n);
 *   4. Unicode case folding, then NFKC again (folding may denormalise);
 *   5. small letters and digits drawn like a small Latin letter become it
 *      (Cyrillic а е о р с у х …, Greek ο ν ρ …, 0 → o), and the strokes
 *      1, i, ı, |, ӏ, ι all become l: once case is folded away a capital I
 *      cannot be told from a small l, so i and l are one letter here.
 *
 * The table is "common look-alikes", not Unicode's whole confusables list:
 * it covers the Latin letters that Greek and Cyrillic forge and the digits
 * 0 and 1.  Accents are kept ("Zoë" and "Zoe" stay two names): a person
 * sees them.  The result is only ever compared, never shown.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kf-name-fold.h"

typedef struct
{
  gunichar from;
  gunichar to;
} LookAlike;

/* Capitals that are drawn as a Latin capital; sorted by @from. */
static const LookAlike capitals[] = {
  { 0x0391, 'A' }, { 0x0392, 'B' }, { 0x0395, 'E' }, { 0x0396, 'Z' }, /* Greek */
  { 0x0397, 'H' }, { 0x0399, 'I' }, { 0x039a, 'K' }, { 0x039c, 'M' },
  { 0x039d, 'N' }, { 0x039f, 'O' }, { 0x03a1, 'P' }, { 0x03a4, 'T' },
  { 0x03a5, 'Y' }, { 0x03a7, 'X' },
  { 0x0405, 'S' }, { 0x0406, 'I' }, { 0x0408, 'J' },                  /* Cyrillic */
  { 0x0410, 'A' }, { 0x0412, 'B' }, { 0x0415, 'E' }, { 0x041a, 'K' },
  { 0x041c, 'M' }, { 0x041d, 'H' }, { 0x041e, 'O' }, { 0x0420, 'P' },
  { 0x0421, 'C' }, { 0x0422, 'T' }, { 0x0423, 'Y' }, { 0x0425, 'X' },
  { 0x04c0, 'I' }, { 0x051a, 'Q' }, { 0x051c, 'W' },
};

/* Small letters, digits and strokes drawn as a small Latin letter (after
 * case folding); sorted by @from. */
static const LookAlike smalls[] = {
  { '0', 'o' }, { '1', 'l' }, { 'i', 'l' }, { '|', 'l' },
  { 0x0131, 'l' },                                                    /* dotless ı */
  { 0x0251, 'a' }, { 0x0261, 'g' }, { 0x0269, 'l' },                  /* IPA ɑ ɡ ɩ */
  { 0x03b1, 'a' }, { 0x03b3, 'y' }, { 0x03b5, 'e' }, { 0x03b7, 'n' }, /* Greek */
  { 0x03b9, 'l' }, { 0x03ba, 'k' }, { 0x03bc, 'u' }, { 0x03bd, 'v' },
  { 0x03bf, 'o' }, { 0x03c1, 'p' }, { 0x03c4, 't' }, { 0x03c5, 'u' },
  { 0x03c7, 'x' }, { 0x03c9, 'w' },
  { 0x0430, 'a' }, { 0x0432, 'b' }, { 0x0435, 'e' }, { 0x043a, 'k' }, /* Cyrillic */
  { 0x043c, 'm' }, { 0x043d, 'h' }, { 0x043e, 'o' }, { 0x0440, 'p' },
  { 0x0441, 'c' }, { 0x0442, 't' }, { 0x0443, 'y' }, { 0x0445, 'x' },
  { 0x0455, 's' }, { 0x0456, 'l' }, { 0x0458, 'j' }, { 0x04bb, 'h' },
  { 0x04cf, 'l' }, { 0x051b, 'q' }, { 0x051d, 'w' },
};

static int
compare_look_alike (const void *key,
                    const void *item)
{
  gunichar c = *(const gunichar *) key;
  gunichar from = ((const LookAlike *) item)->from;

  return c < from ? -1 : c > from ? 1 : 0;
}

/* The tables are searched by bisection: they must stay sorted. */
static gboolean
is_sorted (const LookAlike *table,
           gsize            n)
{
  for (gsize i = 1; i < n; i++)
    if (table[i - 1].from >= table[i].from)
      return FALSE;
  return TRUE;
}

/* @c, or the Latin letter @table says it is drawn as. */
static gunichar
look_alike (const LookAlike *table,
            gsize            n,
            gunichar         c)
{
  const LookAlike *hit = bsearch (&c, table, n, sizeof *table, compare_look_alike);

  return hit != NULL ? hit->to : c;
}

/* Steps 2 and 3 (with @table = capitals) or step 5 (smalls): a new string. */
static char *
map_chars (const char      *text,
           const LookAlike *table,
           gsize            n)
{
  GString *out = g_string_sized_new (strlen (text));
  gboolean space = FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) == G_UNICODE_FORMAT || g_unichar_iscntrl (c))
        continue;
      if (g_unichar_isspace (c) || g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, look_alike (table, n, c));
    }
  return g_string_free (out, FALSE);
}

/*
 * kf_name_fold:
 * @name: a display name, UTF-8
 *
 * Returns: (transfer full) (nullable): the folded form of @name that two
 * names are compared in (see the top of this file), or %NULL when @name is
 * not valid UTF-8.  Two names are the same name when their folded forms
 * are equal byte for byte.
 */
char *
kf_name_fold (const char *name)
{
  g_autofree char *compat = NULL;
  g_autofree char *latin = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *normal = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  g_assert (is_sorted (capitals, G_N_ELEMENTS (capitals))
            && is_sorted (smalls, G_N_ELEMENTS (smalls)));
  if (!g_utf8_validate (name, -1, NULL))
    return NULL;
  compat = g_utf8_normalize (name, -1, G_NORMALIZE_NFKC);
  if (compat == NULL)
    return NULL;
  latin = map_chars (compat, capitals, G_N_ELEMENTS (capitals));
  folded = g_utf8_casefold (latin, -1);
  normal = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
  return map_chars (normal, smalls, G_N_ELEMENTS (smalls));
}

/*
 * kf_name_fold_same:
 *
 * Returns: %TRUE when @a and @b fold to the same name.  Invalid UTF-8 is
 * never the same as anything.
 */
gboolean
kf_name_fold_same (const char *a,
                   const char *b)
{
  g_autofree char *fa = kf_name_fold (a);
  g_autofree char *fb = kf_name_fold (b);

  return fa != NULL && fb != NULL && strcmp (fa, fb) == 0;
}
