/* kf-cli-readline.c: the prompt's line editor, GNU Readline on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Used when standard input and the prompt's stream are terminals: arrow
 * keys, Home, End and the rest of readline(3), a history kept in
 * $XDG_STATE_HOME/keyferry/history (the last HISTORY_MAX lines typed at
 * the keyferry> and "File to send:" prompts), and Tab completion: the
 * commands, peers and modes at keyferry> (kf-cli-complete.c), file names
 * at every other question ("File to send:", "Save as").
 *
 * Readline's callback interface keeps the main loop running: a GLib fd
 * source feeds it one key at a time while a line is wanted, so events from
 * the key manager still print while someone types.  Every line printed
 * meanwhile goes between kf_cli_readline_hide() and _show(), which clear
 * the prompt and the half-typed line and draw them again below.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <readline/readline.h>
#include <readline/history.h>

#include "kf-cli-complete.h"
#include "kf-cli-output.h"
#include "kf-cli-readline.h"

#define HISTORY_MAX 1000

static gboolean initialised;
static char *history_path;
static KfCliLineFunc line_done;
static KfCliInputKind line_kind;
static guint stdin_watch;
static guint hidden;
static GListModel *peers;
static GStrv labels;   /* the last completion's matches as a list shows them */

static void on_line (char *line);
static void display_matches (char **matches,
                             int    n,
                             int    max_length);

static void
set_kind (KfCliInputKind kind)
{
  line_kind = kind;
  /* Commands split at blanks; a file name is the whole line, spaces and all. */
  rl_completer_word_break_characters = (char *) (kind == KF_CLI_INPUT_COMMAND ? " \t" : "");
  rl_completion_display_matches_hook = kind == KF_CLI_INPUT_COMMAND ? display_matches : NULL;
}

static void
stop_watch (void)
{
  g_clear_handle_id (&stdin_watch, g_source_remove);
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  rl_callback_read_char ();
  return stdin_watch != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Readline's matches for the words kf-cli-complete.c gave, in memory
 * readline frees: first what replaces the word (the one word, or the
 * longest start they share), then the words, then NULL. */
static char **
to_matches (GStrv words)
{
  guint n = g_strv_length (words);
  char **matches;
  gsize common;

  if (n == 0)
    return NULL;

  matches = calloc (n + 2, sizeof (char *));
  if (n == 1)
    {
      matches[0] = strdup (words[0]);
      return matches;
    }

  common = strlen (words[0]);
  for (guint i = 0; i < n; i++)
    {
      matches[i + 1] = strdup (words[i]);
      while (common > 0 && strncmp (words[0], words[i], common) != 0)
        common--;
    }
  matches[0] = strndup (words[0], common);

  return matches;
}

static char **
attempt_completion (const char *text,
                    int         start,
                    int         end)
{
  g_autofree char *before = NULL;
  g_auto(GStrv) words = NULL;

  if (line_kind != KF_CLI_INPUT_COMMAND)
    return NULL;   /* readline's own: file names */

  rl_attempted_completion_over = 1;
  before = g_strndup (rl_line_buffer, (gsize) start);
  g_clear_pointer (&labels, g_strfreev);
  kf_cli_complete_command (before, text, peers, &words, &labels);

  return to_matches (words);
}

/* A list of peers shows their names beside their ids. */
static void
display_matches (char **matches,
                 int    n,
                 int    max_length)
{
  g_autoptr(GPtrArray) shown = g_ptr_array_new ();
  int longest = 0;

  g_ptr_array_add (shown, matches[0]);
  for (int i = 1; i <= n; i++)
    {
      const char *label = matches[i];

      for (guint j = 0; labels != NULL && labels[j] != NULL; j++)
        if (g_str_has_prefix (labels[j], matches[i]) && labels[j][strlen (matches[i])] == ' ')
          label = labels[j];
      g_ptr_array_add (shown, (char *) label);
      longest = MAX (longest, (int) strlen (label));
    }
  g_ptr_array_add (shown, NULL);
  rl_display_match_list ((char **) shown->pdata, n, longest);
  rl_forced_update_display ();
}

static void
load_history (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "keyferry", NULL);

  history_path = g_build_filename (dir, "history", NULL);
  using_history ();
  stifle_history (HISTORY_MAX);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_debug ("no history: cannot create %s", dir);
  else
    read_history (history_path);
}

/* Appends @line to the history and its file, which keeps its last
 * HISTORY_MAX lines, readable by its owner only. */
static void
remember (const char *line)
{
  HIST_ENTRY *last = history_length > 0 ? history_get (history_base + history_length - 1) : NULL;
  int fd;

  if (*line == '\0' || (last != NULL && g_str_equal (last->line, line)))
    return;
  add_history (line);
  fd = g_open (history_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0)
    return;
  close (fd);
  if (append_history (1, history_path) != 0 || history_truncate_file (history_path, HISTORY_MAX) != 0)
    g_debug ("could not save the history in %s", history_path);
}

/* However keyferry-cli ends, the terminal is left as it was found. */
static void
restore_terminal (void)
{
  if (stdin_watch == 0)
    return;
  rl_callback_handler_remove ();
  fputc ('\n', rl_outstream);
}

static gboolean
on_resize (gpointer user_data)
{
  if (stdin_watch != 0)
    rl_resize_terminal ();
  return G_SOURCE_CONTINUE;
}

/*
 * kf_cli_readline_init:
 * @output: where the prompt and the typed line are shown
 *
 * Sets readline up, once.  Returns: %TRUE when the prompt edits lines
 * (standard input and @output are terminals), %FALSE for plain reading.
 */
gboolean
kf_cli_readline_init (FILE *output)
{
  if (initialised)
    return TRUE;
  if (!isatty (STDIN_FILENO) || !isatty (fileno (output)))
    return FALSE;

  initialised = TRUE;
  atexit (restore_terminal);
  rl_readline_name = "keyferry";
  rl_instream = stdin;
  rl_outstream = output;
  rl_catch_signals = 0;      /* Ctrl-C is the main loop's (kf-cli-main.c) */
  rl_catch_sigwinch = 0;
  rl_attempted_completion_function = attempt_completion;
  g_unix_signal_add (SIGWINCH, on_resize, NULL);
  load_history ();

  return TRUE;
}

/*
 * kf_cli_readline_start:
 *
 * Shows @prompt and edits a line; hands it to @done (NULL at Ctrl-D on
 * an empty line) once Enter is pressed.  @kind chooses what Tab completes
 * and whether the line is remembered.
 */
void
kf_cli_readline_start (const char     *prompt,
                       KfCliInputKind  kind,
                       KfCliLineFunc   done)
{
  line_done = done;
  set_kind (kind);
  hidden = 0;
  rl_callback_handler_install (prompt, on_line);
  if (stdin_watch == 0)
    stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
}

static void
on_line (char *line)
{
  KfCliLineFunc done = line_done;
  KfCliInputKind kind = line_kind;

  rl_callback_handler_remove ();
  stop_watch ();
  line_done = NULL;
  if (line == NULL)
    fputc ('\n', rl_outstream);   /* Ctrl-D: leave the prompt's line */
  else if (kind != KF_CLI_INPUT_ANSWER)
    remember (g_strstrip (line));
  if (done != NULL)
    done (line, NULL);
  free (line);
}

/* kf_cli_readline_set_prompt: another question for the line being typed. */
void
kf_cli_readline_set_prompt (const char     *prompt,
                            KfCliInputKind  kind)
{
  if (stdin_watch == 0)
    return;
  set_kind (kind);
  rl_set_prompt (prompt);
  if (hidden == 0)
    rl_forced_update_display ();
}

/* kf_cli_readline_abandon: drops the line being typed (Ctrl-C, quitting)
 * and gives the terminal back as it was. */
void
kf_cli_readline_abandon (void)
{
  if (stdin_watch == 0)
    return;
  if (hidden == 0)
    fputc ('\n', rl_outstream);
  hidden = 0;
  line_done = NULL;
  rl_callback_handler_remove ();
  stop_watch ();
}

/* kf_cli_readline_hide: clears the prompt and the line being typed
 * before other output; kf_cli_readline_show() draws them again.  Nests. */
void
kf_cli_readline_hide (void)
{
  if (stdin_watch == 0 || hidden++ > 0)
    return;
  rl_clear_visible_line ();
  fflush (rl_outstream);
}

void
kf_cli_readline_show (void)
{
  if (stdin_watch == 0 || hidden == 0 || --hidden > 0)
    return;
  rl_on_new_line ();
  rl_redisplay ();
}

/* kf_cli_readline_set_peers: the peers Tab offers after conn (#KfPeer). */
void
kf_cli_readline_set_peers (GListModel *model)
{
  peers = model;
}
