/* kf-record.c: the peer link's authenticated records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A record is a 16-byte header, a payload and a 16-byte Poly1305-AES tag
 * over header and payload (encrypt-then-MAC: the payload is already
 * ciphertext when it is sealed).  The tag is checked, over its full length
 * and in constant time, before the caller may look at the payload; the
 * sequence number is checked right after, so reordering, duplication and
 * replay are caught before anything is decrypted.  Why Poly1305-AES rather
 * than HMAC: docs/PROTOCOL.md part 2, "Choice of MAC".
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-gcrypt.h"
#include "kf-record.h"

#define NONCE_SIZE 16

/* Fuzzing builds only: fuzz/meson.build compiles this file a second time
 * with KF_FUZZING for its own programs, so that mutated records get past
 * the tag to what lies behind it.  The library and every shipped program
 * are built without it; the check below keeps it from slipping in alone. */
#ifdef KF_FUZZING
# ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#  error "KF_FUZZING accepts forged records: it is for fuzz/ targets only"
# endif
# define TAG_ENFORCED FALSE
#else
# define TAG_ENFORCED TRUE
#endif

struct _KfRecordKey
{
  gcry_mac_hd_t hd;
};

/*
 * kf_record_derive_key:
 * @secret: the key to derive from (the session's authentication key)
 * @label: an ASCII label naming the sub-key, without its NUL
 * @context: bytes binding the sub-key to a connection (may be %NULL)
 *
 * Writes HMAC-SHA256(@secret, @label || @context) into @out: the sub-key
 * derivation of docs/PROTOCOL.md part 2 (libgcrypt 1.10 has no HKDF; one
 * HMAC block of a uniformly random 32-byte secret is a PRF output, which is
 * all HKDF-Expand would give here).  Cannot fail once libgcrypt is ready.
 */
void
kf_record_derive_key (const guint8 *secret,
                      gsize         secret_len,
                      const char   *label,
                      const guint8 *context,
                      gsize         context_len,
                      guint8        out[32])
{
  gcry_mac_hd_t hd;
  gsize out_len = 32;

  g_return_if_fail (kf_gcrypt_is_ready ());
  g_return_if_fail (secret != NULL && label != NULL && out != NULL);

  if (gcry_mac_open (&hd, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE, NULL) != 0)
    g_error ("libgcrypt cannot open HMAC-SHA256");
  gcry_mac_setkey (hd, secret, secret_len);
  gcry_mac_write (hd, label, strlen (label));
  if (context_len > 0)
    gcry_mac_write (hd, context, context_len);
  gcry_mac_read (hd, out, &out_len);
  gcry_mac_close (hd);
}

/*
 * kf_record_key_new:
 * @key: %KF_RECORD_KEY_SIZE bytes, one direction's record key
 *
 * Returns: (transfer full): a MAC context in secure memory for one
 * direction of one link, or %NULL with @error set when the key has the
 * wrong size or libgcrypt fails.  A key is used by one thread at a time.
 */
KfRecordKey *
kf_record_key_new (const guint8  *key,
                   gsize          key_len,
                   GError       **error)
{
  KfRecordKey *self;
  gcry_error_t err;

  g_return_val_if_fail (kf_gcrypt_is_ready (), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (key_len != KF_RECORD_KEY_SIZE)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                   "a record key has %d bytes, not %" G_GSIZE_FORMAT,
                   KF_RECORD_KEY_SIZE, key_len);
      return NULL;
    }

  self = g_new0 (KfRecordKey, 1);
  err = gcry_mac_open (&self->hd, GCRY_MAC_POLY1305_AES, GCRY_MAC_FLAG_SECURE, NULL);
  if (err == 0)
    err = gcry_mac_setkey (self->hd, key, key_len);
  if (err != 0)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                   "libgcrypt cannot set up Poly1305-AES: %s", gcry_strerror (err));
      kf_record_key_free (self);
      return NULL;
    }

  return self;
}

/*
 * kf_record_key_free:
 *
 * Closes (and so wipes) the MAC context.  %NULL is allowed.
 */
void
kf_record_key_free (KfRecordKey *key)
{
  if (key == NULL)
    return;

  if (key->hd != NULL)
    gcry_mac_close (key->hd);
  g_free (key);
}

/*
 * kf_record_header_encode:
 *
 * Writes @header in wire order into @out.  Reserved bytes are zero.
 */
void
kf_record_header_encode (const KfRecordHeader *header,
                         guint8                out[KF_RECORD_HEADER_SIZE])
{
  guint32 length = GUINT32_TO_BE (header->length);
  guint64 seq = GUINT64_TO_BE (header->seq);

  out[0] = header->type;
  out[1] = header->flags;
  out[2] = 0;
  out[3] = 0;
  memcpy (out + 4, &length, 4);
  memcpy (out + 8, &seq, 8);
}

/*
 * kf_record_header_decode:
 * @buf: at least @len bytes
 *
 * Parses a header.  Nothing in it is trusted yet: the caller uses only the
 * length (bounded here) to know how much to read, and checks the tag before
 * anything else.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_TRUNCATED when @len is shorter
 * than a header, %KF_TRANSFER_ERROR_PROTOCOL when the reserved bytes or
 * unknown flags are set or the length is above %KF_RECORD_MAX_PAYLOAD.
 */
gboolean
kf_record_header_decode (const guint8    *buf,
                         gsize            len,
                         KfRecordHeader  *header,
                         GError         **error)
{
  guint32 length;
  guint64 seq;

  g_return_val_if_fail (buf != NULL || len == 0, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  if (len < KF_RECORD_HEADER_SIZE)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED,
                           _("The transfer stream was cut off inside a record header."));
      return FALSE;
    }

  memcpy (&length, buf + 4, 4);
  memcpy (&seq, buf + 8, 8);
  header->type = buf[0];
  header->flags = buf[1];
  header->length = GUINT32_FROM_BE (length);
  header->seq = GUINT64_FROM_BE (seq);

  if (buf[2] != 0 || buf[3] != 0 || (header->flags & ~KF_RECORD_FLAG_FINAL) != 0
      || header->length > KF_RECORD_MAX_PAYLOAD)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                           _("The peer sent a malformed record header. The transfer was stopped; try again."));
      return FALSE;
    }

  return TRUE;
}

/* Restarts the MAC for the record numbered @seq.  The nonce is the
 * sequence number: unique per direction key, which Poly1305-AES needs. */
static gboolean
start_mac (KfRecordKey  *key,
           guint64       seq,
           GError      **error)
{
  guint8 nonce[NONCE_SIZE] = { 0 };
  guint64 seq_be = GUINT64_TO_BE (seq);
  gcry_error_t err;

  /* Setting the nonce restarts Poly1305-AES; gcry_mac_reset() would
   * refuse before the first nonce. */
  memcpy (nonce, &seq_be, sizeof seq_be);
  err = gcry_mac_setiv (key->hd, nonce, sizeof nonce);
  if (err != 0)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                   "libgcrypt cannot start Poly1305-AES: %s", gcry_strerror (err));
      return FALSE;
    }

  return TRUE;
}

/*
 * kf_record_seal:
 * @record: a buffer of %KF_RECORD_HEADER_SIZE + @payload_len +
 *   %KF_RECORD_TAG_SIZE bytes whose payload (already encrypted if it is
 *   secret) sits at offset %KF_RECORD_HEADER_SIZE
 *
 * Writes the header in front of the payload and the tag after it, so the
 * whole buffer can go on the wire in one write.
 *
 * Returns: %FALSE with @error set only when libgcrypt fails.
 */
gboolean
kf_record_seal (KfRecordKey   *key,
                KfRecordType   type,
                guint8         flags,
                guint64        seq,
                guint8        *record,
                gsize          payload_len,
                GError       **error)
{
  KfRecordHeader header = { type, flags, (guint32) payload_len, seq };
  gsize tag_len = KF_RECORD_TAG_SIZE;
  gsize mac_len = KF_RECORD_HEADER_SIZE + payload_len;

  g_return_val_if_fail (key != NULL && record != NULL, FALSE);
  g_return_val_if_fail (payload_len <= KF_RECORD_MAX_PAYLOAD, FALSE);

  kf_record_header_encode (&header, record);
  if (!start_mac (key, seq, error))
    return FALSE;
  gcry_mac_write (key->hd, record, mac_len);
  if (gcry_mac_read (key->hd, record + mac_len, &tag_len) != 0
      || tag_len != KF_RECORD_TAG_SIZE)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
                           "libgcrypt could not compute a record tag");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_type (const KfRecordHeader  *header,
            GError               **error)
{
  if (header->type >= KF_RECORD_OFFER && header->type <= KF_RECORD_MANIFEST)
    return TRUE;

  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL,
               _("The peer sent a record of unknown type %u. It may run an incompatible version of Keyferry."),
               header->type);
  return FALSE;
}

/*
 * kf_record_open:
 * @record: one whole record as received, @record_len bytes
 * @expected_seq: the sequence number the next record must carry
 * @header: (out): the authenticated header
 *
 * Checks, in this order: the header's shape, that @record_len is exactly
 * one record, the tag (full length, constant time), the sequence number,
 * the type.  Only when it returns %TRUE may the caller use the payload at
 * @record + %KF_RECORD_HEADER_SIZE.
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_TRUNCATED (short buffer),
 * %KF_TRANSFER_ERROR_BAD_MAC (tampered or corrupt, or another session's
 * record), %KF_TRANSFER_ERROR_ORDER (authentic but out of order, a
 * duplicate or a replay) or %KF_TRANSFER_ERROR_PROTOCOL (malformed).
 */
gboolean
kf_record_open (KfRecordKey     *key,
                const guint8    *record,
                gsize            record_len,
                guint64          expected_seq,
                KfRecordHeader  *header,
                GError         **error)
{
  gsize mac_len;

  g_return_val_if_fail (key != NULL && header != NULL, FALSE);

  if (!kf_record_header_decode (record, record_len, header, error))
    return FALSE;

  mac_len = KF_RECORD_HEADER_SIZE + header->length;
  if (record_len != mac_len + KF_RECORD_TAG_SIZE)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR,
                           record_len < mac_len + KF_RECORD_TAG_SIZE
                           ? KF_TRANSFER_ERROR_TRUNCATED : KF_TRANSFER_ERROR_PROTOCOL,
                           _("The transfer stream was cut off inside a record."));
      return FALSE;
    }

  if (!start_mac (key, header->seq, error))
    return FALSE;
  gcry_mac_write (key->hd, record, mac_len);
  if (gcry_mac_verify (key->hd, record + mac_len, KF_RECORD_TAG_SIZE) != 0 && TAG_ENFORCED)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_BAD_MAC,
                           _("A record failed its integrity check: the data was corrupted or tampered with on the way. Nothing was saved; try again."));
      return FALSE;
    }

  if (header->seq != expected_seq)
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_ORDER,
                   _("Record %" PRIu64 " arrived where record %" PRIu64 " was expected: records were reordered, duplicated or replayed. Nothing was saved; try again."),
                   header->seq, expected_seq);
      return FALSE;
    }

  return check_type (header, error);
}

/* Turns a socket error into what a user should hear: the peer is gone. */
static void
set_read_error (GError  **error,
                GError   *io_error)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, io_error);
      return;
    }
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                           _("The peer sent nothing for too long."));
      g_error_free (io_error);
      return;
    }

  g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
               _("The connection to the peer was lost (%s)."), io_error->message);
  g_error_free (io_error);
}

/* Reads exactly @len bytes.  *@got says how many arrived before an end
 * of stream (which is not an error here). */
static gboolean
read_exactly (GInputStream  *stream,
              guint8        *buf,
              gsize          len,
              gsize         *got,
              GCancellable  *cancellable,
              GError       **error)
{
  GError *io_error = NULL;

  if (!g_input_stream_read_all (stream, buf, len, got, cancellable, &io_error))
    {
      set_read_error (error, io_error);
      return FALSE;
    }

  return TRUE;
}

/*
 * kf_record_read:
 * @buf: at least %KF_RECORD_MAX_SIZE bytes (@buf_size), where the record
 *   lands; its payload is at @buf + %KF_RECORD_HEADER_SIZE afterwards
 *
 * Reads one record from @stream (blocking: call it from a worker thread)
 * and opens it with kf_record_open().
 *
 * Returns: %FALSE with %KF_TRANSFER_ERROR_PEER_GONE when the stream ends
 * cleanly before a record or the socket fails, %KF_TRANSFER_ERROR_TRUNCATED
 * when it ends inside one, G_IO_ERROR_CANCELLED when @cancellable fires, or
 * any error of kf_record_open().
 */
gboolean
kf_record_read (GInputStream    *stream,
                KfRecordKey     *key,
                guint64          expected_seq,
                guint8          *buf,
                gsize            buf_size,
                KfRecordHeader  *header,
                GCancellable    *cancellable,
                GError         **error)
{
  gsize got = 0;
  gsize rest;

  g_return_val_if_fail (buf != NULL && buf_size >= KF_RECORD_MAX_SIZE, FALSE);

  if (!read_exactly (stream, buf, KF_RECORD_HEADER_SIZE, &got, cancellable, error))
    return FALSE;
  if (got == 0)
    {
      g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                           _("The peer closed the connection before the transfer was complete."));
      return FALSE;
    }
  if (!kf_record_header_decode (buf, got, header, error))
    return FALSE;

  rest = header->length + KF_RECORD_TAG_SIZE;
  if (!read_exactly (stream, buf + KF_RECORD_HEADER_SIZE, rest, &got, cancellable, error))
    return FALSE;

  return kf_record_open (key, buf, KF_RECORD_HEADER_SIZE + got, expected_seq, header, error);
}
