/* test-km-hello.c: the `hello` signature of protocol version 2
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test vector of docs/PROTOCOL.md part 1 §4.2, and what a changed
 * byte anywhere does to the verification.
 */

#include "config.h"

#include <string.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-km-hello.h"

#define SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define PUBLIC_KEY "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define SIGNED "6b65796665727279206b6d2076322068656c6c6f000102030405060708090a0b0c0d0e0f" \
               "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233" \
               "3435363738393a3b3c3d3e3f0003426f62"
#define SIGNATURE "3a60c7ffba434daa141d4ebc0059500d97c6dae3c8802e757f8f9bc47b9cd326" \
                  "fdd24ec0f1a264f284b7b6463627e692d9ae663a742bdc5b24622b3ffc620006"

typedef struct
{
  guint8 seed[32];
  guint8 challenge[32];
  guint8 exporter[32];
} Vector;

static void
vector_init (Vector *v)
{
  g_assert_true (kf_hex_decode (SEED, v->seed, sizeof v->seed, NULL));
  for (guint i = 0; i < 32; i++)
    {
      v->challenge[i] = (guint8) i;
      v->exporter[i] = (guint8) (0x20 + i);
    }
}

/* The bytes, the key and the signature of the document's vector. */
static void
test_hello_vector (void)
{
  Vector v;
  g_autoptr(KfIdentity) identity = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *bytes_hex = NULL;
  g_autofree char *key_hex = NULL;
  g_autofree char *signature_hex = NULL;
  guint8 signature[64];
  gsize len;
  const guint8 *data;

  vector_init (&v);
  identity = kf_identity_new_from_seed (v.seed);
  bytes = kf_km_hello_signed_bytes (v.challenge, v.exporter, "Bob");
  data = g_bytes_get_data (bytes, &len);
  bytes_hex = kf_hex_encode (data, len);
  g_assert_cmpstr (bytes_hex, ==, SIGNED);
  key_hex = kf_hex_encode (kf_identity_get_public_key (identity), 32);
  g_assert_cmpstr (key_hex, ==, PUBLIC_KEY);
  kf_km_hello_sign (identity, v.challenge, v.exporter, "Bob", signature);
  signature_hex = kf_hex_encode (signature, sizeof signature);
  g_assert_cmpstr (signature_hex, ==, SIGNATURE);
  g_assert_true (kf_km_hello_verify (kf_identity_get_public_key (identity), v.challenge,
                                     v.exporter, "Bob", signature));
}

/* Another challenge, exporter (another TLS connection), name, key or a
 * flipped signature bit: refused. */
static void
test_hello_tampering (void)
{
  Vector v;
  g_autoptr(KfIdentity) identity = NULL;
  guint8 signature[64];
  guint8 other[32];
  const guint8 *key;

  vector_init (&v);
  identity = kf_identity_new_from_seed (v.seed);
  key = kf_identity_get_public_key (identity);
  kf_km_hello_sign (identity, v.challenge, v.exporter, "Bob", signature);

  memcpy (other, v.challenge, 32);
  other[31] ^= 1;
  g_assert_false (kf_km_hello_verify (key, other, v.exporter, "Bob", signature));
  memcpy (other, v.exporter, 32);
  other[0] ^= 0x80;
  g_assert_false (kf_km_hello_verify (key, v.challenge, other, "Bob", signature));
  g_assert_false (kf_km_hello_verify (key, v.challenge, v.exporter, "bob", signature));
  g_assert_false (kf_km_hello_verify (key, v.challenge, v.exporter, "Bob ", signature));
  memcpy (other, key, 32);
  other[5] ^= 4;
  g_assert_false (kf_km_hello_verify (other, v.challenge, v.exporter, "Bob", signature));
  signature[63] ^= 0x01;
  g_assert_false (kf_km_hello_verify (key, v.challenge, v.exporter, "Bob", signature));
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/km-hello/vector", test_hello_vector);
  g_test_add_func ("/km-hello/tampering", test_hello_tampering);

  return g_test_run ();
}
