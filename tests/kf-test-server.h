/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-server.h"

G_BEGIN_DECLS

/* A KfServer running in process, on 127.0.0.1 and a free port, in its own
 * thread with its own main context, so a test can talk to it with
 * blocking calls.  Its state directory is a fresh temporary directory,
 * removed by kf_test_server_stop(). */
typedef struct _KfTestServer KfTestServer;

void          kf_test_server_config_init     (KfServerConfig *config);
KfTestServer *kf_test_server_start           (const KfServerConfig *config,
                                              const char           *passphrase);
guint16       kf_test_server_get_port        (KfTestServer   *self);
const char   *kf_test_server_get_fingerprint (KfTestServer   *self);
const char   *kf_test_server_get_state_dir   (KfTestServer   *self);
char         *kf_test_server_read_audit      (KfTestServer   *self);
void          kf_test_server_stop            (KfTestServer   *self);

G_END_DECLS
