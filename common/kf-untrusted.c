/* kf-untrusted.c: text from another party, made safe to show and log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Peer names, file names, cancel reasons and the key manager's error texts
 * are written by someone else.  Shown raw, a text can drive the terminal
 * (ESC sequences: a title change, a cleared screen), fake a line of output
 * (LF, CR, the Unicode line and paragraph separators) or read differently
 * from what it is (bidirectional overrides and isolates, zero-width
 * characters).  The client cleans every such text once, with
 * kf_untrusted_clean(), where it enters; the key manager refuses display
 * names that kf_untrusted_is_clean() rejects.
 */

#include "config.h"

#include <string.h>

#include "kf-untrusted.h"

/*
 * kf_untrusted_is_unwanted:
 *
 * Returns: %TRUE for the characters no text from another party may carry:
 * controls (C0 with TAB, LF, CR and ESC, DEL, C1), format characters
 * (the bidirectional marks, embeddings, overrides and isolates, the
 * zero-width space, joiners and no-break space, soft hyphen, tags) and the
 * line and paragraph separators.
 */
gboolean
kf_untrusted_is_unwanted (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  return type == G_UNICODE_CONTROL
         || type == G_UNICODE_FORMAT
         || type == G_UNICODE_LINE_SEPARATOR
         || type == G_UNICODE_PARAGRAPH_SEPARATOR;
}

/*
 * kf_untrusted_is_clean:
 *
 * Returns: %TRUE when @text is valid UTF-8 without any character
 * kf_untrusted_is_unwanted() rejects.
 */
gboolean
kf_untrusted_is_clean (const char *text)
{
  g_return_val_if_fail (text != NULL, FALSE);

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (kf_untrusted_is_unwanted (g_utf8_get_char (p)))
      return FALSE;

  return TRUE;
}

/* What stands in for an unwanted character: a space for the ones that
 * break lines or tabulate (so "a\nb" stays two words), U+FFFD for the
 * others, so that a reader sees that something was there. */
static gunichar
replacement (gunichar c)
{
  switch (c)
    {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case 0x85:
    case 0x2028:
    case 0x2029:
      return ' ';
    default:
      return 0xfffd;
    }
}

/*
 * kf_untrusted_clean:
 * @text: (nullable): a text from another party
 * @len: its length in bytes, or -1 when it is NUL-terminated
 *
 * Makes @text safe to show on a terminal, in a window or a log: invalid
 * UTF-8 and NUL become U+FFFD, line breaks and tabs a space, every other
 * character kf_untrusted_is_unwanted() rejects U+FFFD.  A pure function.
 *
 * Returns: (transfer full) (nullable): the cleaned copy, %NULL for %NULL.
 */
char *
kf_untrusted_clean (const char *text,
                    gssize      len)
{
  g_autofree char *valid = NULL;
  GString *out;
  gsize size;

  if (text == NULL)
    return NULL;

  size = len < 0 ? strlen (text) : (gsize) len;
  valid = g_utf8_make_valid (text, (gssize) size);
  out = g_string_sized_new (size);
  /* g_utf8_make_valid() turns an embedded NUL into U+FFFD as well. */
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (out, kf_untrusted_is_unwanted (c) ? replacement (c) : c);
    }

  return g_string_free (out, FALSE);
}
