/* kf-client-options.c: what a KfClient is told before it runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The settings a front end gives a client for its run, before connecting
 * or before the next transfer: the pre-trusted fingerprint, the peer port
 * range, the idle timeout, the admission passphrase, this person's
 * identity and contacts store.
 */

#include "config.h"

#include "kf-client-private.h"
#include "kf-secure.h"

/*
 * kf_client_set_expected_fingerprint:
 * @fingerprint: (nullable): in any form kf_fingerprint_normalize() takes
 *
 * Pre-trusts @fingerprint for this server, like --fingerprint: when no pin
 * is stored it is used and, when the server matches, recorded in the
 * known-servers store; when it does not match the server or a stored pin,
 * connecting fails with %KF_CLIENT_ERROR_SERVER_CHANGED.
 */
void
kf_client_set_expected_fingerprint (KfClient   *self,
                                    const char *fingerprint)
{
  g_return_if_fail (KF_IS_CLIENT (self));

  g_free (self->expected_fingerprint);
  self->expected_fingerprint = g_strdup (fingerprint);
}

/*
 * kf_client_set_peer_ports:
 * @first: the lowest port to receive files on, 0 for an ephemeral port
 * @last: the highest (>= @first)
 *
 * As a receiver, listens for the sender on the first free port of
 * @first..@last rather than an ephemeral one, so that a firewall rule can
 * let exactly those ports in.
 */
void
kf_client_set_peer_ports (KfClient *self,
                          guint16   first,
                          guint16   last)
{
  g_return_if_fail (KF_IS_CLIENT (self));
  g_return_if_fail (first == 0 || first <= last);

  self->peer_port_first = first;
  self->peer_port_last = last;
}

/*
 * kf_client_set_idle_timeout:
 * @seconds: 0 for no limit
 *
 * How long a transfer may wait for the peer once the file moves (see
 * kf_peer_link_set_idle_timeout()); default
 * %KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT.  Applies to the next transfer.
 */
void
kf_client_set_idle_timeout (KfClient *self,
                            guint     seconds)
{
  g_return_if_fail (KF_IS_CLIENT (self));

  self->idle_timeout = seconds;
}

/*
 * kf_client_set_passphrase:
 * @passphrase: (nullable): the admission passphrase, kept in secure memory
 */
void
kf_client_set_passphrase (KfClient   *self,
                          const char *passphrase)
{
  g_return_if_fail (KF_IS_CLIENT (self));

  g_clear_pointer (&self->passphrase, kf_secure_strfree);
  self->passphrase = kf_secure_strdup (passphrase);
}

/*
 * kf_client_set_identity:
 * @identity: this person's identity (see kf_identity_load_or_create())
 *
 * The identity the client proves to the key manager and to peers.  Set it
 * before connecting; the app and keyferry-cli always do.
 */
void
kf_client_set_identity (KfClient   *self,
                        KfIdentity *identity)
{
  g_return_if_fail (KF_IS_CLIENT (self));
  g_return_if_fail (KF_IS_IDENTITY (identity));

  g_set_object (&self->identity, identity);
}

/*
 * kf_client_get_identity:
 *
 * Returns: (transfer none): the identity set with kf_client_set_identity(),
 * or, when none was, one made in memory for this client's lifetime, known
 * to nobody (for tests and programs that do not keep one).
 */
KfIdentity *
kf_client_get_identity (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  if (self->identity == NULL)
    self->identity = kf_identity_new_ephemeral ();

  return self->identity;
}

/*
 * kf_client_set_contacts:
 * @contacts: (nullable): the store of this person's contacts
 *
 * After every transfer the key manager confirmed, the peer's identity (as
 * proved on the peer link) is remembered there under the peer's name.
 */
void
kf_client_set_contacts (KfClient   *self,
                        KfContacts *contacts)
{
  g_return_if_fail (KF_IS_CLIENT (self));
  g_return_if_fail (contacts == NULL || KF_IS_CONTACTS (contacts));

  g_set_object (&self->contacts, contacts);
}

/*
 * kf_client_get_contacts:
 *
 * Returns: (transfer none) (nullable): the contacts set with
 * kf_client_set_contacts().
 */
KfContacts *
kf_client_get_contacts (KfClient *self)
{
  g_return_val_if_fail (KF_IS_CLIENT (self), NULL);

  return self->contacts;
}
