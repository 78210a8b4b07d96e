/* fuzz-untrusted.c: another party's text, any bytes at all
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: the text (peer name, reason, file name, server text), any bytes,
 * NULs and invalid UTF-8 included.  kf_untrusted_clean() must return valid
 * UTF-8 that kf_untrusted_is_clean() accepts, without a single unwanted
 * character, at most three bytes per input byte, and cleaning it again
 * must change nothing.  A clean input comes back unchanged.
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz.h"
#include "kf-untrusted.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *clean = kf_untrusted_clean ((const char *) data, (gssize) size);
  g_autofree char *again = kf_untrusted_clean (clean, -1);

  kf_fuzz_check (clean != NULL, "any text cleans");
  kf_fuzz_check (g_utf8_validate (clean, -1, NULL), "a cleaned text is UTF-8");
  kf_fuzz_check (kf_untrusted_is_clean (clean), "a cleaned text is clean");
  for (const char *p = clean; *p != '\0'; p = g_utf8_next_char (p))
    kf_fuzz_check (!kf_untrusted_is_unwanted (g_utf8_get_char (p)),
                   "a cleaned text holds no unwanted character");
  kf_fuzz_check (strlen (clean) <= 3 * size, "cleaning at most triples the size");
  kf_fuzz_check (strcmp (clean, again) == 0, "cleaning twice changes nothing");
  if (strlen (text) == size && kf_untrusted_is_clean (text))
    kf_fuzz_check (strcmp (clean, text) == 0, "a clean text comes back unchanged");

  return 0;
}
