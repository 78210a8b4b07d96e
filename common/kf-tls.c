/* kf-tls.c: which TLS versions and cipher suites Keyferry accepts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both ends are ours, so neither needs to speak anything old: TLS 1.3, or
 * TLS 1.2 with ECDHE key exchange and an AEAD cipher (AES-GCM,
 * ChaCha20-Poly1305).  glib-networking has no API for this; it reads the
 * GnuTLS priority string from G_TLS_GNUTLS_PRIORITY once, when the first
 * TLS connection is made, so kf_tls_init() sets it before that, and the
 * handshake itself refuses an older peer.  kf_tls_check_connection()
 * checks the outcome again after every handshake, for the case where the
 * backend read its priority before kf_tls_init() ran (or is not GnuTLS).
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-tls.h"

/*
 * kf_tls_init:
 *
 * Makes every TLS connection this process creates from now on offer and
 * accept only TLS 1.3 and TLS 1.2 with ECDHE and AEAD (KF_TLS_PRIORITY),
 * overriding any G_TLS_GNUTLS_PRIORITY from the environment.  Call it at
 * the top of main(), before any thread exists (it sets an environment
 * variable); the key manager connection and the server call it again
 * before their first connection, which then does nothing.
 */
void
kf_tls_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_setenv ("G_TLS_GNUTLS_PRIORITY", KF_TLS_PRIORITY, TRUE);
      g_once_init_leave (&done, 1);
    }
}

/* TLS 1.2 suites GnuTLS names like TLS_ECDHE_ECDSA_AES_256_GCM_SHA384. */
static gboolean
is_ecdhe_aead (const char *suite)
{
  return suite != NULL && strstr (suite, "ECDHE") != NULL
         && (strstr (suite, "_GCM") != NULL || strstr (suite, "CHACHA20_POLY1305") != NULL);
}

/*
 * kf_tls_check_connection:
 * @tls: a connection whose handshake succeeded
 *
 * Returns: %TRUE when @tls runs TLS 1.3, or TLS 1.2 with an ECDHE AEAD
 * suite; otherwise %FALSE with a G_TLS_ERROR_HANDSHAKE @error that names
 * what was negotiated.  The caller closes the connection then.
 */
gboolean
kf_tls_check_connection (GTlsConnection  *tls,
                         GError         **error)
{
  GTlsProtocolVersion version;
  g_autofree char *suite = NULL;

  g_return_val_if_fail (G_IS_TLS_CONNECTION (tls), FALSE);

  version = g_tls_connection_get_protocol_version (tls);
  suite = g_tls_connection_get_ciphersuite_name (tls);
  if (version == G_TLS_PROTOCOL_VERSION_TLS_1_3
      || (version == G_TLS_PROTOCOL_VERSION_TLS_1_2 && is_ecdhe_aead (suite)))
    return TRUE;
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
               _("The other side negotiated an outdated TLS version or cipher suite (%s); "
                 "Keyferry needs TLS 1.3, or TLS 1.2 with ECDHE and AES-GCM or ChaCha20"),
               suite != NULL ? suite : "?");
  return FALSE;
}
