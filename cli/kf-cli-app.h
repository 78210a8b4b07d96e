/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-client.h"
#include "kf-identity.h"

G_BEGIN_DECLS

/* What one run of keyferry-cli knows: its options, its KfClient, its loop
 * and how it will exit.  Shared by the interactive prompt and the scripted
 * `wait`/`send` commands. */
typedef struct
{
  /* options */
  char         *server;
  char         *name;
  char         *fingerprint;
  gboolean      accept_new_server;
  gboolean      accept_new_identity;
  gboolean      forget_server;
  int           idle_timeout;      /* -1: the default */
  char         *passphrase_file;
  char         *identity_file;
  gboolean      json;
  gboolean      accept;
  gboolean      overwrite;
  char         *output_dir;
  char         *to;
  char         *mode;
  char         *peer_ports;
  GPtrArray    *files;             /* send: GFile, the files and folders to send */

  /* run time */
  char         *host;
  guint16       port;
  char         *passphrase;      /* secure memory */
  KfIdentity   *identity;
  KfClient     *client;
  GMainLoop    *loop;
  GCancellable *cancellable;
  int           exit_status;
  gboolean      stdin_is_tty;
  guint         sigint_count;
  gboolean      reconnecting;      /* the key manager went away; the client retries */
  gboolean      identity_refused;  /* the peer's identity changed: refused (exit 9) */
} KfCliApp;

void kf_cli_app_quit (KfCliApp *app,
                      int       exit_status);

G_END_DECLS
