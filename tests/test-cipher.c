/* test-cipher.c: the AES-256 CBC/CFB core against NIST and against itself
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-cipher.h"
#include "kf-gcrypt.h"
#include "kf-hex.h"

typedef struct
{
  guint8     key[KF_CIPHER_KEY_SIZE];
  guint8     iv[KF_CIPHER_IV_SIZE];
  GByteArray *plain;
  GByteArray *cbc;
  GByteArray *cfb;
} Vectors;

static void
append_hex (GByteArray *array,
            const char *hex)
{
  guint8 block[KF_CIPHER_BLOCK_SIZE];
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_hex_decode (hex, block, sizeof block, &error));
  g_assert_no_error (error);
  g_byte_array_append (array, block, sizeof block);
}

/* Reads tests/data/nist-sp800-38a-aes256.txt: "name hex" lines. */
static void
vectors_load (Vectors *v)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data",
                                                 "nist-sp800-38a-aes256.txt", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);

  v->plain = g_byte_array_new ();
  v->cbc = g_byte_array_new ();
  v->cfb = g_byte_array_new ();
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = NULL;
      const char *name;
      const char *value = NULL;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      words = g_strsplit_set (lines[i], " ", -1);
      name = words[0];
      for (guint j = 1; words[j] != NULL && value == NULL; j++)
        if (words[j][0] != '\0')
          value = words[j];
      g_assert_nonnull (value);

      if (g_str_equal (name, "key"))
        g_assert_true (kf_hex_decode (value, v->key, sizeof v->key, NULL));
      else if (g_str_equal (name, "iv"))
        g_assert_true (kf_hex_decode (value, v->iv, sizeof v->iv, NULL));
      else if (g_str_equal (name, "plaintext"))
        append_hex (v->plain, value);
      else if (g_str_equal (name, "cbc"))
        append_hex (v->cbc, value);
      else if (g_str_equal (name, "cfb128"))
        append_hex (v->cfb, value);
    }
  g_assert_cmpuint (v->plain->len, ==, 64);
  g_assert_cmpuint (v->cbc->len, ==, 64);
  g_assert_cmpuint (v->cfb->len, ==, 64);
}

static void
vectors_clear (Vectors *v)
{
  g_byte_array_unref (v->plain);
  g_byte_array_unref (v->cbc);
  g_byte_array_unref (v->cfb);
}

/* Runs @in through a fresh context in pieces of the sizes in @splits
 * (cycled; NULL means one piece) and returns everything it wrote. */
static GByteArray *
run_cipher (KfCipherMode       mode,
            KfCipherDirection  direction,
            const guint8      *key,
            const guint8      *iv,
            const guint8      *in,
            gsize              in_len,
            const gsize       *splits,
            gsize              n_splits,
            guint64           *blocks,
            GError           **error)
{
  g_autoptr(KfCipher) cipher = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize pos = 0;
  gsize piece = 0;
  gsize out_len;
  guint8 tail[KF_CIPHER_BLOCK_SIZE];

  cipher = kf_cipher_new (mode, direction, key, KF_CIPHER_KEY_SIZE, iv, KF_CIPHER_IV_SIZE, error);
  if (cipher == NULL)
    return NULL;

  while (pos < in_len)
    {
      gsize want = splits ? splits[piece++ % n_splits] : in_len;
      gsize n = MIN (want, in_len - pos);
      guint8 *buf = g_malloc (n + KF_CIPHER_BLOCK_SIZE);

      if (!kf_cipher_update (cipher, in + pos, n, buf, n + KF_CIPHER_BLOCK_SIZE, &out_len, error))
        {
          g_free (buf);
          return NULL;
        }
      g_byte_array_append (out, buf, out_len);
      g_free (buf);
      pos += n;
    }

  if (!kf_cipher_finish (cipher, tail, sizeof tail, &out_len, error))
    return NULL;
  g_byte_array_append (out, tail, out_len);
  if (blocks != NULL)
    *blocks = kf_cipher_get_blocks (cipher);

  return g_steal_pointer (&out);
}

static void
assert_bytes_equal (GByteArray   *got,
                    const guint8 *want,
                    gsize         want_len)
{
  g_assert_nonnull (got);
  g_assert_cmpmem (got->data, got->len, want, want_len);
}

/* F.2.5/F.2.6: CBC without padding is our CBC minus its last (padding)
 * block, so the first 64 bytes of our output must be NIST's. */
static void
test_nist_cbc (void)
{
  Vectors v;
  g_autoptr(GByteArray) enc = NULL;
  g_autoptr(GByteArray) dec = NULL;
  g_autoptr(GError) error = NULL;
  guint64 blocks = 0;

  vectors_load (&v);
  enc = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, v.key, v.iv,
                    v.plain->data, v.plain->len, NULL, 0, &blocks, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (enc->len, ==, 80);
  g_assert_cmpmem (enc->data, 64, v.cbc->data, 64);
  g_assert_cmpuint (blocks, ==, 5);

  dec = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, v.key, v.iv,
                    enc->data, enc->len, NULL, 0, &blocks, &error);
  g_assert_no_error (error);
  assert_bytes_equal (dec, v.plain->data, 64);
  g_assert_cmpuint (blocks, ==, 5);
  vectors_clear (&v);
}

/* F.3.17/F.3.18: CFB-128 is a stream mode, so all four blocks match
 * exactly, in both directions, block by block. */
static void
test_nist_cfb (void)
{
  Vectors v;
  const gsize block_split[] = { 16 };
  g_autoptr(GByteArray) enc = NULL;
  g_autoptr(GByteArray) dec = NULL;
  g_autoptr(GError) error = NULL;
  guint64 blocks = 0;

  vectors_load (&v);
  enc = run_cipher (KF_CIPHER_MODE_CFB, KF_CIPHER_ENCRYPT, v.key, v.iv,
                    v.plain->data, v.plain->len, block_split, 1, &blocks, &error);
  g_assert_no_error (error);
  assert_bytes_equal (enc, v.cfb->data, 64);
  g_assert_cmpuint (blocks, ==, 4);

  dec = run_cipher (KF_CIPHER_MODE_CFB, KF_CIPHER_DECRYPT, v.key, v.iv,
                    v.cfb->data, v.cfb->len, block_split, 1, &blocks, &error);
  g_assert_no_error (error);
  assert_bytes_equal (dec, v.plain->data, 64);
  g_assert_cmpuint (blocks, ==, 4);
  vectors_clear (&v);
}

/* The block count rule, written out independently of the cipher. */
static guint64
expected_blocks (KfCipherMode mode,
                 gsize        len)
{
  if (mode == KF_CIPHER_MODE_CBC)
    return len / 16 + 1;
  return (len + 15) / 16;
}

static void
round_trip (KfCipherMode mode,
            gsize        len,
            GRand       *rand)
{
  guint8 key[KF_CIPHER_KEY_SIZE];
  guint8 iv[KF_CIPHER_IV_SIZE];
  g_autofree guint8 *plain = g_malloc (len + 1);
  g_autoptr(GByteArray) whole = NULL;
  g_autoptr(GByteArray) pieces = NULL;
  g_autoptr(GByteArray) back = NULL;
  g_autoptr(GError) error = NULL;
  gsize splits[7];
  guint64 enc_blocks = 0;
  guint64 dec_blocks = 0;

  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8) g_rand_int (rand);
  for (gsize i = 0; i < sizeof iv; i++)
    iv[i] = (guint8) g_rand_int (rand);
  for (gsize i = 0; i < len; i++)
    plain[i] = (guint8) g_rand_int (rand);
  for (gsize i = 0; i < G_N_ELEMENTS (splits); i++)
    splits[i] = (gsize) g_rand_int_range (rand, 1, len < 64 ? 20 : (gint32) MIN (len, 70000));

  whole = run_cipher (mode, KF_CIPHER_ENCRYPT, key, iv, plain, len, NULL, 0, &enc_blocks, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (whole->len, ==, kf_cipher_encrypted_size (mode, len));
  g_assert_cmpuint (enc_blocks, ==, expected_blocks (mode, len));

  pieces = run_cipher (mode, KF_CIPHER_ENCRYPT, key, iv, plain, len,
                       splits, G_N_ELEMENTS (splits), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (pieces->data, pieces->len, whole->data, whole->len);

  back = run_cipher (mode, KF_CIPHER_DECRYPT, key, iv, whole->data, whole->len,
                     splits, G_N_ELEMENTS (splits), &dec_blocks, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->data, back->len, plain, len);
  g_assert_cmpuint (dec_blocks, ==, enc_blocks);
}

static void
test_round_trip_small (gconstpointer data)
{
  KfCipherMode mode = GPOINTER_TO_INT (data);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());

  for (gsize len = 0; len <= 100; len++)
    round_trip (mode, len, rand);
}

static void
test_round_trip_large (gconstpointer data)
{
  KfCipherMode mode = GPOINTER_TO_INT (data);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  const gsize sizes[] = { 4095, 4096, 4097, 65536 + 7, 1024 * 1024, 3 * 1024 * 1024 + 5 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    round_trip (mode, sizes[i], rand);
}

static void
test_key_and_iv_length (void)
{
  guint8 key[KF_CIPHER_KEY_SIZE + 1] = { 0 };
  guint8 iv[KF_CIPHER_IV_SIZE + 1] = { 0 };
  g_autoptr(GError) error = NULL;
  KfCipher *cipher;

  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, key, 16, iv, 16, &error);
  g_assert_null (cipher);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_KEY_LENGTH);
  g_assert_nonnull (strstr (error->message, "32 bytes"));
  g_clear_error (&error);

  cipher = kf_cipher_new (KF_CIPHER_MODE_CFB, KF_CIPHER_DECRYPT, key, 32, iv, 17, &error);
  g_assert_null (cipher);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_IV_LENGTH);
  g_clear_error (&error);

  cipher = kf_cipher_new (KF_CIPHER_MODE_CFB, KF_CIPHER_DECRYPT, key, 32, NULL, 16, &error);
  g_assert_null (cipher);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_IV_LENGTH);
}

static void
test_bad_padding (void)
{
  guint8 key[KF_CIPHER_KEY_SIZE] = { 1 };
  guint8 iv[KF_CIPHER_IV_SIZE] = { 2 };
  guint8 other_key[KF_CIPHER_KEY_SIZE] = { 3 };
  const guint8 plain[40] = { 0 };
  g_autoptr(GByteArray) enc = NULL;
  g_autoptr(GByteArray) dec = NULL;
  g_autoptr(GError) error = NULL;

  enc = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, key, iv, plain, sizeof plain,
                    NULL, 0, NULL, &error);
  g_assert_no_error (error);

  /* Flip the last byte: the padding byte decrypts to garbage. */
  enc->data[enc->len - 1] ^= 0x5a;
  dec = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, key, iv, enc->data, enc->len,
                    NULL, 0, NULL, &error);
  g_assert_null (dec);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_BAD_PADDING);
  g_clear_error (&error);
  enc->data[enc->len - 1] ^= 0x5a;

  /* The wrong key gives bad padding too (with overwhelming probability for
   * this fixed key pair, which the test pins). */
  dec = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, other_key, iv, enc->data, enc->len,
                    NULL, 0, NULL, &error);
  g_assert_null (dec);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_BAD_PADDING);
}

static void
test_truncated (void)
{
  guint8 key[KF_CIPHER_KEY_SIZE] = { 1 };
  guint8 iv[KF_CIPHER_IV_SIZE] = { 2 };
  const guint8 data[33] = { 0 };
  g_autoptr(GByteArray) dec = NULL;
  g_autoptr(GError) error = NULL;

  dec = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, key, iv, data, 33,
                    NULL, 0, NULL, &error);
  g_assert_null (dec);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "mid-block"));
  g_clear_error (&error);

  dec = run_cipher (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, key, iv, data, 0,
                    NULL, 0, NULL, &error);
  g_assert_null (dec);
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);

  /* CFB has no blocks to end mid-way: 33 bytes decrypt to 33 bytes. */
  dec = run_cipher (KF_CIPHER_MODE_CFB, KF_CIPHER_DECRYPT, key, iv, data, 33,
                    NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dec->len, ==, 33);
}

static void
test_use_after_finish (void)
{
  guint8 key[KF_CIPHER_KEY_SIZE] = { 0 };
  guint8 iv[KF_CIPHER_IV_SIZE] = { 0 };
  guint8 out[64];
  gsize out_len;
  g_autoptr(KfCipher) cipher = NULL;
  g_autoptr(GError) error = NULL;

  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, key, 32, iv, 16, &error);
  g_assert_true (kf_cipher_finish (cipher, out, sizeof out, &out_len, &error));
  g_assert_cmpuint (out_len, ==, 16);
  g_assert_false (kf_cipher_update (cipher, out, 16, out + 16, 48, &out_len, &error));
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_FINISHED);
  g_clear_error (&error);
  g_assert_false (kf_cipher_finish (cipher, out, sizeof out, &out_len, &error));
  g_assert_error (error, KF_CIPHER_ERROR, KF_CIPHER_ERROR_FINISHED);
}

static void
test_mode_strings (void)
{
  KfCipherMode mode = KF_CIPHER_MODE_CFB;

  g_assert_true (kf_cipher_mode_from_string ("CBC", &mode));
  g_assert_cmpint (mode, ==, KF_CIPHER_MODE_CBC);
  g_assert_true (kf_cipher_mode_from_string ("cfb", &mode));
  g_assert_cmpint (mode, ==, KF_CIPHER_MODE_CFB);
  g_assert_false (kf_cipher_mode_from_string ("ecb", &mode));
  g_assert_false (kf_cipher_mode_from_string (NULL, &mode));
  g_assert_cmpstr (kf_cipher_mode_to_string (KF_CIPHER_MODE_CBC), ==, "cbc");
  g_assert_cmpuint (kf_cipher_encrypted_size (KF_CIPHER_MODE_CBC, 16), ==, 32);
  g_assert_cmpuint (kf_cipher_encrypted_size (KF_CIPHER_MODE_CFB, 17), ==, 17);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cipher/nist-cbc-aes256", test_nist_cbc);
  g_test_add_func ("/cipher/nist-cfb128-aes256", test_nist_cfb);
  g_test_add_data_func ("/cipher/round-trip-0-100/cbc", GINT_TO_POINTER (KF_CIPHER_MODE_CBC),
                        test_round_trip_small);
  g_test_add_data_func ("/cipher/round-trip-0-100/cfb", GINT_TO_POINTER (KF_CIPHER_MODE_CFB),
                        test_round_trip_small);
  g_test_add_data_func ("/cipher/round-trip-large/cbc", GINT_TO_POINTER (KF_CIPHER_MODE_CBC),
                        test_round_trip_large);
  g_test_add_data_func ("/cipher/round-trip-large/cfb", GINT_TO_POINTER (KF_CIPHER_MODE_CFB),
                        test_round_trip_large);
  g_test_add_func ("/cipher/key-and-iv-length", test_key_and_iv_length);
  g_test_add_func ("/cipher/bad-padding", test_bad_padding);
  g_test_add_func ("/cipher/truncated", test_truncated);
  g_test_add_func ("/cipher/use-after-finish", test_use_after_finish);
  g_test_add_func ("/cipher/mode-strings", test_mode_strings);

  return g_test_run ();
}
