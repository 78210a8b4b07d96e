/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every line keyferry-cli shows a person goes through these. */
void     kf_cli_set_program_name (const char *name);
void     kf_cli_set_json         (gboolean    json);
gboolean kf_cli_get_json         (void);
void     kf_cli_print            (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);
void     kf_cli_print_held       (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);
void     kf_cli_flush            (void);
void     kf_cli_status           (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);
void     kf_cli_error            (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);
void     kf_cli_prompt           (const char *text);
void     kf_cli_prompt_printf    (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);
void     kf_cli_progress         (const char *text);
void     kf_cli_progress_done    (void);
void     kf_cli_json_event       (const char *event,
                                  ...) G_GNUC_NULL_TERMINATED;

/* A JSON event with numbers, booleans, arrays or objects. */
typedef struct _KfCliJson KfCliJson;

KfCliJson *kf_cli_json_begin  (const char *event);
void       kf_cli_json_string (KfCliJson  *json,
                               const char *key,
                               const char *value);
void       kf_cli_json_uint   (KfCliJson  *json,
                               const char *key,
                               guint64     value);
void       kf_cli_json_bool   (KfCliJson  *json,
                               const char *key,
                               gboolean    value);
void       kf_cli_json_open   (KfCliJson  *json,
                               const char *key,
                               char        bracket);
void       kf_cli_json_close  (KfCliJson  *json,
                               char        bracket);
void       kf_cli_json_end    (KfCliJson  *json);
void       kf_cli_json_end_held (KfCliJson *json);

G_END_DECLS
