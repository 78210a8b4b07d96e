#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Called with one line of standard input (without its newline), or with
 * NULL at the end of input. */
typedef void (*KfCliLineFunc) (const char *line,
                               gpointer    user_data);

void     kf_cli_input_read_line     (KfCliLineFunc  func,
                                     gpointer       user_data);
void     kf_cli_input_redirect      (KfCliLineFunc  func,
                                     gpointer       user_data);
gboolean kf_cli_input_is_reading    (void);
char    *kf_cli_input_read_secret   (const char    *prompt);
gboolean kf_cli_input_is_yes        (const char    *answer);
gboolean kf_cli_input_is_no         (const char    *answer);

G_END_DECLS
