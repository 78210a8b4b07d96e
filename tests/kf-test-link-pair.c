/* kf-test-link-pair.c: two ends of a peer link on loopback, for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A receiver accepts on a KfPeerListener and a sender connects to it;
 * a KfTestLinkPair records each end, or the error its handshake ended
 * with.  kf_test_link_pair_open() does the whole of it for a test that
 * only needs the two ends.
 */

#include "config.h"

#include <gcrypt.h>

#include "kf-test-link-pair.h"
#include "kf-test-util.h"

/* How long either end's handshake may take. */
#define HANDSHAKE_TIMEOUT_MS 5000

/*
 * kf_test_session_keys_new:
 *
 * Returns: (transfer full): keys for session @session_id in @mode, as a
 * key manager hands out: random key, IV and auth key.
 */
KfSessionKeys *
kf_test_session_keys_new (const char   *session_id,
                          KfCipherMode  mode)
{
  KfSessionKeys *keys = kf_session_keys_new (session_id, mode);

  gcry_randomize (keys->key, sizeof keys->key, GCRY_WEAK_RANDOM);
  gcry_randomize (keys->iv, sizeof keys->iv, GCRY_WEAK_RANDOM);
  gcry_randomize (keys->auth_key, sizeof keys->auth_key, GCRY_WEAK_RANDOM);
  return keys;
}

static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  KfTestLinkPair *pair = user_data;

  pair->receiver = kf_peer_listener_accept_finish (KF_PEER_LISTENER (source), result,
                                                   &pair->accept_error);
  pair->accept_done = TRUE;
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KfTestLinkPair *pair = user_data;

  pair->sender = kf_peer_link_connect_finish (result, &pair->connect_error);
  pair->connect_done = TRUE;
}

/* @listener accepts one sender into @pair: accept_done is set when it
 * has, or has failed. */
void
kf_test_link_pair_accept (KfTestLinkPair *pair,
                          KfPeerListener *listener,
                          guint           timeout_ms,
                          GCancellable   *cancellable)
{
  kf_peer_listener_accept_async (listener, timeout_ms, cancellable, accepted_cb, pair);
}

/* A sender with @keys and @identity connects to @host:@port into @pair:
 * connect_done is set when it has, or has failed. */
void
kf_test_link_pair_connect (KfTestLinkPair      *pair,
                           const KfSessionKeys *keys,
                           KfIdentity          *identity,
                           const char          *host,
                           guint16              port)
{
  kf_peer_link_connect_async (keys, identity, host, port, HANDSHAKE_TIMEOUT_MS, NULL,
                              connected_cb, pair);
}

/* Drops both ends and both errors. */
void
kf_test_link_pair_clear (KfTestLinkPair *pair)
{
  g_clear_object (&pair->sender);
  g_clear_object (&pair->receiver);
  g_clear_error (&pair->connect_error);
  g_clear_error (&pair->accept_error);
}

/*
 * kf_test_link_pair_open:
 * @route: (nullable): maps the listener's port to the one the sender
 *   dials; %NULL: straight to the listener
 * @sender: (out) (transfer full): the end that connected
 * @receiver: (out) (transfer full): the end that accepted
 *
 * Links two ends for a session with @keys on 127.0.0.1, each with an
 * identity of its own.  Both handshakes must succeed.
 */
void
kf_test_link_pair_open (const KfSessionKeys  *keys,
                        KfTestLinkRoute       route,
                        gpointer              route_data,
                        KfPeerLink          **sender,
                        KfPeerLink          **receiver)
{
  g_autoptr(KfIdentity) sender_identity = kf_identity_new_ephemeral ();
  g_autoptr(KfIdentity) receiver_identity = kf_identity_new_ephemeral ();
  g_autoptr(KfPeerListener) listener = NULL;
  g_autoptr(GError) error = NULL;
  KfTestLinkPair pair = { NULL };
  guint16 port;

  listener = kf_peer_listener_new (keys, receiver_identity, &error);
  g_assert_no_error (error);
  kf_test_link_pair_accept (&pair, listener, HANDSHAKE_TIMEOUT_MS, NULL);
  port = kf_peer_listener_get_port (listener);
  if (route != NULL)
    port = route (port, route_data);
  kf_test_link_pair_connect (&pair, keys, sender_identity, "127.0.0.1", port);
  kf_test_iterate_until (&pair.accept_done);
  kf_test_iterate_until (&pair.connect_done);
  g_assert_no_error (pair.accept_error);
  g_assert_no_error (pair.connect_error);
  *sender = g_steal_pointer (&pair.sender);
  *receiver = g_steal_pointer (&pair.receiver);
}
