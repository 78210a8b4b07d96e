/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the next line is: Tab completes commands, peers and modes for a
 * COMMAND, file names otherwise; COMMAND and FILE lines go in the history. */
typedef enum
{
  KF_CLI_INPUT_ANSWER,
  KF_CLI_INPUT_COMMAND,
  KF_CLI_INPUT_FILE,
} KfCliInputKind;

/* Called with one line of standard input (without its newline), or with
 * NULL at the end of input. */
typedef void (*KfCliLineFunc) (const char *line,
                               gpointer    user_data);

void     kf_cli_input_read_line     (KfCliLineFunc  func,
                                     gpointer       user_data);
void     kf_cli_input_redirect      (KfCliLineFunc  func,
                                     gpointer       user_data);
gboolean kf_cli_input_is_reading    (void);
void     kf_cli_input_set_kind      (KfCliInputKind kind);
void     kf_cli_input_set_peers     (GListModel    *peers);
gboolean kf_cli_input_take_prompt   (const char    *text);
void     kf_cli_input_hide          (void);
void     kf_cli_input_show          (void);
void     kf_cli_input_abandon       (void);
char    *kf_cli_input_read_secret   (const char    *prompt);
gboolean kf_cli_input_is_yes        (const char    *answer);
gboolean kf_cli_input_is_no         (const char    *answer);

G_END_DECLS
