/* kf-peer-message.c: the peer link's handshake messages, as pure functions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The byte layout of HELLO, CHALLENGE and RESPONSE (docs/PROTOCOL.md
 * part 2, section 4): encoders, and parsers that refuse anything but
 * exactly one message of this version.  What the fields mean is
 * kf-peer-handshake's business.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-peer-message.h"

#define MAGIC      "KFPL"
#define MAGIC_SIZE 4

/*
 * kf_peer_message_check_prefix:
 * @type: the %KfPeerMessageType expected
 *
 * Checks the magic, version and type in the first %KF_PEER_PREFIX_SIZE
 * bytes of @buf, which may hold only those.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE saying what is wrong:
 * not the peer protocol, an older version (to be updated), another
 * version, or another message.
 */
gboolean
kf_peer_message_check_prefix (const guint8  *buf,
                              gsize          len,
                              guint8         type,
                              GError       **error)
{
  if (len < KF_PEER_PREFIX_SIZE || buf == NULL || memcmp (buf, MAGIC, MAGIC_SIZE) != 0)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           _("The peer does not speak the Keyferry peer protocol."));
      return FALSE;
    }
  if (buf[4] < KF_PEER_VERSION)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The peer runs an older Keyferry (peer protocol version %u; this program "
                     "speaks version %u), which does not authenticate people: it must be "
                     "updated before it can exchange files with you."),
                   buf[4], KF_PEER_VERSION);
      return FALSE;
    }
  if (buf[4] != KF_PEER_VERSION)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The peer speaks version %u of the Keyferry peer protocol, this program version %u. Update both to the same release."),
                   buf[4], KF_PEER_VERSION);
      return FALSE;
    }
  if (buf[5] != type)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                   _("The peer sent handshake message %u where %u was expected."),
                   buf[5], type);
      return FALSE;
    }

  return TRUE;
}

/* The prefix, then the exact length. */
static gboolean
check_message (const guint8  *buf,
               gsize          len,
               guint8         type,
               gsize          expected_len,
               GError       **error)
{
  if (!kf_peer_message_check_prefix (buf, len, type, error))
    return FALSE;
  if (len != expected_len)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_HANDSHAKE,
                           _("The peer does not speak the Keyferry peer protocol."));
      return FALSE;
    }

  return TRUE;
}

static guint8 *
put (guint8       *out,
     const guint8 *field,
     gsize         len)
{
  memcpy (out, field, len);
  return out + len;
}

static const guint8 *
take (const guint8 *in,
      guint8       *field,
      gsize         len)
{
  memcpy (field, in, len);
  return in + len;
}

static guint8 *
put_prefix (guint8  type,
            guint8 *out)
{
  memcpy (out, MAGIC, MAGIC_SIZE);
  out[4] = KF_PEER_VERSION;
  out[5] = type;
  return out + KF_PEER_PREFIX_SIZE;
}

/*
 * kf_peer_message_encode_hello:
 *
 * Writes the sender's HELLO: @msg's nonce, identity and ephemeral key.
 */
void
kf_peer_message_encode_hello (const KfPeerMessage *msg,
                              guint8               out[KF_PEER_HELLO_SIZE])
{
  guint8 *p = put_prefix (KF_PEER_MSG_HELLO, out);

  p = put (p, msg->nonce, sizeof msg->nonce);
  p = put (p, msg->identity, sizeof msg->identity);
  put (p, msg->ephemeral, sizeof msg->ephemeral);
}

/*
 * kf_peer_message_parse_hello:
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE unless @buf is exactly
 * one HELLO of this version; its fields go to @msg.
 */
gboolean
kf_peer_message_parse_hello (const guint8   *buf,
                             gsize           len,
                             KfPeerMessage  *msg,
                             GError        **error)
{
  const guint8 *p;

  if (!check_message (buf, len, KF_PEER_MSG_HELLO, KF_PEER_HELLO_SIZE, error))
    return FALSE;
  p = take (buf + KF_PEER_PREFIX_SIZE, msg->nonce, sizeof msg->nonce);
  p = take (p, msg->identity, sizeof msg->identity);
  take (p, msg->ephemeral, sizeof msg->ephemeral);
  return TRUE;
}

/*
 * kf_peer_message_encode_challenge:
 *
 * Writes the receiver's CHALLENGE: @msg's nonce, identity, ephemeral key,
 * signature and proof.
 */
void
kf_peer_message_encode_challenge (const KfPeerMessage *msg,
                                  guint8               out[KF_PEER_CHALLENGE_SIZE])
{
  guint8 *p = put_prefix (KF_PEER_MSG_CHALLENGE, out);

  p = put (p, msg->nonce, sizeof msg->nonce);
  p = put (p, msg->identity, sizeof msg->identity);
  p = put (p, msg->ephemeral, sizeof msg->ephemeral);
  p = put (p, msg->signature, sizeof msg->signature);
  put (p, msg->proof, sizeof msg->proof);
}

/*
 * kf_peer_message_parse_challenge:
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE unless @buf is exactly
 * one CHALLENGE of this version.  Nothing is checked but the shape.
 */
gboolean
kf_peer_message_parse_challenge (const guint8   *buf,
                                 gsize           len,
                                 KfPeerMessage  *msg,
                                 GError        **error)
{
  const guint8 *p;

  if (!check_message (buf, len, KF_PEER_MSG_CHALLENGE, KF_PEER_CHALLENGE_SIZE, error))
    return FALSE;
  p = take (buf + KF_PEER_PREFIX_SIZE, msg->nonce, sizeof msg->nonce);
  p = take (p, msg->identity, sizeof msg->identity);
  p = take (p, msg->ephemeral, sizeof msg->ephemeral);
  p = take (p, msg->signature, sizeof msg->signature);
  take (p, msg->proof, sizeof msg->proof);
  return TRUE;
}

/*
 * kf_peer_message_encode_response:
 *
 * Writes the sender's RESPONSE: @msg's signature and proof.
 */
void
kf_peer_message_encode_response (const KfPeerMessage *msg,
                                 guint8               out[KF_PEER_RESPONSE_SIZE])
{
  guint8 *p = put_prefix (KF_PEER_MSG_RESPONSE, out);

  p = put (p, msg->signature, sizeof msg->signature);
  put (p, msg->proof, sizeof msg->proof);
}

/*
 * kf_peer_message_parse_response:
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_HANDSHAKE unless @buf is exactly
 * one RESPONSE of this version.  Nothing is checked but the shape.
 */
gboolean
kf_peer_message_parse_response (const guint8   *buf,
                                gsize           len,
                                KfPeerMessage  *msg,
                                GError        **error)
{
  const guint8 *p;

  if (!check_message (buf, len, KF_PEER_MSG_RESPONSE, KF_PEER_RESPONSE_SIZE, error))
    return FALSE;
  p = take (buf + KF_PEER_PREFIX_SIZE, msg->signature, sizeof msg->signature);
  take (p, msg->proof, sizeof msg->proof);
  return TRUE;
}
