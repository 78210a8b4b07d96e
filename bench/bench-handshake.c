/* bench-handshake.c: what the peer link's handshake costs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-handshake [N]
 *
 * Times N peer-link handshakes (default 200) over 127.0.0.1, sender and
 * receiver in this process on one main loop: from the connect call until
 * both ends hold their link (TCP connect, three messages, all the
 * cryptography of both sides, the key derivation).  Then times the
 * cryptography alone, both sides in memory.  Prints the median, the 10th
 * and 90th percentiles in milliseconds.  Not part of script/test.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"
#include "kf-peer-listener.h"

typedef struct
{
  KfPeerLink *accepted;
  KfPeerLink *connected;
} Pair;

static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Pair *pair = user_data;

  pair->accepted = kf_peer_listener_accept_finish (KF_PEER_LISTENER (source), result, NULL);
  if (pair->accepted == NULL)
    g_error ("the receiver's handshake failed");
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pair *pair = user_data;

  pair->connected = kf_peer_link_connect_finish (result, NULL);
  if (pair->connected == NULL)
    g_error ("the sender's handshake failed");
}

static int
compare (const void *a,
         const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
report (const char *what,
        double     *ms,
        guint       n)
{
  qsort (ms, n, sizeof *ms, compare);
  printf ("%-44s median %7.3f ms   p10 %7.3f   p90 %7.3f   (%u runs)\n", what,
          ms[n / 2], ms[n / 10], ms[n * 9 / 10], n);
}

/* One handshake over loopback, in milliseconds. */
static double
one_link (const KfSessionKeys *keys,
          KfIdentity          *sender,
          KfIdentity          *receiver)
{
  g_autoptr(KfPeerListener) listener = kf_peer_listener_new (keys, receiver, NULL);
  Pair pair = { NULL, NULL };
  gint64 start;

  kf_peer_listener_accept_async (listener, 10000, NULL, accepted_cb, &pair);
  start = g_get_monotonic_time ();
  kf_peer_link_connect_async (keys, sender, "127.0.0.1", kf_peer_listener_get_port (listener),
                              10000, NULL, connected_cb, &pair);
  while (pair.accepted == NULL || pair.connected == NULL)
    g_main_context_iteration (NULL, TRUE);
  start = g_get_monotonic_time () - start;

  g_object_unref (pair.accepted);
  g_object_unref (pair.connected);
  return start / 1000.0;
}

/* Both sides' cryptography, no sockets, in milliseconds. */
static double
one_in_memory (const KfSessionKeys *keys,
               KfIdentity          *sender,
               KfIdentity          *receiver)
{
  guint8 hello[KF_PEER_HELLO_SIZE], challenge[KF_PEER_CHALLENGE_SIZE];
  guint8 response[KF_PEER_RESPONSE_SIZE];
  gint64 start = g_get_monotonic_time ();
  g_autoptr(KfPeerHandshake) s = kf_peer_handshake_new (keys, sender, KF_PEER_ROLE_SENDER);
  g_autoptr(KfPeerHandshake) r = kf_peer_handshake_new (keys, receiver, KF_PEER_ROLE_RECEIVER);
  g_autoptr(KfPeerLinkKeys) s_keys = NULL;
  g_autoptr(KfPeerLinkKeys) r_keys = NULL;
  g_autoptr(KfSessionKeys) s_file = NULL;
  g_autoptr(KfSessionKeys) r_file = NULL;

  kf_peer_handshake_write_hello (s, hello);
  if (!kf_peer_handshake_read_hello (r, hello, sizeof hello, NULL)
      || !kf_peer_handshake_write_challenge (r, challenge, NULL)
      || !kf_peer_handshake_read_challenge (s, challenge, sizeof challenge, NULL))
    g_error ("the handshake failed");
  kf_peer_handshake_write_response (s, response);
  if (!kf_peer_handshake_read_response (r, response, sizeof response, NULL))
    g_error ("the handshake failed");
  s_keys = kf_peer_handshake_derive (s);
  r_keys = kf_peer_handshake_derive (r);
  s_file = kf_peer_handshake_derive_file_keys (s);
  r_file = kf_peer_handshake_derive_file_keys (r);

  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int    argc,
      char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 200;
  g_autoptr(KfSessionKeys) keys = NULL;
  g_autoptr(KfIdentity) sender = NULL;
  g_autoptr(KfIdentity) receiver = NULL;
  g_autofree double *ms = NULL;

  kf_gcrypt_init ();
  if (n < 10)
    n = 10;
  ms = g_new (double, n);
  keys = kf_session_keys_new ("bench", KF_CIPHER_MODE_CBC);
  gcry_randomize (keys->key, sizeof keys->key, GCRY_WEAK_RANDOM);
  gcry_randomize (keys->iv, sizeof keys->iv, GCRY_WEAK_RANDOM);
  gcry_randomize (keys->auth_key, sizeof keys->auth_key, GCRY_WEAK_RANDOM);
  sender = kf_identity_new_ephemeral ();
  receiver = kf_identity_new_ephemeral ();

  one_link (keys, sender, receiver);
  for (guint i = 0; i < n; i++)
    ms[i] = one_link (keys, sender, receiver);
  report ("handshake over loopback, both sides", ms, n);
  for (guint i = 0; i < n; i++)
    ms[i] = one_in_memory (keys, sender, receiver);
  report ("its cryptography alone, both sides", ms, n);

  return 0;
}
