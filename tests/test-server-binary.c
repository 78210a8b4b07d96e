/* test-server-binary.c: the real keyferry-server binary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts $KF_SERVER with a temporary state directory on 127.0.0.1 and a
 * free port, reads its start-up lines, pairs two clients through it, stops
 * it with SIGTERM, and does it again: the certificate (and so the
 * fingerprint clients pinned) must survive the restart.  Admission by a
 * passphrase file and by a stored hash from --hash-passphrase, and every
 * bad command line or admission file, exit status 2 with one line.
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "kf-fingerprint.h"
#include "kf-gcrypt.h"
#include "kf-line-reader.h"
#include "kf-secure.h"
#include "kf-test-km-client.h"
#include "kf-test-util.h"

typedef struct
{
  GSubprocess  *process;
  KfLineReader *stderr_reader;
  char         *fingerprint;
  GString      *early;        /* every stderr line up to the port line */
  guint16       port;
} Server;

/* Reads one line of the server's stderr; %NULL at its end. */
static char *
read_stderr_line (Server *s)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) secure = NULL;

  kf_line_reader_read_line_async (s->stderr_reader, NULL, kf_test_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  secure = kf_line_reader_read_line_finish (s->stderr_reader, result, NULL, &error);
  g_assert_no_error (error);
  return g_strdup (secure);
}

static const char *
server_path (void)
{
  const char *path = g_getenv ("KF_SERVER");

  g_assert_nonnull (path);
  return path;
}

/* Starts the binary with @extra (NULL-terminated; may be %NULL) and reads
 * its two stable start-up lines. */
static void
server_start (Server            *s,
              const char        *state_dir,
              const char        *audit,
              const char * const *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  char *line;

  g_ptr_array_add (argv, (char *) server_path ());
  for (const char * const *a = (const char *[]) { "--listen", "127.0.0.1", "--port", "0",
                                                  "--state-dir", state_dir, "--audit-log", audit,
                                                  NULL }; *a; a++)
    g_ptr_array_add (argv, (char *) *a);
  for (const char * const *a = extra; a != NULL && *a != NULL; a++)
    g_ptr_array_add (argv, (char *) *a);
  g_ptr_array_add (argv, NULL);
  s->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  s->stderr_reader = kf_line_reader_new (g_subprocess_get_stderr_pipe (s->process), 4096);
  s->early = g_string_new (NULL);

  while (s->port == 0 && (line = read_stderr_line (s)) != NULL)
    {
      guint64 port;

      g_test_message ("server: %s", line);
      g_string_append_printf (s->early, "%s\n", line);
      if (g_str_has_prefix (line, "keyferry-server: fingerprint "))
        s->fingerprint = kf_fingerprint_normalize (line + strlen ("keyferry-server: fingerprint "),
                                                   NULL);
      else if (g_str_has_prefix (line, "keyferry-server: listening on 127.0.0.1 port ")
               && g_ascii_string_to_unsigned (line + strlen ("keyferry-server: listening on 127.0.0.1 port "),
                                              10, 1, 65535, &port, NULL))
        s->port = (guint16) port;
      g_free (line);
    }
  g_assert_nonnull (s->fingerprint);
  g_assert_cmpuint (strlen (s->fingerprint), ==, 64);
  g_assert_cmpuint (s->port, !=, 0);
}

/* SIGTERM or SIGINT: the client is told, the process exits 0. */
static void
server_stop (Server         *s,
             KfTestKmClient *client,
             int             signum)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfProtocolMessage) shutdown = NULL;

  g_subprocess_send_signal (s->process, signum);
  shutdown = kf_test_km_client_expect (client, KF_MSG_EV_SHUTDOWN);
  kf_test_km_client_expect_eof (client);
  g_subprocess_wait_check (s->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&s->stderr_reader);
  g_clear_object (&s->process);
  g_clear_pointer (&s->fingerprint, g_free);
  if (s->early != NULL)
    g_string_free (g_steal_pointer (&s->early), TRUE);
  s->port = 0;
}

/* Two clients pair through the binary and get a matching verdict. */
static void
pair_through (Server *s)
{
  g_autoptr(KfTestKmClient) a = kf_test_km_client_join (s->port, s->fingerprint, "alice", NULL);
  g_autoptr(KfTestKmClient) b = kf_test_km_client_join (s->port, s->fingerprint, "bob", NULL);
  g_autoptr(KfProtocolMessage) ok = NULL;
  g_autoptr(KfProtocolMessage) akey = NULL;
  g_autoptr(KfProtocolMessage) bkey = NULL;
  g_autoptr(KfProtocolMessage) listen = NULL;
  g_autoptr(KfProtocolMessage) connect = NULL;
  g_autoptr(KfProtocolMessage) ra = NULL;
  g_autoptr(KfProtocolMessage) rb = NULL;

  kf_test_km_client_command (b, "wait", KF_MSG_WAIT);
  kf_test_km_client_sendf (a, "conn %" G_GUINT64_FORMAT " cfb", kf_test_km_client_get_id (b));
  ok = kf_test_km_client_expect (a, KF_MSG_OK);
  akey = kf_test_km_client_expect (a, KF_MSG_EV_KEY);
  bkey = kf_test_km_client_expect (b, KF_MSG_EV_KEY);
  kf_test_km_client_confirm (a, akey);
  kf_test_km_client_confirm (b, bkey);
  listen = kf_test_km_client_expect (b, KF_MSG_EV_LISTEN);
  kf_test_km_client_command (b, "port 5555", KF_MSG_PORT);
  connect = kf_test_km_client_expect (a, KF_MSG_EV_CONNECT);
  g_assert_cmpuint (connect->port, ==, 5555);
  kf_test_km_client_command (a, "report 12 -", KF_MSG_REPORT);
  kf_test_km_client_command (b, "report 12 -", KF_MSG_REPORT);
  ra = kf_test_km_client_expect (a, KF_MSG_EV_RESULT);
  rb = kf_test_km_client_expect (b, KF_MSG_EV_RESULT);
  g_assert_cmpint (ra->verdict, ==, KF_VERDICT_OK);
  g_assert_cmpint (rb->verdict, ==, KF_VERDICT_OK);
  g_assert_cmpuint (rb->receiver_blocks, ==, 12);
}

static char *
print_fingerprint (const char *state_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = NULL;
  g_autofree char *out = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *pretty = NULL;

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, server_path (),
                        "--print-fingerprint", "--state-dir", state_dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
  g_strstrip (out);
  /* The one form people see: 16 upper-case groups of four hex digits. */
  canonical = kf_fingerprint_normalize (out, &error);
  g_assert_no_error (error);
  pretty = kf_fingerprint_format_pretty (canonical);
  g_assert_cmpstr (out, ==, pretty);
  g_assert_true (g_regex_match_simple ("^([0-9A-F]{4} ){15}[0-9A-F]{4}$", out, 0, 0));
  return g_steal_pointer (&canonical);
}

static void
test_restart_keeps_fingerprint (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kf-server-binary-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *audit = g_build_filename (dir, "audit.log", NULL);
  g_autofree char *key = g_build_filename (state, "server.key", NULL);
  g_autofree char *crt = g_build_filename (state, "server.crt", NULL);
  g_autofree char *first = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *log = NULL;
  Server s = { 0 };
  GStatBuf st;

  g_assert_no_error (error);
  for (guint run = 0; run < 2; run++)
    {
      g_autoptr(KfTestKmClient) watcher = NULL;

      server_start (&s, state, audit, NULL);
      if (run == 0)
        first = g_strdup (s.fingerprint);
      else
        g_assert_cmpstr (s.fingerprint, ==, first);
      pair_through (&s);
      watcher = kf_test_km_client_join (s.port, first, "carol", NULL);
      server_stop (&s, watcher, run == 0 ? SIGTERM : SIGINT);
    }

  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  printed = print_fingerprint (state);
  g_assert_cmpstr (printed, ==, first);
  g_assert_true (g_file_get_contents (audit, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "mode=cfb sender_blocks=12 receiver_blocks=12 outcome=ok"));

  g_remove (key);
  g_remove (crt);
  g_remove (audit);
  g_rmdir (state);
  g_rmdir (dir);
}

/* The running server holds the passphrase: its core-file limit is zero,
 * soft and hard (kf_process_harden() also made it non-dumpable). */
static void
assert_no_core_dumps (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/limits",
                                           g_subprocess_get_identifier (s->process));
  g_autofree char *limits = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) zero = g_regex_new ("^Max core file size +0 +0 ", G_REGEX_MULTILINE, 0, NULL);

  g_assert_true (g_file_get_contents (path, &limits, NULL, &error));
  g_assert_no_error (error);
  if (!g_regex_match (zero, limits, 0, NULL))
    g_error ("core dumps are not disabled:\n%s", limits);
}

/* --passphrase-file: the first line of the file is the passphrase. */
static void
test_passphrase_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kf-server-binary-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *audit = g_build_filename (dir, "audit.log", NULL);
  g_autofree char *secret = g_build_filename (dir, "passphrase", NULL);
  g_autoptr(KfTestKmClient) wrong = NULL;
  g_autoptr(KfTestKmClient) right = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;
  Server s = { 0 };

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (secret, "open sesame\nignored\n", -1, &error));
  g_assert_cmpint (g_chmod (secret, 0600), ==, 0);
  server_start (&s, state, audit, (const char *[]) { "--passphrase-file", secret, NULL });
  assert_no_core_dumps (&s);

  wrong = kf_test_km_client_connect (s.port, s.fingerprint, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (wrong, KF_MSG_GREETING);
  g_assert_true (greeting->auth_required);
  kf_test_km_client_send (wrong, "auth open%20sesame%0A", NULL);
  kf_test_km_client_expect_err (wrong, KF_PROTOCOL_ERROR_AUTH_FAILED);
  kf_test_km_client_expect_eof (wrong);

  right = kf_test_km_client_join (s.port, s.fingerprint, "alice", "open sesame");
  server_stop (&s, right, SIGTERM);

  for (const char * const *name = (const char *[]) { "server.key", "server.crt", NULL }; *name; name++)
    {
      g_autofree char *path = g_build_filename (state, *name, NULL);

      g_remove (path);
    }
  g_remove (audit);
  g_remove (secret);
  g_rmdir (state);
  g_rmdir (dir);
}

/* Runs the binary with @argv (after its path) and @input on standard
 * input; returns its exit status, with its stdout and stderr. */
static int
run_server_command (const char * const  *args,
                    const char          *input,
                    char               **out,
                    char               **err)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GBytes) stdin_bytes = g_bytes_new (input, input != NULL ? strlen (input) : 0);
  g_autoptr(GBytes) stdout_bytes = NULL;
  g_autoptr(GBytes) stderr_bytes = NULL;

  g_ptr_array_add (argv, (char *) server_path ());
  for (const char * const *a = args; *a != NULL; a++)
    g_ptr_array_add (argv, (char *) *a);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_newv ((const char * const *) argv->pdata,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                         | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (p, stdin_bytes, NULL, &stdout_bytes, &stderr_bytes, &error);
  g_assert_no_error (error);
  /* An empty GBytes may have NULL data: the strings are "" then. */
  *out = g_strdup_printf ("%.*s", (int) g_bytes_get_size (stdout_bytes),
                          (const char *) g_bytes_get_data (stdout_bytes, NULL));
  *err = g_strdup_printf ("%.*s", (int) g_bytes_get_size (stderr_bytes),
                          (const char *) g_bytes_get_data (stderr_bytes, NULL));
  g_test_message ("%s → %d, stdout “%s”, stderr “%s”", args[0],
                  g_subprocess_get_exit_status (p), *out, *err);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

/* Asserts that @err is one line from keyferry-server that mentions @says. */
static void
assert_one_line (const char *err,
                 const char *says)
{
  g_assert_true (g_str_has_prefix (err, "keyferry-server: "));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_cmpstr (strchr (err, '\n') + 1, ==, "");
  g_assert_nonnull (strstr (err, says));
}

/* A client's wrong passphrase is refused and the right one admitted. */
static void
check_admission (Server     *s,
                 const char *right,
                 const char *wrong)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfTestKmClient) refused = NULL;
  g_autoptr(KfTestKmClient) admitted = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;
  g_autofree char *escaped = g_uri_escape_string (wrong, NULL, FALSE);

  refused = kf_test_km_client_connect (s->port, s->fingerprint, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (refused, KF_MSG_GREETING);
  g_assert_true (greeting->auth_required);
  kf_test_km_client_sendf (refused, "auth %s", escaped);
  kf_test_km_client_expect_err (refused, KF_PROTOCOL_ERROR_AUTH_FAILED);
  kf_test_km_client_expect_eof (refused);

  admitted = kf_test_km_client_join (s->port, s->fingerprint, "alice", right);
  server_stop (s, admitted, SIGTERM);
}

static void
remove_state (const char *dir,
              const char *state)
{
  for (const char * const *name = (const char *[]) { "server.key", "server.crt", NULL }; *name; name++)
    {
      g_autofree char *path = g_build_filename (state, *name, NULL);

      g_remove (path);
    }
  g_rmdir (state);
  for (const char * const *name = (const char *[]) { "audit.log", "admission.hash", NULL }; *name; name++)
    {
      g_autofree char *path = g_build_filename (dir, *name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

/* --hash-passphrase reads standard input's first line and prints one PHC
 * line; --passphrase-hash-file with that line admits that passphrase only. */
static void
test_passphrase_hash_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kf-server-binary-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *audit = g_build_filename (dir, "audit.log", NULL);
  g_autofree char *hash_file = g_build_filename (dir, "admission.hash", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  Server s = { 0 };

  g_assert_no_error (error);
  g_assert_cmpint (run_server_command ((const char *[]) { "--hash-passphrase", NULL },
                                       "open sesame\nnot this line\n", &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_str_has_prefix (out, "$argon2id$v=19$m=65536,t=3,p=4$"));
  /* 16-byte salt, 32-byte hash, one line break. */
  g_assert_cmpuint (strlen (out), ==, strlen ("$argon2id$v=19$m=65536,t=3,p=4$") + 22 + 1 + 43 + 1);
  g_assert_true (g_str_has_suffix (out, "\n"));

  g_assert_true (g_file_set_contents (hash_file, out, -1, &error));
  g_assert_cmpint (g_chmod (hash_file, 0600), ==, 0);
  server_start (&s, state, audit, (const char *[]) { "--passphrase-hash-file", hash_file, NULL });
  g_assert_null (strstr (s.early->str, "warning"));
  check_admission (&s, "open sesame", "not this line");

  remove_state (dir, state);
}

/* A hash the reference argon2 tool wrote admits its passphrase; the file
 * being readable by others is one warning line, not a refusal. */
static void
test_passphrase_hash_from_argon2_tool (void)
{
  /* echo -n "open sesame" | argon2 saltsaltsaltsalt -id -t 1 -k 8192 -p 1 -l 16 -e */
  const char *phc = "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$m28C/TrRnrg/yf4S3TFE4Q";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kf-server-binary-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *audit = g_build_filename (dir, "audit.log", NULL);
  g_autofree char *hash_file = g_build_filename (dir, "admission.hash", NULL);
  g_autofree char *warning = NULL;
  Server s = { 0 };

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (hash_file, phc, -1, &error));
  g_assert_cmpint (g_chmod (hash_file, 0644), ==, 0);
  server_start (&s, state, audit, (const char *[]) { "--passphrase-hash-file", hash_file, NULL });
  warning = g_strdup_printf ("keyferry-server: warning: the passphrase hash file %s is readable "
                             "by other users (mode 0644)", hash_file);
  g_assert_nonnull (strstr (s.early->str, warning));
  check_admission (&s, "open sesame", "open sesame ");

  remove_state (dir, state);
}

/* A passphrase hash file the server cannot use: one line, exit status 2,
 * before anything is created. */
static void
test_bad_passphrase_hash_file (void)
{
  const struct { const char *contents; int mode; const char *says; } cases[] = {
    { "$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A", 0600,
      "is malformed: it does not start with “$argon2id$”" },
    { "$argon2id$v=19$m=8388608,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$m28C/TrRnrg/yf4S3TFE4Q", 0600,
      "is malformed: m is out of range" },
    { "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$m28C/TrRnrg/yf4S3TFE4Q==\n", 0600,
      "is malformed: the hash ends in base64 padding" },
    { "", 0600, "is malformed: it is empty" },
    { "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$m28C/TrRnrg/yf4S3TFE4Q", 0660,
      "is writable by other users (mode 0660)" },
    { NULL, 0, "Cannot open the passphrase hash file" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kf-server-binary-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *hash_file = g_build_filename (dir, "admission.hash", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_remove (hash_file);
      if (cases[i].contents != NULL)
        {
          g_assert_true (g_file_set_contents (hash_file, cases[i].contents, -1, &error));
          g_assert_cmpint (g_chmod (hash_file, cases[i].mode), ==, 0);
        }
      g_assert_cmpint (run_server_command ((const char *[]) { "--listen", "127.0.0.1", "--port", "0",
                                                              "--state-dir", state,
                                                              "--passphrase-hash-file", hash_file,
                                                              NULL }, NULL, &out, &err), ==, 2);
      assert_one_line (err, cases[i].says);
      g_assert_nonnull (strstr (err, hash_file));
      g_assert_null (strstr (err, "m28C"));
      g_assert_cmpstr (out, ==, "");
      g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
    }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run_server_command ((const char *[]) { "--passphrase-file", hash_file,
                                                            "--passphrase-hash-file", hash_file,
                                                            NULL }, NULL, &out, &err), ==, 2);
    assert_one_line (err, "either --passphrase-file or --passphrase-hash-file");
  }
  g_remove (hash_file);
  g_rmdir (dir);
}

/* A passphrase file other users may read or change, or that is not a
 * regular file: one line that says what to do, exit status 2, before
 * anything is created. */
static void
test_bad_passphrase_file (void)
{
  const struct { int mode; const char *says; } cases[] = {
    { 0640, "may be read or changed by other users (mode 0640); chmod go= it" },
    { 0604, "may be read or changed by other users (mode 0604)" },
    { 0620, "may be read or changed by other users (mode 0620)" },
    { -1, "is not a regular file" },
    { 0, "Cannot open the passphrase file" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kf-server-binary-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *file = g_build_filename (dir, "passphrase", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      if (cases[i].mode > 0)
        {
          g_assert_true (g_file_set_contents (file, "open sesame\n", -1, &error));
          g_assert_cmpint (g_chmod (file, cases[i].mode), ==, 0);
        }
      else if (cases[i].mode < 0)
        g_assert_cmpint (g_mkdir (file, 0700), ==, 0);
      g_assert_cmpint (run_server_command ((const char *[]) { "--listen", "127.0.0.1", "--port", "0",
                                                              "--state-dir", state,
                                                              "--passphrase-file", file,
                                                              NULL }, NULL, &out, &err), ==, 2);
      assert_one_line (err, cases[i].says);
      g_assert_nonnull (strstr (err, file));
      g_assert_null (strstr (err, "sesame"));
      g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
      g_remove (file);
    }
  g_rmdir (dir);
}

/* --hash-passphrase with nothing usable on standard input: one line, exit
 * status 1, nothing on standard output. */
static void
test_hash_passphrase_bad_input (void)
{
  g_autofree char *long_line = g_strnfill (1025, 'a');
  const char *inputs[] = { "", "\n", "\r\nsecond line\n", long_line };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (run_server_command ((const char *[]) { "--hash-passphrase", NULL },
                                           inputs[i], &out, &err), ==, 1);
      assert_one_line (err, "The passphrase must be one line of 1 to 1024 bytes");
      g_assert_cmpstr (out, ==, "");
    }
}

/* Reads from @fd until @text has been seen or the input ends; returns all
 * that was read. */
static char *
read_until (int         fd,
            const char *text)
{
  GString *seen = g_string_new (NULL);
  char buf[256];
  gssize n;

  while (strstr (seen->str, text) == NULL && (n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (seen, buf, n);
  return g_string_free (seen, FALSE);
}

/* Runs --hash-passphrase on a pseudo-terminal, answering the two prompts
 * with @first and @second; returns its exit status, its standard output and
 * what the terminal showed. */
static int
hash_on_terminal (const char  *first,
                  const char  *second,
                  char       **out,
                  char       **shown)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) p = NULL;
  g_autofree char *prompt1 = NULL;
  g_autofree char *prompt2 = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *answer1 = g_strconcat (first, "\n", NULL);
  g_autofree char *answer2 = g_strconcat (second, "\n", NULL);
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  int slave;

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);
  g_subprocess_launcher_take_stdin_fd (launcher, slave);
  g_subprocess_launcher_take_stderr_fd (launcher, dup (slave));
  p = g_subprocess_launcher_spawn (launcher, &error, server_path (), "--hash-passphrase", NULL);
  g_assert_no_error (error);
  g_clear_object (&launcher);   /* closes our copies of the terminal's end */

  prompt1 = read_until (master, "passphrase: ");
  g_assert_cmpint (write (master, answer1, strlen (answer1)), ==, (gssize) strlen (answer1));
  prompt2 = read_until (master, "again: ");
  g_assert_cmpint (write (master, answer2, strlen (answer2)), ==, (gssize) strlen (answer2));
  g_subprocess_communicate_utf8 (p, NULL, NULL, out, NULL, &error);
  g_assert_no_error (error);
  /* The process is gone: the terminal reads to its end (EIO). */
  rest = read_until (master, "\x01");
  close (master);
  *shown = g_strconcat (prompt1, prompt2, rest, NULL);
  g_test_message ("terminal: “%s”, stdout “%s”", *shown, *out);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

/* On a terminal --hash-passphrase asks twice, never echoes, and hashes
 * only when both answers match. */
static void
test_hash_passphrase_terminal (void)
{
  g_autofree char *out = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *shown2 = NULL;

  g_assert_cmpint (hash_on_terminal ("tty secret", "tty secret", &out, &shown), ==, 0);
  g_assert_true (g_str_has_prefix (out, "$argon2id$v=19$m=65536,t=3,p=4$"));
  g_assert_null (strstr (shown, "tty secret"));
  g_assert_nonnull (strstr (shown, "again: "));

  g_assert_cmpint (hash_on_terminal ("tty secret", "tty secreT", &out2, &shown2), ==, 1);
  g_assert_cmpstr (out2, ==, "");
  g_assert_null (strstr (shown2, "tty secre"));
  g_assert_nonnull (strstr (shown2, "keyferry-server: The two passphrases differ"));
}

/* Every bad command line is one line on stderr and exit status 2. */
static void
test_bad_options (void)
{
  const char *cases[][3] = {
    { "--bogus", NULL, NULL },
    { "--port", "seventy", NULL },
    { "--port", "65536", NULL },
    { "--max-clients", "0", NULL },
    { "--listen", "not-an-address", NULL },
    { "--idle-timeout", "-1", NULL },
    { "stray", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) p = NULL;
      g_autofree char *err = NULL;

      p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                            &error, server_path (), cases[i][0], cases[i][1], cases[i][2], NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error);
      g_assert_no_error (error);
      g_test_message ("%s → %s", cases[i][0], err);
      g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
      g_assert_true (g_str_has_prefix (err, "keyferry-server: "));
      g_assert_nonnull (strchr (err, '\n'));
      g_assert_cmpstr (strchr (err, '\n') + 1, ==, "");
    }
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-binary/restart-keeps-fingerprint", test_restart_keeps_fingerprint);
  g_test_add_func ("/server-binary/passphrase-file", test_passphrase_file);
  g_test_add_func ("/server-binary/bad-options-exit-2", test_bad_options);
  g_test_add_func ("/server-binary/bad-passphrase-file-exit-2", test_bad_passphrase_file);
  g_test_add_func ("/server-binary/passphrase-hash-file", test_passphrase_hash_file);
  g_test_add_func ("/server-binary/passphrase-hash-from-argon2-tool",
                   test_passphrase_hash_from_argon2_tool);
  g_test_add_func ("/server-binary/bad-passphrase-hash-file-exit-2", test_bad_passphrase_hash_file);
  g_test_add_func ("/server-binary/hash-passphrase-bad-input-exit-1", test_hash_passphrase_bad_input);
  g_test_add_func ("/server-binary/hash-passphrase-terminal", test_hash_passphrase_terminal);

  return g_test_run ();
}
