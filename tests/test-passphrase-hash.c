/* test-passphrase-hash.c: the stored Argon2id hash, PHC string format
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Known answers come from the reference implementation's command-line tool
 * (Debian package argon2, 0~20171227), not from libgcrypt: each vector's
 * command is beside it.  They are checked in, so the test needs no tool.
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"
#include "kf-passphrase-hash.h"
#include "kf-secure.h"
#include "kf-test-util.h"

typedef struct
{
  const char *phc;
  const char *passphrase;
  guint       m, t, p;
} Vector;

static const Vector vectors[] = {
  /* echo -n "open sesame" | argon2 saltsaltsaltsalt -id -t 1 -k 8192 -p 1 -l 16 -e */
  { "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$m28C/TrRnrg/yf4S3TFE4Q",
    "open sesame", 8192, 1, 1 },
  /* echo -n "correct horse battery staple" | argon2 keyferry-salt-16 -id -t 2 -k 8192 -p 2 -l 32 -e */
  { "$argon2id$v=19$m=8192,t=2,p=2$a2V5ZmVycnktc2FsdC0xNg$Qqs/cM4ErMkjqDJJZ31KyjNRFFDxQVlqRRq5zORK4Dg",
    "correct horse battery staple", 8192, 2, 2 },
  /* echo -n "Keyferry ✓ ümlaut" | argon2 '8bytes!!' -id -t 1 -k 8195 -p 3 -l 64 -e
   * (an 8-byte salt, a 64-byte hash, m not a multiple of 4 p) */
  { "$argon2id$v=19$m=8195,t=1,p=3$OGJ5dGVzISE$nLWxwmdmUFqFpyEiXYLVD5nLz5zmtl9NPf+hQYe2XT3wpvzur64j9DXUVsErHxypR3MJ4nwj9Yj4vGF+ztPBvA",
    "Keyferry ✓ ümlaut", 8195, 1, 3 },
  /* echo -n x | argon2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
   *   -id -t 4 -k 128 -p 16 -l 17 -e   (a 64-byte salt, 17-byte hash, 16 lanes) */
  { "$argon2id$v=19$m=128,t=4,p=16$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg$8t+ss5qezUCX4xjuY43Tizo",
    "x", 128, 4, 16 },
  /* the same with -l 18 */
  { "$argon2id$v=19$m=128,t=4,p=16$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg$AxS4HViyu5Su0l+3iMhsNQ3n",
    "x", 128, 4, 16 },
};

/* The base every malformed case below is a variation of (vector 0). */
#define GOOD_HEAD "$argon2id$v=19$m=8192,t=1,p=1$"
#define GOOD_SALT "c2FsdHNhbHRzYWx0c2FsdA"
#define GOOD_TAG  "m28C/TrRnrg/yf4S3TFE4Q"
#define GOOD      GOOD_HEAD GOOD_SALT "$" GOOD_TAG

static KfPassphraseHash *
parse (const char  *text,
       GError     **error)
{
  return kf_passphrase_hash_parse (text, strlen (text), error);
}

/* Base64 without padding, as the PHC format writes it. */
static char *
b64 (const guint8 *data,
     gsize         len)
{
  char *text = g_base64_encode (data, len);

  text[strcspn (text, "=")] = '\0';
  return text;
}

/* A PHC string with @salt_len and @tag_len bytes of a fixed pattern. */
static char *
make_phc (const char *params,
          gsize       salt_len,
          gsize       tag_len)
{
  guint8 bytes[80];
  g_autofree char *salt = NULL;
  g_autofree char *tag = NULL;

  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) (i * 37 + 11);
  salt = b64 (bytes, salt_len);
  tag = b64 (bytes + 7, tag_len);
  return g_strdup_printf ("$argon2id$v=19$%s$%s$%s", params, salt, tag);
}

static void
assert_round_trip (const char *phc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPassphraseHash) hash = parse (phc, &error);
  char *again;

  g_assert_no_error (error);
  g_assert_nonnull (hash);
  again = kf_passphrase_hash_to_string (hash);
  g_assert_cmpstr (again, ==, phc);
  kf_secure_strfree (again);
}

/* The reference tool's hashes verify with the right passphrase only, and
 * are written back byte for byte. */
static void
test_known_answers (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = parse (vectors[i].phc, &error);
      g_autofree char *wrong = g_strconcat (vectors[i].passphrase, "!", NULL);
      gboolean matches = FALSE;

      g_test_message ("vector %u", i);
      g_assert_no_error (error);
      g_assert_cmpuint (kf_passphrase_hash_get_memory_kib (hash), ==, vectors[i].m);
      g_assert_cmpuint (kf_passphrase_hash_get_passes (hash), ==, vectors[i].t);
      g_assert_cmpuint (kf_passphrase_hash_get_lanes (hash), ==, vectors[i].p);
      assert_round_trip (vectors[i].phc);

      g_assert_true (kf_passphrase_hash_verify (hash, vectors[i].passphrase, &matches, &error));
      g_assert_no_error (error);
      g_assert_true (matches);
      g_assert_true (kf_passphrase_hash_verify (hash, wrong, &matches, &error));
      g_assert_no_error (error);
      g_assert_false (matches);
    }
}

/* A bit flipped in the first or the last byte of the stored hash makes the
 * right passphrase fail: the whole tag is compared, not a prefix. */
static void
test_every_tag_byte_counts (void)
{
  const char *phc = vectors[1].phc;
  const char *tag = strrchr (phc, '$') + 1;
  g_autofree guint8 *raw = NULL;
  gsize raw_len = 0;
  g_autofree char *padded = g_strconcat (tag, "=", NULL);

  raw = g_base64_decode (padded, &raw_len);
  g_assert_cmpuint (raw_len, ==, 32);
  for (gsize i = 0; i < raw_len; i += 31)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = NULL;
      g_autofree char *flipped = NULL;
      g_autofree char *text = NULL;
      gboolean matches = TRUE;

      raw[i] ^= 0x01;
      flipped = b64 (raw, raw_len);
      raw[i] ^= 0x01;
      text = g_strdup_printf ("%.*s%s", (int) (tag - phc), phc, flipped);
      hash = parse (text, &error);
      g_assert_no_error (error);
      g_assert_true (kf_passphrase_hash_verify (hash, vectors[1].passphrase, &matches, &error));
      g_assert_no_error (error);
      g_assert_false (matches);
    }
}

/* kf_passphrase_hash_new(): a fresh salt every time, and the string it
 * writes parses back to the same hash. */
static void
test_new_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPassphraseHash) a = kf_passphrase_hash_new ("hunter2", 1, 64, 2, &error);
  g_autoptr(KfPassphraseHash) b = kf_passphrase_hash_new ("hunter2", 1, 64, 2, &error);
  g_autoptr(KfPassphraseHash) parsed = NULL;
  char *text_a, *text_b, *text_parsed;
  gboolean matches = FALSE;

  g_assert_no_error (error);
  text_a = kf_passphrase_hash_to_string (a);
  text_b = kf_passphrase_hash_to_string (b);
  g_assert_true (g_str_has_prefix (text_a, "$argon2id$v=19$m=64,t=1,p=2$"));
  /* 16-byte salt: 22 characters; 32-byte hash: 43. */
  g_assert_cmpuint (strlen (text_a), ==, strlen ("$argon2id$v=19$m=64,t=1,p=2$") + 22 + 1 + 43);
  g_assert_cmpstr (text_a, !=, text_b);

  parsed = parse (text_a, &error);
  g_assert_no_error (error);
  text_parsed = kf_passphrase_hash_to_string (parsed);
  g_assert_cmpstr (text_parsed, ==, text_a);
  g_assert_true (kf_passphrase_hash_verify (parsed, "hunter2", &matches, &error));
  g_assert_true (matches);
  g_assert_true (kf_passphrase_hash_verify (parsed, "hunter3", &matches, &error));
  g_assert_false (matches);
  g_assert_true (kf_passphrase_hash_verify (b, "hunter2", &matches, &error));
  g_assert_true (matches);
  g_assert_no_error (error);

  kf_secure_strfree (text_a);
  kf_secure_strfree (text_b);
  kf_secure_strfree (text_parsed);
}

static void
test_new_refuses_bad_parameters (void)
{
  const guint cases[][3] = {
    { 0, 64, 1 }, { 17, 64, 1 }, { 1, 64, 0 }, { 1, 128, 17 }, { 1, 15, 2 },
    { 1, KF_PASSPHRASE_HASH_MAX_MEMORY_KIB + 1, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = kf_passphrase_hash_new ("pw", cases[i][0], cases[i][1],
                                                                  cases[i][2], &error);

      g_assert_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID);
      g_assert_null (hash);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KfPassphraseHash) hash = kf_passphrase_hash_new ("", 1, 64, 1, &error);

    g_assert_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID);
    g_assert_null (hash);
  }
}

/* The edges of every bound parse and are written back unchanged (parsed
 * only: no Argon2id of 4 GiB is computed). */
static void
test_bounds_accepted (void)
{
  const struct { const char *params; gsize salt, tag; } cases[] = {
    { "m=8,t=1,p=1", 8, 16 },
    { "m=4194304,t=16,p=16", 64, 64 },
    { "m=128,t=1,p=16", 9, 17 },
    { "m=65536,t=3,p=4", 10, 18 },
    { "m=19456,t=2,p=1", 16, 32 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *phc = make_phc (cases[i].params, cases[i].salt, cases[i].tag);
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = parse (phc, &error);

      g_test_message ("%s", phc);
      g_assert_no_error (error);
      assert_round_trip (phc);
    }
}

/* Every malformed shape is refused, with a message naming what is wrong
 * and quoting nothing of the input. */
static void
test_malformed (void)
{
  g_autofree char *salt7 = make_phc ("m=8192,t=1,p=1", 7, 16);
  g_autofree char *salt65 = make_phc ("m=8192,t=1,p=1", 65, 16);
  g_autofree char *tag15 = make_phc ("m=8192,t=1,p=1", 8, 15);
  g_autofree char *tag65 = make_phc ("m=8192,t=1,p=1", 8, 65);
  const struct { const char *text; const char *says; } cases[] = {
    { "", "it is empty" },
    { "$argon2i$v=19$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "does not start with “$argon2id$”" },
    { "$argon2d$v=19$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "does not start with “$argon2id$”" },
    { "$ARGON2ID$v=19$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "does not start with “$argon2id$”" },
    { "argon2id$v=19$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "does not start with “$argon2id$”" },
    { " " GOOD, "does not start with “$argon2id$”" },
    { "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA", "does not start with “$argon2id$”" },
    { "$argon2id", "does not start with “$argon2id$”" },
    { "$argon2id$v=16$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "the version is not “v=19”" },
    { "$argon2id$v=019$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "the version is not “v=19”" },
    { "$argon2id$m=8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "the version is not “v=19”" },
    { "$argon2id$v=19", "the version is not “v=19”" },
    { "$argon2id$v=19$t=1,m=8192,p=1$" GOOD_SALT "$" GOOD_TAG, "the parameters are not" },
    { "$argon2id$v=19$m=8192,p=1,t=1$" GOOD_SALT "$" GOOD_TAG, "the parameters are not" },
    { "$argon2id$v=19$m=8192,t=1$" GOOD_SALT "$" GOOD_TAG, "the parameters are not" },
    { "$argon2id$v=19$m=8192,t=1,p=1,keyid=ab$" GOOD_SALT "$" GOOD_TAG, "the parameters are not" },
    { "$argon2id$v=19$m=8192, t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "the parameters are not" },
    { "$argon2id$v=19$m=8192,t=1,p=1", "the parameters are not" },
    { "$argon2id$v=19$" GOOD_SALT "$" GOOD_TAG, "the parameters are not" },
    { "$argon2id$v=19$m= 8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is not a decimal number" },
    { "$argon2id$v=19$m=+8192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is not a decimal number" },
    { "$argon2id$v=19$m=-8,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is not a decimal number" },
    { "$argon2id$v=19$m=08192,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is not a decimal number" },
    { "$argon2id$v=19$m=0x2000,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range" },
    { "$argon2id$v=19$m=,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is not a decimal number" },
    { "$argon2id$v=19$m=0,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range: it must be from 8 to 4194304" },
    { "$argon2id$v=19$m=7,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range" },
    { "$argon2id$v=19$m=4194305,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range" },
    { "$argon2id$v=19$m=4294967,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range" },
    { "$argon2id$v=19$m=4294967296,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range" },
    { "$argon2id$v=19$m=99999999999999999999999999,t=1,p=1$" GOOD_SALT "$" GOOD_TAG, "m is out of range" },
    { "$argon2id$v=19$m=8192,t=0,p=1$" GOOD_SALT "$" GOOD_TAG, "t is out of range: it must be from 1 to 16" },
    { "$argon2id$v=19$m=8192,t=17,p=1$" GOOD_SALT "$" GOOD_TAG, "t is out of range" },
    { "$argon2id$v=19$m=8192,t=01,p=1$" GOOD_SALT "$" GOOD_TAG, "t is not a decimal number" },
    { "$argon2id$v=19$m=8192,t=1,p=0$" GOOD_SALT "$" GOOD_TAG, "p is out of range: it must be from 1 to 16" },
    { "$argon2id$v=19$m=8192,t=1,p=17$" GOOD_SALT "$" GOOD_TAG, "p is out of range" },
    { "$argon2id$v=19$m=8192,t=1,p=4294967297$" GOOD_SALT "$" GOOD_TAG, "p is out of range" },
    { "$argon2id$v=19$m=15,t=1,p=2$" GOOD_SALT "$" GOOD_TAG, "m is too small: Argon2 needs at least 8 KiB per lane, 16 KiB for p=2" },
    { "$argon2id$v=19$m=127,t=1,p=16$" GOOD_SALT "$" GOOD_TAG, "m is too small" },
    { GOOD_HEAD "c2FsdHNhbHRzYWx0c2FsdA==$" GOOD_TAG, "the salt ends in base64 padding" },
    { GOOD_HEAD "c2FsdHNhbHRzYWx0c2Fsd-$" GOOD_TAG, "the salt is not standard base64" },
    { GOOD_HEAD "c2FsdHNhbHRzYWx0c2Fsd_$" GOOD_TAG, "the salt is not standard base64" },
    { GOOD_HEAD "c2FsdHNhbHRz YWx0c2FsdA$" GOOD_TAG, "the salt is not standard base64" },
    { GOOD_HEAD "c2FsdHNhbHRzYWx0c2FsdA\n$" GOOD_TAG, "the salt is not standard base64" },
    { GOOD_HEAD GOOD_SALT, "the salt is not standard base64 (A–Z, a–z, 0–9, + and /) followed by “$”" },
    { GOOD_HEAD "$" GOOD_TAG, "the salt must be 8 to 64 bytes (11 to 86 base64 characters)" },
    { salt7, "the salt must be 8 to 64 bytes" },
    { salt65, "the salt must be 8 to 64 bytes" },
    { GOOD_HEAD "c2FsdHNhbHRzY$" GOOD_TAG, "the salt is cut short" },
    { GOOD_HEAD "c2FsdHNhbHRzYWx0c2FsdB$" GOOD_TAG, "the salt is not canonical base64" },
    { GOOD_HEAD GOOD_SALT "$", "the hash must be 16 to 64 bytes (22 to 86 base64 characters)" },
    { tag15, "the hash must be 16 to 64 bytes" },
    { tag65, "the hash must be 16 to 64 bytes" },
    { GOOD_HEAD GOOD_SALT "$" GOOD_TAG "==", "the hash ends in base64 padding" },
    { GOOD "\n", "the hash is not standard base64 (A–Z, a–z, 0–9, + and /) up to the end" },
    { GOOD "\r\n", "the hash is not standard base64" },
    { GOOD " ", "the hash is not standard base64" },
    { GOOD "$", "the hash is not standard base64" },
    { GOOD "$c2FsdA", "the hash is not standard base64" },
    { GOOD_HEAD GOOD_SALT "$m28C/TrRnrg/yf4S3TFE4\xc3\xa9", "the hash is not standard base64" },
    { GOOD_HEAD GOOD_SALT "$m28C/TrRnrg/yf4S3TFE4R", "the hash is not canonical base64" },
    { GOOD_HEAD GOOD_SALT "$" GOOD_TAG "AAA", "the hash is cut short" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = parse (cases[i].text, &error);

      g_test_message ("case %u: %s", i, cases[i].says);
      g_assert_null (hash);
      g_assert_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID);
      g_test_message ("→ %s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].says));
      g_assert_null (strstr (error->message, "m28C"));
      g_assert_null (strstr (error->message, "c2Fsd"));
    }
}

/* Input is bytes with a length: a NUL is invalid, and nothing past @len
 * is read. */
static void
test_length_is_respected (void)
{
  static const char with_nul[] = GOOD_HEAD GOOD_SALT "$m28C/TrRnrg\0yf4S3TFE4Q";
  g_autofree char *longer = g_strconcat (GOOD, "$trailing", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPassphraseHash) cut = kf_passphrase_hash_parse (longer, strlen (GOOD), &error);
  g_autoptr(KfPassphraseHash) nul = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (cut);
  nul = kf_passphrase_hash_parse (with_nul, sizeof with_nul - 1, &error);
  g_assert_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID);
  g_assert_null (nul);
}

typedef KfTestTmpFile Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  kf_test_tmp_file_init (f, "kf-passphrase-hash-XXXXXX", "admission.hash", NULL);
}

static void
write_file (Fixture    *f,
            const char *contents,
            gssize      len,
            int         mode)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (f->path, contents, len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (f->path, mode), ==, 0);
}

/* A file with one line and a final line break loads; a private one without
 * a warning. */
static void
test_load_good (Fixture       *f,
                gconstpointer  data)
{
  for (guint with_lf = 0; with_lf < 2; with_lf++)
    {
      g_autofree char *contents = g_strconcat (vectors[0].phc, with_lf ? "\n" : "", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = NULL;
      g_autofree char *warning = NULL;
      gboolean matches = FALSE;

      write_file (f, contents, -1, 0600);
      hash = kf_passphrase_hash_load (f->path, &warning, &error);
      g_assert_no_error (error);
      g_assert_null (warning);
      g_assert_true (kf_passphrase_hash_verify (hash, vectors[0].passphrase, &matches, &error));
      g_assert_true (matches);
    }
}

/* Readable by others: loads, with a warning; writable by others: refused. */
static void
test_load_permissions (Fixture       *f,
                       gconstpointer  data)
{
  const int readable[] = { 0640, 0604, 0444 };
  const int writable[] = { 0620, 0602, 0666 };

  for (guint i = 0; i < G_N_ELEMENTS (readable); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = NULL;
      g_autofree char *warning = NULL;

      write_file (f, vectors[0].phc, -1, readable[i]);
      hash = kf_passphrase_hash_load (f->path, &warning, &error);
      g_assert_no_error (error);
      g_assert_nonnull (hash);
      g_assert_nonnull (warning);
      g_assert_nonnull (strstr (warning, "readable by other users"));
      g_assert_nonnull (strstr (warning, f->path));
    }
  for (guint i = 0; i < G_N_ELEMENTS (writable); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = NULL;

      write_file (f, vectors[0].phc, -1, writable[i]);
      hash = kf_passphrase_hash_load (f->path, NULL, &error);
      g_assert_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_PERMISSIONS);
      g_assert_null (hash);
      g_assert_nonnull (strstr (error->message, "writable by other users"));
    }
}

/* A malformed file names the file, the fault and the fix; so do a file too
 * long, a missing one and a directory. */
static void
test_load_bad (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *two_lines = g_strconcat (vectors[0].phc, "\n", vectors[1].phc, "\n", NULL);
  g_autofree char *crlf = g_strconcat (vectors[0].phc, "\r\n", NULL);
  g_autofree char *huge = g_strnfill (KF_PASSPHRASE_HASH_MAX_FILE + 1, 'A');
  g_autofree char *at_limit = g_strnfill (KF_PASSPHRASE_HASH_MAX_FILE, 'A');
  const struct { const char *contents; const char *says; } cases[] = {
    { "", "is malformed: it is empty" },
    { "\n", "is malformed: it is empty" },
    { two_lines, "is malformed: the hash is not standard base64" },
    { crlf, "is malformed: the hash is not standard base64" },
    { "$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
      "is malformed: it does not start with “$argon2id$”" },
    { at_limit, "is malformed: it does not start" },
    { huge, "is longer than 1024 bytes" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfPassphraseHash) hash = NULL;

      write_file (f, cases[i].contents, -1, 0600);
      hash = kf_passphrase_hash_load (f->path, NULL, &error);
      g_assert_null (hash);
      g_assert_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, f->path));
      g_assert_nonnull (strstr (error->message, cases[i].says));
      if (strstr (cases[i].says, "malformed") != NULL)
        g_assert_nonnull (strstr (error->message, "keyferry-server --hash-passphrase"));
    }

  g_remove (f->path);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KfPassphraseHash) hash = kf_passphrase_hash_load (f->path, NULL, &error);

    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_null (hash);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KfPassphraseHash) hash = kf_passphrase_hash_load (f->dir, NULL, &error);

    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_assert_nonnull (strstr (error->message, "not a regular file"));
    g_assert_null (hash);
  }
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/passphrase-hash/known-answers", test_known_answers);
  g_test_add_func ("/passphrase-hash/every-tag-byte-counts", test_every_tag_byte_counts);
  g_test_add_func ("/passphrase-hash/new-round-trip", test_new_round_trip);
  g_test_add_func ("/passphrase-hash/new-refuses-bad-parameters", test_new_refuses_bad_parameters);
  g_test_add_func ("/passphrase-hash/bounds-accepted", test_bounds_accepted);
  g_test_add_func ("/passphrase-hash/malformed", test_malformed);
  g_test_add_func ("/passphrase-hash/length-is-respected", test_length_is_respected);
  g_test_add ("/passphrase-hash/load-good", Fixture, NULL, fixture_setup, test_load_good,
              kf_test_tmp_file_clear);
  g_test_add ("/passphrase-hash/load-permissions", Fixture, NULL, fixture_setup,
              test_load_permissions, kf_test_tmp_file_clear);
  g_test_add ("/passphrase-hash/load-bad", Fixture, NULL, fixture_setup, test_load_bad,
              kf_test_tmp_file_clear);

  return g_test_run ();
}
