/* kf-km-hello.c: the identity proof in `hello` (protocol version 2)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A client proves its identity to the key manager by signing, with its
 * Ed25519 identity key, the bytes of docs/PROTOCOL.md part 1 §4.2:
 *
 *   "keyferry km v2 hello" ‖ challenge (32, from the greeting)
 *   ‖ tls-exporter (32, RFC 9266) ‖ u16 big-endian name length ‖ name
 *
 * The challenge makes the proof fresh, the exporter ties it to this one
 * TLS connection (a man in the middle has another), and the name ties it
 * to the name the client registers.  The client signs, the key manager
 * verifies; both build the bytes here.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-km-hello.h"

/*
 * kf_km_hello_signed_bytes:
 * @name: the display name, UTF-8, unescaped (at most 65535 bytes)
 *
 * Returns: (transfer full): the bytes a `hello` signature covers.
 */
GBytes *
kf_km_hello_signed_bytes (const guint8  challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                          const guint8  exporter[KF_KM_HELLO_EXPORTER_SIZE],
                          const char   *name)
{
  GByteArray *bytes = g_byte_array_new ();
  gsize name_len = strlen (name);
  guint8 len_be[2] = { (guint8) (name_len >> 8), (guint8) name_len };

  g_return_val_if_fail (name_len <= G_MAXUINT16, NULL);

  g_byte_array_append (bytes, (const guint8 *) KF_KM_HELLO_LABEL, strlen (KF_KM_HELLO_LABEL));
  g_byte_array_append (bytes, challenge, KF_PROTOCOL_CHALLENGE_SIZE);
  g_byte_array_append (bytes, exporter, KF_KM_HELLO_EXPORTER_SIZE);
  g_byte_array_append (bytes, len_be, sizeof len_be);
  g_byte_array_append (bytes, (const guint8 *) name, name_len);
  return g_byte_array_free_to_bytes (bytes);
}

/*
 * kf_km_hello_exporter:
 * @tls: a connection whose handshake is done
 *
 * Fills @exporter with the connection's tls-exporter channel binding (the
 * same value at both ends).  Returns %FALSE with @error when TLS cannot
 * give it (a TLS 1.2 connection without the extended master secret).
 */
gboolean
kf_km_hello_exporter (GTlsConnection  *tls,
                      guint8           exporter[KF_KM_HELLO_EXPORTER_SIZE],
                      GError         **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) local = NULL;

  if (!g_tls_connection_get_channel_binding_data (tls, G_TLS_CHANNEL_BINDING_TLS_EXPORTER,
                                                  data, &local)
      || data->len != KF_KM_HELLO_EXPORTER_SIZE)
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_VERSION,
                   _("The TLS connection cannot bind an identity to itself (%s): it needs "
                     "TLS 1.3, or TLS 1.2 with the extended master secret"),
                   local != NULL ? local->message : "tls-exporter");
      return FALSE;
    }
  memcpy (exporter, data->data, KF_KM_HELLO_EXPORTER_SIZE);
  return TRUE;
}

/*
 * kf_km_hello_sign:
 *
 * Signs the `hello` bytes of @challenge, @exporter and @name with
 * @identity into @signature.
 */
void
kf_km_hello_sign (KfIdentity   *identity,
                  const guint8  challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                  const guint8  exporter[KF_KM_HELLO_EXPORTER_SIZE],
                  const char   *name,
                  guint8        signature[KF_IDENTITY_SIGNATURE_SIZE])
{
  g_autoptr(GBytes) bytes = kf_km_hello_signed_bytes (challenge, exporter, name);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  kf_identity_sign (identity, data, len, signature);
}

/*
 * kf_km_hello_verify:
 *
 * Returns: %TRUE when @signature is @public_key's signature over the
 * `hello` bytes of @challenge, @exporter and @name.
 */
gboolean
kf_km_hello_verify (const guint8  public_key[KF_IDENTITY_PUBLIC_KEY_SIZE],
                    const guint8  challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                    const guint8  exporter[KF_KM_HELLO_EXPORTER_SIZE],
                    const char   *name,
                    const guint8  signature[KF_IDENTITY_SIGNATURE_SIZE])
{
  g_autoptr(GBytes) bytes = kf_km_hello_signed_bytes (challenge, exporter, name);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return kf_identity_verify (public_key, data, len, signature);
}
