/* fuzz-handshake.c: the peer link's handshake messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: byte 0 picks the message (hello, challenge or response), the rest
 * is what arrived.  A message that parses must encode back to the same
 * bytes.  A HELLO is then answered by the fixed receiver (refused only for
 * an unusable X25519 key); a CHALLENGE is checked by the fixed sender
 * after its HELLO, a RESPONSE by the fixed receiver after the fixed
 * HELLO and CHALLENGE: proofs, signatures, key exchange, as the link does.
 * Only the genuine message may ever pass, and then the link keys derive.
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz.h"
#include "kf-fuzz-keys.h"
#include "kf-peer-handshake.h"

static guint8 genuine_hello[KF_PEER_HELLO_SIZE];
static guint8 genuine_challenge[KF_PEER_CHALLENGE_SIZE];
static guint8 genuine_response[KF_PEER_RESPONSE_SIZE];

static void
check_derives (KfPeerHandshake *hs)
{
  g_autoptr(KfPeerLinkKeys) link_keys = kf_peer_handshake_derive (hs);
  g_autoptr(KfSessionKeys) file_keys = kf_peer_handshake_derive_file_keys (hs);

  kf_fuzz_check (link_keys != NULL && file_keys != NULL, "a verified handshake derives its keys");
}

static void
fuzz_hello (const guint8 *buf,
            gsize         len)
{
  KfPeerMessage msg;
  guint8 again[KF_PEER_CHALLENGE_SIZE];
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPeerHandshake) receiver = NULL;

  if (!kf_peer_message_parse_hello (buf, len, &msg, &error))
    {
      kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR, "a refused hello says why");
      return;
    }
  kf_fuzz_check (len == KF_PEER_HELLO_SIZE, "a hello has its size");
  kf_peer_message_encode_hello (&msg, again);
  kf_fuzz_check (memcmp (again, buf, len) == 0, "a hello encodes back to itself");

  receiver = kf_fuzz_handshake (KF_PEER_ROLE_RECEIVER);
  kf_fuzz_check (kf_peer_handshake_read_hello (receiver, buf, len, NULL), "a parsed hello is read");
  if (!kf_peer_handshake_write_challenge (receiver, again, &error))
    kf_fuzz_check (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE),
                   "a hello is answered, or refused for its key exchange");
}

static void
fuzz_challenge (const guint8 *buf,
                gsize         len)
{
  KfPeerMessage msg;
  guint8 again[KF_PEER_CHALLENGE_SIZE];
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPeerHandshake) sender = NULL;

  if (!kf_peer_message_parse_challenge (buf, len, &msg, &error))
    {
      kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR, "a refused challenge says why");
      return;
    }
  kf_fuzz_check (len == KF_PEER_CHALLENGE_SIZE, "a challenge has its size");
  kf_peer_message_encode_challenge (&msg, again);
  kf_fuzz_check (memcmp (again, buf, len) == 0, "a challenge encodes back to itself");

  sender = kf_fuzz_handshake (KF_PEER_ROLE_SENDER);
  kf_peer_handshake_write_hello (sender, again);
  if (kf_peer_handshake_read_challenge (sender, buf, len, NULL))
    {
      kf_fuzz_check (memcmp (buf, genuine_challenge, len) == 0,
                     "only the receiver's own challenge convinces the sender");
      check_derives (sender);
    }
}

static void
fuzz_response (const guint8 *buf,
               gsize         len)
{
  KfPeerMessage msg;
  guint8 again[KF_PEER_CHALLENGE_SIZE];
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPeerHandshake) receiver = NULL;

  if (!kf_peer_message_parse_response (buf, len, &msg, &error))
    {
      kf_fuzz_check (error != NULL && error->domain == KF_TRANSFER_ERROR, "a refused response says why");
      return;
    }
  kf_fuzz_check (len == KF_PEER_RESPONSE_SIZE, "a response has its size");
  kf_peer_message_encode_response (&msg, again);
  kf_fuzz_check (memcmp (again, buf, len) == 0, "a response encodes back to itself");

  receiver = kf_fuzz_handshake (KF_PEER_ROLE_RECEIVER);
  kf_fuzz_check (kf_peer_handshake_read_hello (receiver, genuine_hello, sizeof genuine_hello, NULL)
                 && kf_peer_handshake_write_challenge (receiver, again, NULL),
                 "the fixed receiver answers the fixed hello");
  if (kf_peer_handshake_read_response (receiver, buf, len, NULL))
    {
      kf_fuzz_check (memcmp (buf, genuine_response, len) == 0,
                     "only the sender's own response convinces the receiver");
      check_derives (receiver);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static gboolean ready;

  if (!ready)
    {
      kf_fuzz_handshake_messages (genuine_hello, genuine_challenge, genuine_response);
      ready = TRUE;
    }
  if (size < 1)
    return 0;

  switch (data[0] % 3)
    {
    case 0:
      fuzz_hello (data + 1, size - 1);
      break;
    case 1:
      fuzz_challenge (data + 1, size - 1);
      break;
    default:
      fuzz_response (data + 1, size - 1);
      break;
    }

  return 0;
}
