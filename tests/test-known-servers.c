/* test-known-servers.c: the pinned-fingerprint store, like ssh's known_hosts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-known-servers.h"
#include "kf-test-util.h"

#define FP_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

typedef KfTestTmpFile Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  kf_test_tmp_file_init (f, "kf-known-XXXXXX", "sub", "known-servers", NULL);
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
test_missing_file_is_empty (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_known_servers_load (store, &error));
  g_assert_no_error (error);
  g_assert_null (kf_known_servers_lookup (store, "localhost", 7745));
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (kf_known_servers_get_path (store), ==, f->path);
}

static void
test_default_path (void)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (NULL);
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "keyferry",
                                                "known-servers", NULL);

  g_assert_cmpstr (kf_known_servers_get_path (store), ==, expected);
}

/* Constructed without a path, the store takes its own default too. */
static void
test_default_path_unset (void)
{
  g_autoptr(KfKnownServers) store = g_object_new (KF_TYPE_KNOWN_SERVERS, NULL);
  g_autofree char *expected = kf_known_servers_default_path ();

  g_assert_cmpstr (kf_known_servers_get_path (store), ==, expected);
}

/* A pin survives into a fresh store, in a private file and folder. */
static void
test_add_persists_privately (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->path);
  g_autoptr(KfKnownServers) again = kf_known_servers_new (f->path);
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_true (kf_known_servers_add (store, "km.example", 7745, FP_A, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kf_known_servers_lookup (store, "km.example", 7745), ==, FP_A);

  g_assert_true (kf_known_servers_load (again, &error));
  g_assert_cmpstr (kf_known_servers_lookup (again, "km.example", 7745), ==, FP_A);
  g_assert_null (kf_known_servers_lookup (again, "km.example", 7746));
  g_assert_null (kf_known_servers_lookup (again, "other.example", 7745));

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

/* Fingerprints are stored canonical whatever form a person typed. */
static void
test_fingerprint_forms (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  const char *pretty = "SHA256:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
                       "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF";

  g_assert_true (kf_known_servers_add (store, "KM.Example", 7745, pretty, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kf_known_servers_lookup (store, "km.example", 7745), ==, FP_A);

  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "km.example:7745 " FP_A "\n");

  g_assert_false (kf_known_servers_add (store, "km.example", 7745, "abc", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (kf_known_servers_lookup (store, "km.example", 7745), ==, FP_A);
}

static void
test_ipv6 (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->path);
  g_autoptr(KfKnownServers) again = kf_known_servers_new (f->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (kf_known_servers_add (store, "::1", 7745, FP_A, &error));
  g_assert_true (kf_known_servers_add (store, "127.0.0.1", 7745, FP_B, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "[::1]:7745 " FP_A "\n"));

  g_assert_true (kf_known_servers_load (again, &error));
  g_assert_cmpstr (kf_known_servers_lookup (again, "::1", 7745), ==, FP_A);
  g_assert_cmpstr (kf_known_servers_lookup (again, "[::1]", 7745), ==, FP_A);
  g_assert_cmpstr (kf_known_servers_lookup (again, "127.0.0.1", 7745), ==, FP_B);
}

static void
test_replace_remove_clear (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->path);
  g_autoptr(KfKnownServers) again = kf_known_servers_new (f->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_known_servers_add (store, "a.example", 1, FP_A, &error));
  g_assert_true (kf_known_servers_add (store, "b.example", 2, FP_A, &error));
  g_assert_true (kf_known_servers_add (store, "a.example", 1, FP_B, &error));
  g_assert_no_error (error);
  g_assert_true (kf_known_servers_load (again, &error));
  g_assert_cmpstr (kf_known_servers_lookup (again, "a.example", 1), ==, FP_B);

  g_assert_true (kf_known_servers_remove (store, "a.example", 1, &error));
  g_assert_true (kf_known_servers_remove (store, "nowhere.example", 1, &error));
  g_assert_no_error (error);
  g_assert_true (kf_known_servers_load (again, &error));
  g_assert_null (kf_known_servers_lookup (again, "a.example", 1));
  g_assert_cmpstr (kf_known_servers_lookup (again, "b.example", 2), ==, FP_A);

  g_assert_true (kf_known_servers_clear (store, &error));
  g_assert_no_error (error);
  g_assert_true (kf_known_servers_load (again, &error));
  g_assert_null (kf_known_servers_lookup (again, "b.example", 2));
}

/* Bad lines are skipped, never fatal, and kept verbatim on the next save. */
static void
test_tolerant_parsing (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  const char *text =
    "# pinned key managers\n"
    "\n"
    "good.example:7745 " FP_A "\n"
    "noport.example " FP_A "\n"
    "badport.example:99999 " FP_A "\n"
    "zero.example:0 " FP_A "\n"
    "short.example:7745 abcdef\n"
    "three.example:7745 " FP_A " extra\n"
    "[::1:7745 " FP_A "\n"
    ":7745 " FP_A "\n"
    "bin\xff\xfe.example:7745 " FP_A "\n"
    "  spaced.example:7745\t" FP_B "  \n"
    "good.example:7745 " FP_B "\n"
    "no newline at end";

  write_file (f->path, text);
  g_assert_true (kf_known_servers_load (store, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (kf_known_servers_lookup (store, "good.example", 7745), ==, FP_A);
  g_assert_cmpstr (kf_known_servers_lookup (store, "spaced.example", 7745), ==, FP_B);
  g_assert_null (kf_known_servers_lookup (store, "noport.example", 7745));
  g_assert_null (kf_known_servers_lookup (store, "short.example", 7745));
  g_assert_null (kf_known_servers_lookup (store, "three.example", 7745));
  g_assert_null (kf_known_servers_lookup (store, "zero.example", 0));

  g_assert_true (kf_known_servers_add (store, "new.example", 7745, FP_B, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "# pinned key managers\n"));
  g_assert_nonnull (strstr (contents, "short.example:7745 abcdef\n"));
  g_assert_nonnull (strstr (contents, "bin\xff\xfe.example"));
  g_assert_nonnull (strstr (contents, "new.example:7745 " FP_B "\n"));
}

/* Two stores on one file (two clients) do not undo each other's pins. */
static void
test_concurrent_stores_merge (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(KfKnownServers) one = kf_known_servers_new (f->path);
  g_autoptr(KfKnownServers) two = kf_known_servers_new (f->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_known_servers_load (one, &error));
  g_assert_true (kf_known_servers_load (two, &error));
  g_assert_true (kf_known_servers_add (one, "one.example", 7745, FP_A, &error));
  g_assert_true (kf_known_servers_add (two, "two.example", 7745, FP_B, &error));
  g_assert_no_error (error);

  g_assert_true (kf_known_servers_load (one, &error));
  g_assert_cmpstr (kf_known_servers_lookup (one, "one.example", 7745), ==, FP_A);
  g_assert_cmpstr (kf_known_servers_lookup (one, "two.example", 7745), ==, FP_B);
}

/* A path that cannot be written fails with a message, and nothing breaks. */
static void
test_unwritable (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *blocker = g_build_filename (f->dir, "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "known-servers", NULL);
  g_autoptr(KfKnownServers) store = kf_known_servers_new (path);
  g_autoptr(GError) error = NULL;

  write_file (blocker, "not a folder\n");
  g_assert_false (kf_known_servers_add (store, "a.example", 7745, FP_A, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (error->message);
}

/* A file that cannot be written (its name leaves no room for the
 * temporary file beside it) says what could not be saved, and why, in
 * the domain and code of the cause. */
static void
test_save_error_names_the_store (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *name = g_strnfill (250, 'k');
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(KfKnownServers) store = kf_known_servers_new (path);
  g_autoptr(GError) error = NULL;

  g_assert_false (kf_known_servers_add (store, "a.example", 7745, FP_A, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG);
  g_assert_true (g_str_has_prefix (error->message, "Could not save the known servers: "));
}

/* A folder where the file should be cannot be read: an error, not a crash. */
static void
test_unreadable (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(KfKnownServers) store = kf_known_servers_new (f->dir);
  g_autoptr(GError) error = NULL;

  g_assert_false (kf_known_servers_load (store, &error));
  g_assert_nonnull (error);
}

/* One form for people (groups of four), and every form people may type
 * back: the grouped one, 64 lower-case digits, colon pairs. */
static void
test_fingerprint_one_form (void)
{
  static const char *canonical = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  static const char *typed[] = {
    "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 89AB CDEF",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF",
    "SHA256:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef",
  };
  g_autofree char *pretty = kf_fingerprint_format_pretty (canonical);

  g_assert_cmpstr (pretty, ==, typed[0]);
  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *back = kf_fingerprint_normalize (typed[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (back, ==, canonical);
    }
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, kf_test_tmp_file_clear)

  ADD ("/known-servers/missing-file-is-empty", test_missing_file_is_empty);
  g_test_add_func ("/known-servers/default-path", test_default_path);
  g_test_add_func ("/known-servers/default-path-unset", test_default_path_unset);
  g_test_add_func ("/fingerprint/one-form-shown-every-form-read", test_fingerprint_one_form);
  ADD ("/known-servers/add-persists-privately", test_add_persists_privately);
  ADD ("/known-servers/fingerprint-forms", test_fingerprint_forms);
  ADD ("/known-servers/ipv6", test_ipv6);
  ADD ("/known-servers/replace-remove-clear", test_replace_remove_clear);
  ADD ("/known-servers/tolerant-parsing", test_tolerant_parsing);
  ADD ("/known-servers/concurrent-stores-merge", test_concurrent_stores_merge);
  ADD ("/known-servers/unwritable", test_unwritable);
  ADD ("/known-servers/save-error-names-the-store", test_save_error_names_the_store);
  ADD ("/known-servers/unreadable", test_unreadable);

#undef ADD

  return g_test_run ();
}
