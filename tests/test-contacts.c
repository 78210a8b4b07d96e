/* test-contacts.c: the people this user exchanged files with (KfContacts)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "kf-contacts.h"
#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-test-util.h"
#include "kf-untrusted.h"

typedef struct
{
  char   *dir;
  char   *path;
  guint8  bob[KF_IDENTITY_PUBLIC_KEY_SIZE];
  guint8  mallory[KF_IDENTITY_PUBLIC_KEY_SIZE];
  guint8  alice[KF_IDENTITY_PUBLIC_KEY_SIZE];
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kf-contacts-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "contacts", NULL);
  for (guint i = 0; i < KF_IDENTITY_PUBLIC_KEY_SIZE; i++)
    {
      f->bob[i] = (guint8) (i + 1);
      f->mallory[i] = (guint8) (0xff - i);
      f->alice[i] = (guint8) (i * 7 + 3);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static KfContacts *
loaded (Fixture *f)
{
  KfContacts *contacts = kf_contacts_new (f->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_contacts_load (contacts, &error));
  g_assert_no_error (error);
  return contacts;
}

static void
remember (KfContacts   *contacts,
          const char   *name,
          const guint8 *key)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_contacts_remember (contacts, name, key, &error));
  g_assert_no_error (error);
}

static void
test_default_path (void)
{
  g_autoptr(KfContacts) contacts = kf_contacts_new (NULL);
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "keyferry", "contacts",
                                                NULL);

  g_assert_cmpstr (kf_contacts_get_path (contacts), ==, expected);
}

static void
test_missing_file_is_empty (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(KfContacts) contacts = loaded (f);
  g_autoptr(GPtrArray) list = kf_contacts_list (contacts);
  const KfContact *known = (const KfContact *) &known;

  g_assert_cmpuint (list->len, ==, 0);
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->bob, &known), ==, KF_CONTACT_NEW);
  g_assert_null (known);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
}

/* Remembered, saved privately, and found again by key, code and name. */
static void
test_remember_and_find (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(KfContacts) writer = loaded (f);
  g_autoptr(KfContacts) reader = NULL;
  g_autofree char *code = kf_identity_code_for_key (f->bob);
  g_autofree char *typed = g_ascii_strdown (code, -1);
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autoptr(GPtrArray) found = NULL;
  const KfContact *contact;
  GStatBuf st;

  remember (writer, "Bob", f->bob);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  reader = loaded (f);
  contact = kf_contacts_lookup_key (reader, f->bob);
  g_assert_nonnull (contact);
  g_assert_cmpstr (contact->code, ==, code);
  g_assert_cmpmem (contact->public_key, sizeof contact->public_key, f->bob, sizeof f->bob);
  g_assert_cmpstr (kf_contact_get_latest_name (contact), ==, "Bob");
  g_assert_cmpuint (contact->exchanges, ==, 1);
  g_assert_nonnull (contact->first_exchange);
  g_assert_true (g_date_time_equal (contact->first_exchange, contact->last_exchange));

  /* A code as people type it: lower case, no dashes. */
  g_strdelimit (typed, "-", ' ');
  g_assert_true (kf_contacts_lookup_code (reader, typed) == contact);
  g_assert_null (kf_contacts_lookup_code (reader, "not a code"));
  g_assert_null (kf_contacts_lookup_key (reader, f->mallory));

  found = kf_contacts_find_name (reader, "BOB");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_true (g_ptr_array_index (found, 0) == contact);
}

/* KNOWN, NEW, CHANGED, with names folded. */
static void
test_check (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(KfContacts) contacts = loaded (f);
  const KfContact *known = NULL;
  const KfContact *bob;

  remember (contacts, "bob", f->bob);
  bob = kf_contacts_lookup_key (contacts, f->bob);

  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->bob, &known), ==, KF_CONTACT_KNOWN);
  g_assert_true (known == bob);
  /* The same identity under a new name is still the person you know. */
  g_assert_cmpint (kf_contacts_check (contacts, "robert", f->bob, &known), ==,
                   KF_CONTACT_KNOWN);
  g_assert_true (known == bob);
  g_assert_cmpint (kf_contacts_check (contacts, NULL, f->bob, NULL), ==, KF_CONTACT_KNOWN);

  /* Someone else under bob's name, in any case, compatibility form or
   * look-alike letters (a zero, a Cyrillic "В"), as the key manager folds. */
  for (guint i = 0; i < 6; i++)
    {
      const char *names[] = { "bob", "BOB", "Bob", "\xef\xbd\x82\xef\xbd\x8f\xef\xbd\x82",
                              "B0b", "\xd0\x92\xd0\xbe" "b" };

      known = NULL;
      g_assert_cmpint (kf_contacts_check (contacts, names[i], f->mallory, &known), ==,
                       KF_CONTACT_CHANGED);
      g_assert_true (known == bob);
    }

  g_assert_cmpint (kf_contacts_check (contacts, "alice", f->alice, &known), ==, KF_CONTACT_NEW);
  g_assert_null (known);
  /* A known identity using another contact's name is not that contact
   * (the store changed: pointers into it are read again). */
  remember (contacts, "alice", f->alice);
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->alice, &known), ==,
                   KF_CONTACT_CHANGED);
  g_assert_true (known == kf_contacts_lookup_key (contacts, f->bob));
}

/* Each exchange counts; names are kept once each, the latest last, at
 * most eight. */
static void
test_exchanges_and_names (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(KfContacts) contacts = loaded (f);
  g_autoptr(GDateTime) first = NULL;
  const KfContact *contact;

  remember (contacts, "bob", f->bob);
  first = g_date_time_ref (kf_contacts_lookup_key (contacts, f->bob)->first_exchange);
  remember (contacts, "Robert", f->bob);
  remember (contacts, "bob", f->bob);
  contact = kf_contacts_lookup_key (contacts, f->bob);
  g_assert_cmpuint (contact->exchanges, ==, 3);
  g_assert_true (g_date_time_equal (contact->first_exchange, first));
  g_assert_cmpint (g_date_time_compare (contact->last_exchange, first), >=, 0);
  g_assert_cmpuint (g_strv_length (contact->names), ==, 2);
  g_assert_cmpstr (contact->names[0], ==, "Robert");
  g_assert_cmpstr (contact->names[1], ==, "bob");

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("bob%u", i);

      remember (contacts, name, f->bob);
    }
  contact = kf_contacts_lookup_key (contacts, f->bob);
  g_assert_cmpuint (g_strv_length (contact->names), ==, 8);
  g_assert_cmpstr (kf_contact_get_latest_name (contact), ==, "bob19");
  g_assert_cmpstr (contact->names[0], ==, "bob12");
}

/* An exchange with a changed identity (the user accepted it) moves the
 * name: the old identity no longer stands for it. */
static void
test_accepted_identity_takes_the_name (Fixture       *f,
                                       gconstpointer  data)
{
  g_autoptr(KfContacts) contacts = loaded (f);
  g_autoptr(GPtrArray) found = NULL;
  const KfContact *old;

  remember (contacts, "bob", f->bob);
  remember (contacts, "Bob", f->mallory);
  found = kf_contacts_find_name (contacts, "bob");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpmem (((const KfContact *) g_ptr_array_index (found, 0))->public_key,
                   KF_IDENTITY_PUBLIC_KEY_SIZE, f->mallory, sizeof f->mallory);

  old = kf_contacts_lookup_key (contacts, f->bob);
  g_assert_nonnull (old);
  g_assert_null (kf_contact_get_latest_name (old));
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->mallory, NULL), ==, KF_CONTACT_KNOWN);
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->bob, NULL), ==, KF_CONTACT_CHANGED);
}

static void
test_forget (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(KfContacts) contacts = loaded (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = kf_identity_code_for_key (f->alice);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint forgotten = 99;

  remember (contacts, "bob", f->bob);
  remember (contacts, "alice", f->alice);

  /* No one by that name or code: the file is left alone. */
  g_assert_true (g_file_get_contents (f->path, &before, NULL, NULL));
  g_assert_true (kf_contacts_forget (contacts, "nobody", &forgotten, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (forgotten, ==, 0);
  g_assert_true (g_file_get_contents (f->path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);

  /* By name, folded. */
  g_assert_true (kf_contacts_forget (contacts, "BOB", &forgotten, &error));
  g_assert_cmpuint (forgotten, ==, 1);
  g_assert_null (kf_contacts_lookup_key (contacts, f->bob));
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->mallory, NULL), ==, KF_CONTACT_NEW);

  /* By code, and it stays forgotten for a store that reads the file. */
  g_assert_true (kf_contacts_forget (contacts, alice, &forgotten, &error));
  g_assert_cmpuint (forgotten, ==, 1);
  {
    g_autoptr(KfContacts) reader = loaded (f);
    g_autoptr(GPtrArray) list = kf_contacts_list (reader);

    g_assert_cmpuint (list->len, ==, 0);
  }
}

/* Groups that do not parse (a key that does not give its code, no key,
 * a bad key) are left out but kept; a file that is no key file is an
 * error and the store keeps what it held. */
static void
test_tolerant (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(KfContacts) contacts = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bob_code = kf_identity_code_for_key (f->bob);
  g_autofree char *mallory_hex = kf_hex_encode (f->mallory, sizeof f->mallory);
  g_autofree char *text = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);

  /* Bob's code with Mallory's key: a forged entry must not pin "bob". */
  text = g_strdup_printf ("# kept comment\n"
                          "[%s]\npublic-key=%s\nnames=bob;\n\n"
                          "[AAAA-BBBB-CCCC-DDDD]\nnames=nokey;\n\n"
                          "[EEEE-FFFF-GGGG-HHHH]\npublic-key=zz\nnames=badkey;\n",
                          bob_code, mallory_hex);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));

  contacts = loaded (f);
  list = kf_contacts_list (contacts);
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->mallory, NULL), ==, KF_CONTACT_NEW);

  remember (contacts, "alice", f->alice);
  g_assert_true (g_file_get_contents (f->path, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "# kept comment"));
  g_assert_nonnull (strstr (saved, "[AAAA-BBBB-CCCC-DDDD]"));
  g_assert_nonnull (strstr (saved, "names=badkey;"));

  /* The real bob replaces the forged group whole. */
  remember (contacts, "bob", f->bob);
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->bob, NULL), ==, KF_CONTACT_KNOWN);
  g_assert_cmpint (kf_contacts_check (contacts, "bob", f->mallory, NULL), ==,
                   KF_CONTACT_CHANGED);

  g_assert_true (g_file_set_contents (f->path, "not [a key file\n\x01", -1, NULL));
  g_assert_false (kf_contacts_load (contacts, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (kf_contacts_lookup_key (contacts, f->bob));
  g_clear_error (&error);
  g_assert_false (kf_contacts_remember (contacts, "cleo", f->mallory, &error));
  g_assert_nonnull (error);
}

/* Names that mean something to a key file come back exactly. */
static void
test_names_round_trip (Fixture       *f,
                       gconstpointer  data)
{
  const char *names[] = { "a;b", " leading", "trailing ", "x=y", "[group]", "back\\slash",
                          "#hash", "dan;", "ünï çødé" };
  g_autoptr(KfContacts) contacts = loaded (f);
  g_autoptr(KfContacts) reader = NULL;
  const KfContact *contact;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    remember (contacts, names[i], f->bob);

  reader = loaded (f);
  contact = kf_contacts_lookup_key (reader, f->bob);
  g_assert_nonnull (contact);
  g_assert_cmpuint (g_strv_length (contact->names), ==, 8);
  for (guint i = 1; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (contact->names[i - 1], ==, names[i]);
  g_assert_cmpint (kf_contacts_check (reader, "DAN;", f->bob, NULL), ==, KF_CONTACT_KNOWN);
}

/* A name edited into the file with control or bidi characters comes out
 * cleaned. */
static void
test_names_cleaned (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *code = kf_identity_code_for_key (f->bob);
  g_autofree char *hex = kf_hex_encode (f->bob, sizeof f->bob);
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *text = g_strdup_printf ("[%s]\npublic-key=%s\n"
                                           "names=b\\nob\x1b[2J;\xe2\x80\xae" "evil;\n",
                                           code, hex);
  g_autoptr(KfContacts) contacts = NULL;
  const KfContact *contact;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));
  contacts = loaded (f);
  contact = kf_contacts_lookup_key (contacts, f->bob);
  g_assert_nonnull (contact);
  g_assert_cmpuint (g_strv_length (contact->names), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_true (kf_untrusted_is_clean (contact->names[i]));
  g_assert_null (strchr (contact->names[0], '\n'));
  g_assert_null (strchr (contact->names[0], '\x1b'));
}

/* The app and keyferry-cli share the file: each change reads it first. */
static void
test_shared_file (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KfContacts) app = loaded (f);
  g_autoptr(KfContacts) cli = loaded (f);
  g_autoptr(KfContacts) reader = NULL;
  g_autoptr(GPtrArray) list = NULL;

  remember (app, "bob", f->bob);
  remember (cli, "alice", f->alice);
  reader = loaded (f);
  g_assert_nonnull (kf_contacts_lookup_key (reader, f->bob));
  g_assert_nonnull (kf_contacts_lookup_key (reader, f->alice));

  /* The list is the latest first, and freeing it leaves the store whole. */
  list = kf_contacts_list (reader);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (kf_contact_get_latest_name (g_ptr_array_index (list, 0)), ==, "alice");
  g_assert_cmpstr (kf_contact_get_latest_name (g_ptr_array_index (list, 1)), ==, "bob");
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_cmpstr (kf_contact_get_latest_name (kf_contacts_lookup_key (reader, f->bob)), ==,
                   "bob");
}

/* A file that cannot be written (its name leaves no room for the
 * temporary file beside it) says what could not be saved, and why, in
 * the domain and code of the cause. */
static void
test_save_error_names_the_store (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *name = g_strnfill (250, 'c');
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(KfContacts) contacts = kf_contacts_new (path);
  g_autoptr(GError) error = NULL;

  g_assert_false (kf_contacts_remember (contacts, "bob", f->bob, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG);
  g_assert_true (g_str_has_prefix (error->message, "Could not save your contacts: "));
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/contacts/default-path", test_default_path);
  ADD ("/contacts/missing-file-is-empty", test_missing_file_is_empty);
  ADD ("/contacts/remember-and-find", test_remember_and_find);
  ADD ("/contacts/check", test_check);
  ADD ("/contacts/exchanges-and-names", test_exchanges_and_names);
  ADD ("/contacts/accepted-identity-takes-the-name", test_accepted_identity_takes_the_name);
  ADD ("/contacts/forget", test_forget);
  ADD ("/contacts/tolerant", test_tolerant);
  ADD ("/contacts/names-round-trip", test_names_round_trip);
  ADD ("/contacts/names-cleaned", test_names_cleaned);
  ADD ("/contacts/shared-file", test_shared_file);
  ADD ("/contacts/save-error-names-the-store", test_save_error_names_the_store);

#undef ADD

  return g_test_run ();
}
