/* kf-cli-input.c: reading standard input without blocking the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line is read at a time, asynchronously, and only when someone asked
 * for it: a command is not read before the previous one finished, so piped
 * input runs in order.  Whoever wants the next line may change while a read
 * is under way (an offer arriving while the prompt waits for a command):
 * kf_cli_input_redirect() sends the line to the new reader.
 *
 * On a terminal the lines are edited with GNU Readline (kf-cli-readline.c):
 * the question kf_cli_prompt() asks is then shown by readline, and every
 * other line printed meanwhile goes between kf_cli_input_hide() and
 * kf_cli_input_show().  Elsewhere (a pipe, a file) lines are read as they
 * come, with no echo and no escape sequences.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>

#include "kf-cli-input.h"
#include "kf-cli-output.h"
#include "kf-cli-readline.h"
#include "kf-secure.h"

typedef enum
{
  EDITING_UNKNOWN,
  EDITING_OFF,
  EDITING_ON,
} Editing;

static GDataInputStream *input;
static gboolean reading;
static KfCliLineFunc line_func;
static gpointer line_data;
static Editing editing;
static KfCliInputKind next_kind;
static GString *pending_prompt;   /* the question readline shows next */
static gboolean asking_secret;

/* Whether lines are edited: decided once, when first needed. */
static gboolean
is_editing (void)
{
  if (editing == EDITING_UNKNOWN)
    editing = kf_cli_readline_init (kf_cli_get_json () ? stderr : stdout) ? EDITING_ON : EDITING_OFF;

  return editing == EDITING_ON;
}

static GDataInputStream *
get_input (void)
{
  if (input == NULL)
    {
      g_autoptr(GInputStream) base = g_unix_input_stream_new (STDIN_FILENO, FALSE);

      input = g_data_input_stream_new (base);
      g_data_input_stream_set_newline_type (input, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    }

  return input;
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  KfCliLineFunc func = line_func;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                    NULL, &error);
  reading = FALSE;
  line_func = NULL;
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    kf_cli_error (_("cannot read standard input: %s"), error->message);
  else if (error != NULL)
    {
      kf_cli_error ("%s", _("that line is not valid UTF-8; please type it again"));
      kf_cli_input_read_line (func, line_data);
      return;
    }

  if (func != NULL)
    func (line != NULL ? g_strstrip (line) : NULL, line_data);
}

static void
on_line_edited (const char *line,
                gpointer    user_data)
{
  g_autofree char *copy = g_strdup (line);
  KfCliLineFunc func = line_func;

  reading = FALSE;
  line_func = NULL;
  if (copy != NULL && !g_utf8_validate (copy, -1, NULL))
    {
      kf_cli_error ("%s", _("that line is not valid UTF-8; please type it again"));
      kf_cli_input_read_line (func, line_data);
      return;
    }
  if (func != NULL)
    func (copy != NULL ? g_strstrip (copy) : NULL, line_data);
}

static void
read_edited_line (void)
{
  const char *prompt = pending_prompt ? pending_prompt->str : "";

  if (reading)
    kf_cli_readline_set_prompt (prompt, next_kind);
  else
    kf_cli_readline_start (prompt, next_kind, on_line_edited);
  reading = TRUE;
  next_kind = KF_CLI_INPUT_ANSWER;
  if (pending_prompt != NULL)
    g_string_truncate (pending_prompt, 0);
}

/*
 * kf_cli_input_read_line:
 *
 * Reads one line and hands it to @func on the main loop.  When a read is
 * already under way, its line goes to @func instead of its first reader
 * (on a terminal, under the question asked last).
 */
void
kf_cli_input_read_line (KfCliLineFunc func,
                        gpointer      user_data)
{
  line_func = func;
  line_data = user_data;
  if (is_editing ())
    {
      read_edited_line ();
      return;
    }
  next_kind = KF_CLI_INPUT_ANSWER;
  if (reading)
    return;

  reading = TRUE;
  g_data_input_stream_read_line_async (get_input (), G_PRIORITY_DEFAULT, NULL,
                                       on_line_read, NULL);
}

/*
 * kf_cli_input_redirect:
 *
 * Sends the line being read, if any, to @func; does not start a read.
 */
void
kf_cli_input_redirect (KfCliLineFunc func,
                       gpointer      user_data)
{
  line_func = func;
  line_data = user_data;
}

gboolean
kf_cli_input_is_reading (void)
{
  return reading;
}

/* kf_cli_input_set_kind: what the next line read is (Tab, history). */
void
kf_cli_input_set_kind (KfCliInputKind kind)
{
  next_kind = kind;
}

/* kf_cli_input_set_peers: the waiting peers Tab offers after conn. */
void
kf_cli_input_set_peers (GListModel *peers)
{
  kf_cli_readline_set_peers (peers);
}

/*
 * kf_cli_input_take_prompt:
 *
 * Called by kf_cli_prompt().  Returns: %TRUE when the line editor will
 * show @text itself, as the question of the next line read.
 */
gboolean
kf_cli_input_take_prompt (const char *text)
{
  if (asking_secret || !is_editing ())
    return FALSE;
  if (pending_prompt == NULL)
    pending_prompt = g_string_new (NULL);
  g_string_append (pending_prompt, text);
  return TRUE;
}

/* kf_cli_input_hide, kf_cli_input_show: around a line printed while one
 * is being typed, which is then drawn again below it. */
void
kf_cli_input_hide (void)
{
  if (editing == EDITING_ON)
    kf_cli_readline_hide ();
}

void
kf_cli_input_show (void)
{
  if (editing == EDITING_ON)
    kf_cli_readline_show ();
}

/* kf_cli_input_abandon: drops the line being typed, and its reader. */
void
kf_cli_input_abandon (void)
{
  line_func = NULL;
  if (editing != EDITING_ON || !reading)
    return;
  reading = FALSE;
  kf_cli_readline_abandon ();
}

/*
 * kf_cli_input_read_secret:
 *
 * Asks for a secret on the terminal with echo off, blocking: used only
 * before the client connects, when nothing else runs.
 *
 * Returns: the secret in secure memory (free with kf_secure_strfree()), or NULL at
 * end of input or when standard input is not a terminal.
 */
char *
kf_cli_input_read_secret (const char *prompt)
{
  struct termios saved, quiet;
  char buf[1024];
  char *secret;
  gsize len;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &saved) != 0)
    return NULL;

  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  asking_secret = TRUE;
  kf_cli_prompt (prompt);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  if (fgets (buf, sizeof buf, stdin) == NULL)
    buf[0] = '\0';
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  kf_cli_prompt ("\n");
  asking_secret = FALSE;

  len = strcspn (buf, "\r\n");
  secret = kf_secure_strndup (buf, len);
  explicit_bzero (buf, sizeof buf);

  return secret;
}

/* TRUE when @answer is @word, in any case. */
static gboolean
answer_is (const char *answer,
           const char *word)
{
  g_autofree char *folded_answer = g_utf8_casefold (answer, -1);
  g_autofree char *folded_word = g_utf8_casefold (word, -1);

  return g_str_equal (folded_answer, folded_word);
}

/*
 * kf_cli_input_is_yes:
 *
 * Returns: TRUE for "y" or "yes", or the translation's own short or long
 * yes (Romanian "d", "da"), in any case.
 */
gboolean
kf_cli_input_is_yes (const char *answer)
{
  if (answer == NULL || !g_utf8_validate (answer, -1, NULL))
    return FALSE;

  return answer_is (answer, "y")
         || answer_is (answer, "yes")
         /* Translators: a one-letter answer meaning yes, as typed at a y/n prompt */
         || answer_is (answer, C_("answer", "y"))
         /* Translators: the word yes, as typed at a y/n prompt */
         || answer_is (answer, C_("answer", "yes"));
}

/*
 * kf_cli_input_is_no:
 *
 * Returns: TRUE for "n" or "no", or the translation's own short or long
 * no (Romanian "n", "nu"), in any case.
 */
gboolean
kf_cli_input_is_no (const char *answer)
{
  if (answer == NULL || !g_utf8_validate (answer, -1, NULL))
    return FALSE;

  return answer_is (answer, "n")
         || answer_is (answer, "no")
         /* Translators: a one-letter answer meaning no, as typed at a y/n prompt */
         || answer_is (answer, C_("answer", "n"))
         /* Translators: the word no, as typed at a y/n prompt */
         || answer_is (answer, C_("answer", "no"));
}
