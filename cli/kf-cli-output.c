/* kf-cli-output.c: the one place keyferry-cli writes what people read
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Results go to stdout, so that they can be piped; status lines and errors
 * go to stderr, errors as one line prefixed with the program's name.
 */

#include "config.h"

#include <stdio.h>

#include "kf-cli-output.h"

static const char *program_name = "keyferry-cli";

void
kf_cli_set_program_name (const char *name)
{
  program_name = name;
}

static void
write_line (FILE       *stream,
            const char *prefix,
            const char *format,
            va_list     args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  if (prefix != NULL)
    fprintf (stream, "%s: %s\n", prefix, text);
  else
    fprintf (stream, "%s\n", text);
  fflush (stream);
}

/* kf_cli_print: one line of output on stdout. */
void
kf_cli_print (const char *format,
              ...)
{
  va_list args;

  va_start (args, format);
  write_line (stdout, NULL, format, args);
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
