/* test-identity.c: a person's Ed25519 identity, its file and its code
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <gcrypt.h>
#include <glib/gstdio.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-identity.h"
#include "kf-test-util.h"

typedef KfTestTmpFile Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  kf_test_tmp_file_init (f, "kf-identity-XXXXXX", "data", "keyferry", "identity", NULL);
}

static void
decode (const char *hex,
        guint8     *out,
        gsize       len)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_hex_decode (hex, out, len, &error));
  g_assert_no_error (error);
}

static void
assert_mode (const char *path,
             guint       mode)
{
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static void
test_create_then_reload (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfIdentity) first = kf_identity_load_or_create (f->path, &error);
  g_autoptr(KfIdentity) again = NULL;
  g_autofree char *folder = g_path_get_dirname (f->path);
  g_autofree char *contents = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (first);
  assert_mode (f->path, 0600);
  assert_mode (folder, 0700);
  g_assert_cmpstr (kf_identity_get_path (first), ==, f->path);

  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "keyferry identity v1\ned25519-seed "));
  g_assert_cmpuint (strlen (contents), ==, 21 + 13 + 64 + 1);

  again = kf_identity_load_or_create (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (kf_identity_get_public_key (first), 32, kf_identity_get_public_key (again), 32);
  g_assert_cmpstr (kf_identity_get_code (first), ==, kf_identity_get_code (again));

  /* No leftover temporary file next to it. */
  {
    g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
    g_assert_cmpstr (g_dir_read_name (dir), ==, "identity");
    g_assert_null (g_dir_read_name (dir));
  }
}

static void
test_two_people_differ (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *other_path = g_build_filename (f->dir, "other", NULL);
  g_autoptr(KfIdentity) a = kf_identity_load_or_create (f->path, NULL);
  g_autoptr(KfIdentity) b = kf_identity_load_or_create (other_path, NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpstr (kf_identity_get_code (a), !=, kf_identity_get_code (b));
  g_assert_true (memcmp (kf_identity_get_public_key (a), kf_identity_get_public_key (b), 32) != 0);
}

static gpointer
load_in_thread (gpointer data)
{
  return kf_identity_load_or_create (data, NULL);
}

/* The app and keyferry-cli started at once, on a fresh account: all end
 * up with one identity, and no temporary file is left behind. */
static void
test_made_once_when_racing (Fixture       *f,
                            gconstpointer  data)
{
  GThread *threads[8];
  KfIdentity *made[G_N_ELEMENTS (threads)];
  g_autofree char *folder = g_path_get_dirname (f->path);
  g_autoptr(GDir) dir = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("loader", load_in_thread, f->path);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    made[i] = g_thread_join (threads[i]);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_assert_nonnull (made[i]);
      g_assert_cmpstr (kf_identity_get_code (made[i]), ==, kf_identity_get_code (made[0]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_object_unref (made[i]);

  dir = g_dir_open (folder, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "identity");
  g_assert_null (g_dir_read_name (dir));
}

static void
test_refused_when_others_can_read (Fixture       *f,
                                   gconstpointer  data)
{
  static const guint modes[] = { 0640, 0604, 0620, 0602, 0644, 0660 };
  g_autoptr(KfIdentity) made = kf_identity_load_or_create (f->path, NULL);

  g_assert_nonnull (made);
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfIdentity) loaded = NULL;

      g_assert_cmpint (g_chmod (f->path, modes[i]), ==, 0);
      loaded = kf_identity_load_or_create (f->path, &error);
      g_assert_null (loaded);
      g_assert_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_PERMISSIONS);
      g_assert_nonnull (strstr (error->message, f->path));
      g_assert_nonnull (strstr (error->message, "chmod go="));
    }

  /* Refused, not replaced: mended, the same identity loads again. */
  g_assert_cmpint (g_chmod (f->path, 0600), ==, 0);
  {
    g_autoptr(KfIdentity) loaded = kf_identity_load_or_create (f->path, NULL);
    g_assert_nonnull (loaded);
    g_assert_cmpstr (kf_identity_get_code (loaded), ==, kf_identity_get_code (made));
  }
}

static void
test_refused_when_damaged (Fixture       *f,
                           gconstpointer  data)
{
  static const char *const bad[] = {
    "",
    "keyferry identity v1\n",
    "keyferry identity v1\ned25519-seed 00\n",
    "keyferry identity v2\ned25519-seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
    "keyferry identity v1\ned25519-seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
    "keyferry identity v1\ned25519-seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\nX",
  };
  g_autofree char *folder = g_path_get_dirname (f->path);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfIdentity) loaded = NULL;
      g_autofree char *kept = NULL;

      g_test_message ("file %zu", i);
      g_assert_true (g_file_set_contents_full (f->path, bad[i], -1, G_FILE_SET_CONTENTS_NONE,
                                               0600, NULL));
      loaded = kf_identity_load_or_create (f->path, &error);
      g_assert_null (loaded);
      g_assert_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_INVALID);
      /* A damaged identity is never silently replaced by a new one. */
      g_assert_true (g_file_get_contents (f->path, &kept, NULL, NULL));
      g_assert_cmpstr (kept, ==, bad[i]);
    }
}

static void
test_refused_when_not_a_file (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfIdentity) loaded = NULL;

  g_assert_cmpint (g_mkdir_with_parents (f->path, 0700), ==, 0);
  loaded = kf_identity_load_or_create (f->path, &error);
  g_assert_null (loaded);
  g_assert_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_PERMISSIONS);
}

static void
test_known_answer (void)
{
  /* RFC 8032 §7.1, TEST 1, and the identity code of its key. */
  guint8 seed[32], expected_pub[32], expected_sig[64], sig[64];
  g_autoptr(KfIdentity) rfc = NULL;
  g_autoptr(KfIdentity) ours = NULL;

  decode ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
  decode ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", expected_pub, 32);
  decode ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
          expected_sig, 64);
  rfc = kf_identity_new_from_seed (seed);
  g_assert_cmpmem (kf_identity_get_public_key (rfc), 32, expected_pub, 32);
  kf_identity_sign (rfc, NULL, 0, sig);
  g_assert_cmpmem (sig, 64, expected_sig, 64);
  g_assert_cmpstr (kf_identity_get_code (rfc), ==, "X4UH-UO2B-FWUH-24RK");

  /* docs/PROTOCOL.md, "Identity": seed 00 01 … 1f, message "abc". */
  for (guint i = 0; i < 32; i++)
    seed[i] = (guint8) i;
  decode ("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8", expected_pub, 32);
  decode ("cc46d62d3754f41754b27b6ea2cb2c272bafa7a5a1f6062bd060f414e50caaeac2da66ad39cef4424a90236ea907b7d8057e3443dc5abfc9986967ee7213a407",
          expected_sig, 64);
  ours = kf_identity_new_from_seed (seed);
  g_assert_cmpmem (kf_identity_get_public_key (ours), 32, expected_pub, 32);
  kf_identity_sign (ours, (const guint8 *) "abc", 3, sig);
  g_assert_cmpmem (sig, 64, expected_sig, 64);
  g_assert_cmpstr (kf_identity_get_code (ours), ==, "NPO5-5BDG-YT64-MQ6W");
  g_assert_null (kf_identity_get_path (ours));
}

static void
test_sign_verify (void)
{
  guint8 seed[32] = { 0 };
  guint8 sig[64];
  guint8 bad[64];
  guint8 other_pub[32];
  g_autoptr(KfIdentity) id = NULL;
  g_autoptr(KfIdentity) other = NULL;
  const guint8 msg[] = "keyferry peer-link v2 transcript";
  const guint8 *pub;

  gcry_randomize (seed, sizeof seed, GCRY_STRONG_RANDOM);
  id = kf_identity_new_from_seed (seed);
  seed[0] ^= 1;
  other = kf_identity_new_from_seed (seed);
  pub = kf_identity_get_public_key (id);
  memcpy (other_pub, kf_identity_get_public_key (other), 32);

  kf_identity_sign (id, msg, sizeof msg, sig);
  g_assert_true (kf_identity_verify (pub, msg, sizeof msg, sig));
  /* Another key, another message, any flipped bit of the signature. */
  g_assert_false (kf_identity_verify (other_pub, msg, sizeof msg, sig));
  g_assert_false (kf_identity_verify (pub, msg, sizeof msg - 1, sig));
  for (guint bit = 0; bit < 512; bit += 7)
    {
      memcpy (bad, sig, 64);
      bad[bit / 8] ^= (guint8) (1 << (bit % 8));
      g_assert_false (kf_identity_verify (pub, msg, sizeof msg, bad));
    }
  /* A public key that is not a point of the curve, and all zeros. */
  memset (other_pub, 0xff, 32);
  g_assert_false (kf_identity_verify (other_pub, msg, sizeof msg, sig));
  memset (bad, 0, 64);
  g_assert_false (kf_identity_verify (pub, msg, sizeof msg, bad));
}

static void
test_code_format_and_parse (void)
{
  static const struct { const char *text; const char *code; } cases[] = {
    { "NPO5-5BDG-YT64-MQ6W", "NPO5-5BDG-YT64-MQ6W" },
    { "npo5-5bdg-yt64-mq6w", "NPO5-5BDG-YT64-MQ6W" },
    { "NPO55BDGYT64MQ6W", "NPO5-5BDG-YT64-MQ6W" },
    { " npo5 5bdg yt64 mq6w ", "NPO5-5BDG-YT64-MQ6W" },
    { "NPO5-5BDG-YT64-MQ6", NULL },          /* 15 characters */
    { "NPO5-5BDG-YT64-MQ6WA", NULL },        /* 17 */
    { "NPO5-5BDG-YT64-MQ6W!", NULL },        /* 16 and junk */
    { "NPO0-5BDG-YT64-MQ6W", NULL },         /* 0 is not base32 */
    { "NPO1-5BDG-YT64-MQ6W", NULL },
    { "NPO8-5BDG-YT64-MQ6W", NULL },
    { "", NULL },
    { "NPO5\n5BDG-YT64-MQ6W", NULL },
  };
  guint8 pub[32];

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *code = kf_identity_code_normalize (cases[i].text, &error);

      g_test_message ("“%s”", cases[i].text);
      g_assert_cmpstr (code, ==, cases[i].code);
      if (cases[i].code == NULL)
        g_assert_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_CODE);
    }

  /* Every code is four groups of four base32 characters, and parses back. */
  for (guint i = 0; i < 64; i++)
    {
      g_autofree char *code = NULL;
      g_autofree char *parsed = NULL;

      gcry_randomize (pub, sizeof pub, GCRY_WEAK_RANDOM);
      code = kf_identity_code_for_key (pub);
      g_assert_cmpuint (strlen (code), ==, KF_IDENTITY_CODE_LEN);
      g_assert_true (g_regex_match_simple ("^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$", code, 0, 0));
      parsed = kf_identity_code_normalize (code, NULL);
      g_assert_cmpstr (parsed, ==, code);
    }
}

static void
test_default_path (void)
{
  g_autofree char *path = kf_identity_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "keyferry", "identity",
                                                NULL);

  g_assert_cmpstr (path, ==, expected);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/identity/" path, Fixture, NULL, fixture_setup, fn, kf_test_tmp_file_clear)
  ADD ("create-then-reload", test_create_then_reload);
  ADD ("two-people-differ", test_two_people_differ);
  ADD ("made-once-when-racing", test_made_once_when_racing);
  ADD ("refused-when-others-can-read", test_refused_when_others_can_read);
  ADD ("refused-when-damaged", test_refused_when_damaged);
  ADD ("refused-when-not-a-file", test_refused_when_not_a_file);
#undef ADD
  g_test_add_func ("/identity/known-answer", test_known_answer);
  g_test_add_func ("/identity/sign-verify", test_sign_verify);
  g_test_add_func ("/identity/code-format-and-parse", test_code_format_and_parse);
  g_test_add_func ("/identity/default-path", test_default_path);

  return g_test_run ();
}
