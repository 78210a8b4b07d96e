/* kf-hex.c: hexadecimal for keys, IVs, nonces and fingerprints
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-hex.h"

/*
 * kf_hex_decode:
 * @hex: a NUL-terminated string of hex digits, either case
 * @out: where the bytes go
 * @out_len: exactly how many bytes @hex must describe
 *
 * Decodes @hex into @out.  Fails with %G_IO_ERROR_INVALID_DATA when @hex is
 * not made of exactly 2 × @out_len hex digits, naming what was expected;
 * @out is then left zeroed, so no half-decoded secret survives.
 */
gboolean
kf_hex_decode (const char  *hex,
               guint8      *out,
               gsize        out_len,
               GError     **error)
{
  gsize len;

  g_return_val_if_fail (hex != NULL, FALSE);
  g_return_val_if_fail (out != NULL || out_len == 0, FALSE);

  len = strlen (hex);
  if (len != out_len * 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("expected %zu hex digits (%zu bytes), got %zu"),
                   out_len * 2, out_len, len);
      return FALSE;
    }

  for (gsize i = 0; i < out_len; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        {
          explicit_bzero (out, out_len);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("“%c%c” at position %zu is not hexadecimal"),
                       hex[2 * i], hex[2 * i + 1], 2 * i + 1);
          return FALSE;
        }
      out[i] = (guint8) (hi << 4 | lo);
    }

  return TRUE;
}

/*
 * kf_hex_encode:
 *
 * Returns: a newly allocated lower-case hex string of @len bytes of @data.
 */
char *
kf_hex_encode (const guint8 *data,
               gsize         len)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0xf];
    }
  hex[len * 2] = '\0';

  return hex;
}
