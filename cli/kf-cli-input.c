/* kf-cli-input.c: reading standard input without blocking the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line is read at a time, asynchronously, and only when someone asked
 * for it: a command is not read before the previous one finished, so piped
 * input runs in order.  Whoever wants the next line may change while a read
 * is under way (an offer arriving while the prompt waits for a command):
 * kf_cli_input_redirect() sends the line to the new reader.
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
#include "kf-secure.h"

static GDataInputStream *input;
static gboolean reading;
static KfCliLineFunc line_func;
static gpointer line_data;

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

/*
 * kf_cli_input_read_line:
 *
 * Reads one line and hands it to @func on the main loop.  When a read is
 * already under way, its line goes to @func instead of its first reader.
 */
void
kf_cli_input_read_line (KfCliLineFunc func,
                        gpointer      user_data)
{
  line_func = func;
  line_data = user_data;
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
  kf_cli_prompt (prompt);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  if (fgets (buf, sizeof buf, stdin) == NULL)
    buf[0] = '\0';
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  kf_cli_prompt ("\n");

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
