/* test-server-state.c: the key manager's lasting state in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ownership of folded names, enrolment, the administrator's changes, a
 * reopen after a writer killed with SIGKILL, and readers that go on while
 * another connection writes.
 */

#include "config.h"

#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "kf-server-state.h"
#include "kf-test-util.h"

#define KEY_A "aa00000000000000000000000000000000000000000000000000000000000000"
#define KEY_B "bb00000000000000000000000000000000000000000000000000000000000000"
#define KEY_C "cc00000000000000000000000000000000000000000000000000000000000000"
#define CODE_A "AAAA-AAAA-AAAA-AAAA"
#define CODE_B "BBBB-BBBB-BBBB-BBBB"
#define CODE_C "CCCC-CCCC-CCCC-CCCC"

typedef struct
{
  char          *dir;
  KfServerState *state;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kf-test-state-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = kf_server_state_open (f->dir, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->state);
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_finalize_object (f->state);
  f->state = kf_server_state_open (f->dir, &error);
  g_assert_no_error (error);
}

/* One value of a query on the file, through a separate connection. */
static char *
query (Fixture    *f,
       const char *sql)
{
  g_autofree char *path = g_build_filename (f->dir, KF_SERVER_STATE_FILE, NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
admit (Fixture    *f,
       const char *key,
       const char *code)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_server_state_admit (f->state, key, code, &error));
  g_assert_no_error (error);
}

static void
claim_ok (Fixture    *f,
          const char *key,
          const char *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_server_state_claim_name (f->state, key, name, &error));
  g_assert_no_error (error);
}

static void
claim_refused (Fixture    *f,
               const char *key,
               const char *name)
{
  g_autoptr(GError) error = NULL;

  g_test_message ("%s", name);
  g_assert_false (kf_server_state_claim_name (f->state, key, name, &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NAME_OWNED);
}

/* A new file: WAL, the schema's version, 0600. */
static void
test_state_new_file (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, KF_SERVER_STATE_FILE, NULL);
  g_autofree char *mode = query (f, "PRAGMA journal_mode");
  g_autofree char *version = query (f, "PRAGMA user_version");
  g_autoptr(GError) error = NULL;
  struct stat st;

  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (atoi (version), ==, KF_SERVER_STATE_SCHEMA);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpstr (kf_server_state_get_path (f->state), ==, path);
  g_assert_true (kf_server_state_get_enrolment_open (f->state, &error));
  g_assert_no_error (error);
}

/* A file from a newer schema is refused, not guessed at. */
static void
test_state_newer_schema (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *set = query (f, "PRAGMA user_version = 99");

  g_clear_object (&f->state);
  g_assert_null (kf_server_state_open (f->dir, &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NEWER);
}

/* The first identity owns "bob"; nobody else gets bob under any
 * look-alike spelling, even after a reopen; its owner gets it back. */
static void
test_state_name_ownership (Fixture       *f,
                           gconstpointer  data)
{
  const char *bobs[] = { "bob", "BOB", "Bob", "\xd0\x92\xd0\xbe" "b", "B0b",
                         "\xef\xbc\xa2\xef\xbd\x8f\xef\xbd\x82", " bob" };
  g_autoptr(GPtrArray) names = NULL;

  admit (f, KEY_A, CODE_A);
  admit (f, KEY_B, CODE_B);
  claim_ok (f, KEY_A, "bob");
  for (gsize i = 0; i < G_N_ELEMENTS (bobs); i++)
    claim_refused (f, KEY_B, bobs[i]);
  claim_ok (f, KEY_B, "rob");
  reopen (f);
  for (gsize i = 0; i < G_N_ELEMENTS (bobs); i++)
    claim_refused (f, KEY_B, bobs[i]);
  claim_ok (f, KEY_A, "BOB");
  claim_ok (f, KEY_B, "rob");

  names = kf_server_state_list_names (f->state, NULL);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_cmpstr (((KfServerStateName *) names->pdata[0])->name, ==, "bob");
  g_assert_cmpstr (((KfServerStateName *) names->pdata[0])->owner_code, ==, CODE_A);
  g_assert_cmpstr (((KfServerStateName *) names->pdata[1])->name, ==, "rob");
}

/* An identity never admitted cannot take a name. */
static void
test_state_claim_needs_admission (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (kf_server_state_claim_name (f->state, KEY_C, "carol", &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND);
}

/* Enrolment closed: known identities come in, unknown ones do not, and
 * one the administrator added by its code alone does, keeping its key. */
static void
test_state_enrolment (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  KfServerStateIdentity *c;

  admit (f, KEY_A, CODE_A);
  g_assert_true (kf_server_state_set_enrolment_open (f->state, FALSE, &error));
  g_assert_no_error (error);
  reopen (f);
  g_assert_false (kf_server_state_get_enrolment_open (f->state, &error));
  g_assert_no_error (error);
  admit (f, KEY_A, CODE_A);
  g_assert_false (kf_server_state_admit (f->state, KEY_C, CODE_C, &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_ENROLLED);
  g_clear_error (&error);

  g_assert_true (kf_server_state_add_identity (f->state, NULL, CODE_C, &error));
  g_assert_no_error (error);
  g_assert_false (kf_server_state_add_identity (f->state, NULL, CODE_C, &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_EXISTS);
  g_clear_error (&error);
  admit (f, KEY_C, CODE_C);
  /* Its code now means its key: another key with that code is refused. */
  g_assert_false (kf_server_state_admit (f->state, KEY_B, CODE_C, &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_ENROLLED);

  list = kf_server_state_list_identities (f->state, NULL);
  g_assert_cmpuint (list->len, ==, 2);
  c = list->pdata[1];
  g_assert_cmpstr (c->code, ==, CODE_C);
  g_assert_cmpstr (c->public_key, ==, KEY_C);
  g_assert_true (c->added_by_admin);
  g_assert_cmpint (c->first_seen, >, 0);
  g_assert_false (((KfServerStateIdentity *) list->pdata[0])->added_by_admin);
}

/* Removing an identity releases its names; releasing one name frees it
 * under any spelling; each change is in the audit table. */
static void
test_state_remove_and_release (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *events = NULL;

  admit (f, KEY_A, CODE_A);
  admit (f, KEY_B, CODE_B);
  claim_ok (f, KEY_A, "bob");
  claim_ok (f, KEY_A, "ana");
  list = kf_server_state_list_identities (f->state, NULL);
  g_assert_cmpuint (g_strv_length (((KfServerStateIdentity *) list->pdata[0])->names), ==, 2);

  g_assert_true (kf_server_state_release_name (f->state, "B0B", &error));
  g_assert_no_error (error);
  claim_ok (f, KEY_B, "Bob");
  g_assert_false (kf_server_state_release_name (f->state, "nobody", &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  claim_refused (f, KEY_B, "Ana");
  g_assert_true (kf_server_state_remove_identity (f->state, CODE_A, &error));
  g_assert_no_error (error);
  claim_ok (f, KEY_B, "Ana");
  g_assert_false (kf_server_state_remove_identity (f->state, CODE_A, &error));
  g_assert_error (error, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND);

  events = query (f, "SELECT group_concat (event, ' ') FROM (SELECT event FROM audit ORDER BY id)");
  g_assert_cmpstr (events, ==, "identity-enrolled identity-enrolled name-registered "
                   "name-registered name-released name-registered identity-removed "
                   "name-registered");
}

#define CRASH_NAMES_BEFORE_KILL 20
#define CRASH_CHILD_NAMES 100000

/* The child: claims names as fast as it can until killed. */
static void G_GNUC_NORETURN
write_until_killed (const char *dir)
{
  g_autoptr(KfServerState) state = kf_server_state_open (dir, NULL);

  if (state == NULL || !kf_server_state_admit (state, KEY_A, CODE_A, NULL))
    _exit (3);
  for (guint i = 0; i < CRASH_CHILD_NAMES; i++)
    {
      g_autofree char *name = g_strdup_printf ("name %u", i);

      if (!kf_server_state_claim_name (state, KEY_A, name, NULL))
        _exit (4);
    }
  _exit (0);
}

/* A writer killed with SIGKILL in the middle of its writes: the file
 * opens again, passes integrity_check, keeps every name the writer was
 * told it owns, and takes new writes. */
static void
test_state_reopen_after_kill (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autofree char *check = NULL;
  guint seen = 0;
  int status;
  pid_t pid;

  g_clear_object (&f->state);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    write_until_killed (f->dir);
  for (guint i = 0; i < 3000 && seen < CRASH_NAMES_BEFORE_KILL; i++)
    {
      g_autofree char *count = query (f, "SELECT count (*) FROM names");

      seen = count != NULL ? (guint) atoi (count) : 0;
      g_usleep (10 * 1000);
    }
  g_assert_cmpuint (seen, >=, CRASH_NAMES_BEFORE_KILL);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  f->state = kf_server_state_open (f->dir, NULL);
  g_assert_nonnull (f->state);
  check = query (f, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  names = kf_server_state_list_names (f->state, NULL);
  g_test_message ("%u names before the kill, %u after", seen, names->len);
  g_assert_cmpuint (names->len, >=, seen);
  admit (f, KEY_B, CODE_B);
  claim_refused (f, KEY_B, "name 0");
  claim_refused (f, KEY_B, "NAME 1");
  claim_ok (f, KEY_B, "carol");
}

typedef struct
{
  const char *dir;
  guint       reads;
  guint       failures;
} Reader;

static gpointer
read_while_written (gpointer data)
{
  Reader *r = data;
  g_autoptr(KfServerState) state = kf_server_state_open (r->dir, NULL);

  for (guint i = 0; state != NULL && i < 200; i++)
    {
      g_autoptr(GPtrArray) names = kf_server_state_list_names (state, NULL);
      g_autoptr(GPtrArray) identities = kf_server_state_list_identities (state, NULL);

      if (names == NULL || identities == NULL)
        r->failures++;
      else
        r->reads++;
    }
  return NULL;
}

/* Readers in other connections never fail while one connection writes. */
static void
test_state_concurrent_reads (Fixture       *f,
                             gconstpointer  data)
{
  Reader readers[3] = { { f->dir }, { f->dir }, { f->dir } };
  GThread *threads[G_N_ELEMENTS (readers)];
  g_autoptr(GPtrArray) names = NULL;

  admit (f, KEY_A, CODE_A);
  for (gsize i = 0; i < G_N_ELEMENTS (readers); i++)
    threads[i] = g_thread_new ("reader", read_while_written, &readers[i]);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);

      claim_ok (f, KEY_A, name);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (readers[i].failures, ==, 0);
      g_assert_cmpuint (readers[i].reads, ==, 200);
    }
  names = kf_server_state_list_names (f->state, NULL);
  g_assert_cmpuint (names->len, ==, 100);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/server-state/new-file", test_state_new_file);
  ADD ("/server-state/newer-schema", test_state_newer_schema);
  ADD ("/server-state/name-ownership", test_state_name_ownership);
  ADD ("/server-state/claim-needs-admission", test_state_claim_needs_admission);
  ADD ("/server-state/enrolment", test_state_enrolment);
  ADD ("/server-state/remove-and-release", test_state_remove_and_release);
  ADD ("/server-state/reopen-after-kill", test_state_reopen_after_kill);
  ADD ("/server-state/concurrent-reads", test_state_concurrent_reads);
#undef ADD

  return g_test_run ();
}
