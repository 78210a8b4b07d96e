/* kf-cli-output.c: the one place keyferry-cli writes what people read
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Results go to stdout, so that they can be piped; status lines and errors
 * go to stderr, errors as one line prefixed with the program's name.  With
 * --json, stdout carries one JSON object per line for scripts instead, and
 * people's text still goes to stderr.  A progress line on a terminal is
 * rewritten in place and cleared before any other line is written.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kf-cli-input.h"
#include "kf-cli-output.h"

static const char *program_name = "keyferry-cli";
static gboolean json_mode;
static gboolean progress_shown;

void
kf_cli_set_program_name (const char *name)
{
  program_name = name;
}

void
kf_cli_set_json (gboolean json)
{
  json_mode = json;
}

gboolean
kf_cli_get_json (void)
{
  return json_mode;
}

static void
clear_progress (void)
{
  if (!progress_shown)
    return;
  fputs ("\r\033[K", stderr);
  progress_shown = FALSE;
}

static void
write_line (FILE       *stream,
            const char *prefix,
            const char *format,
            va_list     args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  clear_progress ();
  kf_cli_input_hide ();   /* a line being typed is drawn again below */
  if (prefix != NULL)
    fprintf (stream, "%s: %s\n", prefix, text);
  else
    fprintf (stream, "%s\n", text);
  fflush (stream);
  kf_cli_input_show ();
}

/* kf_cli_print: one line of output for people: stdout, or stderr in JSON
 * mode so that stdout stays machine-readable. */
void
kf_cli_print (const char *format,
              ...)
{
  va_list args;

  va_start (args, format);
  write_line (json_mode ? stderr : stdout, NULL, format, args);
  va_end (args);
}

/* kf_cli_status: one line of progress or information on stderr. */
void
kf_cli_status (const char *format,
               ...)
{
  va_list args;

  va_start (args, format);
  write_line (stderr, NULL, format, args);
  va_end (args);
}

/* kf_cli_error: one line "keyferry-cli: what went wrong" on stderr. */
void
kf_cli_error (const char *format,
              ...)
{
  va_list args;

  va_start (args, format);
  write_line (stderr, program_name, format, args);
  va_end (args);
}

/* kf_cli_prompt: a question without a newline, the answer typed after it. */
void
kf_cli_prompt (const char *text)
{
  FILE *stream = json_mode ? stderr : stdout;

  if (kf_cli_input_take_prompt (text))
    return;   /* the line editor asks it */
  clear_progress ();
  fputs (text, stream);
  fflush (stream);
}

/* kf_cli_prompt_printf: kf_cli_prompt() with a format. */
void
kf_cli_prompt_printf (const char *format,
                      ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  kf_cli_prompt (text);
}

/* kf_cli_progress: a progress line, rewritten in place on a terminal and
 * not shown at all elsewhere (logs get the final result instead). */
void
kf_cli_progress (const char *text)
{
  if (!isatty (STDERR_FILENO))
    return;
  fprintf (stderr, "\r\033[K%s", text);
  fflush (stderr);
  progress_shown = TRUE;
}

/* kf_cli_progress_done: ends a progress line. */
void
kf_cli_progress_done (void)
{
  clear_progress ();
}

static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/*
 * kf_cli_json_quote:
 *
 * Returns: @text as a JSON string literal, quotes included.
 */
char *
kf_cli_json_quote (const char *text)
{
  GString *out = g_string_new (NULL);

  append_json_string (out, text);
  return g_string_free (out, FALSE);
}

/*
 * kf_cli_json_event:
 * @event: the event's name
 * @...: NULL-terminated pairs of a key and a value string; a value
 *   starting with "#" is written as a bare JSON number or literal (the
 *   "#" dropped), anything else as a JSON string
 *
 * In JSON mode, writes {"event": @event, key: value, ...} as one line on
 * stdout; otherwise does nothing.
 */
void
kf_cli_json_event (const char *event,
                   ...)
{
  g_autoptr(GString) out = NULL;
  va_list args;

  if (!json_mode)
    return;

  out = g_string_new ("{\"event\":");
  append_json_string (out, event);
  va_start (args, event);
  for (const char *key = va_arg (args, const char *); key != NULL;
       key = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      g_string_append_c (out, ',');
      append_json_string (out, key);
      g_string_append_c (out, ':');
      if (value == NULL)
        g_string_append (out, "null");
      else if (value[0] == '#')
        g_string_append (out, value + 1);
      else
        append_json_string (out, value);
    }
  va_end (args);
  g_string_append (out, "}\n");

  clear_progress ();
  kf_cli_input_hide ();
  fputs (out->str, stdout);
  fflush (stdout);
  kf_cli_input_show ();
}
