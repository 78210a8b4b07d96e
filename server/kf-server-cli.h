/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-server-config.h"
#include "kf-server-options.h"

G_BEGIN_DECLS

/* Bad options, or an unusable passphrase (hash) file. */
#define KF_SERVER_EXIT_USAGE 2

/* The command line of keyferry-server, as given (kf-server-cli.c). */
typedef struct
{
  char     *config_file;
  char     *listen;
  char     *port;
  char     *state_dir;
  char     *passphrase_file;
  char     *passphrase_hash_file;
  char     *max_clients;
  char     *max_clients_per_address;
  char     *max_pending;
  char     *max_pending_per_address;
  char     *handshake_timeout;
  char     *idle_timeout;
  char     *confirm_timeout;
  char     *conn_burst;
  char     *conn_refill;
  char     *audit_log;
  char     *site_name;
  gboolean  no_announce;
  gboolean  print_link;
  char     *log_format;
  char     *runtime_dir;
  gboolean  verbose;
  gboolean  status;
  gboolean  json;
  char    **admin;          /* an administrator's command: its words, or NULL */
  gboolean  print_fingerprint;
  gboolean  hash_passphrase;
  gboolean  version;
} KfServerCliOptions;


KfServerCliOptions *kf_server_cli_get_options      (void);
const GOptionEntry *kf_server_cli_get_entries      (void);
GOptionContext     *kf_server_cli_context_new      (void);
gboolean            kf_server_cli_apply            (const KfServerCliOptions    *o,
                                                    KfServerConfig              *config,
                                                    guint                       *port,
                                                    GError                     **error);
gboolean            kf_server_cli_load_config      (const KfServerCliOptions    *o,
                                                    KfServerOptionsSaved       **command_line,
                                                    GError                     **error);
gboolean            kf_server_cli_reload_config    (const KfServerCliOptions    *o,
                                                    const KfServerOptionsSaved  *command_line,
                                                    GError                     **error);
char               *kf_server_cli_fixed_settings   (const KfServerCliOptions    *o);
void                kf_server_cli_options_clear    (KfServerCliOptions          *o);

/* Passphrases from files and the terminal (kf-server-passphrase-input.c). */
gboolean            kf_server_read_admission       (const KfServerCliOptions    *o,
                                                    KfServerConfig              *config,
                                                    char                       **secret,
                                                    GError                     **error);
int                 kf_server_hash_passphrase      (const KfServerConfig        *config);

/* Serving until a signal stops it (kf-server-run.c). */
int                 kf_server_run                  (KfServerCliOptions          *o,
                                                    const KfServerOptionsSaved  *command_line,
                                                    KfServerConfig              *config,
                                                    guint                        port);

G_END_DECLS
