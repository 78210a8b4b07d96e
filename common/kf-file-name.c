/* kf-file-name.c: turning a peer's file name into a safe local one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The name in an offer comes from the other computer: it is authentic
 * (the sender holds the session key) but not trusted.  Only its last path
 * component is kept, so it can never leave the folder the receiver chose.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-file-name.h"
#include "kf-untrusted.h"

/* Returns the part of @name after its last '/' or '\\'. */
static const char *
last_component (const char *name)
{
  const char *slash = strrchr (name, '/');
  const char *backslash = strrchr (name, '\\');
  const char *last = MAX (slash, backslash);

  return last != NULL ? last + 1 : name;
}

static char *
name_error (GError     **error,
            const char  *why)
{
  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME,
               _("The sender's file name cannot be used (%s), so the offer was declined. "
                 "Ask the sender to rename the file and send it again."),
               why);
  return NULL;
}

/*
 * kf_file_name_sanitize:
 * @raw: the name as it came from the peer, @raw_len bytes, not
 *   NUL-terminated necessarily
 *
 * Keeps the last path component of @raw ("../x" → "x", "/etc/passwd" →
 * "passwd") and replaces the characters kf_untrusted_is_unwanted() rejects
 * (controls, bidirectional and zero-width characters, line separators)
 * with "_" ("a\nb" → "a_b"), and puts "_" before a name that starts with
 * a dot, so that a sender cannot plant a hidden file (".bash_profile" →
 * "_.bash_profile").  A pure function of its input.
 *
 * Returns: (transfer full): the safe name, or %NULL with
 * %KF_TRANSFER_ERROR_NAME when @raw is not valid UTF-8 or holds a NUL, or
 * nothing usable is left ("", ".", "..", "dir/"), or it is longer than
 * %KF_FILE_NAME_MAX bytes.
 */
char *
kf_file_name_sanitize (const char  *raw,
                       gsize        raw_len,
                       GError     **error)
{
  g_autofree char *copy = NULL;
  const char *base;
  GString *out;

  g_return_val_if_fail (raw != NULL || raw_len == 0, NULL);

  if (!g_utf8_validate_len (raw, raw_len, NULL))
    return name_error (error, _("it is not valid UTF-8 text"));

  copy = g_strndup (raw, raw_len);
  base = last_component (copy);
  if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return name_error (error, _("it names no file"));

  out = g_string_new (base[0] == '.' ? "_" : NULL);
  for (const char *p = base; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* A newline would break every line-based listing, a bidirectional
       * override make "txt.exe" read as "exe.txt". */
      if (kf_untrusted_is_unwanted (c))
        g_string_append_c (out, '_');
      else
        g_string_append_unichar (out, c);
    }

  if (out->len > KF_FILE_NAME_MAX)
    {
      g_string_free (out, TRUE);
      return name_error (error, _("it is too long"));
    }

  return g_string_free (out, FALSE);
}
