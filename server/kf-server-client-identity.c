/* kf-server-client-identity.c: who a client of the key manager is
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a client's greeting established (docs/PROTOCOL.md part 1 §4):
 * whether it passed the passphrase check, the challenge it was sent, the
 * identity key it proved in `hello` (a signature over that challenge and
 * the connection's tls-exporter value), and which protocol version ALPN
 * chose; and, later, the identities whose `conn` it blocked.  The checks
 * themselves are kf-server-greeting.c's and kf-server-identity.c's.
 */

#include "config.h"

#include <string.h>

#include "kf-km-hello.h"
#include "kf-server-client-private.h"

gboolean
kf_server_client_get_admitted (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return self->admitted;
}

void
kf_server_client_set_admitted (KfServerClient *self,
                               gboolean        admitted)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  self->admitted = admitted;
}

/*
 * kf_server_client_speaks_current:
 *
 * Returns: %TRUE when the TLS handshake chose ALPN keyferry/2 (a detached
 * client always does); %FALSE for a client of an older version.
 */
gboolean
kf_server_client_speaks_current (KfServerClient *self)
{
  GTlsConnection *tls;

  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);

  tls = kf_server_transport_get_tls (self->transport);
  return tls == NULL
         || g_strcmp0 (g_tls_connection_get_negotiated_protocol (tls), KF_PROTOCOL_ALPN) == 0;
}

/*
 * kf_server_client_get_exporter:
 *
 * Fills @exporter with the connection's tls-exporter value, which a
 * `hello` signature covers; a detached client's is 32 zero bytes.
 * Returns %FALSE with @error when TLS cannot give it.
 */
gboolean
kf_server_client_get_exporter (KfServerClient  *self,
                               guint8           exporter[KF_KM_HELLO_EXPORTER_SIZE],
                               GError         **error)
{
  GTlsConnection *tls;

  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);

  tls = kf_server_transport_get_tls (self->transport);
  if (tls == NULL)
    {
      memset (exporter, 0, KF_KM_HELLO_EXPORTER_SIZE);
      return TRUE;
    }
  return kf_km_hello_exporter (tls, exporter, error);
}

/* The challenge of this client's greeting (32 bytes). */
const guint8 *
kf_server_client_get_challenge (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->challenge;
}

void
kf_server_client_set_challenge (KfServerClient *self,
                                const guint8    challenge[KF_PROTOCOL_CHALLENGE_SIZE])
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  memcpy (self->challenge, challenge, sizeof self->challenge);
}

/* The identity the client proved in its hello (32 zero bytes before). */
const guint8 *
kf_server_client_get_public_key (KfServerClient *self)
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), NULL);
  return self->public_key;
}

void
kf_server_client_set_public_key (KfServerClient *self,
                                 const guint8    public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE])
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));
  memcpy (self->public_key, public_key, sizeof self->public_key);
}

/* `block`: @public_key's conn to this client is refused from now on. */
void
kf_server_client_block (KfServerClient *self,
                        const guint8    public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE])
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->blocks == NULL)
    self->blocks = kf_server_blocks_new ();
  kf_server_blocks_add (self->blocks, public_key);
}

/* Whether this client blocked @public_key. */
gboolean
kf_server_client_blocks (KfServerClient *self,
                         const guint8    public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE])
{
  g_return_val_if_fail (KF_IS_SERVER_CLIENT (self), FALSE);
  return kf_server_blocks_contains (self->blocks, public_key);
}
