/* kf-fingerprint.c: SHA-256 certificate fingerprints, as people compare them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A fingerprint is SHA-256 over the certificate's DER bytes.  Its canonical
 * form, stored and sent, is 64 lower-case hex digits; people are shown it in
 * colon-separated pairs, and may type it back with colons, spaces, either
 * case or an "SHA256:" prefix.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gcrypt.h>

#include "kf-fingerprint.h"
#include "kf-hex.h"

/*
 * kf_fingerprint_from_der:
 *
 * Returns: the canonical fingerprint of the DER certificate @der.
 */
char *
kf_fingerprint_from_der (const guint8 *der,
                         gsize         der_len)
{
  guint8 digest[32];

  gcry_md_hash_buffer (GCRY_MD_SHA256, digest, der, der_len);
  return kf_hex_encode (digest, sizeof digest);
}

/*
 * kf_fingerprint_from_certificate:
 *
 * Returns: the canonical fingerprint of @certificate, or %NULL when it has
 * no DER form (which GIO's TLS certificates always have).
 */
char *
kf_fingerprint_from_certificate (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;

  return kf_fingerprint_from_der (der->data, der->len);
}

/*
 * kf_fingerprint_normalize:
 * @text: a fingerprint as a person may write it
 *
 * Returns: the canonical form, or %NULL with %G_IO_ERROR_INVALID_DATA when
 * @text does not hold exactly 64 hex digits once an optional "SHA256:"
 * prefix, colons and white space are dropped.
 */
char *
kf_fingerprint_normalize (const char  *text,
                          GError     **error)
{
  g_autoptr(GString) hex = g_string_sized_new (KF_FINGERPRINT_HEX_LEN);

  g_return_val_if_fail (text != NULL, NULL);

  if (g_ascii_strncasecmp (text, "sha256:", 7) == 0)
    text += 7;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p) || hex->len == KF_FINGERPRINT_HEX_LEN)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("“%s” is not a SHA-256 fingerprint: expected 64 hex digits"),
                       text);
          return NULL;
        }
      g_string_append_c (hex, g_ascii_tolower (*p));
    }

  if (hex->len != KF_FINGERPRINT_HEX_LEN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is not a SHA-256 fingerprint: expected 64 hex digits"), text);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&hex), FALSE);
}

/*
 * kf_fingerprint_format_pretty:
 * @fingerprint: a canonical fingerprint
 *
 * Returns: the one form people see everywhere (server, CLI, app, docs):
 * 16 groups of four upper-case hex digits, "5B3F 5474 CD57 …".  Four
 * digits are read aloud in one breath and checked at a glance; upper
 * case keeps B/8 and D/0 apart; no colons to read out or to type.
 * kf_fingerprint_normalize() takes it back, and every older form.
 */
char *
kf_fingerprint_format_pretty (const char *fingerprint)
{
  GString *out;

  g_return_val_if_fail (fingerprint != NULL, NULL);

  out = g_string_sized_new (KF_FINGERPRINT_HEX_LEN * 5 / 4);
  for (gsize i = 0; fingerprint[i] != '\0'; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, g_ascii_toupper (fingerprint[i]));
    }

  return g_string_free (out, FALSE);
}

/*
 * kf_fingerprint_equal:
 *
 * Compares two canonical fingerprints without an early exit.  Returns
 * %FALSE when either is %NULL or their lengths differ.
 */
gboolean
kf_fingerprint_equal (const char *a,
                      const char *b)
{
  gsize len;
  guint diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  len = strlen (a);
  if (len != strlen (b))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guint) (a[i] ^ b[i]);

  return diff == 0;
}
