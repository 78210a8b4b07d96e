#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every line keyferry-cli shows a person goes through these. */
void kf_cli_set_program_name (const char *name);
void kf_cli_print            (const char *format,
                              ...) G_GNUC_PRINTF (1, 2);
void kf_cli_status           (const char *format,
                              ...) G_GNUC_PRINTF (1, 2);
void kf_cli_error            (const char *format,
                              ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
