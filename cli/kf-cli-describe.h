/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-cli-app.h"
#include "kf-client.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

char     *kf_cli_describe_offer    (KfOffer      *offer);
char     *kf_cli_describe_progress (gboolean      sending,
                                    guint64       done,
                                    guint64       total,
                                    gdouble       bytes_per_second);
void      kf_cli_report_progress   (KfClient     *client,
                                    const KfTransferProgress *progress);
void      kf_cli_report_outcome    (KfOutcome    *outcome);
int       kf_cli_exit_for_outcome  (KfOutcome    *outcome);
gboolean  kf_cli_finish_conn       (KfClient     *client,
                                    GAsyncResult *result,
                                    int          *refused);
int       kf_cli_exit_for_error    (const GError *error);
void      kf_cli_report_peers      (GPtrArray    *peers,
                                    KfContacts   *contacts);
KfContactCheck kf_cli_report_peer_identity (KfClient     *client,
                                            const char   *name,
                                            const guint8 *key,
                                            char        **known_code);

gboolean  kf_cli_peer_identity_accepted (KfCliApp     *app,
                                         KfClientRole  role,
                                         const char   *name,
                                         const guint8 *key);

G_END_DECLS
