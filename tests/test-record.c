/* test-record.c: the peer link's records catch every kind of tampering
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-gcrypt.h"
#include "kf-record.h"

#define N_STREAM_RECORDS 3

/* Both halves of a Poly1305-AES key matter: an all-zero r half would make
 * every tag independent of the message. */
static guint8 key_a[KF_RECORD_KEY_SIZE];
static guint8 key_b[KF_RECORD_KEY_SIZE];

/* Seals a record of @len patterned payload bytes; returns the whole record. */
static GBytes *
make_record (const guint8 *key,
             KfRecordType  type,
             guint8        flags,
             guint64       seq,
             gsize         len)
{
  g_autoptr(KfRecordKey) k = kf_record_key_new (key, KF_RECORD_KEY_SIZE, NULL);
  gsize total = KF_RECORD_HEADER_SIZE + len + KF_RECORD_TAG_SIZE;
  guint8 *buf = g_malloc (total);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < len; i++)
    buf[KF_RECORD_HEADER_SIZE + i] = (guint8) (i * 7 + seq);
  kf_record_seal (k, type, flags, seq, buf, len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (buf, total);
}

static void
test_round_trip (void)
{
  const gsize sizes[] = { 0, 1, 15, 16, 17, 1000, 65536, KF_RECORD_MAX_PAYLOAD };
  g_autoptr(KfRecordKey) k = kf_record_key_new (key_a, sizeof key_a, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint8 flags = i % 2 ? KF_RECORD_FLAG_FINAL : 0;
      g_autoptr(GBytes) rec = make_record (key_a, KF_RECORD_DATA, flags, i, sizes[i]);
      g_autoptr(GError) error = NULL;
      const guint8 *data;
      gsize len;
      KfRecordHeader header;

      data = g_bytes_get_data (rec, &len);
      g_assert_true (kf_record_open (k, data, len, i, &header, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (header.type, ==, KF_RECORD_DATA);
      g_assert_cmpuint (header.flags, ==, flags);
      g_assert_cmpuint (header.length, ==, sizes[i]);
      g_assert_cmpuint (header.seq, ==, i);
      for (gsize j = 0; j < sizes[i]; j++)
        g_assert_cmpuint (data[KF_RECORD_HEADER_SIZE + j], ==, (guint8) (j * 7 + i));
    }
}

/* Every single-bit change anywhere in a record must make it fail, and
 * fail as tampering once the header still parses. */
static void
test_bit_flips (void)
{
  g_autoptr(KfRecordKey) k = kf_record_key_new (key_a, sizeof key_a, NULL);
  g_autoptr(GBytes) rec = make_record (key_a, KF_RECORD_DATA, 0, 5, 300);
  gsize len;
  g_autofree guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (rec), &len);
  guint tested = 0;

  g_assert_cmpuint (len, >=, 200);
  for (gsize offset = 0; offset < len; offset++)
    {
      g_autoptr(GError) error = NULL;
      KfRecordHeader header;
      guint8 bit = (guint8) (1u << (offset % 8));

      copy[offset] ^= bit;
      if (kf_record_open (k, copy, len, 5, &header, &error))
        g_error ("a flip at offset %" G_GSIZE_FORMAT " went unnoticed", offset);
      /* Type, sequence number, payload, tag: the tag catches it.  Flags,
       * reserved bytes, length: the header's shape already does. */
      if (offset == 0 || offset >= 8)
        g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_BAD_MAC);
      else
        g_assert_true (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL)
                       || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED));
      copy[offset] ^= bit;
      tested++;
    }
  g_assert_cmpuint (tested, >=, 200);
}

/* Three records back to back, the last one final. */
static GByteArray *
make_stream (void)
{
  GByteArray *stream = g_byte_array_new ();

  for (guint i = 0; i < N_STREAM_RECORDS; i++)
    {
      guint8 flags = i == N_STREAM_RECORDS - 1 ? KF_RECORD_FLAG_FINAL : 0;
      g_autoptr(GBytes) rec = make_record (key_a, KF_RECORD_DATA, flags, i, 40 + i * 16);

      g_byte_array_append (stream, g_bytes_get_data (rec, NULL), g_bytes_get_size (rec));
    }
  return stream;
}

/* Reads records from @data until one fails; returns how many succeeded. */
static guint
read_all (const guint8  *data,
          gsize          len,
          GError       **error)
{
  g_autoptr(KfRecordKey) k = kf_record_key_new (key_a, sizeof key_a, NULL);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data (g_memdup2 (data, len),
                                                                     len, g_free);
  g_autofree guint8 *buf = g_malloc (KF_RECORD_MAX_SIZE);
  KfRecordHeader header;
  guint n = 0;

  while (kf_record_read (in, k, n, buf, KF_RECORD_MAX_SIZE, &header, NULL, error))
    {
      n++;
      if (header.flags & KF_RECORD_FLAG_FINAL)
        break;
    }
  return n;
}

/* Cutting the stream anywhere: at a record boundary the reader sees the
 * connection end; inside a header or a body, a truncated record. */
static void
test_truncation (void)
{
  g_autoptr(GByteArray) stream = make_stream ();
  gsize boundaries[N_STREAM_RECORDS + 1] = { 0 };
  guint b = 0;

  for (guint i = 0; i < N_STREAM_RECORDS; i++)
    boundaries[i + 1] = boundaries[i] + KF_RECORD_HEADER_SIZE + 40 + i * 16 + KF_RECORD_TAG_SIZE;
  g_assert_cmpuint (boundaries[N_STREAM_RECORDS], ==, stream->len);

  for (gsize cut = 0; cut < stream->len; cut++)
    {
      g_autoptr(GError) error = NULL;
      guint n = read_all (stream->data, cut, &error);

      while (boundaries[b + 1] <= cut)
        b++;
      g_assert_cmpuint (n, ==, b);
      if (cut == boundaries[b])
        g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE);
      else
        g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_cmpuint (read_all (stream->data, stream->len, &error), ==, N_STREAM_RECORDS);
    g_assert_no_error (error);
  }
}

/* Authentic records in the wrong place: each is refused by its sequence
 * number, before the caller could see (let alone decrypt) its payload. */
static void
test_order (void)
{
  g_autoptr(KfRecordKey) k = kf_record_key_new (key_a, sizeof key_a, NULL);
  g_autoptr(GBytes) r0 = make_record (key_a, KF_RECORD_DATA, 0, 0, 32);
  g_autoptr(GBytes) r1 = make_record (key_a, KF_RECORD_DATA, 0, 1, 32);
  g_autoptr(GBytes) r2 = make_record (key_a, KF_RECORD_DATA, 0, 2, 32);
  GBytes *reordered[] = { r0, r2 };
  GBytes *duplicated[] = { r0, r1, r1 };
  GBytes *replayed[] = { r0, r1, r0 };
  struct { GBytes **list; guint n; } cases[] = {
    { reordered, G_N_ELEMENTS (reordered) },
    { duplicated, G_N_ELEMENTS (duplicated) },
    { replayed, G_N_ELEMENTS (replayed) },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    for (guint i = 0; i < cases[c].n; i++)
      {
        g_autoptr(GError) error = NULL;
        KfRecordHeader header = { 0 };
        gsize len;
        const guint8 *data = g_bytes_get_data (cases[c].list[i], &len);
        gboolean ok = kf_record_open (k, data, len, i, &header, &error);

        if (i + 1 < cases[c].n)
          {
            g_assert_no_error (error);
            g_assert_true (ok);
          }
        else
          {
            g_assert_false (ok);
            g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_ORDER);
          }
      }
}

/* A record sealed under another session's (or direction's) key. */
static void
test_other_session (void)
{
  g_autoptr(KfRecordKey) k = kf_record_key_new (key_a, sizeof key_a, NULL);
  g_autoptr(GBytes) foreign = make_record (key_b, KF_RECORD_DATA, 0, 0, 64);
  g_autoptr(GError) error = NULL;
  KfRecordHeader header;
  gsize len;
  const guint8 *data = g_bytes_get_data (foreign, &len);

  g_assert_false (kf_record_open (k, data, len, 0, &header, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_BAD_MAC);
}

static void
test_header_limits (void)
{
  KfRecordHeader header = { KF_RECORD_DATA, 0, KF_RECORD_MAX_PAYLOAD, 1 };
  guint8 buf[KF_RECORD_HEADER_SIZE];
  struct { guint offset; guint8 value; } bad[] = {
    { 1, 0x02 }, { 1, 0x80 }, { 2, 1 }, { 3, 1 }, { 4, 0xff },
  };

  kf_record_header_encode (&header, buf);
  g_assert_true (kf_record_header_decode (buf, sizeof buf, &header, NULL));
  g_assert_cmpuint (header.length, ==, KF_RECORD_MAX_PAYLOAD);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint8 copy[KF_RECORD_HEADER_SIZE];
      g_autoptr(GError) error = NULL;

      memcpy (copy, buf, sizeof copy);
      copy[bad[i].offset] = bad[i].value;
      g_assert_false (kf_record_header_decode (copy, sizeof copy, &header, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
    }
  for (gsize len = 0; len < KF_RECORD_HEADER_SIZE; len++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (kf_record_header_decode (buf, len, &header, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED);
    }
}

/* The derivation is HMAC-SHA256(secret, label || context): checked against
 * a value computed independently with
 *   printf 'keyferry peer-link v1 handshake' |
 *     openssl dgst -sha256 -mac HMAC -macopt hexkey:0001...1f */
static void
test_derive (void)
{
  guint8 secret[32];
  guint8 a[32];
  guint8 b[32];
  g_autofree char *hex = NULL;
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 32; i++)
    secret[i] = (guint8) i;
  kf_record_derive_key (secret, sizeof secret, "keyferry peer-link v1 handshake", NULL, 0, a);
  kf_record_derive_key (secret, sizeof secret, "keyferry peer-link v1 offer key", NULL, 0, b);
  g_assert_true (memcmp (a, b, sizeof a) != 0);
  for (guint i = 0; i < 32; i++)
    g_string_append_printf (s, "%02x", a[i]);
  hex = g_string_free (s, FALSE);
  g_assert_cmpstr (hex, ==, "76f23ce322eace5874a1d3b8a598fa9f68c45beca203b0dba1dd2e60886b8485");
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < KF_RECORD_KEY_SIZE; i++)
    {
      key_a[i] = (guint8) (i * 37 + 11);
      key_b[i] = (guint8) (i * 53 + 5);
    }

  g_test_add_func ("/record/round-trip", test_round_trip);
  g_test_add_func ("/record/every-bit-flip-is-caught", test_bit_flips);
  g_test_add_func ("/record/truncation-is-caught", test_truncation);
  g_test_add_func ("/record/reorder-duplicate-replay-are-caught", test_order);
  g_test_add_func ("/record/other-session-is-caught", test_other_session);
  g_test_add_func ("/record/header-limits", test_header_limits);
  g_test_add_func ("/record/derivation-matches-hmac-sha256", test_derive);

  return g_test_run ();
}
