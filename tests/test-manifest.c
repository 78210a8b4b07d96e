/* test-manifest.c: the manifest's encoding and the receiver's checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-gcrypt.h"
#include "kf-manifest.h"
#include "kf-offer.h"
#include "kf-transfer-private.h"

/* Builds a manifest plaintext by hand: each entry "KIND DEPTH NAME SIZE". */
static GByteArray *
build (guint32  n,
       guint64  total)
{
  GByteArray *out = g_byte_array_new ();
  guint32 n_be = GUINT32_TO_BE (n);
  guint64 total_be = GUINT64_TO_BE (total);

  g_byte_array_append (out, (const guint8 *) &n_be, 4);
  g_byte_array_append (out, (const guint8 *) &total_be, 8);
  return out;
}

static void
put (GByteArray *out,
     guint8      kind,
     guint8      depth,
     const char *name,
     gsize       name_len,
     guint64     size)
{
  guint8 head[2] = { kind, depth };
  guint16 len_be = GUINT16_TO_BE ((guint16) name_len);
  guint64 size_be = GUINT64_TO_BE (size);

  g_byte_array_append (out, head, 2);
  g_byte_array_append (out, (const guint8 *) &len_be, 2);
  g_byte_array_append (out, (const guint8 *) name, (guint) name_len);
  if (kind == KF_MANIFEST_FILE)
    g_byte_array_append (out, (const guint8 *) &size_be, 8);
}

static KfManifest *
parse (GByteArray  *buf,
       GError     **error)
{
  return kf_manifest_parse (buf->data, buf->len, error);
}

static void
test_round_trip (void)
{
  g_autoptr(KfManifest) m = kf_manifest_new ();
  g_autoptr(KfManifest) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buf = NULL;
  g_autofree char *path = NULL;
  gsize len;

  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FOLDER, 0, "photos", 0, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FOLDER, 1, "été", 0, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FILE, 2, "a.jpg", 1000, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FOLDER, 1, "empty", 0, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FILE, 1, "zero", 0, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FILE, 0, "notes.txt", 5, NULL));
  /* What can never be sent is refused at the source. */
  g_assert_false (kf_manifest_add (m, KF_MANIFEST_FILE, 0, "..", 5, NULL));
  g_assert_false (kf_manifest_add (m, KF_MANIFEST_FILE, 0, "a/b", 5, NULL));
  g_assert_false (kf_manifest_add (m, KF_MANIFEST_FILE, KF_TRANSFER_MAX_DEPTH, "deep", 5, NULL));

  buf = kf_manifest_encode (m, &len);
  back = kf_manifest_parse (buf, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kf_manifest_get_n_entries (back), ==, 6);
  g_assert_cmpuint (kf_manifest_get_n_files (back), ==, 3);
  g_assert_cmpuint (kf_manifest_get_n_folders (back), ==, 3);
  g_assert_cmpuint (kf_manifest_get_total (back), ==, 1005);
  path = kf_manifest_path (back, 2, FALSE);
  g_assert_cmpstr (path, ==, "photos/été/a.jpg");
  g_free (path);
  path = kf_manifest_path (back, 4, FALSE);
  g_assert_cmpstr (path, ==, "photos/zero");
  g_assert_cmpuint (kf_manifest_get_entry (back, 5)->parent, ==, G_MAXUINT);
  g_assert_null (kf_manifest_get_offered (back, 2));
}

/* The exact bytes of a small manifest (docs/PROTOCOL.md, part 2, §11). */
static void
test_encoding_vector (void)
{
  g_autoptr(KfManifest) m = kf_manifest_new ();
  g_autofree guint8 *buf = NULL;
  g_autofree char *hex = NULL;
  gsize len;

  kf_manifest_add (m, KF_MANIFEST_FOLDER, 0, "d", 0, NULL);
  kf_manifest_add (m, KF_MANIFEST_FILE, 1, "f", 3, NULL);
  buf = kf_manifest_encode (m, &len);
  hex = g_malloc0 (2 * len + 1);
  for (gsize i = 0; i < len; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", buf[i]);
  g_assert_cmpstr (hex, ==,
                   "00000002" "0000000000000003"
                   "02" "00" "0001" "64"
                   "01" "01" "0001" "66" "0000000000000003");
}

typedef struct
{
  const char *what;
  guint8      kinds[3];
  guint8      depths[3];
  const char *names[3];
  gint        code;      /* the KF_TRANSFER_ERROR */
} Hostile;

static const Hostile hostile[] = {
  { "dot-dot", { 1 }, { 0 }, { ".." }, KF_TRANSFER_ERROR_NAME },
  { "dot", { 1 }, { 0 }, { "." }, KF_TRANSFER_ERROR_NAME },
  { "absolute", { 1 }, { 0 }, { "/etc/passwd" }, KF_TRANSFER_ERROR_NAME },
  { "slash", { 1 }, { 0 }, { "a/../../b" }, KF_TRANSFER_ERROR_NAME },
  { "empty", { 1 }, { 0 }, { "" }, KF_TRANSFER_ERROR_NAME },
  { "dot-dot-inside", { 2, 1 }, { 0, 1 }, { "d", ".." }, KF_TRANSFER_ERROR_NAME },
  { "duplicate", { 1, 1 }, { 0, 0 }, { "x", "x" }, KF_TRANSFER_ERROR_NAME },
  { "file-and-folder", { 1, 2 }, { 0, 0 }, { "x", "x" }, KF_TRANSFER_ERROR_NAME },
  { "duplicate-inside", { 2, 2, 1 }, { 0, 1, 1 }, { "d", "x", "x" }, KF_TRANSFER_ERROR_NAME },
  { "orphan", { 1 }, { 1 }, { "x" }, KF_TRANSFER_ERROR_PROTOCOL },
  { "under-a-file", { 1, 1 }, { 0, 1 }, { "f", "x" }, KF_TRANSFER_ERROR_PROTOCOL },
  { "unknown-kind", { 3 }, { 0 }, { "x" }, KF_TRANSFER_ERROR_PROTOCOL },
};

static void
test_hostile (gconstpointer data)
{
  const Hostile *h = data;
  g_autoptr(GByteArray) buf = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  while (n < 3 && h->kinds[n] != 0)
    n++;
  buf = build (n, 0);
  for (guint i = 0; i < n; i++)
    put (buf, h->kinds[i], h->depths[i], h->names[i], strlen (h->names[i]), 0);
  g_assert_null (parse (buf, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, h->code);
}

/* Deeper than the limit: refused, whatever the names. */
static void
test_too_deep (void)
{
  g_autoptr(GByteArray) buf = build (KF_TRANSFER_MAX_DEPTH + 1, 0);
  g_autoptr(GByteArray) ok = build (KF_TRANSFER_MAX_DEPTH, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfManifest) m = NULL;

  for (guint i = 0; i <= KF_TRANSFER_MAX_DEPTH; i++)
    put (buf, KF_MANIFEST_FOLDER, (guint8) i, "d", 1, 0);
  g_assert_null (parse (buf, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME);
  for (guint i = 0; i < KF_TRANSFER_MAX_DEPTH; i++)
    put (ok, KF_MANIFEST_FOLDER, (guint8) i, "d", 1, 0);
  m = parse (ok, NULL);
  g_assert_nonnull (m);
}

/* 100,000 entries are allowed (they need several records), one more is
 * refused before any entry is read. */
static void
test_entry_limit (void)
{
  g_autoptr(GByteArray) buf = build (KF_TRANSFER_MAX_ENTRIES, 0);
  g_autoptr(GByteArray) over = build (KF_TRANSFER_MAX_ENTRIES + 1, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfManifest) m = NULL;

  for (guint i = 0; i < KF_TRANSFER_MAX_ENTRIES; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "f%06u", i);
      put (buf, KF_MANIFEST_FILE, 0, name, strlen (name), 0);
    }
  g_assert_cmpuint (buf->len, >, KF_RECORD_MAX_PAYLOAD);
  m = parse (buf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kf_manifest_get_n_files (m), ==, KF_TRANSFER_MAX_ENTRIES);
  g_assert_null (parse (over, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME);
}

/* Names that cannot be kept as they are are renamed, and the entry says
 * what was offered. */
static void
test_renamed (void)
{
  g_autoptr(GByteArray) buf = build (5, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(KfManifest) m = NULL;

  put (buf, KF_MANIFEST_FILE, 0, "a\nb", 3, 0);
  put (buf, KF_MANIFEST_FILE, 0, "a_b", 3, 0);
  put (buf, KF_MANIFEST_FILE, 0, ".profile", 8, 0);
  put (buf, KF_MANIFEST_FILE, 0, "x\\y", 3, 0);
  put (buf, KF_MANIFEST_FILE, 0, "r\xe2\x80\xaet.exe", 9, 0);
  m = parse (buf, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kf_manifest_get_entry (m, 0)->name, ==, "a_b");
  g_assert_nonnull (kf_manifest_get_offered (m, 0));
  /* "a_b" was offered as such but the cleaned "a\nb" took it first. */
  g_assert_cmpstr (kf_manifest_get_entry (m, 1)->name, ==, "a_b (2)");
  g_assert_cmpstr (kf_manifest_get_offered (m, 1), ==, "a_b");
  g_assert_cmpstr (kf_manifest_get_entry (m, 2)->name, ==, "_.profile");
  g_assert_cmpstr (kf_manifest_get_entry (m, 3)->name, ==, "x_y");
  g_assert_cmpstr (kf_manifest_get_entry (m, 4)->name, ==, "r_t.exe");
}

static void
test_malformed (void)
{
  g_autoptr(GByteArray) buf = build (1, 7);
  g_autoptr(GByteArray) big = build (2, 0);
  g_autoptr(GError) error = NULL;

  put (buf, KF_MANIFEST_FILE, 0, "f", 1, 5);
  g_assert_null (parse (buf, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_byte_array_set_size (buf, buf->len - 3);
  g_assert_null (parse (buf, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
  g_clear_error (&error);
  /* Sizes whose sum would wrap around. */
  put (big, KF_MANIFEST_FILE, 0, "a", 1, KF_TRANSFER_MAX_SIZE);
  put (big, KF_MANIFEST_FILE, 0, "b", 1, KF_TRANSFER_MAX_SIZE);
  g_assert_null (parse (big, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
}

/* The per-file IV (docs/PROTOCOL.md, part 2, §3 and §11). */
static void
test_file_iv (void)
{
  KfSessionKeys *keys = kf_session_keys_new ("s1", KF_CIPHER_MODE_CBC);
  guint8 iv0[KF_CIPHER_IV_SIZE];
  guint8 iv1[KF_CIPHER_IV_SIZE];
  char hex[33];

  for (guint i = 0; i < sizeof keys->auth_key; i++)
    keys->auth_key[i] = (guint8) i;
  memset (keys->iv, 0x33, sizeof keys->iv);
  _kf_transfer_file_iv (keys, 0, iv0);
  _kf_transfer_file_iv (keys, 1, iv1);
  for (guint i = 0; i < 16; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", iv0[i]);
  g_assert_cmpstr (hex, ==, "e5a26d0e0527144842c812cff6254d3d");
  for (guint i = 0; i < 16; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", iv1[i]);
  g_assert_cmpstr (hex, ==, "d42656bbd27f3363ea43f0a27e233732");
  kf_session_keys_free (keys);
}

static void
test_numbered (void)
{
  g_autofree char *a = kf_manifest_numbered_name ("a.txt", 2);
  g_autofree char *b = kf_manifest_numbered_name ("folder", 3);
  g_autofree char *c = kf_manifest_numbered_name (".hidden", 2);

  g_assert_cmpstr (a, ==, "a (2).txt");
  g_assert_cmpstr (b, ==, "folder (3)");
  g_assert_cmpstr (c, ==, ".hidden (2)");
}

/* Issue 15, item 5: the offer says of each top-level name it shows
 * whether it is a folder (and how much it holds) or a file (and its
 * size), from the checked manifest; names past the first
 * KF_TRANSFER_MAX_SHOWN are only counted. */
static void
test_offer_top_level (void)
{
  g_autoptr(KfManifest) m = kf_manifest_new ();
  g_autoptr(KfManifest) back = NULL;
  g_autoptr(KfTransferOffer) contents = NULL;
  g_autoptr(KfTransferOffer) single = NULL;
  g_autoptr(KfOffer) offer = NULL;
  g_autoptr(KfOffer) one = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buf = NULL;
  g_autofree guint8 *plain = NULL;
  gboolean is_folder = FALSE;
  guint64 size = 0;
  gsize len;

  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FOLDER, 0, "photos", 0, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FOLDER, 1, "été", 0, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FILE, 2, "a.jpg", 1000, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FILE, 1, "b.jpg", 24, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FILE, 0, "notes.txt", 5, NULL));
  g_assert_true (kf_manifest_add (m, KF_MANIFEST_FOLDER, 0, "empty", 0, NULL));
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("more-%02u", i);

      g_assert_true (kf_manifest_add (m, i % 2 ? KF_MANIFEST_FILE : KF_MANIFEST_FOLDER, 0,
                                      name, i % 2 ? i : 0, NULL));
    }
  buf = kf_manifest_encode (m, &len);
  back = kf_manifest_parse (buf, len, &error);
  g_assert_no_error (error);
  contents = kf_transfer_offer_new_for_manifest (back, KF_CIPHER_MODE_CBC);
  offer = kf_offer_new (1, "Ana", contents->name, contents->plain_size,
                        contents->encrypted_size, contents->mode);
  _kf_offer_set_contents (offer, contents);

  g_assert_true (kf_offer_get_top_level_entry (offer, 0, &is_folder, &size));
  g_assert_true (is_folder);
  g_assert_cmpuint (size, ==, 1024);
  g_assert_true (kf_offer_get_top_level_entry (offer, 1, &is_folder, &size));
  g_assert_false (is_folder);
  g_assert_cmpuint (size, ==, 5);
  g_assert_true (kf_offer_get_top_level_entry (offer, 2, &is_folder, &size));
  g_assert_true (is_folder);
  g_assert_cmpuint (size, ==, 0);
  g_assert_true (kf_offer_get_top_level_entry (offer, 4, &is_folder, &size));
  g_assert_false (is_folder);
  g_assert_cmpuint (size, ==, 1);
  g_assert_true (kf_offer_get_top_level_entry (offer, KF_TRANSFER_MAX_SHOWN - 1, &is_folder,
                                               NULL));
  g_assert_cmpstr (kf_offer_get_top_level (offer, NULL)[KF_TRANSFER_MAX_SHOWN - 1], ==,
                   "more-12");
  g_assert_true (is_folder);
  g_assert_false (kf_offer_get_top_level_entry (offer, KF_TRANSFER_MAX_SHOWN, NULL, NULL));
  {
    guint n_top_level = 0;

    kf_offer_get_top_level (offer, &n_top_level);
    g_assert_cmpuint (n_top_level, ==, 23);
  }

  /* One file offered alone is a file of its size. */
  g_clear_pointer (&buf, g_free);
  plain = kf_transfer_offer_encode ("report.pdf", 4242, &len);
  single = kf_transfer_offer_parse (plain, len, KF_CIPHER_MODE_CFB, &error);
  g_assert_no_error (error);
  one = kf_offer_new (1, "Ana", single->name, single->plain_size, single->encrypted_size,
                      single->mode);
  _kf_offer_set_contents (one, single);
  g_assert_true (kf_offer_get_top_level_entry (one, 0, &is_folder, &size));
  g_assert_false (is_folder);
  g_assert_cmpuint (size, ==, 4242);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/manifest/round-trip", test_round_trip);
  g_test_add_func ("/manifest/encoding-vector", test_encoding_vector);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *path = g_strdup_printf ("/manifest/hostile/%s", hostile[i].what);

      g_test_add_data_func (path, &hostile[i], test_hostile);
    }
  g_test_add_func ("/manifest/too-deep", test_too_deep);
  g_test_add_func ("/manifest/entry-limit", test_entry_limit);
  g_test_add_func ("/manifest/renamed", test_renamed);
  g_test_add_func ("/manifest/malformed", test_malformed);
  g_test_add_func ("/manifest/file-iv", test_file_iv);
  g_test_add_func ("/manifest/numbered-name", test_numbered);
  g_test_add_func ("/manifest/offer-top-level", test_offer_top_level);

  return g_test_run ();
}
