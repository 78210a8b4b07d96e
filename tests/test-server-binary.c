/* test-server-binary.c: the real keyferry-server binary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts $KF_SERVER with a temporary state directory on 127.0.0.1 and a
 * free port, reads its start-up lines, pairs two clients through it, stops
 * it with SIGTERM, and does it again: the certificate (and so the
 * fingerprint clients pinned) must survive the restart.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "kf-gcrypt.h"
#include "kf-line-reader.h"
#include "kf-test-km-client.h"
#include "kf-test-util.h"

typedef struct
{
  GSubprocess  *process;
  KfLineReader *stderr_reader;
  char         *fingerprint;
  guint16       port;
} Server;

/* Reads one line of the server's stderr; %NULL at its end. */
static char *
read_stderr_line (Server *s)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *line;

  kf_line_reader_read_line_async (s->stderr_reader, NULL, kf_test_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  line = kf_line_reader_read_line_finish (s->stderr_reader, result, NULL, &error);
  g_assert_no_error (error);
  return line;
}

static const char *
server_path (void)
{
  const char *path = g_getenv ("KF_SERVER");

  g_assert_nonnull (path);
  return path;
}

/* Starts the binary and reads its two stable start-up lines. */
static void
server_start (Server     *s,
              const char *state_dir,
              const char *audit,
              const char *passphrase_file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  char *line;

  g_ptr_array_add (argv, (char *) server_path ());
  for (const char * const *a = (const char *[]) { "--listen", "127.0.0.1", "--port", "0",
                                                  "--state-dir", state_dir, "--audit-log", audit,
                                                  NULL }; *a; a++)
    g_ptr_array_add (argv, (char *) *a);
  if (passphrase_file != NULL)
    {
      g_ptr_array_add (argv, "--passphrase-file");
      g_ptr_array_add (argv, (char *) passphrase_file);
    }
  g_ptr_array_add (argv, NULL);
  s->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  s->stderr_reader = kf_line_reader_new (g_subprocess_get_stderr_pipe (s->process), 4096);

  while (s->port == 0 && (line = read_stderr_line (s)) != NULL)
    {
      guint64 port;

      g_test_message ("server: %s", line);
      if (g_str_has_prefix (line, "keyferry-server: fingerprint "))
        s->fingerprint = g_strdup (line + strlen ("keyferry-server: fingerprint "));
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

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, server_path (),
                        "--print-fingerprint", "--state-dir", state_dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
  return g_strstrip (g_strdup (out));
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
  server_start (&s, state, audit, secret);

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

  return g_test_run ();
}
