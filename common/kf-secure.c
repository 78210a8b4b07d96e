/* kf-secure.c: secret strings (passphrases) in libgcrypt secure memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <gcrypt.h>

#include "kf-secure.h"

/*
 * kf_secure_strndup:
 *
 * Returns: the first @len bytes of @text, NUL-terminated, in secure
 * memory; %NULL when @text is %NULL or secure memory is exhausted.  Free
 * with kf_secure_strfree().
 */
char *
kf_secure_strndup (const char *text,
                   gsize       len)
{
  char *copy;

  if (text == NULL)
    return NULL;
  copy = gcry_malloc_secure (len + 1);
  if (copy == NULL)
    return NULL;
  memcpy (copy, text, len);
  copy[len] = '\0';

  return copy;
}

/*
 * kf_secure_strdup:
 *
 * Returns: a copy of @text in secure memory, as kf_secure_strndup().
 */
char *
kf_secure_strdup (const char *text)
{
  return text != NULL ? kf_secure_strndup (text, strlen (text)) : NULL;
}

/*
 * kf_secure_strfree:
 *
 * Wipes and frees a string from kf_secure_strdup().  %NULL is allowed.
 */
void
kf_secure_strfree (char *text)
{
  if (text == NULL)
    return;
  explicit_bzero (text, strlen (text));
  gcry_free (text);
}
