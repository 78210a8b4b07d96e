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
static GString *held_out;   /* lines held for stdout, and for stderr */
static GString *held_err;
static guint held_source;

#define HELD_MAX_BYTES (64 * 1024)
#define HELD_MAX_DELAY_MS 100

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

/*
 * kf_cli_flush:
 *
 * Writes the lines held so far, stdout's then stderr's.  Called before
 * any other output and when the program ends.
 */
void
kf_cli_flush (void)
{
  gboolean out = held_out != NULL && held_out->len > 0;
  gboolean err = held_err != NULL && held_err->len > 0;

  if (held_source != 0)
    g_source_remove (held_source);
  held_source = 0;
  if (!out && !err)
    return;
  clear_progress ();
  kf_cli_input_hide ();
  if (out)
    {
      fwrite (held_out->str, 1, held_out->len, stdout);
      fflush (stdout);
      g_string_truncate (held_out, 0);
    }
  if (err)
    {
      fwrite (held_err->str, 1, held_err->len, stderr);
      fflush (stderr);
      g_string_truncate (held_err, 0);
    }
  kf_cli_input_show ();
}

static gboolean
held_timeout_cb (gpointer user_data)
{
  held_source = 0;
  kf_cli_flush ();
  return G_SOURCE_REMOVE;
}

/* Holds @text for @stream until the next kf_cli_flush(). */
static void
hold (FILE       *stream,
      const char *text)
{
  GString **held = stream == stdout ? &held_out : &held_err;

  if (*held == NULL)
    *held = g_string_sized_new (HELD_MAX_BYTES);
  g_string_append (*held, text);
  if ((held_out != NULL ? held_out->len : 0) + (held_err != NULL ? held_err->len : 0)
      >= HELD_MAX_BYTES)
    kf_cli_flush ();
  else if (held_source == 0)
    {
      held_source = g_timeout_add (HELD_MAX_DELAY_MS, held_timeout_cb, NULL);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, held_source),
                                "[keyferry-cli] held output");
    }
}

static void
write_line (FILE       *stream,
            const char *prefix,
            const char *format,
            va_list     args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  kf_cli_flush ();
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

/* kf_cli_print_held: kf_cli_print() of a line that comes once per file,
 * held and written with the next ones (see the top of this file). */
void
kf_cli_print_held (const char *format,
                   ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  hold (json_mode ? stderr : stdout, text);
  hold (json_mode ? stderr : stdout, "\n");
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

  kf_cli_flush ();
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
  kf_cli_flush ();
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

/* Appends @text as a JSON string literal (RFC 8259): invalid UTF-8 becomes
 * U+FFFD; quote, backslash and every control character are escaped, and
 * so are DEL, the C1 controls and U+2028/U+2029, so that a line never
 * carries a raw control character to a terminal or breaks a JavaScript
 * reader.  No value is ever written unescaped. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  g_autofree char *made_valid = g_utf8_validate (text, -1, NULL) ? NULL
                                                                 : g_utf8_make_valid (text, -1);
  const char *p = made_valid != NULL ? made_valid : text;

  g_string_append_c (out, '"');
  while (*p != '\0')
    {
      const char *run = p;
      gunichar c;

      /* Printable ASCII other than quote and backslash goes as it is. */
      while ((guchar) *p >= 0x20 && (guchar) *p < 0x7f && *p != '"' && *p != '\\')
        p++;
      g_string_append_len (out, run, p - run);
      if (*p == '\0')
        break;
      c = g_utf8_get_char (p);
      p = g_utf8_next_char (p);
      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_unichar (out, c);
        }
    }
  g_string_append_c (out, '"');
}

/* How much of an event is built before it is written out (or, outside
 * JSON mode, dropped): an event's memory stays bounded however many files
 * a result lists. */
#define JSON_SPILL_SIZE (64 * 1024)

/* One JSON event being built: its text not yet written, whether the next
 * member or element needs a comma before it, and whether its beginning
 * was written already. */
struct _KfCliJson
{
  GString  *out;
  gboolean  need_comma;
  gboolean  spilled;
};

/* Writes what is built of @json (in JSON mode; drops it otherwise); the
 * @last piece ends the line.  No other output comes in between: an event
 * is built in one go on the main thread. */
static void
spill (KfCliJson *json,
       gboolean   last)
{
  if (json_mode)
    {
      if (!json->spilled)
        {
          kf_cli_flush ();
          clear_progress ();
          kf_cli_input_hide ();
        }
      fputs (json->out->str, stdout);
      if (last)
        {
          fflush (stdout);
          kf_cli_input_show ();
        }
    }
  json->spilled = TRUE;
  g_string_truncate (json->out, 0);
}

/* Starts a member ("key":) or, when @key is %NULL, an array element. */
static void
begin_value (KfCliJson  *json,
             const char *key)
{
  if (json->out->len >= JSON_SPILL_SIZE)
    spill (json, FALSE);
  if (json->need_comma)
    g_string_append_c (json->out, ',');
  json->need_comma = TRUE;
  if (key == NULL)
    return;
  append_json_string (json->out, key);
  g_string_append_c (json->out, ':');
}

/*
 * kf_cli_json_begin:
 *
 * Starts the JSON event {"event": @event, …}: add members with
 * kf_cli_json_string() and the others, write it with kf_cli_json_end().
 *
 * Returns: (transfer full): the event being built.
 */
KfCliJson *
kf_cli_json_begin (const char *event)
{
  KfCliJson *json = g_new0 (KfCliJson, 1);

  json->out = g_string_new ("{");
  kf_cli_json_string (json, "event", event);
  return json;
}

/* kf_cli_json_string: a string member (or array element when @key is
 * %NULL), escaped; a %NULL @value is JSON null. */
void
kf_cli_json_string (KfCliJson  *json,
                    const char *key,
                    const char *value)
{
  begin_value (json, key);
  if (value == NULL)
    g_string_append (json->out, "null");
  else
    append_json_string (json->out, value);
}

/* kf_cli_json_uint: a number member. */
void
kf_cli_json_uint (KfCliJson  *json,
                  const char *key,
                  guint64     value)
{
  begin_value (json, key);
  g_string_append_printf (json->out, "%" G_GUINT64_FORMAT, value);
}

/* kf_cli_json_bool: a true or false member. */
void
kf_cli_json_bool (KfCliJson  *json,
                  const char *key,
                  gboolean    value)
{
  begin_value (json, key);
  g_string_append (json->out, value ? "true" : "false");
}

/* kf_cli_json_open: opens an array (@bracket '[') or object ('{') member
 * or element; kf_cli_json_close() closes it with the matching bracket. */
void
kf_cli_json_open (KfCliJson  *json,
                  const char *key,
                  char        bracket)
{
  g_return_if_fail (bracket == '[' || bracket == '{');

  begin_value (json, key);
  g_string_append_c (json->out, bracket);
  json->need_comma = FALSE;
}

void
kf_cli_json_close (KfCliJson *json,
                   char       bracket)
{
  g_return_if_fail (bracket == ']' || bracket == '}');

  g_string_append_c (json->out, bracket);
  json->need_comma = TRUE;
}

/*
 * kf_cli_json_end:
 *
 * In JSON mode, writes the event as one line on stdout (its beginning may
 * have gone out already, see JSON_SPILL_SIZE); frees it in any case.
 */
void
kf_cli_json_end (KfCliJson *json)
{
  g_string_append (json->out, "}\n");
  spill (json, TRUE);
  g_string_free (json->out, TRUE);
  g_free (json);
}

/*
 * kf_cli_json_end_held:
 *
 * kf_cli_json_end() of an event that comes once per file: held and
 * written with the next ones (see the top of this file).
 */
void
kf_cli_json_end_held (KfCliJson *json)
{
  g_string_append (json->out, "}\n");
  if (json->spilled)
    spill (json, TRUE);   /* begun already: its end follows at once */
  else if (json_mode)
    hold (stdout, json->out->str);
  g_string_free (json->out, TRUE);
  g_free (json);
}

/*
 * kf_cli_json_event:
 * @event: the event's name
 * @...: NULL-terminated pairs of a key and a string value (%NULL: null),
 *   every value written as an escaped JSON string
 *
 * In JSON mode, writes {"event": @event, key: value, ...} as one line on
 * stdout; otherwise does nothing.  Numbers and booleans go through
 * kf_cli_json_begin() instead.
 */
void
kf_cli_json_event (const char *event,
                   ...)
{
  KfCliJson *json = kf_cli_json_begin (event);
  va_list args;

  va_start (args, event);
  for (const char *key = va_arg (args, const char *); key != NULL;
       key = va_arg (args, const char *))
    kf_cli_json_string (json, key, va_arg (args, const char *));
  va_end (args);
  kf_cli_json_end (json);
}
