/* kf-gui-transfer-util.c: what the window's transfer tests share: a
 * keyferry-cli process as the sending peer, the pages' widgets by id,
 * sparse files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "kf-gui-test-util.h"
#include "kf-gui-transfer-util.h"
#include "kf-transfer-page.h"

/* Returns "en" or "ro", the language of this run, for screenshot names. */
const char *
xfer_language (void)
{
  const char *language = g_getenv ("LANGUAGE");

  return language != NULL && g_str_has_prefix (language, "ro") ? "ro" : "en";
}

/* Returns the widget under @root built from the template id @id. */
GtkWidget *
xfer_by_id (GtkWidget  *root,
            const char *id)
{
  GtkWidget *widget;

  for (guint i = 0; (widget = kf_gui_test_find_child (root, GTK_TYPE_WIDGET, i)) != NULL; i++)
    if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
      return widget;
  g_error ("no widget with the id %s", id);
}

GtkWidget *
xfer_page (Fixture *fx)
{
  GtkWidget *page = kf_gui_test_find_child (GTK_WIDGET (fx->window), KF_TYPE_TRANSFER_PAGE, 0);

  g_assert_nonnull (page);
  return page;
}

/* In the CLI, before it runs: it dies with the test, even stopped. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * xfer_start_cli:
 *
 * Starts the build's keyferry-cli as @name sending @files (in CFB) to the
 * window, which must be waiting; it never gives up on a silent peer.
 * Its output goes to files in the fixture's folder; it is killed if the
 * test aborts.
 */
GSubprocess *
xfer_start_cli (Fixture     *fx,
                const char  *name,
                GFile      **files,
                guint        n_files)
{
  const char *cli = g_getenv ("KF_CLI");
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u", fx->port);
  g_autofree char *to = g_strdup_printf ("%u",
                                         kf_client_get_client_id (kf_window_get_client (fx->window)));
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = g_build_filename (fx->tmpdir, "cli.out", NULL);
  g_autofree char *err = g_build_filename (fx->tmpdir, "cli.err", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (cli == NULL)
    g_error ("KF_CLI must name the build's keyferry-cli");
  g_assert_cmpint (kf_client_get_state (kf_window_get_client (fx->window)), ==,
                   KF_CLIENT_STATE_WAITING);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, out);
  g_subprocess_launcher_set_stderr_file_path (launcher, err);
  {
    const char *head[] = { cli, "--server", server, "--fingerprint", fx->fingerprint,
                           "--name", name, "--idle-timeout", "0", "--json", "send",
                           "--to", to, "--mode", "cfb" };

    for (guint i = 0; i < G_N_ELEMENTS (head); i++)
      g_ptr_array_add (argv, g_strdup (head[i]));
  }
  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (argv, g_file_get_path (files[i]));
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  return process;
}

typedef struct
{
  GSubprocess *process;
  gboolean     done;
} CliWait;

static void
on_cli_exited (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CliWait *wait = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  wait->done = TRUE;
}

static gboolean
cli_exited (gpointer data)
{
  return ((CliWait *) data)->done;
}

/* Waits (bounded) for the CLI to end; returns its exit status, or -1
 * when it was killed (after a timeout it is killed, and the test fails). */
int
xfer_wait_cli (Fixture     *fx,
               GSubprocess *process)
{
  CliWait wait = { process, FALSE };

  g_subprocess_wait_async (process, NULL, on_cli_exited, &wait);
  if (!kf_gui_test_wait_for (cli_exited, &wait, CLI_TIMEOUT_MS))
    {
      g_autofree char *err_path = g_build_filename (fx->tmpdir, "cli.err", NULL);
      g_autofree char *err = NULL;

      g_file_get_contents (err_path, &err, NULL, NULL);
      g_subprocess_force_exit (process);
      g_assert_true (kf_gui_test_wait_for (cli_exited, &wait, CLI_TIMEOUT_MS));
      g_error ("keyferry-cli did not end: %s", err != NULL ? err : "");
    }
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

/* Makes a sparse file of @size bytes: large on the wire, nothing on disk. */
GFile *
xfer_sparse_file (Fixture    *fx,
                  const char *name,
                  goffset     size)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_seekable_truncate (G_SEEKABLE (stream), size, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&file);
}
