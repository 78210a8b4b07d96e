/* test-server-options.c: the --config file as command-line options, and
 * the escaping of what --status and --log-format json print
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "kf-server-log.h"
#include "kf-server-options.h"

typedef struct
{
  char     *port;
  char     *audit_log;
  gboolean  verbose;
  gboolean  version;
} Options;

typedef struct
{
  Options       o;
  GOptionEntry  entries[5];
  char         *dir;
  char         *path;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_STRING, &f->o.port, NULL, NULL },
    { "audit-log", 0, 0, G_OPTION_ARG_FILENAME, &f->o.audit_log, NULL, NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &f->o.verbose, NULL, NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &f->o.version, NULL, NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;

  memcpy (f->entries, entries, sizeof entries);
  f->dir = g_dir_make_tmp ("kf-test-options-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "server.conf", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_free (f->o.port);
  g_free (f->o.audit_log);
}

static void
write_conf (Fixture    *f,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (f->path, text, -1, &error);
  g_assert_no_error (error);
}

static const char * const not_in_file[] = { "version", NULL };

/* The file fills in what the command line left unset, and nothing else. */
static void
test_command_line_wins (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->o.port = g_strdup ("1234");
  write_conf (f, "[keyferry-server]\nport=7745\naudit-log=/tmp/a b.log\nverbose=true\n");
  g_assert_true (kf_server_options_load_file (f->entries, not_in_file, f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->o.port, ==, "1234");
  g_assert_cmpstr (f->o.audit_log, ==, "/tmp/a b.log");
  g_assert_true (f->o.verbose);
}

/* Restoring puts the command line's values back, so a reload that reads
 * a file without a key forgets what an earlier file said. */
static void
test_restore (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(KfServerOptionsSaved) saved = NULL;
  g_autoptr(GError) error = NULL;

  f->o.port = g_strdup ("1234");
  saved = kf_server_options_save (f->entries);
  write_conf (f, "[keyferry-server]\naudit-log=/tmp/x.log\nverbose=true\n");
  g_assert_true (kf_server_options_load_file (f->entries, not_in_file, f->path, &error));
  g_assert_true (f->o.verbose);

  kf_server_options_restore (f->entries, saved);
  write_conf (f, "[keyferry-server]\n");
  g_assert_true (kf_server_options_load_file (f->entries, not_in_file, f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->o.port, ==, "1234");
  g_assert_null (f->o.audit_log);
  g_assert_false (f->o.verbose);
}

/* Typos, actions, bad switches and a missing group are errors naming the
 * file and the key. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  const char *bad[][2] = {
    { "[keyferry-server]\nprot=7745\n", "prot" },
    { "[keyferry-server]\nversion=true\n", "version" },
    { "[keyferry-server]\nverbose=maybe\n", "verbose" },
    { "[server]\nport=1\n", "keyferry-server" },
    { "port=1\n", f->path },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      write_conf (f, bad[i][0]);
      g_assert_false (kf_server_options_load_file (f->entries, not_in_file, f->path, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, bad[i][1]));
      g_assert_nonnull (strstr (error->message, f->path));
    }
}

/* JSON output escapes quotes, controls, bidi and zero-width characters,
 * line separators, tags (beyond the BMP: a surrogate pair) and bad UTF-8;
 * readable text passes. */
static void
test_json_escaping (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  kf_server_append_json (out, "a\"b\\c\n\x1b[31m\xe2\x80\xae" "x\xe2\x80\x8b" "\xff" "ă"
                         "\xe2\x80\xa8" "\xf3\xa0\x80\x81", -1);
  g_assert_cmpstr (out->str, ==,
                   "\"a\\\"b\\\\c\\u000a\\u001b[31m\\u202ex\\u200b\\ufffdă"
                   "\\u2028\\udb40\\udc01\"");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server-options/command-line-wins", Fixture, NULL, fixture_set_up,
              test_command_line_wins, fixture_tear_down);
  g_test_add ("/server-options/restore", Fixture, NULL, fixture_set_up,
              test_restore, fixture_tear_down);
  g_test_add ("/server-options/refused", Fixture, NULL, fixture_set_up,
              test_refused, fixture_tear_down);
  g_test_add_func ("/server-options/json-escaping", test_json_escaping);

  return g_test_run ();
}
